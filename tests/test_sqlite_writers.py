"""The embedded default database serialises concurrent writers instead of failing them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from . import sqlite_writers

PROJECT = Path(__file__).resolve().parent.parent


def test_four_threads_of_audited_writes_on_a_sqlite_file_all_succeed(tmp_path):
    # The settings as deployed (config.settings), on a file: the test database is in memory.
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SECRET_KEY": "sqlite-writers-test",
        "MEDIA_ROOT": str(tmp_path / "media"),
    })

    done = subprocess.run(
        [sys.executable, "-m", "tests.sqlite_writers"], cwd=PROJECT, env=env,
        capture_output=True, text=True, timeout=300, check=False,
    )

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    writes = sqlite_writers.THREADS * sqlite_writers.WRITES_PER_THREAD
    assert report["failures"] == {}
    assert report["writes"] == writes
    assert report["chain_intact"]
    # Set-up (organisation, four members) and one event per write; a view logs one event.
    assert report["events"] == 1 + sqlite_writers.THREADS + writes
