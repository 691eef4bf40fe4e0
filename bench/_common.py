"""What the benchmarks share: their own PostgreSQL database, dropped and recreated; Django set up
against it as in production (DEBUG off); weighted picks for the seeders; a meter that counts and
times every SQL statement; and the facts of the machine the figures come from.

Each script imports it as `_common` (the scripts run as `python bench/<name>.py`, so bench/ is
on the path).
"""

from __future__ import annotations

import base64
import cProfile
import datetime
import json
import os
import platform
import pstats
import random
import re
import secrets
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BATCH = 5000  # rows per bulk insert
DAY = datetime.timedelta(days=1)


# --- database and Django ---------------------------------------------------------------------


def database_url(default: str) -> str:
    """BENCH_DATABASE_URL, or the script's own default database."""
    return os.environ.get("BENCH_DATABASE_URL", default)


def recreate_database(url: str) -> str:
    """Drop and create the database `url` names (its name must contain 'bench'); its name."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"Refusing to drop database {name!r}: the benchmark database's name must "
                 f"contain 'bench'. Set BENCH_DATABASE_URL to a database of its own.")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def setup_django(url: str, **environ: str) -> None:
    """Django on the production settings against `url`, with `environ` set besides."""
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DEBUG"] = "False"  # no query log kept in memory, as in production
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    for name in ("FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY", "CELL_KEY_SECRET"):
        os.environ.setdefault(name, base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    os.environ.update(environ)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


@dataclass
class Seeding:
    """How long preparing the database took: migrations, bulk inserts, VACUUM ANALYZE."""

    migrate: float = 0.0
    inserts: float = 0.0
    analyze: float = 0.0

    @property
    def total(self) -> float:
        return self.migrate + self.inserts + self.analyze

    def __str__(self) -> str:
        return (f"{self.total:.1f} s (migrate {self.migrate:.1f} s, bulk inserts "
                f"{self.inserts:.1f} s, VACUUM ANALYZE {self.analyze:.1f} s)")


def vacuum_analyze() -> float:
    """VACUUM ANALYZE the database, so the planner knows the seeded tables; its seconds."""
    from django.db import connection

    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return time.perf_counter() - start


def migrate_and_seed(seed):
    """Migrate, run `seed()` in one transaction, VACUUM ANALYZE: what `seed` returned, and
    the times (Seeding)."""
    from django.core.management import call_command
    from django.db import transaction

    times = Seeding()
    start = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    times.migrate = time.perf_counter() - start
    start = time.perf_counter()
    with transaction.atomic():
        result = seed()
    times.inserts = time.perf_counter() - start
    times.analyze = vacuum_analyze()
    return result, times


def pick(rng: random.Random, weights: dict):
    """One key of `weights`, drawn by its weight."""
    return rng.choices(list(weights), weights=list(weights.values()))[0]


# --- measuring -------------------------------------------------------------------------------

_TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"(\w+)"', re.IGNORECASE)


@dataclass
class QueryMeter:
    """Counts and times every statement on the connection (connection.execute_wrapper), by
    statement and table; with `keep`, every statement with its time and parameters too."""

    keep: bool = False
    count: int = 0
    seconds: float = 0.0
    groups: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0.0]))
    statements: list = field(default_factory=list)

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - start
            self.count += 1
            self.seconds += elapsed
            verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
            table = _TABLE.search(sql)
            group = self.groups[f"{verb} {table.group(1) if table else ''}".strip()]
            group[0] += 1
            group[1] += elapsed
            if self.keep:
                self.statements.append((elapsed, sql, params))


@dataclass
class Measure:
    name: str
    wall: float
    meter: QueryMeter
    result: object
    profile: pstats.Stats | None = None


def measure(name: str, fn, profile: bool = False, keep: bool = False) -> Measure:
    """One run of `fn`: its wall time, its statements and, with `profile`, cProfile's stats."""
    from django.db import connection

    meter = QueryMeter(keep=keep)
    profiler = cProfile.Profile() if profile else None
    with connection.execute_wrapper(meter):
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        result = fn()
        if profiler:
            profiler.disable()
        wall = time.perf_counter() - start
    stats = pstats.Stats(profiler) if profiler else None
    return Measure(name, wall, meter, result, stats)


def summary(runs) -> dict:
    """Runs of one measure, as (wall seconds, QueryMeter) pairs: fastest, median, in the
    database (median) and statements (most)."""
    walls = [wall for wall, _ in runs]
    return {"min": min(walls), "median": statistics.median(walls),
            "in_db": statistics.median(meter.seconds for _, meter in runs),
            "statements": max(meter.count for _, meter in runs)}


def write_json(path: str, **figures) -> None:
    """A run's figures for bench/growth.py: the rows that count and each measure's summary."""
    Path(path).write_text(json.dumps({"machine": machine_line(), **figures}, indent=2))


def n(value: int) -> str:
    return f"{value:,}"


def print_breakdown(m: Measure, top: int = 8) -> None:
    groups = sorted(m.meter.groups.items(), key=lambda kv: kv[1][1], reverse=True)[:top]
    print(f"  {m.name}: where the database time goes (statement, table)")
    for name, (count, seconds) in groups:
        print(f"    {name:<44} {n(count):>8} statements  {seconds:8.3f} s")


def print_profile(m: Measure, top: int = 20) -> None:
    if m.profile is None:
        return
    print(f"\n  {m.name}: top functions by cumulative time")
    m.profile.sort_stats("cumulative").print_stats(top)
    print(f"\n  {m.name}: the product's own functions by cumulative time")
    m.profile.sort_stats("cumulative").print_stats(r"/(cases|monitoring|reporting|accounts)/", top)
    print(f"\n  {m.name}: top functions by own time")
    m.profile.sort_stats("tottime").print_stats(top)


# --- the machine -----------------------------------------------------------------------------


def load_average() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def postgres_setting(name: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


def machine_line() -> str:
    """The machine in one line: architecture, CPUs, Python and PostgreSQL."""
    return (f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"PostgreSQL {postgres_setting('server_version')}")


def machine_facts() -> list[tuple[str, str]]:
    """The machine in detail: CPU model, memory, system, versions, PostgreSQL's buffers."""
    import django
    from django.db import connection

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f"{pages / 2**30:.0f} GiB RAM"
    except (ValueError, OSError, AttributeError):
        pass
    settings = connection.settings_dict
    return [
        ("CPUs", f"{os.cpu_count()}" + (f" ({model})" if model else "")),
        ("memory", memory or "unknown"),
        ("system", f"{platform.system()} {platform.release()}"),
        ("Python / Django", f"{platform.python_version()} / {django.get_version()}"),
        ("PostgreSQL", f"{postgres_setting('server_version')} at {settings['HOST']}:"
                       f"{settings['PORT']}, shared_buffers {postgres_setting('shared_buffers')}"),
    ]
