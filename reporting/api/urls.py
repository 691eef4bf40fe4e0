from django.urls import path

from . import views

# (prefix, viewset, basename): registered on the API's one router in config/urls.py.
routes = [
    ("exports", views.ExportViewSet, "export"),
]

urlpatterns = [
    path("cases/<uuid:pk>/risk-brief/", views.RiskBriefView.as_view(), name="case-risk-brief"),
    path("compliance/", views.ComplianceRecordView.as_view(), name="compliance-record"),
]
