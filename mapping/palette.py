"""The public map's colours and marker shapes, kept in ``palette.json`` beside this module.

One file serves the map's JavaScript (through the page's configuration) and the test that
checks the palette's contrast against the map's backgrounds and its colours' distances
under simulated colour-vision deficiencies, so what is checked is what is drawn. Colour is
never the only channel: each event type also has a shape.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

PALETTE_FILE = Path(__file__).resolve().parent / "palette.json"

SHAPES = ("circle", "square", "triangle", "triangle-down", "diamond", "star")


@cache
def palette() -> dict[str, Any]:
    """The palette as the map's configuration carries it (without the file's note)."""
    data = json.loads(PALETTE_FILE.read_text(encoding="utf-8"))
    data.pop("about", None)
    return data
