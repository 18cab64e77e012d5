"""Admin forms of an incident: the incident form (point picker, edit-conflict check) and the
forms of its claims inline."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from mapping import country

from ..models import Claim, FigureRule, Incident, Status
from ..services import CLAIM_FIELDS, FIGURE_FIELDS, INCIDENT_FIELDS
from .figure_entry import GuidedFigureForm


class PointPickerWidget(forms.NumberInput):
    """The longitude input, followed by a Leaflet map kept in sync with both fields."""

    template_name = "incidents/admin/point_picker.html"

    def __init__(self, lat_input_id: str = "id_latitude", **kwargs: Any) -> None:
        kwargs.setdefault("attrs", {"step": "any"})
        super().__init__(**kwargs)
        self.lat_input_id = lat_input_id

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        config = settings.LEAFLET_CONFIG
        _, tiles_url, tiles_options = config["TILES"][0]
        center, zoom = country.default_view()
        context.update(
            lat_input_id=self.lat_input_id,
            center=f"{center[0]},{center[1]}",
            zoom=zoom,
            tiles_url=tiles_url,
            tiles_attribution=tiles_options.get("attribution", ""),
            tiles_max_zoom=tiles_options.get("maxZoom", 18),
            governorates_url=reverse("api:governorates"),
        )
        return context

    class Media:
        css = {"all": ["leaflet/leaflet.css", "incidents/admin/point_picker.css"]}
        # A module, for it imports the outlines' drawing from the public map's modules.
        js = ["leaflet/leaflet.js", forms.Script("incidents/admin/point_picker.js", type="module")]


class PlaceSuggestWidget(forms.TextInput):
    """The "place as reported" input, with gazetteer suggestions as the researcher types.

    Choosing a suggestion fills the point, its precision, the place, the governorate and
    the district (see ``place_suggest.js``); the suggestions come from the incident admin's
    ``place-suggest/`` view.
    """

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].update(
            {
                "data-place-suggest": reverse("admin:incidents_incident_place_suggest"),
                "autocomplete": "off",
                "role": "combobox",
                "aria-autocomplete": "list",
                "aria-expanded": "false",
            }
        )
        return context

    class Media:
        css = {"all": ["incidents/admin/place_suggest.css"]}
        js = ["incidents/admin/place_suggest.js"]


class IncidentAdminForm(forms.ModelForm):
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Incident
        fields = [
            *sorted(INCIDENT_FIELDS),
            "victim_groups",
            "figure_rule",
            "figure_rationale",
            "figures_include_confidential",
            *FIGURE_FIELDS,
        ]
        widgets = {
            "latitude": forms.NumberInput(attrs={"step": "any"}),
            "longitude": PointPickerWidget(),
            "place_name": PlaceSuggestWidget(attrs={"size": 60}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version
        if "date_end" in self.fields:
            # A one-day incident needs only its start; clean() copies it into the end.
            self.fields["date_end"].required = False
            self.fields["date_end"].help_text = _("Leave empty for a one-day incident.")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        # A malformed end (in self.errors) stays an error; only an empty one is filled.
        start = cleaned.get("date_start")
        if cleaned.get("date_end") is None and start is not None and "date_end" not in self.errors:
            cleaned["date_end"] = start
        if self.instance.pk:
            expected = cleaned.get("expected_version")
            current = Incident.objects.filter(pk=self.instance.pk).values_list("version", flat=True)
            if expected is None or expected != current.first():
                raise forms.ValidationError(
                    "Someone else changed this incident while you were editing it. "
                    "Open it again to see their change, then apply yours.",
                    code="stale",
                )
        if cleaned.get("figure_rule") != FigureRule.MANUAL:
            # A computed rule owns the figures: what is typed into them is replaced by the
            # figures reconciled from the claims when the incident is saved.
            for name in FIGURE_FIELDS:
                if name in cleaned:
                    cleaned[name] = getattr(self.instance, name)
        return cleaned


class ClaimInlineFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if self.instance.pk and self.instance.status == Status.PUBLISHED:
            kept = [
                form
                for form in self.forms
                if (form.instance.pk or form.has_changed()) and not self._should_delete_form(form)
            ]
            if not kept:
                raise forms.ValidationError(
                    "A published incident must keep at least one claim with its source."
                )


class ClaimInlineForm(GuidedFigureForm, forms.ModelForm):
    """A claim: its source, quote and figure, entered by figure kind (see figure_entry)."""

    class Meta:
        model = Claim
        fields = sorted(CLAIM_FIELDS)
        widgets = {"quote": forms.Textarea(attrs={"rows": 3, "cols": 60})}
