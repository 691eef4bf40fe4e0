from django.db import models


class RestrictedQuerySet(models.QuerySet):
    """A queryset of case data: `visible_to(user)` is the one way views reach it."""

    def visible_to(self, user) -> "RestrictedQuerySet":
        from . import policy

        return policy.restrict(self, user)
