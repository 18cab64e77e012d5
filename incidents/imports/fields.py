"""Reading one value of a row: dates, whole numbers, coordinates, codes.

Every function takes the raw text and the column's name, and raises
:class:`~incidents.imports.report.RowError` naming that column when the text is not what the
column holds, so a failure reads "event_date: '31 Feb 2025' is not a date".
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from functools import lru_cache

from django.utils import timezone
from django.utils.text import slugify

from .report import RowError

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
# "07 March 2025", "7 Mar 2025", "7-Mar-25", "07-March-2025"
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})[ \-/]([A-Za-z]+)\.?[ \-/,]+(\d{2}|\d{4})$")

DATE_FORMATS = "2025-03-07, 2025-03-07 00:00:00.000, 07 March 2025 or 7-Mar-25"


def _full_year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        # Two-digit years: event data sets start in 1989, so "97" is 1997 and "25" 2025.
        year += 2000 if year <= timezone.localdate().year % 100 else 1900
    return year


@lru_cache(maxsize=8192)
def _parse_date(text: str) -> date | None:
    if match := _ISO.match(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _DAY_MONTH_YEAR.match(text):
        month = MONTHS.get(match[2].lower())
        if month is None:
            return None
        day, year = int(match[1]), _full_year(match[3])
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_date(text: str, field: str, *, required: bool = True) -> date | None:
    text = (text or "").strip()
    if not text:
        if required:
            raise RowError("is empty; a date is needed", field=field)
        return None
    value = _parse_date(text)
    if value is None:
        raise RowError(f"'{text}' is not a date (expected {DATE_FORMATS})", field=field)
    return value


# The largest whole number a figure column holds (PostgreSQL integer, as on every backend).
LARGEST = 2**31 - 1
_INT = re.compile(r"^[+-]?\d+(?:\.0*)?$")


def parse_int(
    text: str, field: str, *, required: bool = False, minimum: int | None = 0
) -> int | None:
    text = (text or "").strip().replace(",", "") if text else ""
    if not text:
        if required:
            raise RowError("is empty; a whole number is needed", field=field)
        return None
    if not _INT.match(text):
        raise RowError(f"'{text}' is not a whole number", field=field)
    value = int(text.split(".")[0])
    if value > LARGEST:
        raise RowError(f"{value} is larger than {LARGEST:,}, the largest figure kept", field=field)
    if minimum is not None and value < minimum:
        raise RowError(f"{value} is below {minimum}", field=field)
    return value


def parse_coordinate(text: str, field: str, *, limit: float) -> float | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise RowError(f"'{text}' is not a number", field=field) from None
    if not -limit <= value <= limit:
        raise RowError(f"{value} is outside [-{limit:g}, {limit:g}]", field=field)
    return value


def parse_point(row: dict[str, str]) -> tuple[float | None, float | None]:
    latitude = parse_coordinate(row.get("latitude", ""), "latitude", limit=90)
    longitude = parse_coordinate(row.get("longitude", ""), "longitude", limit=180)
    if (latitude is None) != (longitude is None):
        missing = "latitude" if latitude is None else "longitude"
        raise RowError("is empty while the other coordinate is given", field=missing)
    return latitude, longitude


def check_not_future(value: date, field: str) -> None:
    if value > timezone.localdate():
        raise RowError(f"{value.isoformat()} is in the future", field=field)


def clip(text: str, length: int) -> str:
    """``text`` cut to ``length`` characters, with an ellipsis when it was longer."""
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def normalise_name(name: str) -> str:
    """A name as compared when deduplicating actors and sources: case and spacing ignored."""
    return " ".join(name.split()).casefold()


# A plain transliteration of Arabic letters, enough for a readable slug (not a standard).
_ARABIC_LATIN = str.maketrans(
    {
        "ا": "a", "أ": "a", "إ": "i", "آ": "a", "ء": "", "ؤ": "u", "ئ": "i", "ب": "b",
        "ت": "t", "ة": "a", "ث": "th", "ج": "j", "ح": "h", "خ": "kh", "د": "d", "ذ": "dh",
        "ر": "r", "ز": "z", "س": "s", "ش": "sh", "ص": "s", "ض": "d", "ط": "t", "ظ": "z",
        "ع": "", "غ": "gh", "ف": "f", "ق": "q", "ك": "k", "ل": "l", "م": "m", "ن": "n",
        "ه": "h", "و": "w", "ي": "y", "ى": "a", "ـ": "",
    }
)  # fmt: skip


def name_slug(name: str, fallback: str) -> str:
    """A slug for a name, readable and never generic.

    Latin names slugify as usual. Names in another script (Arabic-only actor names) are
    transliterated and end with a short hash of the name itself, so that two names never
    share a slug by transliteration, and the same name always gets the same slug."""
    slug = slugify(name)[:100].strip("-")
    if slug:
        return slug
    digest = hashlib.sha256(normalise_name(name).encode()).hexdigest()[:8]
    latin = slugify(name.translate(_ARABIC_LATIN))[:80].strip("-")
    return f"{latin or fallback}-{digest}"
