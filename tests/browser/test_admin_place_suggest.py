"""The incident form's place suggestions: type a spelling, choose, and the location is set."""

import pytest

from mapping.models import Place

pytestmark = pytest.mark.browser


def test_choosing_a_suggested_place_sets_point_precision_and_admin_areas(
    page, live_server, researcher, gazetteer_loaded, artifacts
):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", researcher.username)
    page.fill("#id_password", f"pw-{researcher.username}")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    page.goto(f"{live_server.url}/admin/incidents/incident/add/")

    page.locator("#id_place_name").press_sequentially("Mukhtariyya", delay=20)
    first = page.locator(".place-suggest-list [role=option]").first
    first.wait_for()
    assert "Al-Mukhtariya" in first.inner_text()
    assert "المختارية" in first.inner_text()
    assert "Latakia Governorate" in first.inner_text()
    page.screenshot(path=str(artifacts / "admin-place-suggest.png"), full_page=False)
    first.click()

    village = Place.objects.get(slug="al-mukhtariyah")
    assert float(page.input_value("#id_latitude")) == pytest.approx(village.latitude)
    assert float(page.input_value("#id_longitude")) == pytest.approx(village.longitude)
    assert page.input_value("#id_location_precision") == village.coordinate_precision
    assert page.input_value("#id_place") == str(village.pk)
    governorate = Place.objects.get(slug="latakia-governorate")
    assert page.input_value("#id_governorate") == str(governorate.pk)
    assert page.input_value("#id_district") == str(Place.objects.get(slug="al-haffah-district").pk)
    # The point picker's marker followed the fields.
    marker = page.evaluate(
        """() => {
            const m = document.querySelector('[data-point-picker]').pointPicker.marker();
            return m ? [m.getLatLng().lat, m.getLatLng().lng] : null;
        }"""
    )
    assert marker == pytest.approx([village.latitude, village.longitude], abs=1e-6)
    assert page.locator(".place-suggest-list").is_hidden()
    assert page.errors == []
