import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()


def settle() -> None:
    """Import every view (the URL configuration), then take what is loaded out of the garbage
    collector's full passes. A server process holds some 200,000 objects once the application
    is loaded; a full pass walks them all (about 120 ms here) every ten or so requests, on
    whichever request happens to allocate at that moment. Frozen, they are never walked again,
    and a full pass walks only what requests leave behind. Called once in each server process
    after it loaded the application (`config.gunicorn.post_worker_init`)."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports the views and everything they import
    gc.collect()
    gc.freeze()
