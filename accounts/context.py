from django.conf import settings


def session_limits(request) -> dict:
    """The idle limit and its warning, for the page's script (static/js/session.js)."""
    return {"session_idle_seconds": settings.SESSION_IDLE_SECONDS,
            "session_warning_seconds": settings.SESSION_WARNING_SECONDS}
