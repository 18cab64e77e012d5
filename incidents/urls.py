"""Public pages: the map, incident records and episodes."""

from django.urls import path

from . import about, views

app_name = "incidents"

urlpatterns = [
    path("", views.home, name="home"),
    path("incidents/<str:public_id>/", views.incident_detail, name="incident-detail"),
    path("about/", about.about, name="about"),
    path("about/codebook/", about.codebook_page, name="codebook"),
    path("about/codebook.csv", about.codebook_csv, name="codebook-csv"),
    path("episodes/<slug:slug>/", views.episode_detail, name="episode-detail"),
    path("evidence/<uuid:token>/", views.evidence_file, name="evidence-file"),
]
