from django.urls import path

from . import views

# (prefix, viewset, basename): registered on the API's one router in config/urls.py.
routes = [
    ("organisations", views.OrganisationViewSet, "organisation"),
    ("countries", views.CountryViewSet, "country"),
    ("instruments", views.LegalInstrumentViewSet, "instrument"),
    ("memberships", views.MembershipViewSet, "membership"),
    ("invitations", views.InvitationViewSet, "invitation"),
    ("sharing-groups", views.SharingGroupViewSet, "sharing-group"),
    ("subjects", views.SubjectViewSet, "subject"),
    ("cases", views.CaseViewSet, "case"),
    ("proceedings", views.ProceedingEventViewSet, "proceeding"),
    ("assurances", views.AssuranceViewSet, "assurance"),
    ("audit-events", views.AuditEventViewSet, "audit-event"),
]

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
]
