"""Bringing this product's own exports back in: what the GeoJSON and CSV importers share.

Both formats carry the same thing (see ``incidents.api.exports``): one record per incident
with its claims, attributions, victim groups, outside data set ids and workflow state, and
a catalogue of the sources, actors, episodes (with their aggregate claims) and victim
groups the incidents name. ``geojson`` and ``own_csv`` read their format into plain
records; this module writes them through the services:

- **Catalogue first**, matched by slug: a missing record is created, one that differs is
  updated (history names the importing user and the file's format), one that is the same
  is left alone. Each record is written on its own; one that fails is reported.
- **Then the incidents, in batches of** :data:`BATCH`, each batch committed on its own, so an
  interrupted import keeps its batches and the next run skips them as unchanged. An incident
  is matched by its identity (database of origin and public id there, or a shared outside
  data set record). The new ones of a batch are checked in Python with the models' rules and
  written in bulk with their history (``exchange_bulk``); an existing one is brought to the
  file's values through the services, in its own savepoint (descriptive fields, claims
  matched by source and quote, attributions, victim groups, how its figures are produced).
  Nothing of a failed incident is written. Re-importing the same file changes nothing and
  counts every incident as skipped.
- **Status** goes through the workflow services (submit, publish, retract, return to draft),
  so the history names the importing user and the step; a published incident keeps the
  publication time it was exported with. An incident exported as merged is written last,
  once the incident it was merged into exists, with the history reason "Imported: merged
  into ...". A step the workflow does not allow (a published incident back to draft) fails
  with the reason.

What an export does not carry is not restored: confidential sources and their claims (they
never leave the admin), researchers' notes in an anonymous export, who created an incident
and when, version numbers and the edit history. Claims and attributions already recorded
but absent from the file are removed (claims of confidential sources excepted) and kept
(attributions), respectively.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils.dateparse import parse_datetime
from django.utils.timezone import now

from incidents import services
from incidents.figurekinds import FigureKind
from incidents.identity import database_id
from incidents.models import (
    BREAKDOWN_FIELDS,
    Actor,
    Attribution,
    Episode,
    EpisodeClaim,
    ExternalDataset,
    ExternalRecord,
    FigureRule,
    ImportRun,
    Incident,
    IncidentOrigin,
    MeasureKind,
    Source,
    Status,
    VictimGroup,
)
from incidents.readmodel import documentcache, generation
from mapping.models import Place

from . import exchange_bulk, rows
from .fields import LARGEST, normalise_name
from .report import ImportReport, RowError

Progress = Callable[[int, int], None]

TEXT_FIELDS = (
    "title",
    "title_ar",
    "summary",
    "summary_ar",
    "event_type",
    "date_precision",
    "location_precision",
    "place_name",
    "location_note",
    "grade",
)
PLACE_FIELDS = ("place", "governorate", "district")
FIGURES = ("killed_low", "killed_best", "killed_high", *BREAKDOWN_FIELDS)  # counts
CLAIM_TEXT = (
    "attributed_to",
    "perpetrator_text",
    "place_as_reported",
    "date_as_reported",
    "quote",
)
CATALOGUE_KINDS = ("victim_groups", "sources", "actors", "episodes")
# Incidents written per transaction (see Importer.import_incidents).
BATCH = 200
# In a claim's values: the outside data set record it was imported from, as (dataset, id).
LINK = "_external_record"


@dataclass
class IncidentRecord:
    """One incident as read from a file, before any reference is looked up."""

    line: int
    values: dict[str, Any]

    @property
    def public_id(self) -> str:
        return str(self.values.get("id") or "")


@dataclass
class ReadIncident:
    """An incident of a file, read and checked, its references found: what is written."""

    record: IncidentRecord
    fields: dict[str, Any]
    groups: list[VictimGroup]
    rule: str
    rationale: str
    figures: dict[str, Any]
    claims: list[dict[str, Any]]
    links: list[tuple[str, str] | None]
    attributions: list[dict[str, Any]]
    external: list[tuple[str, str, dict | None]]
    status: str
    origin_database: str
    origin_id: str


@dataclass
class Catalogue:
    """Catalogue entries by kind, each with the line (or feature number) it came from."""

    entries: dict[str, list[tuple[int, dict[str, Any]]]] = field(
        default_factory=lambda: {kind: [] for kind in CATALOGUE_KINDS}
    )

    def add(self, kind: str, line: int, record: Any) -> None:
        if kind not in self.entries:
            raise RowError(
                f"unknown kind of record '{kind}' (expected {', '.join(CATALOGUE_KINDS)})",
                field="catalogue",
            )
        if not isinstance(record, list):
            raise RowError(f"'{kind}' must be a list of records", field="catalogue")
        for item in record:
            if not isinstance(item, dict) or not isinstance(item.get("slug"), str):
                raise RowError(f"every entry of '{kind}' needs a slug", field="catalogue")
            self.entries[kind].append((line, item))


# --- reading values -------------------------------------------------------------------------


def text(value: Any, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RowError(f"expected text, got {type(value).__name__}", field=name)
    return value


def optional_text(value: Any, name: str) -> str | None:
    return text(value, name) or None


def integer(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise RowError("expected a whole number", field=name)
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value.strip()):
        value = int(value)
    if not isinstance(value, int):
        raise RowError(f"'{str(value)[:40]}' is not a whole number", field=name)
    if abs(value) > LARGEST:
        raise RowError(f"{value} is larger than {LARGEST:,}, the largest figure kept", field=name)
    return value


def number(value: Any, name: str) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise RowError("expected a number", field=name)
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise RowError(f"'{str(value)[:40]}' is not a number", field=name) from None
    if result != result or result in (float("inf"), float("-inf")):
        raise RowError("expected a finite number", field=name)
    return result


def day(value: Any, name: str) -> dt.date | None:
    if value is None or value == "":
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise RowError(f"'{str(value)[:40]}' is not a date (YYYY-MM-DD)", field=name) from None


def moment(value: Any, name: str) -> dt.datetime | None:
    if value is None or value == "":
        return None
    try:
        parsed = parse_datetime(str(value).replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None:
        raise RowError(f"'{str(value)[:40]}' is not an ISO 8601 time", field=name)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def boolean(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in (None, "", 0, "0", "false", "False"):
        return False
    if value in (1, "1", "true", "True"):
        return True
    raise RowError(f"'{str(value)[:40]}' is not true or false", field=name)


def _pair(value: str, name: str) -> tuple[str, str]:
    """``acled:SYR12345`` as (data set, id), refusing an unknown data set or no id."""
    dataset, _, external_id = value.strip().partition(":")
    if dataset not in ExternalDataset.values or not external_id:
        raise RowError(
            f"'{value[:60]}' is not dataset:id with dataset {' or '.join(ExternalDataset.values)}",
            field=name,
        )
    return dataset, external_id


def slug_list(value: Any, name: str) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(";") if part.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise RowError("expected a list of slugs", field=name)


# What a record can end with: each record is written in its own savepoint, so any of these
# fails that record alone. DatabaseError and ValueError cover what the database itself
# refuses (a NUL character in text on PostgreSQL, a value out of its range).
ROW_ERRORS = (
    RowError,
    ValidationError,
    PermissionDenied,
    services.ConcurrentEditError,
    DatabaseError,
    ValueError,
)


def _first(item: tuple[int, dict]) -> int:
    return item[0]


def reason_of(error: Exception) -> str:
    """A readable reason, naming the fields, for any error a row can end with."""
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return "; ".join(
                f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items()
            )
        return " ".join(error.messages)
    if isinstance(error, DatabaseError | ValueError):
        return f"could not be saved ({str(error).strip()[:200]})"
    return str(error)


# --- the catalogue ----------------------------------------------------------------------------


def _changed(record: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if getattr(record, name) != value}


class _Unchanged:
    """A record of this database the file's record maps to without changing it."""

    def __init__(self, record: Any) -> None:
        self.record = record


def _same(model: Any, local: Any, values: Mapping[str, Any]) -> bool:
    """Whether a record here and one in a file are the same thing, by what identifies it."""
    if model is Source:
        if values.get("url") and local.url == values["url"]:
            return True
        return normalise_name(local.publisher) == normalise_name(
            values.get("publisher") or ""
        ) and normalise_name(local.headline) == normalise_name(values.get("headline") or "")
    if model is Episode:
        return normalise_name(local.title) == normalise_name(values.get("title") or "")
    names = {normalise_name(local.name)}
    if model is Actor:
        names |= {normalise_name(a) for a in local.aliases or [] if isinstance(a, str)}
    return normalise_name(values.get("name") or "") in names


def _candidates(model: Any, values: Mapping[str, Any]) -> Iterable[Any]:
    if model is Source:
        return Source.objects.filter(
            Q(headline=values.get("headline") or "") | Q(url=values.get("url") or "-")
        )
    if model is Episode:
        return Episode.objects.filter(title=values.get("title") or "")
    if model is Actor:
        return Actor.objects.order_by("id")  # aliases are a list: compared in Python
    return VictimGroup.objects.filter(name=values.get("name") or "")


class Importer:
    """One run over one file's records (see the module's docstring)."""

    def __init__(
        self,
        *,
        format_name: str,
        report: ImportReport,
        user: Any,
        run: ImportRun | None,
        progress: Progress | None,
    ) -> None:
        self.format_name = format_name
        self.report = report
        self.user = user
        self.run = run
        self.progress = progress
        self.reason = f"Imported from {format_name} export"
        self.here = database_id()
        # The file's slugs and public ids -> this database's, where they differ (a record of
        # another database whose slug or public id is taken here by a different record).
        self.slugs: dict[type, dict[str, str]] = {
            model: {} for model in (Actor, Source, Episode, VictimGroup)
        }
        self.public_ids: dict[str, str] = {}
        self.found: dict[tuple[type, str], Any] = {}

    # Catalogue ----------------------------------------------------------------------------

    def import_catalogue(self, catalogue: Catalogue) -> None:
        for kind in CATALOGUE_KINDS:
            pending = list(catalogue.entries[kind])
            if kind == "actors":
                pending = self._parents_first(pending)
            if kind == "sources":
                pending = self._new_sources(pending)
            for line, record in pending:
                self._line = line
                try:
                    with transaction.atomic():
                        getattr(self, f"_upsert_{kind}")(record)
                except ROW_ERRORS as error:
                    self.report.fail(line, f"{kind} '{record.get('slug')}': {reason_of(error)}", "")

    def _source_values(self, record: dict) -> dict[str, Any]:
        values: dict[str, Any] = {
            name: text(record.get(name), name)
            for name in ("publisher", "headline", "author", "url", "archive_url", "content_hash")
        }
        values["publication_date"] = day(record.get("publication_date"), "publication_date")
        values["language"] = text(record.get("language"), "language") or "en"
        values["kind"] = text(record.get("kind"), "kind")
        if "notes" in record:  # only in a researcher's export
            values["notes"] = text(record.get("notes"), "notes")
        return values

    def _new_sources(self, pending: list[tuple[int, dict]]) -> list[tuple[int, dict]]:
        """Create the file's sources whose slug is free here in bulk, checked as
        ``source_create`` checks them (a file's sources are often one per incident); returns
        the others, for :meth:`_upsert_sources`. A bad one fails alone."""
        slugs = sorted({record["slug"] for _, record in pending})
        taken: set[str] = set()
        for start in range(0, len(slugs), 500):
            taken.update(
                Source.objects.filter(slug__in=slugs[start : start + 500]).values_list(
                    "slug", flat=True
                )
            )
        rest, new = [], []
        for line, record in pending:
            slug = record["slug"]
            if slug in taken:
                rest.append((line, record))
                continue
            taken.add(slug)  # a second record of the slug updates the first
            try:
                if self.user is not None:
                    services._require_perm(self.user, "add_source", "add sources")
                source = Source(slug=slug, **self._source_values(record))
                source.full_clean(validate_unique=False, validate_constraints=False)
            except ROW_ERRORS as error:
                self.report.fail(line, f"sources '{slug}': {reason_of(error)}", "")
                continue
            new.append((line, record, source))
        if not new:
            return rest
        table = rows.table(Source)
        try:
            with transaction.atomic():
                ids = rows.insert_with_history(
                    Source,
                    [{f.attname: getattr(s, f.attname) for f in table.fields} for *_, s in new],
                    now=now(),
                    user_id=self.user.pk if self.user is not None else None,
                    reasons=[None] * len(new),
                )
        except (DatabaseError, ValueError):
            return sorted([*rest, *((line, record) for line, record, _ in new)], key=_first)
        for (_, _, source), pk in zip(new, ids, strict=True):
            source.pk = pk
            self.found[(Source, source.slug)] = source
        return rest

    @staticmethod
    def _parents_first(entries: list[tuple[int, dict]]) -> list[tuple[int, dict]]:
        by_slug = {record["slug"]: (line, record) for line, record in entries}
        ordered: list[tuple[int, dict]] = []
        placed: set[str] = set()

        def place(slug: str, trail: tuple[str, ...] = ()) -> None:
            if slug in placed or slug not in by_slug or slug in trail:
                return
            parent = by_slug[slug][1].get("parent")
            if isinstance(parent, str):
                place(parent, (*trail, slug))
            placed.add(slug)
            ordered.append(by_slug[slug])

        for slug in by_slug:
            place(slug)
        return ordered

    def _local(self, model: Any, record: dict, values: Mapping[str, Any]) -> tuple[Any, str]:
        """The record of this database the file's record stands for, and its slug here.

        The same slug is the same record only when identity agrees (names, or a source's
        publisher and headline): a slug of another database can name something else here
        ("actor-2" for two different Arabic-only names). Otherwise the record with that
        identity is used, unchanged, or a new one is made under a free slug (``None``)."""
        slug = record["slug"]
        found = model.objects.filter(slug=slug).first()
        if found is None or _same(model, found, values):
            return found, slug
        other = next((m for m in _candidates(model, values) if _same(model, m, values)), None)
        if other is not None:
            self.slugs[model][slug] = other.slug
            return _Unchanged(other), other.slug
        taken = set(model.objects.filter(slug__startswith=slug).values_list("slug", flat=True))
        n = 2
        while f"{slug}-{n}" in taken:
            n += 1
        self.slugs[model][slug] = f"{slug}-{n}"
        return None, f"{slug}-{n}"

    def _slug(self, model: Any, slug: str) -> str:
        return self.slugs[model].get(slug, slug)

    def _upsert_victim_groups(self, record: dict) -> None:
        values = {
            "name": text(record.get("name"), "name"),
            "name_ar": text(record.get("name_ar"), "name_ar"),
        }
        group, slug = self._local(VictimGroup, record, values)
        if isinstance(group, _Unchanged):
            return
        perm = "incidents.add_victimgroup" if group is None else "incidents.change_victimgroup"
        if group is None:
            group = VictimGroup(slug=slug, **values)
        elif not _changed(group, values):
            return
        if self.user is not None and not self.user.has_perm(perm):
            raise PermissionDenied("You may not add or change victim groups.")
        for name, value in values.items():
            setattr(group, name, value)
        group.full_clean()
        group.save()

    def _upsert_sources(self, record: dict) -> None:
        values = self._source_values(record)
        source, slug = self._local(Source, record, values)
        if isinstance(source, _Unchanged):
            return
        if source is None:
            services.source_create(user=self.user, slug=slug, **values)
        elif changes := _changed(source, values):
            services.source_update(source=source, user=self.user, reason=self.reason, **changes)

    def _upsert_actors(self, record: dict) -> None:
        aliases = record.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise RowError("expected a list of names", field="aliases")
        values: dict[str, Any] = {
            name: text(record.get(name), name)
            for name in ("name", "name_ar", "affiliation_note", "description")
        }
        values["aliases"] = aliases
        values["kind"] = text(record.get("kind"), "kind") or "unknown"
        parent_slug = optional_text(record.get("parent"), "parent")
        values["parent"] = None
        if parent_slug:
            values["parent"] = Actor.objects.filter(slug=self._slug(Actor, parent_slug)).first()
            if values["parent"] is None:
                raise RowError(f"no actor '{parent_slug}'", field="parent")
        actor, slug = self._local(Actor, record, values)
        if isinstance(actor, _Unchanged):
            return
        if actor is None:
            services.actor_create(user=self.user, slug=slug, **values)
        elif changes := _changed(actor, values):
            services.actor_update(actor=actor, user=self.user, reason=self.reason, **changes)

    def _upsert_episodes(self, record: dict) -> None:
        values: dict[str, Any] = {
            name: text(record.get(name), name)
            for name in ("title", "title_ar", "summary", "summary_ar")
        }
        values["date_start"] = day(record.get("date_start"), "date_start")
        values["date_end"] = day(record.get("date_end"), "date_end")
        episode, slug = self._local(Episode, record, values)
        if isinstance(episode, _Unchanged):
            return
        if episode is None:
            episode = services.episode_create(user=self.user, slug=slug, **values)
        elif changes := _changed(episode, values):
            services.episode_update(episode=episode, user=self.user, reason=self.reason, **changes)
        claims = record.get("claims") or []
        if not isinstance(claims, list):
            raise RowError("expected a list of aggregate claims", field="claims")
        existing = list(EpisodeClaim.objects.filter(episode=episode).select_related("source"))
        pending = []
        for n, raw in enumerate(claims, 1):
            try:
                values = self._claim_values(raw, episode_claim=True)
            except RowError as error:
                raise RowError(f"claim {n}: {error}", field="claims") from None
            same = next((c for c in existing if not _changed(c, values)), None)
            if same is None:
                pending.append(values)
            else:
                existing.remove(same)
        for values in pending:
            match = next(
                (
                    c
                    for c in existing
                    if c.source_id == values["source"].pk
                    and c.measure == values["measure"]
                    and c.quote == values["quote"]
                ),
                None,
            )
            if match is not None:
                existing.remove(match)
            # A researcher's import adds no figure the public would see (that takes a
            # reviewer): the claim fails alone, the episode itself is imported.
            try:
                with transaction.atomic():
                    if match is None:
                        services.episode_claim_add(episode=episode, user=self.user, **values)
                    elif changes := _changed(match, values):
                        services.episode_claim_update(
                            claim=match, user=self.user, reason=self.reason, **changes
                        )
            except PermissionDenied as error:
                self.report.fail(
                    getattr(self, "_line", 0),
                    f"episodes '{episode.slug}', claim '{values['measure']}': {reason_of(error)}",
                    "",
                )

    def _claim_values(self, raw: Any, *, episode_claim: bool = False) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise RowError("expected an object")
        source_slug = text(raw.get("source"), "source")
        source = self._lookup(Source, self._slug(Source, source_slug))
        if source is None:
            raise RowError(f"no source '{source_slug}'", field="source")
        values: dict[str, Any] = {"source": source}
        for name in CLAIM_TEXT:
            if episode_claim and name in ("place_as_reported", "date_as_reported"):
                continue
            values[name] = text(raw.get(name), name)
        values["killed_min"] = integer(raw.get("killed_min"), "killed_min")
        values["killed_max"] = integer(raw.get("killed_max"), "killed_max")
        values["approximate"] = boolean(raw.get("approximate"), "approximate")
        # Exports made before claims recorded how the figure was stated have no kind.
        values["figure_kind"] = text(raw.get("figure_kind"), "figure_kind")
        if values["figure_kind"] and values["figure_kind"] not in FigureKind.values:
            raise RowError(
                f"unknown figure kind '{values['figure_kind'][:40]}'", field="figure_kind"
            )
        breakdown = raw.get("breakdown") or {}
        if not isinstance(breakdown, dict):
            raise RowError("expected an object", field="breakdown")
        for name in BREAKDOWN_FIELDS:
            values[name] = integer(breakdown.get(name), name)
        if "notes" in raw:  # only in a researcher's export
            values["notes"] = text(raw.get("notes"), "notes")
        if episode_claim:
            values["measure"] = text(raw.get("measure"), "measure")
            # (absent from exports made before measures had an Arabic heading)
            values["measure_ar"] = text(raw.get("measure_ar"), "measure_ar")
            # Exports made before totals had a kind and dates covered have neither.
            values["measure_kind"] = text(raw.get("measure_kind"), "measure_kind") or "other"
            if values["measure_kind"] not in MeasureKind.values:
                raise RowError(
                    f"unknown kind of measure '{values['measure_kind'][:40]}'",
                    field="measure_kind",
                )
            values["covers_from"] = day(raw.get("covers_from"), "covers_from")
            values["covers_to"] = day(raw.get("covers_to"), "covers_to")
        else:
            perpetrator = optional_text(raw.get("perpetrator"), "perpetrator")
            values["perpetrator"] = None
            if perpetrator:
                values["perpetrator"] = self._lookup(Actor, self._slug(Actor, perpetrator))
                if values["perpetrator"] is None:
                    raise RowError(f"no actor '{perpetrator}'", field="perpetrator")
            link = optional_text(raw.get("external_record"), "external_record")
            if link:
                values[LINK] = _pair(link, "external_record")
        return values

    # Incidents ----------------------------------------------------------------------------

    def import_incidents(self, records: Sequence[IncidentRecord]) -> None:
        # Incidents exported as merged come last, once what they were merged into exists.
        ordered = sorted(records, key=lambda r: r.values.get("status") == Status.MERGED)
        total = len(ordered)
        for start in range(0, total, BATCH):
            # Each batch commits on its own (each incident in a savepoint inside it): other
            # writers wait for one batch at most, and an interrupted import keeps the
            # batches written; running it again skips them as unchanged and goes on.
            with transaction.atomic():
                self._import_batch(ordered[start : start + BATCH], start, total)

    def _import_batch(self, batch: Sequence[IncidentRecord], offset: int, total: int) -> None:
        # New incidents are written in bulk (see exchange_bulk); the others, and a batch the
        # database refuses in bulk, one at a time, each in a savepoint.
        outcomes: dict[int, tuple[str, str]] = {}
        reads: dict[int, ReadIncident] = {}
        plans, serial = self._plan_batch(batch, outcomes, reads)
        if plans:
            try:
                with transaction.atomic():
                    exchange_bulk.write(
                        plans, user=self.user, reason=self.reason, here=self.here, now=now()
                    )
            except (DatabaseError, ValueError):
                serial = sorted([*serial, *(item.index for item in plans)])
            else:
                for item in plans:
                    self._note_id(item.read.record.public_id, item.incident.public_id)
                    outcomes[item.index] = ("created", "")
        for index in serial:
            try:
                with transaction.atomic():
                    read = reads[index]
                    outcomes[index] = (self.write_incident(read, self.match(read)), "")
            except ROW_ERRORS as e:
                outcomes[index] = ("failed", reason_of(e))
        for index, record in enumerate(batch):
            action, reason = outcomes[index]
            if action == "failed":
                self.report.fail(record.line, reason, record.public_id)
                self.report.note_preview(record.line, "failed", f"{record.public_id}: {reason}")
            else:
                setattr(self.report, action, getattr(self.report, action) + 1)
                title = record.values.get("title") or ""
                self.report.note_preview(record.line, action, f"{record.public_id}: {title}")
            if self.progress is not None:
                self.progress(offset + index + 1, total)

    def _prefetch(self, batch: Sequence[IncidentRecord]) -> None:
        """Read the catalogue records the batch names, a query per kind, into the cache
        :meth:`_lookup` reads (a file's thousands of sources are otherwise a query each)."""
        wanted: dict[Any, set[str]] = {model: set() for model in (Place, Source, Actor)}
        wanted[Episode], wanted[VictimGroup] = set(), set()

        def add(model: Any, slug: Any) -> None:
            if isinstance(slug, str) and slug:
                wanted[model].add(self._slug(model, slug) if model in self.slugs else slug)

        for record in batch:
            v = record.values
            for name in PLACE_FIELDS:
                add(Place, v.get(name))
            add(Episode, v.get("episode"))
            groups = v.get("victim_groups")
            for slug in groups.split(";") if isinstance(groups, str) else groups or []:
                add(VictimGroup, slug.strip() if isinstance(slug, str) else slug)
            for claim in v.get("claims") or [] if isinstance(v.get("claims"), list) else []:
                if isinstance(claim, dict):
                    add(Source, claim.get("source"))
                    add(Actor, claim.get("perpetrator"))
            attributions = v.get("attributions")
            for item in attributions if isinstance(attributions, list) else []:
                if isinstance(item, dict):
                    add(Actor, item.get("actor"))
        for model, slugs in wanted.items():
            missing = sorted(slug for slug in slugs if (model, slug) not in self.found)
            for start in range(0, len(missing), 500):
                for found in model.objects.filter(slug__in=missing[start : start + 500]):
                    self.found[(model, found.slug)] = found

    def _known(self, reads: Sequence[ReadIncident]) -> set[int]:
        """The positions of the incidents that are already here (see :meth:`_match`), read
        a query per kind of identity for the whole batch."""
        here_ids = {r.origin_id for r in reads if r.origin_database == self.here}
        others = {(r.origin_database, r.origin_id) for r in reads}
        pairs = {(d, e) for r in reads for d, e, _ in r.external}
        ours: set[str] = set()
        theirs: set[tuple[str, str]] = set()
        shared: set[tuple[str, str]] = set()
        names = sorted(here_ids)
        for start in range(0, len(names), 500):
            ours.update(
                Incident.objects.filter(public_id__in=names[start : start + 500]).values_list(
                    "public_id", flat=True
                )
            )
        names = sorted({public_id for _, public_id in others})
        for start in range(0, len(names), 500):
            theirs.update(
                (database, public_id)
                for database, public_id in IncidentOrigin.objects.filter(
                    public_id__in=names[start : start + 500]
                ).values_list("database", "public_id")
                if (database, public_id) in others
            )
        names = sorted({external_id for _, external_id in pairs})
        for start in range(0, len(names), 500):
            shared.update(
                pair
                for pair in ExternalRecord.objects.filter(
                    external_id__in=names[start : start + 500]
                ).values_list("dataset", "external_id")
                if pair in pairs
            )
        known = set()
        for index, read in enumerate(reads):
            origin = (read.origin_database, read.origin_id)
            if (
                (read.origin_database == self.here and read.origin_id in ours)
                or (read.origin_database and read.origin_database != self.here and origin in theirs)
                or any((d, e) in shared for d, e, _ in read.external)
            ):
                known.add(index)
        return known

    def _plan_batch(
        self,
        batch: Sequence[IncidentRecord],
        outcomes: dict[int, tuple[str, str]],
        reads: dict[int, ReadIncident],
    ) -> tuple[list[exchange_bulk.Plan], list[int]]:
        """The batch's new incidents, checked for a bulk write, and the indexes of the
        others (to write one at a time); the records read go into ``reads``, failures
        into ``outcomes``."""
        serial: list[int] = []
        candidates: list[tuple[int, ReadIncident]] = []
        origins: set[tuple[str, str]] = set()
        records: set[tuple[str, str]] = set()
        self._prefetch(batch)
        for index, record in enumerate(batch):
            try:
                reads[index] = self.read_incident(record)
            except ROW_ERRORS as e:
                outcomes[index] = ("failed", reason_of(e))
        positions = list(reads)
        known = {positions[at] for at in self._known([reads[i] for i in positions])}
        for index in positions:
            read = reads[index]
            origin = (read.origin_database, read.origin_id)
            pairs = {(dataset, external_id) for dataset, external_id, _ in read.external}
            actors = [attribution["actor"].pk for attribution in read.attributions]
            # Given twice in the file, or sharing a record: after the first is written, the
            # services decide (an update, or a failure naming the record's incident).
            alone = origin not in origins and not pairs & records
            origins.add(origin)
            records |= pairs
            if (
                not alone
                or read.status == Status.MERGED
                or len(set(actors)) != len(actors)
                or index in known
            ):
                serial.append(index)
            else:
                candidates.append((index, read))
        wanted = {index: self.wanted_public_id(read) for index, read in candidates}
        taken: set[str] = set()
        names = sorted(set(wanted.values()))
        for start in range(0, len(names), 500):
            taken.update(
                Incident.objects.filter(public_id__in=names[start : start + 500]).values_list(
                    "public_id", flat=True
                )
            )
        plans = []
        moment_now = now()
        for index, read in candidates:
            asked = wanted[index] if wanted[index] not in taken else None
            try:
                if asked and not services.PUBLIC_ID_RE.match(asked):
                    raise ValidationError(
                        {"public_id": f"'{asked}' is not of the form SY-2025-0007."}
                    )
                v = read.record.values
                published_at = moment(v.get("published_at"), "published_at")
                retraction_reason = text(v.get("retraction_reason"), "retraction_reason")
                item = exchange_bulk.plan(
                    index,
                    read,
                    user=self.user,
                    run=self.run,
                    published_at=published_at or moment_now,
                    retraction_reason=retraction_reason or "Retracted (imported without a reason)",
                )
            except ROW_ERRORS as e:
                outcomes[index] = ("failed", reason_of(e))
                continue
            item.wanted = asked
            if asked:
                taken.add(asked)
            plans.append(item)
        return plans, serial

    def _reference(self, model: Any, slug: Any, name: str) -> Any:
        slug = optional_text(slug, name)
        if slug is None:
            return None
        found = self._lookup(model, self.slugs.get(model, {}).get(slug, slug))
        if found is None:
            raise RowError(f"no {model._meta.verbose_name} '{slug}'", field=name)
        return found

    def _lookup(self, model: Any, slug: str) -> Any:
        """A catalogue record by its slug here, read once per import: thousands of incidents
        name the same few hundred places, sources and actors."""
        key = (model, slug)
        if key not in self.found:
            found = model.objects.filter(slug=slug).first()
            if found is None:
                return None  # not kept: a record created meanwhile is found next time
            self.found[key] = found
        return self.found[key]

    def read_incident(self, record: IncidentRecord) -> ReadIncident:
        """The file's incident with its references looked up; RowError if it is not one."""
        v = record.values
        public_id = record.public_id
        if not public_id:
            raise RowError("every incident needs its public id", field="id")
        fields: dict[str, Any] = {name: text(v.get(name), name) for name in TEXT_FIELDS}
        for name in ("date_precision", "location_precision", "grade"):
            if not fields[name]:
                del fields[name]  # the model's default
        fields["date_start"] = day(v.get("date_start"), "date_start")
        fields["date_end"] = day(v.get("date_end"), "date_end")
        fields["latitude"] = number(v.get("latitude"), "latitude")
        fields["longitude"] = number(v.get("longitude"), "longitude")
        for name in PLACE_FIELDS:
            fields[name] = self._reference(Place, v.get(name), name)
        fields["episode"] = self._reference(Episode, v.get("episode"), "episode")
        groups = [
            self._reference(VictimGroup, slug, "victim_groups")
            for slug in slug_list(v.get("victim_groups"), "victim_groups")
        ]
        rule = text(v.get("figure_rule"), "figure_rule") or FigureRule.RANGE_OF_CLAIMS
        rationale = text(v.get("figure_rationale"), "figure_rationale")
        figures: dict[str, Any] = {name: integer(v.get(name), name) for name in FIGURES}
        figures["killed_high_open"] = boolean(v.get("killed_high_open"), "killed_high_open")
        claims = []
        raw_claims = v.get("claims") or []
        if not isinstance(raw_claims, list):
            raise RowError("expected a list of claims", field="claims")
        for n, raw in enumerate(raw_claims, 1):
            try:
                claims.append(self._claim_values(raw))
            except RowError as error:
                raise RowError(f"claim {n}: {error}", field="claims") from None
        attributions = []
        raw_attributions = v.get("attributions") or []
        if not isinstance(raw_attributions, list):
            raise RowError("expected a list of attributions", field="attributions")
        for raw in raw_attributions:
            if not isinstance(raw, dict):
                raise RowError("expected objects", field="attributions")
            attributions.append(
                {
                    "actor": self._reference(Actor, raw.get("actor"), "attributions"),
                    "confidence": text(raw.get("confidence"), "confidence") or "alleged",
                    "note": text(raw.get("note"), "note"),
                }
            )
        external = self._external_records(v)
        links = [values.pop(LINK, None) for values in claims]
        status = text(v.get("status"), "status") or Status.DRAFT
        if status not in Status.values:
            raise RowError(f"unknown status '{status}'", field="status")

        origin_database = text(v.get("origin_database"), "origin_database").strip()
        origin_id = text(v.get("origin_id"), "origin_id").strip() or public_id
        return ReadIncident(
            record=record,
            fields=fields,
            groups=groups,
            rule=rule,
            rationale=rationale,
            figures=figures,
            claims=claims,
            links=links,
            attributions=attributions,
            external=external,
            status=status,
            origin_database=origin_database,
            origin_id=origin_id,
        )

    def match(self, read: ReadIncident) -> Incident | None:
        """The incident here that the file's incident is (see :meth:`_match`)."""
        return self._match(read.origin_database, read.origin_id, read.external)

    def wanted_public_id(self, read: ReadIncident) -> str:
        """The public id a new incident asks for: its own if it is ours, else the file's.
        (Taken here already, it gets the next one.)"""
        return read.origin_id if read.origin_database == self.here else read.record.public_id

    def write_incident(self, read: ReadIncident, incident: Incident | None) -> str:
        """Create the file's incident, or bring ``incident`` to the file's values, through
        the services; returns "created", "updated" or "skipped"."""
        v = read.record.values
        public_id = read.record.public_id
        fields, groups, rule, rationale = read.fields, read.groups, read.rule, read.rationale
        figures, claims, links, attributions = (
            read.figures,
            read.claims,
            read.links,
            read.attributions,
        )
        external, status = read.external, read.status
        origin_database, origin_id = read.origin_database, read.origin_id
        if incident is None:
            # A public id is this database's only if the incident is ours: another
            # database's id is kept when it is free here, and replaced when it is taken.
            wanted = self.wanted_public_id(read)
            if Incident.objects.filter(public_id=wanted).exists():
                wanted = None
            incident = services.incident_create(
                user=self.user,
                public_id=wanted,
                claims=claims,
                attributions=attributions,
                victim_groups=groups,
                figure_rule=rule,
                figures=figures if rule == FigureRule.MANUAL else None,
                figure_rationale=rationale,
                **fields,
            )
            if origin_database and origin_database != self.here:
                IncidentOrigin.objects.create(
                    incident=incident, database=origin_database, public_id=origin_id
                )
            self._note_id(public_id, incident.public_id)
            self._link_external(incident, external)
            self._link_claims(incident, claims, links)
            self._restore_status(incident, status, v)
            return "created"

        self._note_id(public_id, incident.public_id)

        changed = False
        if changes := _changed(incident, fields):
            services.incident_update(
                incident=incident,
                user=self.user,
                expected_version=None,
                reason=self.reason,
                **changes,
            )
            changed = True
        changed |= self._sync_claims(incident, claims)
        for attribution in attributions:
            current = Attribution.objects.filter(
                incident=incident, actor=attribution["actor"]
            ).first()
            if current is None or _changed(current, attribution):
                services.attribution_set(incident=incident, user=self.user, **attribution)
                changed = True
        if set(incident.victim_groups.all()) != set(groups):
            services.incident_set_victim_groups(
                incident=incident, user=self.user, victim_groups=groups
            )
            changed = True
        manual = rule == FigureRule.MANUAL
        if (
            incident.figure_rule != rule
            or incident.figure_rationale != rationale
            or (manual and _changed(incident, figures))
        ):
            services.incident_set_figures(
                incident=incident,
                user=self.user,
                expected_version=None,
                rule=rule,
                figures=figures if manual else None,
                rationale=rationale,
            )
            changed = True
        changed |= self._link_external(incident, external)
        changed |= self._link_claims(incident, claims, links)
        changed |= self._restore_status(incident, status, v)
        return "updated" if changed else "skipped"

    def _match(
        self,
        origin_database: str,
        origin_id: str,
        external: Sequence[tuple[str, str, dict | None]],
    ) -> Incident | None:
        """The incident here that the file's incident is, when identity agrees: the same
        public id in the same database of origin, or an outside data set record they
        share. An export without an origin (older ones) is matched by records alone."""
        found = None
        if origin_database == self.here:
            found = Incident.objects.filter(public_id=origin_id).first()
        elif origin_database:
            found = Incident.objects.filter(
                origin__database=origin_database, origin__public_id=origin_id
            ).first()
        if found is None:
            for dataset, external_id, _ in external:
                record = (
                    ExternalRecord.objects.filter(dataset=dataset, external_id=external_id)
                    .select_related("incident")
                    .first()
                )
                if record is not None:
                    return record.incident
        return found

    def _note_id(self, public_id: str, here: str) -> None:
        if public_id and public_id != here:
            self.public_ids[public_id] = here
            self.report.renamed[public_id] = here

    def _sync_claims(self, incident: Incident, claims: list[dict[str, Any]]) -> bool:
        existing = list(incident.claims.filter(source__confidential=False).order_by("id"))
        changed = False
        # Claims the file gives exactly as recorded first, so that two claims of one source
        # with the same quote are not swapped; then the others, by source and quote.
        pending = []
        for values in claims:
            same = next((c for c in existing if not _changed(c, values)), None)
            if same is None:
                pending.append(values)
            else:
                existing.remove(same)
        for values in pending:
            match = next(
                (
                    c
                    for c in existing
                    if c.source_id == values["source"].pk and c.quote == values["quote"]
                ),
                None,
            )
            if match is None:
                services.claim_add(incident=incident, user=self.user, **values)
                changed = True
                continue
            existing.remove(match)
            if changes := _changed(match, values):
                services.claim_update(claim=match, user=self.user, **changes)
                changed = True
        for claim in existing:
            services.claim_remove(claim=claim, user=self.user)
            changed = True
        if changed:
            incident.refresh_from_db()
        return changed

    def _external_records(self, v: Mapping[str, Any]) -> list[tuple[str, str, dict | None]]:
        """The incident's outside data set records: with their original rows from
        ``external_records`` (exports since rows were exported), else the ids alone."""
        value = v.get("external_records")
        if value not in (None, "", []):
            if not isinstance(value, list):
                raise RowError("expected a list", field="external_records")
            records = []
            for item in value:
                if not isinstance(item, dict) or not isinstance(item.get("row", {}), dict):
                    raise RowError(
                        "expected objects with dataset, id and row", field="external_records"
                    )
                dataset, external_id = str(item.get("dataset") or ""), str(item.get("id") or "")
                _pair(f"{dataset}:{external_id}", "external_records")
                records.append((dataset, external_id, item.get("row")))
            return records
        value = v.get("external_ids")
        if value is None or value == "":
            return []
        pairs: list[tuple[str, str]] = []
        if isinstance(value, str):
            pairs = [_pair(part, "external_ids") for part in value.split(";") if part.strip()]
        elif isinstance(value, list):
            for item in value:
                if not isinstance(item, dict):
                    raise RowError("expected objects with dataset and id", field="external_ids")
                dataset, external_id = str(item.get("dataset") or ""), str(item.get("id") or "")
                pairs.append(_pair(f"{dataset}:{external_id}", "external_ids"))
        else:
            raise RowError("expected a list", field="external_ids")
        return [(dataset, external_id, None) for dataset, external_id in pairs]

    def _link_external(
        self, incident: Incident, records: Iterable[tuple[str, str, dict | None]]
    ) -> bool:
        changed = False
        for dataset, external_id, row in records:
            record = ExternalRecord.objects.filter(dataset=dataset, external_id=external_id).first()
            if record is not None:
                if record.incident_id != incident.pk:
                    raise RowError(
                        f"{dataset}:{external_id} already belongs to {record.incident.public_id}",
                        field="external_ids",
                    )
                if row is not None and record.row != row:
                    record.row = row
                    services._save(record, self.user, self.reason)
                    changed = True
                continue
            record = ExternalRecord(
                incident=incident,
                dataset=dataset,
                external_id=external_id,
                row=row or {},
                import_run=self.run,
            )
            # An export before rows were exported gives the ids alone: the link comes back,
            # the row with the data set's next import.
            record.full_clean(exclude=["row"])
            services._save(record, self.user, self.reason)
            changed = True
        return changed

    def _link_claims(
        self,
        incident: Incident,
        claims: Sequence[dict[str, Any]],
        links: Sequence[tuple[str, str] | None],
    ) -> bool:
        """Point each claim the file links to an outside data set's record at that record,
        so that re-importing the record's row updates this claim instead of adding one."""
        changed = False
        existing = list(incident.claims.filter(source__confidential=False).order_by("id"))
        for values, link in zip(claims, links, strict=True):
            if link is None:
                continue
            record = ExternalRecord.objects.filter(
                incident=incident, dataset=link[0], external_id=link[1]
            ).first()
            if record is None:
                raise RowError(
                    f"the claim names {link[0]}:{link[1]}, which is not among the incident's "
                    "records",
                    field="external_record",
                )
            source_id = values["source"].pk
            candidates = [
                c for c in existing if c.source_id == source_id and not _changed(c, values)
            ]
            claim = next((c for c in candidates if c.external_record_id == record.pk), None)
            if claim is None:
                claim = next((c for c in candidates if c.external_record_id is None), None)
            if claim is None:
                continue
            existing.remove(claim)
            if claim.external_record_id != record.pk:
                claim.external_record = record
                services._save(claim, self.user, self.reason)
                changed = True
        return changed

    # Status -------------------------------------------------------------------------------

    _STEPS: dict[tuple[str, str], tuple[str, ...]] = {
        (Status.DRAFT, Status.IN_REVIEW): ("submit_for_review",),
        (Status.DRAFT, Status.PUBLISHED): ("publish",),
        (Status.IN_REVIEW, Status.PUBLISHED): ("publish",),
        (Status.IN_REVIEW, Status.DRAFT): ("return_to_draft",),
        (Status.DRAFT, Status.RETRACTED): ("publish", "retract"),
        (Status.IN_REVIEW, Status.RETRACTED): ("publish", "retract"),
        (Status.PUBLISHED, Status.RETRACTED): ("retract",),
    }

    def _restore_status(self, incident: Incident, status: str, v: Mapping[str, Any]) -> bool:
        published_at = moment(v.get("published_at"), "published_at")
        if status == Status.MERGED:
            return self._restore_merge(incident, v)
        changed = False
        if incident.status != status:
            steps = self._STEPS.get((incident.status, status))
            if steps is None:
                raise RowError(
                    f"{incident.public_id} is {incident.get_status_display().lower()} here; "
                    f"the workflow cannot make it {Status(status).label.lower()} "
                    "(change it in the admin)",
                    field="status",
                )
            for step in steps:
                extra = {}
                if step == "retract":
                    extra["reason"] = (
                        text(v.get("retraction_reason"), "retraction_reason")
                        or "Retracted (imported without a reason)"
                    )
                getattr(services, f"incident_{step}")(incident=incident, user=self.user, **extra)
            changed = True
        current = incident.published_at
        if current is not None and published_at is not None and not published_at.microsecond:
            current = current.replace(microsecond=0)  # GeoJSON gives whole seconds
        if (
            published_at is not None
            and status in (Status.PUBLISHED, Status.RETRACTED)
            and current != published_at
        ):
            # The publication time is the one exported, not the moment of the import; a
            # plain update (no version change), so the kept document is dropped by hand.
            Incident.objects.filter(pk=incident.pk).update(published_at=published_at)
            incident.published_at = published_at
            documentcache.forget([incident.pk])
            generation.changed()
            changed = True
        return changed

    def _restore_merge(self, incident: Incident, v: Mapping[str, Any]) -> bool:
        target_id = text(v.get("merged_into"), "merged_into")
        target_id = self.public_ids.get(target_id, target_id)
        target = Incident.objects.filter(public_id=target_id).first() if target_id else None
        if target is None or target.pk == incident.pk:
            raise RowError(
                f"an incident exported as merged needs the incident it was merged into "
                f"('{target_id}' is not recorded)",
                field="merged_into",
            )
        if incident.status == Status.MERGED and incident.merged_into_id == target.pk:
            return False
        if self.user is not None and not self.user.has_perm("incidents.publish_incident"):
            raise PermissionDenied(f"You may not mark {incident.public_id} as merged.")
        incident.status = Status.MERGED
        incident.merged_into = target
        Incident.objects.filter(pk=incident.pk).update(version=F("version") + 1)
        incident.version += 1
        services._save(incident, self.user, f"Imported: merged into {target.public_id}")
        return True


def run_import(
    *,
    format_name: str,
    report: ImportReport,
    records: Sequence[IncidentRecord],
    catalogue: Catalogue,
    dry_run: bool,
    user: Any,
    run: ImportRun | None,
    progress: Progress | None,
) -> ImportReport:
    """Write the catalogue, then the incidents; in a dry run, undo everything at the end."""
    importer = Importer(
        format_name=format_name, report=report, user=user, run=run, progress=progress
    )
    if dry_run:
        with transaction.atomic():
            importer.import_catalogue(catalogue)
            importer.import_incidents(records)
            transaction.set_rollback(True)
    else:
        with transaction.atomic():
            importer.import_catalogue(catalogue)
        importer.import_incidents(records)
    report.failures.sort(key=lambda failure: failure.line)
    return report
