"""gunicorn's settings for `manage.py serve --production` (`make serve`).

Its own lines (start, workers, errors) are written as the application's are: JSON lines in
production. Requests get their line from the application (cases.middleware), with the request
id, so gunicorn's access log stays off.
"""

import os

from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

wsgi_app = "config.wsgi:application"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# A request taking longer than this is a hung worker, replaced (large exports go to Celery).
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
# Let a worker finish its requests on SIGTERM within the serve command's grace period.
graceful_timeout = 8
accesslog = None
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": settings.LOGGING["formatters"],
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": settings.LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": settings.LOG_LEVEL},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        # With a logging configuration gunicorn would write an access line of its own.
        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
    },
}


def post_worker_init(worker) -> None:
    """Each worker, once it loaded the application: see `config.wsgi.settle`."""
    from config.wsgi import settle

    settle()
