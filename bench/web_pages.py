"""Benchmark of the web application's pages: server time and SQL statements per page.

    .venv/bin/python bench/web_pages.py [--cases 20000] [--findings 100000] [--repeat 5] [--reuse]

It drops and recreates its own database (BENCH_DATABASE_URL, by default
postgres://postgres@127.0.0.1:5432/em_bench_web; the name must contain "bench"), migrates it,
and measures every main page twice:
- on the demo data (`manage.py seed_demo`: seven organisations, twelve cases), as the French
  NGO's caseworker and auditor;
- after adding a large data set with the compliance benchmark's seeder (bench/
  compliance_record.py: `--cases` cases and `--findings` findings over 50 organisations), as a
  caseworker and an auditor of one of those organisations.
Each page is requested `--repeat` times through Django's test client in this process (no
network, DEBUG off); the printout gives the first request's server time and the median of
all, the statements of one request and the response size. (The record's charts are drawn once
for a given set of numbers, so its first request is the one that draws them.) Server time
here is the whole request inside Django: middleware, views, queries and templates.

Then the lists of the scale issue (the API's findings, follow-ups and cases, the web case and
follow-up lists), as the busiest organisation's caseworker: one line per measure with the
fastest and median server time of `--repeat` requests, the time inside the database (SQL) of
the median request, their ratio, and the target it is held to (`--lists-only` measures only
these, on what `--reuse` finds or a fresh seeding; `--explain` adds the plan of each measure's
slowest statement).
"""

from __future__ import annotations

import argparse
import gc
import io
import logging
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import compliance_record as seeding  # noqa: E402 - the seeder of the compliance benchmark
from _common import (  # noqa: E402
    database_url,
    load_average,
    machine_line,
    recreate_database,
    setup_django,
    vacuum_analyze,
    write_json,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/em_bench_web"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--organisations", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reuse", action="store_true",
                        help="measure the database an earlier run seeded, without reseeding")
    parser.add_argument("--lists-only", action="store_true",
                        help="measure only the lists of the scale issue, not every page")
    parser.add_argument("--json", metavar="PATH",
                        help="also write the lists' figures as JSON (for bench/table.py)")
    parser.add_argument("--explain", action="store_true",
                        help="print EXPLAIN ANALYZE of each list measure's slowest statement")
    return parser.parse_args(argv)


def pages(user) -> list[tuple[str, str]]:
    """(name, URL) of the main pages, with records of the user's own organisation."""
    from cases import policy
    from cases.models import Case
    from monitoring.models import Finding, FollowUp

    mine = list(policy.roles(user))
    case = Case.objects.filter(owner_id__in=mine, status="monitoring_active").first() \
        or Case.objects.filter(owner_id__in=mine).first()
    follow_up = FollowUp.objects.filter(case__owner_id__in=mine).first()
    finding = policy.restrict(Finding.objects.filter(case__owner_id__in=mine), user).first()
    out = [
        ("dashboard", "/"),
        ("case list", "/cases/"),
        ("case list, filtered", "/cases/?status=monitoring_active&requesting_state=CN"),
        ("case list, page 5", "/cases/?page=5"),
        ("follow-up list", "/follow-ups/"),
        ("shared with us", "/shared-with-us/"),
        ("notifications", "/notifications/"),
        ("compliance record", "/record/"),
        ("compliance record by state and type",
         "/record/?group_by=requesting_state&group_by=assurance_type"),
        ("dashboard's record summary", "/record/summary/"),
        ("exports", "/exports/"),
        ("audit log", "/audit/"),
    ]
    if case is not None:
        out += [("case page", f"/cases/{case.pk}/"), ("case edit form", f"/cases/{case.pk}/edit/"),
                # What the case form's subject field fetches as one types a reference.
                ("subject suggestions", f"/subjects/options/?subject={case.subject.reference[:7]}")]
        # A search by the subject's whole name, and by one word of it: where the name can be
        # read (with --reuse the keys are this run's, not the seeding's, unless set outside).
        if name := case.subject.full_name:
            out += [("case list, name search", "/cases/?" + urlencode({"q": name})),
                    ("case list, name word search",
                     "/cases/?" + urlencode({"q": name.split()[-1]}))]
    if follow_up is not None:
        out.append(("check-report form", f"/follow-ups/{follow_up.pk}/report/"))
    if finding is not None:
        out.append(("finding page", f"/findings/{finding.pk}/"))
    return out


def quiet_requests() -> None:
    """Pages a role may not use answer 403 or 404 by design: not worth a logged traceback
    here; nor the line each request logs: the printout is the figures."""
    logging.getLogger("django.request").setLevel(logging.ERROR)
    logging.getLogger("extradition_monitor.request").setLevel(logging.WARNING)


def measure(client, url: str, repeat: int) -> tuple[float, float, int, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    for i in range(repeat):
        if i == 0:
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - start)
            statements = len(ctx.captured_queries)
        else:
            start = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - start)
    return (times[0] * 1000, statistics.median(times) * 1000, statements, response.status_code,
            len(response.content))


def signed_in(user):
    """A test client of `user`, signed in with an authenticator app, as its pages require."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    device = next(devices_for_user(user), None) or TOTPDevice.objects.create(
        user=user, name="Authenticator app")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def report(title: str, users, repeat: int) -> None:
    print(f"\n{title}")
    print(f"{'page':<38} {'user':<26} {'first ms':>8} {'ms':>8} {'SQL':>5} {'status':>6} "
          f"{'KB':>7}")
    for user in users:
        client = signed_in(user)
        for name, url in pages(user):
            first, ms, statements, status, size = measure(client, url, repeat)
            print(f"{name:<38} {user.username:<26} {first:8.1f} {ms:8.1f} {statements:5d} "
                  f"{status:6d} {size / 1024:7.1f}")


# --- the lists of the scale issue ------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What a measure is held to: at most `ms` of server time, or at most `ratio` times its
    own time in the database."""

    ms: float | None = None
    ratio: float | None = None

    def met(self, ms: float, sql_ms: float) -> bool:
        if self.ms is not None:
            return ms <= self.ms
        return sql_ms > 0 and ms / sql_ms <= self.ratio

    def __str__(self) -> str:
        return f"<= {self.ms:.0f} ms" if self.ms is not None else f"<= {self.ratio:g}x SQL"


FAST = Target(ms=30)
CASE_ORDERINGS = ["created_at", "reference", "request_date", "surrender_date",
                  "status_changed_on"]


def list_urls(user) -> list[tuple[str, str, Target | None]]:
    """(measure, URL, target) of the lists: the API's first pages in every ordering the cases
    list offers, a later page, a search by reference; then, with no target given, the web
    lists, the API's subjects, the dashboard and the case form's subject suggestions."""
    from cases import policy
    from cases.models import Case, Subject

    mine = list(policy.roles(user))
    references = Case.objects.filter(owner_id__in=mine).order_by("reference").values_list(
        "reference", flat=True)
    # A reference less its last character: the ten or so cases whose reference starts so.
    typed = references[len(references) // 2][:-1] if references else "B-0001"
    out = [
        ("API findings, first page", "/api/v1/findings/", FAST),
        ("API follow-ups, first page", "/api/v1/follow-ups/", FAST),
        ("API cases, first page (50 rows)", "/api/v1/cases/", Target(ratio=2)),
    ]
    for field in CASE_ORDERINGS:
        for term in (field, f"-{field}"):
            if term != "-created_at":  # the default, measured above
                out.append((f"API cases by {term}", f"/api/v1/cases/?ordering={term}", FAST))
    # Its first characters: the thousands of cases whose reference starts so.
    broad = typed[:-3]
    out += [
        (f"API cases, reference search {typed!r}", "/api/v1/cases/?" + urlencode({"q": typed}),
         FAST),
        (f"API cases, reference search {broad!r}", "/api/v1/cases/?" + urlencode({"q": broad}),
         None),
        ("web cases, first page", "/cases/", None),
        ("web cases, page 5", "/cases/?page=5", None),
        ("web cases by reference", "/cases/?sort=reference", None),
        (f"web cases, reference search {typed!r}", "/cases/?" + urlencode({"q": typed}), None),
        (f"web cases, reference search {broad!r}", "/cases/?" + urlencode({"q": broad}), None),
        ("web follow-ups, first page", "/follow-ups/", None),
        ("API subjects, first page", "/api/v1/subjects/", None),
        ("web dashboard", "/", None),
    ]
    # What the case form suggests as one types a subject's reference: its first characters
    # (shared by thousands of the organisation's subjects), then the whole of it.
    subject = Subject.objects.filter(owner_id__in=mine).order_by("reference").values_list(
        "reference", flat=True)
    if subject:
        whole = subject[len(subject) // 2]
        out += [(f"web subject suggestions {part!r}",
                 "/subjects/options/?" + urlencode({"subject": part}), None)
                for part in (whole[:-4], whole)]
    return out


def time_request(client, url: str):
    """One request: its server time (ms), the meter of its statements, the response."""
    from _common import QueryMeter
    from django.db import connection

    meter = QueryMeter(keep=True)
    with connection.execute_wrapper(meter):
        start = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - start
    return elapsed * 1000, meter, response


def explain(sql: str, params) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return [row[0] for row in cursor.fetchall()]


class FullCollections:
    """Counts and times the garbage collector's full passes (generation 2) while active: a pass
    lands on whichever request allocates at that moment."""

    def __init__(self):
        self.count, self.seconds, self._started = 0, 0.0, 0.0

    def _callback(self, phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.count += 1
            self.seconds += time.perf_counter() - self._started

    def __enter__(self):
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc) -> None:
        gc.callbacks.remove(self._callback)

    def __str__(self) -> str:
        each = f", {self.seconds / self.count * 1000:.1f} ms each" if self.count else ""
        return f"{self.count}{each} ({gc.get_freeze_count():,} objects frozen)"


def report_lists(user, repeat: int, show_plans: bool) -> dict:
    """One line per list measure: fastest and median time, SQL time, ratio and target. Returns
    each measure's figures, by name."""
    client = signed_in(user)
    print(f"\nlists, as {user.username} (server time of {repeat} requests after one to warm up)")
    print(f"{'measure':<44} {'min ms':>7} {'median':>7} {'SQL ms':>7} {'ratio':>6} {'stmts':>5} "
          f"{'rows':>4}  {'target':<13} met")
    figures = {}
    for name, url, target in list_urls(user):
        time_request(client, url)  # warm: caches, the plan of the session's statements
        runs = sorted((time_request(client, url) for _ in range(repeat)), key=lambda r: r[0])
        median_ms, meter, response = runs[len(runs) // 2]
        assert response.status_code == 200, (url, response.status_code)
        sql_ms = meter.seconds * 1000
        rows = len(response.json()["results"]) if url.startswith("/api/") else ""
        met = "-" if target is None else ("yes" if target.met(median_ms, sql_ms) else "NO")
        print(f"{name:<44} {runs[0][0]:7.1f} {median_ms:7.1f} {sql_ms:7.1f} "
              f"{median_ms / sql_ms if sql_ms else 0:5.1f}x {meter.count:5d} {rows:>4}  "
              f"{str(target or '(none given)'):<13} {met}")
        figures[name] = {"min_ms": runs[0][0], "median_ms": median_ms, "sql_ms": sql_ms,
                         "statements": meter.count, "target": str(target) if target else None,
                         "met": met == "yes"}
        if show_plans:
            elapsed, sql, params = max(meter.statements, key=lambda s: s[0])
            print(f"  slowest statement, {elapsed * 1000:.1f} ms:")
            for line in explain(sql, params):
                print("    " + line)
    return figures


def main(argv=None) -> None:
    args = parse_args(argv)
    url = database_url(DEFAULT_DATABASE_URL)
    name = url.rsplit("/", 1)[-1] if args.reuse else recreate_database(url)
    # DEBUG is off, as in production: static files come hashed from STATIC_ROOT.
    setup_django(url, STATIC_ROOT=tempfile.mkdtemp(prefix="em-bench-static-"))
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import transaction

    settings.ALLOWED_HOSTS = ["testserver"]
    # The pages as the TLS-terminating proxy hands them over, not the redirect to HTTPS.
    settings.SECURE_SSL_REDIRECT = False
    quiet_requests()
    User = get_user_model()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    if not args.reuse:
        call_command("seed_demo", stdout=io.StringIO())
    print("Extradition Monitor: web pages benchmark")
    print(f"machine: {machine_line()}; database {name}")
    demo = [User.objects.get(username=u) for u in ("ngo-fr.caseworker", "ngo-fr.auditor")]
    if not args.lists_only:
        report("demo data (seed_demo)" if not args.reuse else
               "demo users, on the reused database (the demo data and the large set)",
               demo, args.repeat)

    from django.db.models import Count

    from cases.models import Case
    from monitoring.models import Finding, FollowUp

    if args.reuse:
        print(f"\nreused {Case.objects.count():,} cases seeded by an earlier run")
    else:
        started = time.perf_counter()
        seeder = seeding.Seeder(seeding.parse_args([
            "--organisations", str(args.organisations), "--cases", str(args.cases),
            "--findings", str(args.findings)]))
        with transaction.atomic():
            seeder.organisations_and_cases()
        vacuum_analyze()
        print(f"\nseeded {Case.objects.count():,} cases in {time.perf_counter() - started:.0f} s")
    busiest = (Case.objects.values("owner__slug").order_by().annotate(n=Count("id"))
               .order_by("-n").first())
    slug = busiest["owner__slug"]
    large = [User.objects.get(username=f"{slug}.{role}") for role in ("caseworker", "auditor")]
    if not args.lists_only:
        report(f"{Case.objects.count():,} cases (the busiest organisation, {slug})", large,
               args.repeat)
    print(f"\ndata: {Case.objects.count():,} cases ({busiest['n']:,} of {slug}), "
          f"{FollowUp.objects.count():,} follow-ups, {Finding.objects.count():,} findings")
    # As each server process does once it has loaded the application (config/gunicorn.py).
    from config.wsgi import settle

    settle()
    # Importing the WSGI module set Django up again, and with it the logging configuration.
    quiet_requests()
    with FullCollections() as collections:
        lists = report_lists(large[0], args.repeat, args.explain)
    print(f"\nfull garbage collections during the lists: {collections}")
    if args.json:
        write_json(args.json, rows={"cases": Case.objects.count(),
                                    "findings": Finding.objects.count(),
                                    "follow-ups": FollowUp.objects.count()}, measures=lists)
    print(f"\nload average {load_average()} (1, 5, 15 min)")


if __name__ == "__main__":
    main()
