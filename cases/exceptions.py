from django.utils.translation import gettext as _


class Conflict(Exception):
    """A write based on a stale version: someone else saved first. Nothing was changed."""

    def __init__(self, current_version: int | None, message: str | None = None):
        self.current_version = current_version
        self.message = message or _(
            "This record was changed by someone else since you loaded it. "
            "Reload it, then apply your change again."
        )
        super().__init__(self.message)
