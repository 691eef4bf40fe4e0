from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

NAME_MAX = 100
QUERY_MAX = 2000


class SavedFilter(models.Model):
    """A user's named search on a list: the list's query string, never its results, so that
    running it shows what the user may see at that moment."""

    class Page(models.TextChoices):
        CASES = "cases", _("Cases")
        FOLLOW_UPS = "follow_ups", _("Follow-ups")
        FINDINGS = "findings", _("Findings shared with us")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="saved_filters")
    page = models.CharField(_("page"), max_length=20, choices=Page.choices)
    name = models.CharField(_("name"), max_length=NAME_MAX)
    query = models.CharField(_("query"), max_length=QUERY_MAX, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("page", "name")
        constraints = [
            models.UniqueConstraint(fields=("user", "page", "name"),
                                    name="saved_filter_unique_name"),
        ]

    def __str__(self) -> str:
        # What the audit log shows of it: neither its name nor its query, which may name people.
        return f"saved search {self.pk} ({self.page})"
