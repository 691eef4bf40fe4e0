"""Named actors: one per role in each of three organisations, so a test reads as a sentence.

- `ngo_fr` (France) owns the records under test;
- `ministry_de` (Germany) is its partner: both are in the sharing group `fr_de_group`;
- `ngo_it` (Italy) is an outsider to both.
Each organisation has a caseworker, a liaison, an auditor and an org admin, named
`<org>_<role>`, e.g. `world.fr_caseworker`, `world.de_liaison`, `world.it_auditor`.
"""

import contextlib
import datetime
import uuid
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.tokens import fingerprint
from cases.models import Membership, Organisation

from .factories import (
    MembershipFactory,
    OrganisationFactory,
    SharingGroupFactory,
    UserFactory,
    country,
    sign_in_with_two_factors,
)

ROLES = [r.value for r in Membership.Role]
ORGS = {"fr": ("ngo-fr", Organisation.Kind.NGO, "FR"),
        "de": ("ministry-de", Organisation.Kind.MINISTRY, "DE"),
        "it": ("ngo-it", Organisation.Kind.NGO, "IT")}
ROLE_SHORT = {"caseworker": "caseworker", "liaison": "liaison", "auditor": "auditor",
              "org_admin": "admin"}


@pytest.fixture(scope="session")
def django_db_modify_db_settings(request, django_db_modify_db_settings_parallel_suffix):
    """A run with a live server keeps its SQLite test database in a file.

    On an in-memory database the live server hands its one connection to every request
    thread, and a browser sends requests side by side (a page and its suggestions): one
    thread's BEGIN then meets another's open statement and fails with "database table is
    locked". On a file each thread opens a connection of its own, and writers queue on the
    lock as they do in the embedded default (config/settings.py)."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if (database["ENGINE"].endswith("sqlite3")
            and any("live_server" in getattr(item, "fixturenames", ())
                    for item in request.session.items)):
        database.setdefault("TEST", {})["NAME"] = str(settings.RUN_ROOT / "browser.sqlite3")


@pytest.fixture(autouse=True)
def _counters_of_its_own(settings):
    """Throttle and lockout counters start at zero in each test: the shared cache is keyed
    under a prefix of the test's own, after its test process's (config/test_settings.py).
    Nothing is flushed: on Redis that could be the index holding Celery's queues, and entries
    expire by themselves."""
    settings.CACHES = {
        alias: {**config, "KEY_PREFIX": f"{config.get('KEY_PREFIX')}-{uuid.uuid4().hex[:12]}"}
        for alias, config in settings.CACHES.items()
    }


def assert_strict_csp(response) -> None:
    """The response carries the content security policy, and it allows no inline code."""
    policy = response.get("Content-Security-Policy", "")
    assert "default-src 'self'" in policy, (response.status_code, response.headers)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, policy


@pytest.fixture(autouse=True)
def _every_page_has_its_csp(request, monkeypatch):
    """Whatever a web test gets, page, fragment, redirect or error, carries the strict CSP."""
    if "web" not in request.node.path.parts:
        return
    send = Client.request

    def checked(self, **request_options):
        response = send(self, **request_options)
        assert_strict_csp(response)
        return response

    monkeypatch.setattr(Client, "request", checked)


@pytest.fixture(autouse=True)
def audit_checkpoint_dir(settings, tmp_path):
    """Each test keeps its audit checkpoints in a folder of its own."""
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "audit-checkpoints")
    return tmp_path / "audit-checkpoints"


@pytest.fixture
def exact_counts(monkeypatch):
    """The compliance record without its cell-key perturbation, for tests of what it counts;
    tests/reporting/test_differencing.py tests the perturbation itself."""
    from reporting import cellkey

    monkeypatch.setattr(cellkey, "perturbation", lambda count, cell_key: 0)


@pytest.fixture
def world(db):
    w = SimpleNamespace()
    for key, (slug, kind, cc) in ORGS.items():
        org = OrganisationFactory(slug=slug, name=slug.replace("-", " ").title(), kind=kind,
                                  country=country(cc))
        setattr(w, {"fr": "ngo_fr", "de": "ministry_de", "it": "ngo_it"}[key], org)
        for role in ROLES:
            user = UserFactory(username=f"{key}_{ROLE_SHORT[role]}")
            MembershipFactory(user=user, organisation=org, role=role)
            setattr(w, f"{key}_{ROLE_SHORT[role]}", user)
    w.fr_de_group = SharingGroupFactory(name="FR-DE", owner=w.ngo_fr, members=[w.ministry_de])
    w.staff = UserFactory(username="platform_staff", is_staff=True, is_superuser=True)
    return w


@contextlib.contextmanager
def audit_log_writable() -> Iterator:
    """Triggers refuse changes to the audit log and its head: lift them to play the tamperer.

    On SQLite the test settings lift them already (the escape Django's flush needs)."""
    postgres = connection.vendor == "postgresql"
    tables = ["cases_auditevent", "cases_auditchainhead"]
    with connection.cursor() as cursor:
        if postgres:
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        try:
            yield cursor
        finally:
            if postgres:
                for table in tables:
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


def token_for(user, scope: str = ApiToken.Scope.READ_WRITE) -> str:
    """The secret of a new API token of `user`, made without the service (no audit event, no
    second factor) and lasting long enough for tests that move the clock years ahead."""
    _token, secret = ApiToken.objects.create(
        user=user, name="tests", scope=scope, expiry=datetime.timedelta(days=100 * 365),
        password_fingerprint=fingerprint(user),
    )
    return secret


def api_client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


def session_client(user) -> APIClient:
    """A client signed in with a session, for those the API gives no token (platform staff, a
    person of no organisation: accounts/authentication.py), to show what the policy gives them.
    The session passed a second factor (staff must have one)."""
    assert api_client(user).get("/api/v1/me/").status_code == 401
    client = APIClient()
    sign_in_with_two_factors(client, user)
    return client


def used_client(user) -> APIClient:
    """A client whose token was used a moment ago: a token's first use in a minute also writes
    its `last_used` (tests/accounts/test_tokens_api.py), once, which is no cost of the request
    being measured."""
    client = api_client(user)
    assert client.get("/api/v1/me/").status_code == 200
    return client


@pytest.fixture
def client_for():
    return api_client
