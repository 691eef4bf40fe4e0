from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
