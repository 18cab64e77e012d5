"""Gazetteer entries in the admin: searchable by any spelling, with their origin."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Place


@admin.register(Place)
class PlaceAdmin(SimpleHistoryAdmin):
    list_display = ["name", "name_ar", "kind", "parent", "origin", "coordinate_precision"]
    list_filter = ["kind", "origin", "coordinate_precision"]
    search_fields = ["name", "name_ar", "alternate_names", "slug"]
    autocomplete_fields = ["parent"]
    prepopulated_fields = {"slug": ["name"]}
