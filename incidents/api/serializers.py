"""Serializers: what the API accepts (every field listed) and the shapes it returns.

Input serializers validate types and ranges and turn slugs into records; the services then
apply the domain rules, so the API obeys exactly what the admin obeys. Status, version,
public ids, authorship and timestamps are never accepted from a client.

The output serializers document the documents built in ``representation`` (which does not
use them, for speed); the schema tests check real responses against them.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.fieldspec import SOURCE_PUBLIC
from incidents.figurekinds import FigureKind
from incidents.models import (
    Actor,
    ActorKind,
    Claim,
    Confidence,
    DatePrecision,
    Episode,
    EventType,
    ExternalDataset,
    FigureRule,
    Grade,
    MeasureKind,
    Source,
    SourceKind,
    Status,
    VictimGroup,
)
from mapping.models import LocationPrecision, Place

from .fields import StrictModelSerializer, StrictSerializer

_HIGH_OPEN_HELP = (
    "True when no source gives a ceiling (e.g. 'at least 7'): the high is then null, and "
    "the range reads '7 or more'. Never read the low or best as a ceiling."
)
_OPEN_COUNT_HELP = (
    "How many of the incidents summed have an open high (see killed.high_open). They add "
    "their best to killed_high, so when this is above 0 killed_high is a floor of the "
    "total's high ('N or more'), not a ceiling."
)


def _count_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=0, max_value=10_000_000, **kwargs)


class BreakdownSerializer(StrictSerializer):
    civilians = _count_field(allow_null=True)
    children = _count_field(allow_null=True)
    women = _count_field(allow_null=True)
    medical_personnel = _count_field(allow_null=True)
    security_forces = _count_field(allow_null=True)
    combatants = _count_field(allow_null=True)


# --- input --------------------------------------------------------------------------------


class ClaimInputSerializer(StrictSerializer):
    source = serializers.SlugRelatedField(
        slug_field="slug", queryset=Source.objects.filter(confidential=False)
    )
    attributed_to = serializers.CharField(max_length=200, required=False, allow_blank=True)
    killed_min = _count_field(required=False, allow_null=True)
    killed_max = _count_field(required=False, allow_null=True)
    approximate = serializers.BooleanField(required=False)
    figure_kind = serializers.ChoiceField(
        choices=[("", "not stated"), *FigureKind.choices],
        required=False,
        allow_blank=True,
        help_text="How the source states the figure; killed_min, killed_max and approximate "
        "must be what its rule gives (see the README's figures section).",
    )
    civilians = _count_field(required=False, allow_null=True)
    children = _count_field(required=False, allow_null=True)
    women = _count_field(required=False, allow_null=True)
    medical_personnel = _count_field(required=False, allow_null=True)
    security_forces = _count_field(required=False, allow_null=True)
    combatants = _count_field(required=False, allow_null=True)
    perpetrator_text = serializers.CharField(max_length=300, required=False, allow_blank=True)
    perpetrator = serializers.SlugRelatedField(
        slug_field="slug", queryset=Actor.objects.all(), required=False, allow_null=True
    )
    place_as_reported = serializers.CharField(max_length=200, required=False, allow_blank=True)
    date_as_reported = serializers.CharField(max_length=200, required=False, allow_blank=True)
    quote = serializers.CharField(max_length=20_000)
    notes = serializers.CharField(max_length=20_000, required=False, allow_blank=True)

    def validate(self, attrs: dict) -> dict:
        # The model's own rules (minimum and maximum, a quote), so that an error inside a
        # list of claims is reported at that claim's position.
        if not self.partial:
            try:
                Claim(**attrs).clean()
            except DjangoValidationError as error:
                raise serializers.ValidationError(error.message_dict) from None
        return attrs


class PerpetratorInputSerializer(StrictSerializer):
    actor = serializers.SlugRelatedField(slug_field="slug", queryset=Actor.objects.all())
    confidence = serializers.ChoiceField(choices=Confidence.choices)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class FiguresInputSerializer(StrictSerializer):
    """Figures set by hand; a measure left out is unknown."""

    killed_low = _count_field(allow_null=True, required=False)
    killed_best = _count_field(allow_null=True, required=False)
    killed_high = _count_field(allow_null=True, required=False)
    killed_high_open = serializers.BooleanField(
        required=False, help_text=_HIGH_OPEN_HELP + " Leave killed_high out or null with it."
    )
    civilians = _count_field(allow_null=True, required=False)
    children = _count_field(allow_null=True, required=False)
    women = _count_field(allow_null=True, required=False)
    medical_personnel = _count_field(allow_null=True, required=False)
    security_forces = _count_field(allow_null=True, required=False)
    combatants = _count_field(allow_null=True, required=False)


def _place(kind: str | None = None) -> serializers.SlugRelatedField:
    queryset = Place.objects.all() if kind is None else Place.objects.filter(kind=kind)
    return serializers.SlugRelatedField(
        slug_field="slug", queryset=queryset, required=False, allow_null=True
    )


class IncidentInputSerializer(StrictSerializer):
    """The descriptive fields of an incident; on PATCH every field is optional."""

    title = serializers.CharField(max_length=300)
    title_ar = serializers.CharField(max_length=300, required=False, allow_blank=True)
    summary = serializers.CharField(max_length=50_000, required=False, allow_blank=True)
    summary_ar = serializers.CharField(max_length=50_000, required=False, allow_blank=True)
    event_type = serializers.ChoiceField(choices=EventType.choices)
    date_start = serializers.DateField()
    date_end = serializers.DateField(
        required=False, help_text="Defaults to date_start: a one-day incident needs only its start."
    )
    date_precision = serializers.ChoiceField(choices=DatePrecision.choices, required=False)
    latitude = serializers.FloatField(min_value=-90, max_value=90, required=False, allow_null=True)
    longitude = serializers.FloatField(
        min_value=-180, max_value=180, required=False, allow_null=True
    )
    location_precision = serializers.ChoiceField(choices=LocationPrecision.choices, required=False)
    place_name = serializers.CharField(max_length=300, required=False, allow_blank=True)
    place = _place()
    governorate = _place("governorate")
    district = _place("district")
    location_note = serializers.CharField(max_length=5_000, required=False, allow_blank=True)
    episode = serializers.SlugRelatedField(
        slug_field="slug", queryset=Episode.objects.all(), required=False, allow_null=True
    )
    grade = serializers.ChoiceField(choices=Grade.choices, required=False)
    victim_groups = serializers.SlugRelatedField(
        slug_field="slug", queryset=VictimGroup.objects.all(), many=True, required=False
    )
    figure_rule = serializers.ChoiceField(choices=FigureRule.choices, required=False)
    figures = FiguresInputSerializer(
        required=False, help_text="Only with figure_rule 'manual', with figure_rationale."
    )
    figure_rationale = serializers.CharField(max_length=5_000, required=False, allow_blank=True)


class IncidentCreateSerializer(IncidentInputSerializer):
    claims = ClaimInputSerializer(many=True, required=False)
    perpetrators = PerpetratorInputSerializer(
        many=True, required=False, help_text="Each actor once, with one confidence."
    )

    def validate_perpetrators(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        actors = [item["actor"].pk for item in value]
        if len(actors) != len(set(actors)):
            raise serializers.ValidationError("An actor is named more than once.")
        return value


class RetractSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=5_000, help_text="Why the incident is retracted.")


class TransitionSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=5_000, required=False, allow_blank=True)


# --- sources, actors, episodes --------------------------------------------------------------


# An http(s) address as Django's URL check accepts it (the schema generator adds the other
# choice, an empty string: no address is ever invented).
OPTIONAL_URL = (
    r"^https?://[a-zA-Z0-9]{1,63}(\.[a-zA-Z0-9]{1,63}){0,3}\.[a-zA-Z]{2,63}(:[0-9]{1,5})?"
    r"([/?#][^\s\x00]*)?$"
)


@extend_schema_field({"type": "string", "maxLength": 1000, "pattern": OPTIONAL_URL})
class OptionalURLField(serializers.CharField):
    """An address or nothing. The document gives the two as one pattern: as ``format: uri``
    or an empty string, tools took the empty string for a malformed address."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=1000, required=False, allow_blank=True, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        # Checked here, not as a field validator, which the schema generator would document
        # as "format: uri" beside the pattern.
        value = super().to_internal_value(data)
        if value:
            try:
                if not re.fullmatch(OPTIONAL_URL, value):
                    raise DjangoValidationError("not an http(s) address")
                URLValidator()(value)
            except DjangoValidationError:
                raise serializers.ValidationError(
                    "Enter an http or https address, e.g. https://example.org/page."
                ) from None
        return value


class SourceSerializer(StrictModelSerializer):
    publisher = serializers.CharField(max_length=200, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=SourceKind.choices)
    url = OptionalURLField()
    archive_url = OptionalURLField()

    class Meta:
        model = Source
        # Not the content hash: the API describes a source, the exports also prove it.
        fields = ["slug", *(name for name in SOURCE_PUBLIC if name != "content_hash")]


class ActorSerializer(StrictModelSerializer):
    parent = serializers.SlugRelatedField(
        slug_field="slug", queryset=Actor.objects.all(), required=False, allow_null=True
    )
    kind = serializers.ChoiceField(choices=ActorKind.choices, required=False)
    aliases = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, max_length=100
    )

    class Meta:
        model = Actor
        fields = [
            "slug",
            "name",
            "name_ar",
            "aliases",
            "kind",
            "parent",
            "affiliation_note",
            "description",
        ]


class EpisodeSerializer(StrictModelSerializer):
    class Meta:
        model = Episode
        fields = ["slug", "title", "title_ar", "summary", "summary_ar", "date_start", "date_end"]


# --- documented output shapes ----------------------------------------------------------------


class AreaSerializer(StrictSerializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    name_ar = serializers.CharField()


class LocationSerializer(StrictSerializer):
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    precision = serializers.ChoiceField(choices=LocationPrecision.choices)
    precision_radius_m = serializers.IntegerField(
        allow_null=True, help_text="Radius of the area the position stands for."
    )
    place_name = serializers.CharField()
    note = serializers.CharField()
    place = AreaSerializer(allow_null=True)
    governorate = AreaSerializer(allow_null=True)
    district = AreaSerializer(allow_null=True)


class KilledSerializer(StrictSerializer):
    low = serializers.IntegerField(allow_null=True)
    best = serializers.IntegerField(allow_null=True)
    high = serializers.IntegerField(
        allow_null=True, help_text="Null when there is no figure, or when high_open."
    )
    high_open = serializers.BooleanField(help_text=_HIGH_OPEN_HELP)
    rule = serializers.ChoiceField(choices=FigureRule.choices)
    rationale = serializers.CharField()
    breakdown = BreakdownSerializer()
    includes_confidential = serializers.BooleanField(
        help_text="False: the range comes from the claims shown. True: a reviewer had it "
        "count claims of confidential sources too, which are never shown."
    )
    confidential_claims = serializers.IntegerField(
        allow_null=True,
        help_text="How many claims of confidential sources the range counts (only when "
        "includes_confidential), never which.",
    )


class ClaimSourceSerializer(StrictSerializer):
    slug = serializers.CharField()
    publisher = serializers.CharField()
    headline = serializers.CharField()
    url = serializers.CharField()
    publication_date = serializers.DateField(allow_null=True)
    kind = serializers.ChoiceField(choices=SourceKind.choices)


class ClaimSerializer(StrictSerializer):
    id = serializers.IntegerField()
    source = ClaimSourceSerializer()
    attributed_to = serializers.CharField()
    killed_min = serializers.IntegerField(allow_null=True)
    killed_max = serializers.IntegerField(allow_null=True)
    approximate = serializers.BooleanField()
    figure_kind = serializers.ChoiceField(
        choices=[("", "not stated"), *FigureKind.choices],
        help_text="How the source states the figure (exact, at_least, more_than, around, "
        "range, up_to, vague); empty for claims recorded without it.",
    )
    breakdown = BreakdownSerializer()
    perpetrator_text = serializers.CharField()
    perpetrator = serializers.CharField(allow_null=True, help_text="Actor slug.")
    place_as_reported = serializers.CharField()
    date_as_reported = serializers.CharField()
    quote = serializers.CharField()


class PerpetratorSerializer(StrictSerializer):
    actor = serializers.CharField(help_text="Actor slug.")
    name = serializers.CharField()
    name_ar = serializers.CharField()
    confidence = serializers.ChoiceField(choices=Confidence.choices)


class ExternalIdSerializer(StrictSerializer):
    dataset = serializers.ChoiceField(choices=ExternalDataset.choices)
    id = serializers.CharField(help_text="ACLED event_id_cnty or UCDP GED id, as published.")


class IncidentSerializer(StrictSerializer):
    id = serializers.CharField(help_text="Stable public id, e.g. SY-2025-0001.")
    url = serializers.CharField()
    title = serializers.CharField()
    title_ar = serializers.CharField()
    summary = serializers.CharField()
    summary_ar = serializers.CharField()
    event_type = serializers.ChoiceField(choices=EventType.choices)
    date_start = serializers.DateField()
    date_end = serializers.DateField()
    date_precision = serializers.ChoiceField(choices=DatePrecision.choices)
    location = LocationSerializer()
    killed = KilledSerializer()
    grade = serializers.ChoiceField(choices=Grade.choices)
    status = serializers.ChoiceField(choices=Status.choices)
    retraction_reason = serializers.CharField()
    episode = serializers.CharField(allow_null=True, help_text="Episode slug.")
    perpetrators = PerpetratorSerializer(many=True)
    victim_groups = serializers.ListField(child=serializers.CharField())
    claims = ClaimSerializer(many=True)
    source_count = serializers.IntegerField()
    acled_event_id = serializers.CharField(
        allow_null=True, help_text="The ACLED event_id_cnty the incident was imported from."
    )
    ucdp_ged_id = serializers.CharField(
        allow_null=True, help_text="The UCDP GED id the incident was imported from."
    )
    external_ids = ExternalIdSerializer(
        many=True, help_text="Every outside data set row the incident was imported from."
    )
    version = serializers.IntegerField(help_text="Send it back in If-Match to edit.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    published_at = serializers.DateTimeField(allow_null=True)


class IncidentPageSerializer(StrictSerializer):
    next = serializers.URLField(allow_null=True, help_text="The next page, or null.")
    results = IncidentSerializer(many=True)


class FiguresSerializer(StrictSerializer):
    incidents = serializers.IntegerField()
    killed_low = serializers.IntegerField()
    killed_best = serializers.IntegerField()
    killed_high = serializers.IntegerField(
        help_text="The sum of the highs, an open high adding its best: a floor of the "
        "total's high when killed_high_open is above 0."
    )
    killed_high_open = serializers.IntegerField(help_text=_OPEN_COUNT_HELP)


class DayFiguresSerializer(FiguresSerializer):
    date = serializers.DateField()


class GovernorateFiguresSerializer(FiguresSerializer):
    governorate = serializers.CharField(allow_null=True)
    name = serializers.CharField(allow_null=True)
    name_ar = serializers.CharField(allow_null=True)


class PerpetratorFiguresSerializer(FiguresSerializer):
    actor = serializers.CharField()
    name = serializers.CharField()
    name_ar = serializers.CharField()


class EventTypeFiguresSerializer(FiguresSerializer):
    event_type = serializers.ChoiceField(choices=EventType.choices)


class ReportedAggregateSerializer(StrictSerializer):
    measure = serializers.CharField()
    measure_ar = serializers.CharField(help_text="The measure in Arabic; empty when not given.")
    low = serializers.IntegerField(allow_null=True)
    best = serializers.IntegerField(allow_null=True)
    high = serializers.IntegerField(allow_null=True, help_text="Null when high_open.")
    high_open = serializers.BooleanField(help_text=_HIGH_OPEN_HELP)
    claims = serializers.IntegerField()


class MonitorFigureSerializer(StrictSerializer):
    source = serializers.CharField(help_text="The slug of the source that reports it.")
    monitor = serializers.CharField(
        help_text="Who made the count: as the source attributes it, else its publisher."
    )
    measure_ar = serializers.CharField(
        help_text="The measure in Arabic as this figure gives it; empty when not given."
    )
    measure_kind = serializers.ChoiceField(
        choices=MeasureKind.choices,
        help_text="The kind of measure: figures of one kind are set side by side, and compared "
        "only when their measure and dates are the same.",
    )
    covers_from = serializers.DateField(
        allow_null=True, help_text="First day the count covers; null when the source does not say."
    )
    covers_to = serializers.DateField(
        allow_null=True, help_text="Last day the count covers; null when the source does not say."
    )
    killed_min = serializers.IntegerField(allow_null=True)
    killed_max = serializers.IntegerField(allow_null=True)
    approximate = serializers.BooleanField()


class EpisodeReportedAggregateSerializer(ReportedAggregateSerializer):
    figures = MonitorFigureSerializer(
        many=True,
        help_text="Each monitor's figure for this measure (public sources only), in the order "
        "they were recorded.",
    )


class EpisodeFiguresSerializer(StrictSerializer):
    episode = serializers.CharField()
    title = serializers.CharField()
    title_ar = serializers.CharField()
    incidents_in_view = FiguresSerializer()
    incidents_in_episode = FiguresSerializer()
    reported_aggregates = ReportedAggregateSerializer(many=True)


class StatisticsSerializer(StrictSerializer):
    totals = FiguresSerializer()
    # Each breakdown is in the answer unless ``breakdown`` names others only.
    by_day = DayFiguresSerializer(many=True, required=False)
    by_governorate = GovernorateFiguresSerializer(many=True, required=False)
    by_perpetrator = PerpetratorFiguresSerializer(many=True, required=False)
    by_event_type = EventTypeFiguresSerializer(many=True, required=False)
    episodes = EpisodeFiguresSerializer(many=True, required=False)
    notes = serializers.ListField(child=serializers.CharField())


class EpisodeDetailSerializer(EpisodeSerializer):
    incidents = FiguresSerializer(read_only=True)
    reported_aggregates = EpisodeReportedAggregateSerializer(many=True, read_only=True)

    class Meta(EpisodeSerializer.Meta):
        fields = [*EpisodeSerializer.Meta.fields, "incidents", "reported_aggregates"]


class MapCellSerializer(StrictSerializer):
    latitude = serializers.FloatField(help_text="Mean position of the cell's incidents.")
    longitude = serializers.FloatField()
    bounds = serializers.ListField(
        child=serializers.FloatField(), help_text="minLon,minLat,maxLon,maxLat"
    )
    count = serializers.IntegerField()
    killed_low = serializers.IntegerField()
    killed_best = serializers.IntegerField()
    killed_high = serializers.IntegerField(
        help_text="An open high adds its best: a floor when killed_high_open is above 0."
    )
    killed_high_open = serializers.IntegerField(help_text=_OPEN_COUNT_HELP)
    area = serializers.CharField(
        allow_null=True,
        help_text="District and governorate of the cell's mean position, for the largest "
        "cells of the answer (null for the others).",
    )
    area_ar = serializers.CharField(allow_null=True, help_text="The same in Arabic.")
    single_point = serializers.BooleanField(
        help_text="All the cell's incidents stand at one point: zooming in cannot separate "
        "them (list them with the incident list's bbox instead)."
    )


class MapIncidentSerializer(StrictSerializer):
    id = serializers.CharField()
    title = serializers.CharField()
    title_ar = serializers.CharField()
    event_type = serializers.ChoiceField(choices=EventType.choices)
    date_start = serializers.DateField()
    date_end = serializers.DateField()
    date_precision = serializers.ChoiceField(choices=DatePrecision.choices)
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    location_precision = serializers.ChoiceField(choices=LocationPrecision.choices)
    precision_radius_m = serializers.IntegerField(allow_null=True)
    place_name = serializers.CharField()
    killed_low = serializers.IntegerField(allow_null=True)
    killed_best = serializers.IntegerField(allow_null=True)
    killed_high = serializers.IntegerField(allow_null=True, help_text="Null when open.")
    killed_high_open = serializers.BooleanField(help_text=_HIGH_OPEN_HELP)
    grade = serializers.ChoiceField(choices=Grade.choices)
    perpetrators = serializers.ListField(child=serializers.CharField())
    perpetrator_confidence = serializers.DictField(
        child=serializers.ChoiceField(choices=Confidence.choices),
        help_text="Each perpetrator's attribution confidence, by actor slug.",
    )
    source_count = serializers.IntegerField()
    governorate = serializers.CharField(
        allow_null=True,
        help_text="The slug of its governorate (as in governorates.geojson), if recorded.",
    )
    district = serializers.CharField(
        allow_null=True,
        help_text="The slug of its district (as in districts.geojson), if recorded.",
    )


class MapPointsSerializer(StrictSerializer):
    fields = serializers.ListField(
        child=serializers.CharField(), help_text="What each row holds, in order."
    )
    rows = serializers.ListField(
        child=serializers.ListField(child=serializers.JSONField()),
        help_text="One array per incident, most killed first.",
    )


class MapSerializer(StrictSerializer):
    mode = serializers.ChoiceField(choices=["incidents", "cells"])
    zoom = serializers.IntegerField()
    bbox = serializers.ListField(child=serializers.FloatField())
    cell_size = serializers.FloatField(allow_null=True, help_text="Cell edge in degrees.")
    cells = MapCellSerializer(many=True)
    incidents = MapIncidentSerializer(many=True)
    points = MapPointsSerializer(
        required=False, help_text="The incidents in the compact layout (layout=compact)."
    )
    totals = FiguresSerializer()
