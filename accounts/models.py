from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken
from knox.settings import CONSTANTS


class UserSession(models.Model):
    """A signed-in session, as its person sees it in their list: where and when.

    The session itself lives in Django's session store under `session_key`; ending one deletes
    it there and here (accounts.sessions).
    """

    session_key = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signed_in_sessions"
    )
    started_at = models.DateTimeField(_("signed in"))
    last_seen = models.DateTimeField(_("last seen"))
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(_("device"), max_length=300, blank=True)

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return f"session of {self.user} since {self.started_at:%Y-%m-%d %H:%M}"


class ApiToken(AbstractAuthToken):
    """A token a person uses in scripts; only a hash of its secret is kept (knox's digest), the
    secret itself is shown once, when it is made."""

    class Scope(models.TextChoices):
        READ_ONLY = "read_only", _("Read only")
        READ_WRITE = "read_write", _("Read and write")

    # A number to name the token by in addresses and the audit log; knox makes the digest the
    # key, and a digest is nothing to show.
    id = models.BigAutoField(primary_key=True)
    digest = models.CharField(max_length=CONSTANTS.DIGEST_LENGTH, unique=True)
    name = models.CharField(_("name"), max_length=100)
    scope = models.CharField(_("scope"), max_length=20, choices=Scope.choices,
                             default=Scope.READ_ONLY)
    # Every token expires (knox allows none).
    expiry = models.DateTimeField(_("expires"))
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)
    # The user's session hash when the token was made: a new password changes it, and the
    # token stops working, as Django's sessions do.
    password_fingerprint = models.CharField(max_length=128, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(scope__in=["read_only", "read_write"]),
                                   name="accounts_apitoken_scope_known"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def expired(self) -> bool:
        return self.expiry <= timezone.now()

    @property
    def read_only(self) -> bool:
        return self.scope == self.Scope.READ_ONLY


class UserPreference(models.Model):
    """A person's own choices that follow them to any device: the language of the pages, the
    e-mails and the exports. Blank: the browser's language, as for anyone signed out."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="preference")
    language = models.CharField(_("language"), max_length=10, blank=True,
                                choices=settings.LANGUAGES)

    class Meta:
        verbose_name = _("preference")
        verbose_name_plural = _("preferences")

    def __str__(self) -> str:
        return f"preferences of {self.user}"
