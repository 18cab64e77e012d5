"""The incident filters shared by every read of incidents: lists, exports, statistics, map.

Every parameter is declared here and validated before it reaches the ORM; an unknown
parameter, a malformed value, an unknown slug or a contradictory pair (``date_from`` after
``date_to``, ``killed_min`` above ``killed_max``) is a 400 naming the parameter.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

import django_filters as filters
from django import forms
from django.db import connections
from django.db.models import Exists, OuterRef, Q, QuerySet
from django_filters.fields import BaseCSVField
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from incidents import selectors, textsearch
from incidents.models import (
    Actor,
    Attribution,
    Claim,
    Confidence,
    DatePrecision,
    Episode,
    EventType,
    ExternalDataset,
    ExternalRecord,
    Grade,
    Incident,
    Status,
)
from incidents.readmodel import mapcells
from mapping import gazetteer
from mapping.aggregation import tiles_in
from mapping.models import LocationPrecision, Place

# Paging parameters of the incident list, read by the list view itself.
PAGING_PARAMETERS = frozenset({"cursor", "page_size", "ordering"})


@dataclass(frozen=True)
class BBox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def __str__(self) -> str:
        return f"{self.min_lon},{self.min_lat},{self.max_lon},{self.max_lat}"


class BBoxField(forms.CharField):
    """``minLon,minLat,maxLon,maxLat`` in degrees (WGS 84), as in GeoJSON and most tools."""

    def to_python(self, value: str | None) -> BBox | None:  # type: ignore[override]
        value = super().to_python(value)
        if not value:
            return None
        parts = value.split(",")
        if len(parts) != 4:
            raise forms.ValidationError(
                "Give four numbers: minLon,minLat,maxLon,maxLat (e.g. 35.7,34.8,36.5,35.9)."
            )
        try:
            numbers = [float(p) for p in parts]
        except ValueError:
            raise forms.ValidationError(
                "Every bbox value must be a number: minLon,minLat,maxLon,maxLat."
            ) from None
        if not all(math.isfinite(n) for n in numbers):
            raise forms.ValidationError("bbox values must be finite numbers.")
        box = BBox(*numbers)
        if not (-180 <= box.min_lon <= 180 and -180 <= box.max_lon <= 180):
            raise forms.ValidationError("Longitudes must lie between -180 and 180.")
        if not (-90 <= box.min_lat <= 90 and -90 <= box.max_lat <= 90):
            raise forms.ValidationError("Latitudes must lie between -90 and 90.")
        if box.min_lon > box.max_lon or box.min_lat > box.max_lat:
            raise forms.ValidationError(
                "The minimum must not exceed the maximum (minLon,minLat,maxLon,maxLat)."
            )
        return box


class BBoxFilter(filters.Filter):
    field_class = BBoxField

    def filter(self, qs: QuerySet[Incident], value: BBox | None) -> QuerySet[Incident]:
        if value is None:
            return qs
        tiles = tiles_in(value.min_lon, value.min_lat, value.max_lon, value.max_lat)
        if tiles is not None:
            # Redundant with the coordinates below, but lets the database find the box's
            # incidents through the tile index instead of scanning a whole date range.
            qs = qs.filter(map_tile__in=tiles)
        return qs.filter(
            longitude__gte=value.min_lon,
            longitude__lte=value.max_lon,
            latitude__gte=value.min_lat,
            latitude__lte=value.max_lat,
        )


class NonNegativeIntegerFilter(filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 10_000_000)
        super().__init__(*args, **kwargs)


class _ListField(BaseCSVField):
    """A comma-separated list in which every item is given: ``a,,b`` or ``,`` is refused
    (an empty item would otherwise pass as "no value" and the filter match everything)."""

    def clean(self, value: list[str] | None) -> list[Any] | None:
        if value is not None and any(item in ("", None) for item in value):
            raise forms.ValidationError(
                "An empty item in the list: give values separated by commas."
            )
        return super().clean(value)


class ChoiceInFilter(filters.BaseInFilter, filters.ChoiceFilter):
    """Comma-separated values, each one of the choices: ``grade=strong,fair``."""

    base_field_class = _ListField


class SlugInFilter(filters.BaseInFilter, filters.CharFilter):
    """Comma-separated slugs; the form checks that each one exists."""

    base_field_class = _ListField


def _slugs_missing(visible: QuerySet, slugs: Iterable[str]) -> list[str]:
    """The slugs that name no record of ``visible``."""
    wanted = set(slugs)
    found = set(visible.filter(slug__in=wanted).values_list("slug", flat=True))
    return sorted(wanted - found)


_EXTERNAL_ID_RE = re.compile(r"^(?:(?P<dataset>[a-z]+):)?(?P<id>[A-Za-z0-9_.\-]{1,100})$")


class ExternalIdField(forms.CharField):
    """``acled:SYR12345,ucdp:456789`` or bare ids (any data set), comma-separated."""

    def to_python(self, value: str | None) -> list[tuple[str | None, str]]:  # type: ignore[override]
        value = super().to_python(value)
        if not value:
            return []
        found = []
        for part in value.split(","):
            match = _EXTERNAL_ID_RE.match(part.strip())
            if not match:
                raise forms.ValidationError(
                    f"'{part.strip()[:40]}' is not an id: give ACLED or UCDP ids "
                    "(letters, digits, - _ .), optionally as acled:ID or ucdp:ID."
                )
            dataset = match["dataset"]
            if dataset is not None and dataset not in ExternalDataset.values:
                raise forms.ValidationError(
                    f"Unknown data set '{dataset}': use {' or '.join(ExternalDataset.values)}."
                )
            found.append((dataset, match["id"]))
        return found


class ExternalIdFilter(filters.Filter):
    field_class = ExternalIdField

    def filter(self, qs: QuerySet[Incident], value: list[tuple[str | None, str]]):
        if not value:
            return qs
        wanted = Q(pk__in=[])
        for dataset, external_id in value:
            wanted |= Q(external_id=external_id, **({"dataset": dataset} if dataset else {}))
        return qs.filter(Exists(ExternalRecord.objects.filter(wanted, incident=OuterRef("pk"))))


class ChangeFeedFilter(filters.IsoDateTimeFilter):
    """An ISO 8601 time; one that has no UTC equivalent in the calendar is clamped to it."""

    def filter(self, qs: QuerySet[Incident], value: datetime | None) -> QuerySet[Incident]:
        if value is not None and value.tzinfo is not None:
            try:
                value.astimezone(UTC)
            except OverflowError:
                # e.g. 0001-01-01T00:00+05:00: before the first instant of the calendar in UTC.
                edge = datetime.min if value.year == 1 else datetime.max
                value = edge.replace(tzinfo=UTC)
        return super().filter(qs, value)


class IncidentFilterForm(forms.Form):
    # Who asks (set by IncidentFilter): the slugs of actors, episodes and sources are
    # checked against what this reader may see, so that a slug only hidden work uses
    # answers exactly as a slug that does not exist, and probing reveals nothing.
    user: Any = None

    def __init__(self, data=None, *args, **kwargs) -> None:
        # A form deep-copies every declared field for each instance (with its widget and
        # choices): a millisecond or two on every incident read, for a score of filters most
        # of which were not given. A field whose parameter is absent cleans to None and
        # filters nothing, so a bound form holds copies of the fields given only, and
        # validates, errs and filters exactly as with all of them.
        if data is not None:
            declared = self.base_fields
            self.base_fields = {
                name: field
                for name, field in declared.items()
                if not field.widget.value_omitted_from_data(
                    data, {}, f"{kwargs['prefix']}-{name}" if kwargs.get("prefix") else name
                )
            }
        super().__init__(data, *args, **kwargs)
        if data is not None:
            del self.base_fields  # the class's, again

    def clean(self) -> dict:
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "date_to must not be before date_from.")
        if (
            data.get("killed_min") is not None
            and data.get("killed_max") is not None
            and data["killed_min"] > data["killed_max"]
        ):
            self.add_error("killed_max", "killed_max must not be below killed_min.")
        # Built only for the parameters given: working out what a reader may see costs
        # queries of its own (the actors shown to the public), which most requests need not.
        lookups = {
            "perpetrator": lambda: selectors.actor_queryset(user=self.user),
            "governorate": lambda: Place.objects.filter(kind="governorate"),
            "district": lambda: Place.objects.filter(kind="district"),
            "place": lambda: Place.objects.all(),
            "episode": lambda: selectors.episode_queryset(user=self.user),
            # Confidential sources never leave the admin: filtering on one finds nothing
            # and says so, exactly as for a source that does not exist.
            "source": lambda: selectors.source_queryset(user=self.user),
        }
        for name, visible in lookups.items():
            values = data.get(name)
            if values:
                missing = _slugs_missing(visible(), values)
                if missing:
                    self.add_error(name, f"Unknown {name}: {', '.join(missing)}.")
        return data


class IncidentFilter(filters.FilterSet):
    bbox = BBoxFilter(
        label="Bounding box minLon,minLat,maxLon,maxLat; incidents without a point are left out."
    )
    date_from = filters.DateFilter(
        method="filter_date_from",
        label="Incidents whose date range ends on or after this day (YYYY-MM-DD).",
    )
    date_to = filters.DateFilter(
        field_name="date_start",
        lookup_expr="lte",
        label="Incidents whose date range starts on or before this day (YYYY-MM-DD).",
    )
    event_type = ChoiceInFilter(choices=EventType.choices, label="Event types, comma-separated.")
    perpetrator = SlugInFilter(
        method="filter_perpetrator",
        label="Actor slugs, comma-separated; includes actors affiliated to them.",
    )
    perpetrator_confidence = filters.ChoiceFilter(
        method="filter_perpetrator_confidence",
        choices=Confidence.choices,
        label="The least confidence of an attribution (alleged < probable < confirmed): "
        "incidents held against a perpetrator at least this surely; with perpetrator, "
        "against one of those actors at least this surely.",
    )
    governorate = SlugInFilter(field_name="governorate__slug", label="Governorate slugs.")
    district = SlugInFilter(field_name="district__slug", label="District slugs.")
    place = SlugInFilter(field_name="place__slug", label="Place slugs.")
    episode = SlugInFilter(method="filter_episode", label="Episode slugs.")
    killed_min = NonNegativeIntegerFilter(
        field_name="killed_best", lookup_expr="gte", label="Best estimate of killed at least."
    )
    killed_max = NonNegativeIntegerFilter(
        field_name="killed_best", lookup_expr="lte", label="Best estimate of killed at most."
    )
    grade = ChoiceInFilter(choices=Grade.choices, label="Evidence grades, comma-separated.")
    location_precision = ChoiceInFilter(
        choices=LocationPrecision.choices, label="Location precisions, comma-separated."
    )
    date_precision = ChoiceInFilter(choices=DatePrecision.choices, label="Date precisions.")
    status = ChoiceInFilter(
        # Merged incidents are never listed: their claims are in the incident kept.
        choices=[(value, label) for value, label in Status.choices if value != Status.MERGED],
        label="Workflow states (only signed-in researchers see anything but published).",
    )
    source = SlugInFilter(method="filter_source", label="Incidents citing these source slugs.")
    publisher = filters.CharFilter(
        method="filter_publisher",
        max_length=200,
        label="Incidents citing a source from this publisher (case-insensitive, exact name).",
    )
    q = filters.CharFilter(
        method="filter_text",
        max_length=200,
        label="Text in the English or Arabic title or summary or the place name, ignoring "
        "case; or a place's name in any of the gazetteer's spellings (Banias, Baniyas, "
        "بانياس), which finds the incidents at that place and inside it.",
    )
    external_id = ExternalIdFilter(
        label="Ids in outside data sets, comma-separated: ACLED event_id_cnty or UCDP GED "
        "id, as published, optionally prefixed acled: or ucdp:.",
    )
    updated_since = ChangeFeedFilter(
        field_name="updated_at",
        lookup_expr="gte",
        label="Change feed: incidents changed at or after this ISO 8601 time.",
    )

    class Meta:
        model = Incident
        fields: list[str] = []
        form = IncidentFilterForm

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None) -> None:
        # django-filter deep-copies every declared filter for each filter set, with its
        # choices, form field and widget, then builds a form class from them: milliseconds
        # on every incident read. A filter's per-request state is only its filter set
        # (``parent``, which its method is looked up on) and model, so each request gets
        # shallow copies, and the form class is built once (``get_form_class``).
        self.base_filters = {}  # what the parent's __init__ copies: nothing
        super().__init__(data, queryset, request=request, prefix=prefix)
        del self.base_filters  # the class's, again
        self.filters = {
            name: _filter_for(declared, self) for name, declared in self.base_filters.items()
        }

    @classmethod
    @cache
    def _form_class(cls) -> type[IncidentFilterForm]:
        fields = {name: declared.field for name, declared in cls.base_filters.items()}
        return type(f"{cls.__name__}Form", (cls._meta.form,), fields)

    def get_form_class(self) -> type[IncidentFilterForm]:
        # The fields do not depend on the request; each form instance copies them anyway.
        return self._form_class()

    @property
    def form(self) -> IncidentFilterForm:
        form = super().form
        form.user = getattr(self.request, "user", None)
        return form

    def filter_date_from(self, qs, name, value):
        # The second condition is implied by the first (no incident lasts longer than the
        # longest one) but lets the database use a date_start index for the window.
        # Near the first day of the calendar the window starts at that day (no date is
        # earlier), instead of overflowing.
        days = mapcells.longest_days()
        earliest = (
            value - timedelta(days=days) if value > date.min + timedelta(days=days) else date.min
        )
        return qs.filter(date_end__gte=value, date_start__gte=earliest)

    def filter_episode(self, qs, name, value):
        # The episodes' ids, not a join on their slugs: with the ids the database weighs how
        # many incidents each episode has, where through the join it guessed (with one
        # episode, all of them) and read a million rows newest first for ten.
        ids = list(Episode.objects.filter(slug__in=value).values_list("pk", flat=True))
        return qs.filter(episode_id__in=ids)

    def filter_perpetrator(self, qs, name, value):
        actor_ids = actor_ids_with_affiliates(value)
        held = Attribution.objects.filter(incident=OuterRef("pk"), actor_id__in=actor_ids)
        least = self.form.cleaned_data.get("perpetrator_confidence")
        if least:
            held = held.filter(confidence__in=confidences_at_least(least))
        return qs.filter(Exists(held))

    def filter_perpetrator_confidence(self, qs, name, value):
        if self.form.cleaned_data.get("perpetrator"):
            return qs  # filter_perpetrator applies it to the actors named
        return qs.filter(
            Exists(
                Attribution.objects.filter(
                    incident=OuterRef("pk"), confidence__in=confidences_at_least(value)
                )
            )
        )

    def filter_source(self, qs, name, value):
        return qs.filter(
            Exists(
                Claim.objects.filter(
                    incident=OuterRef("pk"), source__slug__in=value, source__confidential=False
                )
            )
        )

    def filter_publisher(self, qs, name, value):
        return qs.filter(
            Exists(
                Claim.objects.filter(
                    incident=OuterRef("pk"),
                    source__publisher__iexact=value.strip(),
                    source__confidential=False,
                )
            )
        )

    def filter_text(self, qs, name, value):
        text = value.strip()
        if not text:
            return qs
        condition = textsearch.text_condition(text, connections[qs.db])
        places = gazetteer.places_meant(text)
        if places:
            condition |= Q(place_id__in=sorted(places))
        return qs.filter(condition)


def _filter_for(declared: filters.Filter, filterset: filters.FilterSet) -> filters.Filter:
    """A shallow copy of a declared filter that belongs to ``filterset``."""
    own = copy.copy(declared)
    own.model = filterset.queryset.model
    own.parent = filterset
    if declared.method is not None:
        own.method = declared.method  # a method of its own, looked up on its own filter set
    return own


def confidences_at_least(least: str) -> list[str]:
    """The confidences of an attribution, from ``least`` up (alleged < probable <
    confirmed)."""
    order = list(Confidence.values)
    return order[order.index(least) :]


def actor_ids_with_affiliates(slugs: Iterable[str]) -> set[int]:
    """The actors named and every actor affiliated to them, at any depth."""
    parents: dict[int | None, list[int]] = {}
    for actor_id, parent_id in Actor.objects.values_list("id", "parent_id"):
        parents.setdefault(parent_id, []).append(actor_id)
    found = set(Actor.objects.filter(slug__in=list(slugs)).values_list("id", flat=True))
    frontier = list(found)
    while frontier:
        children = parents.get(frontier.pop(), [])
        for child in children:
            if child not in found:
                found.add(child)
                frontier.append(child)
    return found


def filter_incidents(
    request: Request, queryset: QuerySet[Incident], *, extra_parameters: Iterable[str] = ()
) -> QuerySet[Incident]:
    """Apply the request's filters to ``queryset``; 400 on anything unknown or malformed.

    ``extra_parameters`` are the other parameters the calling view reads itself.
    """
    allowed = set(IncidentFilter.base_filters) | {"format"} | set(extra_parameters)
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise ValidationError(
            {
                name: ["Unknown parameter. Allowed: " + ", ".join(sorted(allowed))]
                for name in unknown
            }
        )
    empty = sorted(
        name
        for name in set(request.query_params) & set(IncidentFilter.base_filters)
        if not request.query_params.get(name, "").strip()
    )
    if empty:
        raise ValidationError(
            {name: ["Give a value, or leave the parameter out."] for name in empty}
        )
    repeated = sorted(
        name for name in request.query_params if len(request.query_params.getlist(name)) > 1
    )
    if repeated:
        raise ValidationError(
            {name: ["Give this parameter once (lists are comma-separated)."] for name in repeated}
        )
    filterset = IncidentFilter(data=request.query_params, queryset=queryset, request=request)
    if not filterset.is_valid():
        raise ValidationError(
            {field: [str(e) for e in errors] for field, errors in filterset.errors.items()}
        )
    return filterset.qs
