"""URLs of the operator console (staff only), mounted at /ops/."""

from django.urls import path

from gratitude.operations import views

app_name = "operations"

urlpatterns = [
    path("", views.console, name="console"),
    path("sends/halt/", views.sends_halt_view, name="sends_halt"),
    path("sends/resume/", views.sends_resume_view, name="sends_resume"),
    path("alerts/<id:pk>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("audit/", views.audit_log, name="audit"),
    path("audit.csv", views.audit_csv, name="audit_csv"),
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/<id:pk>/", views.campaign_detail, name="campaign"),
    path("campaigns/<id:pk>/freeze/", views.campaign_freeze, name="campaign_freeze"),
    path("campaigns/<id:pk>/approve/", views.campaign_approve, name="campaign_approve"),
    path("campaigns/<id:pk>/start/", views.campaign_start, name="campaign_start"),
    path("campaigns/<id:pk>/advance/", views.campaign_advance, name="campaign_advance"),
    path("campaigns/<id:pk>/cancel/", views.campaign_cancel, name="campaign_cancel"),
    path("recalls/", views.recall_list, name="recalls"),
    path("recalls/<id:pk>/", views.recall_detail, name="recall"),
    path("recalls/<id:pk>.csv", views.recall_csv, name="recall_csv"),
]
