"""A CSV export on PostgreSQL is written by the database itself (COPY): the very bytes of the
formatted SELECT the writers read, whatever the cells hold, in the export's order. The same
statement keeps the ids of the rows written and tells their labels and whether any holds a
sealed value, which only the application can open.

Findings of one ngo_fr case shared with fr_de_group: the French caseworker sees them as their
owner, the German liaison as a recipient (the evidence summary only where marked shareable).
"""

from __future__ import annotations

import csv
import datetime
import io

import psycopg
import pytest
from django.db import connection

from cases.models import Assurance, Case, Subject
from cases.models.sealed import sealed_changes
from cases.models.sharing import TLP, Distribution
from monitoring.models import Finding
from reporting.exports import build, rows
from reporting.models import Export

from ..factories import AssuranceFactory
from ..monitoring_helpers import NOW, first_visit, freeze, monitored_case, submit
from .kept_support import kept_ids

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="COPY is PostgreSQL's")
# Formula starts, a CSV's own characters, nothing at all, and text beyond ASCII.
HOSTILE = ['=HYPERLINK("http://x")', "+1+2", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd", "",
           'a,b\n"c"', "Ünïcode", "plain"]
TYPES = ["no_torture", "fair_trial", "detention_conditions", "lawyer_access", "family_contact"]


@pytest.fixture
def findings(world, time_machine):
    freeze(time_machine)
    case = monitored_case(world, distribution=Distribution.SHARING_GROUP,
                          sharing_group=world.fr_de_group)
    assurances = [AssuranceFactory(case=case, type=kind) for kind in TYPES]
    submit(world, first_visit(case), checked_at=NOW, findings=[
        {"assurance": assurance, "outcome": "complied", "severity": "low"}
        for assurance in assurances])
    made = list(Finding.objects.filter(assurance__in=assurances).order_by("assurance__type"))
    # Whatever the cells hold: text a spreadsheet would run, moments with microseconds (cut,
    # never rounded, to the second), no moment at all, both booleans.
    for i, finding in enumerate(made):
        Finding.objects.filter(pk=finding.pk).update(
            outcome=HOSTILE[i], severity=HOSTILE[i + 5], confidence=HOSTILE[-1 - i],
            observed_at=NOW + datetime.timedelta(minutes=i, microseconds=999_999 * (i % 2)),
            shared_at=None if i % 2 else NOW - datetime.timedelta(microseconds=1),
            is_open=bool(i % 2), summary_shareable=bool(i % 3 == 0),
            tlp=[TLP.GREEN, TLP.AMBER][i % 2], distribution=Distribution.SHARING_GROUP,
            sharing_group=world.fr_de_group)
    Assurance.objects.filter(pk=assurances[0].pk).update(type="@type")
    Case.objects.filter(pk=case.pk).update(reference="=REF")
    Subject.objects.filter(pk=case.subject_id).update(reference="-SUBJ")
    return made


def _copied(sql: str, params) -> bytes:
    """What COPY writes of a SELECT."""
    raw = connection.connection
    statement = psycopg.ClientCursor(raw).mogrify(sql, params)
    out = io.BytesIO()
    with raw.cursor() as cursor, cursor.copy(
            f"COPY ({statement}) TO STDOUT WITH (FORMAT csv)") as copy:
        for data in copy:
            out.write(data)
    return out.getvalue()


def _formatted_select(user, queryset, kind: str, cols):
    """The SELECT the writers read (`iter_rows`), each cell formatted by the database."""
    cells = rows._cells(user, queryset, kind, cols, "csv")
    return queryset.annotate(**cells).values_list(*cells).query.sql_with_params()


def _summarise(finding: Finding, text: str) -> None:
    Finding.objects.filter(pk=finding.pk).update(
        **sealed_changes(finding, {"evidence_summary": text}))


def _findings(user):
    return rows.filtered(user, "findings", {}), rows.columns("findings", False)


def _export(user) -> Export:
    return Export.objects.create(requester=user, organisation=user.memberships.first()
                                 .organisation, kind="findings", format="csv")


def _copy(user, queryset, cols, out) -> int:
    """The export's COPY of `queryset` into `out`, for an export of its own; the rows."""
    return rows.copy_csv_keeping(user, queryset, "findings", cols, out, _export(user)).rows


@on_postgresql
@pytest.mark.parametrize("who", ["fr_caseworker", "de_liaison"])
def test_the_copy_writes_the_bytes_of_the_formatted_select(world, findings, who):
    user = getattr(world, who)
    queryset, cols = _findings(user)
    expected = _copied(*_formatted_select(user, queryset, "findings", cols))
    out = io.BytesIO()
    assert _copy(user, queryset, cols, out) == len(findings) == 5
    assert out.getvalue() == expected
    assert b"'=HYPERLINK" in expected and b"'@type" in expected and b"'=REF" in expected
    assert b"2026-03-10T09:00:00Z" in expected and b"2026-03-10T09:01:00Z" in expected


@on_postgresql
def test_the_copy_holds_the_values_the_writers_write_in_their_order(world, findings):
    user = world.de_liaison
    queryset, cols = _findings(user)
    out = io.BytesIO()
    _copy(user, queryset, cols, out)
    copied = list(csv.reader(io.StringIO(out.getvalue().decode(), newline="")))
    written = [["" if v is None else v for v in row]
               for chunk in rows.iter_rows(user, queryset, "findings", cols, fmt="csv")
               for row in chunk]
    assert copied == [list(row) for row in written]
    assert [row[0] for row in copied] == [str(f.pk) for f in queryset]


@on_postgresql
def test_the_copy_writes_iso_moments_whatever_the_sessions_date_style(world, findings):
    user = world.fr_caseworker
    queryset, cols = _findings(user)
    expected = _copied(*_formatted_select(user, queryset, "findings", cols))
    export = _export(user)  # before: the ORM reads moments in ISO only
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL datestyle = 'SQL, DMY'")
    out = io.BytesIO()
    rows.copy_csv_keeping(user, queryset, "findings", cols, out, export)
    assert out.getvalue() == expected


def test_the_copy_neutralises_each_formula_start_and_nothing_else():
    assert rows.FORMULA_CODES.split(", ") == [str(ord(c)) for c in rows.FORMULA_STARTS]
    assert {chr(int(code)) for code in rows.FORMULA_CODES.split(", ")} == {
        "=", "+", "-", "@", "\t", "\r"}


@on_postgresql
@pytest.mark.parametrize("who", ["fr_caseworker", "de_liaison"])
def test_the_copy_keeps_exactly_its_rows_and_tells_their_labels(world, findings, who):
    user = getattr(world, who)
    queryset, cols = _findings(user)
    kept = io.BytesIO()
    export = _export(user)
    copied = rows.copy_csv_keeping(user, queryset, "findings", cols, kept, export)
    assert kept.getvalue() == _copied(*_formatted_select(user, queryset, "findings", cols))
    assert copied == rows.Copied(5, {TLP.GREEN, TLP.AMBER}, False)
    assert sorted(kept_ids(export)) \
        == sorted(f.pk for f in findings)


@on_postgresql
def test_the_copy_tells_a_sealed_value_wherever_it_is_and_only_the_labels_written(
        world, findings):
    user = world.fr_caseworker
    queryset, cols = _findings(user)
    _summarise(findings[1], "Seen by doctor X")
    first = rows.copy_csv_keeping(user, queryset, "findings", cols, io.BytesIO(),
                                  _export(user))
    assert first == rows.Copied(5, {TLP.GREEN, TLP.AMBER}, True)
    # What one copy found is not found again by the next, in the same transaction or not.
    green = queryset.filter(tlp=TLP.GREEN)
    assert green.count() == 3 and findings[1] not in green
    second = rows.copy_csv_keeping(user, green, "findings", cols, io.BytesIO(),
                                   _export(user))
    assert second == rows.Copied(3, {TLP.GREEN}, False)


@on_postgresql
def test_a_csv_build_with_a_sealed_summary_is_written_by_the_application_from_the_ids_kept(
        world, findings):
    """The database cannot open a sealed value: the file the COPY wrote is dropped and written
    again, with the summary opened, from the rows it kept (kept once)."""
    user = world.fr_caseworker
    _summarise(findings[1], "Seen by doctor X")
    export = _export(user)
    assert build.export_build(export_id=export.pk) == "ready"
    export.refresh_from_db()
    with export.file.open("rb") as fh:
        written = list(csv.reader(io.StringIO(fh.read().decode("utf-8-sig"), newline="")))
    assert written[0] == [c.name for c in rows.columns("findings", False)]
    assert [row[0] for row in written[1:]] == [str(f.pk) for f in _findings(user)[0]]
    assert "Seen by doctor X" in {row[-1] for row in written[1:]}
    assert (export.row_count, export.tlp) == (5, TLP.AMBER)
    kept = kept_ids(export)
    assert sorted(kept) == sorted(f.pk for f in findings)
