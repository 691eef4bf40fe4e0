"""Passkeys and security keys through django-otp-webauthn, with the origins this site answers."""

from urllib.parse import urlsplit

from django.conf import settings
from django_otp_webauthn.helpers import WebAuthnHelper


class Helper(WebAuthnHelper):
    def get_allowed_origins(self) -> list[str]:
        """The configured origins, and on a `localhost` relying party this request's own origin
        when it is on `localhost` (the development server and live test servers pick ports)."""
        origins = list(settings.OTP_WEBAUTHN_ALLOWED_ORIGINS)
        if settings.OTP_WEBAUTHN_RP_ID == "localhost":
            origin = f"{self.request.scheme}://{self.request.get_host()}"
            if urlsplit(origin).hostname == "localhost" and origin not in origins:
                origins.append(origin)
        return origins
