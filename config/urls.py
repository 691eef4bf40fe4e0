from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from cases.api import urls as cases_api
from monitoring.api import urls as monitoring_api

router = DefaultRouter()
for prefix, viewset, basename in cases_api.routes + monitoring_api.routes:
    router.register(prefix, viewset, basename=basename)

api_v1 = [*cases_api.urlpatterns, *monitoring_api.urlpatterns, *router.urls]

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]
