"""The exports hold the cyclic garbage collector off while each piece is made (a chunk's
rows, dicts and text are freed by their reference counts; the collector walked them for a
sixth of the CPU), and only then: it is on while a piece is sent, after a failure, and
left off if it was off before."""

from __future__ import annotations

import gc

import pytest

from incidents import selectors
from incidents.api import exports


@pytest.fixture
def chunks_of_two(seeded, settings) -> None:
    settings.EXPORT_CHUNK_SIZE = 2
    assert selectors.incident_queryset(user=None).count() > 4


def _incidents():
    return selectors.incident_queryset(user=None)


@pytest.mark.parametrize(
    ("stream", "writer"),
    [(exports.stream_geojson, "_feature"), (exports.stream_csv, "_csv_rows")],
    ids=["geojson", "csv"],
)
def test_the_collector_is_off_while_a_piece_is_made_and_on_while_it_is_sent(
    chunks_of_two, monkeypatch, stream, writer
):
    while_made = []
    real = getattr(exports, writer)

    def spy(*args, **kwargs):
        while_made.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(exports, writer, spy)
    while_sent = [gc.isenabled() for _ in stream(_incidents())]
    assert len(while_made) > 2 and not any(while_made)
    assert all(while_sent)
    assert gc.isenabled()


def test_a_failure_while_a_piece_is_made_leaves_the_collector_on(chunks_of_two, monkeypatch):
    def failing(*args, **kwargs):
        raise RuntimeError("cut")

    monkeypatch.setattr(exports, "_csv_rows", failing)
    with pytest.raises(RuntimeError):
        list(exports.stream_csv(_incidents()))
    assert gc.isenabled()


def test_a_collector_already_off_is_left_off(chunks_of_two):
    gc.disable()
    try:
        list(exports.stream_geojson(_incidents()))
        assert not gc.isenabled()
    finally:
        gc.enable()
