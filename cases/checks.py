"""`manage.py check`: every stored data key can be unwrapped by a configured key."""

from django.core.checks import Error, register
from django.db import DatabaseError

from . import crypto


@register()
def data_keys_unwrappable(app_configs=None, **kwargs):
    from .models import DataKey

    try:
        configured = crypto.kek_ids()
    except Exception as error:  # an ImproperlyConfigured key says what is wrong
        return [Error(str(error), id="cases.E101")]
    try:
        orphans = (DataKey.objects.filter(destroyed_at__isnull=True)
                   .exclude(kek__in=configured).values_list("kek", flat=True).distinct())
        missing = sorted(set(orphans))
    except DatabaseError:
        return []  # no database yet, or not migrated: nothing stored to check
    if not missing:
        return []
    return [Error(
        f"Data keys are wrapped by key-encryption keys no longer in FIELD_ENCRYPTION_KEYS "
        f"(fingerprints {', '.join(missing)}): the identifiers they seal cannot be read.",
        hint="Put the old key back at the end of FIELD_ENCRYPTION_KEYS, run "
             "`manage.py rotate_keys`, and only then remove it.",
        id="cases.E102",
    )]
