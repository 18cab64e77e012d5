"""The map's palette (mapping/palette.json) is legible and tells its colours apart.

Contrast is WCAG 2's ratio of relative luminances; colour-vision deficiencies are
simulated with Machado, Oliveira and Fernandes' (2009) matrices at full severity, in linear
RGB; distances are CIEDE2000 in CIELAB (D65). The map page passes the same file to its
JavaScript, so what is checked here is what is drawn.
"""

from __future__ import annotations

import itertools
import json
import math
import re

import pytest

from incidents import vocabulary
from mapping.palette import SHAPES, palette

# Non-text marks need 3:1 against what surrounds them (WCAG 2.1, 1.4.11).
MIN_CONTRAST = 3.0
# Apart by this much under normal vision, deuteranopia and protanopia.
MIN_EVENT_DISTANCE = 10.0
# The "no perpetrator" grey, told from the perpetrators' colours by lightness.
MIN_GREY_DISTANCE = 7.5

MACHADO = {
    "deuteranopia": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
    "protanopia": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
}
VISIONS = ("normal", *MACHADO)


def _rgb(colour: str) -> tuple[float, float, float]:
    value = colour.lstrip("#")
    return tuple(int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def _linear(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _encoded(c: float) -> float:
    c = min(1.0, max(0.0, c))
    return 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055


def luminance(colour: str) -> float:
    r, g, b = (_linear(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def simulated(colour: str, vision: str) -> tuple[float, float, float]:
    rgb = _rgb(colour)
    if vision == "normal":
        return rgb
    linear = [_linear(c) for c in rgb]
    return tuple(  # type: ignore[return-value]
        _encoded(sum(row[j] * linear[j] for j in range(3))) for row in MACHADO[vision]
    )


def lab(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    r, g, b = (_linear(c) for c in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def ciede2000(first: tuple[float, ...], second: tuple[float, ...]) -> float:
    l1, a1, b1 = first
    l2, a2, b2 = second
    c_mean = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_mean**7 / (c_mean**7 + 25**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1 = math.degrees(math.atan2(b1, a1p)) % 360
    h2 = math.degrees(math.atan2(b2, a2p)) % 360
    dl, dc = l2 - l1, c2p - c1p
    dh = 0.0
    if c1p * c2p:
        dh = h2 - h1
        dh = dh - 360 if dh > 180 else dh + 360 if dh < -180 else dh
    d_hue = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dh / 2))
    l_mean, cp_mean = (l1 + l2) / 2, (c1p + c2p) / 2
    if not c1p * c2p:
        h_mean = h1 + h2
    elif abs(h1 - h2) <= 180:
        h_mean = (h1 + h2) / 2
    else:
        h_mean = (h1 + h2 + 360) / 2 if h1 + h2 < 360 else (h1 + h2 - 360) / 2
    t = (
        1
        - 0.17 * math.cos(math.radians(h_mean - 30))
        + 0.24 * math.cos(math.radians(2 * h_mean))
        + 0.32 * math.cos(math.radians(3 * h_mean + 6))
        - 0.20 * math.cos(math.radians(4 * h_mean - 63))
    )
    rotation = 30 * math.exp(-(((h_mean - 275) / 25) ** 2))
    rc = 2 * math.sqrt(cp_mean**7 / (cp_mean**7 + 25**7))
    sl = 1 + 0.015 * (l_mean - 50) ** 2 / math.sqrt(20 + (l_mean - 50) ** 2)
    sc = 1 + 0.045 * cp_mean
    sh = 1 + 0.015 * cp_mean * t
    rt = -math.sin(math.radians(2 * rotation)) * rc
    return math.sqrt(
        (dl / sl) ** 2 + (dc / sc) ** 2 + (d_hue / sh) ** 2 + rt * (dc / sc) * (d_hue / sh)
    )


def distance(a: str, b: str, vision: str) -> float:
    return ciede2000(lab(simulated(a, vision)), lab(simulated(b, vision)))


def test_the_colour_maths_reproduce_known_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    # Sharma, Wu and Dalal's CIEDE2000 test data, pair 1.
    assert ciede2000((50, 2.6772, -79.7751), (50, 0, -82.7485)) == pytest.approx(2.0425, abs=1e-4)
    # Red and green, far apart to most readers, are close to a deuteranope.
    assert distance("#d62728", "#2ca02c", "normal") > 50
    assert distance("#d62728", "#2ca02c", "deuteranopia") < 15
    # The colours the issue names fail against the map's land.
    for old in ("#b8860b", "#17a2b8", "#9e9e9e"):
        assert contrast(old, palette()["backgrounds"]["built-up"]) < MIN_CONTRAST


def _all_colours() -> set[str]:
    data = palette()
    return {
        *(style["colour"] for style in data["event_types"].values()),
        *data["perpetrators"],
        data["several_perpetrators"],
        data["no_perpetrator"],
        data["cell"],
    }


@pytest.mark.parametrize("background", sorted(palette()["backgrounds"]))
def test_every_colour_stands_out_from_the_map_background(background):
    ground = palette()["backgrounds"][background]
    weak = {c: round(contrast(c, ground), 2) for c in _all_colours() if contrast(c, ground) < 3}
    assert weak == {}


def test_every_event_type_has_a_colour_and_shape_pair_of_its_own():
    styles = palette()["event_types"]
    assert set(styles) == set(vocabulary.EVENT_TYPES)
    assert {style["shape"] for style in styles.values()} <= set(SHAPES)
    pairs = [(style["colour"], style["shape"]) for style in styles.values()]
    assert len(set(pairs)) == len(pairs)
    # Shapes are a channel of their own: every shape the palette has is used.
    assert {style["shape"] for style in styles.values()} == set(SHAPES)


@pytest.mark.parametrize("vision", VISIONS)
def test_event_type_colours_are_apart_under_colour_vision_deficiencies(vision):
    colours = sorted({style["colour"] for style in palette()["event_types"].values()})
    close = [
        (a, b, round(distance(a, b, vision), 1))
        for a, b in itertools.combinations(colours, 2)
        if distance(a, b, vision) < MIN_EVENT_DISTANCE
    ]
    assert close == []


@pytest.mark.parametrize("vision", VISIONS)
def test_perpetrator_colours_are_apart_under_colour_vision_deficiencies(vision):
    data = palette()
    named = [*data["perpetrators"], data["several_perpetrators"]]
    close = [
        (a, b, round(distance(a, b, vision), 1))
        for a, b in itertools.combinations(named, 2)
        if distance(a, b, vision) < MIN_EVENT_DISTANCE
    ]
    assert close == []
    grey = data["no_perpetrator"]
    assert min(distance(grey, c, vision) for c in named) >= MIN_GREY_DISTANCE


def test_the_map_page_carries_the_palette_the_tests_check(client, db):
    html = client.get("/").content.decode()
    found = re.search(r'<script id="map-config" type="application/json">(.*?)</script>', html)
    assert found is not None
    assert json.loads(found.group(1))["palette"] == palette()
