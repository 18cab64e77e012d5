"""The Atom feed of newly published and updated incidents (``/feeds/incidents.atom``).

It takes the map's filters with the API's names and rules (``governorate=…``,
``perpetrator=…``, ``event_type=…``, ...; ``incidents.api.filters``): an unknown parameter
or a bad value is a 400 naming it, as in the API. Entries are the latest changes first.

- An entry's ``id`` is the incident's public address (the framework's default, the entry's
  link made absolute), which never changes, so a feed reader
  takes a later version of the same incident as an update of its entry. ``updated`` is
  when the incident's history last recorded a change, ``published`` its first publication.
- A retracted incident stays in the feed as an update of its entry that says it was
  retracted and when, and nothing of the withdrawn record (no title, summary, place or
  figures). The reviewer's reason is not given: it was always written for the record's
  history in the admin, and may name what must stay there. It is matched against the
  filters by its stored fields, so the readers of a governorate's feed hear of the
  retraction of an incident they were told of.
- Text from the database goes into the entries' HTML summaries escaped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html
from django.utils.translation import get_language, gettext
from rest_framework.exceptions import ValidationError

from . import selectors, vocabulary
from .api.filters import filter_incidents
from .httpcache import LIST, public
from .models import Incident, Status

# Entries in one answer: the latest changes; a reader polling more often than this many
# changes happen misses none.
FEED_SIZE = 50


def _localized(text: str, text_ar: str) -> str:
    return text_ar if get_language() == "ar" and text_ar else text


class _PublicQuery:
    """The request as the filters read it, always as an anonymous reader: the feed is
    public whoever fetches it."""

    def __init__(self, request: HttpRequest) -> None:
        self.query_params = request.GET
        self.user = AnonymousUser()


class IncidentFeed(Feed):
    feed_type = Atom1Feed

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            self._incidents = filter_incidents(_PublicQuery(request), selectors.feed_incidents())
        except ValidationError as error:
            return JsonResponse(error.detail, status=400)
        return super().__call__(request, *args, **kwargs)

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpRequest:
        return request

    def title(self, request: HttpRequest) -> str:
        if request.GET:
            return gettext("Incident map: new and updated incidents (filtered)")
        return gettext("Incident map: new and updated incidents")

    def subtitle(self, request: HttpRequest) -> str:
        text = gettext(
            "Incidents as they are published, updated or retracted. Every figure is a claim "
            "by a named source."
        )
        if request.GET:
            text += " " + gettext("Filters: %(filters)s") % {"filters": request.GET.urlencode()}
        return text

    def link(self, request: HttpRequest) -> str:
        query = request.GET.urlencode()
        return reverse("incidents:home") + (f"?{query}" if query else "")

    def feed_url(self, request: HttpRequest) -> str:
        return request.get_full_path()

    author_name = "Incident map"

    def items(self, request: HttpRequest) -> list[Incident]:
        incidents = list(self._incidents[:FEED_SIZE])
        changed = selectors.last_changed([incident.pk for incident in incidents])
        for incident in incidents:
            incident.feed_updated = changed.get(incident.pk) or incident.updated_at
        return incidents

    def item_title(self, item: Incident) -> str:
        if item.status == Status.RETRACTED:
            return gettext("Retracted: %(id)s") % {"id": item.public_id}
        return f"{item.public_id}: {_localized(item.title, item.title_ar)}"

    def item_description(self, item: Incident) -> str:
        if item.status == Status.RETRACTED:
            return format_html(
                "<p>{}</p>",
                gettext(
                    "This incident was retracted on %(date)s: its record is withdrawn and "
                    "no longer published."
                )
                % {"date": item.feed_updated.date().isoformat()},
            )
        killed = _killed_text(item)
        place = _localized(item.place.name, item.place.name_ar) if item.place else item.place_name
        facts = [
            (gettext("Date"), _dates(item)),
            (gettext("Place"), place or "—"),
            (gettext("Type"), vocabulary.label(vocabulary.EVENT_TYPES, item.event_type)),
            (gettext("Killed (low–best–high)"), killed),
            (gettext("Verification"), vocabulary.label(vocabulary.GRADES, item.grade)),
        ]
        summary = _localized(item.summary, item.summary_ar)
        parts = [format_html("<p>{}</p>", summary)] if summary else []
        parts.append(
            "<ul>"
            + "".join(format_html("<li>{}: {}</li>", name, value) for name, value in facts)
            + "</ul>"
        )
        return "".join(parts)

    def item_link(self, item: Incident) -> str:
        return reverse("incidents:incident-detail", args=[item.public_id])

    def item_pubdate(self, item: Incident) -> datetime | None:
        return item.published_at

    def item_updateddate(self, item: Incident) -> datetime:
        return item.feed_updated

    def item_categories(self, item: Incident) -> list[str]:
        if item.status == Status.RETRACTED:
            return [gettext("retracted")]
        categories = [vocabulary.label(vocabulary.EVENT_TYPES, item.event_type)]
        if item.governorate:
            categories.append(_localized(item.governorate.name, item.governorate.name_ar))
        return categories


def _dates(item: Incident) -> str:
    start, end = item.date_start.isoformat(), item.date_end.isoformat()
    return start if start == end else f"{start} – {end}"


def _killed_text(item: Incident) -> str:
    if item.killed_low is None:
        return gettext("no figure reported")
    if item.killed_high_open:
        return gettext("%(low)s–%(best)s, no upper bound") % {
            "low": item.killed_low,
            "best": item.killed_best,
        }
    return f"{item.killed_low}–{item.killed_best}–{item.killed_high}"


@public(LIST)
def incident_feed(request: HttpRequest) -> HttpResponse:
    # A feed object per request: it keeps the request's incidents between its steps.
    response = IncidentFeed()(request)
    # The framework dates the answer by its newest entry, but a retraction or a change of
    # a source can change the feed within that second: validators come from the
    # publication generation (incidents.httpcache), never from dates.
    del response["Last-Modified"]
    return response
