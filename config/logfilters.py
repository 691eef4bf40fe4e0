"""Filters of the console log (LOGGING in settings)."""

import logging


class ClientErrorsOneLine(logging.Filter):
    """A response in the 4xx range (a page not found, a right refused) is the client's doing:
    one line, without the traceback Django attaches. 5xx keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
