"""Geocoding through geopy: the gazetteer as a geocoder, and an online provider that fails.

The online provider is a real HTTP server on 127.0.0.1 speaking Nominatim's protocol:
it answers with results, with 500 errors, or too slowly. geopy is not mocked.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from geopy.geocoders.base import Geocoder
from geopy.location import Location

from mapping import geocoding
from mapping.geocoding import GazetteerGeocoder, geocode

# Far beyond what three tries at the timeout take, so that a busy machine cannot blur the two.
SLOW_SECONDS = 3.0
TIMEOUT_SECONDS = 0.3


class _Nominatim(BaseHTTPRequestHandler):
    mode = "ok"
    requests: list[str] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        if self.mode == "error":
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"Internal Server Error")
            return
        if self.mode == "slow":
            time.sleep(SLOW_SECONDS)
        body = json.dumps(
            [
                {
                    "place_id": 1,
                    "lat": "35.36211",
                    "lon": "35.92759",
                    "display_name": "Jableh, Latakia Governorate, Syria",
                    "class": "place",
                    "type": "city",
                }
            ]
        ).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first: that is the point of the slow mode

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def nominatim(settings: Any) -> Iterator[type[_Nominatim]]:
    handler = type("Handler", (_Nominatim,), {"mode": "ok", "requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.GEOCODING = {
        "PROVIDER": "nominatim",
        "TIMEOUT": TIMEOUT_SECONDS,
        "MIN_DELAY_SECONDS": 0,
        "USER_AGENT": "incident-map/0.1 (+tests)",
        "DOMAIN": f"127.0.0.1:{server.server_address[1]}",
        "SCHEME": "http",
        "CACHE_SIZE": 16,
    }
    geocoding.clear_cache()
    yield handler
    server.shutdown()
    server.server_close()
    geocoding.clear_cache()


def test_the_gazetteer_is_a_geopy_geocoder(gazetteer_loaded):
    geocoder = GazetteerGeocoder()
    assert isinstance(geocoder, Geocoder)
    location = geocoder.geocode("Mukhtariyya")
    assert isinstance(location, Location)
    assert location.raw["place"].slug == "al-mukhtariyah"
    assert location.raw["governorate"].slug == "latakia-governorate"
    assert (location.latitude, location.longitude) == (35.59824, 36.03006)
    assert "Latakia Governorate" in location.address
    several = geocoder.geocode("Latakia", exactly_one=False, limit=3)
    assert [loc.raw["place"].kind for loc in several] == ["city", "governorate", "district"]
    assert geocoder.geocode("Xyzzyville") is None


def test_the_gazetteer_reverse_geocodes_to_district_and_governorate(gazetteer_loaded):
    location = GazetteerGeocoder().reverse("35.1744, 36.6975")
    assert location.raw["governorate"].slug == "hama-governorate"
    assert location.address.endswith("Hama Governorate, Syria")
    assert GazetteerGeocoder().reverse((33.8938, 35.5018)) is None  # Beirut


def test_offline_by_default_the_gazetteer_answers_without_warning(gazetteer_loaded, settings):
    assert settings.GEOCODING["PROVIDER"] is None
    answer = geocode("Banias")
    assert (answer.provider, answer.place.slug, answer.warnings) == ("gazetteer", "baniyas", [])


def test_the_online_provider_answers_when_it_works(gazetteer_loaded, nominatim):
    answer = geocode("Jableh")
    assert answer.provider == "nominatim" and answer.warnings == []
    assert answer.location.latitude == pytest.approx(35.36211)
    assert "countrycodes=sy" in nominatim.requests[0]
    geocode("Jableh")  # from the cache
    assert len(nominatim.requests) == 1


def test_a_failing_online_provider_falls_back_to_the_gazetteer_with_a_warning(
    gazetteer_loaded, nominatim
):
    nominatim.mode = "error"
    answer = geocode("Mukhtariyya")
    assert nominatim.requests, "the online provider was asked"
    assert answer.provider == "gazetteer"
    assert answer.place.slug == "al-mukhtariyah"
    assert len(answer.warnings) == 1 and "offline gazetteer" in answer.warnings[0]


def test_a_slow_online_provider_times_out_and_the_gazetteer_answers(gazetteer_loaded, nominatim):
    nominatim.mode = "slow"
    started = time.monotonic()
    answer = geocode("Baniyas")
    assert time.monotonic() - started < SLOW_SECONDS
    assert answer.provider == "gazetteer" and answer.place.slug == "baniyas"
    # geopy reports a read timeout as GeocoderTimedOut, or as GeocoderUnavailable when
    # urllib3's retry wraps it; either way the user is told the provider did not answer.
    assert "did not answer" in answer.warnings[0]
    assert "GeocoderTimedOut" in answer.warnings[0] or "GeocoderUnavailable" in answer.warnings[0]


def test_an_unknown_name_with_a_failing_provider_is_not_found(gazetteer_loaded, nominatim):
    nominatim.mode = "error"
    answer = geocode("Xyzzyville")
    assert not answer.found and answer.place is None
    assert answer.candidates and answer.warnings
