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


# Delivery runs queued side by side at most: each claims its own batch.
DELIVERERS = 4


@shared_task(name="monitoring.deliver_pending", **RETRY)
def deliver_pending_task() -> int:
    """Queue delivery runs for what is pending, one per batch up to DELIVERERS: any worker may
    take each, and each run claims a batch of its own."""
    pending = delivery.pending(delivery.timezone.now()).count()
    runs = min(DELIVERERS, -(-pending // delivery.BATCH))
    for _run in range(runs):
        deliver_batch_task.delay()
    return runs


@shared_task(name="monitoring.deliver_batch", **RETRY)
def deliver_batch_task() -> dict:
    """Deliver one batch; a full batch means more may wait, so another run is queued."""
    counts = delivery.deliver_batch()
    if counts["claimed"] == delivery.BATCH:
        deliver_batch_task.delay()
    return counts


@shared_task(name="monitoring.deliver", **RETRY)
def deliver_task(notification_id: int) -> str:
    """One notification (runs queued one per notification before delivery went by batches)."""
    return delivery.deliver(notification_id)
