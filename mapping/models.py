"""Geography: the gazetteer of places and the vocabulary of location precision.

A Place is a named point with a kind (governorate down to neighbourhood), names in Latin
script and Arabic with their alternate spellings, a parent place, and a record of where the
entry came from. Incidents point at places for their governorate and district and for the
place they happened in; their own coordinates stay plain latitude/longitude columns so that
no spatial database extension is needed.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords


class LocationPrecision(models.TextChoices):
    """How precisely a position is known, from an exact spot to only the country."""

    EXACT = "exact", "Exact location"
    NEIGHBOURHOOD = "neighbourhood", "Neighbourhood"
    SETTLEMENT = "settlement", "Settlement (town or village)"
    SUBDISTRICT = "subdistrict", "Subdistrict"
    DISTRICT = "district", "District"
    GOVERNORATE = "governorate", "Governorate"
    COUNTRY = "country", "Country"


# Radius in metres of the area a position of each precision stands for; the map draws an
# imprecise location as a circle of this radius instead of a pin.
PRECISION_RADIUS_M: dict[str, int] = {
    LocationPrecision.EXACT: 0,
    LocationPrecision.NEIGHBOURHOOD: 500,
    LocationPrecision.SETTLEMENT: 2_000,
    LocationPrecision.SUBDISTRICT: 8_000,
    LocationPrecision.DISTRICT: 20_000,
    LocationPrecision.GOVERNORATE: 50_000,
    LocationPrecision.COUNTRY: 200_000,
}


class PlaceKind(models.TextChoices):
    COUNTRY = "country", "Country"
    GOVERNORATE = "governorate", "Governorate"
    DISTRICT = "district", "District"
    SUBDISTRICT = "subdistrict", "Subdistrict"
    CITY = "city", "City"
    TOWN = "town", "Town"
    VILLAGE = "village", "Village"
    NEIGHBOURHOOD = "neighbourhood", "Neighbourhood"


class PlaceOrigin(models.TextChoices):
    GEONAMES = "geonames", "GeoNames"
    CURATED = "curated", "Curated by the project"
    RESEARCHER = "researcher", "Added by a researcher"


class Place(models.Model):
    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField("name (Latin script)", max_length=200)
    name_ar = models.CharField("name (Arabic)", max_length=200, blank=True)
    alternate_names = models.JSONField(
        default=list, blank=True, help_text="Other spellings, in any script."
    )
    kind = models.CharField(max_length=20, choices=PlaceKind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    latitude = models.FloatField(
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.FloatField(
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    coordinate_precision = models.CharField(
        max_length=20,
        choices=LocationPrecision.choices,
        default=LocationPrecision.SETTLEMENT,
        help_text="How precisely the coordinates locate the place.",
    )
    population = models.PositiveIntegerField(null=True, blank=True)
    geonames_id = models.PositiveIntegerField("GeoNames id", null=True, blank=True, unique=True)
    pcode = models.CharField("OCHA P-code", max_length=20, blank=True)
    origin = models.CharField(max_length=20, choices=PlaceOrigin.choices)
    origin_note = models.TextField(
        blank=True, help_text="Where the entry and its coordinates came from."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__gte=-90) & Q(latitude__lte=90),
                name="place_latitude_range",
                violation_error_message="Latitude must be between -90 and 90.",
            ),
            models.CheckConstraint(
                condition=Q(longitude__gte=-180) & Q(longitude__lte=180),
                name="place_longitude_range",
                violation_error_message="Longitude must be between -180 and 180.",
            ),
            models.CheckConstraint(
                condition=Q(origin=PlaceOrigin.GEONAMES) | ~Q(origin_note=""),
                name="place_curated_has_origin_note",
                violation_error_message="Say where a curated or researcher's entry came from.",
            ),
        ]
        indexes = [models.Index(fields=["kind", "name"], name="place_kind_name_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display().lower()})"

    def clean(self) -> None:
        if (
            self.origin in (PlaceOrigin.CURATED, PlaceOrigin.RESEARCHER)
            and not (self.origin_note or "").strip()
        ):
            raise ValidationError(
                {
                    "origin_note": "Say where this entry and its coordinates came from "
                    "(a survey, a map, a source) and how precise they are."
                }
            )

    @property
    def governorate(self) -> Place | None:
        """The governorate this place lies in (itself, if it is one)."""
        place: Place | None = self
        while place is not None:
            if place.kind == PlaceKind.GOVERNORATE:
                return place
            place = place.parent
        return None
