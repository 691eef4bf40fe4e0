"""No second factor in the admin: django-otp registers its devices there, with the key of each
app and the codes of each recovery set in view. Factors are each person's own (their security
page); an org admin resets a member's, and nobody reads them."""

from django.contrib import admin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
