"""Importing this product's CSV export (``/api/v1/incidents.csv``).

One row per incident, with a header (a byte order mark before it is fine). ``claims`` and
``attributions`` are JSON arrays; ``catalogue`` holds, on the first row that names a
source, actor, episode or victim group, its record as JSON; lists of slugs are separated
by ``;``. Text the export prefixed with an apostrophe (so that a spreadsheet would not run
it as a formula) is read back without it. Failures are numbered by the line of the file
where the row starts (the header is line 1). See ``exchange`` for how records are matched
and written.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from incidents.api.exports import CSV_JSON_COLUMNS, undefuse
from incidents.models import ImportFormat, ImportRun

from .exchange import Catalogue, IncidentRecord, Progress, run_import
from .report import FileRefused, ImportReport, RowError

REQUIRED_COLUMNS = ("id", "title", "event_type", "date_start", "date_end", "claims")
# A claims or catalogue cell can be long (a quote is up to a few thousand characters).
csv.field_size_limit(64 * 1024 * 1024)


def _json_cell(value: str, name: str) -> Any:
    if not value.strip():
        return None
    try:
        return json.loads(value)
    except ValueError as error:
        raise RowError(f"not valid JSON ({error})", field=name) from None


def import_file(
    data: bytes,
    *,
    dry_run: bool = False,
    user: Any = None,
    run: ImportRun | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileRefused(f"The file is not UTF-8 text: {error}") from None
    reader = csv.reader(io.StringIO(content, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise FileRefused("The file is empty: expected the header of incidents.csv.") from None
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise FileRefused(
            f"Missing column(s) {', '.join(missing)}: expected a CSV as incidents.csv "
            "exports (with its claims column)."
        )
    report = ImportReport(format=ImportFormat.CSV, dry_run=dry_run)
    catalogue = Catalogue()
    records = []
    line = 2
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            report.fail(line, f"unreadable CSV: {error}")
            line = reader.line_num + 1
            continue
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        try:
            if len(row) != len(header):
                raise RowError(f"{len(row)} cells where the header has {len(header)}")
            cells = dict(zip(header, row, strict=True))
            # The records described here first, even if the incident itself is refused:
            # later rows may name them.
            entries = _json_cell(cells.pop("catalogue", ""), "catalogue") or {}
            if not isinstance(entries, dict):
                raise RowError("expected an object of lists", field="catalogue")
            for kind, items in entries.items():
                catalogue.add(kind, start, items)
            values: dict[str, Any] = {}
            for name, cell in cells.items():
                if name in CSV_JSON_COLUMNS:
                    values[name] = _json_cell(cell, name)
                else:
                    values[name] = undefuse(cell)
            records.append(IncidentRecord(start, values))
        except RowError as error:
            report.fail(start, str(error), row[0] if row else "")
    return run_import(
        format_name="CSV",
        report=report,
        records=records,
        catalogue=catalogue,
        dry_run=dry_run,
        user=user,
        run=run,
        progress=progress,
    )
