"""The domain: incidents, the claims that sources make about them, and who did what.

Sources disagree, so a casualty figure never stands alone. A :class:`Claim` is what one
:class:`Source` says about one :class:`Incident` (its figures, the perpetrator it names and
the verbatim sentence that supports them). The incident's published figures are a
reconciled range computed from its claims by a documented rule (see
``incidents.reconciliation``) or set by hand with a written rationale.

An :class:`Episode` groups incidents into a wider event. Monitors' totals for the whole
episode are :class:`EpisodeClaim` rows: they are shown beside the sum of the incidents and
never added to it.

Every invariant of the domain is a database constraint as well as a form or service check,
so that rows written by any path (admin, API, import, shell) obey the same rules.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from mapping.aggregation import fine_cell, tile_key
from mapping.models import LocationPrecision, Place

from .figurekinds import FigureKind, fits, kind_condition
from .history import HistoricalRecords as LeanHistoricalRecords
from .validation import CheckedRow


def _date_errors(start: date | None, end: date | None) -> dict[str, str]:
    """Field errors for a date range: nothing in the future, the end not before the start."""
    errors: dict[str, str] = {}
    today = timezone.localdate()
    if start is not None and start > today:
        errors["date_start"] = "The start date cannot be in the future."
    if end is not None and end > today:
        errors["date_end"] = "The end date cannot be in the future."
    if start is not None and end is not None and end < start and "date_end" not in errors:
        errors["date_end"] = "The end date cannot be before the start date."
    return errors


class EventType(models.TextChoices):
    SUMMARY_EXECUTION = "summary_execution", "Summary execution"
    MASSACRE = "massacre", "Massacre"
    SHELLING = "shelling", "Shelling or bombardment"
    AIRSTRIKE = "airstrike", "Airstrike or drone strike"
    AMBUSH = "ambush", "Ambush or attack on forces"
    ATTACK_ON_CIVILIANS = "attack_on_civilians", "Attack on civilians"
    ARMED_CLASH = "armed_clash", "Armed clash"
    SECURITY_OPERATION = "security_operation", "Security or military operation"
    LOOTING_ARSON = "looting_arson", "Looting or arson"
    MASS_GRAVE = "mass_grave", "Mass grave"
    ABDUCTION = "abduction", "Abduction or enforced disappearance"
    OTHER = "other", "Other violence"


class DatePrecision(models.TextChoices):
    DAY = "day", "Exact day"
    DAYS = "days", "Within a few days"
    WEEK = "week", "Within a week"
    MONTH = "month", "Within a month"


class Grade(models.TextChoices):
    """Verification grade, from well established to discounted."""

    CONFIRMED = "confirmed", "Confirmed"
    FAIR = "fair", "Fair"
    WEAK = "weak", "Weak"
    CONTESTED = "contested", "Contested"
    DISCOUNTED = "discounted", "Discounted"


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"
    RETRACTED = "retracted", "Retracted"
    MERGED = "merged", "Merged into another incident"


class FigureRule(models.TextChoices):
    RANGE_OF_CLAIMS = "range_of_claims", "Range of all claims"
    SOURCE_HIERARCHY = "source_hierarchy", "Claims of the highest-ranked kind of source"
    MANUAL = "manual", "Set by a researcher, with a rationale"


class Confidence(models.TextChoices):
    ALLEGED = "alleged", "Alleged"
    PROBABLE = "probable", "Probable"
    CONFIRMED = "confirmed", "Confirmed"


class ActorKind(models.TextChoices):
    STATE_FORCES = "state_forces", "State forces"
    STATE_AFFILIATED = "state_affiliated", "State-affiliated armed group"
    FORMER_REGIME = "former_regime", "Former-regime loyalists"
    NON_STATE = "non_state", "Non-state armed group"
    CIVILIANS = "civilians", "Civilians"
    UNKNOWN = "unknown", "Unknown"


class SourceKind(models.TextChoices):
    MONITOR_REPORT = "monitor_report", "Monitor report"
    NEWS_ARTICLE = "news_article", "News article"
    OFFICIAL_STATEMENT = "official_statement", "Official statement"
    SOCIAL_MEDIA = "social_media", "Social media"
    WITNESS_TESTIMONY = "witness_testimony", "Witness testimony"
    DATASET = "dataset", "Event data set (ACLED, UCDP)"


def _non_negative(*fields: str, prefix: str) -> list[models.CheckConstraint]:
    return [
        models.CheckConstraint(
            condition=Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": 0}),
            name=f"{prefix}_{field}_non_negative",
            violation_error_message=f"{field.replace('_', ' ').capitalize()} cannot be negative.",
        )
        for field in fields
    ]


BREAKDOWN_FIELDS = (
    "civilians",
    "children",
    "women",
    "medical_personnel",
    "security_forces",
    "combatants",
)


class Breakdown(models.Model):
    """Who the dead were, where a source or the reconciliation says so."""

    civilians = models.PositiveIntegerField(null=True, blank=True)
    children = models.PositiveIntegerField(null=True, blank=True)
    women = models.PositiveIntegerField(null=True, blank=True)
    medical_personnel = models.PositiveIntegerField(null=True, blank=True)
    security_forces = models.PositiveIntegerField(null=True, blank=True)
    combatants = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        abstract = True


class Actor(models.Model):
    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField("name (English)", max_length=200)
    name_ar = models.CharField("name (Arabic)", max_length=200, blank=True)
    aliases = models.JSONField(default=list, blank=True, help_text="Other names, in any script.")
    kind = models.CharField(max_length=30, choices=ActorKind.choices, default=ActorKind.UNKNOWN)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="affiliates",
        help_text="The actor this one is affiliated with, e.g. a ministry for its factions.",
    )
    affiliation_note = models.CharField(
        max_length=300,
        blank=True,
        help_text='How the affiliation is described, e.g. "nominally affiliated".',
    )
    description = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Source(CheckedRow):
    """A document that makes claims: a report, an article, a statement, a testimony."""

    slug = models.SlugField(max_length=120, unique=True)
    publisher = models.CharField(
        max_length=200,
        blank=True,
        help_text="The organisation that published it. Leave empty when the document "
        "does not name it: empty means unknown, never guess.",
    )
    headline = models.CharField(max_length=500)
    author = models.CharField(max_length=200, blank=True)
    url = models.URLField("URL", max_length=1000, blank=True, help_text="Only a real address.")
    publication_date = models.DateField(null=True, blank=True)
    language = models.CharField(max_length=10, default="en", help_text="BCP 47 code, e.g. en, ar.")
    kind = models.CharField(max_length=30, choices=SourceKind.choices)
    archive_url = models.URLField("archive URL", max_length=1000, blank=True)
    content_hash = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the document's text as archived."
    )
    confidential = models.BooleanField(
        default=False, help_text="Confidential sources are never shown outside the admin."
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-publication_date", "headline"]
        constraints = [
            models.CheckConstraint(condition=~Q(headline=""), name="source_headline_required"),
        ]

    def __str__(self) -> str:
        return f"{self.publisher_display}: {self.headline}"

    def clean(self) -> None:
        if self.publication_date and self.publication_date > timezone.localdate():
            raise ValidationError(
                {"publication_date": "The publication date cannot be in the future."}
            )

    @property
    def publisher_display(self) -> str:
        return self.publisher or "Unknown publisher"


class Episode(CheckedRow):
    """A wider event that groups incidents, e.g. the March 2025 coastal violence."""

    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField("title (English)", max_length=300)
    title_ar = models.CharField("title (Arabic)", max_length=300, blank=True)
    summary = models.TextField("summary (English)", blank=True)
    summary_ar = models.TextField("summary (Arabic)", blank=True)
    date_start = models.DateField()
    date_end = models.DateField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-date_start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_start__lte=F("date_end")),
                name="episode_dates_ordered",
                violation_error_message="The end date cannot be before the start date.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if errors := _date_errors(self.date_start, self.date_end):
            raise ValidationError(errors)


class VictimGroup(models.Model):
    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField("name (English)", max_length=200)
    name_ar = models.CharField("name (Arabic)", max_length=200, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Incident(CheckedRow, Breakdown):
    """One event at one place and time, with its reconciled figures."""

    # Unique through a constraint in Meta, not unique=True: on PostgreSQL unique=True adds a
    # second index (varchar_pattern_ops, for LIKE) beside the unique one, as large, and
    # nothing searches public ids by prefix.
    public_id = models.CharField(
        "public id", max_length=20, editable=False, help_text="e.g. SY-2025-0007"
    )
    title = models.CharField("title (English)", max_length=300)
    title_ar = models.CharField("title (Arabic)", max_length=300, blank=True)
    summary = models.TextField("summary (English)", blank=True)
    summary_ar = models.TextField("summary (Arabic)", blank=True)
    event_type = models.CharField(max_length=30, choices=EventType.choices)

    date_start = models.DateField()
    date_end = models.DateField()
    date_precision = models.CharField(
        max_length=10, choices=DatePrecision.choices, default=DatePrecision.DAY
    )

    latitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    location_precision = models.CharField(
        max_length=20, choices=LocationPrecision.choices, default=LocationPrecision.SETTLEMENT
    )
    place_name = models.CharField(
        "place as reported", max_length=300, blank=True, help_text='e.g. "outskirts of Jableh"'
    )
    place = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.PROTECT, related_name="incidents"
    )
    governorate = models.ForeignKey(
        Place,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="governorate_incidents",
        limit_choices_to={"kind": "governorate"},
    )
    district = models.ForeignKey(
        Place,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="district_incidents",
        limit_choices_to={"kind": "district"},
    )
    location_note = models.TextField(
        blank=True, help_text="Where the coordinates came from and why this precision."
    )

    episode = models.ForeignKey(
        Episode, null=True, blank=True, on_delete=models.PROTECT, related_name="incidents"
    )
    perpetrators = models.ManyToManyField(
        Actor, through="Attribution", related_name="incidents", blank=True
    )
    victim_groups = models.ManyToManyField(VictimGroup, related_name="incidents", blank=True)

    killed_low = models.PositiveIntegerField(null=True, blank=True)
    killed_best = models.PositiveIntegerField(null=True, blank=True)
    killed_high = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty when the upper bound is open."
    )
    # "At least 7" sets no ceiling: the high is then unknown, not 7. An open high is stored
    # as killed_high NULL with this flag, so that no layer can read a floor as a ceiling.
    killed_high_open = models.BooleanField(
        "upper bound open",
        default=False,
        help_text='No source gives a ceiling ("at least 7"): the high is left empty and '
        'the figures read "7 or more".',
    )
    figure_rule = models.CharField(
        max_length=30, choices=FigureRule.choices, default=FigureRule.RANGE_OF_CLAIMS
    )
    figure_rationale = models.TextField(
        blank=True, help_text="Required when the figures are set by hand."
    )
    # The published range comes from public claims only, so that a confidential source's
    # figure cannot be read off it; a reviewer may decide that the range should count the
    # confidential claims too, and the public record then says that it does (and how many
    # claims that is, never which). Set through services.incident_set_figures_scope only.
    figures_include_confidential = models.BooleanField(
        "range includes confidential claims",
        default=False,
        help_text="Reviewers only: count the claims of confidential sources in the range. "
        "The public record then says that it includes confidential figures.",
    )

    grade = models.CharField(max_length=20, choices=Grade.choices, default=Grade.WEAK)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    retraction_reason = models.TextField(blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
        editable=False,
        help_text="The incident this one was merged into; its claims moved there.",
    )
    # The point's cell on the map's finest aggregation grid (see mapping.aggregation); kept
    # by save(), so that the map groups incidents by integers instead of by coordinates.
    map_cx = models.IntegerField(null=True, blank=True, editable=False)
    map_cy = models.IntegerField(null=True, blank=True, editable=False)
    map_tile = models.IntegerField(null=True, blank=True, editable=False)

    history = LeanHistoricalRecords(m2m_fields=[victim_groups])

    class Meta:
        ordering = ["-date_start", "public_id"]
        permissions = [
            ("submit_incident", "Can submit an incident for review"),
            ("publish_incident", "Can publish an incident"),
            ("retract_incident", "Can retract a published incident"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["public_id"], name="incident_public_id_unique"),
            models.CheckConstraint(
                condition=Q(date_start__lte=F("date_end")),
                name="incident_dates_ordered",
                violation_error_message="The end date cannot be before the start date.",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | (Q(latitude__gte=-90) & Q(latitude__lte=90)),
                name="incident_latitude_range",
                violation_error_message="Latitude must be between -90 and 90.",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True)
                | (Q(longitude__gte=-180) & Q(longitude__lte=180)),
                name="incident_longitude_range",
                violation_error_message="Longitude must be between -180 and 180.",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="incident_point_complete",
                violation_error_message="Give both latitude and longitude, or neither.",
            ),
            models.CheckConstraint(
                condition=Q(
                    killed_low__isnull=True,
                    killed_best__isnull=True,
                    killed_high__isnull=True,
                    killed_high_open=False,
                )
                | Q(
                    killed_low__isnull=False,
                    killed_best__isnull=False,
                    killed_high__isnull=False,
                    killed_high_open=False,
                    killed_low__gte=0,
                    killed_best__gte=F("killed_low"),
                    killed_high__gte=F("killed_best"),
                )
                | Q(
                    killed_low__isnull=False,
                    killed_best__isnull=False,
                    killed_high__isnull=True,
                    killed_high_open=True,
                    killed_low__gte=0,
                    killed_best__gte=F("killed_low"),
                ),
                name="incident_killed_range_ordered",
                violation_error_message=(
                    "Killed figures must all be given, not negative, with low ≤ best ≤ high; "
                    "an open upper bound has low and best and no high."
                ),
            ),
            *_non_negative("killed_low", "killed_best", "killed_high", prefix="incident"),
            *_non_negative(*BREAKDOWN_FIELDS, prefix="incident"),
            models.CheckConstraint(
                condition=~Q(figure_rule=FigureRule.MANUAL) | ~Q(figure_rationale=""),
                name="incident_manual_figures_have_rationale",
                violation_error_message="Figures set by hand need a written rationale.",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.RETRACTED) | ~Q(retraction_reason=""),
                name="incident_retraction_has_reason",
                violation_error_message="A retraction needs a reason.",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.PUBLISHED) | Q(latitude__isnull=False),
                name="incident_published_has_point",
                violation_error_message="A published incident needs a location.",
            ),
            models.CheckConstraint(
                condition=Q(status=Status.MERGED, merged_into__isnull=False)
                | (~Q(status=Status.MERGED) & Q(merged_into__isnull=True)),
                name="incident_merged_has_target",
                violation_error_message="A merged incident names the incident it was merged into.",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="incident_version_positive"),
            models.CheckConstraint(condition=~Q(title=""), name="incident_title_required"),
        ]
        indexes = [
            models.Index(fields=["date_start", "date_end"], name="incident_dates_idx"),
            models.Index(fields=["latitude", "longitude"], name="incident_point_idx"),
            models.Index(fields=["status", "date_start"], name="incident_status_date_idx"),
            models.Index(fields=["event_type", "date_start"], name="incident_type_date_idx"),
            models.Index(fields=["updated_at"], name="incident_updated_idx"),
            # Lets a page of a filtered list be chosen from the index alone (PostgreSQL:
            # an index-only scan), reading the rows of that page only.
            models.Index(
                fields=["status", "date_start", "id"],
                include=["date_end", "latitude", "longitude"],
                name="incident_status_date_cover",
            ),
            # A bounding box becomes a few tiles: its matches are found per tile, not by
            # reading every incident in the date range.
            models.Index(
                fields=["status", "map_tile", "date_start"],
                include=["date_end", "latitude", "longitude", "id"],
                name="incident_tile_date_idx",
            ),
            models.Index(
                fields=["status", "map_cx", "map_cy"],
                include=["killed_low", "killed_best", "killed_high", "latitude", "longitude"],
                name="incident_map_cell_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.title}"

    def save(self, *args, **kwargs) -> None:
        if self.latitude is None or self.longitude is None:
            self.map_cx = self.map_cy = self.map_tile = None
        else:
            self.map_cx, self.map_cy = fine_cell(self.latitude, self.longitude)
            self.map_tile = tile_key(self.map_cx, self.map_cy)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"latitude", "longitude"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "map_cx", "map_cy", "map_tile"}
        super().save(*args, **kwargs)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # The status as stored, so that a save can tell whether the public saw it before.
        instance._stored_status = instance.__dict__.get("status")
        return instance

    @property
    def is_public(self) -> bool:
        return self.status == Status.PUBLISHED

    @property
    def killed_display(self) -> str:
        """The range as the admin shows it: "7 or more (best 7)" when the high is open."""
        if self.killed_best is None:
            return "no figure"
        if self.killed_high_open:
            return f"{self.killed_low} or more (best {self.killed_best})"
        if self.killed_low == self.killed_high:
            return str(self.killed_best)
        return f"{self.killed_low}–{self.killed_high} (best {self.killed_best})"

    def _figure_errors(self) -> dict[str, str]:
        """Field errors of the reconciled range (the database's incident_killed_range_ordered)."""
        errors: dict[str, str] = {}
        low, best, high = self.killed_low, self.killed_best, self.killed_high
        if self.killed_high_open:
            if high is not None:
                errors["killed_high"] = (
                    "An open upper bound has no high figure: clear it, or untick "
                    "“upper bound open”."
                )
            for name, value in (("killed_low", low), ("killed_best", best)):
                if value is None:
                    errors[name] = "An open upper bound still needs low and best."
            if not errors and low > best:  # type: ignore[operator]
                errors["killed_best"] = "Best cannot be below low."
            return errors
        figures = {"killed_low": low, "killed_best": best, "killed_high": high}
        given = {name for name, value in figures.items() if value is not None}
        if given == {"killed_low", "killed_best"}:
            errors["killed_high"] = (
                "Give the high figure, or tick “upper bound open” when no source gives one."
            )
        elif given and len(given) < 3:
            for name in figures.keys() - given:
                errors[name] = "Give low, best and high together, or none of them."
        elif given:
            if low > best:  # type: ignore[operator]
                errors["killed_best"] = "Best cannot be below low."
            elif best > high:  # type: ignore[operator]
                errors["killed_high"] = "High cannot be below best."
        return errors

    def clean(self) -> None:
        errors = _date_errors(self.date_start, self.date_end)
        if self.latitude is None and self.longitude is not None:
            errors["latitude"] = "Give the latitude too, or clear the longitude."
        if self.longitude is None and self.latitude is not None:
            errors["longitude"] = "Give the longitude too, or clear the latitude."
        errors.update(self._figure_errors())
        if self.figure_rule == FigureRule.MANUAL and not self.figure_rationale.strip():
            errors["figure_rationale"] = "Explain why the figures are set by hand."
        if errors:
            raise ValidationError(errors)


class Attribution(CheckedRow):
    """An actor held responsible for an incident, and how sure we are of it."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="attributions")
    actor = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="attributions")
    confidence = models.CharField(
        max_length=20, choices=Confidence.choices, default=Confidence.ALLEGED
    )
    note = models.CharField(max_length=500, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["incident", "actor__name"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "actor"], name="attribution_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.actor} ({self.get_confidence_display().lower()})"


class FigureClaim(CheckedRow, Breakdown):
    """What a source says about a number of dead, with the sentence that says it.

    "at least 40" is ``killed_min=40`` with no maximum; "around 10" is ``killed_min=10,
    killed_max=10, approximate=True``; "between 20 and 30" is 20 and 30. A claim may carry
    no figure at all when the source only reports that the event happened.
    """

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="%(class)ss")
    attributed_to = models.CharField(
        max_length=200,
        blank=True,
        help_text="Who made the count, as the source says, e.g. SNHR; empty if the source itself.",
    )
    killed_min = models.PositiveIntegerField(null=True, blank=True)
    killed_max = models.PositiveIntegerField(null=True, blank=True)
    approximate = models.BooleanField(default=False, help_text='"around", "about", "nearly"')
    figure_kind = models.CharField(
        "figure kind",
        max_length=20,
        choices=FigureKind.choices,
        blank=True,
        default="",
        help_text="How the source states the figure (see incidents.figurekinds); empty for "
        "claims recorded before kinds, or imported from an outside data set.",
    )
    perpetrator_text = models.CharField("perpetrator as stated", max_length=300, blank=True)
    quote = models.TextField(help_text="The source's own words that support this claim, verbatim.")
    notes = models.TextField(blank=True)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=~Q(quote=""),
                name="%(class)s_quote_required",
                violation_error_message="A claim needs the verbatim quote that supports it.",
            ),
            models.CheckConstraint(
                condition=Q(killed_min__isnull=True) | Q(killed_min__gte=0),
                name="%(class)s_killed_min_non_negative",
                violation_error_message="The minimum cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(killed_max__isnull=True)
                | Q(killed_min__isnull=False, killed_max__gte=F("killed_min")),
                name="%(class)s_killed_max_above_min",
                violation_error_message="The maximum needs a minimum and cannot be below it.",
            ),
            models.CheckConstraint(
                condition=kind_condition(),
                name="%(class)s_figures_fit_kind",
                violation_error_message="The minimum and maximum do not fit the figure kind.",
            ),
            *_non_negative(*BREAKDOWN_FIELDS, prefix="%(class)s"),
        ]

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.killed_max is not None and self.killed_min is None:
            errors["killed_min"] = 'Give a minimum with the maximum ("up to 20" is 0 to 20).'
        elif (
            self.killed_max is not None
            and self.killed_min is not None
            and self.killed_min > self.killed_max
        ):
            errors["killed_max"] = "The maximum cannot be below the minimum."
        elif not fits(self.figure_kind, self.killed_min, self.killed_max, self.approximate):
            errors["figure_kind"] = (
                f"The minimum and maximum are not what “{self.get_figure_kind_display()}” "
                "gives: enter the figure through the figure kind's entry."
            )
        if not (self.quote or "").strip():
            errors["quote"] = "Quote the source's own words that support this claim."
        if errors:
            raise ValidationError(errors)

    @property
    def has_figure(self) -> bool:
        return self.killed_min is not None

    @property
    def figure_display(self) -> str:
        if self.killed_min is None:
            return "vague, no figure" if self.figure_kind == FigureKind.VAGUE else "no figure"
        if self.killed_max is None:
            if self.figure_kind == FigureKind.MORE_THAN:
                return f"more than {self.killed_min - 1}"
            return f"at least {self.killed_min}"
        if self.figure_kind == FigureKind.UP_TO:
            return f"up to {self.killed_max}"
        if self.killed_max == self.killed_min:
            return f"about {self.killed_min}" if self.approximate else str(self.killed_min)
        return f"{self.killed_min}–{self.killed_max}"


class Claim(FigureClaim):
    """What one source says about one incident."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="claims")
    perpetrator = models.ForeignKey(
        Actor,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claims",
        help_text="The actor the source names, if it matches one.",
    )
    place_as_reported = models.CharField(
        max_length=300, blank=True, help_text='e.g. "the town of Arza, in Homs province"'
    )
    date_as_reported = models.CharField(max_length=200, blank=True, help_text='e.g. "on Friday"')
    external_record = models.ForeignKey(
        "ExternalRecord",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="claims",
        editable=False,
        help_text="The outside data set's row this claim was imported from; re-importing "
        "the row updates this claim.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta(FigureClaim.Meta):
        ordering = ["incident", "id"]

    def __str__(self) -> str:
        return f"{self.source.publisher_display}: {self.figure_display}"


class MeasureKind(models.TextChoices):
    """Which column of the episode page's table by monitor a total belongs in."""

    ALL_DEATHS = "all_deaths", "All deaths"
    CIVILIANS = "civilians", "Civilians"
    SECURITY_FORCES = "security_forces", "Security forces"
    EXECUTIONS = "executions", "Executions"
    OTHER = "other", "Other measure"


class EpisodeClaim(FigureClaim):
    """A monitor's aggregate figure for a whole episode: shown beside, never added to,
    the sum of the episode's incidents."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="claims")
    measure = models.CharField(
        max_length=200,
        help_text="What is counted, e.g. 'Civilians summarily executed on 7 March'. "
        "Claims with the same measure are reconciled together.",
    )
    measure_ar = models.CharField(
        max_length=200,
        blank=True,
        help_text="The measure in Arabic, the heading of the Arabic episode page; the English "
        "is shown where it is empty.",
    )
    measure_kind = models.CharField(
        "kind of measure",
        max_length=20,
        choices=MeasureKind.choices,
        default=MeasureKind.OTHER,
        help_text="Its column on the public table by monitor. Totals of one kind are shown "
        "side by side, and compared only when their measure and dates are the same.",
    )
    covers_from = models.DateField(
        "dates covered from",
        null=True,
        blank=True,
        help_text="First day the count covers, where the source says; empty if it does not.",
    )
    covers_to = models.DateField(
        "dates covered to",
        null=True,
        blank=True,
        help_text="Last day the count covers, where the source says; empty if it does not.",
    )
    history = HistoricalRecords()

    class Meta(FigureClaim.Meta):
        ordering = ["episode", "measure", "id"]
        constraints = [
            *FigureClaim.Meta.constraints,
            models.CheckConstraint(
                condition=Q(covers_from__isnull=True)
                | Q(covers_to__isnull=True)
                | Q(covers_from__lte=F("covers_to")),
                name="episodeclaim_covers_ordered",
                violation_error_message="The dates covered end before they start.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.measure}: {self.figure_display} ({self.attributed_to or self.source})"

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        try:
            super().clean()
        except ValidationError as error:
            errors.update(error.message_dict)
        if (
            self.covers_from is not None
            and self.covers_to is not None
            and self.covers_to < self.covers_from
        ):
            errors.setdefault("covers_to", []).append(
                "The last day covered cannot be before the first."
            )
        if errors:
            raise ValidationError(errors)


class PublicIdSequence(models.Model):
    """The last number handed out for each public id prefix (e.g. ``SY-2025``).

    A row per prefix, locked while a number is taken, so two researchers saving at the same
    moment never receive the same id and numbering never depends on string ordering.
    """

    prefix = models.CharField(max_length=16, unique=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.prefix}: {self.last_number}"


class PublishedMapCell(models.Model):
    """The published incidents of one cell of the map's finest grid, summed.

    The public map's unfiltered views are drawn from these rows (a few thousand) instead of
    grouping every incident on each request. ``incidents.readmodel.mapcells`` keeps them in
    step with every save and delete of an incident; bulk writes that bypass ``save()`` must call
    ``mapcells.rebuild()`` (or ``manage.py rebuild_map_cells``).
    """

    cx = models.IntegerField()
    cy = models.IntegerField()
    count = models.PositiveIntegerField()
    killed_low = models.PositiveIntegerField()
    killed_best = models.PositiveIntegerField()
    # The sum of the highs, an open high counting as its best (a floor of the total's high)
    # ...
    killed_high = models.PositiveIntegerField()
    # ... and how many of the incidents have an open high: when any do, the sum is a floor.
    killed_high_open = models.PositiveIntegerField(default=0)
    latitude_sum = models.FloatField()
    longitude_sum = models.FloatField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cx", "cy"], name="map_cell_unique")]

    def __str__(self) -> str:
        return f"cell {self.cx},{self.cy}: {self.count} incidents"


class PublishedStatisticsSum(models.Model):
    """Published incidents summed at one grain of the statistics (``grain``), e.g. per
    day, or per month, governorate, event type and episode, or per month, perpetrator and
    confidence, or per month and place, or per place (``statsums.GRAINS`` names them).

    The statistics and the dashboard of the unfiltered public view and of the common
    filters (dates, governorate, event type, one perpetrator) are summed from these rows
    instead of every incident.
    ``incidents.readmodel.statsums`` keeps them in step with every save and delete of an
    incident or an attribution by recomputing the rows an incident was and is in; bulk
    writes that bypass ``save()`` call ``statsums.rebuild()`` (``mapcells.rebuild()`` does).
    A key column a grain does not group on is NULL (or empty, for the event type and the
    confidences), but for ``month`` at the daily grains, which holds the day's month.
    """

    grain = models.PositiveSmallIntegerField()
    day = models.DateField(null=True)
    month = models.DateField(null=True)
    governorate = models.ForeignKey(
        "mapping.Place", null=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    event_type = models.CharField(max_length=30, blank=True)
    episode = models.ForeignKey(
        Episode, null=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    place = models.ForeignKey(
        "mapping.Place", null=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    actor = models.ForeignKey(
        Actor, null=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    # The attribution's confidence (with the actor); empty at the grains without actor.
    confidence = models.CharField(max_length=20, blank=True)
    # Another actor held responsible for the same incident (or the actor itself), and that
    # attribution's confidence: the perpetrators of the incidents held against ``actor``.
    co_actor = models.ForeignKey(
        Actor, null=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    co_confidence = models.CharField(max_length=20, blank=True)
    incidents = models.PositiveIntegerField()
    killed_low = models.PositiveIntegerField()
    killed_best = models.PositiveIntegerField()
    # An open high counts as its best (a floor); killed_high_open says how many are open.
    killed_high = models.PositiveIntegerField()
    killed_high_open = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["grain", "day"], name="statsum_grain_day"),
            models.Index(fields=["grain", "month"], name="statsum_grain_month"),
            models.Index(fields=["grain", "governorate", "day"], name="statsum_grain_gov_day"),
            models.Index(fields=["grain", "event_type", "day"], name="statsum_grain_type_day"),
            models.Index(fields=["grain", "actor", "day"], name="statsum_grain_actor_day"),
            models.Index(fields=["grain", "actor", "month"], name="statsum_grain_actor_month"),
            models.Index(fields=["grain", "governorate", "month"], name="statsum_grain_gov_month"),
            models.Index(fields=["grain", "event_type", "month"], name="statsum_grain_type_month"),
        ]
        constraints = [
            # One row a key, NULL equal to NULL (PostgreSQL 15 and later; elsewhere the
            # constraint is not made, and ``statsums.apply`` reads the rows before writing
            # them). It lets a write add its difference to the rows in one upsert, and two
            # writes that make the same new row at once add to one row instead of two.
            models.UniqueConstraint(
                fields=[
                    "grain",
                    "day",
                    "month",
                    "governorate",
                    "event_type",
                    "episode",
                    "place",
                    "actor",
                    "confidence",
                    "co_actor",
                    "co_confidence",
                ],
                nulls_distinct=False,
                name="statsum_one_row_a_key",
            ),
        ]

    def __str__(self) -> str:
        return f"grain {self.grain}: {self.incidents} incidents"


class PublicationGeneration(models.Model):
    """How many times what the public sees has changed (one row).

    Every write that may change a public answer (publishing, retracting, merging, an
    import, a change to a record that published work shows) moves it on once its
    transaction commits (``incidents.readmodel.generation``). Cached public answers and
    HTTP validators are keyed on it, so none outlives the change. It is kept here as well as
    in the shared cache so that the count survives a flush of the cache.
    """

    value = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"publication generation {self.value}"


class IncidentSpan(models.Model):
    """The longest date range of any incident, in days (one row).

    Date filters ask for incidents whose range overlaps a window: ``date_end >= from`` and
    ``date_start <= to``. Knowing that no incident lasts longer than this bound adds
    ``date_start >= from - bound``, which lets the database read only the window's part of
    a date index. The bound only ever grows with saves (``incidents.readmodel.mapcells``); a rebuild
    recomputes it exactly.
    """

    longest_days = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"longest incident: {self.longest_days} days"


class ExternalDataset(models.TextChoices):
    ACLED = "acled", "ACLED"
    UCDP = "ucdp", "UCDP GED"


class ImportFormat(models.TextChoices):
    ACLED = "acled", "ACLED CSV export"
    UCDP = "ucdp", "UCDP GED CSV"
    GEOJSON = "geojson", "This product's GeoJSON export"
    CSV = "csv", "This product's CSV export"


class ImportRunStatus(models.TextChoices):
    CHECKING = "checking", "Being checked"
    PREVIEWED = "previewed", "Previewed, not applied"
    APPLYING = "applying", "Being applied"
    APPLIED = "applied", "Applied"
    FAILED = "failed", "Refused"


class ImportRun(models.Model):
    """One file brought in: kept from upload through preview to confirmation, with the
    report of what happened (created, updated, skipped, failed rows and why)."""

    format = models.CharField(max_length=20, choices=ImportFormat.choices)
    file_name = models.CharField(max_length=255)
    content = models.BinaryField(editable=False)
    status = models.CharField(
        max_length=20, choices=ImportRunStatus.choices, default=ImportRunStatus.PREVIEWED
    )
    report = models.JSONField(default=dict, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_format_display()}: {self.file_name} ({self.get_status_display()})"


class ExternalRecord(models.Model):
    """A row of an outside event data set (ACLED, UCDP GED) and the incident it became.

    The row is kept as imported, column by column, so every figure can be traced back to
    it. Importing the same row again finds it by (dataset, external id) and updates the
    incident instead of adding another one.
    """

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="external_records"
    )
    dataset = models.CharField(max_length=20, choices=ExternalDataset.choices)
    external_id = models.CharField(
        max_length=100, help_text="ACLED event_id_cnty or UCDP GED id, as published."
    )
    row = models.JSONField(default=dict, help_text="The original row, column by column.")
    import_run = models.ForeignKey(
        ImportRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="records"
    )
    imported_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["dataset", "external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "external_id"], name="external_record_unique"
            ),
            models.CheckConstraint(
                condition=~Q(external_id=""), name="external_record_id_required"
            ),
        ]
        indexes = [
            # An incident's ids in one data set, in order, straight from the index: without
            # it SQLite answers "the incident's first ACLED id" through the unique index
            # above, reading every record of the data set for each incident exported.
            models.Index(
                fields=["incident", "dataset", "external_id"], name="external_record_incident_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_dataset_display()} {self.external_id}"


class DuplicateStatus(models.TextChoices):
    OPEN = "open", "To review"
    MERGED = "merged", "Merged"
    DISMISSED = "dismissed", "Not the same event"


class ImportFollowUp(models.Model):
    """An incident an ACLED or UCDP import wrote whose follow-up has not run yet.

    Imports commit in chunks, then run ``incidents.imports.batch.after_import`` (kept
    documents dropped, map cells refreshed, possible duplicates flagged) for everything they
    wrote. A row is added in the same transaction as the incident's chunk and deleted once
    the follow-up has run, so an import stopped partway (killed, out of memory, a restart)
    leaves the list behind, and the next import finishes it: a re-import skips the rows
    that did not change, and would otherwise never flag them.
    """

    incident = models.OneToOneField(
        Incident, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    queued_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"follow-up of an import for incident {self.incident_id}"


class JobKind(models.TextChoices):
    IMPORT_CHECK = "import_check", _("Check an import file")
    IMPORT_APPLY = "import_apply", _("Apply an import file")
    KEEP_DOCUMENTS = "keep_documents", _("Keep the API documents")
    REBUILD_MAP_CELLS = "rebuild_map_cells", _("Rebuild the map cells")
    FIND_DUPLICATES = "find_duplicates", _("Find duplicates in the whole database")
    GEOCODE_INCIDENTS = "geocode_incidents", _("Geocode incidents without a point")


class JobState(models.TextChoices):
    QUEUED = "queued", _("Waiting for a worker")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class Job(models.Model):
    """Work too long for a web request, run by a worker process (``incidents.jobs``).

    The row is what the admin shows while the job runs: its state, how far it got
    (``done`` of ``total`` in the current ``phase``), and at the end its report. A worker
    writes ``heartbeat_at`` every few seconds while it runs the job, so a job whose worker
    was killed is recognised (:attr:`stopped`) and can be resumed. The queue entry itself
    lives in the Tasks backend (``task_id``); this row outlives it.
    """

    kind = models.CharField(max_length=30, choices=JobKind.choices)
    state = models.CharField(max_length=20, choices=JobState.choices, default=JobState.QUEUED)
    options = models.JSONField(default=dict, blank=True, editable=False)
    import_run = models.ForeignKey(
        ImportRun, null=True, blank=True, on_delete=models.CASCADE, related_name="jobs"
    )
    phase = models.CharField(max_length=100, blank=True, editable=False)
    done = models.PositiveIntegerField(default=0, editable=False)
    total = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # Where the current phase began, for the rate and the time left.
    phase_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    phase_started_done = models.PositiveIntegerField(default=0, editable=False)
    report = models.JSONField(default=dict, blank=True, editable=False)
    error = models.TextField(blank=True, editable=False)
    cancel_requested = models.BooleanField(default=False, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    task_id = models.CharField(max_length=64, blank=True, editable=False)
    worker = models.CharField(max_length=200, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "kind"], name="job_state_kind")]
        constraints = [
            models.CheckConstraint(
                condition=Q(total__isnull=True) | Q(done__lte=F("total")),
                name="job_done_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    def clean(self) -> None:
        super().clean()
        if self.total is not None and self.done > self.total:
            raise ValidationError({"done": "Rows done cannot exceed the total."})

    @property
    def stopped(self) -> bool:
        """Running, but its worker has not been heard of for longer than allowed: killed."""
        if self.state != JobState.RUNNING:
            return False
        last = self.heartbeat_at or self.started_at
        limit = settings.JOBS["STALE_SECONDS"]
        return last is None or (timezone.now() - last).total_seconds() > limit

    @property
    def finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


class DuplicateCandidate(models.Model):
    """Two incidents that are likely the same event, for a researcher to merge or dismiss.

    The pair is stored once, lower id first. ``reasons`` lists what made them look alike
    (distance, overlapping dates, figures), so the researcher sees why they were flagged.
    """

    first = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="How alike the two are, from 0 to 1.",
    )
    reasons = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=20, choices=DuplicateStatus.choices, default=DuplicateStatus.OPEN
    )
    found_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-score", "first_id"]
        permissions = [
            ("review_duplicatecandidate", "Can merge duplicate incidents or mark them distinct"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="duplicate_pair_unique"),
            models.CheckConstraint(
                condition=Q(first__lt=F("second")), name="duplicate_pair_ordered"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=1), name="duplicate_score_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_id} ~ {self.second_id} ({self.score:.2f})"


class IncidentDocument(models.Model):
    """An incident's API document, rendered to JSON, so list pages need not rebuild it.

    A cache, never a record: ``incidents.readmodel.documentcache`` writes a row when a page first
    needs the document and uses it only while the incident's ``version`` and ``updated_at``
    are still the ones it was rendered from. Changes that leave both alone (a claim, a
    perpetrator, a source's or actor's name) delete the rows they affect as they happen.
    """

    incident = models.OneToOneField(
        Incident, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    version = models.PositiveIntegerField()
    updated_at = models.DateTimeField()
    # The layout of the document (``incidents.readmodel.representation.DOCUMENT_SHAPE``) it was
    # rendered with: a release that changes what a document holds bumps it, and documents
    # kept by an earlier release are then outdated.
    shape = models.PositiveSmallIntegerField(default=0)
    body = models.TextField()

    def __str__(self) -> str:
        return f"document of incident {self.incident_id} at version {self.version}"


class DatabaseIdentity(models.Model):
    """This database's own identity: a UUID made once (``incidents.identity``) and written
    into every export, so that an importer can tell an incident it exported itself from an
    incident of another database that happens to have the same public id."""

    uuid = models.UUIDField(unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "database identity"

    def __str__(self) -> str:
        return str(self.uuid)


class IncidentOrigin(models.Model):
    """Where an incident imported from another database's export came from: that
    database's identity and the public id it has there (public ids are per database).
    Importing that database's export again finds the incident by this pair."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="origin")
    # The UUID as text (hyphenated), as exports write it: the same on every database.
    database = models.CharField(max_length=36)
    public_id = models.CharField(max_length=20)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["database", "public_id"], name="incident_origin_unique")
        ]

    def __str__(self) -> str:
        return f"{self.public_id} of {self.database}"


class EvidenceBlob(models.Model):
    """The bytes of an evidence file, kept once in the evidence storage however many
    sources link to them (:class:`EvidenceFile`), and found again by their SHA-256.

    The storage name is random, so the file cannot be found by guessing; the type is the
    one read from the content (``incidents.evidence.sniff``), never the uploader's word.
    ``public_copy_name`` names the copy the public is served of an image (its location
    metadata removed), made when a reviewer first marks a link to it public.
    """

    sha256 = models.CharField("SHA-256", max_length=64, unique=True, editable=False)
    size = models.PositiveBigIntegerField(editable=False)
    content_type = models.CharField(max_length=100, editable=False)
    storage_name = models.CharField(max_length=255, unique=True, editable=False)
    public_copy_name = models.CharField(max_length=255, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(storage_name="") & ~Q(content_type=""),
                name="evidence_blob_stored_and_typed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sha256} ({self.content_type}, {self.size} bytes)"


class EvidenceFile(models.Model):
    """A file a researcher keeps for a source (the article saved as PDF or HTML, a
    screenshot, a photo, a video): a link to its bytes with who uploaded it and when.

    Nobody outside the admin sees it until a reviewer marks it public, and a confidential
    source's files are never public whatever the mark says (``incidents.selectors``).
    ``token`` is the file's public address: random, so that it cannot be guessed.
    """

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="evidence_files")
    blob = models.ForeignKey(EvidenceBlob, on_delete=models.PROTECT, related_name="links")
    original_name = models.CharField(max_length=255, help_text="The file's name on upload.")
    description = models.CharField(
        max_length=500, blank=True, help_text="What it is, e.g. 'the article as saved on 8 March'."
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)
    public = models.BooleanField(
        default=False,
        help_text="Reviewers only. Never shown for a confidential source. Images are served "
        "without their location metadata; other files exactly as uploaded.",
    )
    token = models.UUIDField(unique=True, editable=False, default=uuid.uuid4)
    history = HistoricalRecords()

    class Meta:
        ordering = ["source", "uploaded_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "blob"], name="evidence_file_once_a_source"),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.blob.sha256[:12]}…)"
