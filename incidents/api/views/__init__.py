"""API views, one module a resource: each parses and checks the request, calls a selector or
a service, and shapes the answer. ``base`` holds what they share (errors, the If-Match
version check, the documented filter parameters).
"""

from .catalogue import (
    ActorDetailView,
    ActorListView,
    EpisodeDetailView,
    EpisodeListView,
    SourceDetailView,
    SourceListView,
)
from .claims import IncidentClaimDetailView, IncidentClaimsView
from .dashboard import DashboardCSVView, DashboardView
from .evidence import (
    EvidenceDetailView,
    EvidenceDownloadView,
    EvidenceListView,
    EvidencePublicView,
)
from .exports import IncidentAcledCSVView, IncidentCSVView, IncidentGeoJSONView
from .figures import MapView, StatisticsView
from .incidents import (
    IncidentDetailView,
    IncidentListView,
    IncidentPerpetratorsView,
    IncidentPublishView,
    IncidentRetractView,
    IncidentReturnView,
    IncidentSubmitView,
)
from .places import DistrictsView, GovernoratesView, PlacesView

__all__ = [
    "ActorDetailView",
    "ActorListView",
    "DashboardCSVView",
    "DashboardView",
    "DistrictsView",
    "EpisodeDetailView",
    "EpisodeListView",
    "EvidenceDetailView",
    "EvidenceDownloadView",
    "EvidenceListView",
    "EvidencePublicView",
    "GovernoratesView",
    "IncidentAcledCSVView",
    "IncidentCSVView",
    "IncidentClaimDetailView",
    "IncidentClaimsView",
    "IncidentDetailView",
    "IncidentGeoJSONView",
    "IncidentListView",
    "IncidentPerpetratorsView",
    "IncidentPublishView",
    "IncidentRetractView",
    "IncidentReturnView",
    "IncidentSubmitView",
    "MapView",
    "PlacesView",
    "SourceDetailView",
    "SourceListView",
    "StatisticsView",
]
