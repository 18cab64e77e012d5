"""UCDP Georeferenced Event Dataset (GED) CSV files: one row per event of organised violence.

Dates are ``YYYY-MM-DD`` or ``YYYY-MM-DD 00:00:00.000`` (as the GED's CSV writes them).

What a row becomes:

- **the incident** (a draft): its type from ``type_of_violence`` when the file has it
  (1 state-based and 2 non-state conflict: armed clash; 3 one-sided violence: attack on
  civilians), ``date_start``..``date_end`` with the date precision (``date_prec`` 1 the
  day, 2 within two to six days, 3 the week, 4 the month, 5 longer, kept as the month, the
  coarsest this product has), the point with its precision (``where_prec`` 1 the place
  itself: settlement; 2 within 25 km of it, 3 the district: district; 4 the governorate,
  5 a stretch or part of a region: governorate; 6 the country, 7 waters or airspace:
  country), and a location note with ``where_description`` and the admin areas; the
  governorate is the one ``adm_1`` names, over the one the point falls in by the coarse
  boundary outline (the note says when they disagree);
- **one claim** by the UCDP GED data set itself (a Source of kind "data set"), attributed
  to ``source_office``, with ``low``..``high`` as its figures and the deaths' breakdown
  (``deaths_civilians`` as civilians; ``deaths_a`` as security forces when side A is a
  government, otherwise with ``deaths_b`` as combatants), quoting ``source_headline``;
- **the incident's figures are the GED's own low, best and high**, set with a rationale
  that says so: the GED's best estimate is its own judgement, which the range of claims
  cannot reproduce from a low and a high. When the GED's own values are out of order (a
  low above the best, a best above the high: a few rows in every release), the row is kept
  with a warning: the record and the claim keep the values as given, and the incident's
  range runs from the smallest of the three to the largest, the best kept. Once a
  researcher adds claims and chooses a computed rule, or sets figures by hand, later
  imports leave that choice alone;
- **actors** for ``side_a`` and ``side_b``, a coalition (names separated by commas) as
  each of its actors (a government as state forces, civilians as civilians); side A is held
  responsible (alleged), side B too in armed conflicts;
- **a Source for each office** in ``source_office``.

Rows outside the country this map records (when the file has a ``country`` column) are
skipped with the reason, before anything else is checked; then the point is checked against
the country's outline (see :mod:`incidents.imports.scope`).
"""

from __future__ import annotations

from . import batch, scope
from .batch import (
    ActorRef,
    Dataset,
    Entry,
    distinct_actors,
    own_figures_rationale,
    source_kind_of,
    split_names,
)
from .csvfile import CsvRow
from .fields import clip, parse_date, parse_int, parse_point
from .report import ImportReport, RowError

LABEL = "UCDP GED"

REQUIRED = (
    "id",
    "relid",
    "date_start",
    "date_end",
    "date_prec",
    "where_prec",
    "where_description",
    "adm_1",
    "adm_2",
    "latitude",
    "longitude",
    "side_a",
    "side_b",
    "deaths_a",
    "deaths_b",
    "deaths_civilians",
    "deaths_unknown",
    "best",
    "low",
    "high",
    "source_article",
    "source_office",
    "source_date",
    "source_headline",
)
OPTIONAL = (
    "year",
    "active_year",
    "code_status",
    "type_of_violence",
    "conflict_name",
    "dyad_name",
    "where_coordinates",
    "country",
    "country_id",
    "region",
    "event_clarity",
    "number_of_sources",
)

DATE_PRECISION = {"1": "day", "2": "days", "3": "week", "4": "month", "5": "month"}
WHERE_PRECISION = {
    "1": ("settlement", "the place itself"),
    "2": ("district", "within about 25 km of the place"),
    "3": ("district", "only the district is known"),
    "4": ("governorate", "only the governorate is known"),
    "5": ("governorate", "a stretch or part of a region"),
    "6": ("country", "only the country is known"),
    "7": ("country", "international waters or airspace"),
}
VIOLENCE = {
    "1": ("armed_clash", "State-based armed conflict"),
    "2": ("armed_clash", "Non-state armed conflict"),
    "3": ("attack_on_civilians", "One-sided violence"),
}


def _code(row: dict[str, str], column: str, allowed: dict) -> str:
    value = (row.get(column) or "").strip().removesuffix(".0")
    if value not in allowed:
        raise RowError(f"'{value}' is not one of UCDP's codes ({', '.join(allowed)})", field=column)
    return value


def _side(text: str, *, responsible: bool) -> list[ActorRef]:
    """The actors of a side: UCDP names a coalition as a list separated by commas
    ("Jaysh al-Sanadid, MFS, PYD"), each of them an actor of its own."""
    actors = []
    for name in split_names(text, ","):
        if name.casefold().startswith("government of"):
            kind, held = "state_forces", responsible
        elif name.casefold() == "civilians":
            kind, held = "civilians", False
        else:
            kind, held = "non_state", responsible
        actors.append(ActorRef(name=name, kind=kind, responsible=held))
    return actors


def parse(item: CsvRow) -> Entry:
    row = item.values
    # Scope first: a row of another country is skipped whatever else is wrong with it.
    in_scope = scope.check_country(row["country"]) if "country" in row else scope.Scope()
    external_id = row["id"].strip().removesuffix(".0")
    if not external_id:
        raise RowError("is empty", field="id")
    if len(external_id) > 100:
        raise RowError("is longer than 100 characters", field="id")

    start = parse_date(row["date_start"], "date_start")
    end = parse_date(row["date_end"], "date_end")
    date_precision = DATE_PRECISION[_code(row, "date_prec", DATE_PRECISION)]
    where_code = _code(row, "where_prec", WHERE_PRECISION)
    location_precision, where_meaning = WHERE_PRECISION[where_code]
    latitude, longitude = parse_point(row)
    scope.check_point(in_scope, latitude, longitude)
    best = parse_int(row["best"], "best", required=True)
    low = parse_int(row["low"], "low", required=True)
    high = parse_int(row["high"], "high", required=True)
    warnings = list(in_scope.warnings)
    # The GED holds rows whose own low, best and high are out of order (5/4/5, 9/10/9).
    # They are kept: the claim and the record carry the values as given, the incident's
    # range is widened to hold all three (best kept), and the report says so.
    ordered_low, ordered_high = min(low, best, high), max(low, best, high)
    if not low <= best <= high:
        warnings.append(
            f"low {low}, best {best} and high {high} are not in order: the incident's range "
            f"is {ordered_low} to {ordered_high}, best {best}; the claim keeps the GED's values"
        )
    deaths = {
        column: parse_int(row[column], column)
        for column in ("deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown")
    }

    violence = (row.get("type_of_violence") or "").strip().removesuffix(".0")
    event_type, violence_label = VIOLENCE.get(violence, ("other", "Organised violence"))
    side_a = _side(row["side_a"], responsible=True)
    side_b = _side(row["side_b"], responsible=violence in ("1", "2"))
    actors = distinct_actors([*side_a, *side_b])
    government_a = bool(side_a) and side_a[0].kind == "state_forces"
    breakdown = {
        "civilians": deaths["deaths_civilians"],
        "security_forces": deaths["deaths_a"] if government_a else None,
        "combatants": (
            deaths["deaths_b"]
            if government_a
            else (
                None
                if deaths["deaths_a"] is None and deaths["deaths_b"] is None
                else (deaths["deaths_a"] or 0) + (deaths["deaths_b"] or 0)
            )
        ),
    }

    description = " ".join(row["where_description"].split())
    named_place = " ".join((row.get("where_coordinates") or "").split())
    admin = [" ".join(row[column].split()) for column in ("adm_2", "adm_1")]
    areas = ", ".join(area for area in admin if area)
    named = scope.admin_area(row["adm_1"], latitude, longitude, "UCDP")
    place = (
        named_place or description or next((area for area in admin if area), "") or scope.country()
    )
    sides = " – ".join(
        " ".join(text.split()) for text in (row["side_a"], row["side_b"]) if text.strip()
    )
    offices = split_names(row["source_office"])
    headline = row["source_headline"].strip()

    rationale = (
        f"{own_figures_rationale(LABEL)} for event {external_id}: low {low}, best {best}, "
        f"high {high}. The GED's best estimate is its own judgement of its sources, not the "
        "middle of its range, so it is kept as the data set gives it."
        + (
            ""
            if low <= best <= high
            else f" The GED's values are out of order: the range is widened to "
            f"{ordered_low} to {ordered_high} to hold all three."
        )
    )
    figure_note = (
        f"UCDP GED event {external_id} (relid {row['relid'].strip()}): best {best}, low {low}, "
        f"high {high}; deaths of side A {_n(deaths['deaths_a'])}, side B "
        f"{_n(deaths['deaths_b'])}, civilians {_n(deaths['deaths_civilians'])}, unknown "
        f"{_n(deaths['deaths_unknown'])}."
    )
    source_note = "; ".join(
        part
        for part in (
            row["source_office"].strip(),
            row["source_date"].strip(),
            row["source_article"].strip(),
        )
        if part
    )
    return Entry(
        line=item.line,
        external_id=external_id,
        row=dict(row),
        incident={
            "title": clip(f"{violence_label} in {place}" + (f": {sides}" if sides else ""), 300),
            "summary": " ".join(
                part for part in (f"{sides}." if sides else "", description, headline) if part
            ),
            "event_type": event_type,
            "date_start": start,
            "date_end": end,
            "date_precision": date_precision,
            "latitude": latitude,
            "longitude": longitude,
            "location_precision": location_precision,
            "place_name": clip(named_place or description, 300),
            "location_note": (
                f"Point from UCDP GED (where_prec {where_code}: {where_meaning})."
                + (f" Described as: {description}." if description else "")
                + (f" UCDP places it in {areas}." if areas else "")
                + (f" {named.disagreement}" if named.disagreement else "")
            ),
        },
        claim={
            "attributed_to": clip("; ".join(offices), 200),
            # As given; only a low above the high is put the right way round.
            "killed_min": min(low, high),
            "killed_max": max(low, high),
            "approximate": False,
            "perpetrator_text": clip(" ".join(row["side_a"].split()), 300),
            "place_as_reported": clip(description or place, 300),
            "date_as_reported": clip(
                row["date_start"].strip()
                + (
                    ""
                    if row["date_end"].strip() == row["date_start"].strip()
                    else f" to {row['date_end'].strip()}"
                ),
                200,
            ),
            # The data set's words for the event: its sources' headlines, verbatim.
            "quote": headline or description or figure_note,
            "notes": figure_note + (f" Sources: {source_note}." if source_note else ""),
            **breakdown,
        },
        actors=actors,
        perpetrator=side_a[0].name if len(side_a) == 1 and side_a[0].responsible else "",
        sources=[(name, source_kind_of(name)) for name in offices],
        figures={
            "killed_low": ordered_low,
            "killed_best": best,
            "killed_high": ordered_high,
            **breakdown,
        },
        rationale=rationale,
        summary=(
            f"{start.isoformat()}"
            + ("" if end == start else f" to {end.isoformat()}")
            + f" · {violence_label} in {place} · best {best} (low {low}, high {high})"
            + (f" · {sides}" if sides else "")
        ),
        warnings=warnings,
        governorate=named.slug,
        notes=[scope.ADMIN_DISAGREES] if named.disagreement else [],
    )


def _n(value: int | None) -> str:
    return "not given" if value is None else str(value)


DATASET = Dataset(
    key="ucdp",
    label=LABEL,
    what="a UCDP GED file",
    required=REQUIRED,
    optional=OPTIONAL,
    source={
        "slug": "ucdp-ged",
        "publisher": "Uppsala Conflict Data Program (UCDP)",
        "headline": "UCDP Georeferenced Event Dataset (GED)",
        "url": "https://ucdp.uu.se/",
        "notes": "The UCDP GED data set, as imported; each claim names the offices UCDP cites.",
    },
    parse=parse,
)


def import_file(data: bytes, *, dry_run=False, user=None, run=None, progress=None) -> ImportReport:
    """Import a UCDP GED CSV file (see the module's description)."""
    return batch.run(DATASET, data, dry_run=dry_run, user=user, run=run, progress=progress)
