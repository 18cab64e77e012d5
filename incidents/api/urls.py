"""Routes of the API, version 1. Incidents are addressed by their public id."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from . import views

app_name = "api"

PUBLIC_ID = "<str:public_id>"

urlpatterns = [
    path("incidents/", views.IncidentListView.as_view(), name="incident-list"),
    path("incidents.geojson", views.IncidentGeoJSONView.as_view(), name="incident-geojson"),
    path("incidents.csv", views.IncidentCSVView.as_view(), name="incident-csv"),
    path(
        "incidents.acled.csv",
        views.IncidentAcledCSVView.as_view(),
        name="incident-acled-csv",
    ),
    path(f"incidents/{PUBLIC_ID}/", views.IncidentDetailView.as_view(), name="incident-detail"),
    path(
        f"incidents/{PUBLIC_ID}/submit/",
        views.IncidentSubmitView.as_view(),
        name="incident-submit",
    ),
    path(
        f"incidents/{PUBLIC_ID}/publish/",
        views.IncidentPublishView.as_view(),
        name="incident-publish",
    ),
    path(
        f"incidents/{PUBLIC_ID}/retract/",
        views.IncidentRetractView.as_view(),
        name="incident-retract",
    ),
    path(
        f"incidents/{PUBLIC_ID}/return-to-draft/",
        views.IncidentReturnView.as_view(),
        name="incident-return-to-draft",
    ),
    path(
        f"incidents/{PUBLIC_ID}/perpetrators/",
        views.IncidentPerpetratorsView.as_view(),
        name="incident-perpetrators",
    ),
    path(f"incidents/{PUBLIC_ID}/claims/", views.IncidentClaimsView.as_view(), name="claim-list"),
    path(
        f"incidents/{PUBLIC_ID}/claims/<int:claim_id>/",
        views.IncidentClaimDetailView.as_view(),
        name="claim-detail",
    ),
    path("statistics/", views.StatisticsView.as_view(), name="statistics"),
    path("map/", views.MapView.as_view(), name="map"),
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("dashboard/<slug:chart>.csv", views.DashboardCSVView.as_view(), name="dashboard-csv"),
    path("sources/", views.SourceListView.as_view(), name="source-list"),
    path("sources/<slug:slug>/", views.SourceDetailView.as_view(), name="source-detail"),
    path("sources/<slug:slug>/files/", views.EvidenceListView.as_view(), name="evidence-list"),
    path(
        "sources/<slug:slug>/files/<int:file_id>/",
        views.EvidenceDetailView.as_view(),
        name="evidence-detail",
    ),
    path(
        "sources/<slug:slug>/files/<int:file_id>/public/",
        views.EvidencePublicView.as_view(),
        name="evidence-public",
    ),
    path(
        "sources/<slug:slug>/files/<int:file_id>/download/",
        views.EvidenceDownloadView.as_view(),
        name="evidence-download",
    ),
    path("actors/", views.ActorListView.as_view(), name="actor-list"),
    path("actors/<slug:slug>/", views.ActorDetailView.as_view(), name="actor-detail"),
    path("episodes/", views.EpisodeListView.as_view(), name="episode-list"),
    path("episodes/<slug:slug>/", views.EpisodeDetailView.as_view(), name="episode-detail"),
    path("places/", views.PlacesView.as_view(), name="place-search"),
    path("governorates.geojson", views.GovernoratesView.as_view(), name="governorates"),
    path("districts.geojson", views.DistrictsView.as_view(), name="districts"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
]
