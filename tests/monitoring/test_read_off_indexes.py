"""The statements that read many rows in one go find them through the index kept for them, not
by reading the whole table (PostgreSQL's plans, with sequential scans priced out:
tests/plan_support.py): the sweep's silent plans, and each case's first check with access in
the compliance record."""

from __future__ import annotations

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from monitoring.models import CheckReport, MonitoringPlan
from monitoring.sweep import sweep
from reporting.record import counting_statement

from ..monitoring_helpers import NOW, freeze, monitored_case
from ..plan_support import indexes_read, on_postgresql, plan

pytestmark = on_postgresql


def test_the_sweep_finds_the_silent_plans_through_their_deadline_index(world, time_machine):
    freeze(time_machine)
    monitored_case(world)
    with CaptureQueriesContext(connection) as queries:
        sweep(now=NOW + datetime.timedelta(days=90))
    table = MonitoringPlan._meta.db_table
    [lookup] = [q["sql"] for q in queries.captured_queries
                if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"]
                and '"silence_due_at" <=' in q["sql"]]
    [index] = MonitoringPlan._meta.indexes
    assert index.fields == ["active", "silence_due_at"]
    assert {name for _kind, name in indexes_read(plan(lookup), table)} == {index.name}


def test_the_record_reads_each_cases_first_check_with_access_off_its_index(world):
    _connection, sql, params = counting_statement(world.fr_caseworker, [("requesting_state",)])
    table = CheckReport._meta.db_table
    assert ("Index Only Scan", "checkreport_granted") in indexes_read(
        plan(sql, params=params), table)
