"""Benchmark of the findings export to CSV against PostgreSQL's own COPY of the same rows.

    .venv/bin/python bench/export_findings.py [--findings 1150000] [--cases 40000]
                                              [--organisations 50] [--repeat 2]

It drops and recreates its own database (BENCH_DATABASE_URL, by default
postgres://postgres@127.0.0.1:5432/em_bench_export; the name must contain "bench"), migrates it
and seeds it with the compliance benchmark's seeder (bench/compliance_record.py: organisations
of several states, sharing groups, cases, check reports and findings). The exporter is an
auditor of every organisation, so that it sees every finding but those labelled RED, which an
export never holds.

Then, `--repeat` times each, alternating:
- COPY: `COPY (<the export's own SELECT>) TO STDOUT WITH (FORMAT csv, HEADER)`, the statement
  Django builds for the export (the restricted, filtered queryset, RED excluded), streamed by
  psycopg into a temporary file;
- export: `reporting.exports.build.export_build()` of a findings export in CSV, in a fresh
  child process (so that its peak memory is its own): the CSV written by the database, in
  the one statement that also keeps the ids of its rows (for the checks at download) and tells
  their labels; hashed, stored in MEDIA_ROOT, audited.
It prints each run (with where the export's time went), then a line per measure: COPY, the
export, their ratio against the target (at most 1.3 times COPY) as the minimum and the median
of the runs, and the child's peak resident memory (VmHWM, its own since it started) against
the target (under 100 MB), with its memory once Django is set up and the export's growth over
it. The ids earlier runs kept are deleted first, so that runs start alike.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/em_bench_export"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--organisations", type=int, default=50)
    parser.add_argument("--cases", type=int, default=40_000)
    parser.add_argument("--findings", type=int, default=1_150_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true",
                        help="measure again on the database a previous run seeded")
    parser.add_argument("--json", metavar="PATH",
                        help="also write the figures as JSON (for bench/table.py)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--media", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


TARGET_RATIO, TARGET_MB = 1.3, 100
# Where an export's time goes: (module, function, name printed).
# "keep ids" is a separate statement only where the COPY cannot write the file (none here).
PHASES = [("rows", "copy_csv_keeping", "COPY keeping ids"), ("build", "_keep_rows", "keep ids"),
          ("build", "_sha256", "hash")]


def peak_mb() -> float:
    """This process's peak resident memory. Linux's VmHWM starts afresh at exec; getrusage's
    ru_maxrss does not (it keeps the parent's peak when the child was spawned by vfork)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(module, name: str, phases: dict, label: str) -> None:
    """Count the seconds `module.name` takes into `phases[label]`."""
    function = getattr(module, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            phases[label] = phases.get(label, 0.0) + time.perf_counter() - start

    setattr(module, name, wrapper)


def child(export_id: str) -> None:
    """Build one export in this process and print what it cost."""
    from reporting.exports import build, rows
    from reporting.models import Export

    baseline = peak_mb()
    phases: dict[str, float] = {}
    for module, name, label in PHASES:
        timed({"build": build, "rows": rows}[module], name, phases, label)
    start = time.perf_counter()
    outcome = build.export_build(export_id=export_id)
    wall = time.perf_counter() - start
    export = Export.objects.get(pk=export_id)
    print(json.dumps({"outcome": outcome, "wall": wall, "rows": export.row_count,
                      "size": export.size, "baseline_mb": baseline, "peak_mb": peak_mb(),
                      "phases": phases, "error": export.error}))


def copy_rows(user) -> tuple[float, int]:
    """COPY of the export's own statement; (seconds, bytes)."""
    import psycopg
    from django.db import connection

    from reporting.exports import rows

    queryset = rows.filtered(user, "findings", {})
    cols = rows.columns("findings", False)
    source = rows.SOURCES["findings"]
    lookups = [c.source for c in cols]
    extra = [source.owner] + [c.unless for c in cols if c.unless and c.unless not in lookups]
    sql, params = queryset.values_list(*lookups, *extra).query.sql_with_params()
    connection.ensure_connection()
    raw = connection.connection
    statement = psycopg.ClientCursor(raw).mogrify(sql, params)
    size = 0
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, raw.cursor() as cursor, cursor.copy(
            f"COPY ({statement}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
        for data in copy:
            out.write(data)
            size += len(data)
    return time.perf_counter() - start, size


def main(argv=None) -> None:
    args = parse_args(argv)
    url = database_url(DEFAULT_DATABASE_URL)
    if args.child:
        setup_django(url, MEDIA_ROOT=args.media)
        child(args.child)
        return

    started = time.perf_counter()
    name = url.rsplit("/", 1)[-1] if args.reuse else recreate_database(url)
    media = tempfile.mkdtemp(prefix="em-bench-export-")
    setup_django(url, MEDIA_ROOT=media)

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import transaction

    from cases.models import Membership, Organisation
    from monitoring.models import Finding
    from reporting.exports import rows
    from reporting.models import Export, ExportRecords

    t = time.perf_counter()
    if args.reuse:
        user = get_user_model().objects.get(username="bench.exporter")
    else:
        call_command("migrate", verbosity=0, interactive=False)
        seeder = seeding.Seeder(seeding.parse_args([
            "--organisations", str(args.organisations), "--cases", str(args.cases),
            "--findings", str(args.findings), "--seed", str(args.seed)]))
        with transaction.atomic():
            seeder.organisations_and_cases()
            user = get_user_model().objects.create(username="bench.exporter")
            Membership.objects.bulk_create(
                Membership(user=user, organisation=org, role="auditor")
                for org in Organisation.objects.all())
    seed_s = time.perf_counter() - t
    # The ids earlier runs kept: gone, so that each run inserts into the same table.
    ExportRecords.objects.filter(export__in=Export.objects.filter(requester=user)).delete()
    vacuum_analyze()
    total_findings = Finding.objects.count()
    expected = rows.filtered(user, "findings", {}).count()

    copies, builds = [], []
    for _ in range(args.repeat):
        copies.append(copy_rows(user))
        export = Export.objects.create(requester=user, organisation=Organisation.objects.first(),
                                       kind="findings", format="csv", row_count=expected)
        result = subprocess.run(  # noqa: S603 - this very script, in a child process
            [sys.executable, __file__, "--child", str(export.pk), "--media", media],
            capture_output=True, text=True, check=True, env={**os.environ})
        builds.append(json.loads(result.stdout.strip().splitlines()[-1]))
    shutil.rmtree(media, ignore_errors=True)

    report(name, args, seed_s, total_findings, expected, copies, builds)
    if args.json:
        write_json(args.json, rows={"findings": total_findings, "exported": expected},
                   copy=[s for s, _ in copies], export=[b["wall"] for b in builds],
                   peak_mb=[b["peak_mb"] for b in builds],
                   start_up_mb=[b["baseline_mb"] for b in builds],
                   outcomes=[b["outcome"] for b in builds])
    print(f"{'total':<22} {time.perf_counter() - started:.0f} s")


def report(name, args, seed_s, total_findings, expected, copies, builds) -> None:
    failed = [b for b in builds if b["outcome"] != "ready"]
    print("\nExtradition Monitor: findings export (CSV) against COPY")
    print("=" * 78)
    print(f"{'machine':<22} {machine_line()}")
    print(f"{'database':<22} {name}: "
          + ("reused" if args.reuse else f"dropped, recreated and seeded in {seed_s:.0f} s"))
    print(f"{'load average':<22} {load_average()} (1, 5, 15 min) at the end")
    print(f"{'findings':<22} {total_findings:,} in all; {expected:,} visible to the exporter "
          "and not RED")
    print("-" * 78)
    for i, ((c_s, c_size), b) in enumerate(zip(copies, builds, strict=True), 1):
        phases = ", ".join(f"{label} {b['phases'].get(label, 0.0):.2f}"
                           for _module, _name, label in PHASES)
        print(f"run {i}: COPY {c_s:6.2f} s, {c_size / 1e6:6.1f} MB | export {b['wall']:6.2f} s, "
              f"{b['size'] / 1e6:6.1f} MB, {b['rows']:,} rows, {b['outcome']}; "
              f"ratio {b['wall'] / c_s:.2f}\n       export: {phases} s; "
              f"peak {b['peak_mb']:.0f} MB (after start-up {b['baseline_mb']:.0f} MB)")
    for b in failed:
        print(f"FAILED: {b['error']}")
    print("-" * 78)
    ratios = [b["wall"] / c_s for (c_s, _), b in zip(copies, builds, strict=True)]
    print(f"{'measure':<22} {'COPY':>8} {'export':>8} {'ratio':>7}   target")
    for what, pick in (("wall time, min", min), ("wall time, median", statistics.median)):
        copy_s, build_s = pick(s for s, _ in copies), pick(b["wall"] for b in builds)
        print(f"{what:<22} {copy_s:>6.2f} s {build_s:>6.2f} s {build_s / copy_s:>6.2f}x   "
              f"<= {TARGET_RATIO}x: {'met' if build_s / copy_s <= TARGET_RATIO else 'NOT met'}")
    for what, pick in (("ratio of a run, min", min), ("ratio of a run, median",
                                                      statistics.median)):
        ratio = pick(ratios)
        print(f"{what:<22} {'':>8} {'':>8} {ratio:>6.2f}x   "
              f"<= {TARGET_RATIO}x: {'met' if ratio <= TARGET_RATIO else 'NOT met'}")
    peak = max(b["peak_mb"] for b in builds)
    start_up = max(b["baseline_mb"] for b in builds)
    print(f"{'peak memory (max)':<22} {'':>8} {peak:>6.0f} MB {'':>7}   < {TARGET_MB} MB: "
          f"{'met' if peak < TARGET_MB else 'NOT met'} (start-up {start_up:.0f} MB, "
          f"the export {peak - start_up:+.0f} MB)")
    print(f"{'export rows/s (median)':<22} {'':>8} "
          f"{expected / statistics.median(b['wall'] for b in builds):>8,.0f}")


if __name__ == "__main__":
    main()
