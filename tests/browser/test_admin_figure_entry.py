"""The claim form's guided figure entry: "at least 7" typed as the source states it fills the
minimum and maximum by the kind's rule, and the incident is recorded as 7 or more."""

import pytest

from incidents import services
from incidents.models import Claim

from ..conftest import incident_fields

pytestmark = pytest.mark.browser


def test_entering_at_least_7_through_the_admin_claim_form(
    page, live_server, researcher, source, artifacts
):
    incident = services.incident_create(
        user=researcher, **incident_fields(title="Shelling of Kafr Nabl")
    )
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", researcher.username)
    page.fill("#id_password", f"pw-{researcher.username}")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    page.goto(f"{live_server.url}/admin/incidents/incident/{incident.pk}/change/")

    page.get_by_text("Add another Claim").click()
    row = page.locator("#claims-0")
    row.locator(".field-source .select2-selection").click()
    page.locator(".select2-search__field").fill("Monthly")
    page.locator(".select2-results__option", has_text="Monthly report").click()
    page.fill("#id_claims-0-attributed_to", "SNHR")
    page.fill("#id_claims-0-quote", "At least 7 civilians were killed in shelling of Kafr Nabl.")

    # Every kind's rule is beside the choice; choosing one marks it.
    rules = row.locator("[data-figure-rules] [data-rule]")
    assert rules.count() == 7
    page.select_option("#id_claims-0-figure_kind", "at_least")
    chosen = row.locator(".figure-kind-rule.is-selected")
    assert chosen.get_attribute("data-rule") == "at_least"
    assert "no maximum" in chosen.inner_text()
    assert page.locator("#id_claims-0-figure_to").is_disabled()

    page.locator("#id_claims-0-figure").press_sequentially("7", delay=20)
    # The minimum and maximum follow the rule, filled as the figure is typed.
    page.wait_for_function("() => document.getElementById('id_claims-0-killed_min').value === '7'")
    assert page.input_value("#id_claims-0-killed_max") == ""
    assert page.locator("#id_claims-0-killed_min").evaluate("input => input.readOnly")
    page.screenshot(path=str(artifacts / "admin-figure-entry.png"), full_page=False)

    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")

    claim = Claim.objects.get(incident=incident)
    assert (claim.figure_kind, claim.killed_min, claim.killed_max) == ("at_least", 7, None)
    incident.refresh_from_db()
    assert (incident.killed_low, incident.killed_best, incident.killed_high) == (7, 7, None)
    assert incident.killed_high_open
    # The form shows the figure as the source stated it, and the open bound.
    assert page.input_value("#id_claims-0-figure") == "7"
    assert page.locator("#id_killed_high_open").is_checked()
    assert page.errors == [] and page.console_errors == []
