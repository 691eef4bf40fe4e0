"""The live server the browser tests drive answers requests sent side by side.

A browser sends a page's request and its suggestions' at once. When the server's threads
shared one SQLite connection, one thread's BEGIN met another's open statement and the write
failed with "database table is locked" (tests/conftest.py keeps the database in a file)."""

from __future__ import annotations

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from cases.models import Subject

from ..conftest import token_for
from .test_browser_paths import ensure_reference_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WRITERS = 6
WRITES = 4


@pytest.fixture
def reference_data(transactional_db):
    """The countries `world` needs: an earlier transactional test's flush emptied them."""
    ensure_reference_data()


def test_writes_sent_side_by_side_all_land(reference_data, live_server, world):
    secret = token_for(world.fr_caseworker)

    def write(n: int) -> list[int]:
        statuses = []
        for m in range(WRITES):
            request = urllib.request.Request(
                f"{live_server.url}/api/v1/subjects/", method="POST",
                data=json.dumps({"full_name": f"Writer {n} {m}"}).encode(),
                headers={"Authorization": f"Token {secret}",
                         "Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=60) as response:
                statuses.append(response.status)
        return statuses

    with ThreadPoolExecutor(WRITERS) as pool:
        statuses = [s for batch in pool.map(write, range(WRITERS)) for s in batch]

    assert statuses == [201] * WRITERS * WRITES
    assert Subject.objects.count() == WRITERS * WRITES
