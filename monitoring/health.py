"""What a load balancer asks before sending traffic: is the database answering, can tasks be
queued, is there disk left, and is the reminder sweep running.

Each check answers a `Check` whose detail names no host, path or error: the endpoint is public.
Causes go to the log.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

logger = logging.getLogger(__name__)

# The cache keys: when the last sweep completed, and when a probe first found none yet.
LAST_SWEEP_KEY = "monitoring:last-sweep"
AWAITING_SWEEP_KEY = "monitoring:awaiting-first-sweep"
# Long enough to outlive any alarm about it; a sweep every few minutes rewrites it.
KEPT_SECONDS = 30 * 24 * 3600
PROBE_TIMEOUT_SECONDS = 2


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str


def record_sweep() -> None:
    """Called when a sweep has completed (beat's task, the operator's command)."""
    cache.set(LAST_SWEEP_KEY, timezone.now().timestamp(), KEPT_SECONDS)


def database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.warning("health: the database does not answer", exc_info=True)
        return Check(False, "unreachable")
    return Check(True, "ok")


def broker() -> Check:
    """Redis answers a ping; without Redis, the broker's folder can be written."""
    if settings.REDIS_URL:
        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_timeout=PROBE_TIMEOUT_SECONDS,
                                 socket_connect_timeout=PROBE_TIMEOUT_SECONDS).ping()
        except redis.RedisError:
            logger.warning("health: Redis does not answer", exc_info=True)
            return Check(False, "unreachable")
        return Check(True, "ok")
    messages = Path(settings.BROKER_FOLDER) / "messages"
    if not os.access(messages, os.W_OK | os.X_OK):
        logger.warning("health: the broker folder %s cannot be written", messages)
        return Check(False, "not writable")
    return Check(True, "ok")


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def disk() -> Check:
    folders = [Path(settings.MEDIA_ROOT)]
    if not settings.REDIS_URL:
        folders.append(Path(settings.BROKER_FOLDER))
    for folder in folders:
        free = shutil.disk_usage(_existing(folder)).free
        if free < settings.HEALTH_MIN_FREE_BYTES:
            logger.warning("health: %s has %d bytes free", folder, free)
            return Check(False, "low")
    return Check(True, "ok")


def last_sweep() -> Check:
    """The last sweep is recent enough. Before the first one, "not yet" for as long as a sweep
    may be late, counted from the first probe that found none (shared by every process)."""
    limit = settings.HEALTH_SWEEP_MAX_AGE_SECONDS
    now = timezone.now().timestamp()
    try:
        completed = cache.get(LAST_SWEEP_KEY)
        if completed is None:
            cache.add(AWAITING_SWEEP_KEY, now, KEPT_SECONDS)
            awaited = now - cache.get(AWAITING_SWEEP_KEY, now)
            return Check(awaited <= limit, "not yet")
    except Exception:
        logger.warning("health: the cache does not answer", exc_info=True)
        return Check(False, "unknown")
    age = now - completed
    return Check(age <= limit, f"{int(age)} s ago")


CHECKS = {"database": database, "broker": broker, "disk": disk, "last_sweep": last_sweep}


def run_checks() -> dict[str, Check]:
    return {name: check() for name, check in CHECKS.items()}
