from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("countries", views.CountryViewSet, basename="country")
router.register("instruments", views.LegalInstrumentViewSet, basename="instrument")
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("sharing-groups", views.SharingGroupViewSet, basename="sharing-group")
router.register("subjects", views.SubjectViewSet, basename="subject")
router.register("cases", views.CaseViewSet, basename="case")
router.register("proceedings", views.ProceedingEventViewSet, basename="proceeding")
router.register("assurances", views.AssuranceViewSet, basename="assurance")
router.register("audit-events", views.AuditEventViewSet, basename="audit-event")

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="auth-token"),
    path("me/", views.MeView.as_view(), name="me"),
    *router.urls,
]
