"""The record the database counts equals the record counted from scratch, finding by finding.

The record adds up, in one statement, the record keys each case, check report and finding
keeps (`cases.models.record_keys`). Here the same cells are counted the slow way: every
counted finding read into Python, its case, report and own id hashed under the secret again
(`cellkey.RecordKeys`), sets of distinct cases and reports kept per cell. Both must give the
same published record, cell for cell, on random data of three organisations, after random
writes, re-shares and withdrawals, and again after the secret changes and the keys are
derived anew.
"""

from __future__ import annotations

import datetime
import random
import statistics
from collections import defaultdict
from itertools import combinations

import pytest
from django.db import connection
from django.db.models import Min, Q
from django.db.models.functions import ExtractYear
from django.utils import timezone

from cases import policy
from cases.models.sharing import TLP, Distribution
from monitoring.models import CheckReport, Finding, FindingShare
from reporting import cellkey
from reporting.record import (
    GROUPINGS,
    PERCENTILES,
    _Cell,
    _cell,
    _percentile_sql,
    _sort_key,
    compliance_records,
)

from .test_compliance_record import MA, NT, check, instrument, lapse, make_case

pytestmark = pytest.mark.django_db

ALL_GROUPINGS = [(), *[g for n in range(1, 5) for g in combinations(tuple(GROUPINGS), n)]]
FT = "fair_trial"
O = Finding.Outcome  # noqa: E741


def counted(user):
    """What counts for `user`, from the visibility rule of findings itself: what it may see,
    plus what owners share as aggregates only (for a member of an organisation)."""
    seen = policy.restrict(Finding.objects.all(), user).values("pk")
    aggregate = Q(distribution=Distribution.AGGREGATE_ONLY) if policy.roles(user) else Q(pk=None)
    return Finding.objects.filter(Q(pk__in=seen) | aggregate)


def percentile(days: list[int], percent: int) -> float | None:
    """The `percent`th percentile of `days` as Python's statistics module gives it, to one
    decimal; the database works it out on its own."""
    if not days:
        return None
    if len(days) == 1:
        return float(days[0])
    return round(statistics.quantiles(days, n=100, method="inclusive")[percent - 1], 1)


def from_scratch(user, grouping: tuple, filters: dict) -> list[dict]:
    keys = cellkey.RecordKeys()
    waits = {}
    for row in (CheckReport.objects.filter(access=CheckReport.Access.GRANTED,
                                           case__surrender_date__isnull=False)
                .values("case_id", "case__surrender_date").annotate(first=Min("checked_at"))):
        waits[row["case_id"]] = max((row["first"].date() - row["case__surrender_date"]).days, 0)
    sets = defaultdict(lambda: {"cases": set(), "reports": set(), "refused": set(),
                                "outcomes": defaultdict(set)})
    rows = counted(user).filter(**filters).annotate(year=ExtractYear("observed_at")).values(
        "case__requesting_state_id", "case__legal_instrument_id", "assurance__type", "year",
        "case_id", "report_id", "report__access", "outcome", "id")
    for row in rows:
        key = tuple(row[GROUPINGS[name]] for name in grouping)
        cell = sets[key]
        cell["cases"].add(row["case_id"])
        cell["outcomes"][row["outcome"]].add(row["id"])
        if row["report_id"] is not None:
            cell["reports"].add(row["report_id"])
            if row["report__access"] == CheckReport.Access.REFUSED:
                cell["refused"].add(row["report_id"])

    def counted_keys(ids) -> tuple[int, int]:
        return len(ids), keys.cell_key(str(i) for i in ids)

    out = []
    for key, found in sorted(sets.items(), key=lambda item: _sort_key(item[0])):
        cell = _Cell()
        cell.cases, cell.reports = counted_keys(found["cases"]), counted_keys(found["reports"])
        cell.refused = counted_keys(found["refused"])
        cell.without_access = counted_keys({c for c in found["cases"] if c not in waits})
        cell.outcomes = {o: counted_keys(ids) for o, ids in found["outcomes"].items()}
        days = sorted(waits[c] for c in found["cases"] if c in waits)
        cell.p50, cell.p90 = percentile(days, 50), percentile(days, 90)
        out.append(_cell(dict(zip(grouping, key, strict=True)), cell))
    return out


def assert_same(users, filters=({},)):
    for user in users:
        for f in filters:
            assert compliance_records(user, ALL_GROUPINGS, filters=f) == [
                from_scratch(user, g, f) for g in ALL_GROUPINGS], (user, f)


def random_world(w, rng: random.Random) -> list:
    orgs = [(w.ngo_fr, w.fr_caseworker), (w.ministry_de, w.de_caseworker),
            (w.ngo_it, w.it_caseworker)]
    treaties = [instrument("FR"), instrument("IT"), None]
    cases = []
    for _ in range(24):
        owner, author = rng.choice(orgs)
        sharing = rng.choice(["organisation", "network", "group", "red"])
        extra = {"organisation": {}, "network": {"distribution": Distribution.NETWORK,
                                                 "tlp": TLP.GREEN},
                 "group": {"distribution": Distribution.SHARING_GROUP, "group": w.fr_de_group,
                           "tlp": TLP.GREEN},
                 "red": {"tlp": TLP.RED}}[sharing]
        if sharing == "group" and owner == w.ngo_it:
            extra = {}
        surrender = datetime.date(2024, 1, 1) + datetime.timedelta(rng.randrange(500))
        case = make_case(owner, state=rng.choice(["CN", "CN", "RU", "VN"]),
                         instrument=rng.choice(treaties), surrender=surrender,
                         types=(MA, NT, FT)[:rng.randint(1, 3)], **extra)
        if sharing == "red" and rng.random() < 0.5:
            case.named_recipients.add(author)
        cases.append((case, author))
        for _ in range(rng.randint(0, 4)):
            add_check(case, author, rng)
        if rng.random() < 0.3:
            lapse(case, rng.randrange(1, 400))
    return cases


def add_check(case, author, rng: random.Random) -> None:
    access = rng.choice([CheckReport.Access.GRANTED] * 3 + [CheckReport.Access.REFUSED])
    types = list(case.assurances.values_list("type", flat=True))
    outcomes = {t: rng.choice(O.values) for t in rng.sample(types, rng.randint(1, len(types)))}
    narrower = rng.choice([None, None, Distribution.AGGREGATE_ONLY, Distribution.ORGANISATION])
    check(case, rng.randrange(0, 400), outcomes, author=author, access=access,
          distribution=narrower if case.distribution != Distribution.ORGANISATION or
          narrower == Distribution.AGGREGATE_ONLY else None)


def random_changes(w, cases, rng: random.Random) -> None:
    """New checks, findings withdrawn to their owner or shared as aggregates only, re-shares
    made and withdrawn."""
    for case, author in rng.sample(cases, 8):
        add_check(case, author, rng)
    findings = list(Finding.objects.order_by("pk"))
    for finding in rng.sample(findings, min(6, len(findings))):
        finding.distribution = rng.choice([Distribution.ORGANISATION,
                                           Distribution.AGGREGATE_ONLY])
        finding.sharing_group = None
        finding.save(update_fields=["distribution", "sharing_group"])
    shareable = [f for f in findings if f.distribution in (Distribution.NETWORK,
                                                           Distribution.SHARING_GROUP)]
    for finding in rng.sample(shareable, min(6, len(shareable))):
        FindingShare.objects.create(
            finding=finding, organisation=w.ministry_de, created_by=w.de_caseworker,
            distribution=Distribution.NETWORK,
            withdrawn_at=timezone.now() if rng.random() < 0.3 else None)


def test_the_counted_record_equals_counting_from_scratch(world, settings):
    w = world
    rng = random.Random(17)
    users = [w.fr_caseworker, w.de_caseworker, w.it_caseworker, w.fr_auditor]
    filters = ({}, {"case__requesting_state_id": "CN"}, {"assurance__type": NT},
               {"observed_at__date__gte": datetime.date(2025, 1, 1)})
    cases = random_world(w, rng)
    assert Finding.objects.count() > 60
    by_state = compliance_records(w.de_caseworker, [("requesting_state",)])[0]
    assert any(not cell["suppressed"] for cell in by_state)
    assert FindingShare.objects.exists() is False
    assert_same(users, filters)

    random_changes(w, cases, rng)
    assert FindingShare.objects.filter(withdrawn_at__isnull=True).exists()
    assert_same(users, filters)

    settings.CELL_KEY_SECRET = "another secret"
    assert cellkey.rebuild_record_keys()["finding"] == Finding.objects.count()
    assert_same(users)


def test_each_record_keeps_the_key_derived_from_its_id(world):
    case = make_case(world.ngo_fr, surrender=datetime.date(2025, 1, 1))
    check(case, 3, {NT: O.COMPLIED}, author=world.fr_caseworker)
    keys = cellkey.RecordKeys()
    for record in (case, CheckReport.objects.get(case=case), Finding.objects.get(case=case)):
        record.refresh_from_db()
        assert record.record_key == keys[str(record.pk)]


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 23, 101])
def test_the_databases_percentiles_are_pythons(size):
    """The percentiles the database works out, on days with ties and gaps, are those of
    `statistics.quantiles`, to the last decimal."""
    rng = random.Random(size)
    days = [rng.choice([0, 0, rng.randrange(400)]) for _ in range(size)]
    rows = " UNION ALL ".join(["SELECT CAST(%s AS INTEGER) AS days"] * size)
    sql = (f"WITH d AS ({rows}), ranked AS (SELECT days, ROW_NUMBER() OVER (ORDER BY days) - 1 "
           "AS k, COUNT(*) OVER () AS n FROM d) SELECT "
           + ", ".join(_percentile_sql(percent) for percent in PERCENTILES.values())
           + " FROM ranked")  # noqa: S608 - the record's own SQL
    with connection.cursor() as cursor:
        cursor.execute(sql, days)
        found = [round(value / 100, 1) for value in cursor.fetchone()]
    assert found == [percentile(sorted(days), percent) for percent in PERCENTILES.values()]
