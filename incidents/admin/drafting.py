"""The admin page "Draft incidents from an article".

Step 1, a form: the article's text and what is known of it (headline, publisher,
publication date, URL, language, kind of source). Step 2: the engine's proposals
(``incidents.drafting.propose``), one editable form each, with the sentence it came from
highlighted, the gazetteer's place and its alternatives, and the incidents already recorded
at that place on those dates; the researcher accepts each as a new draft, adds it as a
claim to one of those incidents, or drops it. Step 3: what was created, with links.

Saving goes through ``services.article_drafts_apply`` in one transaction: the article's
Source (reused when one with the same URL exists), the drafts with their claims and
perpetrators, the claims on existing incidents; any error shows beside its proposal and
nothing is written. The page is for users who may add incidents (researchers, reviewers).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from .. import selectors, services
from ..drafting import Proposal, propose
from ..models import Incident
from .drafting_forms import CLAIM, ArticleForm, ProposalFormSet

TEMPLATE = "admin/incidents/draft_from_article.html"
MATCH_RADIUS_KM = 5.0


def _matches(request: HttpRequest, proposal: Proposal) -> list[tuple[Incident, float | None]]:
    if proposal.date_start is None or proposal.date_end is None or proposal.place is None:
        return []
    return selectors.incident_match_candidates(
        user=request.user,
        date_start=proposal.date_start,
        date_end=proposal.date_end,
        place_slug=proposal.place.slug,
        latitude=proposal.place.latitude,
        longitude=proposal.place.longitude,
        radius_km=MATCH_RADIUS_KM,
    )


def _segments(proposal: Proposal) -> list[tuple[str, str]]:
    """The quote cut into (text, highlight kind) pieces; the template escapes each."""
    pieces: list[tuple[str, str]] = []
    cursor = 0
    for highlight in proposal.highlights:
        if highlight.start < cursor:
            continue  # overlapping marks: the first one wins
        pieces.append((proposal.quote[cursor : highlight.start], ""))
        pieces.append((proposal.quote[highlight.start : highlight.end], highlight.kind))
        cursor = highlight.end
    pieces.append((proposal.quote[cursor:], ""))
    return [piece for piece in pieces if piece[0]]


def draft_from_article_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    context: dict[str, Any] = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": "Draft incidents from an article",
        "step": 1,
    }
    if request.method != "POST":
        context["article_form"] = ArticleForm()
        return TemplateResponse(request, TEMPLATE, context)

    article_form = ArticleForm(request.POST)
    context["article_form"] = article_form
    if not article_form.is_valid():
        return TemplateResponse(request, TEMPLATE, context, status=400)
    data = article_form.cleaned_data
    proposals = propose(data["text"], published=data["publication_date"], language=data["language"])
    matches = [_matches(request, proposal) for proposal in proposals]
    # Researchers add claims to unpublished incidents only; reviewers to any.
    editable = {
        incident.pk
        for pairs in matches
        for incident, _ in pairs
        if services.can_edit_incident(request.user, incident)
    }

    if request.POST.get("step") != "2":
        formset = ProposalFormSet(
            proposals=proposals,
            matches=matches,
            editable=editable,
            initial=[
                ProposalFormSet.form.initial_for(p, m, editable)
                for p, m in zip(proposals, matches, strict=True)
            ],
            prefix="proposal",
        )
        return _step_two(request, context, formset)

    formset = ProposalFormSet(
        request.POST, proposals=proposals, matches=matches, editable=editable, prefix="proposal"
    )
    if not formset.is_valid():
        return _step_two(request, context, formset, status=400)
    accepted = [form for form in formset.forms if form.accepted]
    if not accepted:
        formset._non_form_errors = formset.error_class(["Accept at least one proposal, or leave."])
        return _step_two(request, context, formset, status=400)
    items = []
    for form in accepted:
        item: dict[str, Any] = {"claim": form.claim_values(), "attributions": form.attributions()}
        if form.cleaned_data["decision"] == CLAIM:
            item["existing"] = form.cleaned_data["existing_incident"]
        else:
            item["incident"] = form.incident_values(episode=data.get("episode"))
        items.append(item)
    try:
        source, created, claims = services.article_drafts_apply(
            user=request.user,
            text=data["text"],
            source_fields=article_form.source_fields(),
            items=items,
        )
    except services.ArticleDraftsError as error:
        for key, item_error in error.errors.items():
            if key == "source":
                for field, messages in _field_messages(item_error).items():
                    target = field if field in article_form.fields else None
                    for message in messages:
                        article_form.add_error(target, message)
                continue
            form = accepted[int(key)]
            for field, messages in _field_messages(item_error).items():
                target = field if field in form.fields else None
                for message in messages:
                    form.add_error(target, message)
        return _step_two(request, context, formset, status=400)
    context.update(
        step=3,
        source=source,
        created=created,
        claimed=[claim for claim in claims if claim.incident not in created],
    )
    return TemplateResponse(request, TEMPLATE, context)


def _field_messages(error: Any) -> dict[str | None, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            (None if field == "__all__" else field): list(messages)
            for field, messages in error.message_dict.items()
        }
    return {None: list(error.messages)}


def _step_two(
    request: HttpRequest, context: dict[str, Any], formset: Any, status: int = 200
) -> HttpResponse:
    context.update(
        step=2,
        formset=formset,
        rows=[(form, _segments(form.proposal)) for form in formset.forms],
    )
    return TemplateResponse(request, TEMPLATE, context, status=status)
