"""The researcher's desk in Chromium: the workflow buttons and the review queue, pages that
fit a 1,400 px screen, the point picker's outlines, and the clicks it takes a new user to
enter, submit, review and publish one report.

Clicks are counted by the helper :class:`Clicks`: every click on a link, button, radio or
check box, and every choice in a drop-down list, is one click. Typing (and moving between
fields with the keyboard) is not a click. Logging in is not counted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from incidents import services
from incidents.models import Incident, Status
from mapping.models import Place

pytestmark = pytest.mark.browser

WIDTH = 1400
REPORT = (
    "On 12 March 2025 at least 7 civilians were killed in shelling of Kafr Nabl, according to SNHR"
)
TILES = "**/tile.openstreetmap.org/**"


@pytest.fixture
def new_page(browser: Any, live_server: Any) -> Iterator[Any]:
    """Makes pages at 1,400 px in contexts of their own (one per user), all closed before
    the live server stops, so that no request of theirs outlives the test."""
    contexts: list[Any] = []

    def make() -> Any:
        context = browser.new_context(viewport={"width": WIDTH, "height": 1000})
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.console_errors = []
        page.on(
            "console",
            lambda message: (
                message.type == "error"
                and "tile.openstreetmap.org" not in (message.location or {}).get("url", "")
                and page.console_errors.append(message.text)
            ),
        )
        page.route(TILES, lambda route: route.abort())
        return page

    yield make
    for context in contexts:
        context.close()


def _log_in(page: Any, live_server: Any, user: Any) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", f"pw-{user.username}")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


def _fits(page: Any) -> None:
    """Nothing scrolls sideways: neither the page nor a box inside it (the admin puts the
    incident list in a box that scrolls on its own)."""
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths
    boxes = page.evaluate(
        """() => [...document.querySelectorAll('#content *')]
            .filter(e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX))
            .filter(e => e.scrollWidth > e.clientWidth + 1)
            .map(e => e.className || e.tagName)"""
    )
    assert boxes == []


class Clicks:
    def __init__(self) -> None:
        self.count = 0
        self.steps: list[str] = []

    def click(self, locator: Any, what: str) -> None:
        self.count += 1
        self.steps.append(what)
        locator.click()

    def choose(self, locator: Any, label: str, what: str) -> None:
        self.count += 1
        self.steps.append(what)
        locator.select_option(label=label)


def test_kafr_nabl_is_in_the_gazetteer(gazetteer_loaded):
    place = Place.objects.get(slug="kafranbel")
    assert place.name_ar == "كفر نبل"


def test_a_new_user_enters_submits_reviews_and_publishes_in_eight_clicks(
    new_page, live_server, researcher, reviewer, gazetteer_loaded, artifacts
):
    clicks = Clicks()
    # The researcher: the article-drafting page, then the submit button.
    page = new_page()
    _log_in(page, live_server, researcher)
    clicks.click(page.locator("#drafting-module a", has_text="Draft incidents"), "draft page")
    page.fill("#id_text", REPORT)
    page.fill("#id_headline", "Civilians killed in shelling of Kafr Nabl")
    page.fill("#id_publisher", "SNHR")
    page.fill("#id_publication_date", "2025-03-13")
    clicks.click(page.locator("input[type=submit][value='Propose incidents']"), "propose")
    assert page.locator("#id_proposal-0-decision_0").is_checked()  # a new draft
    clicks.click(page.locator("input[type=submit][value*='Save']"), "save the proposal")
    clicks.click(page.locator("#content-main li a", has_text="Kafranbel"), "open the draft")
    clicks.click(page.locator("#incident-workflow button[value=submit]"), "submit")
    page.locator(".messagelist .success").wait_for()
    incident = Incident.objects.get()
    assert incident.status == Status.IN_REVIEW
    assert (incident.killed_low, incident.date_end) == (7, incident.date_start)

    # The reviewer: the review queue, the incident, the publish button.
    page = new_page()
    _log_in(page, live_server, reviewer)
    clicks.click(page.locator("#drafting-module a", has_text="Review queue"), "review queue")
    clicks.click(page.locator("#review-queue a", has_text=incident.public_id), "open it")
    clicks.click(page.locator("#incident-workflow button[value=publish]"), "publish")
    page.locator(".messagelist .success").wait_for()
    page.screenshot(path=str(artifacts / "admin-published.png"), full_page=True)
    assert Incident.objects.get().status == Status.PUBLISHED
    assert page.errors == [] and page.console_errors == []
    print(f"clicks after login: {clicks.count}: {', '.join(clicks.steps)}")
    assert clicks.count <= 8, clicks.steps


def _kafranbel_draft(user: Any, source: Any, **fields: Any) -> Incident:
    place = Place.objects.get(slug="kafranbel")
    fields.setdefault("title", "Shelling of Kafr Nabl")
    return services.incident_create(
        user=user,
        event_type="shelling",
        date_start=dt.date(2025, 3, 12),
        place=place,
        place_name="Kafr Nabl",
        latitude=place.latitude,
        longitude=place.longitude,
        claims=[{"source": source, "killed_min": 7, "quote": REPORT}],
        **fields,
    )


def _buttons(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "#incident-workflow button[name=step]", "buttons => buttons.map(b => b.value)"
    )


def test_workflow_buttons_follow_role_and_state(
    new_page, live_server, researcher, reviewer, gazetteer_loaded, source, artifacts
):
    incident = _kafranbel_draft(researcher, source)
    url = f"{live_server.url}/admin/incidents/incident/{incident.pk}/change/"

    page = new_page()
    _log_in(page, live_server, researcher)
    page.goto(url)
    assert _buttons(page) == ["submit"]
    _fits(page)
    page.click("#incident-workflow button[value=submit]")
    page.locator(".messagelist .success").wait_for()
    assert _buttons(page) == ["return_to_draft"]  # a researcher cannot publish

    page = new_page()
    _log_in(page, live_server, reviewer)
    page.goto(url)
    assert _buttons(page) == ["return_to_draft", "publish"]
    page.click("#incident-workflow button[value=publish]")
    page.locator(".messagelist .success").wait_for()
    assert _buttons(page) == ["retract"]
    # The retraction reason box stands beside its button; without a reason nothing happens.
    page.click("#incident-workflow button[value=retract]")
    page.locator(".messagelist .error").wait_for()
    assert "Say why" in page.inner_text(".messagelist")
    assert Incident.objects.get(pk=incident.pk).status == Status.PUBLISHED
    page.fill("#id_workflow_reason", "The shelling was of Kafr Sajna, not Kafr Nabl.")
    page.screenshot(path=str(artifacts / "admin-workflow-retract.png"), full_page=False)
    page.click("#incident-workflow button[value=retract]")
    page.locator(".messagelist .success").wait_for()
    incident.refresh_from_db()
    assert incident.status == Status.RETRACTED
    assert incident.retraction_reason == "The shelling was of Kafr Sajna, not Kafr Nabl."
    assert page.errors == [] and page.console_errors == []


def test_a_stale_page_says_someone_else_changed_the_incident(
    new_page, live_server, researcher, reviewer, gazetteer_loaded, source
):
    incident = _kafranbel_draft(researcher, source)
    page = new_page()
    _log_in(page, live_server, reviewer)
    page.goto(f"{live_server.url}/admin/incidents/incident/{incident.pk}/change/")
    services.incident_submit_for_review(incident=incident, user=researcher)  # meanwhile
    page.click("#incident-workflow button[value=publish]")
    page.locator(".messagelist .error").wait_for()
    assert "was changed by someone else since you opened it" in page.inner_text(".messagelist")
    assert Incident.objects.get(pk=incident.pk).status == Status.IN_REVIEW


def test_the_review_queue_fits_and_shows_what_changed(
    new_page, live_server, researcher, reviewer, gazetteer_loaded, source, artifacts
):
    incident = _kafranbel_draft(researcher, source)
    services.incident_publish(incident=incident, user=reviewer)
    services.incident_retract(incident=incident, user=reviewer, reason="To check the figure")
    services.incident_return_to_draft(incident=incident, user=reviewer)
    incident.refresh_from_db()
    services.claim_update(claim=incident.claims.get(), user=researcher, killed_min=9)
    incident.refresh_from_db()
    services.incident_submit_for_review(incident=incident, user=researcher)
    _kafranbel_draft(researcher, source, title="Another shelling of Kafr Nabl")
    newer = Incident.objects.get(title="Another shelling of Kafr Nabl")
    services.incident_submit_for_review(incident=newer, user=researcher)

    page = new_page()
    _log_in(page, live_server, reviewer)
    page.click("#drafting-module a:has-text('Review queue')")
    page.wait_for_selector("#review-queue")
    rows = page.locator("#review-queue tbody tr")
    assert rows.count() == 2
    assert incident.public_id in rows.nth(0).inner_text()  # waiting longest
    assert "by rita" in rows.nth(0).inner_text()
    assert "Killed min: 7 → 9" in rows.nth(0).inner_text()
    assert "Never published" in rows.nth(1).inner_text()
    page.screenshot(path=str(artifacts / "admin-review-queue.png"), full_page=True)
    _fits(page)


def test_the_incident_list_fits_a_1400_pixel_screen(
    new_page, live_server, reviewer, seeded, artifacts
):
    page = new_page()
    _log_in(page, live_server, reviewer)
    page.goto(f"{live_server.url}/admin/incidents/incident/")
    assert page.locator("#result_list tbody tr").count() >= 10
    page.screenshot(path=str(artifacts / "admin-incident-list.png"), full_page=False)
    _fits(page)


def test_the_drafting_page_fits_and_defaults_to_the_incident_found(
    new_page, live_server, researcher, seeded, source, artifacts
):
    already = _kafranbel_draft(researcher, source)
    page = new_page()
    _log_in(page, live_server, researcher)
    page.goto(f"{live_server.url}/admin/incidents/incident/draft-from-article/")
    page.fill(
        "#id_text", REPORT + ".\nAt least 40 civilians were killed in Baniyas on 7 March 2025."
    )
    page.fill("#id_headline", "Civilians killed")
    page.fill("#id_publication_date", "2025-03-13")
    page.click("input[type=submit][value='Propose incidents']")
    page.screenshot(path=str(artifacts / "admin-drafting-1400.png"), full_page=True)
    _fits(page)
    # Every field keeps to its own cell: none runs over its neighbour or the proposal.
    overlaps = page.evaluate(
        """() => [...document.querySelectorAll('.drafting-grid')].flatMap(grid => {
            const box = grid.getBoundingClientRect();
            return [...grid.children].flatMap(cell => {
                const c = cell.getBoundingClientRect();
                return [...cell.querySelectorAll('input, select, textarea')]
                    .filter(f => { const r = f.getBoundingClientRect();
                        return r.right > c.right + 1 || r.right > box.right + 1; })
                    .map(f => f.name);
            });
        })"""
    )
    assert overlaps == []
    # Kafr Nabl is recorded already (a draft the researcher may add to): add the claim to it.
    kafr_nabl = page.locator(".drafting-proposal", has_text="Kafr Nabl")
    assert kafr_nabl.locator("input[value=claim]").is_checked()
    assert kafr_nabl.locator("select[name$=existing]").input_value() == str(already.pk)
    # Baniyas is recorded too, published: only a reviewer may add to it, so not a new draft.
    baniyas = page.locator(".drafting-proposal", has_text="Baniyas")
    assert baniyas.locator("input[value=drop]").is_checked()


def test_the_point_picker_draws_the_governorates_when_tiles_fail(
    new_page, live_server, researcher, gazetteer_loaded, artifacts
):
    page = new_page()
    _log_in(page, live_server, researcher)
    page.goto(f"{live_server.url}/admin/incidents/incident/add/")
    picker = page.locator("[data-point-picker]")
    picker.scroll_into_view_if_needed()
    page.wait_for_selector("[data-point-picker][data-outlines=drawn]")
    outlines = picker.locator(".leaflet-overlay-pane path")
    assert outlines.count() >= 14  # Syria's governorates, drawn without a single tile
    assert picker.locator(".leaflet-tile-loaded").count() == 0
    picker.screenshot(path=str(artifacts / "admin-point-picker-outlines.png"))
    # A click still sets the point through the outlines.
    box = picker.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert page.input_value("#id_latitude") != ""
    _fits(page)
    assert page.errors == [] and page.console_errors == []
