"""The token endpoint: a username, a password and a second factor exchanged for an API token."""

from django.contrib.auth import authenticate
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import policy, services, signin
from cases.api.base import StrictSerializer
from cases.api.throttling import LoginThrottle

from . import mfa, tokens
from .models import ApiToken


class TokenRequestSerializer(StrictSerializer):
    """A username, its password and a code of its second factor, for a new API token."""

    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    otp = serializers.CharField(
        max_length=64, required=False, allow_blank=True,
        help_text=gettext_lazy("A code from the authenticator app, or one of the recovery codes."),
    )
    name = serializers.CharField(max_length=100, required=False, default="API")
    scope = serializers.ChoiceField(choices=ApiToken.Scope.choices,
                                    default=ApiToken.Scope.READ_ONLY)
    expires_in_days = serializers.IntegerField(min_value=1, max_value=tokens.MAX_DAYS,
                                               default=tokens.DEFAULT_DAYS)


class TokenSerializer(serializers.Serializer):
    """An API token: send it as `Authorization: Token <token>`. It is shown this once."""

    token = serializers.CharField()
    name = serializers.CharField()
    scope = serializers.ChoiceField(choices=ApiToken.Scope.choices)
    expiry = serializers.DateTimeField()


class TokenView(APIView):
    """Exchange a username, a password and a second factor's code for an API token.

    Only an account with an authenticator app or recovery codes (set up in the web
    application) gets one here.
    """

    resource = policy.Resource.SELF
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [LoginThrottle]
    throttle_scope = "login"

    @extend_schema(request=TokenRequestSerializer, responses=TokenSerializer)
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = authenticate(request=request, username=data["username"],
                            password=data["password"])
        wait = signin.refused_for(request)
        if wait:
            raise self.locked_out(wait)
        if user is None:
            # The failure is audited by the user_login_failed receiver (cases/apps.py).
            raise serializers.ValidationError(
                {"non_field_errors": [_("Unable to sign in with these credentials.")]}
            )
        if not any(isinstance(device, mfa.CODE_DEVICES) for device in mfa.devices(user)):
            raise serializers.ValidationError({"otp": [_(
                "API tokens need a second factor. Set up an authenticator app in the web "
                "application, then ask again with one of its codes."
            )]})
        if not data.get("otp", "").strip():
            raise serializers.ValidationError({"otp": [_(
                "Enter a code from your authenticator app, or one of your recovery codes."
            )]})
        # A wrong code is audited by verify_code; the app's factor slows down repeated ones.
        if mfa.verify_code(user=user, code=data["otp"]) is None:
            raise serializers.ValidationError({"otp": [_("This code is not valid.")]})
        services.record_login(user=user, succeeded=True)
        token, secret = tokens.token_create(
            actor=user, user=user, name=data["name"], scope=data["scope"],
            expires_in_days=data["expires_in_days"],
        )
        return Response({"token": secret, "name": token.name, "scope": token.scope,
                         "expiry": serializers.DateTimeField().to_representation(token.expiry)})

    @staticmethod
    def locked_out(wait: int) -> exceptions.Throttled:
        """429 with the sign-in page's message, and the wait in Retry-After."""
        minutes = -(-wait // 60)
        refused = exceptions.Throttled(detail=ngettext(
            "Too many failed attempts to sign in. Try again in %(minutes)d minute.",
            "Too many failed attempts to sign in. Try again in %(minutes)d minutes.",
            minutes) % {"minutes": minutes})
        refused.wait = wait
        return refused


# Joined to the API's routes in config/urls.py (cases, below accounts, cannot name them).
urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="auth-token"),
]
