"""Merging two records of one event: every claim and both histories kept, figures
recomputed, the merged incident gone from every public read and redirected, rights,
stale versions and impossible merges refused."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum

from incidents import duplicates, services
from incidents.models import (
    Actor,
    Attribution,
    Claim,
    DuplicateCandidate,
    DuplicateStatus,
    ExternalRecord,
    Incident,
    IncidentDocument,
    PublishedMapCell,
    Source,
    Status,
)
from incidents.services import ConcurrentEditError

from .conftest import incident_fields

API = "/api/v1"


def make(source: Source, killed: int, **overrides: Any) -> Incident:
    return services.incident_create(
        user=None,
        claims=[
            {
                "source": source,
                "killed_min": killed,
                "killed_max": killed,
                "quote": f"{killed} people were killed.",
            }
        ],
        **incident_fields(**overrides),
    )


@pytest.fixture
def pair(source: Source, news_source: Source) -> tuple[Incident, Incident]:
    """The same shelling recorded twice: 40 killed by one source, 38 by another, 1 km apart."""
    keep = make(source, 40)
    merge = make(news_source, 38, latitude=35.37, title="Market shelled in Jableh")
    duplicates.flag_duplicates([keep.pk])
    return keep, merge


def cell_sums() -> tuple[int, int]:
    sums = PublishedMapCell.objects.aggregate(n=Sum("count"), best=Sum("killed_best"))
    return sums["n"] or 0, sums["best"] or 0


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_merge_keeps_every_claim_perpetrator_group_record_and_both_histories(
    pair: tuple[Incident, Incident], source: Source, researcher: User
) -> None:
    keep, merge = pair
    army = Actor.objects.create(slug="army", name="Army")
    militia = Actor.objects.create(slug="militia", name="Militia")
    services.attribution_set(incident=keep, user=None, actor=army, confidence="alleged")
    services.attribution_set(
        incident=merge, user=None, actor=army, confidence="confirmed", note="Seen by witnesses."
    )
    services.attribution_set(incident=merge, user=None, actor=militia, confidence="probable")
    group = services.victim_group_get_or_create(slug="farmers", name="Farmers")
    merge.victim_groups.add(group)
    record = ExternalRecord.objects.create(
        incident=merge, dataset="acled", external_id="SYR123", row={"fatalities": "38"}
    )
    claims = set(Claim.objects.filter(incident__in=[keep, merge]).values_list("pk", flat=True))
    keep.refresh_from_db()
    merge.refresh_from_db()
    merge_history = merge.history.count()

    result = services.incident_merge(
        keep=keep,
        merge=merge,
        user=researcher,
        reason="ACLED and the news report the same shelling.",
        keep_version=keep.version,
        merge_version=merge.version,
    )
    keep.refresh_from_db()
    merge.refresh_from_db()
    assert result == keep
    assert set(keep.claims.values_list("pk", flat=True)) == claims
    assert not merge.claims.exists()
    # Figures reconciled from both sources: 38 to 40.
    assert (keep.killed_low, keep.killed_best, keep.killed_high) == (38, 38, 40)
    assert (merge.status, merge.merged_into) == (Status.MERGED, keep)
    attributions = {a.actor.slug: a for a in Attribution.objects.filter(incident=keep)}
    assert set(attributions) == {"army", "militia"}
    assert attributions["army"].confidence == "confirmed"  # the surer of the two
    assert attributions["army"].note == "Seen by witnesses."
    assert not Attribution.objects.filter(incident=merge).exists()
    assert list(keep.victim_groups.all()) == [group]
    record.refresh_from_db()
    assert record.incident == keep

    # Both histories stay, each with the user and the reason.
    assert merge.history.count() == merge_history + 1
    last = merge.history.first()
    assert last.history_user == researcher
    assert last.status == Status.MERGED
    assert last.history_change_reason == (
        f"Merged into {keep.public_id}: ACLED and the news report the same shelling."
    )
    assert keep.history.first().history_change_reason.startswith(
        f"Merged {merge.public_id} into this incident"
    )
    moved = Claim.history.filter(incident_id=keep.pk, history_type="~").first()
    assert moved.history_user == researcher
    assert merge.public_id in moved.history_change_reason
    # The claims' own history still shows where they were before.
    assert Claim.history.filter(incident_id=merge.pk).exists()

    candidate = DuplicateCandidate.objects.get(first=keep, second=merge)
    assert (candidate.status, candidate.decided_by) == (DuplicateStatus.MERGED, researcher)
    assert candidate.decided_at is not None


def test_the_merged_incident_leaves_every_public_read_and_redirects(
    client: Any, pair: tuple[Incident, Incident], reviewer: User
) -> None:
    keep, merge = pair
    for incident in (keep, merge):
        services.incident_publish(incident=incident, user=reviewer)
    assert client.get(f"{API}/incidents/").json()["results"][0]["id"] in {
        keep.public_id,
        merge.public_id,
    }
    assert cell_sums() == (2, 78)
    client.get(f"{API}/incidents/")  # keeps both documents
    assert IncidentDocument.objects.filter(incident=keep).exists()

    services.incident_merge(keep=keep, merge=merge, user=reviewer)
    keep.refresh_from_db()
    assert not IncidentDocument.objects.filter(incident__in=[keep, merge]).exists()

    listed = client.get(f"{API}/incidents/").json()["results"]
    assert [row["id"] for row in listed] == [keep.public_id]
    assert len(listed[0]["claims"]) == 2
    geojson = json.loads(body(client.get(f"{API}/incidents.geojson")))
    assert [f["id"] for f in geojson["features"]] == [keep.public_id]
    rows = list(
        csv.DictReader(io.StringIO(body(client.get(f"{API}/incidents.csv")).decode("utf-8-sig")))
    )
    assert [row["id"] for row in rows] == [keep.public_id]
    stats = client.get(f"{API}/statistics/").json()
    assert stats["totals"]["incidents"] == 1
    assert stats["totals"]["killed_best"] == keep.killed_best
    points = client.get(f"{API}/map/?zoom=8").json()
    assert [p["id"] for p in points["incidents"]] == [keep.public_id]
    assert cell_sums() == (1, keep.killed_best)
    cells = client.get(f"{API}/map/?zoom=3").json()
    assert cells["totals"]["incidents"] == 1

    page = client.get(f"/incidents/{merge.public_id}/")
    assert page.status_code == 301
    assert page["Location"] == f"/incidents/{keep.public_id}/"
    detail = client.get(f"{API}/incidents/{merge.public_id}/")
    assert detail.status_code == 301
    assert detail["Location"] == f"{API}/incidents/{keep.public_id}/"
    assert client.get(detail["Location"]).json()["id"] == keep.public_id
    # The redirect is part of the documented API.
    schema = client.get(f"{API}/schema/?format=json").json()
    documented = schema["paths"]["/api/v1/incidents/{public_id}/"]["get"]["responses"]
    assert "Location" in documented["301"]["description"]


def test_researchers_see_merged_incidents_nowhere_but_the_admin(
    client: Any, pair: tuple[Incident, Incident], researcher: User
) -> None:
    keep, merge = pair
    services.incident_merge(keep=keep, merge=merge, user=researcher)
    client.force_login(researcher)
    listed = {row["id"] for row in client.get(f"{API}/incidents/").json()["results"]}
    assert listed == {keep.public_id}
    assert client.get(f"{API}/statistics/").json()["totals"]["incidents"] == 1
    response = client.get(f"{API}/incidents/?status=merged")
    assert response.status_code == 400
    assert "status" in response.json()
    # A researcher follows a merged draft too; the public does not learn it existed.
    assert client.get(f"{API}/incidents/{merge.public_id}/").status_code == 301
    client.logout()
    assert client.get(f"{API}/incidents/{merge.public_id}/").status_code == 404
    assert client.get(f"/incidents/{merge.public_id}/").status_code == 404


def test_rights_researchers_merge_drafts_and_reviewers_published_ones(
    pair: tuple[Incident, Incident], researcher: User, reviewer: User
) -> None:
    keep, merge = pair
    with pytest.raises(PermissionDenied):
        services.incident_merge(keep=keep, merge=merge, user=AnonymousUser())
    candidate = DuplicateCandidate.objects.get()
    with pytest.raises(PermissionDenied):
        services.duplicate_dismiss(candidate=candidate, user=AnonymousUser())
    services.incident_publish(incident=keep, user=reviewer)
    assert not services.can_merge(researcher, keep, merge)
    with pytest.raises(PermissionDenied):
        services.incident_merge(keep=keep, merge=merge, user=researcher)
    merge.refresh_from_db()
    assert merge.status == Status.DRAFT
    assert Claim.objects.filter(incident=merge).count() == 1
    assert services.can_merge(reviewer, keep, merge)
    services.incident_merge(keep=keep, merge=merge, user=reviewer)
    merge.refresh_from_db()
    assert merge.status == Status.MERGED
    # A merged incident cannot be edited any more.
    assert not services.can_edit_incident(reviewer, merge)


def test_stale_versions_are_refused_and_nothing_changes(
    pair: tuple[Incident, Incident], researcher: User
) -> None:
    keep, merge = pair
    seen = merge.version
    services.incident_update(incident=merge, user=researcher, expected_version=seen, title="New")
    with pytest.raises(ConcurrentEditError):
        services.incident_merge(
            keep=keep,
            merge=merge,
            user=researcher,
            keep_version=keep.version,
            merge_version=seen,
        )
    merge.refresh_from_db()
    assert merge.status == Status.DRAFT
    assert merge.claims.count() == 1
    assert DuplicateCandidate.objects.get().status == DuplicateStatus.OPEN


def test_impossible_merges_are_refused(
    pair: tuple[Incident, Incident], source: Source, reviewer: User
) -> None:
    keep, merge = pair
    with pytest.raises(ValidationError, match="cannot be merged into itself"):
        services.incident_merge(keep=keep, merge=keep, user=reviewer)
    # A published incident is not merged into a draft: the public record would vanish.
    services.incident_publish(incident=merge, user=reviewer)
    with pytest.raises(ValidationError, match="keep the published one"):
        services.incident_merge(keep=keep, merge=merge, user=reviewer)
    services.incident_retract(incident=merge, user=reviewer, reason="Wrong date.")
    with pytest.raises(ValidationError, match="retracted"):
        services.incident_merge(keep=merge, merge=keep, user=reviewer)
    third = make(source, 39)
    services.incident_merge(keep=third, merge=keep, user=reviewer)
    keep.refresh_from_db()
    # Nobody edits a merged incident; even without a user, it is not a target.
    with pytest.raises(PermissionDenied):
        services.incident_merge(keep=keep, merge=third, user=reviewer)
    with pytest.raises(ValidationError, match="merged into another incident"):
        services.incident_merge(keep=keep, merge=third, user=None)


def test_chains_are_re_pointed_to_the_incident_kept(source: Source, reviewer: User) -> None:
    a, b, c = make(source, 10), make(source, 11), make(source, 12)
    services.incident_merge(keep=b, merge=a, user=reviewer)
    services.incident_merge(keep=c, merge=b, user=reviewer)
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.merged_into == c and b.merged_into == c
    assert c.claims.count() == 3
    assert a.history.first().history_change_reason == f"{b.public_id} merged into {c.public_id}"


def test_merging_drops_the_merged_incidents_other_open_pairs(
    source: Source, reviewer: User
) -> None:
    a = make(source, 40)
    b = make(source, 40, latitude=35.37)
    c = make(source, 40, longitude=35.94)
    duplicates.flag_duplicates([a.pk, b.pk, c.pk])
    assert DuplicateCandidate.objects.filter(status=DuplicateStatus.OPEN).count() == 3
    services.incident_merge(keep=a, merge=b, user=reviewer)
    statuses = dict(DuplicateCandidate.objects.values_list("second_id", "status").filter(first=a))
    assert statuses == {b.pk: DuplicateStatus.MERGED, c.pk: DuplicateStatus.OPEN}
    assert not DuplicateCandidate.objects.filter(first=b, second=c).exists()
    dismissed = DuplicateCandidate.objects.get(first=a, second=c)
    services.duplicate_dismiss(candidate=dismissed, user=reviewer)
    with pytest.raises(ValidationError, match="already decided"):
        services.duplicate_dismiss(candidate=dismissed, user=reviewer)
