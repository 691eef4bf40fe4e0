"""The console log as JSON lines (LOG_FORMAT=json): one object per record, for a log collector.

Imports nothing of Django's apps: gunicorn's master process formats with it before they load.
"""

import datetime
import json
import logging

from cases.request_id import request_id_var

# What a request's log line adds (cases.middleware.RequestIdMiddleware).
REQUEST_FIELDS = ("method", "path", "status", "duration_ms")


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            # django.request writes its line once the middleware is done: from its request.
            "request_id": request_id_var.get()
            or getattr(getattr(record, "request", None), "id", None),
        }
        entry.update({name: getattr(record, name) for name in REQUEST_FIELDS
                      if hasattr(record, name)})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)
