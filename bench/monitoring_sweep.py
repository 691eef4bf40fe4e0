"""Benchmark of the reminder sweep and of notification delivery, on PostgreSQL.

    .venv/bin/python bench/monitoring_sweep.py [--cases 10000] [--follow-ups 200000]
                                               [--notifications 10000]

It drops and recreates its own database (BENCH_DATABASE_URL, by default
postgres://postgres@127.0.0.1:5432/em_bench), migrates it, seeds it with bulk inserts, then
measures with the real code: `monitoring.sweep.sweep()` twice (the second run finds nothing left
to do) and `monitoring.delivery.deliver_pending()` over the pending notifications. E-mail goes
to Django's in-memory backend, so the figures are the application's and the database's, not a
mail server's.

The seeded state is the one a sweep `--since-last-sweep` hours earlier left behind (statuses,
alert stages, escalations and silence deadlines as that sweep set them), so the measured sweep
does the work that piled up since: by default a week of downtime.
"""

from __future__ import annotations

import argparse
import datetime
import random
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from _common import (
    BATCH,
    DAY,
    database_url,
    load_average,
    machine_facts,
    measure,
    migrate_and_seed,
    n,
    print_breakdown,
    print_profile,
    recreate_database,
    setup_django,
    summary,
    write_json,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/em_bench"

# The shape of the data. Fractions are of cases unless said otherwise.
ORGANISATIONS = 20
ROLES = {"caseworker": 5, "liaison": 2, "auditor": 1, "org_admin": 2}
LATE = 0.06  # the current check was not done on time: overdue, escalation due, or missed
HEARING = 0.10  # a hearing coming within 60 days: attendance and a check after it
CANCELLED = 0.04  # one regular check cancelled by a change of custody phase
EARLIER_LAPSE = 0.03  # one earlier check missed
NO_ACCESS_LAST = 0.05  # the last check had no access: silence counts from the one before
INTENSIVE = 0.15  # intensive rather than standard cadence
MONITORING_ACCESS = 0.85  # the case has a monitoring-access assurance
UNASSIGNED = 0.03  # of follow-ups: no assignee
DEPARTED = 0.02  # of follow-ups: the assignee has left (inactive account)
RED = 0.02  # TLP:RED, seen only by named people
IN_GROUP = 0.10  # shared with a sharing group (owners in the group)
NETWORK = 0.05  # shared network-wide
EMAIL_OFF = 0.10  # of users: no e-mail for "due soon"
PHASES = {  # custody phase: weight
    "initial_custody": 5,
    "pre_trial_detention": 25,
    "trial": 10,
    "sentence_first_year": 25,
    "sentence": 30,
    "released": 5,
}
REQUESTING = ["CN", "RU", "TR", "IN", "US", "AE", "BY", "TJ", "EG", "VN"]
REQUESTED = ["FR", "DE", "BE", "IT", "ES", "NL", "SE", "PL", "AT", "PT"]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--follow-ups", type=int, default=200_000)
    parser.add_argument("--notifications", type=int, default=10_000,
                        help="how many pending notifications to deliver (topped up if the "
                             "sweep wrote fewer)")
    parser.add_argument("--since-last-sweep", type=float, default=168.0, metavar="HOURS",
                        help="when the previous sweep ran (default 168: a week of downtime; "
                             "0.083 for a routine five-minute sweep)")
    parser.add_argument("--analyze-before-delivery", action="store_true",
                        help="ANALYZE the notification table after the sweeps, so the planner "
                             "knows how many notifications are pending (by default it plans "
                             "with the statistics of the seeded state, an empty outbox)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the data")
    parser.add_argument("--profile", action="store_true",
                        help="also print the top functions (cProfile) of each measure")
    parser.add_argument("--statements", action="store_true",
                        help="also print the first sweep's slowest statements")
    parser.add_argument("--json", metavar="PATH",
                        help="also write the figures to PATH (bench/growth.py reads them)")
    args = parser.parse_args(argv)
    if args.cases < 1 or args.follow_ups < 2 * args.cases:
        parser.error("give at least one case and two follow-ups per case")
    if args.notifications < 0 or args.since_last_sweep < 0:
        parser.error("--notifications and --since-last-sweep are not negative")
    return args


# --- seeding ---------------------------------------------------------------------------------


@dataclass
class Org:
    id: int
    by_role: dict[str, list[int]]
    departed: int


@dataclass
class Rows:
    subjects: list = field(default_factory=list)
    cases: list = field(default_factory=list)
    named: list = field(default_factory=list)
    assurances: list = field(default_factory=list)
    proceedings: list = field(default_factory=list)
    plans: list = field(default_factory=list)
    follow_ups: list = field(default_factory=list)
    notifications: list = field(default_factory=list)


class Seeder:
    def __init__(self, args, now: datetime.datetime):
        from monitoring import cadence
        from monitoring.services import _moments
        from monitoring.sweep import _key

        # The sweep's own rules for alert moments and deduplication keys.
        self._moments = _moments
        self._key = _key
        self.args = args
        self.rng = random.Random(args.seed)  # noqa: S311 - test data, not secrets
        self.now = now
        self.last_sweep = now - datetime.timedelta(hours=args.since_last_sweep)
        self.cadences = {p: cadence.preset(p) for p in ("standard", "intensive")}
        self.counts: dict[str, int] = defaultdict(int)

    # reference rows: organisations, people, sharing group, preferences

    def organisations(self) -> list[Org]:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.hashers import make_password

        from cases.models import (
            Country,
            Membership,
            Organisation,
            SharingGroup,
            SharingGroupMembership,
        )
        from monitoring.models import NotificationPreference

        user_model = get_user_model()
        codes = set(Country.objects.values_list("code", flat=True))
        self.requesting = [c for c in REQUESTING if c in codes]
        self.requested = [c for c in REQUESTED if c in codes]
        unusable = make_password(None)
        kinds = [Organisation.Kind.NGO, Organisation.Kind.MINISTRY, Organisation.Kind.EMBASSY]
        organisations = Organisation.objects.bulk_create(
            Organisation(slug=f"bench-{k:02d}", name=f"Monitoring organisation {k:02d}",
                         kind=kinds[k % len(kinds)], country_id=self.requested[k % len(
                             self.requested)])
            for k in range(ORGANISATIONS)
        )
        users, memberships, plan = [], [], []
        for organisation in organisations:
            for role, count in {**ROLES, "departed": 1}.items():
                for j in range(count):
                    name = f"{organisation.slug}.{role}{j + 1}"
                    users.append(user_model(
                        username=name, email=f"{name}@bench.invalid", password=unusable,
                        is_active=role != "departed",
                    ))
                    plan.append((organisation, "caseworker" if role == "departed" else role))
        users = user_model.objects.bulk_create(users)
        orgs: dict[int, Org] = {}
        for user, (organisation, role) in zip(users, plan, strict=True):
            memberships.append(Membership(user=user, organisation=organisation, role=role))
            org = orgs.setdefault(organisation.pk, Org(organisation.pk, defaultdict(list), 0))
            if user.is_active:
                org.by_role[role].append(user.pk)
            else:
                org.departed = user.pk
        Membership.objects.bulk_create(memberships)
        group = SharingGroup.objects.create(name="Bench monitoring group", owner=organisations[0])
        self.group_members = {o.pk for o in organisations[:5]}
        SharingGroupMembership.objects.bulk_create(
            SharingGroupMembership(group=group, organisation_id=pk) for pk in self.group_members
        )
        self.group_id = group.pk
        NotificationPreference.objects.bulk_create(
            NotificationPreference(user=user, kind="due_soon", email=False)
            for user in users if self.rng.random() < EMAIL_OFF
        )
        self.counts["organisations"] = len(organisations)
        self.counts["users"] = len(users)
        self.counts["memberships"] = len(memberships)
        return list(orgs.values())

    # one case and everything under it

    def moments(self, plan, opens, due) -> dict:
        return self._moments(plan, opens, due)

    def open_state(self, moments: dict) -> dict:
        """Status and alerts of an open follow-up as the previous sweep left them."""
        p = self.last_sweep
        if moments["due_at"] <= p:
            status, stage = "overdue", 3
        elif moments["window_opens_at"] <= p:
            status, stage = "due", 2
        elif moments["due_soon_at"] <= p:
            status, stage = "scheduled", 1
        else:
            status, stage = "scheduled", 0
        return {"status": status, "alert_stage": stage,
                "escalated": moments["escalate_at"] <= p}

    def assignee(self, org: Org) -> int | None:
        r = self.rng.random()
        if r < UNASSIGNED:
            return None
        if r < UNASSIGNED + DEPARTED:
            return org.departed
        return self.rng.choice(org.by_role["caseworker"])

    def case(self, i: int, org: Org, n_follow_ups: int, rows: Rows) -> None:
        from cases.models import Assurance, Case, ProceedingEvent, Subject
        from monitoring.models import FollowUp, MonitoringPlan, Notification

        rng, now = self.rng, self.now
        profile = "intensive" if rng.random() < INTENSIVE else "standard"
        cadence = self.cadences[profile]
        phase = rng.choices(list(PHASES), weights=list(PHASES.values()))[0]
        earliest, latest = cadence["windows"][phase]
        late_by = MonitoringPlan._meta.get_field("missed_after_days").default
        gap = now - self.last_sweep

        # The last check done (its report had access unless NO_ACCESS_LAST): the current
        # regular check's window is counted from it.
        if rng.random() < LATE:
            last = now - latest * DAY - rng.random() * (late_by * DAY + gap)
        else:
            last = now - rng.random() * latest * DAY

        # How the follow-ups of this case divide.
        hearing = n_follow_ups >= 5 and rng.random() < HEARING
        cancelled = n_follow_ups >= 4 and rng.random() < CANCELLED
        lapse = n_follow_ups >= 4 and rng.random() < EARLIER_LAPSE
        completed = n_follow_ups - 1 - 2 * hearing - cancelled - lapse

        subject = Subject(id=uuid.uuid4(), reference=f"SUBJ-B{i:06d}", owner_id=org.id,
                          full_name=f"Bench person {i:06d}", consent_to_record=True)
        rows.subjects.append(subject)
        plan = MonitoringPlan(id=uuid.uuid4(), profile=profile, cadence=cadence,
                              custody_phase=phase)
        fus: list[FollowUp] = []

        def follow_up(kind, opens, due, **extra):
            row = FollowUp(id=uuid.uuid4(), plan=plan, kind=kind,
                           **self.moments(plan, opens, due), **extra)
            fus.append(row)
            return row

        # The current regular check.
        moments = self.moments(plan, last + earliest * DAY, last + latest * DAY)
        follow_up("cadence", moments["window_opens_at"], moments["due_at"],
                  assignee_id=self.assignee(org), **self.open_state(moments))

        # Earlier checks, newest first, each window counted from the check before it.
        checks = [last]
        cursor = last
        lapse_at = rng.randrange(1, completed) if lapse and completed > 1 else None
        for j in range(completed - 1):
            after = cursor - rng.uniform(earliest, latest) * DAY
            fu = follow_up("cadence", after + earliest * DAY, after + latest * DAY,
                           status="completed", completed_at=cursor, alert_stage=2,
                           assignee_id=self.assignee(org))
            if cancelled and j == 0:
                follow_up("cadence", after + earliest * DAY, after + latest * DAY,
                          status="cancelled", alert_stage=1, assignee_id=fu.assignee_id)
            cursor = after
            if j + 1 == lapse_at:
                # The check before was missed: the sweep scheduled the next from its lapse.
                due = after - late_by * DAY
                follow_up("cadence", due - (latest - earliest) * DAY, due, status="missed",
                          alert_stage=3, escalated=True, assignee_id=fu.assignee_id)
                cursor = due - latest * DAY
            checks.append(cursor)
        # The first private visit, within hours of day 0.
        day_zero = datetime.datetime.combine(cursor.date(), datetime.time.min,
                                             tzinfo=datetime.UTC)
        follow_up("first_visit", day_zero,
                  day_zero + datetime.timedelta(hours=cadence["first_visit_hours"]),
                  status="completed", completed_at=cursor, alert_stage=2,
                  assignee_id=self.assignee(org))

        # Distribution of the case.
        r = rng.random()
        if r < RED:
            sharing = {"distribution": "organisation", "tlp": "red"}
        elif r < RED + NETWORK:
            sharing = {"distribution": "network", "tlp": "green"}
        elif r < RED + NETWORK + IN_GROUP and org.id in self.group_members:
            sharing = {"distribution": "sharing_group", "sharing_group_id": self.group_id,
                       "tlp": "amber"}
        else:
            sharing = {"distribution": "organisation", "tlp": "amber"}
        if sharing["distribution"] != "organisation":
            sharing["shared_at"] = day_zero
        case = Case(
            id=uuid.uuid4(), reference=f"BENCH-{day_zero.year}-{i:06d}", owner_id=org.id,
            subject=subject, requesting_state_id=rng.choice(self.requesting),
            requested_state_id=rng.choice(self.requested), channel=Case.Channel.EXTRADITION,
            request_date=(day_zero - rng.randint(200, 900) * DAY).date(),
            arrest_date=(day_zero - rng.randint(150, 190) * DAY).date(),
            decision_date=(day_zero - rng.randint(20, 90) * DAY).date(),
            surrender_date=day_zero.date(), status=Case.Status.MONITORING_ACTIVE,
            status_changed_on=day_zero.date(), **sharing,
        )
        rows.cases.append(case)
        if case.tlp == "red":
            named = org.by_role["caseworker"][:2] + org.by_role["org_admin"][:1]
            rows.named += [Case.named_recipients.through(case_id=case.id, user_id=u)
                           for u in named]
        words = {"verbatim_text": "The person will be visited in private by consular "
                                  "officials and will not be ill-treated.",
                 "form": Assurance.Form.DIPLOMATIC_NOTE, "issuer": "Ministry of Foreign "
                 "Affairs of the requesting state", "issuer_level": "central_government",
                 "given_on": (day_zero - 60 * DAY).date()}
        rows.assurances.append(Assurance(id=uuid.uuid4(), case=case, type="no_torture", **words))
        if rng.random() < MONITORING_ACCESS:
            rows.assurances.append(Assurance(
                id=uuid.uuid4(), case=case, type="monitoring_access",
                monitoring_frequency_days=latest, monitoring_private=True, **words))

        if hearing:
            on = (now + rng.uniform(1, 60) * DAY).date()
            start = datetime.datetime.combine(on, datetime.time.min, tzinfo=datetime.UTC)
            event = ProceedingEvent(id=uuid.uuid4(), case=case, kind="hearing", date=on,
                                    authority="Trial court")
            rows.proceedings.append(event)
            after = cadence["hearing_followup_days"]
            for kind, opens, due, mode in (
                ("hearing", start, start + DAY - datetime.timedelta(seconds=1),
                 "trial_attendance"),
                ("after_hearing", start + DAY, start + (after + 1) * DAY, "visit"),
            ):
                m = self.moments(plan, opens, due)
                follow_up(kind, opens, due, mode=mode, hearing=event,
                          assignee_id=self.assignee(org), **self.open_state(m))

        # The plan: silence counts from the last check with access.
        last_access = checks[1] if rng.random() < NO_ACCESS_LAST and len(checks) > 1 else last
        silence_due = last_access + latest * DAY
        if silence_due <= self.last_sweep:
            silence_due = self.last_sweep + latest * DAY
        plan.case = case
        plan.day_zero = plan.phase_since = day_zero
        plan.last_access_at = last_access
        plan.silence_due_at = silence_due
        rows.plans.append(plan)

        for fu in fus:
            fu.case = case
            # Alerts already sent for this follow-up (history of earlier sweeps).
            # A completed check keeps its "due" alert only, to bound the seeding time.
            if fu.assignee_id is not None and fu.assignee_id != org.departed:
                for stage, kind in ((1, "due_soon"), (2, "due"), (3, "overdue")):
                    if fu.alert_stage >= stage and (fu.status != "completed" or stage == 2):
                        rows.notifications.append(Notification(
                            recipient_id=fu.assignee_id, kind=kind, case=case, follow_up=fu,
                            dedup_key=f"{self._key(kind, fu)}:{fu.assignee_id}",
                            subject=f"[Extradition Monitor] {kind}: {case.reference}",
                            body=f"A follow-up on case {case.reference} ({kind}).",
                            sent_at=min(fu.due_soon_at + stage * DAY, self.last_sweep),
                            attempts=1,
                        ))
        rows.follow_ups += fus

    def seed(self, orgs: list[Org]) -> None:
        from cases.models import Assurance, Case, ProceedingEvent, Subject
        from monitoring.models import FollowUp, MonitoringPlan, Notification

        args = self.args
        base, extra = divmod(args.follow_ups, args.cases)
        chunk = 500
        for start in range(0, args.cases, chunk):
            rows = Rows()
            for i in range(start, min(start + chunk, args.cases)):
                self.case(i, orgs[i % len(orgs)], base + (i < extra), rows)
            for model, objs in (
                (Subject, rows.subjects), (Case, rows.cases),
                (Case.named_recipients.through, rows.named), (Assurance, rows.assurances),
                (ProceedingEvent, rows.proceedings), (MonitoringPlan, rows.plans),
                (FollowUp, rows.follow_ups), (Notification, rows.notifications),
            ):
                model.objects.bulk_create(objs, batch_size=BATCH)
                self.counts[model._meta.model_name] += len(objs)

    def top_up(self, orgs: list[Org], wanted: int) -> int:
        """Pending notifications up to `wanted`, for delivery to measure."""
        from cases.models import Case
        from monitoring.delivery import pending
        from monitoring.models import Notification

        missing = wanted - pending(self.now).count()
        if missing <= 0:
            return 0
        by_id = {org.id: org for org in orgs}
        cases = list(Case.objects.exclude(tlp="red").values_list("pk", "owner_id",
                                                                 "reference")[:missing])
        rows = []
        for k in range(missing):
            case_id, owner_id, reference = cases[k % len(cases)]
            user = self.rng.choice(by_id[owner_id].by_role["caseworker"])
            rows.append(Notification(
                recipient_id=user, kind="due", case_id=case_id, dedup_key=f"bench:{k}:{user}",
                subject=f"[Extradition Monitor] Follow-up due: {reference}",
                body=f"A follow-up on case {reference} is due now.",
            ))
        Notification.objects.bulk_create(rows, batch_size=BATCH)
        return missing


# --- reporting -------------------------------------------------------------------------------


def explain_claim() -> str:
    """How PostgreSQL runs the claim of a batch of pending notifications (the `SELECT … FOR
    UPDATE SKIP LOCKED` of delivery.claim_batch), rolled back: the first line of the plan that
    reads the table."""
    from django.db import connection, transaction
    from django.utils import timezone

    from monitoring.delivery import BATCH, pending

    now = timezone.now()
    if not pending(now).exists():
        return "no pending notification"
    with transaction.atomic(), connection.cursor() as cursor:
        claim = (pending(now).order_by("recipient_id", "pk").select_for_update(skip_locked=True)
                 .values_list("pk", flat=True)[:BATCH])
        sql, params = claim.query.get_compiler(connection.alias).as_sql()
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
        transaction.set_rollback(True)
    plan = plan[0] if isinstance(plan, list) else plan
    node = plan["Plan"]
    while "Plans" in node and "Index Name" not in node and "Relation Name" not in node:
        node = node["Plans"][0]
    if node.get("Node Type") == "ModifyTable":
        node = node["Plans"][0]
    removed = node.get("Rows Removed by Filter", 0)
    return (f"{node.get('Node Type')} on {node.get('Index Name') or node.get('Relation Name')}, "
            f"{n(removed)} rows read and dropped by the filter, "
            f"{plan.get('Execution Time', 0):.2f} ms")


# The rows of the scale issue's table this benchmark measures: the figure before the work
# (same machine, the seeded sizes above) and the target.
BASELINES = {
    "sweep": ("6.8 s quiet, 33–44 s under load; 5,207 statements", "≤ 1 s"),
    "delivery": ("38–43 per second, 4 statements each", "≥ 1,000 per second"),
}


def print_targets(first, delivery, handled: int) -> None:
    """Each measure beside its baseline and target, with its ratio to the database's work."""
    print(f"{'measure':<10}{'figure':>26}{'in DB':>10}{'wall/DB':>9}   baseline → target")
    sweep_figure = f"{first.wall:.2f} s, {n(first.meter.count)} stmts"
    print(f"{'sweep':<10}{sweep_figure:>26}{first.meter.seconds:>9.2f}s"
          f"{first.wall / max(first.meter.seconds, 1e-9):>9.1f}   "
          f"{BASELINES['sweep'][0]} → {BASELINES['sweep'][1]}")
    if handled:
        rate = f"{handled / delivery.wall:,.0f}/s, {delivery.meter.count / handled:.2f} stmt"
        print(f"{'delivery':<10}{rate:>26}{delivery.meter.seconds:>9.2f}s"
              f"{delivery.wall / max(delivery.meter.seconds, 1e-9):>9.1f}   "
              f"{BASELINES['delivery'][0]} → {BASELINES['delivery'][1]}")


def main(argv=None) -> None:
    args = parse_args(argv)
    url = database_url(DEFAULT_DATABASE_URL)
    started = time.perf_counter()
    load_at_start = load_average()
    name = recreate_database(url)
    # E-mail goes to Django's in-memory backend: delivery measures the application, not a
    # mail server.
    setup_django(url, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")

    from django.core import mail
    from django.db import connection
    from django.utils import timezone

    from monitoring.delivery import deliver_pending, pending
    from monitoring.models import FollowUp, MonitoringPlan, Notification
    from monitoring.sweep import sweep

    now = timezone.now()
    seeder = Seeder(args, now)

    def seed() -> list[Org]:
        orgs = seeder.organisations()
        seeder.seed(orgs)
        return orgs

    orgs, seeding = migrate_and_seed(seed)

    # What the sweep finds at its instant.
    sweep_now = timezone.now()
    open_ = FollowUp.objects.filter(status__in=FollowUp.OPEN)
    state = {
        "open follow-ups": open_.count(),
        "due soon (not yet alerted)": open_.filter(
            due_soon_at__lte=sweep_now, window_opens_at__gt=sweep_now, alert_stage__lt=1
        ).count(),
        "window open (not yet alerted)": open_.filter(
            window_opens_at__lte=sweep_now, due_at__gt=sweep_now, alert_stage__lt=2).count(),
        "past due (not yet alerted)": open_.filter(due_at__lte=sweep_now,
                                                   alert_stage__lt=3).count(),
        "escalation due": open_.filter(escalate_at__lte=sweep_now, escalated=False).count(),
        "missed (lapse due)": open_.filter(missed_at__lte=sweep_now).count(),
        "silent plans": MonitoringPlan.objects.filter(active=True,
                                                      silence_due_at__lte=sweep_now).count(),
    }
    notifications_before = Notification.objects.count()

    first = measure("first sweep", sweep, args.profile, keep=args.statements)
    second = measure("second sweep", sweep, args.profile)
    written = Notification.objects.count() - notifications_before

    topped_up = seeder.top_up(orgs, args.notifications)
    to_deliver = min(pending(timezone.now()).count(), args.notifications)
    if args.analyze_before_delivery:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE monitoring_notification")
    claim_plan = explain_claim()
    mail.outbox = []

    batch_seconds: list[float] = []

    def deliver_all() -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        left = to_deliver
        while left > 0:
            start = time.perf_counter()
            counts = deliver_pending(limit=min(1000, left))
            batch_seconds.append(time.perf_counter() - start)
            done = sum(counts.values())
            if not done:
                break
            for key, value in counts.items():
                totals[key] += value
            left -= done
        return dict(totals)

    delivery = measure(f"delivery of {n(to_deliver)}", deliver_all, args.profile)
    handled = sum(delivery.result.values())
    total_s = time.perf_counter() - started

    # --- the table -----------------------------------------------------------------------
    print("\nExtradition Monitor: monitoring sweep and delivery benchmark")
    print("=" * 78)
    for key, value in machine_facts():
        print(f"{key:<18} {value}")
    print(f"{'load average':<18} {load_at_start} at start, {load_average()} at end "
          f"(1, 5, 15 min)")
    print(f"{'database':<18} {name} (dropped and recreated)")
    print("-" * 78)
    c = seeder.counts
    print(f"data               {n(c['case'])} cases at monitoring_active, {n(c['monitoringplan'])}"
          f" plans, {n(c['followup'])} follow-ups,")
    print(f"                   {n(c['organisations'])} organisations, {n(c['users'])} users, "
          f"{n(c['subject'])} subjects, {n(c['assurance'])} assurances,")
    print(f"                   {n(c['notification'])} notifications already sent; previous "
          f"sweep {args.since_last_sweep:g} h before")
    print(f"seeding            {seeding}")
    print("-" * 78)
    print("at the sweep instant")
    total_fu = c["followup"] or 1
    for key, value in state.items():
        share = f"{100 * value / total_fu:5.2f} % of follow-ups" if key != "silent plans" else (
            f"{100 * value / (c['monitoringplan'] or 1):5.2f} % of plans")
        print(f"  {key:<32} {n(value):>8}   {share}")
    print("-" * 78)
    header = f"{'':<24}{'wall (s)':>10}{'SQL stmts':>12}{'in DB (s)':>11}   result"
    print(header)
    for m in (first, second):
        report = m.result
        result = (f"{n(report.notifications)} notifications written, "
                  f"{report.became_due} due, {report.became_overdue} overdue, "
                  f"{report.missed} missed")
        print(f"{m.name:<24}{m.wall:>10.2f}{n(m.meter.count):>12}{m.meter.seconds:>11.2f}   "
              f"{result}")
    print(f"{delivery.name:<24}{delivery.wall:>10.2f}{n(delivery.meter.count):>12}"
          f"{delivery.meter.seconds:>11.2f}   {delivery.result}")
    print("-" * 78)
    for m in (first, second):
        by_kind = ", ".join(f"{k} {n(v)}" for k, v in sorted(m.result.by_kind.items()))
        print(f"{m.name} by kind: {by_kind or 'none'}")
    if first.result.notifications:
        print(f"first sweep: {1000 * first.wall / first.result.notifications:.2f} ms and "
              f"{first.meter.count / first.result.notifications:.2f} statements per "
              f"notification written ({n(written)} rows in all)")
    if handled:
        print(f"delivery: {1000 * delivery.wall / handled:.2f} ms per notification, "
              f"{handled / delivery.wall:,.0f} per second, "
              f"{delivery.meter.count / handled:.2f} statements per notification, "
              f"{n(len(mail.outbox))} e-mails to the in-memory backend"
              + (f"; {n(topped_up)} pending rows added to reach {n(args.notifications)}"
                 if topped_up else ""))
    if batch_seconds:
        print("delivery, each batch of up to 1,000 (s): "
              + " ".join(f"{seconds:.1f}" for seconds in batch_seconds))
    print(f"claim statement plan: {claim_plan}")
    print("-" * 78)
    print_targets(first, delivery, handled)
    if args.json:
        needing = sum(v for k, v in state.items() if k not in ("open follow-ups",
                                                               "silent plans"))
        measures = {m.name: summary([(m.wall, m.meter)]) for m in (first, second)}
        if handled:
            measures["delivery"] = {**summary([(delivery.wall, delivery.meter)]),
                                    "per_second": handled / delivery.wall}
        write_json(args.json, rows={"follow-ups": c["followup"], "open follow-ups":
                                    state["open follow-ups"], "alerts due (sum of kinds)": needing,
                                    "notifications written": written},
                   measures=measures)
    print("-" * 78)
    for m in (first, second, delivery):
        print_breakdown(m)
    if args.statements:
        print("\n  first sweep: its slowest statements")
        for elapsed, sql, _params in sorted(first.meter.statements, key=lambda s: -s[0])[:12]:
            print(f"    {elapsed * 1000:7.1f} ms  {' '.join(sql.split())[:150]}")
    for m in (first, second, delivery):
        print_profile(m)
    print(f"\ntotal run {total_s:.1f} s")


if __name__ == "__main__":
    main()
