"""Dates as articles give them, resolved against the publication date.

"on Friday" is the Friday on or before the publication date; "last Friday" the one
before it; "yesterday" the day before; "on Thursday and Friday" and "between 6-7 March" a
range of days; "on March 7" and "7 March" that day in the publication's year (or the
year before, if that day would come after the publication); "last week", "this month",
"early March" a range with a coarser precision. "On the same day" is left to the caller,
which knows which day was meant before.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from ..models import DatePrecision
from .numbers import MONTHS, read_number
from .text import Token

WEEKDAYS = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}


@dataclass(frozen=True)
class DateMention:
    """A date or range found at tokens ``[start, end)`` of a sentence."""

    start_date: date | None
    end_date: date | None
    precision: str
    start: int
    end: int
    same_as_before: bool = False  # "on the same day": the date of the sentence before

    def with_range(self, start_date: date, end_date: date, precision: str) -> DateMention:
        return DateMention(start_date, end_date, precision, self.start, self.end)


def precision_of(start: date, end: date) -> str:
    days = (end - start).days
    if days == 0:
        return DatePrecision.DAY
    if days <= 3:
        return DatePrecision.DAYS
    if days <= 7:
        return DatePrecision.WEEK
    return DatePrecision.MONTH


def weekday_on_or_before(weekday: int, published: date, *, strictly: bool = False) -> date:
    back = (published.weekday() - weekday) % 7
    if strictly and back == 0:
        back = 7
    return published - timedelta(days=back)


def _day_of(day: int, month: int, year: int | None, published: date) -> date | None:
    resolved_year = year or published.year
    try:
        result = date(resolved_year, month, day)
    except ValueError:
        return None
    if year is None and result > published:
        try:
            result = date(resolved_year - 1, month, day)
        except ValueError:
            return None
    return result


def _year_after(tokens: Sequence[Token], k: int) -> tuple[int | None, int]:
    k2 = k + 1 if k < len(tokens) and tokens[k].text == "," else k
    if k2 < len(tokens) and tokens[k2].text.isdigit() and len(tokens[k2].text) == 4:
        return int(tokens[k2].text), k2 + 1
    return None, k


def _day_number(tokens: Sequence[Token], k: int) -> int | None:
    if k < len(tokens) and tokens[k].text.isdigit() and 1 <= int(tokens[k].text) <= 31:
        return int(tokens[k].text)
    return None


def _lower(tokens: Sequence[Token], k: int) -> str:
    return tokens[k].lower if 0 <= k < len(tokens) else ""


def _month_range(year: int, month: int, part: str) -> tuple[date, date]:
    last = calendar.monthrange(year, month)[1]
    if part == "early":
        return date(year, month, 1), date(year, month, 10)
    if part == "mid":
        return date(year, month, 11), date(year, month, 20)
    if part == "late":
        return date(year, month, 21), date(year, month, last)
    return date(year, month, 1), date(year, month, last)


def find_dates(tokens: Sequence[Token], published: date) -> list[DateMention]:
    """Every date expression of a sentence, resolved, in order."""
    found: list[DateMention] = []
    n = len(tokens)
    i = 0
    while i < n:
        mention = _date_at(tokens, i, published)
        if mention is None:
            i += 1
            continue
        found.append(mention)
        i = mention.end
    return [m for m in found if m.same_as_before or (m.end_date and m.end_date <= published)]


def _date_at(tokens: Sequence[Token], i: int, published: date) -> DateMention | None:
    word = _lower(tokens, i)
    # "on the same day", "that day", "the same night"
    if word == "same" and _lower(tokens, i + 1) in ("day", "night", "evening", "morning"):
        return DateMention(None, None, DatePrecision.DAY, i, i + 2, same_as_before=True)
    if (
        word == "that"
        and _lower(tokens, i + 1) in ("day", "night")
        and _lower(tokens, i - 1)
        in (
            "on",
            "",
        )
    ):
        return DateMention(None, None, DatePrecision.DAY, i, i + 2, same_as_before=True)
    if word == "yesterday":
        day = published - timedelta(days=1)
        if _lower(tokens, i - 1) == "before" and _lower(tokens, i - 3) == "the":
            day -= timedelta(days=1)
        return DateMention(day, day, DatePrecision.DAY, i, i + 1)
    if word in ("today", "tonight"):
        return DateMention(published, published, DatePrecision.DAY, i, i + 1)
    if word == "last" and _lower(tokens, i + 1) == "night":
        day = published - timedelta(days=1)
        return DateMention(day, day, DatePrecision.DAY, i, i + 2)
    if (
        word in ("last", "this", "earlier", "past", "previous")
        and _lower(tokens, i + 1)
        in (
            "week",
            "month",
            "weekend",
        )
    ) or (word == "earlier" and _lower(tokens, i + 1) == "this"):
        return _relative_period(tokens, i, published)
    if (
        word.isdigit()
        and _lower(tokens, i + 1) in ("days", "weeks")
        and _lower(tokens, i + 2) in ("ago", "earlier")
    ):
        count = int(word)
        unit = 7 if _lower(tokens, i + 1) == "weeks" else 1
        day = published - timedelta(days=count * unit)
        precision = DatePrecision.DAY if unit == 1 else DatePrecision.WEEK
        return DateMention(day, day, precision, i, i + 3)
    number = read_number(tokens, i)
    if (
        number is not None
        and number.words
        and _lower(tokens, number.end) == "days"
        and _lower(tokens, number.end + 1) in ("ago",)
    ):
        day = published - timedelta(days=number.value or 0)
        return DateMention(day, day, DatePrecision.DAY, i, number.end + 2)
    if word in WEEKDAYS:
        return _weekdays(tokens, i, published)
    if word in MONTHS and (len(tokens[i].text) > 3 or tokens[i].text[0].isupper()):
        return _month_first(tokens, i, published)
    if word in ("early", "mid", "late") and _lower(tokens, i + 1 + (_lower(tokens, i + 1) == "-"))[
        :3
    ] in {m[:3] for m in MONTHS}:
        k = i + 1 + (_lower(tokens, i + 1) == "-")
        if _lower(tokens, k) in MONTHS and _day_number(tokens, k + 1) is None:
            month = MONTHS[_lower(tokens, k)]
            year, end = _year_after(tokens, k + 1)
            year = year or published.year
            if date(year, month, 1) > published:
                year -= 1
            start_date, end_date = _month_range(year, month, word)
            end_date = min(end_date, published) if end_date > published else end_date
            return DateMention(start_date, end_date, precision_of(start_date, end_date), i, end)
    day = _day_number(tokens, i)
    if day is not None:
        return _day_first(tokens, i, day, published)
    return None


def _relative_period(tokens: Sequence[Token], i: int, published: date) -> DateMention | None:
    k = i + 1
    if _lower(tokens, i) == "earlier" and _lower(tokens, k) == "this":
        k += 1
    unit = _lower(tokens, k)
    word = _lower(tokens, i)
    this = word in ("this", "earlier") or _lower(tokens, i + 1) == "this"
    if unit == "week":
        monday = published - timedelta(days=published.weekday())
        if this:
            start, end = monday, published
        else:
            start, end = monday - timedelta(days=7), monday - timedelta(days=1)
        return DateMention(start, end, DatePrecision.WEEK, i, k + 1)
    if unit == "weekend":
        saturday = weekday_on_or_before(5, published, strictly=not this)
        end = min(saturday + timedelta(days=1), published)
        return DateMention(saturday, end, DatePrecision.DAYS, i, k + 1)
    if unit == "month":
        first = published.replace(day=1)
        if this:
            start, end = first, published
        else:
            end = first - timedelta(days=1)
            start = end.replace(day=1)
        return DateMention(start, end, DatePrecision.MONTH, i, k + 1)
    return None


def _weekdays(tokens: Sequence[Token], i: int, published: date) -> DateMention:
    """ "Friday", "last Friday", "since Thursday", "on Thursday and Friday"."""
    strictly = _lower(tokens, i - 1) in ("last", "previous")
    day = weekday_on_or_before(WEEKDAYS[_lower(tokens, i)], published, strictly=strictly)
    end_index = i + 1
    end_day = day
    # "Thursday and Friday", "Thursday to Saturday", "Thursday-Friday"
    if (
        _lower(tokens, i + 1) in ("and", "to", "through", "-", "–", "until")
        and _lower(tokens, i + 2) in WEEKDAYS
    ):
        second = weekday_on_or_before(WEEKDAYS[_lower(tokens, i + 2)], published)
        if second >= day:
            end_day, end_index = second, i + 3
    if _lower(tokens, i - 1) == "since":
        end_day = published
    if _lower(tokens, end_index) in ("night", "evening", "morning", "afternoon"):
        end_index += 1
    start = i - 1 if strictly or _lower(tokens, i - 1) == "since" else i
    return DateMention(day, end_day, precision_of(day, end_day), start, end_index)


def _month_first(tokens: Sequence[Token], i: int, published: date) -> DateMention | None:
    """ "March 7", "March 6-7", "March 7, 2025", "in March", "March 2025"."""
    month = MONTHS[_lower(tokens, i)]
    day = _day_number(tokens, i + 1)
    if day is not None:
        end_day, k = day, i + 2
        if _lower(tokens, k) in ("-", "–", "to", "and") and _day_number(tokens, k + 1):
            end_day, k = _day_number(tokens, k + 1) or day, k + 2
        year, k = _year_after(tokens, k)
        start = _day_of(day, month, year, published)
        end = _day_of(end_day, month, year, published)
        if start is None or end is None or end < start:
            return None
        return DateMention(start, end, precision_of(start, end), i, k)
    if _lower(tokens, i - 1) in ("in", "during", "of", "since") or (
        i + 1 < len(tokens) and tokens[i + 1].text.isdigit() and len(tokens[i + 1].text) == 4
    ):
        year, k = _year_after(tokens, i + 1)
        year = year or published.year
        if date(year, month, 1) > published:
            year -= 1
        start, end = _month_range(year, month, "")
        if _lower(tokens, i - 1) == "since" or end > published:
            end = published
        return DateMention(start, end, DatePrecision.MONTH, i, k)
    return None


def _day_first(tokens: Sequence[Token], i: int, day: int, published: date) -> DateMention | None:
    """ "7 March", "6-7 March", "between 6 and 7 March", "7 March 2025"."""
    end_day, k = day, i + 1
    if _lower(tokens, k) in ("-", "–", "to", "and") and _day_number(tokens, k + 1):
        end_day, k = _day_number(tokens, k + 1) or day, k + 2
    if _lower(tokens, k) == "of":
        k += 1
    if _lower(tokens, k) not in MONTHS:
        return None
    month = MONTHS[_lower(tokens, k)]
    year, end_index = _year_after(tokens, k + 1)
    start = _day_of(day, month, year, published)
    end = _day_of(end_day, month, year, published)
    if start is None or end is None or end < start:
        return None
    first = i - 1 if _lower(tokens, i - 1) in ("between", "from") else i
    return DateMention(start, end, precision_of(start, end), first, end_index)
