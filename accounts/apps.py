from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Sign-in beyond the password: second factors, API tokens and sessions."""

    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # The token's scheme in the API schema registers with the authentication class.
        from . import authentication, signals  # noqa: F401

        signals.connect()
