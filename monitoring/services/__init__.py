"""Writes of monitoring: plans, follow-ups, check reports with their findings, evidence.

Like the case services, each checks the policy, validates, writes and records the audit event,
and changes nothing when it raises. A module per kind of record; callers use them as
`services.<name>`.
"""

from .calendar import calendar_feed_delete, calendar_feed_reset
from .evidence import evidence_upload
from .findings import (
    RESHARE_ALLOWED,
    finding_comment_create,
    finding_reshare,
    finding_reshare_withdraw,
    finding_share,
    finding_update,
    record_lapse,
    record_lapses,
)
from .follow_ups import follow_up_create, follow_up_update
from .history import report_record_past
from .notifications import notification_mark_read, notification_preferences_set
from .plans import (
    _moments,
    close_plan,
    hearing_recorded,
    phase_change,
    plan_for_case,
    plan_update,
    schedule_next,
    schedule_next_after_lapses,
)
from .reports import report_submit

__all__ = [
    "RESHARE_ALLOWED",
    # Read by bench/monitoring_sweep.py, which builds follow-ups as the plans do.
    "_moments",
    "calendar_feed_delete",
    "calendar_feed_reset",
    "close_plan",
    "evidence_upload",
    "report_record_past",
    "finding_comment_create",
    "finding_reshare",
    "finding_reshare_withdraw",
    "finding_share",
    "finding_update",
    "follow_up_create",
    "follow_up_update",
    "hearing_recorded",
    "notification_mark_read",
    "notification_preferences_set",
    "phase_change",
    "plan_for_case",
    "plan_update",
    "record_lapse",
    "record_lapses",
    "report_submit",
    "schedule_next",
    "schedule_next_after_lapses",
]
