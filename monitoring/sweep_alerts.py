"""The sweep's alerts, written by the set: one INSERT … SELECT per kind of alert.

The rows an alert is about (follow-ups or plans, already locked by the sweep) are passed to
the database as one JSON parameter, each with its case, assignee, once-only key and English
text, made here in Python for the few rows that need an alert. The database joins them to
their recipients: the active members of the case's organisation in the roles the kind of
alert goes to (the assignee first), only the named people of a TLP:RED case, each with their
e-mail preference for the kind. The unique key makes a second write of the same alert a
no-op, whoever writes it.
"""

from __future__ import annotations

import datetime
import functools
import json
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models.expressions import RawSQL
from django.utils import translation
from django.utils.translation import gettext_noop

from cases.models import Case, Membership
from cases.models.sharing import TLP

from .models import Notification, NotificationPreference

Kind = Notification.Kind
Role = Membership.Role

# Stored in English, and written in each reader's language when shown or sent (the case's
# reference only, never a name: e-mails leave the system).
_TEXT = {
    Kind.DUE_SOON: gettext_noop(
        "A follow-up on case %(ref)s opens on %(opens)s; it is due by %(due)s."),
    Kind.DUE: gettext_noop("A follow-up on case %(ref)s is due now, by %(due)s."),
    Kind.OVERDUE: gettext_noop("A follow-up on case %(ref)s was due by %(due)s and has no "
                               "report."),
    Kind.ESCALATION: gettext_noop("A follow-up on case %(ref)s is overdue since %(due)s: "
                                  "escalated to you."),
    Kind.MISSED: gettext_noop("A follow-up on case %(ref)s due by %(due)s was missed: "
                              "monitoring has lapsed."),
    Kind.SILENCE: gettext_noop("No check with access to the person of case %(ref)s since "
                               "%(since)s."),
}


@dataclass(frozen=True)
class Alert:
    """What one follow-up's or plan's alert says, before it has recipients."""

    case_id: int
    follow_up_id: int | None
    assignee_id: int | None
    key: str
    subject: str
    body: str
    params: dict


def alert(kind: str, *, case_id: int, reference: str, key: str, follow_up_id=None,
          assignee_id=None, **moments: datetime.datetime) -> Alert:
    """The alert of `kind` on a case; `moments` fill its text (`due`, `opens`, `since`)."""
    args = {"ref": reference}
    english = {**args, **{name: _when(moment) for name, moment in moments.items()}}
    return Alert(case_id=case_id, follow_up_id=follow_up_id, assignee_id=assignee_id, key=key,
                 subject=f"{_subject_prefix(kind, settings.LANGUAGE_CODE)}: {reference}",
                 body=_TEXT[kind] % english,
                 params=Notification.params_of(body=_TEXT[kind], args=args, dates=moments))


@functools.cache
def _subject_prefix(kind: str, language: str) -> str:
    """The stored subject's start, in the site's language: the same for every alert of a kind
    (switching the language for each of thousands of alerts costs more than their SQL)."""
    with translation.override(language):
        return f"{Notification.EMAIL_PREFIX}{Kind(kind).label}"


def _when(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


# Who hears of an alert, as a condition on the member `m` of the case's organisation `c`
# and the alert `j` (its assignee). An assignee who left the organisation is replaced by its
# caseworkers and admins.
_ACTIVE_MEMBER = ("SELECT 1 FROM {membership} m2 JOIN {user} u2 ON u2.id = m2.user_id "
                  "AND u2.is_active WHERE m2.organisation_id = c.owner_id "
                  "AND m2.user_id = j.assignee_id")
AUDIENCES = {
    "workers": (f"(m.user_id = j.assignee_id OR (m.role IN (%s, %s) "
                f"AND NOT EXISTS ({_ACTIVE_MEMBER})))", [Role.CASEWORKER, Role.ORG_ADMIN]),
    "escalation": ("(m.user_id = j.assignee_id OR m.role IN (%s, %s))",
                   [Role.ORG_ADMIN, Role.LIAISON]),
    "everyone_but_auditors": ("m.role IN (%s, %s, %s)",
                              [Role.CASEWORKER, Role.ORG_ADMIN, Role.LIAISON]),
}


def _records_sql() -> str:
    """The alerts as a table `j`, from one JSON parameter."""
    if connection.vendor == "postgresql":
        return ("jsonb_to_recordset(%s::jsonb) AS j(case_id uuid, follow_up_id uuid, "
                "assignee_id integer, key text, subject text, body text, params jsonb)")
    fields = ("case_id", "follow_up_id", "assignee_id", "key", "subject", "body", "params")
    columns = ", ".join(f"json_extract(value, '$.{name}') AS {name}" for name in fields)
    return f"(SELECT {columns} FROM json_each(%s)) AS j"  # noqa: S608 - fixed names


def write(kind: str, audience: str, alerts: list[Alert], now: datetime.datetime) -> int:
    """Write `alerts` of `kind` to their recipients in one statement; how many rows were new."""
    if not alerts:
        return 0
    tables = {"notification": Notification._meta.db_table, "case": Case._meta.db_table,
              "membership": Membership._meta.db_table, "user": get_user_model()._meta.db_table,
              "preference": NotificationPreference._meta.db_table,
              "named": Case.named_recipients.through._meta.db_table}
    condition, condition_params = AUDIENCES[audience]
    # Only table names and the fixed fragments above are written into the statement; every
    # value is a parameter.
    sql = f"""
        INSERT INTO {{notification}} (recipient_id, kind, case_id, follow_up_id, dedup_key,
            subject, body, params, send_email, created_at, attempts, last_error, failed)
        SELECT m.user_id, %s, j.case_id, j.follow_up_id,
               j.key || ':' || CAST(m.user_id AS TEXT), j.subject, j.body, j.params,
               COALESCE(p.email, TRUE), %s, 0, '', FALSE
        FROM {_records_sql()}
        JOIN {{case}} c ON c.id = j.case_id
        JOIN {{membership}} m ON m.organisation_id = c.owner_id
        JOIN {{user}} u ON u.id = m.user_id AND u.is_active
        LEFT JOIN {{preference}} p ON p.user_id = m.user_id AND p.kind = %s
        WHERE (c.tlp <> %s OR EXISTS (SELECT 1 FROM {{named}} r
                                      WHERE r.case_id = c.id AND r.user_id = m.user_id))
          AND {condition}
        ON CONFLICT (dedup_key) DO NOTHING
    """.format(**tables)  # noqa: S608
    # vars(), not asdict(): asdict deep-copies every alert's params on the way.
    records = json.dumps([vars(one) for one in alerts], default=_uuid_as_stored)
    params = [str(kind), connection.ops.adapt_datetimefield_value(now), records, str(kind),
              str(TLP.RED), *map(str, condition_params)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _uuid_as_stored(value: uuid.UUID) -> str:
    """A UUID as the database compares it: SQLite keeps its 32 hex digits."""
    return str(value) if connection.vendor == "postgresql" else value.hex


def ids_in(ids: list) -> RawSQL:
    """A subquery of `ids`, one parameter however many: for `pk__in`."""
    if connection.vendor == "postgresql":
        kind = "uuid" if ids and not isinstance(ids[0], int) else "bigint"
        values = [str(i) if kind == "uuid" else i for i in ids]
        return RawSQL(f"SELECT unnest(%s::{kind}[])", [values])  # noqa: S611 - a parameter
    values = [i if isinstance(i, int) else i.hex for i in ids]
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(values)])  # noqa: S611

