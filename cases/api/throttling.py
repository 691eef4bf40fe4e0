from rest_framework.throttling import ScopedRateThrottle

from ..signin import address_key, client_address


class LoginThrottle(ScopedRateThrottle):
    """Token requests per client address, as the lockout reads the address: never a
    forwarded header the client wrote itself."""

    def get_ident(self, request):
        return address_key(client_address(request))
