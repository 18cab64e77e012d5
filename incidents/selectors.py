"""Every read of the domain goes through these functions.

They own visibility (anonymous users and users without the right to see unpublished work
see published incidents only, and never a confidential source), filtering and the joins
that keep list pages at a constant number of queries.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import (
    Count,
    Exists,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)

from mapping.geo import distance_km
from mapping.models import Place, PlaceKind

from . import changes
from .models import (
    Actor,
    Attribution,
    Claim,
    DuplicateCandidate,
    DuplicateStatus,
    Episode,
    EpisodeClaim,
    EvidenceFile,
    Incident,
    Source,
    Status,
)
from .readmodel import answers
from .reconciliation import ClaimedFigure, Reconciled, high_or_best, open_highs, range_of_claims

User = AbstractBaseUser | AnonymousUser


def can_see_unpublished(user: User | None) -> bool:
    return bool(user and user.is_authenticated and user.has_perm("incidents.view_incident"))


def incident_queryset(*, user: User | None, include_merged: bool = False) -> QuerySet[Incident]:
    """Incidents the user may see, with what a list or a map needs already joined.

    Merged incidents are seen by nobody in lists: their claims live on in the incident they
    were merged into (see :func:`incident_merged_target`). ``include_merged`` keeps them for
    readers who see unpublished work, so that their exports restore the merge (and its
    redirect) when imported back; the public never gets them."""
    incidents = Incident.objects.select_related("governorate", "district", "place", "episode")
    if not can_see_unpublished(user):
        incidents = incidents.filter(status=Status.PUBLISHED)
    elif not include_merged:
        incidents = incidents.exclude(status=Status.MERGED)
    return incidents


def incident_merged_target(*, public_id: str, user: User | None) -> str | None:
    """The public id of the incident that ``public_id`` was merged into, if the user may
    follow it there; otherwise None.

    The public follows only from an incident that was once published (whose address may
    have been cited) to one that is published now, so a merged draft stays as unknown to
    them as any draft.
    """
    merged = (
        Incident.objects.filter(public_id=public_id, status=Status.MERGED)
        .values_list("published_at", "merged_into__public_id")
        .first()
    )
    if merged is None:
        return None
    published_at, target = merged
    if can_see_unpublished(user):
        return target
    if published_at is None or not incident_queryset(user=user).filter(public_id=target).exists():
        return None
    return target


def incident_list(*, user: User | None) -> QuerySet[Incident]:
    return (
        incident_queryset(user=user)
        .prefetch_related(
            Prefetch(
                "attributions",
                queryset=Attribution.objects.select_related("actor").order_by("actor__name"),
            )
        )
        .annotate(claim_count=Count("claims", distinct=True))
    )


def visible_claims(*, user: User | None) -> QuerySet[Claim]:
    claims = Claim.objects.select_related("source", "perpetrator")
    if not can_see_unpublished(user):
        claims = claims.filter(source__confidential=False, incident__status=Status.PUBLISHED)
    return claims


def confidential_claim_count(*, incident: Incident) -> int:
    """How many of the incident's claims cite confidential sources (a number the public
    record gives only where a reviewer had the range count them)."""
    return Claim.objects.filter(incident=incident, source__confidential=True).count()


def incident_get(*, public_id: str, user: User | None) -> Incident:
    """One incident with its claims (public users: no confidential sources) and actors.

    Raises ``Incident.DoesNotExist`` for an id the user may not see, exactly as for an id
    that does not exist, so drafts cannot be discovered by probing.
    """
    return (
        incident_queryset(user=user)
        .prefetch_related(
            Prefetch("claims", queryset=visible_claims(user=user).order_by("id")),
            Prefetch(
                "attributions",
                queryset=Attribution.objects.select_related("actor", "actor__parent"),
            ),
            "victim_groups",
        )
        .get(public_id=public_id)
    )


@dataclass(frozen=True)
class MeasureSummary:
    measure: str
    reconciled: Reconciled
    claims: list[EpisodeClaim]
    measure_ar: str = ""  # the first Arabic heading its claims give


@dataclass(frozen=True)
class EpisodeSummary:
    """An episode's incident sums and its monitors' aggregates, side by side, never added."""

    episode: Episode
    incident_count: int
    killed_low: int
    killed_best: int
    killed_high: int  # a floor of the total's high when some incidents' highs are open
    measures: list[MeasureSummary]
    killed_high_open: int = 0  # how many incidents have an open high


def episode_summary(*, episode: Episode, user: User | None) -> EpisodeSummary:
    incidents = incident_queryset(user=user).filter(episode=episode)
    sums = incidents.aggregate(
        count=Count("id"),
        low=Sum("killed_low"),
        best=Sum("killed_best"),
        high=Sum(high_or_best()),
        open=open_highs(),
    )
    return EpisodeSummary(
        episode=episode,
        incident_count=sums["count"] or 0,
        killed_low=sums["low"] or 0,
        killed_best=sums["best"] or 0,
        killed_high=sums["high"] or 0,
        measures=episode_measures(episode=episode),
        killed_high_open=sums["open"] or 0,
    )


def episode_measures(*, episode: Episode) -> list[MeasureSummary]:
    """The episode's aggregate figures reported by monitors, reconciled per measure."""
    # Confidential sources never leave the admin, whoever asks: not even for researchers
    # reading the API, whose answers are no place for them.
    claims = EpisodeClaim.objects.filter(episode=episode, source__confidential=False)
    claims = claims.select_related("source")
    grouped: dict[str, list[EpisodeClaim]] = defaultdict(list)
    for claim in claims.order_by("measure", "id"):
        grouped[claim.measure].append(claim)
    measures = [
        MeasureSummary(
            measure=measure,
            reconciled=range_of_claims(
                ClaimedFigure(c.killed_min, c.killed_max, c.source.kind) for c in rows
            ),
            claims=rows,
            measure_ar=next((c.measure_ar for c in rows if c.measure_ar), ""),
        )
        for measure, rows in grouped.items()
    ]
    return measures


@dataclass(frozen=True)
class EpisodeListRow:
    """An episode with the count and summed range of the incidents the reader may see."""

    episode: Episode
    incident_count: int
    killed_low: int
    killed_best: int
    killed_high: int  # a floor when killed_high_open
    killed_high_open: int


def episode_list(*, user: User | None) -> list[EpisodeListRow]:
    """Episodes the user may see, newest first, each with its incidents' count and range
    (for the public: published incidents only). Two queries, whatever the number."""
    episodes = list(episode_queryset(user=user))
    sums = {
        row["episode"]: row
        for row in incident_queryset(user=user)
        .filter(episode__in=[e.pk for e in episodes])
        .order_by()
        .values("episode")
        .annotate(
            count=Count("id"),
            low=Sum("killed_low"),
            best=Sum("killed_best"),
            high=Sum(high_or_best()),
            open=open_highs(),
        )
    }
    rows = []
    for episode in episodes:
        found = sums.get(episode.pk, {})
        rows.append(
            EpisodeListRow(
                episode=episode,
                incident_count=found.get("count") or 0,
                killed_low=found.get("low") or 0,
                killed_best=found.get("best") or 0,
                killed_high=found.get("high") or 0,
                killed_high_open=found.get("open") or 0,
            )
        )
    return rows


def feed_incidents() -> QuerySet[Incident]:
    """What the public feed may say something about: published incidents, and retracted
    ones (all once published), whose entries say only that and why they were retracted.
    Newest change first (the ``updated_at`` index)."""
    return (
        Incident.objects.filter(status__in=[Status.PUBLISHED, Status.RETRACTED])
        .select_related("governorate", "place")
        .order_by("-updated_at", "-pk")
    )


def last_changed(incident_ids: list[int]) -> dict[int, datetime]:
    """When each incident's history last recorded a change (one query)."""
    rows = (
        Incident.history.filter(id__in=incident_ids)  # type: ignore[attr-defined]
        .order_by()
        .values("id")
        .annotate(last=Max("history_date"))
    )
    return {row["id"]: row["last"] for row in rows}


def public_actors() -> QuerySet[Actor]:
    """Actors held responsible for a published incident: the public map's perpetrator list."""
    # One attribution per actor, looked up through the attributions' actor index and
    # checked against its incident's status: a few actors are each settled at their first
    # published incident. A subquery with LIMIT, not EXISTS: PostgreSQL turns EXISTS into a
    # semi-join that reads every attribution and incident of a large database (0.4 s at a
    # million incidents), while a LIMIT subquery stays a lookup per actor (unordered: the
    # attributions' default order would join and sort them all).
    first = Attribution.objects.filter(actor=OuterRef("pk"), incident__status=Status.PUBLISHED)
    return (
        Actor.objects.alias(published=Subquery(first.order_by().values("pk")[:1]))
        .filter(published__isnull=False)
        .order_by("name")
    )


class Choice(NamedTuple):
    """One choice of a public filter: its slug and its name in English and Arabic."""

    slug: str
    name: str
    name_ar: str


class FilterChoices(NamedTuple):
    """What the public map's and dashboard's filters offer: perpetrators, episodes and
    governorates, each as the public may see them."""

    actors: tuple[Choice, ...]
    episodes: tuple[Choice, ...]
    governorates: tuple[Choice, ...]


def _filter_choices() -> FilterChoices:
    return FilterChoices(
        actors=tuple(
            Choice(*row) for row in public_actors().values_list("slug", "name", "name_ar")
        ),
        episodes=tuple(
            Choice(*row)
            for row in episode_queryset(user=None).values_list("slug", "title", "title_ar")
        ),
        governorates=tuple(
            Choice(*row)
            for row in Place.objects.filter(kind=PlaceKind.GOVERNORATE)
            .order_by("name")
            .values_list("slug", "name", "name_ar")
        ),
    )


def filter_choices() -> FilterChoices:
    """The choices of the public filters, the same for every reader (published work only).

    Every view of the map, the embedded map and the dashboard shows them, and at a million
    incidents their queries cost more than the rest of the page: they are kept in the
    shared cache per publication generation (``readmodel.answers``), so a publication, a
    retraction or an edit of an actor, episode or place is in the next page rendered, and
    the pages in between cost no query for them."""
    return answers.cached("filter-choices", (), _filter_choices)


def source_queryset(*, user: User | None) -> QuerySet[Source]:
    """Sources outside the admin: never a confidential one, and for the public only those
    that published work cites, so a draft's new source stays unseen until then."""
    sources = Source.objects.filter(confidential=False)
    if not can_see_unpublished(user):
        sources = sources.filter(
            Q(claims__incident__status=Status.PUBLISHED) | Q(episodeclaims__isnull=False)
        ).distinct()
    return sources.order_by("slug")


def actor_queryset(*, user: User | None) -> QuerySet[Actor]:
    """Actors the user may see outside the admin, with the groups they belong to.

    For the public, those a published incident names, as a perpetrator or in a claim of a
    source that is not confidential. Researchers see every actor except one known only
    from confidential sources' claims (named by no perpetrator attribution and no other
    claim), which would reveal what such a source says. The groups a shown actor belongs
    to are shown too, at any depth.
    """
    actors = Actor.objects.select_related("parent").order_by("slug")
    public_claims = Claim.objects.filter(perpetrator=OuterRef("pk"), source__confidential=False)
    if can_see_unpublished(user):
        named = Actor.objects.exclude(
            Exists(Claim.objects.filter(perpetrator=OuterRef("pk"), source__confidential=True))
            & ~Exists(Attribution.objects.filter(actor=OuterRef("pk")))
            & ~Exists(public_claims)
        )
    else:
        named = Actor.objects.filter(
            Exists(
                Attribution.objects.filter(actor=OuterRef("pk"), incident__status=Status.PUBLISHED)
            )
            | Exists(public_claims.filter(incident__status=Status.PUBLISHED))
        )
    shown = set(named.values_list("pk", flat=True))
    parents = dict(Actor.objects.values_list("id", "parent_id"))
    for actor_id in list(shown):
        parent = parents.get(actor_id)
        while parent is not None and parent not in shown:
            shown.add(parent)
            parent = parents.get(parent)
    return actors.filter(pk__in=shown)


def episode_queryset(*, user: User | None) -> QuerySet[Episode]:
    """Episodes the user may see: for the public, one with a published incident or a
    public aggregate claim."""
    episodes = Episode.objects.all()
    if not can_see_unpublished(user):
        # EXISTS, not a join: an episode of a million incidents is settled at its first
        # published one, where a join with DISTINCT would read them all.
        episodes = episodes.filter(
            Exists(Incident.objects.filter(episode=OuterRef("pk"), status=Status.PUBLISHED))
            | Exists(
                EpisodeClaim.objects.filter(episode=OuterRef("pk"), source__confidential=False)
            )
        )
    return episodes.order_by("-date_start", "slug")


def episode_get(*, slug: str, user: User | None) -> Episode:
    """An episode the user may see (see ``episode_queryset``).

    Raises ``Episode.DoesNotExist`` otherwise, as for a slug that does not exist.
    """
    return episode_queryset(user=user).get(slug=slug)


def incident_match_candidates(
    *,
    user: User | None,
    date_start: date,
    date_end: date,
    place_slug: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    radius_km: float = 5.0,
    limit: int = 5,
) -> list[tuple[Incident, float | None]]:
    """Incidents that may be the one a new report describes: at the same gazetteer place or
    within ``radius_km`` of the point, with dates overlapping ``date_start``..``date_end``.

    Merged and retracted incidents are left out. Returns (incident, distance in km or None
    when only the place matched), nearest first.
    """
    incidents = incident_queryset(user=user).exclude(status__in=[Status.MERGED, Status.RETRACTED])
    incidents = incidents.filter(date_start__lte=date_end, date_end__gte=date_start)
    near = Q(place__slug=place_slug) if place_slug else Q(pk__in=[])
    if latitude is not None and longitude is not None:
        # A box around the point first (a degree of latitude is about 111 km), then the
        # real distance for what the box lets through.
        dlat = radius_km / 111.0
        dlon = radius_km / (111.0 * max(0.1, math.cos(math.radians(latitude))))
        near |= Q(
            latitude__range=(latitude - dlat, latitude + dlat),
            longitude__range=(longitude - dlon, longitude + dlon),
        )
    found: list[tuple[Incident, float | None]] = []
    for incident in incidents.filter(near).order_by("-date_start", "public_id")[: limit * 4]:
        distance = None
        if None not in (latitude, longitude, incident.latitude, incident.longitude):
            distance = distance_km(latitude, longitude, incident.latitude, incident.longitude)  # type: ignore[arg-type]
        same_place = incident.place is not None and incident.place.slug == place_slug
        if distance is not None and distance > radius_km and not same_place:
            continue
        found.append((incident, distance))
    found.sort(key=lambda pair: (pair[1] is None, pair[1] or 0.0))
    return found[:limit]


def duplicate_candidates_open(*, incident: Incident | None = None) -> QuerySet[DuplicateCandidate]:
    """Open pairs of possible duplicates, best first, with both incidents joined; pairs
    whose incident was merged or retracted since they were flagged are left out. For the
    admin (researchers and reviewers), so drafts are included."""
    gone = [Status.MERGED, Status.RETRACTED]
    candidates = (
        DuplicateCandidate.objects.filter(status=DuplicateStatus.OPEN)
        .exclude(first__status__in=gone)
        .exclude(second__status__in=gone)
        .select_related(
            "first__place", "first__governorate", "second__place", "second__governorate"
        )
        .order_by("-score", "first_id", "second_id")
    )
    if incident is not None:
        candidates = candidates.filter(Q(first=incident) | Q(second=incident))
    return candidates


def claim_counts(incident_ids: list[int]) -> dict[int, int]:
    """How many claims each of these incidents has (one query)."""
    return dict(
        Claim.objects.filter(incident_id__in=incident_ids)
        .values("incident_id")
        .annotate(n=Count("id"))
        .values_list("incident_id", "n")
        .order_by()
    )


# --- evidence files ----------------------------------------------------------------------


def can_see_evidence(user: User | None) -> bool:
    """Whether the user may see and download every evidence file (in the admin, and in the
    API for the sources that it shows)."""
    return bool(user and user.is_authenticated and user.has_perm("incidents.view_evidencefile"))


def public_evidence_files() -> QuerySet[EvidenceFile]:
    """The files anyone may see: marked public by a reviewer, of a source that is not
    confidential and that published work cites. A confidential source's file is not here
    whatever its mark says."""
    public_sources = source_queryset(user=None).values("pk")
    return (
        EvidenceFile.objects.filter(public=True, source__confidential=False)
        .filter(source__in=public_sources)
        .select_related("blob")
        .order_by("uploaded_at", "id")
    )


def evidence_files_of(*, source: Source, user: User | None) -> QuerySet[EvidenceFile]:
    """A source's files as the user may see them: every one for researchers and
    reviewers, the public ones for everybody else."""
    if can_see_evidence(user):
        files = EvidenceFile.objects.filter(source=source)
    else:
        files = public_evidence_files().filter(source=source)
    return files.select_related("blob", "uploaded_by", "source").order_by("uploaded_at", "id")


def public_evidence_by_source(source_ids: list[int]) -> dict[int, list[EvidenceFile]]:
    """The public files of these sources, by source (for a public page's citations)."""
    found: dict[int, list[EvidenceFile]] = defaultdict(list)
    for item in public_evidence_files().filter(source_id__in=source_ids):
        found[item.source_id].append(item)
    return found


def public_evidence_file(*, token: str) -> EvidenceFile:
    """A public file by its public address; ``EvidenceFile.DoesNotExist`` for any other."""
    return public_evidence_files().get(token=token)


@dataclass
class ReviewItem:
    """An incident waiting for review: who submitted it, when, and (for one the public saw
    before) what changed since its last published version."""

    incident: Incident
    submitted_at: datetime | None
    submitted_by: AbstractBaseUser | None
    since_published: changes.ChangesSincePublished | None


def review_queue(*, user: User | None) -> list[ReviewItem]:
    """The incidents in review, the longest waiting first. For reviewers (the admin's
    review queue); an empty list for users who may not see unpublished work. A constant
    number of queries, whatever the length of the queue."""
    if not can_see_unpublished(user):
        return []
    incidents = list(
        incident_queryset(user=user).filter(status=Status.IN_REVIEW).select_related("governorate")
    )
    submitted: dict[int, Any] = {}
    for row in (
        Incident.history.filter(
            id__in=[i.pk for i in incidents], history_change_reason=changes.SUBMITTED
        )
        .select_related("history_user")
        .order_by("history_date", "history_id")
    ):
        submitted[row.id] = row  # the last submission wins
    since = changes.since_last_published(incidents)
    items = [
        ReviewItem(
            incident=incident,
            submitted_at=submitted[incident.pk].history_date if incident.pk in submitted else None,
            submitted_by=submitted[incident.pk].history_user if incident.pk in submitted else None,
            since_published=since.get(incident.pk),
        )
        for incident in incidents
    ]
    # Oldest submission first; an incident with no recorded submission (imported in
    # review) by its last change.
    items.sort(key=lambda item: (item.submitted_at or item.incident.updated_at, item.incident.pk))
    return items
