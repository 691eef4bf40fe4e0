"""`/health/` for load balancers: 200 when every check passes, 503 naming the one that failed.

No sign-in, no throttle, no line in the request log, and over plain HTTP too (settings'
SECURE_REDIRECT_EXEMPT): the probe comes from inside, every few seconds.
"""

import logging

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .. import health

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def health_view(request):
    checks = health.run_checks()
    failing = [name for name, check in checks.items() if not check.ok]
    response = JsonResponse({
        "status": "failing" if failing else "ok",
        "failing": failing,
        "checks": {name: {"ok": check.ok, "detail": check.detail}
                   for name, check in checks.items()},
    }, status=503 if failing else 200)
    if failing:
        logger.warning("health: failing %s", ", ".join(failing))
        # The line above says what failed; Django's own "Service Unavailable" would repeat it.
        response._has_been_logged = True
    return response
