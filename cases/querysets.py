from django.db import models


class RestrictedQuerySet(models.QuerySet):
    """The queryset class monitoring's records declare. It restricts nothing by itself: every
    query of case data starts from the policy (`policy.visible(user, Model)`, or
    `policy.restrict(queryset, user)`), which knows no model's manager."""
