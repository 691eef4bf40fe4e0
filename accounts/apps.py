from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Sign-in beyond the password: second factors, API tokens and sessions."""

    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from . import signals

        signals.connect()
