"""Public pages: the map and its embeddable copy, the dashboard, incident records, episodes
and the feed."""

from django.urls import path

from . import about, feeds, views

app_name = "incidents"

urlpatterns = [
    path("", views.home, name="home"),
    path("embed/", views.embed, name="embed"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("incidents/<str:public_id>/", views.incident_detail, name="incident-detail"),
    path("about/", about.about, name="about"),
    path("about/codebook/", about.codebook_page, name="codebook"),
    path("about/codebook.csv", about.codebook_csv, name="codebook-csv"),
    path("episodes/", views.episode_list, name="episode-list"),
    path("episodes/<slug:slug>/", views.episode_detail, name="episode-detail"),
    path("feeds/incidents.atom", feeds.incident_feed, name="incident-feed"),
    path("evidence/<uuid:token>/", views.evidence_file, name="evidence-file"),
]
