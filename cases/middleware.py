import logging
import re
import time
import uuid

from django.conf import settings

from .request_id import request_id_var

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
# One line per request; its level is set in LOGGING (INFO in production).
request_log = logging.getLogger("extradition_monitor.request")


class RequestIdMiddleware:
    """Tag each request with an id (the caller's X-Request-ID if well-formed) for the audit log
    and the log lines, and log a line per request: method, path, status and duration. Never the
    query string: a search may name a person."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request.id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            if request.path not in settings.REQUEST_LOG_QUIET_PATHS:
                request_log.info(
                    "%s %s %s", request.method, request.path, response.status_code,
                    extra={"method": request.method, "path": request.path,
                           "status": response.status_code,
                           "duration_ms": round((time.monotonic() - started) * 1000, 1)})
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request.id
        return response
