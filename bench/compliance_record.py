"""Benchmark of the compliance record (GET /api/v1/compliance/) and the risk brief, on PostgreSQL.

    .venv/bin/python bench/compliance_record.py [--organisations 50] [--cases 20000]
                                                [--findings 500000] [--repeat 3] [--profile]
                                                [--explain]

It drops and recreates its own database (BENCH_DATABASE_URL, by default
postgres://postgres@127.0.0.1:5432/em_bench_record), migrates it, seeds it with bulk inserts,
then calls the real API views (DRF request factory, the response rendered to JSON) as a
caseworker of one organisation: the record under several groupings and filters, then the risk
brief of a case of that organisation awaiting the executive decision on a surrender to China.

The data: organisations of several states, sharing groups between them, cases toward ten
requesting states (most toward China) under the treaties of the reference data or ad hoc
assurances, each with two to five assurances; check reports with access granted, delayed or
refused, one finding per assurance checked, and lapses of monitoring. Cases are kept to their
owner, shared with a group, network-wide or counted in aggregates only; a share of findings is
narrower than their case (kept to the owner, or aggregate only); some findings are passed on by
recipients.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import random
import statistics
import time
import uuid
from collections import defaultdict

import _common
from _common import (
    BATCH,
    DAY,
    database_url,
    machine_line,
    migrate_and_seed,
    pick,
    recreate_database,
    setup_django,
    summary,
    write_json,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/em_bench_record"
CHUNK = 500  # cases generated and inserted at a time

# The shape of the data (weights).
REQUESTING = {"CN": 55, "RU": 10, "TR": 8, "IN": 6, "EG": 5, "VN": 4, "AE": 4, "BY": 3,
              "TJ": 3, "US": 2}
REQUESTED = ["FR", "DE", "BE", "IT", "ES", "NL", "SE", "PL", "AT", "PT", "GB", "CY", "BG"]
STATUS = {"monitoring_active": 60, "monitoring_closed": 28, "surrendered": 3,
          "assurances_requested": 3, "assurances_assessed": 3, "executive_decision": 3}
DISTRIBUTION = {"organisation": 50, "sharing_group": 20, "network": 10, "aggregate_only": 20}
ASSURANCE_TYPES = {"monitoring_access": 85, "no_torture": 90, "fair_trial": 60,
                   "detention_conditions": 50, "no_death_penalty": 45, "lawyer_access": 30,
                   "family_contact": 20, "speciality": 15}
ACCESS = {"granted": 82, "delayed": 6, "refused": 12}
OUTCOME_WHEN_SEEN = {"complied": 60, "complied_with_concerns": 15, "partial": 8,
                     "unverifiable": 7, "allegation_pending": 4, "breach": 4,
                     "access_delayed": 2}
NARROWER_FINDING = 0.10  # of findings of a shared case: kept to the owner or aggregate only
AGGREGATE_FINDING = 0.15  # of findings of a case kept to its owner: counted in aggregates
LAPSE = 0.03  # of findings: a lapse of monitoring (no report)
GROUPS = 15
RESHARES = 2000
# Medians of the measures before the record was counted in the database (reading every counted
# finding into Python), on the default data, this 2-CPU machine, 2026-12-03.
BASELINE = {
    "record (by requesting_state)": 4.471, "record by state, assurance type": 4.514,
    "record by state, instrument": 4.393, "record by state, year": 4.506,
    "record by all four": 4.927, "record CN, no_torture, by year": 1.311,
    "risk brief (CN, executive decision)": 5.399,
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--organisations", type=int, default=50)
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--findings", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measure")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the data")
    parser.add_argument("--profile", action="store_true",
                        help="print the top functions (cProfile) of each measure's first run")
    parser.add_argument("--explain", action="store_true",
                        help="print EXPLAIN ANALYZE of the record's statements")
    parser.add_argument("--reuse", action="store_true",
                        help="measure again on what the last run seeded (its sizes: the "
                             "database's, not the arguments')")
    parser.add_argument("--json", metavar="PATH",
                        help="also write the figures to PATH (bench/growth.py reads them)")
    args = parser.parse_args(argv)
    if args.organisations < 3 or args.cases < 100 or args.findings < args.cases:
        parser.error("give at least 3 organisations, 100 cases and a finding per case")
    return args


# --- database and Django ---------------------------------------------------------------------


# --- seeding ---------------------------------------------------------------------------------


class Seeder:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)  # noqa: S311 - test data, not secrets
        self.today = datetime.date.today()
        self.counts: dict[str, int] = defaultdict(int)
        self.pending: dict[type, list] = defaultdict(list)

    def flush(self, model=None, force=False) -> None:
        for m in [model] if model else list(self.pending):
            rows = self.pending[m]
            if rows and (force or len(rows) >= BATCH):
                if m._meta.label == "cases.Subject":
                    self.keys_of(rows)
                m.objects.bulk_create(rows, batch_size=BATCH)
                if m._meta.label == "cases.Subject":
                    self.names_of(rows)
                self.counts[m._meta.model_name] += len(rows)
                self.pending[m] = []

    @staticmethod
    def keys_of(subjects) -> None:
        """Data keys for new subjects, in bulk (saving one by one would make each its own)."""
        import uuid

        from cases import crypto, keyring
        from cases.models import DataKey

        keys = []
        for subject in subjects:
            key_id, key = uuid.uuid4(), crypto.new_data_key()
            kek, wrapped = crypto.wrap(key_id, key)
            keys.append(DataKey(id=key_id, kek=kek, wrapped=wrapped))
            keyring.remember(key_id, key)
            subject.data_key = keys[-1]
        DataKey.objects.bulk_create(keys, batch_size=BATCH)

    @staticmethod
    def names_of(subjects) -> None:
        """The name index of new subjects, as saving each would write it."""
        from cases import crypto
        from cases.models import SubjectNameDigest

        SubjectNameDigest.objects.bulk_create(
            [SubjectNameDigest(subject=s, digest=d) for s in subjects
             for d in crypto.subject_digests(s.full_name, s.other_names)], batch_size=BATCH)

    def add(self, row) -> None:
        self.pending[type(row)].append(row)

    def organisations(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.hashers import make_password

        from cases.models import (
            LegalInstrument,
            Membership,
            Organisation,
            SharingGroup,
            SharingGroupMembership,
        )

        rng = self.rng
        kinds = [Organisation.Kind.NGO, Organisation.Kind.MINISTRY, Organisation.Kind.EMBASSY]
        self.orgs = Organisation.objects.bulk_create(
            Organisation(slug=f"bench-{k:02d}", name=f"Monitoring organisation {k:02d}",
                         kind=kinds[k % 3], country_id=REQUESTED[k % len(REQUESTED)])
            for k in range(self.args.organisations)
        )
        user_model = get_user_model()
        unusable = make_password(None)
        roles = ["caseworker", "liaison", "auditor", "org_admin"]
        users = user_model.objects.bulk_create(
            user_model(username=f"{org.slug}.{role}", email=f"{org.slug}.{role}@bench.invalid",
                       password=unusable)
            for org in self.orgs for role in roles
        )
        Membership.objects.bulk_create(
            Membership(user=user, organisation=self.orgs[i // len(roles)],
                       role=roles[i % len(roles)])
            for i, user in enumerate(users)
        )
        self.users = {(u.username.split(".")[0], u.username.split(".")[1]): u.pk for u in users}
        groups = SharingGroup.objects.bulk_create(
            SharingGroup(name=f"Group {g:02d}", owner=rng.choice(self.orgs)) for g in range(GROUPS)
        )
        self.groups_of: dict[int, list[int]] = defaultdict(list)  # organisation -> groups
        self.members: dict[int, list[int]] = defaultdict(list)  # group -> organisations
        rows = []
        for group in groups:
            others = rng.sample([o for o in self.orgs if o.pk != group.owner_id],
                                rng.randint(3, 9))
            for org in [group.owner, *others]:
                rows.append(SharingGroupMembership(group=group, organisation=org))
                self.groups_of[org.pk].append(group.pk)
                self.members[group.pk].append(org.pk)
        SharingGroupMembership.objects.bulk_create(rows)
        self.counts.update(organisations=len(self.orgs), users=len(users), groups=len(groups))
        self.instruments = defaultdict(list)  # (requested state, requesting state) -> ids
        for pk, a, b in LegalInstrument.objects.values_list("pk", "party_a_id", "party_b_id"):
            self.instruments[a, b].append(pk)
            self.instruments[b, a].append(pk)

    def findings_per_case(self) -> list[int]:
        """How many findings each monitored case gets: skewed, summing to --findings."""
        monitored = [i for i, s in enumerate(self.statuses)
                     if s in ("monitoring_active", "monitoring_closed")]
        weights = [self.rng.lognormvariate(0, 0.6) for _ in monitored]
        total = sum(weights)
        counts = [0] * len(self.statuses)
        for i, w in zip(monitored, weights, strict=True):
            counts[i] = max(1, round(self.args.findings * w / total))
        # Land exactly on the total.
        diff = self.args.findings - sum(counts)
        step = 1 if diff > 0 else -1
        while diff:
            i = self.rng.choice(monitored)
            if counts[i] + step >= 1:
                counts[i] += step
                diff -= step
        return counts

    def organisations_and_cases(self) -> None:
        """Everything: the organisations and their people, then the cases and findings."""
        self.organisations()
        self.seed()

    def seed(self) -> None:
        from cases.models import Assurance, Case, Subject
        from monitoring.models import CheckReport, Finding, FindingShare, FollowUp

        rng, today = self.rng, self.today
        n = self.args.cases
        self.statuses = [pick(rng, STATUS) for _ in range(n)]
        per_case = self.findings_per_case()
        self.shareable = []  # (finding id, its group, owner) that recipients may pass on
        self.decision_cases: list[tuple[uuid.UUID, int, str]] = []
        now = datetime.datetime.now(datetime.UTC)
        # A few large organisations and a long tail of small ones.
        org_weights = list(itertools.accumulate(1 / (k + 1) ** 0.8 for k in range(len(self.orgs))))
        for i in range(n):
            org = rng.choices(self.orgs, cum_weights=org_weights)[0]
            status = self.statuses[i]
            state = pick(rng, REQUESTING)
            requested = org.country_id
            instruments = self.instruments.get((requested, state))
            distribution = pick(rng, DISTRIBUTION)
            group = None
            if distribution == "sharing_group":
                if self.groups_of[org.pk]:
                    group = rng.choice(self.groups_of[org.pk])
                else:
                    distribution = "organisation"
            tlp = {"organisation": rng.choice(["amber", "amber", "amber_strict", "red"]),
                   "sharing_group": rng.choice(["amber", "green"]),
                   "network": rng.choice(["green", "clear"]),
                   "aggregate_only": rng.choice(["amber", "amber_strict"])}[distribution]
            monitored = status in ("monitoring_active", "monitoring_closed", "surrendered")
            surrender = (today - DAY * rng.randint(30, 3650)) if monitored else None
            subject = Subject(owner=org, full_name=f"Bench person {i}",
                              reference=f"SUBJ-B{i:07d}")
            case = Case(
                owner=org, subject=subject, reference=f"B-{i:07d}", requesting_state_id=state,
                requested_state_id=requested, channel="extradition",
                legal_instrument_id=rng.choice(instruments) if instruments and rng.random() < 0.7
                else None,
                surrender_date=surrender, status=status, distribution=distribution,
                sharing_group_id=group, tlp=tlp,
                shared_at=now if distribution in ("sharing_group", "network") else None,
            )
            self.add(subject)
            self.add(case)
            if status in ("assurances_requested", "assurances_assessed", "executive_decision"):
                self.decision_cases.append((case.pk, org.pk, state))
            types = [t for t, w in ASSURANCE_TYPES.items() if rng.random() * 100 < w]
            if len(types) < 2:
                types = ["no_torture", "monitoring_access"]
            assurances = []
            for kind in types:
                assurance = Assurance(
                    case=case, type=kind, verbatim_text="The requesting state guarantees ...",
                    form="diplomatic_note", issuer="Ministry of Foreign Affairs",
                    issuer_level="central_government",
                    death_penalty_scope="not_imposed" if kind == "no_death_penalty" else "",
                )
                assurances.append(assurance)
                self.add(assurance)
            if per_case[i]:
                self.checks(case, org, assurances, per_case[i], now)
            if (i + 1) % CHUNK == 0:
                for model in (Subject, Case, Assurance, FollowUp, CheckReport, Finding):
                    self.flush(model, force=True)
        for model in (Subject, Case, Assurance, FollowUp, CheckReport, Finding):
            self.flush(model, force=True)
        # Recipients pass some findings on to their own groups or the network.
        author = {org: self.users[org, "liaison"] for org in {o.slug for o in self.orgs}}
        slug = {o.pk: o.slug for o in self.orgs}
        for finding_id, group, owner in rng.sample(self.shareable,
                                                   min(RESHARES, len(self.shareable))):
            recipients = [o for o in self.members[group] if o != owner]
            if not recipients:
                continue
            by = rng.choice(recipients)
            own_groups = self.groups_of[by]
            to_group = own_groups and rng.random() < 0.7
            self.add(FindingShare(
                finding_id=finding_id, organisation_id=by,
                distribution="sharing_group" if to_group else "network",
                sharing_group_id=rng.choice(own_groups) if to_group else None,
                created_by_id=author[slug[by]],
            ))
        self.flush(FindingShare, force=True)

    def checks(self, case, org, assurances, wanted: int, now) -> None:
        from monitoring.models import CheckReport, FollowUp

        rng = self.rng
        author = self.users[org.slug, "caseworker"]
        day_zero = datetime.datetime.combine(case.surrender_date, datetime.time(10),
                                             tzinfo=datetime.UTC)
        span = max((now - day_zero).days - 1, 1)
        per_report = max(1.0, len(assurances) * 0.6)
        reports = max(1, round(wanted / per_report))
        first = min(rng.expovariate(1 / 14), span / 2)
        step = (span - first) / reports
        access_assurance = next((a for a in assurances if a.type == "monitoring_access"), None)
        made, k = 0, 0
        while made < wanted:
            at = day_zero + DAY * (first + step * k + rng.uniform(0, step * 0.3))
            at = min(at, now - DAY)
            k += 1
            moments = {"window_opens_at": at - 7 * DAY, "due_at": at, "due_soon_at": at - 10 * DAY,
                       "escalate_at": at + 7 * DAY, "missed_at": at + 14 * DAY}
            if rng.random() < LAPSE:
                follow_up = FollowUp(case=case, kind="cadence", status="missed", **moments)
                self.add(follow_up)
                self.finding(case, access_assurance, None, follow_up, "monitoring_lapsed", at,
                             is_open=rng.random() < 0.5)
                made += 1
                continue
            follow_up = FollowUp(case=case, kind="cadence" if k > 1 else "first_visit",
                                 status="completed", completed_at=at, **moments)
            access = pick(rng, ACCESS)
            report = CheckReport(
                follow_up=follow_up, case=case, checked_at=at, access=access,
                access_delay_hours=rng.randint(2, 96) if access == "delayed" else None,
                refusal_reason="None given" if access == "refused" else "",
                privacy="private", created_by_id=author,
            )
            self.add(follow_up)
            self.add(report)
            checked = rng.sample(assurances, min(len(assurances), wanted - made,
                                                 max(1, round(rng.gauss(per_report, 1)))))
            for assurance in checked:
                if access == "refused":
                    outcome = ("access_denied" if assurance.type == "monitoring_access"
                               else "unverifiable")
                elif access == "delayed" and assurance.type == "monitoring_access":
                    outcome = "access_delayed"
                else:
                    outcome = pick(rng, OUTCOME_WHEN_SEEN)
                self.finding(case, assurance, report, follow_up, outcome, at,
                             is_open=k >= reports - 1 or outcome in ("breach", "access_denied"))
                made += 1

    def finding(self, case, assurance, report, follow_up, outcome, at, *, is_open) -> None:
        from monitoring.models import Finding

        rng = self.rng
        distribution, group, tlp = case.distribution, case.sharing_group_id, case.tlp
        if distribution in ("sharing_group", "network") and rng.random() < NARROWER_FINDING:
            distribution, group = rng.choice(["organisation", "aggregate_only"]), None
        elif distribution == "organisation" and rng.random() < AGGREGATE_FINDING:
            distribution, tlp = "aggregate_only", "amber"
        finding = Finding(
            case=case, assurance=assurance, report=report, follow_up=follow_up, outcome=outcome,
            severity="medium", confidence="medium", evidence_summary="", is_open=is_open,
            distribution=distribution, sharing_group_id=group, tlp=tlp, observed_at=at,
            shared_at=at if distribution in ("sharing_group", "network") else None,
        )
        self.add(finding)
        if distribution == "sharing_group" and tlp in ("green", "clear"):
            self.shareable.append((finding.pk, group, case.owner_id))
        self.flush(Finding)


# --- measuring -------------------------------------------------------------------------------


def call(view, path: str, params: dict, username: str, **kwargs):
    """One request through the real view, authenticated as `username`, rendered to JSON."""
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIRequestFactory, force_authenticate

    user = get_user_model().objects.get(username=username)  # as the authentication does
    request = APIRequestFactory().get(path, params)
    force_authenticate(request, user=user)
    response = view(request, **kwargs)
    response.render()
    assert response.status_code == 200, response.content[:500]
    return response


def measure(name, fn, repeat: int, profile: bool):
    """`repeat` runs of `fn`, the first one profiled if asked for."""
    runs = [_common.measure(name, fn, profile=profile and r == 0, keep=True)
            for r in range(repeat)]
    return {"name": name, "runs": [(m.wall, m.meter) for m in runs],
            "response": runs[-1].result, "profile": runs[0].profile}


def explain(user) -> list[str]:
    """EXPLAIN ANALYZE of the record's counting statement for `user`, by requesting state."""
    from reporting.record import counting_statement

    connection, sql, params = counting_statement(user, [("requesting_state",)])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return [row[0] for row in cursor.fetchall()]


def seeded():
    """With --reuse: what the last run seeded, read back from the database."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from cases.models import Assurance, Case, Organisation, SharingGroup
    from monitoring.models import CheckReport, Finding, FindingShare, FollowUp

    counts = {m._meta.model_name: m.objects.count() for m in (
        Case, Assurance, FollowUp, CheckReport, Finding, FindingShare)}
    counts.update(organisations=Organisation.objects.count(),
                  users=get_user_model().objects.count(), groups=SharingGroup.objects.count())
    decisions = Case.objects.filter(status__in=(
        "assurances_requested", "assurances_assessed", "executive_decision"))
    # In the order they were seeded, as the seeder lists them.
    decision_cases = list(decisions.order_by("reference").values_list(
        "pk", "owner_id", "requesting_state_id"))
    slugs = dict(Organisation.objects.values_list("pk", "slug"))
    assert decisions.aggregate(n=Count("pk"))["n"], "nothing seeded: run once without --reuse"
    return counts, None, decision_cases, slugs


def main(argv=None) -> None:
    args = parse_args(argv)
    url = database_url(DEFAULT_DATABASE_URL)
    started = time.perf_counter()
    name = url.rsplit("/", 1)[-1] if args.reuse else recreate_database(url)
    setup_django(url)

    from django.contrib.auth import get_user_model

    from monitoring.models import Finding
    from reporting.api.views import ComplianceRecordView, RiskBriefView
    from reporting.record import counted_findings

    if args.reuse:
        counts, seeding, decision_cases, slugs = seeded()
    else:
        seeder = Seeder(args)
        _, seeding = migrate_and_seed(seeder.organisations_and_cases)
        counts, decision_cases = seeder.counts, seeder.decision_cases
        slugs = {o.pk: o.slug for o in seeder.orgs}

    # The caller: a caseworker of the organisation with the most decisions pending on China.
    pending = defaultdict(list)
    for case_id, org_id, state in decision_cases:
        if state == "CN":
            pending[org_id].append(case_id)
    org_id = max(pending, key=lambda o: len(pending[o]))
    username = f"{slugs[org_id]}.caseworker"
    user = get_user_model().objects.get(username=username)
    counted = counted_findings(user).count()
    aggregate_only = Finding.objects.filter(distribution="aggregate_only").count()
    own = Finding.objects.filter(case__owner_id=org_id).count()

    record_view = ComplianceRecordView.as_view()
    brief_view = RiskBriefView.as_view()
    path = "/api/v1/compliance/"
    choices = [
        ("record (by requesting_state)", {}),
        ("record by state, assurance type", {"group_by": ["requesting_state", "assurance_type"]}),
        ("record by state, instrument", {"group_by": ["requesting_state", "legal_instrument"]}),
        ("record by state, year", {"group_by": ["requesting_state", "year"]}),
        ("record by all four", {"group_by": ["requesting_state", "legal_instrument",
                                             "assurance_type", "year"]}),
        ("record CN, no_torture, by year", {"requesting_state": "CN",
                                            "assurance_type": "no_torture",
                                            "group_by": ["year"]}),
    ]
    results = []
    for label, params in choices:
        results.append(measure(label, lambda p=params: call(record_view, path, p, username),
                               args.repeat, args.profile))
    # Its first such case it sees (not one of TLP:RED that names other people).
    from cases import policy
    from cases.models import Case

    visible = set(policy.restrict(Case.objects.filter(pk__in=pending[org_id]), user)
                  .values_list("pk", flat=True))
    case_id = next(pk for pk in pending[org_id] if pk in visible)
    results.append(measure(
        "risk brief (CN, executive decision)",
        lambda: call(brief_view, f"/api/v1/cases/{case_id}/risk-brief/", {}, username,
                     pk=case_id),
        args.repeat, args.profile))
    total_s = time.perf_counter() - started

    # --- the table ---------------------------------------------------------------------------
    import json

    c = counts
    print("\nExtradition Monitor: compliance record benchmark")
    print("=" * 100)
    print(f"{'machine':<18} {machine_line()}")
    print(f"{'database':<18} {name} (dropped and recreated)")
    print(f"data               {c['organisations']} organisations, {c['users']} users, "
          f"{c['groups']} sharing groups, {c['case']:,} cases, {c['assurance']:,} assurances,")
    print(f"                   {c['followup']:,} follow-ups, {c['checkreport']:,} check reports, "
          f"{c['finding']:,} findings ({aggregate_only:,} aggregate only), "
          f"{c['findingshare']:,} re-shares")
    print(f"seeding            {seeding or 'reused'}")
    print(f"caller             {username}: its organisation owns {own:,} findings; "
          f"{counted:,} findings count in its record")
    print("-" * 100)
    print(f"{'':<38}{'first (s)':>10}{'best (s)':>10}{'median':>9}{'queries':>9}"
          f"{'in DB (s)':>11}  cells")
    for m in results:
        walls = [w for w, _ in m["runs"]]
        data = json.loads(m["response"].content)
        cells = len(data) if isinstance(data, list) else (
            f"{len(data['record_by_assurance_type'])} + {len(data['earlier_surrenders'])} "
            "earlier surrenders")
        counts = {meter.count for _, meter in m["runs"]}
        print(f"{m['name']:<38}{walls[0]:>10.3f}{min(walls):>10.3f}"
              f"{statistics.median(walls):>9.3f}{'/'.join(map(str, sorted(counts))):>9}"
              f"{min(mt.seconds for _, mt in m['runs']):>11.3f}  {cells}")
    print("-" * 100)
    brief = json.loads(results[-1]["response"].content)
    shown = sum(1 for row in brief["earlier_surrenders"] if row["reference"])
    print(f"risk brief: {len(brief['earlier_surrenders'])} earlier surrenders to CN listed "
          f"({shown} by reference, {len(brief['earlier_surrenders']) - shown} counted in "
          f"aggregates only)")
    print("slowest statements of each measure's best run:")
    for m in results:
        best = min(m["runs"], key=lambda run: run[0])[1]
        top = sorted(best.statements, key=lambda s: s[0], reverse=True)[:3]
        print(f"  {m['name']}: " + "; ".join(
            f"{e:.3f} s {sql.split(' FROM ', 1)[0][:60]}..." for e, sql, _ in top))
    print("-" * 100)
    print("each measure beside its baseline (the median before the record was counted in the "
          "database, this machine,\n2026-12-03, JIT on) and its target; ratio: wall time to the "
          "time inside the database")
    for m in results:
        median = statistics.median(w for w, _ in m["runs"])
        in_db = statistics.median(mt.seconds for _, mt in m["runs"])
        before = BASELINE.get(m["name"])
        target = 0.300 if m["name"].startswith("risk brief") else 0.150
        print(f"  {m['name']:<38} {median * 1000:>7.0f} ms  baseline "
              f"{before * 1000 if before else float('nan'):>6.0f} ms "
              f"(x{before / median if before else float('nan'):.1f} faster)  target "
              f"{target * 1000:.0f} ms {'met' if median <= target else 'not met'}  "
              f"ratio {median / in_db:.2f}")
    if args.json:
        write_json(args.json, rows={"findings": c["finding"], "counted findings": counted},
                   measures={m["name"]: summary(m["runs"]) for m in results})
    if args.explain:
        print("-" * 100)
        print("EXPLAIN ANALYZE of the counting statement, by requesting state:")
        for line in explain(user):
            print("  " + line)
    if args.profile:
        for m in results:
            print("-" * 100)
            print(f"profile of {m['name']} (first run), top 15 by cumulative time")
            m["profile"].sort_stats("cumulative").print_stats(15)
    print(f"\ntotal run {time.perf_counter() - started:.1f} s (measures "
          f"{total_s - (seeding.total if seeding else 0):.1f} s)")


if __name__ == "__main__":
    main()
