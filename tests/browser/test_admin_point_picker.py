"""The incident form's map: clicking, dragging and typing keep point and fields in sync."""

import pytest

pytestmark = pytest.mark.browser


def _log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", f"pw-{username}")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


def _marker_position(page):
    return page.evaluate(
        """() => {
            const marker = document.querySelector('[data-point-picker]').pointPicker.marker();
            if (!marker) return null;
            const p = marker.getLatLng();
            return [p.lat, p.lng];
        }"""
    )


def test_point_picker_follows_clicks_drags_and_typing(page, live_server, researcher, artifacts):
    _log_in(page, live_server, researcher.username)
    page.goto(f"{live_server.url}/admin/incidents/incident/add/")
    holder = page.locator("[data-point-picker]")
    holder.scroll_into_view_if_needed()
    page.wait_for_selector("[data-point-picker].leaflet-container")
    assert _marker_position(page) is None

    # Click on the map: the fields take the clicked point.
    box = holder.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2 + 60, box["y"] + box["height"] / 2 + 40)
    lat = float(page.input_value("#id_latitude"))
    lon = float(page.input_value("#id_longitude"))
    assert 33 < lat < 37.5 and 34 < lon < 38.5
    assert _marker_position(page) == pytest.approx([lat, lon], abs=1e-6)

    # Drag the marker: the fields follow.
    icon = page.locator(".leaflet-marker-icon").bounding_box()
    start_x, start_y = icon["x"] + icon["width"] / 2, icon["y"] + icon["height"] - 4
    page.mouse.move(start_x, start_y)
    page.mouse.down()
    page.mouse.move(start_x - 80, start_y - 50, steps=8)
    page.mouse.up()
    dragged_lat = float(page.input_value("#id_latitude"))
    dragged_lon = float(page.input_value("#id_longitude"))
    assert dragged_lat > lat and dragged_lon < lon
    assert _marker_position(page) == pytest.approx([dragged_lat, dragged_lon], abs=1e-6)

    # Type coordinates: the marker moves to them.
    page.fill("#id_latitude", "35.1744")
    page.fill("#id_longitude", "36.6975")
    assert _marker_position(page) == pytest.approx([35.1744, 36.6975], abs=1e-9)

    page.screenshot(path=str(artifacts / "admin-point-picker.png"), full_page=True)
    assert page.errors == []
