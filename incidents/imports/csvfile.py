"""Reading an uploaded CSV file: its encoding, its dialect, its header and its rows.

Data sets are exported by spreadsheets and scripts alike, so the reader accepts UTF-8 with
or without a byte-order mark (and UTF-16 with one), commas, semicolons or tabs, and column
names in any case. What it cannot read it refuses as a whole, with a message that says
what was expected: a file that is not text, a file with no header, a header that lacks
columns the importer needs (all of them are named). Each row comes with the line it starts
on in the file, as a spreadsheet shows it, so that failures can point at it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .report import FileRefused, RowError

# Notes and source lists can be long; the csv module's default limit (128 KB) is not a
# limit of the formats.
csv.field_size_limit(16 * 1024 * 1024)

DELIMITERS = ",;\t"


@dataclass(frozen=True)
class CsvRow:
    line: int
    values: dict[str, str]


@dataclass
class CsvTable:
    header: list[str]
    rows: list[CsvRow | RowFailureRow]


@dataclass(frozen=True)
class RowFailureRow:
    """A record the reader could not split into the header's columns."""

    line: int
    error: RowError


def decode(data: bytes) -> str:
    if not data or not data.strip():
        raise FileRefused("The file is empty.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise FileRefused(f"The file is not readable UTF-16 text ({error.reason}).") from None
    if b"\x00" in data[:4096]:
        raise FileRefused(
            "The file is not a text file. Expected a CSV file (comma-separated text, UTF-8)."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise FileRefused(
            f"The file is not UTF-8 text (unreadable byte on line {line}). "
            "Save it as CSV in UTF-8 and try again."
        ) from None


def _dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    first_line = sample.split("\n", 1)[0]
    counts = {delimiter: first_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(counts, key=counts.__getitem__)
    if counts[best] == 0:
        return csv.excel
    dialect = csv.excel()
    dialect.delimiter = best
    return dialect


def _describe(columns: Iterable[str]) -> str:
    return ", ".join(columns)


def read(
    data: bytes, *, what: str, required: Sequence[str], optional: Sequence[str] = ()
) -> CsvTable:
    """Read ``data`` as a CSV table that must have the ``required`` columns.

    ``what`` names the expected format for messages ("an ACLED export"). Column names are
    compared without case and surrounding spaces; the rows' keys are the lower-cased names.
    """
    text = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text[:65536]))
    try:
        header_row = next(reader)
    except StopIteration:
        raise FileRefused("The file is empty.") from None
    except csv.Error as error:
        raise FileRefused(f"The file's first line is not a CSV header ({error}).") from None
    header = [name.strip().lstrip("\ufeff").lower() for name in header_row]
    missing = [name for name in required if name not in header]
    if missing:
        found = _describe(name for name in header if name) or "nothing"
        raise FileRefused(
            f"This is not {what}: the columns {_describe(missing)} are missing. "
            f"Expected the columns {_describe(required)}"
            + (f" (and optionally {_describe(optional)})" if optional else "")
            + f". Found: {found[:1000]}."
        )
    duplicated = sorted({name for name in header if name and header.count(name) > 1})
    if duplicated:
        raise FileRefused(f"The columns {_describe(duplicated)} appear more than once.")
    width = len(header)
    rows: list[CsvRow | RowFailureRow] = []
    next_line = reader.line_num + 1
    while True:
        line = next_line
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            rows.append(RowFailureRow(line, RowError(f"not readable as CSV ({error})")))
            break
        next_line = reader.line_num + 1
        if not values or (len(values) == 1 and not values[0].strip()):
            continue  # blank line
        if len(values) != width:
            rows.append(
                RowFailureRow(
                    line,
                    RowError(f"has {len(values)} values where the header has {width} columns"),
                )
            )
            continue
        rows.append(CsvRow(line, dict(zip(header, values, strict=True))))
    return CsvTable(header=header, rows=rows)
