"""Public pages: the map, the dashboard, incident records and episodes."""

from django.urls import path

from . import views

app_name = "incidents"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("incidents/<str:public_id>/", views.incident_detail, name="incident-detail"),
    path("episodes/<slug:slug>/", views.episode_detail, name="episode-detail"),
    path("evidence/<uuid:token>/", views.evidence_file, name="evidence-file"),
]
