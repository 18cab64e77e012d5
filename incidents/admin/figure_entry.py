"""Guided entry of a claim's figure: the figure kind, the figure(s) as the source states
them, and the minimum and maximum that the kind's rule gives.

The rule is ``incidents.figurekinds.claim_figure``, the one the article-drafting tool
applies: the form calls it when it is saved, and the page's script asks the incident
admin's ``figure-preview/`` view (which calls it too) to fill the minimum and maximum as
the researcher types, so that no rule is written twice. The rule of every kind is listed
beside the choice, the chosen one marked.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..figurekinds import RULES, TAKES_SECOND, FigureKind, claim_figure, entered_figures


class FigureKindSelect(forms.Select):
    """The figure kind's choice, followed by the rule of each kind."""

    template_name = "incidents/admin/figure_kind.html"

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].update(
            {
                "data-figure-kind": "",
                "data-preview": reverse("admin:incidents_incident_figure_preview"),
                "data-takes-second": " ".join(sorted(TAKES_SECOND)),
            }
        )
        context["rules"] = [(kind, label, RULES[kind]) for kind, label in FigureKind.choices]
        context["selected"] = value or ""
        return context

    class Media:
        css = {"all": ["incidents/admin/figure_entry.css"]}
        js = ["incidents/admin/figure_entry.js"]


class GuidedFigureForm(forms.Form):
    """Guided entry for a claim's model form (an incident's claim, an episode's aggregate):
    put it first among the form's bases. With a kind chosen, the minimum, maximum and
    approximate are what its rule gives for the figures entered; without one, they are
    kept as typed (claims recorded before kinds)."""

    FIGURE_VALUES = ("killed_min", "killed_max", "approximate")

    figure = forms.IntegerField(
        label=_("figure"),
        min_value=0,
        required=False,
        help_text=_("The number as the source states it: 7 for “at least 7”."),
    )
    figure_to = forms.IntegerField(
        label=_("to"),
        min_value=0,
        required=False,
        help_text=_("A range's second figure: 50 for “between 30 and 50”."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "figure_kind" in self.fields:
            field = self.fields["figure_kind"]
            field.widget = FigureKindSelect(choices=field.choices)
        if "killed_min" in self.fields:
            self.fields["killed_min"].help_text = _(
                "Filled from the figure kind when one is chosen; without a kind, kept as typed."
            )
        claim = getattr(self, "instance", None)
        if claim is not None and claim.pk and claim.figure_kind:
            first, second = entered_figures(claim.figure_kind, claim.killed_min, claim.killed_max)
            self.fields["figure"].initial = first
            self.fields["figure_to"].initial = second

    def clean(self) -> dict[str, Any]:
        # Before the form's own checks, so that they see the figures the kind gives.
        for name, message in apply_kind(self.cleaned_data).items():
            self.add_error(name, message)
        return super().clean()

    @property
    def changed_data(self) -> list[str]:
        changed = list(super().changed_data)
        # The kind's rule sets the minimum and maximum: a new figure or kind changes them
        # even where their inputs were left as they were.
        if {"figure_kind", "figure", "figure_to"} & set(changed):
            changed += [name for name in self.FIGURE_VALUES if name not in changed]
        return changed


def apply_kind(cleaned: dict[str, Any]) -> dict[str, str]:
    """Set ``killed_min``, ``killed_max`` and ``approximate`` in ``cleaned`` from the kind
    and the figures entered; returns field errors (empty when the kind is not given, in
    which case the minimum and maximum are kept as typed)."""
    kind = cleaned.get("figure_kind") or ""
    if not kind:
        return {}
    try:
        values = claim_figure(kind, cleaned.get("figure"), cleaned.get("figure_to"))
    except ValidationError as error:
        names = {"figure": "figure", "second": "figure_to", "figure_kind": "figure_kind"}
        return {names[name]: " ".join(messages) for name, messages in error.message_dict.items()}
    cleaned.update(values.as_dict())
    return {}


def figure_preview_view(request: HttpRequest) -> JsonResponse:
    """What a kind's rule gives for the figures typed: ``?kind=at_least&figure=7[&to=]``.

    Figures the kind cannot take yet (none typed so far) answer ``{"errors": ...}`` with a
    200: a preview of a half-typed entry is not a failed request."""

    def number(name: str) -> int | None:
        raw = request.GET.get(name, "").strip()
        if not raw:
            return None
        if not raw.isdigit():
            raise ValidationError({name: _("Give a whole number, 0 or more.")})
        return int(raw)

    try:
        values = claim_figure(request.GET.get("kind", ""), number("figure"), number("to"))
    except ValidationError as error:
        return JsonResponse({"errors": error.message_dict})
    return JsonResponse(values.as_dict())
