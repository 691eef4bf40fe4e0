from django.urls import path

from . import views

# (prefix, viewset, basename): registered on the API's one router in config/urls.py.
routes = [
    ("monitoring-plans", views.MonitoringPlanViewSet, "monitoring-plan"),
    ("follow-ups", views.FollowUpViewSet, "follow-up"),
    ("reports", views.CheckReportViewSet, "report"),
    ("findings", views.FindingViewSet, "finding"),
    ("evidence", views.EvidenceViewSet, "evidence"),
    ("notifications", views.NotificationViewSet, "notification"),
    ("finding-shares", views.FindingShareViewSet, "finding-share"),
]

urlpatterns = [
    path(
        "notification-preferences/",
        views.NotificationPreferenceView.as_view(),
        name="notification-preferences",
    ),
    path("cases/<uuid:pk>/compliance/", views.CaseComplianceView.as_view(),
         name="case-compliance"),
    path("inbox/", views.InboxView.as_view(), name="inbox"),
]
