"""Every row of the scale table in one run: the record, the brief, the sweep, the delivery, the
export and the lists, each beside its baseline (the figure before the work on scale, on this
kind of machine) and its target, as the minimum and median of three runs, with the ratio of
its time to the database's own work.

    .venv/bin/python bench/table.py                    # seeds every benchmark: about an hour
    .venv/bin/python bench/table.py --reuse            # record, export, lists: no seeding
    .venv/bin/python bench/table.py --only sweep record

Each benchmark runs in a process of its own, on its own database (the sweep's is seeded
afresh for each of its runs: a sweep changes its data), and writes its figures with `--json`;
each printout is kept in `--out`. Run it on a quiet machine: figures taken beside other work
vary by a third and more.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SERVER = "postgres://postgres@127.0.0.1:5432"
RUNS = 3

# Each benchmark: its script, database, arguments, and whether --reuse applies.
BENCHMARKS = {
    "record": ("compliance_record.py", "em_bench_record", ["--repeat", str(RUNS)], True),
    "sweep": ("monitoring_sweep.py", "em_bench", [], False),
    "export": ("export_findings.py", "em_bench_export", ["--repeat", str(RUNS)], True),
    "lists": ("web_pages.py", "em_bench_web", ["--lists-only", "--cases", "100000",
                                               "--findings", "400000", "--repeat", str(RUNS)],
              True),
}

# The figure each row had before the work on scale (the "today", 2-CPU machine).
BASELINE = {
    "record (by requesting_state)": "3.9-4.9 s",
    "risk brief (CN, executive decision)": "4.6 s",
    "first sweep": "6.8 s, 5,207 stmts",
    "delivery": "38-43 /s",
    "export": "1.72-2.11x COPY",
    "API findings, first page": "227 ms",
    "API follow-ups, first page": "122 ms",
    "API cases, first page (50 rows)": "4.3x SQL",
    "API cases by surrender_date": "163-166 ms",
    "API cases by -surrender_date": "163-166 ms",
    "API cases, reference search": "163-166 ms",
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=sorted(BENCHMARKS), nargs="+")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the record, export and lists on their last seeding")
    parser.add_argument("--out", type=Path,
                        help="folder for each run's printout and figures (default: a new one)")
    return parser.parse_args(argv)


def run(name: str, folder: Path, reuse: bool, index: int = 0) -> dict:
    script, database, fixed, reusable = BENCHMARKS[name]
    out = folder / f"{name}-{index}.json"
    command = [sys.executable, str(HERE / script), *fixed,
               *(["--reuse"] if reuse and reusable else []), "--json", str(out)]
    server = os.environ.get("BENCH_DATABASE_URL", SERVER + "/").rsplit("/", 1)[0]
    print(f"# {' '.join(command[1:])}", flush=True)
    started = time.perf_counter()
    with (folder / f"{name}-{index}.log").open("w") as log:
        subprocess.run(  # noqa: S603 - this interpreter, our own scripts
            command, check=True, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "BENCH_DATABASE_URL": f"{server}/{database}"})
    print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    return json.loads(out.read_text())


class Table:
    HEADER = (f"{'measure':<40}{'baseline':>20}{'min':>10}{'median':>10}{'ratio':>8}  "
              f"{'target':<22}met")

    def __init__(self):
        self.lines = [self.HEADER]

    def row(self, name: str, baseline: str, low: str, mid: str, ratio: str, target: str,
            met: bool) -> None:
        self.lines.append(f"{name:<40}{baseline:>20}{low:>10}{mid:>10}{ratio:>8}  "
                          f"{target:<22}{'yes' if met else 'NO'}")


def seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def record_rows(table: Table, figures: dict) -> None:
    """The record and the brief; ratio: wall time to the time of their statements."""
    for name, limit in (("record (by requesting_state)", 0.150),
                        ("record by all four", 0.150),
                        ("risk brief (CN, executive decision)", 0.300)):
        m = figures["measures"][name]
        ratio = m["median"] / m["in_db"]
        table.row(name, BASELINE.get(name, "-"), seconds(m["min"]), seconds(m["median"]),
                  f"{ratio:.2f}x", f"<= {limit * 1000:.0f} ms" + (", <= 2x SQL"
                                                                  if name.startswith("record")
                                                                  else ""),
                  m["median"] <= limit and (ratio <= 2 or not name.startswith("record")))


def sweep_rows(table: Table, runs: list[dict]) -> None:
    """The sweep and the delivery, one figure from each seeded run."""
    walls = [r["measures"]["first sweep"]["median"] for r in runs]
    in_db = statistics.median(r["measures"]["first sweep"]["in_db"] for r in runs)
    statements = max(r["measures"]["first sweep"]["statements"] for r in runs)
    median = statistics.median(walls)
    table.row(f"sweep after a week ({statements} stmts)", BASELINE["first sweep"],
              seconds(min(walls)), seconds(median), f"{median / in_db:.2f}x", "<= 1 s",
              median <= 1.0)
    rates = [r["measures"]["delivery"]["per_second"] for r in runs if "delivery" in r["measures"]]
    if rates:
        # The slowest run is the "min" of a rate.
        table.row("delivery, notifications per second", BASELINE["delivery"],
                  f"{min(rates):,.0f}/s", f"{statistics.median(rates):,.0f}/s", "",
                  ">= 1,000 /s", statistics.median(rates) >= 1000)


def export_rows(table: Table, figures: dict) -> None:
    ratios = [e / c for e, c in zip(figures["export"], figures["copy"], strict=True)]
    median = statistics.median(ratios)
    table.row(f"findings CSV export, {figures['rows']['exported']:,} rows", BASELINE["export"],
              f"{min(ratios):.2f}x", f"{median:.2f}x", "", "<= 1.3x COPY", median <= 1.3)
    peak = max(figures["peak_mb"])
    table.row("  its peak memory (max of runs)", "-", "", f"{peak:.0f} MB", "", "< 100 MB",
              peak < 100)


def list_rows(table: Table, figures: dict) -> None:
    for name, m in figures["measures"].items():
        if m["target"] is None:
            continue
        baseline = next((b for key, b in BASELINE.items() if name.startswith(key)), "-")
        ratio = m["median_ms"] / m["sql_ms"] if m["sql_ms"] else 0
        table.row(name[:40], baseline, f"{m['min_ms']:.0f} ms", f"{m['median_ms']:.0f} ms",
                  f"{ratio:.1f}x", m["target"], m["met"])


def main(argv=None) -> None:
    args = parse_args(argv)
    names = args.only or list(BENCHMARKS)
    folder = args.out or Path(tempfile.mkdtemp(prefix="em-table-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"each run's printout: {folder}", flush=True)
    table, machine = Table(), ""
    for name in names:
        if name == "sweep":
            runs = [run(name, folder, args.reuse, i) for i in range(RUNS)]
            sweep_rows(table, runs)
            machine = runs[-1]["machine"]
            continue
        figures = run(name, folder, args.reuse)
        machine = figures["machine"]
        {"record": record_rows, "export": export_rows, "lists": list_rows}[name](table, figures)
    print("=" * len(Table.HEADER))
    print(f"Extradition Monitor at scale: {machine}")
    print("min and median of three runs; ratio: median to the database's own time for the "
          "same work")
    print("\n".join(table.lines))


if __name__ == "__main__":
    main()
