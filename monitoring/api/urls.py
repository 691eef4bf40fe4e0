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
    ("exports", views.ExportViewSet, "export"),
]

urlpatterns = [
    path(
        "notification-preferences/",
        views.NotificationPreferenceView.as_view(),
        name="notification-preferences",
    ),
    path("cases/<uuid:pk>/compliance/", views.CaseComplianceView.as_view(),
         name="case-compliance"),
    path("cases/<uuid:pk>/risk-brief/", views.RiskBriefView.as_view(), name="case-risk-brief"),
    path("compliance/", views.ComplianceRecordView.as_view(), name="compliance-record"),
    path("inbox/", views.InboxView.as_view(), name="inbox"),
]
