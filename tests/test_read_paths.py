"""The shortcuts of the public reads answer exactly what the longer ways did: the map's
cells from the per-cell sums read with plain statements (``tests/map_reference`` keeps the
ORM's way), a map answer kept rendered, and list pages joined from kept documents as bytes;
on the seed and on generated data, for anonymous and signed-in readers."""

from __future__ import annotations

import orjson
import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import selectors
from incidents.models import PublishedMapCell
from incidents.readmodel import answers
from mapping.aggregation import View, aggregate
from tests import map_reference

MAP = "/api/v1/map/"
COUNTRY = (35.5, 32.3, 42.5, 37.4)
# The whole country, a governorate's worth around Latakia and Baniyas, a town, and a view
# with nothing in it.
VIEWS = [COUNTRY, (35.6, 34.9, 36.4, 35.9), (35.9, 35.15, 35.98, 35.22), (40.0, 33.0, 40.1, 33.1)]


@pytest.fixture
def generated(transactional_db, reviewer) -> None:
    from bench.generate import generate

    generate(300, seed=5, batch=100)


def _by_bounds(answer: dict) -> dict:
    return {**answer, "cells": sorted(answer["cells"], key=lambda cell: cell["bounds"])}


def _same_cells_as_the_orm(settings) -> int:
    incidents = selectors.incident_queryset(user=None)
    cells = 0
    for most in (1, 5, 1000):
        settings.INCIDENT_MAP = {**settings.INCIDENT_MAP, "MAP_MAX_POINTS": most}
        for bbox in VIEWS:
            for zoom in (0, 5, 8, 10, 12, 14, 20):
                view = View(*bbox, zoom=zoom)
                now = aggregate(incidents, view, summary=PublishedMapCell)
                before = map_reference.aggregate_from_sums(
                    incidents, view, PublishedMapCell.objects.all()
                )
                assert _by_bounds(now) == _by_bounds(before), (most, bbox, zoom)
                # the same types too (a count is an int, a mean a float), as JSON shows them
                assert orjson.dumps(_by_bounds(now)) == orjson.dumps(_by_bounds(before))
                cells += len(now["cells"])
    return cells


def test_cells_from_the_sums_are_what_the_orm_built_on_the_seed(seeded, settings):
    assert _same_cells_as_the_orm(settings) > 0


def test_cells_from_the_sums_are_what_the_orm_built_on_generated_data(generated, settings):
    assert _same_cells_as_the_orm(settings) > 50


def test_a_cell_of_incidents_at_one_point_is_still_found(generated, settings):
    """Many generated incidents stand at their town's centre: at a town's zoom their finest
    cell is drawn as one whose incidents zooming in cannot separate."""
    settings.INCIDENT_MAP = {**settings.INCIDENT_MAP, "MAP_MAX_POINTS": 1}
    incidents = selectors.incident_queryset(user=None)
    single = [
        cell
        for bbox in VIEWS
        for zoom in (12, 14, 20)
        for cell in aggregate(incidents, View(*bbox, zoom=zoom), summary=PublishedMapCell)["cells"]
        if cell["single_point"]
    ]
    assert single


@pytest.mark.parametrize("layout", ["full", "compact"])
def test_a_kept_map_answer_is_the_answer_computed_afresh(client, seeded, settings, layout):
    settings.INCIDENT_MAP = {**settings.INCIDENT_MAP, "MAP_MAX_POINTS": 3}
    for zoom in (5, 9, 14):
        params = {"zoom": zoom, "bbox": ",".join(map(str, COUNTRY)), "layout": layout}
        caches["answers"].clear()
        first = client.get(MAP, params)
        # kept as its rendered bytes, which a later reader gets without a query
        parts = answers.query_parts(first.wsgi_request.GET)
        kept = caches["answers"].get(answers.key("map", parts))
        assert kept == first.content
        with CaptureQueriesContext(connection) as queries:
            again = client.get(MAP, params)
        assert len(queries) == 0
        assert again.content == first.content
        assert again["Content-Type"] == first["Content-Type"] == "application/json"


def test_a_kept_map_answer_is_indented_for_the_browsable_api_as_any(client, seeded):
    params = {"zoom": 9, "layout": "compact"}
    plain = client.get(MAP, params).json()
    indented = client.get(MAP, params, HTTP_ACCEPT="application/json; indent=4")
    assert indented.content.startswith(b"{\n  ")
    assert orjson.loads(indented.content) == plain
    page = client.get(MAP, {**params, "format": "api"}, HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and b"killed_high_open" in page.content


def test_a_signed_in_reader_gets_the_same_map_of_published_incidents(client, seeded, reviewer):
    """With status=published a researcher's map is the public one, computed afresh."""
    params = {"zoom": 9, "status": "published", "layout": "compact"}
    public = client.get(MAP, params).json()
    client.force_login(reviewer)
    assert client.get(MAP, params).json() == public
