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
  child process (so that its peak memory is its own): the same query, each cell formatted and
  neutralised, the CSV written to a temporary file, hashed, stored in MEDIA_ROOT, audited.
It prints the wall time of each, their ratio, the child's peak resident memory (and its memory
after start-up, before the export), the rows and the sizes of both files.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--media", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(export_id: str) -> None:
    """Build one export in this process and print what it cost."""
    baseline = rss_mb()
    from reporting.exports.build import export_build
    from reporting.models import Export

    start = time.perf_counter()
    outcome = export_build(export_id=export_id)
    wall = time.perf_counter() - start
    export = Export.objects.get(pk=export_id)
    print(json.dumps({"outcome": outcome, "wall": wall, "rows": export.row_count,
                      "size": export.size, "baseline_mb": baseline, "peak_mb": rss_mb(),
                      "error": export.error}))


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
    from reporting.models import Export

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

    copy_s = statistics.median(s for s, _ in copies)
    build_s = statistics.median(b["wall"] for b in builds)
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
        print(f"run {i}: COPY {c_s:6.2f} s, {c_size / 1e6:7.1f} MB | export {b['wall']:6.2f} s, "
              f"{b['size'] / 1e6:7.1f} MB, {b['rows']:,} rows, {b['outcome']}, "
              f"peak RSS {b['peak_mb']:.0f} MB (after start-up {b['baseline_mb']:.0f} MB)")
    print("-" * 78)
    print(f"{'COPY (median)':<22} {copy_s:.2f} s")
    print(f"{'export (median)':<22} {build_s:.2f} s ({expected / build_s:,.0f} rows/s)")
    print(f"{'ratio export / COPY':<22} {build_s / copy_s:.2f}")
    print(f"{'peak memory (max)':<22} {max(b['peak_mb'] for b in builds):.0f} MB resident")
    print(f"{'total':<22} {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
