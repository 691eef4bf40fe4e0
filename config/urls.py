from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from accounts import api as accounts_api
from accounts import urls as accounts_web
from cases import urls as cases_web
from cases.api import urls as cases_api
from imports import api as imports_api
from imports import views as imports_web
from monitoring import urls as monitoring_web
from monitoring.api import urls as monitoring_api
from monitoring.views.dashboard import Dashboard
from monitoring.views.health import health_view
from reporting import urls as reporting_web
from reporting.api import urls as reporting_api

router = DefaultRouter()
for prefix, viewset, basename in (cases_api.routes + monitoring_api.routes + reporting_api.routes
                                  + imports_api.routes):
    router.register(prefix, viewset, basename=basename)

api_v1 = [*accounts_api.urlpatterns, *cases_api.urlpatterns, *monitoring_api.urlpatterns,
          *reporting_api.urlpatterns, *router.urls]

urlpatterns = [
    # The web application.
    path("", Dashboard.as_view(), name="dashboard"),
    path("accounts/", include(cases_web.account_urls)),
    path("accounts/", include(accounts_web)),
    path("accounts/webauthn/", include((accounts_web.webauthn, "otp_webauthn"))),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include(cases_web)),
    path("", include(monitoring_web)),
    path("", include(reporting_web)),
    path("", include(imports_web)),
    path("admin/", admin.site.urls),
    # For load balancers: public, plain JSON (monitoring/health.py).
    path("health/", health_view, name="health"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI's start-up script served as a response of its own: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(
        url_name="schema", template_name="api_docs.html"), name="api-docs"),
]

handler404 = "cases.api.errors.not_found"
