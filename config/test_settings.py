"""Test overrides: fast hashing, in-memory mail, generous throttles."""

import atexit
import shutil
import tempfile
from pathlib import Path

from .settings import *  # noqa: F403
from .settings import DATABASES, REST_FRAMEWORK

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"login": "1000/min"},
}

# Tasks run in-process unless a test starts a real worker (in its own process and settings).
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"

# Uploaded files of a test run go to a temporary folder, never into the project, removed when
# the process that made it ends.
MEDIA_ROOT = tempfile.mkdtemp(prefix="em-test-media-")
atexit.register(shutil.rmtree, MEDIA_ROOT, ignore_errors=True)
AUDIT_CHECKPOINT_DIR = str(Path(MEDIA_ROOT) / "audit-checkpoints")

# Django's flush empties every table after a transactional test (TRUNCATE on PostgreSQL, DELETE
# on SQLite), which the audit log refuses (migration 0008) unless the connection opens this
# escape: on SQLite through a function that reads AUDIT_LOG_WIPE_ALLOWED, on PostgreSQL
# through a setting passed when the connection opens.
AUDIT_LOG_WIPE_ALLOWED = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _options = DATABASES["default"].get("OPTIONS", {})
    DATABASES = {**DATABASES, "default": {**DATABASES["default"], "OPTIONS": {
        **_options,
        "options": " ".join(filter(None, [_options.get("options"),
                                          "-c extradition_monitor.allow_audit_wipe=on"])),
    }}}
