"""Celery tasks: thin wrappers; the work is in sweep.py and delivery.py."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from cases.audit_checkpoints import write_checkpoint

from . import delivery, health, retention
from .sweep import sweep

RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 10,
}


@shared_task(name="monitoring.sweep", **RETRY)
def sweep_task() -> dict:
    report = sweep()
    if report.notifications:
        deliver_pending_task.delay()
    checkpoint = write_checkpoint()
    health.record_sweep()
    return {"notifications": report.notifications, "missed": report.missed,
            "by_kind": dict(report.by_kind),
            "audit_checkpoint": checkpoint.seq if checkpoint else None}


@shared_task(name="monitoring.retention", **RETRY)
def retention_task() -> dict:
    """Daily: notices of coming erasures, and the erasures that are due."""
    report = retention.sweep_retention()
    if report.notices:
        deliver_pending_task.delay()
    return {"notices": report.notices, "erased": report.erased}


@shared_task(name="monitoring.deliver_pending", **RETRY)
def deliver_pending_task() -> int:
    """Fan out one delivery task per pending notification: any worker may take each."""
    ids = list(delivery.pending(delivery.timezone.now()).order_by("pk").values_list(
        "pk", flat=True)[:5000])
    for notification_id in ids:
        deliver_task.delay(notification_id)
    return len(ids)


@shared_task(name="monitoring.deliver", **RETRY)
def deliver_task(notification_id: int) -> str:
    return delivery.deliver(notification_id)
