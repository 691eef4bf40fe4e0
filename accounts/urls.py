"""Pages of the accounts app, under /accounts/ in the `accounts` namespace."""

from . import views_tokens

app_name = "accounts"

urlpatterns = [
    *views_tokens.urlpatterns,
]
