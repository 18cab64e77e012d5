"""Which rows of a data set file are in this map's scope: the country, then the point.

Data set files cover many countries (an ACLED extract of a region, the whole GED), so every
row is checked for scope before anything else about it: a row of another country is
skipped, whatever else is wrong with it. A row of this country (or with no country) is then
checked by its point, against the country's outline (the governorate boundaries):

- inside, or within :data:`SILENT_KM` of it (the outline is coarse: a shore town falls a
  few hundred metres out at sea), the row is taken;
- up to ``SCOPE_REFUSE_KM`` outside (setting, 10 km by default), it is taken with a warning
  that names the distance: border towns and crossings lie there;
- further out it is refused, naming the distance: a point in Turkey or Iraq is a wrong
  point (latitude and longitude swapped, or another country's row with a wrong country).

The governorate of a row is the one the source names (ACLED's ``admin1``, the GED's
``adm_1``) when it names one the gazetteer knows: the outline is coarse (Natural Earth), and
the source knows which governorate a place near a boundary belongs to (Ein Terma, Rural
Damascus; Kinda, Idlib). When the point lies in another governorate, the location note
says so. Without a name the gazetteer knows, the point decides.

The outline is that of the country the gazetteer's committed files describe; when the
configured country is another one, only the country column decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from mapping.country import name as configured_country
from mapping.gazetteer import governorate_slug_named
from mapping.gazetteer_data import COUNTRY as OUTLINE_COUNTRY
from mapping.gazetteer_data import GOVERNORATE_CODES
from mapping.geo import locate

from .batch import Skip
from .report import RowError

# Closer than this outside the outline a point is taken without a word.
SILENT_KM = 1.0
DEFAULT_REFUSE_KM = 10.0


def country() -> str:
    """The country this map records (the ``COUNTRY`` setting, Syria by default)."""
    return configured_country()


@dataclass
class Scope:
    """What the scope checks found about a row that is in scope."""

    warnings: list[str] = field(default_factory=list)
    country_blank: bool = False


def check_country(text: str | None, column: str = "country") -> Scope:
    """Skip a row of another country; a blank country is left to the point to decide."""
    name = " ".join((text or "").split())
    scope = Scope()
    wanted = country()
    if name and name.casefold() != wanted.casefold():
        raise Skip(f"outside {wanted} ({name})")
    if not name:
        scope.country_blank = True
        scope.warnings.append(f"{column} is empty: taken because its point lies in {wanted}")
    return scope


def check_point(scope: Scope, latitude: float | None, longitude: float | None) -> None:
    """Refuse a point well outside the country; warn about one just outside."""
    wanted = country()
    if latitude is None or longitude is None:
        if scope.country_blank:
            raise RowError(
                f"is empty and the row has no point to tell whether it is in {wanted}",
                field="country",
            )
        return
    if wanted.casefold() != OUTLINE_COUNTRY.casefold():
        return  # no outline of this country to check against
    _, outside = locate(latitude, longitude)
    if outside <= SILENT_KM:
        return
    refuse = float(settings.INCIDENT_MAP.get("SCOPE_REFUSE_KM", DEFAULT_REFUSE_KM))
    where = f"({latitude:g}, {longitude:g}) lies {outside:.0f} km outside {wanted}"
    if outside > refuse:
        hint = ""
        swapped = locate(longitude, latitude)[1] if -90 <= longitude <= 90 else outside
        if swapped <= SILENT_KM:
            hint = "; latitude and longitude look swapped"
        raise RowError(f"the point {where} (more than {refuse:g} km){hint}", field="latitude")
    scope.warnings.append(f"the point {where}: kept as a place near the border")


GOVERNORATE_NAMES = dict(GOVERNORATE_CODES.values())
# Counted in the report (a note, not a warning): the source's governorate was kept over
# the one the outline gives the point.
ADMIN_DISAGREES = "governorate as the source names it, not where the outline puts the point"


@dataclass(frozen=True)
class AdminArea:
    slug: str | None  # the governorate the source names, matched to the gazetteer
    disagreement: str  # a sentence for the location note, when the point lies elsewhere


def admin_area(name: str, latitude: float | None, longitude: float | None, label: str) -> AdminArea:
    """The governorate a row's source names, and whether the point lies in another one."""
    name = " ".join((name or "").split())
    if not name or country().casefold() != OUTLINE_COUNTRY.casefold():
        return AdminArea(None, "")
    slug = governorate_slug_named(name)
    if slug is None or latitude is None or longitude is None:
        return AdminArea(slug, "")
    at_point = locate(latitude, longitude)[0]
    if at_point is None or at_point == slug:
        return AdminArea(slug, "")
    return AdminArea(
        slug,
        f"{label} names the governorate {name}; the point lies in "
        f"{GOVERNORATE_NAMES.get(at_point, at_point)} by the boundary outline, which is coarse "
        f"near boundaries: the governorate is {label}'s.",
    )
