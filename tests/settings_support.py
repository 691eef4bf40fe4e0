"""The secrets a process with DEBUG off must be given, fresh for each test."""

import base64
import os
import secrets


def _key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def production_secrets() -> dict[str, str]:
    return {"SECRET_KEY": secrets.token_urlsafe(50), "FIELD_ENCRYPTION_KEYS": _key(),
            "BLIND_INDEX_KEY": _key(), "CELL_KEY_SECRET": _key()}


# Variables of the environment a test of production settings drops, so that it sets its own.
SECRET_NAMES = ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY", "CELL_KEY_SECRET")
