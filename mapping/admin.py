"""Gazetteer entries in the admin: searchable by any spelling, with their origin.

Search (and the autocomplete of the incident form's place fields) goes through the
gazetteer as well as the database's own text search, so "Mukhtariyya" finds Al-Mukhtariya.
A researcher adding a place records where it came from: curated and researcher's entries
need an origin note (enforced by the model).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from incidents.admin.catalogue import CatalogueForm, ReviewedCatalogueAdmin
from incidents.services import PLACE_FIELDS

from . import gazetteer
from .models import Place, PlaceOrigin

# Fuzzy candidates below this score only clutter a search result list.
ADMIN_SEARCH_SCORE = 70.0


@admin.register(Place)
class PlaceAdmin(ReviewedCatalogueAdmin, SimpleHistoryAdmin):
    # Saved through the services: an entry that published incidents name changes only
    # through a reviewer (see incidents.admin.catalogue).
    form = CatalogueForm
    create_service, update_service, record_argument = "place_create", "place_update", "place"
    service_fields = PLACE_FIELDS
    list_display = ["name", "name_ar", "kind", "parent", "origin", "coordinate_precision"]
    list_filter = ["kind", "origin", "coordinate_precision"]
    search_fields = ["name", "name_ar", "alternate_names", "slug"]
    autocomplete_fields = ["parent"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "name_ar", "alternate_names", "slug", "kind", "parent"]}),
        (
            "Position",
            {
                "fields": [("latitude", "longitude"), "coordinate_precision", "population"],
            },
        ),
        (
            "Where the entry came from",
            {
                "fields": ["origin", "origin_note", "geonames_id", "pcode"],
                "description": "A curated or researcher's entry needs a note saying where "
                "its coordinates came from (survey, map, source) and how precise they are.",
            },
        ),
    ]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("origin", PlaceOrigin.RESEARCHER)
        return initial

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Place], search_term: str
    ) -> tuple[QuerySet[Place], bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term and len(term) <= gazetteer.MAX_QUERY_LENGTH:
            found = gazetteer.search(term, limit=20)
            ids = [m.place.pk for m in found.matches if m.score >= ADMIN_SEARCH_SCORE]
            if ids:
                results = results | queryset.filter(pk__in=ids)
        return results, may_have_duplicates
