"""The episodes list and the episode page's table by monitor (issue: episodes)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse

from incidents import services
from incidents.models import Episode, EpisodeClaim, Incident, Source, SourceKind, Status

SLUG = "march-2025-coastal-violence"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _row(page: str, attribute: str, value: str) -> str:
    match = re.search(rf'<tr {attribute}="{re.escape(value)}">(.*?)</tr>', page, re.S)
    assert match, value
    return match.group(1)


def _cell(row: str, kind: str) -> str:
    match = re.search(rf'<td data-label="[^"]*" data-kind="{kind}">(.*?)</td>', row, re.S)
    assert match, kind
    return _text(match.group(1))


def test_the_header_links_to_the_episodes_list_on_every_page(client, seeded):
    for url in ["/", f"/episodes/{SLUG}/", "/incidents/SY-2025-0005/", "/episodes/"]:
        page = client.get(url).content.decode()
        nav = re.split(r'<nav [^>]*aria-label="Site">', page, maxsplit=1)[1].split("</nav>", 1)[0]
        assert 'href="/episodes/"' in nav, url


def test_episodes_list_counts_and_sums_published_incidents_only(
    client, seeded, django_assert_num_queries
):
    response = client.get(reverse("incidents:episode-list"))
    assert response.status_code == 200
    page = response.content.decode()
    published = Incident.objects.filter(episode__slug=SLUG, status=Status.PUBLISHED)
    assert Incident.objects.filter(episode__slug=SLUG).exclude(status=Status.PUBLISHED).exists()
    sums = published.aggregate(low=Sum("killed_low"), best=Sum("killed_best"))
    high = sum(
        (i.killed_high if i.killed_high is not None else i.killed_best) or 0 for i in published
    )
    row = _row(page, "data-episode", SLUG)
    assert f'href="/episodes/{SLUG}/"' in row
    assert "2025-03-06 – 2025-03-10" in row
    assert re.search(rf"data-count>{published.count()}<", row)
    # Three incidents have no upper bound: the summed high is a floor and says so.
    assert f"{sums['low']}–{sums['best']}–{high}+" in row
    assert "(incidents with no upper bound: 3; the high is a floor)" in row
    # A constant number of queries, whatever the number of episodes.
    for n in range(3):
        services.episode_create(
            user=None,
            slug=f"extra-{n}",
            title=f"Extra {n}",
            date_start=dt.date(2025, 1, 1),
            date_end=dt.date(2025, 1, 2),
        )
        services.episode_claim_add(
            episode=Episode.objects.get(slug=f"extra-{n}"),
            user=None,
            source=Source.objects.filter(confidential=False).first(),
            measure="All deaths",
            measure_kind="all_deaths",
            quote="A quote.",
            killed_min=n + 1,
            killed_max=n + 1,
        )
    from incidents.selectors import episode_list

    with django_assert_num_queries(2):
        rows = episode_list(user=None)
    assert len(rows) == 4
    assert {r.episode.slug: r.incident_count for r in rows}[f"extra-{1}"] == 0


def test_an_episode_known_only_from_drafts_or_confidential_sources_is_not_listed(
    client, seeded, reviewer
):
    hidden = services.episode_create(
        user=None,
        slug="hidden-episode",
        title="Hidden episode",
        date_start=dt.date(2025, 2, 1),
        date_end=dt.date(2025, 2, 2),
    )
    secret = services.source_create(
        user=None,
        slug="secret",
        headline="Secret testimony MARKER-SECRET",
        kind=SourceKind.WITNESS_TESTIMONY,
        confidential=True,
    )
    services.episode_claim_add(
        episode=hidden,
        user=None,
        source=secret,
        measure="Deaths MARKER-SECRET",
        measure_kind="all_deaths",
        quote="MARKER-SECRET said 999.",
        killed_min=999,
        killed_max=999,
    )
    # A confidential total of the public episode never reaches its page either.
    services.episode_claim_add(
        episode=Episode.objects.get(slug=SLUG),
        user=None,
        source=secret,
        measure="Civilians killed, 6–8 March",
        measure_kind="civilians",
        quote="MARKER-SECRET counted 999 civilians.",
        killed_min=999,
        killed_max=999,
        attributed_to="MARKER-SECRET monitor",
    )
    page = client.get(reverse("incidents:episode-list")).content.decode()
    assert "hidden-episode" not in page and "MARKER-SECRET" not in page
    detail = client.get(reverse("incidents:episode-detail", args=[SLUG])).content.decode()
    assert "MARKER-SECRET" not in detail and "999" not in detail
    assert client.get(reverse("incidents:episode-detail", args=["hidden-episode"])).status_code == (
        404
    )


def test_episode_page_puts_each_monitors_figures_for_a_measure_side_by_side(client, seeded):
    page = client.get(reverse("incidents:episode-detail", args=[SLUG])).content.decode()
    table = page.split("data-monitor-table", 1)[1].split("</table>", 1)[0]
    headers = re.findall(r'<th scope="col" data-kind="(\w+)">', table)
    assert headers == ["all_deaths", "civilians", "security_forces", "executions", "other"]
    rows = re.findall(r'<tr data-monitor="([^"]+)">', table)
    # The monitor reporting the most kinds of measure first; a count whose author the
    # source does not name is a row of its own.
    assert rows == [
        "Syrian Network for Human Rights (SNHR)",
        "Syrian Observatory for Human Rights (SOHR)",
        "Other estimates (not named)",
    ]
    snhr = _row(table, "data-monitor", rows[0])
    sohr = _row(table, "data-monitor", rows[1])
    others = _row(table, "data-monitor", rows[2])
    # Civilians: SNHR's 211 (Assad loyalists, four days) beside SOHR's 745 and about 750
    # (all parties, 6–8 March), each with what it counts and the dates it covers.
    assert "211 Civilians killed by Assad loyalists, four days" in _cell(snhr, "civilians")
    assert "2025-03-06 – 2025-03-09" in _cell(snhr, "civilians")
    sohr_civilians = _cell(sohr, "civilians")
    assert "745 Civilians killed, 6–8 March" in sohr_civilians
    assert "about 750 Civilians killed, 6–8 March" in sohr_civilians
    assert "Dates covered: dates not stated" in sohr_civilians  # the 428 Alawite civilians
    # The breakdown of a total: SOHR's 125 security forces, once although two articles
    # report it.
    sohr_security = _cell(sohr, "security_forces")
    assert sohr_security.count("125") == 1
    assert "in the breakdown of “Civilians killed, 6–8 March”" in sohr_security
    assert "172 Security forces killed by Assad loyalists" in _cell(snhr, "security_forces")
    assert "at least 134" in _cell(others, "executions")
    assert "not reported" in _cell(sohr, "executions")
    # Plain words on what may be compared: SNHR's and the other estimates' executions count
    # the same thing over the same day; the monitors' civilians do not.
    notes = page.split("data-comparisons", 1)[1].split("</ul>", 1)[0]
    executions = _text(re.search(r'<li data-kind="executions">(.*?)</li>', notes, re.S)[1])
    assert "count the same measure" in executions and "can be compared" in executions
    civilians = _text(re.search(r'<li data-kind="civilians">(.*?)</li>', notes, re.S)[1])
    assert "cannot be compared" in civilians
    assert "SNHR" in civilians and "SOHR" in civilians
    # The link to the map carries the episode.
    assert f'href="/?episode={SLUG}"' in page


def test_episode_pages_in_arabic_are_right_to_left(client, seeded):
    listing = client.get(reverse("incidents:episode-list"), HTTP_ACCEPT_LANGUAGE="ar")
    page = listing.content.decode()
    assert '<html lang="ar" dir="rtl">' in page
    assert "<h1>الأحداث الأوسع</h1>" in page
    assert "أحداث العنف في الساحل السوري، آذار 2025" in page
    detail = client.get(
        reverse("incidents:episode-detail", args=[SLUG]), HTTP_ACCEPT_LANGUAGE="ar"
    ).content.decode()
    assert "مجاميع المراصد جنباً إلى جنب" in detail
    assert 'data-label="مدنيون"' in detail


def test_the_dates_a_total_covers_are_ordered_in_the_database_and_in_the_form(seeded):
    claim = EpisodeClaim.objects.filter(episode__slug=SLUG).first()
    claim.covers_from, claim.covers_to = dt.date(2025, 3, 8), dt.date(2025, 3, 6)
    with pytest.raises(ValidationError) as error:
        claim.full_clean()
    assert "covers_to" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        EpisodeClaim.objects.filter(pk=claim.pk).update(
            covers_from=dt.date(2025, 3, 8), covers_to=dt.date(2025, 3, 6)
        )
    with pytest.raises(ValidationError) as error:
        EpisodeClaim(
            episode=claim.episode, source=claim.source, measure="x", quote="q", measure_kind="nope"
        ).full_clean()
    assert "measure_kind" in error.value.message_dict


def test_the_episodes_list_is_cached_like_the_other_public_pages(client, seeded, reviewer):
    first = client.get(reverse("incidents:episode-list"))
    assert first["Cache-Control"] == "public, max-age=5"
    again = client.get(reverse("incidents:episode-list"), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    # A publication changes the counts: the old validator no longer matches.
    incident = Incident.objects.filter(episode__slug=SLUG, status=Status.IN_REVIEW).first()
    if incident is None:
        incident = Incident.objects.get(public_id="SY-2025-0005")
        services.incident_retract(incident=incident, user=reviewer, reason="Test.")
    else:
        services.incident_publish(incident=incident, user=reviewer)
    after = client.get(reverse("incidents:episode-list"), HTTP_IF_NONE_MATCH=first["ETag"])
    assert after.status_code == 200
    count = Incident.objects.filter(episode__slug=SLUG, status=Status.PUBLISHED).count()
    assert re.search(rf"data-count>{count}<", after.content.decode())
