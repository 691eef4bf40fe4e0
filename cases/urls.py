"""Pages of the web application about cases, subjects, organisations and the audit log.

Each view module keeps its own `urlpatterns`; this one joins them under the `cases` namespace.
"""

from django.contrib.auth import views as auth_views
from django.urls import path

from .forms_account import SignInForm
from .views import account, bulk, case_records, organisation, saved, subjects
from .views import cases as case_pages

app_name = "cases"

urlpatterns = [
    *account.urlpatterns,
    *case_pages.urlpatterns,
    *bulk.urlpatterns,
    *saved.urlpatterns,
    *case_records.urlpatterns,
    *subjects.urlpatterns,
    *organisation.urlpatterns,
]

# Django's own views with our templates (templates/registration/), sign-in and reset behind
# the lockout.
account_urls = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True,
                                                authentication_form=SignInForm),
         name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(),
         name="password_change_done"),
    path("password/reset/", account.PasswordReset.as_view(), name="password_reset"),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("password/reset/done/", auth_views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
]
