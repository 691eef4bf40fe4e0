"""Test overrides: fast hashing, in-memory mail, generous throttles."""

import tempfile

from .settings import *  # noqa: F403
from .settings import REST_FRAMEWORK

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"login": "1000/min"},
}

# Tasks run in-process unless a test starts a real worker (in its own process and settings).
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"

# Uploaded files of a test run go to a temporary folder, never into the project.
MEDIA_ROOT = tempfile.mkdtemp(prefix="em-test-media-")
