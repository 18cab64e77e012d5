"""Realistic data for schemathesis: slugs the server has, dates and bounds in order.

The OpenAPI document says what shape a request has; it cannot say which slugs exist (a
filter or a related record named by an unknown slug, or by one only hidden work uses, is a
400 naming the parameter) nor rules between two fields (``date_end`` not before
``date_start``, a minimum not above its maximum). schemathesis's check
``positive_data_acceptance`` expects every schema-valid request to be accepted, so this
module rewrites the requests schemathesis generates as valid ones (never the ones it
generates to be refused): each slug becomes one the API itself lists to an anonymous client
(its catalogue endpoints and published incidents, read once per run), and a pair given in
the wrong order is swapped.

Load it with ``SCHEMATHESIS_HOOKS=tests.schemathesis_hooks schemathesis run ...`` (see the
README, "Checking the API against its schema"); ``tests/test_api_schema.py`` registers it for
the in-process pass.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import schemathesis
from schemathesis import Case, GenerationMode
from schemathesis.core.parameters import ParameterLocation

# Query parameters naming records by slug, and the catalogue each one draws from.
QUERY_SLUGS = {
    "episode": "episode",
    "perpetrator": "actor",
    "source": "source",
    "governorate": "governorate",
    "district": "district",
    "place": "place",
}
# Query parameters that must be in order when both are given: (lower, upper).
QUERY_PAIRS = [("date_from", "date_to"), ("killed_min", "killed_max")]

Fetch = Callable[[str], Any]


@dataclass
class Catalogue:
    """Slugs by kind, and the (place, governorate, district) triples incidents really use."""

    slugs: dict[str, list[str]] = field(default_factory=dict)
    locations: list[dict[str, str | None]] = field(default_factory=list)
    cursors: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, fetch: Fetch) -> Catalogue:
        """Read what the API shows an anonymous client; ``fetch`` takes a path, returns JSON."""
        slugs: dict[str, set[str]] = {kind: set() for kind in (*QUERY_SLUGS.values(), "victim")}
        for kind, path in [
            ("episode", "/api/v1/episodes/?limit=500"),
            ("actor", "/api/v1/actors/?limit=500"),
            ("source", "/api/v1/sources/?limit=500"),
        ]:
            slugs[kind] |= {record["slug"] for record in fetch(path)["results"]}
        for feature in fetch("/api/v1/governorates.geojson")["features"]:
            slugs["governorate"].add(feature["properties"]["slug"])
        locations = []
        for incident in fetch("/api/v1/incidents/?page_size=500")["results"]:
            slugs["victim"].update(incident["victim_groups"])
            where = incident["location"]
            triple = {
                name: (where.get(name) or {}).get("slug")
                for name in ("place", "governorate", "district")
            }
            for name, slug in triple.items():
                if slug:
                    slugs[name].add(slug)
            if triple not in locations:
                locations.append(triple)
        # A cursor is a position the server hands out in a `next` link; one taken in date
        # order is valid in every ordering (date and time orderings both read a date).
        cursors = []
        following = fetch("/api/v1/incidents/?page_size=1&ordering=date_start")["next"]
        if following:
            cursors = parse_qs(urlsplit(following).query)["cursor"]
        ordered = {kind: sorted(found) for kind, found in slugs.items()}
        return cls(slugs=ordered, locations=locations, cursors=cursors)

    def pick(self, kind: str, generated: Any) -> str | None:
        """A known slug standing for ``generated``: the same one for the same value."""
        known = self.slugs.get(kind) or []
        return known[_index(generated, len(known))] if known else None


def _index(generated: Any, size: int) -> int:
    # A stable choice (not hash(), which changes between processes), so that a run with
    # --seed sends the same requests again.
    return zlib.crc32(repr(generated).encode()) % size


_catalogues: dict[str, Catalogue] = {}


def catalogue_for(case: Case) -> Catalogue:
    """The catalogue of the server ``case`` is sent to, read at its first use."""
    operation = case.operation
    if operation.app is not None:
        from werkzeug.test import Client

        client = Client(operation.app)
        key = f"wsgi:{id(operation.app)}"

        def fetch(path: str) -> Any:
            return client.get(path).json
    else:
        import requests

        base = operation.base_url or ""
        key = base

        def fetch(path: str) -> Any:
            response = requests.get(urljoin(base, path), timeout=30)
            response.raise_for_status()
            return response.json()

    if key not in _catalogues:
        _catalogues[key] = Catalogue.read(fetch)
    return _catalogues[key]


def forget_catalogues() -> None:
    """Read the catalogues again at the next case (each in-process test seeds its data)."""
    _catalogues.clear()


def _ordered(data: dict[str, Any], low: str, high: str) -> None:
    if data.get(low) is None or data.get(high) is None:
        return
    try:
        wrong = _comparable(data[low]) > _comparable(data[high])
    except (TypeError, ValueError):
        return
    if wrong:
        data[low], data[high] = data[high], data[low]


def _comparable(value: Any) -> Any:
    value = value[0] if isinstance(value, list) and len(value) == 1 else value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


def realistic_query(
    query: dict[str, Any], catalogue: Catalogue, *, lists: bool = True
) -> dict[str, Any]:
    """Slug filters name known records (left out when the server has none); pairs in order.

    With ``lists``, a filter holds a list of slugs, given as a list or comma-separated.
    """
    query = dict(query)
    for name, kind in QUERY_SLUGS.items():
        if name not in query:
            continue
        value = query[name]
        if not isinstance(value, list):
            value = str(value)
        values = value if isinstance(value, list) else value.split(",") if lists else [value]
        picked = [catalogue.pick(kind, item) for item in values]
        if None in picked:
            del query[name]
        elif isinstance(value, list):
            query[name] = picked
        else:
            query[name] = ",".join(picked)  # type: ignore[arg-type]
    for low, high in QUERY_PAIRS:
        _ordered(query, low, high)
    if "cursor" in query:
        if catalogue.cursors:
            query["cursor"] = catalogue.cursors[_index(query["cursor"], len(catalogue.cursors))]
        else:
            del query["cursor"]
    if isinstance(query.get("bbox"), str):
        query["bbox"] = _within_the_globe(query["bbox"])
    return query


def _within_the_globe(bbox: str) -> str:
    """The pattern says four numbers; the server also wants degrees in range, min <= max."""
    try:
        lon1, lat1, lon2, lat2 = (float(part) for part in bbox.split(","))
    except ValueError:
        return bbox
    lons = sorted(max(-180.0, min(180.0, lon)) for lon in (lon1, lon2))
    lats = sorted(max(-90.0, min(90.0, lat)) for lat in (lat1, lat2))
    return ",".join(repr(n) for n in (lons[0], lats[0], lons[1], lats[1]))


def _slug(data: dict[str, Any], name: str, kind: str, catalogue: Catalogue) -> None:
    if isinstance(data.get(name), str):
        slug = catalogue.pick(kind, data[name])
        if slug is None:
            data.pop(name)
        else:
            data[name] = slug


def realistic_claim(claim: dict[str, Any], catalogue: Catalogue) -> dict[str, Any]:
    claim = dict(claim)
    if claim.get("killed_max") is not None and claim.get("killed_min") is None:
        # "Up to 20" is recorded as 0 to 20: a maximum comes with its minimum.
        claim["killed_min"] = 0
    elif "killed_min" in claim and "killed_max" not in claim:
        # A new minimum alone may pass the stored maximum: make it "at least" (no maximum).
        claim["killed_max"] = None
    elif "killed_min" in claim and claim["killed_min"] is None:
        # No minimum, then no maximum either.
        claim["killed_max"] = None
    _slug(claim, "source", "source", catalogue)
    _slug(claim, "perpetrator", "actor", catalogue)
    _ordered(claim, "killed_min", "killed_max")
    return claim


def _not_in_future(data: dict[str, Any], *names: str) -> None:
    """Dates of events and reports cannot lie ahead (400): such a date is today at the latest."""
    today = date.today().isoformat()
    for name in names:
        if isinstance(data.get(name), str) and data[name] > today:
            data[name] = today


def _figures_by_hand(body: dict[str, Any]) -> None:
    """Figures are set by hand only with the rule 'manual' and a rationale, the killed range
    whole and in order (the schema cannot say either)."""
    figures = body.get("figures")
    by_hand = isinstance(figures, dict) and bool(figures)
    if not by_hand and body.get("figure_rule") != "manual":
        return
    body["figure_rule"] = "manual"
    if not (isinstance(body.get("figure_rationale"), str) and body["figure_rationale"].strip()):
        body["figure_rationale"] = "Set by hand from the sources' figures."
    if not by_hand:
        return
    killed = ("killed_low", "killed_best", "killed_high")
    given = [figures.get(name) for name in killed if isinstance(figures.get(name), int)]
    figures = dict(figures)
    if given:
        for name, value in zip(
            killed, sorted(given + [max(given)] * (3 - len(given))), strict=True
        ):
            figures[name] = value
    else:
        for name in killed:
            figures.pop(name, None)
    body["figures"] = figures


def _whole_point(body: dict[str, Any]) -> None:
    """A point is both coordinates or neither (400 otherwise): a half is left out."""
    given = [name for name in ("latitude", "longitude") if name in body]
    values = {body[name] is None for name in given}
    if len(given) == 1 or len(values) > 1:
        for name in given:
            body.pop(name)


def realistic_incident(body: dict[str, Any], catalogue: Catalogue) -> dict[str, Any]:
    body = dict(body)
    _whole_point(body)
    _not_in_future(body, "date_start", "date_end")
    _figures_by_hand(body)
    named = [name for name in ("place", "governorate", "district") if body.get(name)]
    if named and catalogue.locations:
        # Place, district and governorate must agree: take all three from one incident.
        where = catalogue.locations[_index([body[n] for n in named], len(catalogue.locations))]
        for name in named:
            body[name] = where[name]
    _slug(body, "episode", "episode", catalogue)
    if isinstance(body.get("victim_groups"), list):
        picked = {catalogue.pick("victim", value) for value in body["victim_groups"]}
        body["victim_groups"] = sorted(slug for slug in picked if slug)
    if isinstance(body.get("claims"), list):
        body["claims"] = [
            realistic_claim(claim, catalogue) if isinstance(claim, dict) else claim
            for claim in body["claims"]
        ]
    if isinstance(body.get("perpetrators"), list):
        perpetrators, named = [], set()
        for item in body["perpetrators"]:
            item = realistic_perpetrator(item, catalogue) if isinstance(item, dict) else item
            actor = item.get("actor") if isinstance(item, dict) else None
            if actor in named:
                continue  # each actor once (a second attribution of one actor is a 400)
            named.add(actor)
            perpetrators.append(item)
        body["perpetrators"] = perpetrators
    _ordered(body, "date_start", "date_end")
    return body


def realistic_perpetrator(body: dict[str, Any], catalogue: Catalogue) -> dict[str, Any]:
    body = dict(body)
    _slug(body, "actor", "actor", catalogue)
    return body


def realistic_actor(body: dict[str, Any], catalogue: Catalogue) -> dict[str, Any]:
    body = dict(body)
    _slug(body, "parent", "actor", catalogue)
    return body


def realistic_source(body: dict[str, Any], catalogue: Catalogue) -> dict[str, Any]:
    body = dict(body)
    # A publication date in the future is refused (400): such a date is today at the latest.
    published = body.get("publication_date")
    if isinstance(published, str) and published > date.today().isoformat():
        body["publication_date"] = date.today().isoformat()
    return body


def realistic_episode(body: dict[str, Any], catalogue: Catalogue) -> dict[str, Any]:
    body = dict(body)
    _not_in_future(body, "date_start", "date_end")
    _ordered(body, "date_start", "date_end")
    return body


# (method, path template) -> how a valid body of that operation is made realistic.
BODIES: dict[tuple[str, str], Callable[[dict[str, Any], Catalogue], dict[str, Any]]] = {
    ("POST", "/api/v1/incidents/"): realistic_incident,
    ("PATCH", "/api/v1/incidents/{public_id}/"): realistic_incident,
    ("POST", "/api/v1/incidents/{public_id}/claims/"): realistic_claim,
    ("PATCH", "/api/v1/incidents/{public_id}/claims/{claim_id}/"): realistic_claim,
    ("POST", "/api/v1/incidents/{public_id}/perpetrators/"): realistic_perpetrator,
    ("POST", "/api/v1/actors/"): realistic_actor,
    ("POST", "/api/v1/episodes/"): realistic_episode,
    ("POST", "/api/v1/sources/"): realistic_source,
}


def _is_positive(case: Case, location: ParameterLocation) -> bool:
    meta = case.meta
    if meta is None:
        return False
    if meta.generation.mode == GenerationMode.POSITIVE:
        return True
    # A negative case may hold valid parts; only those are made realistic.
    component = meta.components.get(location)
    return component is not None and component.mode == GenerationMode.POSITIVE


@schemathesis.hook
def map_case(context: Any, case: Case) -> Case:
    """Make the schema-valid parts of ``case`` valid for this server's data too."""
    operation = case.operation
    reshape = BODIES.get((operation.method.upper(), operation.path))
    touches_query = isinstance(case.query, dict) and any(
        name in case.query
        for name in (*QUERY_SLUGS, *(n for pair in QUERY_PAIRS for n in pair), "cursor", "bbox")
    )
    touches_body = reshape is not None and isinstance(case.body, dict)
    if not (touches_query or touches_body):
        return case
    catalogue = catalogue_for(case)
    if touches_query and _is_positive(case, ParameterLocation.QUERY):
        # The gazetteer search takes one governorate; the incident filters take lists.
        lists = operation.path != "/api/v1/places/"
        case.query = realistic_query(case.query, catalogue, lists=lists)
    if touches_body and _is_positive(case, ParameterLocation.BODY):
        case.body = reshape(case.body, catalogue)
    return case
