"""Test overrides: fast hashing, in-memory mail, generous throttles."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from .settings import *  # noqa: F403
from .settings import CACHES, DATABASES, REST_FRAMEWORK

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"login": "1000/min"},
}

# Tasks run in-process unless a test starts a real worker (in its own process and settings).
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"

# Each test process (each pytest-xdist worker: gw0, gw1, ...) is a run of its own: its own test
# database (pytest-django adds the worker to the name), and the folders and keys below.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")

# Uploaded files, exports and the filesystem broker of a test process go to a temporary folder
# of its own, never into the project, removed when the process that made it ends.
RUN_ROOT = Path(tempfile.mkdtemp(prefix=f"em-test-{WORKER}-"))
atexit.register(shutil.rmtree, RUN_ROOT, ignore_errors=True)
MEDIA_ROOT = str(RUN_ROOT / "media")
Path(MEDIA_ROOT).mkdir()
AUDIT_CHECKPOINT_DIR = str(Path(MEDIA_ROOT) / "audit-checkpoints")
BROKER_FOLDER = RUN_ROOT / "broker"
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "data_folder_in": str(BROKER_FOLDER / "messages"),
    "data_folder_out": str(BROKER_FOLDER / "messages"),
    "control_folder": str(BROKER_FOLDER / "control"),
}
CELERY_BEAT_SCHEDULE_FILENAME = str(BROKER_FOLDER / "beat-schedule")
# A Redis cache is shared by every process that names it: the keys of a test process carry its
# name (and each test adds a prefix of its own, tests/conftest.py).
CACHES = {alias: {**config, "KEY_PREFIX": f"{config.get('KEY_PREFIX') or 'em'}-test-{WORKER}"}
          for alias, config in CACHES.items()}

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

# A second connection to the test database, standing in for a read replica: the tests of
# cases/replica.py turn it on (DATABASE_REPLICA_ALIAS); otherwise nothing reads through it.
DATABASES = {**DATABASES, "replica": {**DATABASES["default"], "TEST": {"MIRROR": "default"}}}
DATABASE_REPLICA_ALIAS = None
