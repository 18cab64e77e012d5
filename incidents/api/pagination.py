"""Keyset ("cursor") pagination of incidents, fast at any depth of a million rows.

A page ends with the sort key of its last incident; the next page starts after it. Unlike
``OFFSET``, the database never walks past the pages already read, and an incident added
or changed meanwhile cannot shift a page so that an item is skipped or repeated. Each order
is a column plus the primary key as tie-breaker.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson
from django.conf import settings
from django.db.models import Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

from incidents.models import Incident
from incidents.readmodel.documentcache import page_json

# ordering parameter -> (column, its Python type for the cursor)
ORDERINGS: dict[str, tuple[str, type]] = {
    "date_start": ("date_start", date),
    "updated_at": ("updated_at", datetime),
    "published_at": ("published_at", datetime),
}
DEFAULT_ORDERING = "-date_start"
ORDERING_CHOICES = sorted([*ORDERINGS, *(f"-{name}" for name in ORDERINGS)])


@dataclass(frozen=True)
class Page:
    # The page's documents as one JSON array (bytes), embedded by the renderer as it is.
    rows: orjson.Fragment
    next_url: str | None


def _encode(value: Any, pk: int) -> str:
    raw = json.dumps([value.isoformat() if value is not None else None, pk])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, kind: type) -> tuple[Any, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(pk, int) or isinstance(pk, bool):
            raise ValueError
        if value is not None:
            value = kind.fromisoformat(value)
        return value, pk
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValidationError(
            {"cursor": ["Invalid cursor; use the `next` link as given."]}
        ) from None


def ordering_from(request: Request) -> tuple[str, bool]:
    ordering = request.query_params.get("ordering", DEFAULT_ORDERING)
    if ordering not in ORDERING_CHOICES:
        raise ValidationError({"ordering": [f"Choose one of: {', '.join(ORDERING_CHOICES)}."]})
    return ordering.lstrip("-"), ordering.startswith("-")


def page_size_from(request: Request) -> int:
    config = settings.INCIDENT_MAP
    raw = request.query_params.get("page_size")
    if raw is None:
        return config["API_PAGE_SIZE"]
    try:
        size = int(raw)
    except ValueError:
        raise ValidationError({"page_size": ["A whole number is required."]}) from None
    if not 1 <= size <= config["API_MAX_PAGE_SIZE"]:
        raise ValidationError(
            {"page_size": [f"Choose between 1 and {config['API_MAX_PAGE_SIZE']}."]}
        )
    return size


def paginate(request: Request, incidents: QuerySet[Incident]) -> Page:
    """One page of ``incidents`` as API documents, and the link to the next page.

    Rows with no value in the ordering column (an unpublished incident has no
    ``published_at``) are left out of that ordering rather than sorted arbitrarily.
    """
    field, descending = ordering_from(request)
    size = page_size_from(request)
    column, kind = ORDERINGS[field]
    incidents = incidents.filter(**{f"{column}__isnull": False})
    cursor = request.query_params.get("cursor")
    if cursor == "":
        raise ValidationError({"cursor": ["Empty cursor; use the `next` link as given."]})
    if cursor:
        value, pk = _decode(cursor, kind)
        op = "lt" if descending else "gt"
        incidents = incidents.filter(
            Q(**{f"{column}__{op}": value}) | Q(**{column: value, f"pk__{op}": pk})
        )
    sign = "-" if descending else ""
    # First the page's keys alone (on PostgreSQL an index-only scan of the covering index),
    # then the rows of that page only.
    keys = list(
        incidents.order_by(f"{sign}{column}", f"{sign}pk").values_list(column, "pk")[: size + 1]
    )
    next_url = None
    if len(keys) > size:
        keys = keys[:size]
        value, pk = keys[-1]
        next_url = replace_query_param(request.build_absolute_uri(), "cursor", _encode(value, pk))
    rows = orjson.Fragment(page_json([pk for _, pk in keys]))
    return Page(rows=rows, next_url=next_url)
