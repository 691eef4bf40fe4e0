"""The current request's id: set by RequestIdMiddleware (or a task), read by the audit log and the
JSON log lines. Free of Django imports, so that logging can read it before the apps load."""

import contextvars

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
