"""The operators' commands: create organisations and members, load the demo, verify the log."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError

from cases import services
from cases.audit import verify_chain
from cases.models import (
    Assurance,
    AuditEvent,
    Case,
    CaseTransition,
    Membership,
    Organisation,
    ProceedingEvent,
    SharingGroup,
    SharingGroupMembership,
    Subject,
    SubjectNationality,
)

from ..conftest import audit_log_writable
from ..factories import MembershipFactory, OrganisationFactory, UserFactory, country

User = get_user_model()
STRONG_PASSWORD = "a long and unusual passphrase 42"


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def snapshot() -> dict[str, int]:
    """How many rows each table of case data, accounts and the log holds."""
    models = [
        Organisation, Membership, SharingGroup, SharingGroupMembership, Subject,
        SubjectNationality, Case, CaseTransition, ProceedingEvent, Assurance, AuditEvent, User,
    ]
    return {model.__name__: model.objects.count() for model in models}


# --- create_organisation -----------------------------------------------------------------


@pytest.mark.django_db
def test_create_organisation_writes_it_through_the_service_and_the_log():
    out = run(
        "create_organisation", "ngo-es", "--name", "Vigía Extradiciones", "--kind", "ngo",
        "--country", "es", "--operator", "alice",
    )

    organisation = Organisation.objects.get(slug="ngo-es")
    assert (organisation.name, organisation.kind, organisation.country_id) == (
        "Vigía Extradiciones", "ngo", "ES"
    )
    assert "ngo-es" in out
    event = AuditEvent.objects.get(object_type="organisation", object_id=str(organisation.pk))
    assert (event.action, event.actor_id, event.actor_username) == (
        AuditEvent.Action.CREATE, None, "operator:alice"
    )
    assert verify_chain().ok


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ngo-xx", "--kind", "charity", "--country", "FR"], "Unknown kind 'charity'"),
        (["ngo-xx", "--kind", "ngo", "--country", "XX"], "Unknown country 'XX'"),
        (["ngo-xx", "--kind", "ngo", "--country", "France"], "Unknown country 'France'"),
        (["taken", "--kind", "ngo", "--country", "FR"], "slug 'taken' exists already"),
        (["not a slug", "--kind", "ngo", "--country", "FR"], "not a valid slug"),
    ],
    ids=["kind", "country", "country-name", "duplicate-slug", "bad-slug"],
)
def test_create_organisation_refuses_bad_input_in_one_line_and_writes_nothing(args, message):
    OrganisationFactory(slug="taken", name="Taken")
    before = snapshot()

    with pytest.raises(CommandError) as raised:
        run("create_organisation", *args, "--name", "Some organisation")

    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
    assert snapshot() == before


# --- create_member ---------------------------------------------------------------------------


@pytest.fixture
def ngo(db) -> Organisation:
    return OrganisationFactory(slug="ngo-fr", name="NGO France", country=country("FR"))


def test_create_member_creates_the_user_and_the_membership(ngo):
    out = run(
        "create_member", "alice", "--organisation", "ngo-fr", "--role", "caseworker",
        "--password", STRONG_PASSWORD, "--email", "alice@example.org", "--operator", "root",
    )

    alice = User.objects.get(username="alice")
    assert alice.check_password(STRONG_PASSWORD)
    assert alice.email == "alice@example.org"
    assert Membership.objects.get(user=alice).role == Membership.Role.CASEWORKER
    event = AuditEvent.objects.get(action=AuditEvent.Action.PERMISSION_CHANGE)
    assert (event.organisation_id, event.actor_username) == (ngo.pk, "operator:root")
    assert event.detail == {"user": "alice", "role": "caseworker", "change": "added"}
    assert "Created user 'alice'" in out
    assert verify_chain().ok


def test_create_member_reads_the_password_from_the_environment(ngo, monkeypatch):
    monkeypatch.setenv("EM_MEMBER_PASSWORD", STRONG_PASSWORD)

    run("create_member", "bob", "--organisation", "ngo-fr", "--role", "auditor")

    assert User.objects.get(username="bob").check_password(STRONG_PASSWORD)


def test_an_existing_user_keeps_its_password_unless_one_is_given(ngo, monkeypatch):
    monkeypatch.delenv("EM_MEMBER_PASSWORD", raising=False)
    carol = UserFactory(username="carol", password="the original passphrase 7")
    other = OrganisationFactory(slug="ministry-de", country=country("DE"))

    run("create_member", "carol", "--organisation", "ngo-fr", "--role", "liaison")
    carol.refresh_from_db()
    assert carol.check_password("the original passphrase 7")

    run("create_member", "carol", "--organisation", "ministry-de", "--role", "auditor",
        "--password", STRONG_PASSWORD)
    carol.refresh_from_db()
    assert carol.check_password(STRONG_PASSWORD)
    assert set(carol.memberships.values_list("organisation__slug", "role")) == {
        ("ngo-fr", "liaison"), (other.slug, "auditor")
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--organisation", "nowhere", "--role", "caseworker"], "Unknown organisation 'nowhere'"),
        (["--organisation", "ngo-fr", "--role", "boss"], "Unknown role 'boss'"),
        (["--organisation", "ngo-fr", "--role", "caseworker", "--password", "123"],
         "Password refused"),
        (["--organisation", "ngo-fr", "--role", "caseworker", "--password", "password"],
         "Password refused"),
        (["--organisation", "ngo-fr", "--role", "caseworker"], "give a password"),
        (["--organisation", "ngo-fr", "--role", "caseworker", "--password", STRONG_PASSWORD,
          "--email", "not-an-address"], "not a valid e-mail address"),
    ],
    ids=["organisation", "role", "short-password", "common-password", "no-password", "email"],
)
def test_create_member_refuses_bad_input_and_writes_nothing(ngo, monkeypatch, args, message):
    monkeypatch.delenv("EM_MEMBER_PASSWORD", raising=False)
    before = snapshot()

    with pytest.raises(CommandError) as raised:
        run("create_member", "dave", *args)

    assert message in str(raised.value)
    assert snapshot() == before


def test_create_member_refuses_an_existing_membership(ngo):
    erin = UserFactory(username="erin", password="the original passphrase 7")
    MembershipFactory(user=erin, organisation=ngo, role=Membership.Role.AUDITOR)
    before = snapshot()

    with pytest.raises(CommandError, match="already a member"):
        run("create_member", "erin", "--organisation", "ngo-fr", "--role", "org_admin",
            "--password", STRONG_PASSWORD)

    assert snapshot() == before
    erin.refresh_from_db()
    assert erin.check_password("the original passphrase 7")
    assert Membership.objects.get(user=erin).role == Membership.Role.AUDITOR


# --- verify_audit_chain ----------------------------------------------------------------------


def _some_history(ngo, names=("frank", "grace", "heidi")) -> None:
    operator = services.Operator("test")
    for name in names:
        user = UserFactory(username=name)
        services.membership_create(
            actor=operator, organisation=ngo, user=user, role=Membership.Role.CASEWORKER
        )


def test_verify_audit_chain_reports_an_intact_chain(ngo, audit_checkpoint_dir):
    _some_history(ngo)

    out = run("verify_audit_chain")

    assert out.strip() == (
        f"audit chain intact: {AuditEvent.objects.count()} events; no checkpoint yet in "
        f"{audit_checkpoint_dir} (the reminder sweep writes one at each run)"
    )
    assert AuditEvent.objects.count() == 3


@pytest.mark.django_db
def test_verify_audit_chain_on_an_empty_log():
    assert run("verify_audit_chain").startswith("audit chain intact: 0 events; no checkpoint yet")


def test_verify_audit_chain_holds_the_log_to_the_sweeps_checkpoint(ngo):
    _some_history(ngo)
    assert "audit checkpoint #3" in run("monitoring_sweep")
    _some_history(ngo, names=("ivan", "judy", "niaj"))

    out = run("verify_audit_chain")

    assert out.startswith("audit chain intact: 6 events; it reaches the checkpoint of ")
    assert out.strip().endswith("(event #3) with the same hash")


def test_verify_audit_chain_fails_when_the_log_is_shorter_than_its_checkpoint(ngo):
    _some_history(ngo)
    run("monitoring_sweep")
    with audit_log_writable() as cursor:
        cursor.execute("DELETE FROM cases_auditevent WHERE seq = 3")
        cursor.execute("DELETE FROM cases_auditchainhead")

    with pytest.raises(CommandError) as raised:
        run("verify_audit_chain")

    assert str(raised.value).startswith(
        "audit chain broken at event #3: the log ends at #2, but the checkpoint of ")
    assert str(raised.value).endswith(
        "records event #3: events were removed (2 events before it are intact)")


def test_verify_audit_chain_names_the_first_changed_event(ngo):
    _some_history(ngo)
    with audit_log_writable() as cursor:
        cursor.execute(
            "UPDATE cases_auditevent SET detail = %s WHERE seq = %s",
            ['{"user": "frank", "role": "org_admin", "change": "added"}', 2],
        )

    with pytest.raises(CommandError) as raised:
        run("verify_audit_chain")

    assert "#2" in str(raised.value)
    assert "does not match its hash" in str(raised.value)


def test_verify_audit_chain_notices_a_removed_event(ngo):
    _some_history(ngo)
    with audit_log_writable() as cursor:
        cursor.execute("DELETE FROM cases_auditevent WHERE seq = %s", [2])

    with pytest.raises(CommandError, match="#2"):
        run("verify_audit_chain")


def test_verify_audit_chain_exits_non_zero_with_the_broken_link_on_stderr(ngo, capsys):
    _some_history(ngo)
    with audit_log_writable() as cursor:
        cursor.execute("UPDATE cases_auditevent SET actor_username = 'mallory' WHERE seq = 3")

    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "verify_audit_chain"]).execute()

    assert exited.value.code != 0
    captured = capsys.readouterr()
    assert "#3" in captured.err
    assert "intact" not in captured.out


# --- seed_demo (its loaded data: tests/demo/) ------------------------------------------------


def test_seed_demo_refuses_a_database_holding_part_of_it(world):
    before = snapshot()

    with pytest.raises(CommandError, match="ngo-fr"):
        run("seed_demo")

    assert snapshot() == before
