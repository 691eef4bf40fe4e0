"""The compliance record and the risk brief read from a replica where there is one.

The replica here is a second connection to the test database (config/test_settings.py), so
the data must be committed for it to see: the test is transactional. Turned on, the record's
and the brief's reads go through that connection and give what the default one gives;
nothing is written through it, and a read inside a transaction stays on default."""

from __future__ import annotations

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext

from cases.replica import ReplicaRouter
from reporting.brief import earlier_surrenders
from reporting.record import compliance_records

from .test_compliance_record import record  # noqa: F401 (the fixture)

pytestmark = [
    pytest.mark.usefixtures("exact_counts"),
    # Reference data (countries) comes from migrations and a transactional test flushes it.
    pytest.mark.django_db(transaction=True, serialized_rollback=True,
                          databases=["default", "replica"]),
]

GROUPINGS = [("requesting_state",), ("requesting_state", "assurance_type"), ()]


def _read(user, case):
    default, replica = connections["default"], connections["replica"]
    with CaptureQueriesContext(default) as on_default, \
            CaptureQueriesContext(replica) as on_replica:
        result = (compliance_records(user, GROUPINGS), earlier_surrenders(user, case))
    return result, len(on_default), len(on_replica)


def test_the_record_and_the_brief_read_from_the_replica_and_give_the_same(
        record, settings):  # noqa: F811
    user, case = record.world.fr_caseworker, record.A
    on_primary, primary_queries, _ = _read(user, case)
    assert primary_queries > 0

    settings.DATABASE_REPLICA_ALIAS = "replica"
    on_replica, default_queries, replica_queries = _read(user, case)

    assert on_replica == on_primary
    assert default_queries == 0 and replica_queries == primary_queries


def test_a_read_inside_a_transaction_stays_on_default(record, settings):  # noqa: F811
    settings.DATABASE_REPLICA_ALIAS = "replica"
    with transaction.atomic():
        _result, default_queries, replica_queries = _read(record.world.fr_caseworker,
                                                          record.A)
    assert default_queries > 0 and replica_queries == 0


def test_the_replica_is_never_migrated_by_itself(settings):
    settings.DATABASE_REPLICA_ALIAS = "replica"
    router = ReplicaRouter()
    assert router.allow_migrate("replica", "cases") is False
    assert router.allow_migrate("default", "cases") is None
