"""The Atom feed of newly published and updated incidents, read with a feed parser.

feedparser reads the feed as a feed reader would; the XML itself is also checked against
what RFC 4287 requires of a feed and of each entry.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import feedparser
import pytest
from django.utils import timezone

from incidents import services
from incidents.models import Incident, Status

from .conftest import incident_fields

FEED = "/feeds/incidents.atom"
ATOM = "{http://www.w3.org/2005/Atom}"


def _feed(client, query: str = "", **headers):
    response = client.get(FEED + (f"?{query}" if query else ""), **headers)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return response, parsed


def _check_rfc4287(body: bytes) -> ET.Element:
    """The elements RFC 4287 requires (4.1.1, 4.1.2): a feed and each entry have exactly one
    id, title and updated; a feed without authors on all entries has one; ids are IRIs;
    dates are RFC 3339."""
    root = ET.fromstring(body)  # noqa: S314 - the feed the application under test wrote
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert len(root.findall(f"{ATOM}{name}")) == 1, name
    assert root.find(f"{ATOM}author/{ATOM}name").text
    assert root.find(f"{ATOM}link[@rel='self']") is not None
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, name
        assert entry.find(f"{ATOM}id").text.startswith("http://testserver/incidents/")
        dt.datetime.fromisoformat(entry.find(f"{ATOM}updated").text)
        assert entry.find(f"{ATOM}link[@rel='alternate']") is not None
    return root


def _ids(parsed) -> list[str]:
    return [entry.id.rsplit("/", 2)[-2] for entry in parsed.entries]


def test_the_feed_is_valid_atom_with_every_published_incident_and_no_draft(client, seeded):
    response, parsed = _feed(client)
    _check_rfc4287(response.content)
    published = set(
        Incident.objects.filter(status=Status.PUBLISHED).values_list("public_id", flat=True)
    )
    assert set(_ids(parsed)) == published and "SY-2025-0011" not in _ids(parsed)
    entry = next(e for e in parsed.entries if e.id.endswith("/SY-2025-0005/"))
    incident = Incident.objects.get(public_id="SY-2025-0005")
    assert entry.id == "http://testserver/incidents/SY-2025-0005/" == entry.link
    assert entry.title == f"SY-2025-0005: {incident.title}"
    assert "Killed (low–best–high): 40–40, no upper bound" in entry.summary
    assert entry.published_parsed is not None and entry.updated_parsed is not None
    assert parsed.feed.links[0].href.startswith("http://testserver/")
    # The newest change first.
    stamps = [e.updated_parsed for e in parsed.entries]
    assert stamps == sorted(stamps, reverse=True)


def test_the_feed_takes_the_maps_filters(client, seeded):
    _, parsed = _feed(client, "governorate=latakia-governorate")
    expected = set(
        Incident.objects.filter(
            status=Status.PUBLISHED, governorate__slug="latakia-governorate"
        ).values_list("public_id", flat=True)
    )
    all_published = Incident.objects.filter(status=Status.PUBLISHED).count()
    assert set(_ids(parsed)) == expected and 0 < len(expected) < all_published
    _, parsed = _feed(client, "perpetrator=syrian-government-forces&event_type=summary_execution")
    expected = set(
        Incident.objects.filter(
            status=Status.PUBLISHED,
            event_type="summary_execution",
            attributions__actor__slug="syrian-government-forces",
        ).values_list("public_id", flat=True)
    )
    assert set(_ids(parsed)) == expected and expected
    assert "(filtered)" in parsed.feed.title


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("governorate=nowhere", "governorate"),
        ("event_type=picnic", "event_type"),
        ("date_from=2025-13-01", "date_from"),
        ("colour=red", "colour"),
        ("episode=", "episode"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(client, seeded, query, name):
    response = client.get(f"{FEED}?{query}")
    assert response.status_code == 400
    assert name in response.json()
    assert response["Cache-Control"] == "no-cache"


def test_a_retraction_is_an_update_of_the_entry_saying_so_without_the_withdrawn_record(
    client, seeded, reviewer
):
    incident = Incident.objects.get(public_id="SY-2025-0005")
    _, before = _feed(client, "governorate=latakia-governorate")
    old = next(e for e in before.entries if e.id.endswith("/SY-2025-0005/"))
    services.incident_retract(
        incident=incident, user=reviewer, reason="Duplicate of a better-sourced record."
    )
    response, after = _feed(client, "governorate=latakia-governorate")
    entry = next(e for e in after.entries if e.id.endswith("/SY-2025-0005/"))
    assert entry.id == old.id  # the same entry, updated
    assert entry.updated_parsed >= old.updated_parsed
    assert after.entries[0].id == entry.id  # the latest change
    assert entry.title == "Retracted: SY-2025-0005"
    assert "was retracted" in entry.summary
    # The reviewer's reason stays in the admin: it may name what must not leave it.
    assert "Duplicate of a better-sourced record." not in response.content.decode()
    body = response.content.decode()
    block = body.split("/incidents/SY-2025-0005/</id>")[0].rsplit("<entry>", 1)[1]
    block += body.split("/incidents/SY-2025-0005/</id>")[1].split("</entry>", 1)[0]
    for withdrawn in [incident.title, incident.summary, incident.place_name, "Killed"]:
        assert withdrawn not in block, withdrawn


def test_updated_comes_from_the_records_history(client, seeded, reviewer):
    incident = Incident.objects.get(public_id="SY-2025-0003")
    later = timezone.now() + dt.timedelta(days=1)
    services.incident_update(
        incident=incident, user=reviewer, expected_version=incident.version, title="Renamed"
    )
    last = incident.history.order_by("-history_date").first()
    last.history_date = later  # as if it were changed tomorrow
    last.save()
    _, parsed = _feed(client)
    entry = next(e for e in parsed.entries if e.id.endswith("/SY-2025-0003/"))
    assert entry.title == "SY-2025-0003: Renamed"
    assert entry.updated_parsed[:3] == later.utctimetuple()[:3]


def test_text_from_the_database_is_escaped_in_the_entries(client, seeded, reviewer):
    incident = Incident.objects.get(public_id="SY-2025-0003")
    services.incident_update(
        incident=incident,
        user=reviewer,
        expected_version=incident.version,
        summary="<img src=x onerror=alert(1)>",
    )
    response, parsed = _feed(client)
    body = response.content.decode()
    assert "<img" not in body and "&lt;img" not in body
    assert "&amp;lt;img src=x onerror=alert(1)&amp;gt;" in body
    entry = next(e for e in parsed.entries if e.id.endswith("/SY-2025-0003/"))
    assert "<img" not in entry.summary


def test_the_feed_is_cached_like_the_other_public_reads(client, seeded, reviewer):
    response, _ = _feed(client, "governorate=latakia-governorate")
    assert response["Cache-Control"] == "public, max-age=5"
    assert "Last-Modified" not in response
    assert "Accept-Language" in response["Vary"] and "Cookie" in response["Vary"]
    again = client.get(
        f"{FEED}?governorate=latakia-governorate", HTTP_IF_NONE_MATCH=response["ETag"]
    )
    assert again.status_code == 304
    incident = Incident.objects.get(public_id="SY-2025-0005")
    services.incident_retract(incident=incident, user=reviewer, reason="Wrong place.")
    changed = client.get(
        f"{FEED}?governorate=latakia-governorate", HTTP_IF_NONE_MATCH=response["ETag"]
    )
    assert changed.status_code == 200
    client.force_login(reviewer)
    assert client.get(FEED)["Cache-Control"] == "private, no-store"


def test_the_feed_speaks_arabic_to_arabic_readers(client, seeded):
    _, parsed = _feed(client, HTTP_ACCEPT_LANGUAGE="ar")
    incident = Incident.objects.get(public_id="SY-2025-0005")
    entry = next(e for e in parsed.entries if e.id.endswith("/SY-2025-0005/"))
    assert entry.title == f"SY-2025-0005: {incident.title_ar}"
    assert not parsed.feed.title.isascii()
    assert parsed.feed.get("language") == "ar"


def test_the_map_page_links_to_the_feed(client, seeded):
    page = client.get("/").content.decode()
    assert '<link rel="alternate" type="application/atom+xml"' in page
    assert f'href="{FEED}"' in page
    assert "data-feed-link" in page


def test_the_feed_costs_the_same_queries_whatever_the_number_of_entries(
    client, seeded, reviewer, source
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        # A new address each time: the answer is computed, not served from a validator.
        queries.n += 1
        with CaptureQueriesContext(connection) as captured:
            assert (
                client.get(f"{FEED}?killed_min=0&date_from=2000-01-0{queries.n}").status_code == 200
            )
        return len(captured)

    queries.n = 0
    few = queries()
    incident = Incident.objects.get(public_id="SY-2025-0003")
    services.incident_retract(incident=incident, user=reviewer, reason="Wrong date.")
    for n in range(5):
        new = services.incident_create(
            user=None,
            claims=[{"source": source, "killed_min": n, "killed_max": n, "quote": "Killed."}],
            **incident_fields(title=f"Incident {n}"),
        )
        services.incident_publish(incident=new, user=reviewer)
    assert queries() == few


def test_the_admin_says_the_retraction_reason_is_not_published(client, seeded, reviewer):
    incident = Incident.objects.get(public_id="SY-2025-0005")
    client.force_login(reviewer)
    page = client.get(f"/admin/incidents/incident/{incident.pk}/change/").content.decode()
    assert 'id="id_workflow_reason"' in page
    assert "the public feed says only that the incident was retracted" in page
    listing = client.get("/admin/incidents/incident/").content.decode()
    assert "kept in the history, not published" in listing
