"""The CSV export's cells, written a column at a time as UTF-8, are what ``csv.writer``
writes for each value (after the formula guard), whatever a column holds: the first cell
or any other needing the guard, quotes, commas, line breaks, Arabic, a NUL (SQLite text may
hold one), numbers and empty cells."""

from __future__ import annotations

import csv
import io
import random

import pytest

from incidents.api.exports import _JSON, _NUMBER, _TEXT, _json_cells, _safe, _text_column

PIECES = ["a", "=", "+", "-", "@", "'", "\t", "\r", "\n", ",", '"', " ", "حلب", "\x00", "1"]


def written(value) -> bytes:
    """One cell as csv.writer writes it (a lone empty cell aside), in UTF-8."""
    out = io.StringIO()
    csv.writer(out).writerow(["x", value])
    return out.getvalue()[2:-2].encode()


def column(rng: random.Random) -> list:
    return [
        None if rng.random() < 0.1 else "".join(rng.choices(PIECES, k=rng.randint(0, 4)))
        for _ in range(rng.randint(1, 6))
    ]


@pytest.mark.parametrize("seed", range(300))
def test_text_cells_are_what_csv_writer_writes(seed):
    cells = column(random.Random(seed))
    expected = [written(None if value is None else _safe(value)) for value in cells]
    assert _text_column(cells, kind=_TEXT) == expected


def test_the_first_cell_of_a_column_is_guarded_too():
    assert _text_column(["=SUM(A1)", "plain"], kind=_TEXT) == [b"'=SUM(A1)", b"plain"]
    assert _text_column(["plain", "@x,y"], kind=_TEXT) == [b"plain", b'"\'@x,y"']


def test_numbers_and_json():
    assert _text_column([1, None, 2.5], kind=_NUMBER) == [b"1", b"", b"2.5"]
    for kind in (_NUMBER, _TEXT, _JSON):  # a column the chunk leaves empty
        assert _text_column([None, None, None], kind=kind) == [b"", b"", b""]
    assert _text_column(['{"a": 1}', ""], kind=_JSON) == [b'"{""a"": 1}"', b""]
    assert _json_cells([(), [{"a": 'x"y'}], [1, 2]]) == [
        b"[]",
        b'"[{""a"":""x\\""y""}]"',
        b'"[1,2]"',
    ]


@pytest.mark.parametrize("value", ["=1+2", "a,b", 'say "x"', "plain", "", None, "-a\r\nb", "'@"])
def test_a_column_of_one_value_all_the_way_down_is_written_as_each_cell_would_be(value):
    """A chunk's column holding one value in every row is written once and repeated."""
    expected = written(None if value is None else _safe(value))
    assert _text_column([value] * 5, kind=_TEXT) == [expected] * 5
    assert _text_column([value], kind=_TEXT) == [expected]
    if value is not None and not value.startswith(("=", "-", "'")):
        assert _text_column([value] * 3, kind=_JSON) == [written(value)] * 3
    # A column whose first and last cells agree but not the ones between is not one value.
    assert _text_column([value, "x,y", value], kind=_TEXT) == [expected, b'"x,y"', expected]


def test_number_columns_of_one_value():
    assert _text_column([7, 7, 7], kind=_NUMBER) == [b"7"] * 3
    assert _text_column([0.5, 0.5], kind=_NUMBER) == [b"0.5"] * 2
    # Equal, but not written alike: a point on the equator or the meridian may be either.
    assert _text_column([0.0, -0.0, 0.0], kind=_NUMBER) == [written(v) for v in (0.0, -0.0, 0.0)]
    assert _text_column([-0.0, 0.0, -0.0], kind=_NUMBER) == [b"-0.0", b"0.0", b"-0.0"]


def test_a_column_of_no_cells_is_no_cells():
    for kind in (_NUMBER, _TEXT, _JSON):
        assert _text_column([], kind=kind) == []
