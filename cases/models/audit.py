import hashlib
import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .organisations import Organisation

GENESIS_HASH = "0" * 64


class AuditEvent(models.Model):
    """Append-only and hash-chained: each row's hash covers its content and the previous hash.

    Triggers refuse UPDATE, DELETE and TRUNCATE of this table on PostgreSQL and SQLite alike
    (migrations 0003 and 0008).
    """

    class Action(models.TextChoices):
        VIEW_PERSONAL_DATA = "view_personal_data", _("View of personal data")
        CREATE = "create", _("Create")
        UPDATE = "update", _("Update")
        DELETE = "delete", _("Delete")
        TRANSITION = "transition", _("Status transition")
        SHARE = "share", _("Share")
        WITHDRAW = "withdraw", _("Withdraw sharing")
        EXPORT = "export", _("Export")
        DOWNLOAD = "download", _("Download of an export")
        LOGIN = "login", _("Login")
        LOGIN_FAILED = "login_failed", _("Failed login")
        PERMISSION_CHANGE = "permission_change", _("Permission change")
        # A request for an existing record the caller may not see (answered 404).
        ACCESS_DENIED = "access_denied", _("Access denied")
        # Sign-in or password reset refused after too many attempts.
        LOCKED_OUT = "locked_out", _("Locked out")
        # An account invited to join an organisation, accepting or declining.
        INVITATION = "invitation", _("Invitation")
        # Second factors: set up, removed, reset by an org admin, a recovery code used, a
        # wrong code or passkey given.
        MFA_ENROL = "mfa_enrol", _("Second factor set up")
        MFA_REMOVE = "mfa_remove", _("Second factor removed")
        MFA_RESET = "mfa_reset", _("Second factors reset")
        MFA_RECOVERY_USED = "mfa_recovery_used", _("Recovery code used")
        MFA_FAILED = "mfa_failed", _("Failed second factor")
        # API tokens, and sign-in sessions ended before their time.
        TOKEN_CREATE = "token_create", _("API token created")
        TOKEN_REVOKE = "token_revoke", _("API token revoked")
        SESSION_END = "session_end", _("Session ended")
        # A subject's identifiers erased (its data key destroyed); data keys re-wrapped; the
        # compliance record's record keys derived again under a new secret.
        ERASED = "erased", _("Identifiers erased")
        KEY_ROTATION = "key_rotation", _("Data keys re-wrapped")
        CELL_KEYS = "cell_keys", _("Record keys derived again")
        # An evidence file's page seen as a picture on the server's rendering, or downloaded.
        EVIDENCE_VIEW = "evidence_view", _("Evidence viewed")
        EVIDENCE_DOWNLOAD = "evidence_download", _("Evidence downloaded")
        # Records brought in from a spreadsheet (one event per import, besides the event of
        # each record created or changed); a personal calendar feed's address made or reset.
        IMPORT = "import", _("Import")
        CALENDAR_FEED = "calendar_feed", _("Calendar feed address set")

    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    actor_username = models.CharField(max_length=150, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    action = models.CharField(max_length=30, choices=Action.choices)
    object_type = models.CharField(max_length=50, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    # References only (e.g. FR-2026-0007, SUBJ-7F3K2Q): never personal data.
    object_repr = models.CharField(max_length=200, blank=True)
    changed_fields = models.JSONField(default=list)
    detail = models.JSONField(default=dict)
    request_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["organisation", "-seq"]),
            models.Index(fields=["object_type", "object_id"]),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type} {self.object_repr}"

    def canonical(self) -> bytes:
        payload = {
            "seq": self.seq,
            "at": self.at.isoformat(timespec="microseconds"),
            "actor": self.actor_id,
            "actor_username": self.actor_username,
            "organisation": self.organisation_id,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "changed_fields": self.changed_fields,
            "detail": self.detail,
            "request_id": self.request_id,
            "prev_hash": self.prev_hash,
        }
        return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()


class AuditChainHead(models.Model):
    """One row, locked while an event is appended, so concurrent writers never fork the chain.

    Triggers refuse deleting or truncating it and moving it backwards (migrations 0004, 0008).
    """

    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"audit chain at #{self.last_seq}"
