"""Benchmark of importing cases from a CSV file, on PostgreSQL: time and peak memory.

    .venv/bin/python bench/import_cases.py [--rows 100000] [--advanced-share 0.0]
                                           [--tracemalloc] [--profile] [--no-analyze]

Target: 100,000 case rows imported in under 2 minutes, in under 200 MB of resident memory.

It drops and recreates its own database (BENCH_DATABASE_URL, by default
postgres://postgres@127.0.0.1:5432/em_bench_import; the name must contain "bench"), migrates it
(the migrations bring the countries and legal instruments), and makes one organisation (France)
with one org admin, who imports. It writes a CSV file of `--rows` cases (the columns of
tests/imports/support.py's CASE_ROW: a reference and a person of its own per row, requesting
state China for most, varied channels, dates and offences; status left empty or
`request_received`, except `--advanced-share` of the rows at `judicial_phase`, which the commit
reaches through the transition service, one case at a time).

Then it runs, each timed apart, as the worker runs them but without Celery:
1. upload: `imports.services.import_upload` (the file sealed, its headers read, its rows
   counted);
2. check: `imports.jobs.run_job(job, commit=False)`;
3. commit: `imports.jobs.run_job(job, commit=True)`;
4. the same file again (upload, check, commit): every row should come out unchanged.
Each pass runs in a child process forked for it (after Django is set up, its connections
closed), inside a keyring scope of its own as a worker task's: the child's resident memory at
its start and at its peak are its own. Every SQL statement is counted and timed on the pass's
connection (the progress written through a second connection is not). The printout gives, per
pass, wall time, rows per second, statements, time spent waiting on the database and the
ratio of the two, peak resident memory and its growth over the pass, then the checks of what
the commit wrote and PASS or FAIL against the targets.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from _common import (
    DAY,
    database_url,
    load_average,
    machine_facts,
    measure,
    n,
    recreate_database,
    setup_django,
    vacuum_analyze,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/em_bench_import"
TARGET_SECONDS = 120
TARGET_MB = 200
MB = 1024 * 1024

COLUMNS = ["reference", "subject_full_name", "subject_date_of_birth", "requesting_state",
           "requested_state", "channel", "request_date", "status", "status_changed_on",
           "offences", "offence_category", "distribution", "tlp"]
# The shape of the file: weights of each value.
REQUESTING = {"CN": 80, "RU": 4, "TR": 3, "IN": 3, "AE": 2, "EG": 2, "VN": 2, "TJ": 2,
              "BY": 1, "China": 1}
REQUESTED = {"FR": 60, "DE": 10, "IT": 8, "ES": 6, "BE": 6, "NL": 4, "SE": 3, "PL": 3}
CHANNELS = {"extradition": 70, "deportation": 12, "irregular_return": 10,
            "mutual_legal_assistance": 8}
DISTRIBUTIONS = {"organisation": 90, "aggregate_only": 10}
TLPS = {"amber": 60, "green": 20, "amber_strict": 10, "clear": 8, "red": 2}
OFFENCES = {
    "Fraud": "economic_corruption", "Embezzlement": "economic_corruption",
    "Bribery": "economic_corruption", "Money laundering": "economic_corruption",
    "Separatism": "political", "Subversion of state power": "political",
    "Terrorism": "terrorism", "Drug trafficking": "drugs", "Assault": "violent",
    "Computer intrusion": "cyber", "Smuggling": "other",
}
GIVEN = ["Wei", "Ming", "Li", "Jun", "Hua", "Yan", "Lei", "Fang", "Tao", "Xin", "Ayşe",
         "Mehmet", "Ilham", "Gulnar", "Dilnur", "Abdurehim", "Tenzin", "Dolma", "Olga", "Igor",
         "Ravi", "Anita", "Nguyen", "Thanh", "Farid", "Leyla", "Omar", "Mona", "Pavel", "Irina",
         "Rustam", "Zarina", "Kemal", "Elif", "Arjun", "Priya", "Sergei", "Nadia", "Hoang",
         "Linh", "Yusuf", "Amina", "Bakhtiyar", "Madina", "Chen", "Qiang", "Ping", "Yu",
         "Zhen", "Hong"]
MIDDLE = ["A.", "B.", "C.", "D.", "E.", "F.", "G.", "H.", "I.", "J.", "K.", "L.", "M.", "N.",
          "O.", "P.", "R.", "S.", "T.", "U.", "V.", "W.", "X.", "Y.", "Z.", "Al", "Bin", "De",
          "El", "Van", "Ibn", "Ter", "Da", "Du", "La", "Le", "Ou", "Si", "Ma", "Mo"]
FAMILY = ["Zhang", "Wang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun",
          "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Luo", "Gao", "Zheng", "Tursun", "Abdulla",
          "Memet", "Tohti", "Yilmaz", "Kaya", "Demir", "Ivanov", "Petrov", "Sokolov", "Sharma",
          "Gupta", "Patel", "Tran", "Le", "Pham", "Hassan", "Mahmoud", "Rahimov", "Nazarov",
          "Karimov", "Saidov", "Novik", "Kozlov", "Aliyev", "Dorje", "Tsering", "Namgyal",
          "Qurban", "Osman", "Erkin", "Kurban", "Said", "Yusup", "Niyaz", "Hamit", "Rozi",
          "Sadiq", "Turdi", "Emet"]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--advanced-share", type=float, default=0.0, metavar="FRACTION",
                        help="rows at judicial_phase, reached through the transition service")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also trace Python's allocations in each pass (slower)")
    parser.add_argument("--profile", action="store_true",
                        help="also print the top functions (cProfile) of the check and commit")
    parser.add_argument("--no-analyze", action="store_true",
                        help="no VACUUM ANALYZE between the first import and the second")
    parser.add_argument("--keep-files", action="store_true",
                        help="keep the CSV file and the media folder")
    args = parser.parse_args(argv)
    if not 0.0 <= args.advanced_share <= 1.0:
        parser.error("--advanced-share is a fraction between 0 and 1")
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    return args


# --- the file --------------------------------------------------------------------------------


def pick(rng: random.Random, weights: dict) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def full_name(i: int) -> str:
    """A name of its own for row `i`: a combination of given, middle and family names, with a
    number once the combinations run out."""
    g, m, f = len(GIVEN), len(MIDDLE), len(FAMILY)
    name = f"{GIVEN[i % g]} {MIDDLE[(i // g) % m]} {FAMILY[(i // (g * m)) % f]}"
    lap = i // (g * m * f)
    return f"{name} {lap + 1}" if lap else name


def write_csv(path: Path, rows: int, advanced_share: float, seed: int) -> int:
    """Write the file of `rows` cases; how many rows are at judicial_phase."""
    import csv

    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    today = datetime.date.today()
    first_request = datetime.date(2012, 1, 1)
    request_span = (today - datetime.timedelta(days=30) - first_request).days
    descriptions = list(OFFENCES)
    advanced = 0
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for i in range(rows):
            requesting = pick(rng, REQUESTING)
            requested = pick(rng, REQUESTED)
            request = first_request + DAY * rng.randrange(request_span)
            born = "" if rng.random() < 0.1 else (
                datetime.date(1945, 1, 1) + DAY * rng.randrange(60 * 365)).isoformat()
            status, changed = "", ""
            if rng.random() < advanced_share:
                advanced += 1
                status = "judicial_phase"
                changed = min(request + DAY * rng.randrange(1, 400), today).isoformat()
            elif rng.random() < 0.4:
                status = "request_received"
            offences = rng.sample(descriptions, rng.choices((1, 2, 3), (70, 22, 8))[0])
            writer.writerow([
                f"NGO-{i + 1:07d}", full_name(i), born, requesting, requested,
                pick(rng, CHANNELS), request.isoformat(), status, changed,
                "; ".join(offences), "; ".join(OFFENCES[o] for o in offences),
                *labels(rng),
            ])
    return advanced


def labels(rng: random.Random) -> tuple[str, str]:
    """A distribution and a TLP label that go together (TLP:RED stays with the owner)."""
    tlp = pick(rng, TLPS)
    return ("organisation" if tlp == "red" else pick(rng, DISTRIBUTIONS)), tlp


# --- passes, each in a child process of its own ----------------------------------------------


def memory_kb() -> dict[str, int]:
    """This process's resident memory now and at its peak (kB), from /proc, else getrusage."""
    found = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                found[line[:5]] = int(line.split()[1])
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"rss": found.get("VmRSS", peak), "peak": max(found.get("VmHWM", 0), peak)}


def reset_peak() -> bool:
    """Start this process's peak resident memory afresh from now (Linux: clear_refs 5)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def in_child(fn, *args):
    """`fn(*args)` in a child process forked for it; what it returned (JSON-able)."""
    from django.db import connections

    connections.close_all()
    sys.stdout.flush()
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        code = 0
        try:
            payload = {"ok": True, "result": fn(*args)}
        except BaseException:  # reported to the parent, whatever it is
            payload, code = {"ok": False, "error": traceback.format_exc()}, 1
        try:
            with os.fdopen(write_end, "w") as out:
                json.dump(payload, out, default=str)
            connections.close_all()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end) as source:
        text = source.read()
    os.waitpid(pid, 0)
    payload = json.loads(text) if text else {"ok": False, "error": "the child said nothing"}
    if not payload["ok"]:
        sys.exit(f"A child process failed:\n{payload['error']}")
    return payload["result"]


def prepare() -> dict:
    """Migrate, make the organisation and its admin, VACUUM ANALYZE; the times and ids."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import transaction

    from cases.models import Country, LegalInstrument, Membership, Organisation

    start = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrate_s = time.perf_counter() - start
    start = time.perf_counter()
    with transaction.atomic():
        organisation = Organisation.objects.create(
            slug="bench-import-fr", name="Bench import NGO (France)",
            kind=Organisation.Kind.NGO, country_id="FR")
        user = get_user_model().objects.create_user(
            username="bench.import.admin", email="bench.import.admin@bench.invalid",
            password=None)
        Membership.objects.create(user=user, organisation=organisation,
                                  role=Membership.Role.ORG_ADMIN)
    seed_s = time.perf_counter() - start
    analyze_s = vacuum_analyze()
    return {"migrate": migrate_s, "seed": seed_s, "analyze": analyze_s,
            "organisation": organisation.pk, "user": user.pk,
            "countries": Country.objects.count(), "instruments": LegalInstrument.objects.count()}


def run_pass(name: str, what: str, args: argparse.Namespace, user_id: int, path: str = "",
             job_id: str = "") -> dict:
    """One pass, measured in this (child) process: `what` is upload, check or commit."""
    import tracemalloc

    from django.contrib.auth import get_user_model
    from django.core.files import File

    from cases import keyring
    from imports import jobs, services

    actor = get_user_model().objects.get(pk=user_id)
    baseline = memory_kb()
    reset = reset_peak()

    def upload():
        with open(path, "rb") as handle:
            job = services.import_upload(actor=actor, kind="cases",
                                         file=File(handle, name="cases.csv"))
        return {"job": str(job.pk), "status": job.status, "rows": job.rows, "size": job.size,
                "format": job.format, "encoding": job.encoding, "mapping": job.mapping}

    def run(commit: bool):
        job = jobs.run_job(job_id, commit, actor)
        return {"job": str(job.pk), "status": job.status, "counts": job.counts,
                "error_count": job.error_count, "errors": job.errors[:5],
                "message": job.message, "rows": job.rows}

    action = {"upload": upload, "check": lambda: run(False), "commit": lambda: run(True)}[what]
    profile = args.profile and what != "upload"
    if args.tracemalloc:
        tracemalloc.start()
    with keyring.scope():  # as a worker task's (config/celery.py) or a request's
        m = measure(name, action, profile=profile)
    traced = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
    if args.tracemalloc:
        tracemalloc.stop()
    after = memory_kb()
    profile_text = ""
    if m.profile is not None:
        out = io.StringIO()
        m.profile.stream = out
        m.profile.sort_stats("cumulative").print_stats(r"(imports|cases)/", 40)
        out.write("\n  ... and by own time (tottime), everywhere:\n")
        m.profile.sort_stats("tottime").print_stats(20)
        profile_text = out.getvalue()
    groups = sorted(m.meter.groups.items(), key=lambda kv: kv[1][1], reverse=True)[:8]
    return {"name": name, "wall": m.wall, "statements": m.meter.count,
            "db": m.meter.seconds, "groups": groups, "result": m.result,
            "baseline_kb": baseline["rss"], "peak_kb": after["peak"], "peak_reset": reset,
            "end_kb": after["rss"], "traced": traced, "profile": profile_text}


def verify(organisation_id: int, advanced: int) -> dict:
    from cases.models import AuditEvent, Case, Subject
    from imports.models import ExternalReference

    cases = Case.objects.filter(owner_id=organisation_id)
    return {
        "cases": cases.count(),
        "subjects": Subject.objects.filter(owner_id=organisation_id).count(),
        "judicial_phase": cases.filter(status=Case.Status.JUDICIAL_PHASE).count(),
        "advanced_expected": advanced,
        "import_events": AuditEvent.objects.filter(action="import").count(),
        "audit_events": AuditEvent.objects.count(),
        "case_references": ExternalReference.objects.filter(target="case").count(),
        "subject_references": ExternalReference.objects.filter(target="subject").count(),
    }


# --- the printout ----------------------------------------------------------------------------


def mb(kb: int) -> float:
    return kb / 1024


def print_row(p: dict, rows: int, tracing: bool) -> None:
    ratio = f"{p['wall'] / p['db']:.1f}" if p["db"] else "-"
    line = (f"{p['name']:<16}{p['wall']:>9.2f}{rows / p['wall']:>10,.0f}{n(p['statements']):>11}"
            f"{p['db']:>9.2f}{ratio:>7}{mb(p['peak_kb']):>9.0f}"
            f"{mb(p['peak_kb'] - p['baseline_kb']):>9.0f}{mb(p['baseline_kb']):>8.0f}")
    if tracing:
        line += f"{(p['traced'] or 0) / MB:>9.0f}"
    print(line)


def check(label: str, ok: bool, detail: str) -> bool:
    print(f"  {'PASS' if ok else 'FAIL'}  {label:<44} {detail}")
    return ok


def main(argv=None) -> None:
    args = parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="em-bench-import-"))
    try:
        ok = measure_imports(args, folder)
    finally:
        if args.keep_files:
            print(f"files kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    if not ok:
        sys.exit(1)


def measure_imports(args: argparse.Namespace, folder: Path) -> bool:
    """The whole run, its files in `folder`; whether every check passed."""
    started = time.perf_counter()
    load_at_start = load_average()
    url = database_url(DEFAULT_DATABASE_URL)
    name = recreate_database(url)
    media = folder / "media"
    media.mkdir()
    csv_path = folder / "cases.csv"

    start = time.perf_counter()
    advanced = write_csv(csv_path, args.rows, args.advanced_share, args.seed)
    write_s = time.perf_counter() - start
    size = csv_path.stat().st_size

    setup_django(url, MEDIA_ROOT=str(media),
                 IMPORT_MAX_ROWS=str(max(200_000, args.rows + 1)),
                 IMPORT_MAX_BYTES=str(max(50 * MB, 2 * size)))
    # What a worker has loaded before it runs a task: the app's modules.
    import imports.jobs  # noqa: F401
    import imports.services  # noqa: F401

    prepared = in_child(prepare)
    user = prepared["user"]

    passes = []
    first_upload = in_child(run_pass, "upload", "upload", args, user, str(csv_path))
    job = first_upload["result"]["job"]
    passes.append(first_upload)
    passes.append(in_child(run_pass, "check", "check", args, user, "", job))
    checked = passes[-1]["result"]
    if checked["status"] != "checked" or checked["error_count"]:
        # import_commit would refuse it: the file or the mapping needs correcting.
        sys.exit(f"The check found errors, so there is nothing to commit: {checked}")
    passes.append(in_child(run_pass, "commit", "commit", args, user, "", job))
    after_first = in_child(verify, prepared["organisation"], advanced)

    analyze_s = None
    if not args.no_analyze:
        analyze_s = in_child(vacuum_analyze)
    second_upload = in_child(run_pass, "again: upload", "upload", args, user, str(csv_path))
    job = second_upload["result"]["job"]
    passes.append(second_upload)
    passes.append(in_child(run_pass, "again: check", "check", args, user, "", job))
    passes.append(in_child(run_pass, "again: commit", "commit", args, user, "", job))
    after_second = in_child(verify, prepared["organisation"], advanced)
    total_s = time.perf_counter() - started

    # --- the table ---------------------------------------------------------------------------
    rows = args.rows
    print("\nExtradition Monitor: importing cases from CSV")
    print("=" * 98)
    from django.db import connections

    for key, value in machine_facts():
        print(f"{key:<18} {value}")
    connections.close_all()
    print(f"{'load average':<18} {load_at_start} at start, {load_average()} at end "
          f"(1, 5, 15 min)")
    print(f"{'database':<18} {name} (dropped and recreated); migrate {prepared['migrate']:.1f} s,"
          f" seeding {prepared['seed']:.1f} s, VACUUM ANALYZE {prepared['analyze']:.1f} s")
    print(f"{'reference data':<18} {prepared['countries']} countries, "
          f"{prepared['instruments']} legal instruments (from the migrations)")
    print(f"{'file':<18} {n(rows)} rows, {size / MB:.1f} MB CSV, {len(COLUMNS)} columns, "
          f"written in {write_s:.1f} s; {n(advanced)} rows at judicial_phase "
          f"(--advanced-share {args.advanced_share:g})")
    mapping = first_upload["result"]["mapping"]
    unmapped = [h for h, f in mapping.items() if not f]
    print(f"{'mapping':<18} {len(mapping) - len(unmapped)} of {len(mapping)} columns mapped"
          + (f"; not mapped: {', '.join(unmapped)}" if unmapped else ""))
    if analyze_s is not None:
        print(f"{'between imports':<18} VACUUM ANALYZE {analyze_s:.1f} s (as autovacuum would, "
              f"after such a load; --no-analyze leaves it out)")
    print("-" * 98)
    tracing = args.tracemalloc
    header = (f"{'pass':<16}{'wall (s)':>9}{'rows/s':>10}{'SQL stmts':>11}{'in DB':>9}"
              f"{'ratio':>7}{'peak MB':>9}{'growth':>9}{'start':>8}")
    if tracing:
        header += f"{'traced':>9}"
    print(header)
    for p in passes:
        print_row(p, rows, tracing)
    print("  wall: the pass; in DB: seconds waiting on the database's statements; ratio: wall "
          "to in-DB time;")
    print("  peak MB: the child's peak resident memory; growth: peak less its memory at the "
          "start of the pass")
    if tracing:
        print("  traced: the peak of Python's own allocations (tracemalloc), MB")
    if not all(p["peak_reset"] for p in passes):
        print("  (the peak could not be reset at the pass's start: it is the child's since the "
              "fork)")
    first_import = sum(p["wall"] for p in passes[:3])
    print(f"  first import, upload + check + commit: {first_import:.1f} s "
          f"({rows / first_import:,.0f} rows/s)")
    print("-" * 98)
    results = {p["name"]: p["result"] for p in passes}
    print("checks")
    ok = True
    ok &= check("upload counted the rows", results["upload"]["rows"] == rows,
                f"{n(results['upload']['rows'])} rows")
    for label in ("check", "commit"):
        r = results[label]
        expected = "checked" if label == "check" else "done"
        ok &= check(f"{label}: {expected}, every row to create",
                    r["status"] == expected and r["counts"] == {"create": rows}
                    and not r["error_count"],
                    f"{r['status']}, {r['counts']}, {r['error_count']} errors"
                    + (f" {r['errors']}" if r["errors"] else "")
                    + (f" {r['message']}" if r["message"] else ""))
    ok &= check("cases and subjects made", after_first["cases"] == rows
                and after_first["subjects"] == rows,
                f"{n(after_first['cases'])} cases, {n(after_first['subjects'])} subjects")
    ok &= check("cases at judicial_phase", after_first["judicial_phase"] == advanced,
                f"{n(after_first['judicial_phase'])} of {n(advanced)}")
    ok &= check("one audit event of the import", after_first["import_events"] == 1,
                f"{after_first['import_events']} ({n(after_first['audit_events'])} events in "
                "all)")
    ok &= check("references kept", after_first["case_references"] == rows
                and after_first["subject_references"] == rows,
                f"{n(after_first['case_references'])} of cases, "
                f"{n(after_first['subject_references'])} of subjects")
    for label in ("again: check", "again: commit"):
        r = results[label]
        ok &= check(f"{label}: every row unchanged",
                    r["counts"] == {"unchanged": rows} and not r["error_count"],
                    f"{r['status']}, {r['counts']}")
    ok &= check("re-import: nothing more but its own event",
                after_second["cases"] == rows and after_second["subjects"] == rows
                and after_second["import_events"] == 2
                and after_second["audit_events"] == after_first["audit_events"] + 1,
                f"{n(after_second['cases'])} cases, {after_second['import_events']} import "
                f"events, {n(after_second['audit_events'] - after_first['audit_events'])} "
                "event(s) added")
    print("targets")
    commit = results_by_name(passes, "commit")
    peak = max(p["peak_kb"] for p in passes)
    target_ok = check(f"commit under {TARGET_SECONDS} s", commit["wall"] < TARGET_SECONDS,
                      f"{commit['wall']:.1f} s for {n(rows)} rows")
    target_ok &= check(f"peak resident memory under {TARGET_MB} MB", mb(peak) < TARGET_MB,
                       f"{mb(peak):.0f} MB at most, in any pass")
    print("-" * 98)
    for p in passes:
        print(f"  {p['name']}: where the database time goes (statement, table)")
        for group, (count, seconds) in p["groups"]:
            print(f"    {group:<44} {n(count):>8} statements  {seconds:8.3f} s")
    for p in passes:
        if p["profile"]:
            print(f"\n  {p['name']}: top functions by cumulative time, in imports/ and cases/")
            print(p["profile"])
    print(f"\ntotal run {total_s:.1f} s; correctness {'PASS' if ok else 'FAIL'}, targets "
          f"{'PASS' if target_ok else 'FAIL'}")
    return ok


def results_by_name(passes: list[dict], name: str) -> dict:
    return next(p for p in passes if p["name"] == name)


if __name__ == "__main__":
    main()
