"""The record and the sweep at one tenth, the full size and ten times it: how their time grows
with the rows that count.

Runs `compliance_record.py` and `monitoring_sweep.py` once per scale, each in a process of its
own on a database of its scale (`em_bench_record_x10`, dropped and recreated), and reads the
figures each writes with `--json`. With `--reuse` the record is measured again on what the last
run of each scale seeded, without seeding (the sweep changes its data: it always seeds).

It prints, per measure and scale, the median time and the rows that count, and from one scale
to the next the growth of each: time growing no faster than the rows is the goal.

    .venv/bin/python bench/growth.py                       # 0.1, 1 and 10: about an hour
    .venv/bin/python bench/growth.py --scales 0.1 1        # a few minutes
    .venv/bin/python bench/growth.py --only record --scales 1 10
    .venv/bin/python bench/growth.py --only record --reuse  # the record again, no seeding
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SERVER = "postgres://postgres@127.0.0.1:5432"

# Each benchmark at the full size, the rows that count for its growth, and the measures read.
BENCHMARKS = {
    "record": {
        "script": "compliance_record.py",
        "database": "em_bench_record",
        "reusable": True,
        "full": {"--cases": 20_000, "--findings": 500_000},
        "fixed": ["--repeat", "3"],
        "rows": "counted findings",
        "measures": ["record (by requesting_state)", "record by all four",
                     "record CN, no_torture, by year", "risk brief (CN, executive decision)"],
    },
    "sweep": {
        "script": "monitoring_sweep.py",
        "database": "em_bench",
        "reusable": False,
        "full": {"--cases": 10_000, "--follow-ups": 200_000},
        "fixed": ["--notifications", "0"],
        "rows": "alerts due (sum of kinds)",
        "measures": ["first sweep"],
    },
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[0.1, 1, 10])
    parser.add_argument("--only", choices=sorted(BENCHMARKS), action="append")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the record again on each scale's last seeding")
    parser.add_argument("--out", type=Path,
                        help="folder for each run's printout and figures (default: a new one)")
    args = parser.parse_args(argv)
    if any(scale <= 0 for scale in args.scales):
        parser.error("scales are positive")
    if args.reuse and any(not BENCHMARKS[name]["reusable"] for name in args.only or BENCHMARKS):
        parser.error("--reuse measures the record only: add --only record")
    return args


def database_of(name: str, scale: float) -> str:
    """Each scale's own database on the server of BENCH_DATABASE_URL (default: local), so that
    a later --reuse finds every scale still seeded."""
    server = os.environ.get("BENCH_DATABASE_URL", SERVER + "/").rsplit("/", 1)[0]
    suffix = f"{scale:g}".replace(".", "_")
    return f"{server}/{BENCHMARKS[name]['database']}_x{suffix}"


def run(name: str, scale: float, folder: Path, reuse: bool = False) -> dict:
    bench = BENCHMARKS[name]
    out = folder / f"{name}-{scale:g}.json"
    sizes = [str(part) for flag, full in bench["full"].items()
             for part in (flag, max(1, round(full * scale)))]
    command = [sys.executable, str(HERE / bench["script"]), *sizes, *bench["fixed"],
               *(["--reuse"] if reuse else []), "--json", str(out)]
    print(f"# {' '.join(command[1:])}", flush=True)
    started = time.perf_counter()
    log = folder / f"{name}-{scale:g}.log"
    with log.open("w") as handle:
        subprocess.run(  # noqa: S603 - this interpreter, our own scripts
            command, check=True, stdout=handle, stderr=subprocess.STDOUT,
            env={**os.environ, "BENCH_DATABASE_URL": database_of(name, scale)})
    figures = json.loads(out.read_text())
    figures["run_seconds"] = time.perf_counter() - started
    return figures


def growth(later: float, earlier: float) -> str:
    return f"x{later / earlier:.2f}" if earlier else "-"


def main(argv=None) -> None:
    args = parse_args(argv)
    scales = sorted(args.scales)
    names = args.only or list(BENCHMARKS)
    folder = args.out or Path(tempfile.mkdtemp(prefix="em-growth-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"each run's printout: {folder}", flush=True)
    print("Extradition Monitor: growth of the record and the sweep with their data", flush=True)
    for name in names:
        by_scale = {scale: run(name, scale, folder, args.reuse) for scale in scales}
        print_growth(name, by_scale, scales)


def print_growth(name: str, by_scale: dict, scales: list[float]) -> None:
    """One benchmark's measures at each scale, and their growth from one scale to the next."""
    bench = BENCHMARKS[name]
    print("=" * 100)
    print(f"{name} on {by_scale[scales[0]]['machine']}")
    print(f"rows that count: {bench['rows']}; each run, seeding included: "
          + ", ".join(f"x{s:g} {by_scale[s]['run_seconds']:.0f} s" for s in scales))
    print(f"{'measure':<38}{'scale':>7}{'rows':>12}{'median':>10}{'in DB':>9}"
          f"{'stmts':>7}{'rows grew':>11}{'time grew':>11}")
    for measure in bench["measures"]:
        previous = None
        for scale in scales:
            figures = by_scale[scale]
            rows = figures["rows"][bench["rows"]]
            m = figures["measures"][measure]
            grew = ("", "") if previous is None else (
                growth(rows, previous[0]), growth(m["median"], previous[1]))
            print(f"{measure:<38}{scale:>7g}{rows:>12,}{m['median']:>9.3f}s"
                  f"{m['in_db']:>8.3f}s{m['statements']:>7}{grew[0]:>11}{grew[1]:>11}",
                  flush=True)
            previous = (rows, m["median"])

if __name__ == "__main__":
    main()
