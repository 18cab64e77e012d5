"""HTTP caching of public answers: validators, ``Cache-Control``, ``Vary`` and 304s.

Each public view names a :class:`Policy` (``@public(PAGE)`` on a page, ``http_cache = LIVE``
on an API view); :class:`HttpCacheMiddleware` does the rest, the same way for every view:

- **Who is public.** A request with the session cookie or an ``Authorization`` header may see
  what only its user sees (the admin's drafts, a researcher's API answers), so its answer is
  ``Cache-Control: private, no-store`` and never gets a shared validator. So is any answer,
  of any view, that sets a cookie (a CSRF or language cookie, a session) or carries a
  CSP nonce: a shared cache would hand them to the next reader.
- **Validators before the work.** For an anonymous ``GET``, the ``ETag`` is a hash of the
  publication generation (``incidents.readmodel.generation``), the release, the address
  (scheme, host, path and query), the language, and for the API the ``Accept`` header. It
  costs one cache read, so a matching ``If-None-Match`` is answered ``304`` before the view
  runs (API views answer it after their throttles, in ``api.views.base.ApiView``). No
  ``Last-Modified``: the generation may move on several times within one second, which HTTP
  dates cannot tell apart, so ``If-Modified-Since`` is not honoured.
- **Freshness.** ``public, max-age=HTTP_MAX_AGE`` (5 s), and for the map, the statistics
  (the timeline) and the home page ``stale-while-revalidate=HTTP_STALE_WHILE_REVALIDATE``
  (5 s) besides: a proxy or browser shows a retracted incident at most their sum (10 s)
  after the retraction, the application itself not at all. Other answers of a public view
  (400, 404, redirects) are ``no-cache``.
- **Vary.** ``Accept-Language`` (set by the locale middleware) and ``Cookie`` everywhere:
  the language cookie changes the page and the session cookie its privacy; the API adds
  ``Authorization`` (and DRF ``Accept``).
- **Pages kept.** Anonymous pages (home, incident, episode) at their plain address are kept
  rendered in the shared cache under their ``ETag``, so a second reader in any process gets
  them without a query.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags
from django.utils.translation import get_language

from .readmodel import answers, generation


@dataclass(frozen=True)
class Policy:
    """How a public view's anonymous answers may be cached."""

    name: str
    # Proxies may serve it stale this much longer while they fetch it afresh.
    stale_while_revalidate: bool = False
    # An ETag from the generation, and 304s; False where the view sets its own ETag.
    validator: bool = True
    # Kept rendered in the shared cache (pages; API answers keep their data instead).
    keep_page: bool = False


PAGE = Policy("page", keep_page=True)
HOME = Policy("home", stale_while_revalidate=True, keep_page=True)
LIST = Policy("list")
LIVE = Policy("live", stale_while_revalidate=True)
RECORD = Policy("record", validator=False)

PRIVATE = "private, no-store"
SAFE_METHODS = ("GET", "HEAD")

V = TypeVar("V", bound=Callable[..., Any])


def public(policy: Policy) -> Callable[[V], V]:
    """Mark a page view as public, cached as ``policy`` says."""

    def mark(view: V) -> V:
        view.http_cache = policy  # type: ignore[attr-defined]
        return view

    return mark


def personal(request: HttpRequest) -> bool:
    """Whether the request may be answered with what only its user sees."""
    return bool(request.META.get("HTTP_AUTHORIZATION")) or (
        settings.SESSION_COOKIE_NAME in request.COOKIES
    )


def etag(request: HttpRequest, token: str, *, api: bool) -> str:
    """The validator of an anonymous answer: cheap, computed before the view runs."""
    digest = hashlib.blake2b(digest_size=12)
    for part in (
        answers.release(),
        token,
        request.scheme,
        request.get_host(),
        request.get_full_path(),
        get_language(),
        request.META.get("HTTP_ACCEPT", "") if api else "",
    ):
        digest.update(str(part).encode())
        digest.update(b"\x00")
    return f'"{digest.hexdigest()}"'


def matches(request: HttpRequest, tag: str) -> bool:
    """Whether ``If-None-Match`` names ``tag`` (weak comparison: a proxy that compresses
    the answer marks its ETag weak)."""
    header = request.META.get("HTTP_IF_NONE_MATCH")
    if not header:
        return False
    given = parse_etags(header)
    return "*" in given or any(t.removeprefix("W/") == tag for t in given)


@dataclass
class Decision:
    """What the middleware decided for one request, read again for its answer."""

    policy: Policy
    api: bool
    personal: bool
    etag: str | None = None
    page_key: str | None = None
    kept: bool = False  # served from the shared cache


def cache_control(policy: Policy) -> str:
    value = f"public, max-age={settings.HTTP_MAX_AGE}"
    if policy.stale_while_revalidate:
        value += f", stale-while-revalidate={settings.HTTP_STALE_WHILE_REVALIDATE}"
    return value


def not_modified(decision: Decision) -> HttpResponse:
    response = HttpResponseNotModified()
    response["ETag"] = decision.etag
    response["Cache-Control"] = cache_control(decision.policy)
    return response


def _policy_of(view: Any) -> tuple[Policy | None, bool]:
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        api = hasattr(view, "cls")  # Django REST framework's views
        return getattr(view_class, "http_cache", None), api
    return getattr(view, "http_cache", None), False


def _shareable(response: HttpResponse) -> bool:
    """Whether anything in the answer is one reader's own (a cookie, a CSP nonce)."""
    if response.cookies:
        return False
    policy = response.get("Content-Security-Policy", "") + response.get(
        "Content-Security-Policy-Report-Only", ""
    )
    return "'nonce-" not in policy


class HttpCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        decision: Decision | None = getattr(request, "http_cache", None)
        if decision is None:
            self._guard(request, response)
        else:
            self._finish(request, response, decision)
        return response

    def process_view(
        self, request: HttpRequest, view: Callable, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        policy, api = _policy_of(view)
        if policy is None or request.method not in SAFE_METHODS:
            return None
        decision = Decision(policy=policy, api=api, personal=personal(request))
        request.http_cache = decision  # type: ignore[attr-defined]
        if decision.personal or not policy.validator:
            return None
        token = generation.current()
        decision.etag = etag(request, token, api=api)
        if api:
            return None  # answered after the API's own throttles (ApiView.initial)
        if matches(request, decision.etag):
            return not_modified(decision)
        # Pages are kept at their plain address only: a query string does not change them
        # (the map applies its filters in the browser), and must not fill the cache.
        if policy.keep_page and not request.META.get("QUERY_STRING"):
            decision.page_key = f"page:{decision.etag}"
            kept = answers.get(decision.page_key)
            if kept is not None:
                body, content_type = kept
                decision.kept = True
                return HttpResponse(body, content_type=content_type)
        return None

    @staticmethod
    def _guard(request: HttpRequest, response: HttpResponse) -> None:
        """Any other answer: never public when it is one reader's own."""
        if personal(request) or not _shareable(response):
            control = response.get("Cache-Control", "")
            if "private" not in control and "no-store" not in control:
                response["Cache-Control"] = PRIVATE

    @staticmethod
    def _finish(request: HttpRequest, response: HttpResponse, decision: Decision) -> None:
        vary = ["Accept-Language", "Cookie"]
        if decision.api:
            vary.append("Authorization")
        patch_vary_headers(response, vary)
        if decision.personal or not _shareable(response):
            response["Cache-Control"] = PRIVATE
            return
        if response.status_code == 304:
            response["Cache-Control"] = cache_control(decision.policy)
            if decision.etag:
                response["ETag"] = decision.etag
            return
        if response.status_code != 200:
            response["Cache-Control"] = "no-cache"
            return
        response["Cache-Control"] = cache_control(decision.policy)
        if decision.etag:
            response["ETag"] = decision.etag
        if (
            decision.page_key
            and not decision.kept
            and request.method == "GET"
            and not response.streaming
        ):
            answers.put(decision.page_key, (response.content, response["Content-Type"]))
