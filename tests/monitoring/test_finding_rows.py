"""The findings list writes its rows without FindingSerializer (monitoring/api/finding_rows.py):
the rows must be exactly what the serializer gives the same caller, field for field and in the
same order, whoever asks."""

import datetime

import pytest

from cases.models.sharing import TLP, Distribution
from monitoring.api.serializers import FindingSerializer
from monitoring.models import CheckReport, Finding, FollowUp

from ..conftest import api_client
from ..factories import AssuranceFactory, CaseFactory
from ..rows_support import EVERY_CALLER, assert_list_is_the_serializers, serialized

pytestmark = pytest.mark.django_db
AT = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)


def _varied_findings(world):
    """Findings of every shape the rows distinguish: from a report and its follow-up or alone,
    with and without an assurance, owned by ngo-fr and shared every way, the summary shareable
    or not."""
    fr = world.ngo_fr
    grouped = CaseFactory(owner=fr, reference="F-GROUP", distribution=Distribution.SHARING_GROUP,
                          sharing_group=world.fr_de_group, tlp=TLP.AMBER)
    network = CaseFactory(owner=fr, reference="F-NET", distribution=Distribution.NETWORK,
                          tlp=TLP.GREEN, requesting_state_id="RU")
    german = CaseFactory(owner=world.ministry_de, reference="F-DE",
                         distribution=Distribution.NETWORK, tlp=TLP.CLEAR)
    follow_up = FollowUp.objects.create(
        case=grouped, kind=FollowUp.Kind.AD_HOC, status=FollowUp.Status.COMPLETED,
        window_opens_at=AT, due_at=AT, due_soon_at=AT, escalate_at=AT, missed_at=AT,
        completed_at=AT)
    report = CheckReport.objects.create(follow_up=follow_up, case=grouped, checked_at=AT,
                                        access=CheckReport.Access.GRANTED,
                                        created_by=world.fr_caseworker)
    shapes = [
        (grouped, Distribution.SHARING_GROUP, world.fr_de_group, True, report, follow_up, True),
        (grouped, Distribution.SHARING_GROUP, world.fr_de_group, False, None, None, True),
        (network, Distribution.NETWORK, None, False, None, None, False),
        (network, Distribution.NETWORK, None, True, None, None, True),
        (network, Distribution.ORGANISATION, None, True, None, None, True),
        (german, Distribution.NETWORK, None, False, None, None, True),
    ]
    for i, (case, distribution, group, shareable, rep, fu, with_assurance) in enumerate(shapes):
        Finding.objects.create(
            case=case, assurance=AssuranceFactory(case=case) if with_assurance else None,
            report=rep, follow_up=fu, outcome="breach" if i % 2 else "complied",
            severity="high", confidence="medium", observed_at=AT - i * datetime.timedelta(days=1),
            distribution=distribution, sharing_group=group, tlp=case.tlp, is_open=bool(i % 2),
            summary_shareable=shareable, evidence_summary=f"Seen in person, visit {i}",
            shared_at=AT if distribution != Distribution.ORGANISATION else None,
        )


def _serialized(user, ids) -> list[dict]:
    findings = {str(f.pk): f for f in Finding.objects.filter(pk__in=ids)
                .select_related("case", "assurance")}
    return serialized(FindingSerializer, user, [findings[pk] for pk in ids])


@EVERY_CALLER
def test_the_list_gives_every_caller_what_the_serializer_gives(world, org, role):
    _varied_findings(world)
    assert_list_is_the_serializers(getattr(world, f"{org}_{role}"), "/api/v1/findings/",
                                   _serialized)


def test_each_shape_of_finding_is_in_the_comparison(world):
    _varied_findings(world)
    own = api_client(world.fr_caseworker).get("/api/v1/findings/").json()["results"]
    assert all("evidence_summary" in row for row in own if row["case_reference"] != "F-DE")
    assert {row["assurance_type"] for row in own} >= {None, "no_torture"}
    assert any(row["report"] and row["follow_up"] for row in own)
    partner = api_client(world.de_liaison).get("/api/v1/findings/").json()["results"]
    withheld = [row for row in partner if row["case_reference"] != "F-DE"
                and "evidence_summary" not in row]
    shown = [row for row in partner if row["case_reference"] != "F-DE"
             and "evidence_summary" in row]
    assert withheld and shown
    assert all(row["summary_shareable"] for row in shown)
