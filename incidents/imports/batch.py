"""The fast path shared by the event data set importers (ACLED, UCDP GED).

A data set file can hold a hundred thousand rows, so rows are not saved one by one through
the services (``full_clean`` and a handful of queries per row). Instead:

1. **Read and check every row in Python.** The data set's ``parse`` turns a row into an
   :class:`Entry` (the incident's fields, the claim, the actors, the named sources), raising
   ``RowError`` naming the column at fault, or :class:`Skip` for a row this product does
   not record (another country, a peaceful protest). Every rule the database and the
   models enforce (dates not in the future and in order, coordinates in range, figures not
   negative and ordered, a quote, field lengths) is checked here, so a row that passes is
   one the database accepts.
2. **Find what is already there.** Rows whose (data set, external id) was imported before
   update that incident; rows that say what the one kept says, once both are parsed, are
   left alone ("unchanged"): a file written differently (dates as ``2019-05-09
   00:00:00.000``, ``5.0`` for 5) is not a changed one. A row older than the one kept (by
   the data set's own version: ACLED's ``timestamp``) is skipped, so an older extract
   imported after a newer one does not revert the data set's corrections.
3. **Resolve the references in memory.** Actors by name or alias (case and spacing
   ignored), named sources by publisher, the data set's own Source: all read once, the
   missing ones created in bulk.
4. **Write in chunks**, each in a transaction: public ids reserved as a block from the
   sequence, incidents with their map cell, governorate and district as ``Incident.save``
   and the services would set them, figures reconciled in Python by
   ``incidents.reconciliation``, then the external records, claims and perpetrators, with a
   history entry for each (user and reason). If a chunk fails unexpectedly it is rolled
   back and its rows are written one at a time, so only the bad row fails.
5. :func:`after_import` runs the steps that bulk writes owe the rest of the product. Each
   chunk notes its incidents as owing them (``ImportFollowUp``) in its own transaction, so
   an import stopped after some chunks committed is followed up by the next one.

Dry runs stop after step 2: nothing is written, and the report says what would happen.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from mapping import gazetteer
from mapping.aggregation import fine_cell, tile_key
from mapping.models import LocationPrecision

from ..duplicates import flag_duplicates
from ..fieldspec import CLAIM_VALUES, names
from ..models import (
    BREAKDOWN_FIELDS,
    Actor,
    Attribution,
    Claim,
    Confidence,
    ExternalRecord,
    FigureRule,
    ImportFollowUp,
    ImportRun,
    Incident,
    PublicIdSequence,
    Source,
    SourceKind,
    Status,
)
from ..readmodel import documentcache, generation, mapcells, statsums
from ..reconciliation import ClaimedFigure, reconcile
from . import csvfile, rows
from .fields import clip, name_slug, normalise_name
from .report import FileRefused, ImportReport, RowError
from .rows import Row

# Rows written per transaction (settings.INCIDENT_MAP["IMPORT_CHUNK_ROWS"]).
CHUNK_ROWS = settings.INCIDENT_MAP.get("IMPORT_CHUNK_ROWS", 5000)
LOOKUP_CHUNK = 900  # ids per IN (...) query: under SQLite's oldest bound on parameters
# On SQLite, the pause between two chunks in which other writers take the database's one
# write lock. A writer that finds the lock taken (a cancel, a researcher's save) sleeps and
# tries again, at most 100 ms apart (SQLite's busy handler); an import that began its next
# chunk at once would win every time, and they would wait until the whole file was written.
SQLITE_WRITERS_TURN = 0.12
UNCHANGED = "unchanged since the last import"

# Incident fields an imported row sets (and re-importing a changed row sets again).
INCIDENT_ROW_FIELDS = names(imported=True)
CLAIM_ROW_FIELDS = CLAIM_VALUES
ACTOR_NAME_LENGTH = 200
LENGTHS = {
    "title": 300,
    "place_name": 300,
    "attributed_to": 200,
    "perpetrator_text": 300,
    "place_as_reported": 300,
    "date_as_reported": 200,
}


class Skip(Exception):
    """A row this product does not record; the reason is shown in the report."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ActorRef:
    name: str
    kind: str
    responsible: bool  # held responsible for the incident (an attribution)
    note: str = ""


@dataclass
class Entry:
    """One row, read and checked, ready to become an incident with its claim."""

    line: int
    external_id: str
    row: dict[str, str]
    incident: dict[str, Any]
    claim: dict[str, Any]
    actors: list[ActorRef] = field(default_factory=list)
    perpetrator: str = ""  # the actor the claim names, by name
    sources: list[tuple[str, str]] = field(default_factory=list)  # named (name, kind)
    # Figures the data set gives itself (UCDP's low/best/high): set by hand with a rationale
    # instead of being reconciled from the claims.
    figures: dict[str, int | None] | None = None
    rationale: str = ""
    summary: str = ""
    # Taken, but a researcher should know how (a point near the border, figures reordered).
    warnings: list[str] = field(default_factory=list)
    # The governorate the source names (a slug), kept over the one the point falls in.
    governorate: str | None = None
    # Counted in the report by kind: things true of many rows (see scope.ADMIN_DISAGREES).
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Dataset:
    key: str  # ExternalDataset value, also the ImportFormat value
    label: str  # "ACLED"
    what: str  # "an ACLED export", for messages
    required: tuple[str, ...]
    optional: tuple[str, ...]
    source: dict[str, Any]  # the data set's own Source (slug, publisher, headline, url)
    parse: Callable[[csvfile.CsvRow], Entry]
    # The data set's own version of a row (ACLED's ``timestamp``), when it has one: a row
    # older than the one kept does not replace it.
    version: Callable[[dict[str, str]], int | None] | None = None


class DatasetReport(ImportReport):
    """The shared report, with the reasons rows were skipped, counted."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.skip_reasons: Counter[str] = Counter()
        self.notes: Counter[str] = Counter()

    def skip(self, reason: str) -> None:
        self.skipped += 1
        self.skip_reasons[_reason_kind(reason)] += 1

    def as_dict(self) -> dict:
        return {
            **super().as_dict(),
            "skip_reasons": dict(self.skip_reasons.most_common()),
            "notes": dict(self.notes.most_common()),
        }


def _reason_kind(reason: str) -> str:
    # "outside Syria (Lebanon)" and "outside Syria (Iraq)" are counted together.
    return reason.split(" (", 1)[0]


# --- checks --------------------------------------------------------------------------------


def check_entry(entry: Entry, today: date) -> None:
    """Raise RowError for anything the database or the models would refuse."""
    incident = entry.incident
    start, end = incident["date_start"], incident["date_end"]
    if start > today:
        field = "date_start" if "date_start" in entry.row else "event_date"
        raise RowError(f"{start.isoformat()} is in the future", field=field)
    if end < start:
        raise RowError(f"{end.isoformat()} is before the start date", field="date_end")
    if end > today:
        field = "date_end" if "date_end" in entry.row else "event_date"
        raise RowError(f"{end.isoformat()} is in the future", field=field)
    if not incident["title"].strip():
        raise RowError("the row gives nothing to name the incident by")
    if not entry.claim["quote"].strip():
        raise RowError("the row has no text to quote for its claim")
    for values in (incident, entry.claim):
        for name, limit in LENGTHS.items():
            if name in values and len(values[name]) > limit:
                values[name] = clip(values[name], limit)
    low, high = entry.claim.get("killed_min"), entry.claim.get("killed_max")
    if high is not None and (low is None or high < low):
        raise RowError("the highest figure is below the lowest", field="high")
    if entry.figures is not None:
        figures = [entry.figures.get(f"killed_{part}") for part in ("low", "best", "high")]
        if None not in figures and not figures[0] <= figures[1] <= figures[2]:
            raise RowError(
                f"low {figures[0]}, best {figures[1]} and high {figures[2]} are not in order",
                field="best",
            )
    # An actor's name longer than the column (a list the data set did not split) is cut,
    # never a reason to lose the row.
    entry.actors = [
        actor
        if len(actor.name) <= ACTOR_NAME_LENGTH
        else replace(actor, name=clip(actor.name, ACTOR_NAME_LENGTH))
        for actor in entry.actors
    ]
    if len(entry.perpetrator) > ACTOR_NAME_LENGTH:
        entry.perpetrator = clip(entry.perpetrator, ACTOR_NAME_LENGTH)


# --- the run -------------------------------------------------------------------------------


@dataclass
class _Existing:
    record_id: int
    incident_id: int
    row: dict
    status: str
    public_id: str
    merged_into: str | None


def run(
    dataset: Dataset,
    data: bytes,
    *,
    dry_run: bool = False,
    user: Any = None,
    run: ImportRun | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DatasetReport:
    report = DatasetReport(format=dataset.key, dry_run=dry_run)
    table = csvfile.read(
        data, what=dataset.what, required=dataset.required, optional=dataset.optional
    )
    total = len(table.rows)
    steps = total if dry_run else 2 * total
    outcomes: dict[int, tuple[str, str, str]] = {}  # line -> (action, summary, reason)

    def failed(line: int, reason: str, external_id: str = "", summary: str = "") -> None:
        report.fail(line, reason, external_id)
        outcomes[line] = ("failed", summary, reason)

    entries: list[Entry] = []
    seen: dict[str, int] = {}
    today = timezone.localdate()
    for done, item in enumerate(table.rows, start=1):
        if isinstance(item, csvfile.RowFailureRow):
            failed(item.line, str(item.error))
        else:
            try:
                entry = dataset.parse(item)
                check_entry(entry, today)
            except Skip as skip:
                report.skip(skip.reason)
                outcomes[item.line] = ("skipped", _row_label(item.values), skip.reason)
            except RowError as error:
                failed(item.line, str(error), _first_id(item.values), _row_label(item.values))
            else:
                if entry.external_id in seen:
                    failed(
                        entry.line,
                        f"{entry.external_id} already appears on line {seen[entry.external_id]}",
                        entry.external_id,
                        entry.summary,
                    )
                else:
                    seen[entry.external_id] = entry.line
                    entries.append(entry)
                    for warning in entry.warnings:
                        report.warn(entry.line, warning, entry.external_id)
                    report.notes.update(entry.notes)
        if progress is not None and (done % 1000 == 0 or done == total):
            progress(done, steps)

    existing = _existing(dataset.key, [entry.external_id for entry in entries])
    to_write: list[Entry] = []
    for entry in entries:
        found = existing.get(entry.external_id)
        if found is None:
            outcomes[entry.line] = ("created", entry.summary, "")
            to_write.append(entry)
        elif found.status == Status.MERGED:
            reason = (
                f"merged into another incident ({found.public_id} into {found.merged_into}); "
                "change that one by hand"
            )
            report.skip(reason)
            outcomes[entry.line] = ("skipped", entry.summary, reason)
        elif found.row == entry.row or _same_values(dataset, found.row, entry, today):
            report.skip(UNCHANGED)
            outcomes[entry.line] = ("skipped", entry.summary, f"{UNCHANGED} ({found.public_id})")
        elif older := _older(dataset, found.row, entry.row):
            report.skip(older)
            outcomes[entry.line] = ("skipped", entry.summary, f"{older} ({found.public_id})")
        elif (
            found.status in (Status.PUBLISHED, Status.RETRACTED)
            and user is not None
            and not user.has_perm("incidents.publish_incident")
        ):
            # As in the admin: researchers change drafts; published records are reviewers'.
            reason = f"published, so only a reviewer may update it ({found.public_id})"
            report.skip(reason)
            outcomes[entry.line] = ("skipped", entry.summary, reason)
        else:
            outcomes[entry.line] = ("updated", entry.summary, found.public_id)
            to_write.append(entry)

    if dry_run:
        for action, _, _ in (outcomes[entry.line] for entry in to_write):
            if action == "created":
                report.created += 1
            else:
                report.updated += 1
    else:
        written = _write(
            dataset,
            to_write,
            existing,
            user=user,
            run=run,
            report=report,
            outcomes=outcomes,
            progress=progress,
            offset=total,
            steps=steps,
        )
        if len(written.incident_ids) >= ANALYZE_AFTER_ROWS:
            _refresh_statistics()
        if progress is not None:
            # Every row is handled; what follows (map cells, duplicates) has no rows to count.
            progress(steps, steps)
        report.duplicates = after_import(
            written.incident_ids, left_cells=written.left_cells, created=written.created_ids
        )
    if progress is not None:
        progress(steps, steps)

    for line in sorted(outcomes)[: report.PREVIEW_ROWS]:
        action, summary, reason = outcomes[line]
        report.note_preview(line, action, summary, reason=reason)
    return report


# Claim fields that keep the file's text verbatim, which a reformatted file (dates written
# "2019-05-09 00:00:00.000" instead of "2019-05-09") changes without changing the event.
VERBATIM_FIELDS = frozenset({"date_as_reported"})


def comparable(entry: Entry) -> tuple:
    """What a row says, parsed: two rows that say the same are the same record."""
    return (
        entry.incident,
        {name: value for name, value in entry.claim.items() if name not in VERBATIM_FIELDS},
        entry.actors,
        entry.perpetrator,
        entry.sources,
        entry.figures,
    )


def _same_values(dataset: Dataset, kept: dict, entry: Entry, today: date) -> bool:
    """Whether the row kept says what this row says, once both are parsed: a file written
    differently (dates, "5.0" for 5, spacing) is not a changed one."""
    if set(kept) - set(entry.row):
        return False  # a column the new file lacks: keep the new row, it is what was given
    try:
        before = dataset.parse(csvfile.CsvRow(line=entry.line, values=dict(kept)))
        check_entry(before, today)
    except (Skip, RowError):
        return False
    return comparable(before) == comparable(entry)


def _older(dataset: Dataset, kept: dict, row: dict[str, str]) -> str:
    """Why the row is older than the one kept (an older extract imported after a newer
    one would revert the data set's later corrections), or "" when it is not."""
    if dataset.version is None:
        return ""
    theirs, ours = dataset.version(row), dataset.version(kept)
    if theirs is None or ours is None or theirs >= ours:
        return ""
    return f"older than the record kept ({dataset.label} version {theirs} < {ours})"


def _first_id(values: dict[str, str]) -> str:
    return (values.get("event_id_cnty") or values.get("id") or "").strip()


def _row_label(values: dict[str, str]) -> str:
    return _first_id(values) or "(no id)"


def _existing(dataset: str, external_ids: list[str]) -> dict[str, _Existing]:
    """The records already imported, by external id, with their incidents' state.

    Two plain index lookups per batch of ids (records by (dataset, external id), then
    their incidents by key) rather than one join, which PostgreSQL may plan as a scan of
    every incident."""
    records: dict[str, tuple[int, int, dict]] = {}
    for start in range(0, len(external_ids), LOOKUP_CHUNK):
        for external_id, record_id, incident_id, row in ExternalRecord.objects.filter(
            dataset=dataset, external_id__in=external_ids[start : start + LOOKUP_CHUNK]
        ).values_list("external_id", "id", "incident_id", "row"):
            records[external_id] = (record_id, incident_id, row)
    incident_ids = sorted({incident_id for _, incident_id, _ in records.values()})
    state: dict[int, tuple[str, str, str | None]] = {}
    for start in range(0, len(incident_ids), LOOKUP_CHUNK):
        for pk, status, public_id, merged in Incident.objects.filter(
            pk__in=incident_ids[start : start + LOOKUP_CHUNK]
        ).values_list("pk", "status", "public_id", "merged_into__public_id"):
            state[pk] = (status, public_id, merged)
    return {
        external_id: _Existing(record_id, incident_id, row, *state[incident_id])
        for external_id, (record_id, incident_id, row) in records.items()
    }


# --- writing -------------------------------------------------------------------------------


@dataclass
class _Written:
    incident_ids: list[int] = field(default_factory=list)
    created_ids: list[int] = field(default_factory=list)
    left_cells: set[tuple[int, int]] = field(default_factory=set)


@dataclass
class _References:
    dataset_source: Source
    sources: dict[str, int]  # normalised publisher -> source id
    actors: dict[str, int]  # normalised name or alias -> actor id


def _write(
    dataset: Dataset,
    entries: list[Entry],
    existing: dict[str, _Existing],
    *,
    user: Any,
    run: ImportRun | None,
    report: DatasetReport,
    outcomes: dict[int, tuple[str, str, str]],
    progress: Callable[[int, int], None] | None,
    offset: int,
    steps: int,
) -> _Written:
    written = _Written()
    if not entries:
        return written
    user = user if user is not None and getattr(user, "is_authenticated", False) else None
    forget_areas()  # the gazetteer may have changed since the last run
    references = _resolve_references(dataset, entries, user)
    writer = _ChunkWriter(dataset, references, existing, user=user, run=run)
    with _page_cache():
        return _write_chunks(writer, entries, existing, report, outcomes, progress, offset, steps)


@contextmanager
def _page_cache() -> Iterator[None]:
    """On SQLite, a page cache that holds the indexes being written (256 MB instead of 2):
    inserting into a dozen indexes of a large table otherwise reads pages back from the
    file for every row."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (previous,) = cursor.fetchone()
        cursor.execute("PRAGMA cache_size = -262144")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def _write_chunks(
    writer: _ChunkWriter,
    entries: list[Entry],
    existing: dict[str, _Existing],
    report: DatasetReport,
    outcomes: dict[int, tuple[str, str, str]],
    progress: Callable[[int, int], None] | None,
    offset: int,
    steps: int,
) -> _Written:
    written = _Written()
    done = 0
    for start in range(0, len(entries), CHUNK_ROWS):
        chunk = entries[start : start + CHUNK_ROWS]
        try:
            with transaction.atomic():
                result = writer.write(chunk)
                _queue_follow_ups(result.incident_ids)
        except (DatabaseError, ValueError, TypeError):
            # Something the checks did not foresee: find the row(s) by writing one at a time.
            result = _Written()
            for entry in chunk:
                try:
                    with transaction.atomic():
                        one = writer.write([entry])
                        _queue_follow_ups(one.incident_ids)
                except (DatabaseError, ValueError, TypeError) as error:
                    reason = f"could not be saved: {_first_line(error)}"
                    report.fail(entry.line, reason, entry.external_id)
                    outcomes[entry.line] = ("failed", entry.summary, reason)
                else:
                    result.incident_ids += one.incident_ids
                    result.created_ids += one.created_ids
                    result.left_cells |= one.left_cells
                    _count(report, entry, existing)
        else:
            for entry in chunk:
                _count(report, entry, existing)
        written.incident_ids += result.incident_ids
        written.created_ids += result.created_ids
        written.left_cells |= result.left_cells
        done += len(chunk)
        if done < len(entries) and connection.vendor == "sqlite":
            time.sleep(SQLITE_WRITERS_TURN)  # before the progress report looks for a cancel
        if progress is not None:
            progress(offset + done, steps)
    return written


def _queue_follow_ups(incident_ids: list[int]) -> None:
    """Note, in the chunk's own transaction, that these incidents still owe their follow-up
    (:func:`after_import`): a chunk that commits is never left without it."""
    ImportFollowUp.objects.bulk_create(
        [ImportFollowUp(incident_id=pk) for pk in incident_ids],
        batch_size=500,
        ignore_conflicts=True,
    )
    # The chunk's rows bypass save(): what the public sees (a published row in the lists
    # and statistics) changes when the chunk commits.
    generation.changed()


def _count(report: DatasetReport, entry: Entry, existing: dict[str, _Existing]) -> None:
    if entry.external_id in existing:
        report.updated += 1
    else:
        report.created += 1


def _first_line(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:300]


def _unique_slug(base: str, taken: set[str], fallback: str) -> str:
    base = name_slug(base, fallback)
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    taken.add(slug)
    return slug


@transaction.atomic
def _resolve_references(dataset: Dataset, entries: list[Entry], user: Any) -> _References:
    spec = dict(dataset.source)
    dataset_source = Source.objects.filter(slug=spec["slug"]).first()
    if dataset_source is None:
        dataset_source = Source(kind=SourceKind.DATASET, **spec)
        dataset_source._history_user = user
        dataset_source._change_reason = f"Created by an import of {dataset.label} data"
        dataset_source.save()

    # Named sources, matched by publisher (the data sets name organisations, not documents).
    sources: dict[str, int] = {}
    for source_id, publisher in (
        Source.objects.exclude(publisher="")
        .exclude(kind=SourceKind.DATASET)
        .order_by("-id")
        .values_list("id", "publisher")
    ):
        sources[normalise_name(publisher)] = source_id  # ordered so the oldest wins
    wanted: dict[str, tuple[str, str]] = {}
    for entry in entries:
        for name, kind in entry.sources:
            key = normalise_name(name)
            if key and key not in sources:
                wanted.setdefault(key, (name, kind))
    if wanted:
        taken = set(Source.objects.values_list("slug", flat=True))
        new = [
            Source(
                slug=_unique_slug(name, taken, "source"),
                publisher=clip(name, 200),
                headline=clip(f"{name}, as cited by {dataset.label}", 500),
                kind=kind,
                notes=f"Named by {dataset.label} as a source of the events it records. "
                "The documents themselves are not recorded here.",
            )
            for key, (name, kind) in wanted.items()
        ]
        for source in bulk_create_with_history(
            new,
            Source,
            batch_size=500,
            default_user=user,
            default_change_reason=f"Named as a source by {dataset.label}",
        ):
            sources[normalise_name(source.publisher)] = source.pk

    actors: dict[str, int] = {}
    for actor_id, name, aliases in Actor.objects.order_by("-id").values_list(
        "id", "name", "aliases"
    ):
        for alias in aliases or []:
            if isinstance(alias, str):
                actors[normalise_name(alias)] = actor_id
        actors[normalise_name(name)] = actor_id
    wanted_actors: dict[str, ActorRef] = {}
    for entry in entries:
        for actor in entry.actors:
            key = normalise_name(actor.name)
            if key and key not in actors:
                wanted_actors.setdefault(key, actor)
    if wanted_actors:
        taken = set(Actor.objects.values_list("slug", flat=True))
        new_actors = [
            Actor(
                slug=_unique_slug(actor.name, taken, "actor"),
                name=" ".join(actor.name.split()),
                kind=actor.kind,
                description=f"As named by {dataset.label}.",
            )
            for actor in wanted_actors.values()
        ]
        for actor in bulk_create_with_history(
            new_actors,
            Actor,
            batch_size=500,
            default_user=user,
            default_change_reason=f"Named by {dataset.label}",
        ):
            actors[normalise_name(actor.name)] = actor.pk
    return _References(dataset_source, sources, actors)


_AREAS_CACHE: dict[tuple, tuple[int | None, int | None]] = {}

# How many admin levels a position of each precision vouches for (as in the services).
_ADMIN_DEPTH = {LocationPrecision.COUNTRY: 0, LocationPrecision.GOVERNORATE: 1}


def _areas(
    latitude: float | None, longitude: float | None, precision: str, named: str | None = None
) -> tuple:
    """Governorate and district ids: by the point, or in the governorate the source names
    (``named``, a slug), the district then the one of that governorate nearest the point."""
    key = (latitude, longitude, named)
    if key not in _AREAS_CACHE:
        governorate = district = None
        if latitude is not None and longitude is not None:
            areas = gazetteer.reverse(latitude, longitude)
            governorate, district = areas.governorate, areas.district
        if named is not None and (governorate is None or governorate.slug != named):
            governorate = gazetteer.place(named)
            district = (
                gazetteer.district_in(named, latitude, longitude)
                if governorate is not None and latitude is not None and longitude is not None
                else None
            )
        _AREAS_CACHE[key] = (
            governorate.pk if governorate else None,
            district.pk if district else None,
        )
    governorate_id, district_id = _AREAS_CACHE[key]
    depth = _ADMIN_DEPTH.get(precision, 2)
    return (governorate_id if depth >= 1 else None), (district_id if depth >= 2 else None)


def forget_areas() -> None:
    """Drop the cached reverse geocoding (the gazetteer changed, or a test starts)."""
    _AREAS_CACHE.clear()


def _reserve_public_ids(years: list[int]) -> list[str]:
    """A block of public ids from the sequence: one locked update per year, not per row."""
    prefix = settings.INCIDENT_MAP["PUBLIC_ID_PREFIX"]
    next_number: dict[int, int] = {}
    for year, count in sorted(Counter(years).items()):
        sequence, _ = PublicIdSequence.objects.select_for_update().get_or_create(
            prefix=f"{prefix}-{year}"
        )
        next_number[year] = sequence.last_number + 1
        sequence.last_number += count
        sequence.save(update_fields=["last_number"])
    ids = []
    for year in years:
        ids.append(f"{prefix}-{year}-{next_number[year]:04d}")
        next_number[year] += 1
    return ids


def _place(incident: Any, named: str | None = None) -> None:
    """Map cell, tile, governorate and district, as ``save()`` and the services set them;
    the governorate the source names (``named``) over the one the point falls in."""
    areas = _areas(incident.latitude, incident.longitude, incident.location_precision, named)
    incident.governorate_id, incident.district_id = areas
    if incident.latitude is None or incident.longitude is None:
        incident.map_cx = incident.map_cy = incident.map_tile = None
    else:
        incident.map_cx, incident.map_cy = fine_cell(incident.latitude, incident.longitude)
        incident.map_tile = tile_key(incident.map_cx, incident.map_cy)


def own_figures_rationale(label: str) -> str:
    """How a rationale for a data set's own figures begins (see :func:`_figures`)."""
    return f"{label}'s own estimates"


def _figures(incident: Any, entry: Entry, claims: list[ClaimedFigure], label: str) -> None:
    """The incident's figures: the data set's own (UCDP) or reconciled from the claims.

    Figures a researcher set by hand are left alone; figures an earlier import set from
    the data set's own estimates follow the row.
    """
    ours = incident.figure_rule == FigureRule.MANUAL and incident.figure_rationale.startswith(
        own_figures_rationale(label)
    )
    if entry.figures is not None and (incident.pk is None or ours):
        incident.figure_rule = FigureRule.MANUAL
        incident.figure_rationale = entry.rationale
        for name in ("killed_low", "killed_best", "killed_high", *BREAKDOWN_FIELDS):
            setattr(incident, name, entry.figures.get(name))
        incident.killed_high_open = False  # a data set's own estimates are a closed range
        return
    if incident.figure_rule == FigureRule.MANUAL and not ours:
        return  # set by a researcher: the import does not overrule them
    if ours:
        incident.figure_rule = FigureRule.RANGE_OF_CLAIMS
        incident.figure_rationale = ""
    result = reconcile(
        incident.figure_rule,
        claims,
        include_confidential=bool(getattr(incident, "figures_include_confidential", False)),
    )
    for name, value in result.incident_figures().items():
        setattr(incident, name, value)


def _claimed(entry: Entry) -> ClaimedFigure:
    return ClaimedFigure(
        minimum=entry.claim.get("killed_min"),
        maximum=entry.claim.get("killed_max"),
        source_kind=SourceKind.DATASET,
        breakdown={name: entry.claim.get(name) for name in BREAKDOWN_FIELDS},
    )


class _ChunkWriter:
    def __init__(
        self,
        dataset: Dataset,
        references: _References,
        existing: dict[str, _Existing],
        *,
        user: Any,
        run: ImportRun | None,
    ) -> None:
        self.dataset = dataset
        self.references = references
        self.existing = existing
        self.user = user
        self.run = run

    def _reason(self, entry: Entry, verb: str) -> str:
        return f"{verb} from {self.dataset.label} {entry.external_id}"

    def _claim_values(self, entry: Entry) -> dict[str, Any]:
        values = {name: entry.claim.get(name) for name in CLAIM_ROW_FIELDS}
        values["approximate"] = bool(values["approximate"])
        for name in (
            "attributed_to",
            "perpetrator_text",
            "place_as_reported",
            "date_as_reported",
            "quote",
            "notes",
            # An outside data set's row states no figure kind (see incidents.figurekinds).
            "figure_kind",
        ):
            values[name] = values[name] or ""
        values["perpetrator_id"] = (
            self.references.actors.get(normalise_name(entry.perpetrator))
            if entry.perpetrator
            else None
        )
        return values

    def _attributions(self, entry: Entry, incident_id: int, have: set[int]) -> list[Row]:
        new = []
        for actor in entry.actors:
            if not actor.responsible:
                continue
            actor_id = self.references.actors.get(normalise_name(actor.name))
            if actor_id is None or actor_id in have:
                continue
            have.add(actor_id)
            new.append(
                {
                    "incident_id": incident_id,
                    "actor_id": actor_id,
                    "confidence": Confidence.ALLEGED,
                    "note": clip(actor.note, 500),
                }
            )
        return new

    def write(self, entries: list[Entry]) -> _Written:
        written = _Written()
        now = timezone.now()
        user_id = self.user.pk if self.user is not None else None
        new = [entry for entry in entries if entry.external_id not in self.existing]
        changed = [entry for entry in entries if entry.external_id in self.existing]
        attributions: list[tuple[Row, str]] = []
        claims: list[tuple[Row, str]] = []

        if new:
            public_ids = _reserve_public_ids([e.incident["date_start"].year for e in new])
            incidents = []
            for entry, public_id in zip(new, public_ids, strict=True):
                incident = SimpleNamespace(
                    pk=None,
                    public_id=public_id,
                    status=Status.DRAFT,
                    created_by_id=user_id,
                    updated_by_id=user_id,
                    figure_rule=FigureRule.RANGE_OF_CLAIMS,
                    figure_rationale="",
                    **{name: entry.incident[name] for name in INCIDENT_ROW_FIELDS},
                )
                _place(incident, entry.governorate)
                _figures(incident, entry, [_claimed(entry)], self.dataset.label)
                values = vars(incident)
                del values["pk"]
                incidents.append(values)
            incident_ids = rows.insert_with_history(
                Incident,
                incidents,
                now=now,
                user_id=user_id,
                reasons=[self._reason(entry, "Imported") for entry in new],
            )
            record_ids = rows.insert_with_history(
                ExternalRecord,
                [
                    {
                        "incident_id": incident_id,
                        "dataset": self.dataset.key,
                        "external_id": entry.external_id,
                        "row": entry.row,
                        "import_run_id": self.run.pk if self.run is not None else None,
                    }
                    for entry, incident_id in zip(new, incident_ids, strict=True)
                ],
                now=now,
                user_id=user_id,
                reasons="",
                # The record is itself the trail (its row, its import run): its history
                # would repeat the row.
                history=False,
            )
            for entry, incident_id, record_id in zip(new, incident_ids, record_ids, strict=True):
                reason = self._reason(entry, "Imported")
                claims.append(
                    (
                        {
                            "incident_id": incident_id,
                            "source_id": self.references.dataset_source.pk,
                            "external_record_id": record_id,
                            **self._claim_values(entry),
                        },
                        reason,
                    )
                )
                attributions += [
                    (row, reason) for row in self._attributions(entry, incident_id, set())
                ]
                written.incident_ids.append(incident_id)
                written.created_ids.append(incident_id)

        if changed:
            self._update(changed, now, claims, attributions, written)

        for model, items in ((Claim, claims), (Attribution, attributions)):
            rows.insert_with_history(
                model,
                [row for row, _ in items],
                now=now,
                user_id=user_id,
                reasons=[reason for _, reason in items],
            )
        return written

    def _update(
        self,
        entries: list[Entry],
        now: Any,
        new_claims: list[tuple[Row, str]],
        new_attributions: list[tuple[Row, str]],
        written: _Written,
    ) -> None:
        found = [self.existing[entry.external_id] for entry in entries]
        incident_ids = [item.incident_id for item in found]
        record_ids = [item.record_id for item in found]
        incidents = Incident.objects.select_for_update().in_bulk(incident_ids)
        own_claims = {
            claim.external_record_id: claim
            for claim in Claim.objects.filter(external_record_id__in=record_ids).order_by("id")
        }
        other_claims: dict[int, list[ClaimedFigure]] = {}
        for row in (
            Claim.objects.filter(incident_id__in=incident_ids)
            .filter(Q(external_record_id__isnull=True) | ~Q(external_record_id__in=record_ids))
            .values(
                "incident_id",
                "killed_min",
                "killed_max",
                "source__kind",
                "source__confidential",
                *BREAKDOWN_FIELDS,
            )
        ):
            other_claims.setdefault(row["incident_id"], []).append(
                ClaimedFigure(
                    minimum=row["killed_min"],
                    maximum=row["killed_max"],
                    source_kind=row["source__kind"],
                    breakdown={name: row[name] for name in BREAKDOWN_FIELDS},
                    confidential=row["source__confidential"],
                )
            )
        attributed: dict[int, set[int]] = {}
        for incident_id, actor_id in Attribution.objects.filter(
            incident_id__in=incident_ids
        ).values_list("incident_id", "actor_id"):
            attributed.setdefault(incident_id, set()).add(actor_id)

        # An incident that absorbed other rows by a merge keeps the description a researcher
        # chose: its rows update their claims and its figures, not its title, dates or point.
        rows_of_incident = Counter(
            ExternalRecord.objects.filter(incident_id__in=incident_ids).values_list(
                "incident_id", flat=True
            )
        )
        # Several rows of this chunk may be claims on one incident: its figures count them all.
        claimed_here: dict[int, list[ClaimedFigure]] = {}
        for entry, item in zip(entries, found, strict=True):
            claimed_here.setdefault(item.incident_id, []).append(_claimed(entry))

        changed_incidents, changed_claims, records = [], [], []
        for entry, item in zip(entries, found, strict=True):
            incident = incidents[item.incident_id]
            if incident.map_cx is not None:
                written.left_cells.add((incident.map_cx, incident.map_cy))
            if rows_of_incident[incident.pk] <= 1:
                for name in INCIDENT_ROW_FIELDS:
                    setattr(incident, name, entry.incident[name])
                _place(incident, entry.governorate)
            claim = own_claims.get(item.record_id)
            claim_values = self._claim_values(entry)
            if claim is None:  # removed by a researcher since: the row brings it back
                new_claims.append(
                    (
                        {
                            "incident_id": incident.pk,
                            "source_id": self.references.dataset_source.pk,
                            "external_record_id": item.record_id,
                            **claim_values,
                        },
                        self._reason(entry, "Re-imported"),
                    )
                )
            else:
                for name, value in claim_values.items():
                    setattr(claim, name, value)
                claim.updated_at = now
                claim._change_reason = self._reason(entry, "Updated")
                changed_claims.append(claim)
            _figures(
                incident,
                entry,
                [*other_claims.get(incident.pk, []), *claimed_here[incident.pk]],
                self.dataset.label,
            )
            incident.version += 1
            incident.updated_at = now
            if self.user is not None:
                incident.updated_by = self.user
            incident._change_reason = self._reason(entry, "Updated")
            changed_incidents.append(incident)
            new_attributions += [
                (row, self._reason(entry, "Named"))
                for row in self._attributions(
                    entry, incident.pk, attributed.setdefault(incident.pk, set())
                )
            ]
            record = ExternalRecord(
                pk=item.record_id,
                incident_id=incident.pk,
                dataset=self.dataset.key,
                external_id=entry.external_id,
                row=entry.row,
                import_run=self.run,
                updated_at=now,
            )
            records.append(record)
            written.incident_ids.append(incident.pk)

        bulk_update_with_history(
            changed_incidents,
            Incident,
            [
                *INCIDENT_ROW_FIELDS,
                "governorate",
                "district",
                "map_cx",
                "map_cy",
                "map_tile",
                "killed_low",
                "killed_best",
                "killed_high",
                "killed_high_open",
                *BREAKDOWN_FIELDS,
                "figure_rule",
                "figure_rationale",
                "version",
                "updated_at",
                "updated_by",
            ],
            batch_size=500,
            default_user=self.user,
        )
        if changed_claims:
            bulk_update_with_history(
                changed_claims,
                Claim,
                [*CLAIM_ROW_FIELDS, "perpetrator", "updated_at"],
                batch_size=500,
                default_user=self.user,
            )
        ExternalRecord.objects.bulk_update(records, ["row", "import_run", "updated_at"], 500)
        # bulk_update_with_history reads the full rows back for their history; the records'
        # own history would only repeat the row kept above.


ANALYZE_AFTER_ROWS = 5000


def _refresh_statistics() -> None:
    """PostgreSQL plans with the tables' statistics, which a bulk load leaves stale until
    autovacuum comes by: looking up ten thousand external ids then reads the whole table.
    ANALYZE samples each table (a fraction of a second) so the next import plans right."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(ExternalRecord._meta.db_table)}")


# --- after an import -----------------------------------------------------------------------


def after_import(
    incident_ids: Collection[int],
    *,
    left_cells: Iterable[tuple[int, int]] = (),
    created: Collection[int] = (),
) -> int:
    """What bulk writes owe the rest of the product, for the incidents an import touched.

    Kept documents of the incidents are dropped (their claims and figures changed without
    ``save()``; ``created``, the ones the import made, have none yet), the map's per-cell
    sums are recomputed for the cells the incidents are in and the cells they left, the
    longest-incident bound is widened if needed, and the incidents are compared with all
    others for likely duplicates (:func:`incidents.duplicates.flag_duplicates`). Returns
    how many open pairs of possible duplicates the incidents now have.

    Incidents an earlier import wrote but stopped before following up (their
    :class:`~incidents.models.ImportFollowUp` rows are still there) are followed up too, and
    counted in the result; as the cells they left are not known, the map's cells are all
    recomputed when one of them is published. The rows of every incident followed up are
    deleted at the end, so a run stopped here is finished by the next.
    """
    ids = list(incident_ids)
    given = set(ids)
    leftover = [
        pk
        for pk in ImportFollowUp.objects.order_by("pk").values_list("incident_id", flat=True)
        if pk not in given
    ]
    ids += leftover
    if not ids:
        return 0
    unfinished = set(leftover)
    fresh = set(created)
    changed = [pk for pk in ids if pk not in fresh]
    for start in range(0, len(changed), LOOKUP_CHUNK):
        documentcache.forget(changed[start : start + LOOKUP_CHUNK])
    cells: set[tuple[int, int]] = set(left_cells)
    longest = 0
    moved_unknown = False
    statistics_keys: set[statsums.Key] = set()
    for start in range(0, len(ids), LOOKUP_CHUNK):
        for (
            pk,
            cx,
            cy,
            status,
            first,
            last,
            governorate,
            event_type,
            episode,
            place,
        ) in Incident.objects.filter(pk__in=ids[start : start + LOOKUP_CHUNK]).values_list(
            "pk",
            "map_cx",
            "map_cy",
            "status",
            "date_start",
            "date_end",
            "governorate_id",
            "event_type",
            "episode_id",
            "place_id",
        ):
            if status == Status.PUBLISHED:
                if cx is not None:
                    cells.add((cx, cy))
                moved_unknown = moved_unknown or pk in unfinished
                statistics_keys.add((first, governorate, event_type, episode, place))
            longest = max(longest, (last - first).days)
    # Drafts are not on the public map: only cells that held or hold a published incident
    # need their sums again.
    if len(cells) > 500 or moved_unknown:
        mapcells.rebuild()  # one pass over the table beats a query naming every cell
    else:
        if cells:
            mapcells.refresh(sorted(cells))
        # An incident updated may have left the keys it was summed under, which are not
        # known here: then the statistics' sums are recomputed whole.
        if changed or len(statistics_keys) > 500:
            statsums.rebuild()
        else:
            statsums.refresh(statistics_keys)
    mapcells._grow_span(longest)
    generation.changed()  # the map's cells and the kept documents have caught up
    flagged = flag_duplicates(ids)
    for start in range(0, len(ids), LOOKUP_CHUNK):
        ImportFollowUp.objects.filter(pk__in=ids[start : start + LOOKUP_CHUNK]).delete()
    return flagged


_SPACES = re.compile(r"\s+")


def distinct_actors(actors: Iterable[ActorRef]) -> list[ActorRef]:
    """The actors, each name once (the first kept), in order."""
    seen: set[str] = set()
    out = []
    for actor in actors:
        key = normalise_name(actor.name)
        if key not in seen:
            seen.add(key)
            out.append(actor)
    return out


def split_names(text: str, separator: str = ";") -> list[str]:
    """A data set's list of names ("SOHR; Enab Baladi"; UCDP's coalitions "Jaysh
    al-Sanadid, MFS, PYD" with ``separator=","``) as distinct names, in order."""
    return list(_split_names(text or "", separator))


@lru_cache(maxsize=16384)
def _split_names(text: str, separator: str) -> tuple[str, ...]:
    names: list[str] = []
    seen: set[str] = set()
    for part in (text or "").split(separator):
        name = _SPACES.sub(" ", part).strip()
        key = name.casefold()
        if name and key not in seen:
            seen.add(key)
            names.append(name)
    return tuple(names)


_MONITOR_WORDS = (
    "observatory",
    "human rights",
    "monitor",
    "documentation",
    "violations",
    "airwars",
    "amnesty",
    "ohchr",
    "sohr",
    "snhr",
)
_SOCIAL_WORDS = (
    "twitter",
    "facebook",
    "telegram",
    "youtube",
    "whatsapp",
    "instagram",
    "tiktok",
    "social media",
)
_OFFICIAL_WORDS = (
    "ministry",
    "government",
    "governor",
    "presidency",
    "spokesperson",
    "command",
    "police",
)


@lru_cache(maxsize=4096)
def source_kind_of(name: str) -> str:
    """The kind of a named source, guessed from its name (news article unless it reads
    like a monitor, a social media account or an authority); a researcher can correct it."""
    lowered = name.casefold()
    if any(word in lowered for word in _MONITOR_WORDS):
        return SourceKind.MONITOR_REPORT
    if any(word in lowered for word in _SOCIAL_WORDS):
        return SourceKind.SOCIAL_MEDIA
    if any(word in lowered for word in _OFFICIAL_WORDS):
        return SourceKind.OFFICIAL_STATEMENT
    return SourceKind.NEWS_ARTICLE


__all__ = [
    "ActorRef",
    "Dataset",
    "DatasetReport",
    "Entry",
    "FileRefused",
    "Skip",
    "after_import",
    "distinct_actors",
    "run",
]
