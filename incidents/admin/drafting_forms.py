"""The forms of "Draft incidents from an article": the article, then one form per proposal.

A proposal's quote is never taken from the browser: the view runs the engine again on the
article's text and gives each form its proposal, so the quote stays the article's sentence,
verbatim. Everything else the researcher may change.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from mapping import gazetteer
from mapping.models import LocationPrecision

from ..drafting import Proposal
from ..figurekinds import RULES, FigureKind, fits
from ..models import (
    BREAKDOWN_FIELDS,
    Actor,
    Confidence,
    DatePrecision,
    Episode,
    EventType,
    Incident,
    SourceKind,
)

MAX_ARTICLE_CHARS = 100_000
LANGUAGES = [("en", "English"), ("ar", "Arabic"), ("fr", "French"), ("de", "German")]

ACCEPT, CLAIM, DROP = "accept", "claim", "drop"
NO_PLACE = ""


class ArticleForm(forms.Form):
    """Step 1: the article and what is known of it."""

    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 18, "cols": 100}),
        max_length=MAX_ARTICLE_CHARS,
        help_text="The article's text as published. Proposals quote its sentences verbatim.",
    )
    headline = forms.CharField(max_length=500)
    publisher = forms.CharField(
        max_length=200,
        required=False,
        help_text="Leave empty when the article does not name its publisher.",
    )
    publication_date = forms.DateField(
        help_text="Resolves “on Friday”, “yesterday”, “last week” (YYYY-MM-DD)."
    )
    url = forms.URLField(
        label="URL",
        max_length=1000,
        required=False,
        assume_scheme="https",
        help_text="Only a real address. A source with this URL already recorded is reused.",
    )
    language = forms.ChoiceField(choices=LANGUAGES, initial="en")
    kind = forms.ChoiceField(
        label="source kind", choices=SourceKind.choices, initial=SourceKind.NEWS_ARTICLE
    )
    episode = forms.ModelChoiceField(
        queryset=Episode.objects.order_by("-date_start"),
        required=False,
        help_text="Put the new drafts in this episode.",
    )

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].replace("\r\n", "\n")
        if not text.strip():
            raise ValidationError("Paste the article's text.")
        return text

    def clean_publication_date(self) -> Any:
        value = self.cleaned_data["publication_date"]
        if value > timezone.localdate():
            raise ValidationError("The publication date cannot be in the future.")
        return value

    def source_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "headline": data["headline"],
            "publisher": data["publisher"],
            "publication_date": data["publication_date"],
            "url": data["url"],
            "language": data["language"],
            "kind": data["kind"],
        }


class ProposalForm(forms.Form):
    """Step 2: one proposal, to accept as a new draft, add to an incident, or drop."""

    decision = forms.ChoiceField(
        choices=[
            (ACCEPT, "Accept as a new draft incident"),
            (CLAIM, "Add as a claim to an existing incident"),
            (DROP, "Drop"),
        ],
        widget=forms.RadioSelect,
    )
    existing = forms.ChoiceField(label="existing incident", required=False)
    title = forms.CharField(max_length=300, required=False)
    event_type = forms.ChoiceField(choices=EventType.choices)
    place = forms.ChoiceField(label="gazetteer place", required=False)
    place_other = forms.CharField(
        label="or another place",
        max_length=200,
        required=False,
        help_text="A name to look up in the gazetteer instead.",
    )
    place_as_reported = forms.CharField(max_length=300, required=False)
    location_precision = forms.ChoiceField(choices=LocationPrecision.choices)
    date_start = forms.DateField(required=False)
    date_end = forms.DateField(required=False)
    date_precision = forms.ChoiceField(choices=DatePrecision.choices)
    date_as_reported = forms.CharField(max_length=200, required=False)
    killed_min = forms.IntegerField(min_value=0, required=False)
    killed_max = forms.IntegerField(min_value=0, required=False)
    approximate = forms.BooleanField(required=False)
    figure_kind = forms.ChoiceField(
        label="figure kind",
        choices=[("", "—"), *FigureKind.choices],
        required=False,
        help_text="How the sentence states the figure; its rule set the minimum and maximum.",
    )
    civilians = forms.IntegerField(min_value=0, required=False)
    children = forms.IntegerField(min_value=0, required=False)
    women = forms.IntegerField(min_value=0, required=False)
    medical_personnel = forms.IntegerField(min_value=0, required=False)
    security_forces = forms.IntegerField(min_value=0, required=False)
    combatants = forms.IntegerField(min_value=0, required=False)
    perpetrator = forms.ModelChoiceField(queryset=Actor.objects.order_by("name"), required=False)
    confidence = forms.ChoiceField(choices=Confidence.choices, initial=Confidence.ALLEGED)
    perpetrator_text = forms.CharField(
        label="perpetrator as stated", max_length=300, required=False
    )
    attributed_to = forms.CharField(max_length=200, required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(
        self,
        *args: Any,
        proposal: Proposal,
        matches: list[tuple[Incident, float | None]],
        editable: set[int],
        **kwargs: Any,
    ) -> None:
        self.proposal = proposal
        self.matches = matches
        self.editable = editable
        super().__init__(*args, **kwargs)
        places = [proposal.place, *proposal.place_alternatives] if proposal.place else []
        self.fields["place"].choices = [
            (NO_PLACE, "— no place —"),
            *((p.slug, p.label) for p in places),
        ]
        self.fields["existing"].choices = [
            ("", "—"),
            *(
                (
                    str(incident.pk),
                    f"{incident.public_id}: {incident.title} ({incident.date_start}"
                    + (f", {distance:.1f} km" if distance is not None else "")
                    + f", {incident.get_status_display().lower()})",
                )
                for incident, distance in matches
                if incident.pk in editable
            ),
        ]

    @classmethod
    def initial_for(
        cls, proposal: Proposal, matches: list[tuple[Incident, float | None]], editable: set[int]
    ) -> dict[str, Any]:
        found = bool(matches)
        matches = [pair for pair in matches if pair[0].pk in editable]
        if matches:
            decision = CLAIM
        elif found:
            # Recorded already, in an incident only a reviewer may add claims to: a new
            # draft would be a duplicate, so none is made unless the researcher says so.
            decision = DROP
        elif proposal.has_figure and proposal.place is not None:
            decision = ACCEPT
        else:
            decision = DROP
        initial = {
            "decision": decision,
            "existing": str(matches[0][0].pk) if matches else "",
            "title": proposal.title,
            "event_type": proposal.event_type,
            "place": proposal.place.slug if proposal.place else NO_PLACE,
            "place_as_reported": proposal.place_as_reported,
            "location_precision": proposal.location_precision,
            "date_start": proposal.date_start,
            "date_end": proposal.date_end,
            "date_precision": proposal.date_precision,
            "date_as_reported": proposal.date_as_reported,
            "killed_min": proposal.killed_min,
            "killed_max": proposal.killed_max,
            "approximate": proposal.approximate,
            "figure_kind": proposal.figure_kind,
            "perpetrator": proposal.perpetrator.pk if proposal.perpetrator else None,
            "perpetrator_text": proposal.perpetrator_text,
            "attributed_to": proposal.attributed_to,
            "notes": "",
        }
        for name in BREAKDOWN_FIELDS:
            initial[name] = proposal.breakdown.get(name)
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        decision = data.get("decision")
        if decision == DROP or decision is None:
            return data
        if decision == CLAIM:
            chosen = data.get("existing")
            incident = next(
                (i for i, _ in self.matches if str(i.pk) == chosen and i.pk in self.editable),
                None,
            )
            if incident is None:
                self.add_error("existing", "Choose the incident to add this claim to.")
            data["existing_incident"] = incident
        if decision == ACCEPT:
            if not (data.get("title") or "").strip():
                self.add_error("title", "Give the new incident a title.")
            if data.get("date_start") is None:
                self.add_error("date_start", "Give the date the incident began.")
            if data.get("date_end") is None and data.get("date_start") is not None:
                data["date_end"] = data["date_start"]
        other = (data.get("place_other") or "").strip()
        slug = data.get("place") or NO_PLACE
        data["place_object"] = None
        if other:
            try:
                result = gazetteer.search(other, limit=1)
            except ValueError as error:
                self.add_error("place_other", str(error))
            else:
                if result.best is None:
                    self.add_error("place_other", f"The gazetteer has no place called “{other}”.")
                else:
                    data["place_object"] = result.best.place
        elif slug != NO_PLACE:
            place = gazetteer.place(slug)
            if place is None:
                self.add_error("place", "This place is not in the gazetteer.")
            data["place_object"] = place
        low, high = data.get("killed_min"), data.get("killed_max")
        if high is not None and low is None:
            self.add_error("killed_min", "Give a minimum with the maximum.")
        elif low is not None and high is not None and high < low:
            self.add_error("killed_max", "The maximum cannot be below the minimum.")
        elif not fits(data.get("figure_kind") or "", low, high, bool(data.get("approximate"))):
            self.add_error(
                "figure_kind",
                f"{RULES[data['figure_kind']]} Change the kind, or the figures to fit it.",
            )
        return data

    @property
    def accepted(self) -> bool:
        return self.cleaned_data.get("decision") in (ACCEPT, CLAIM)

    def claim_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = {
            "quote": self.proposal.quote,
            "attributed_to": data["attributed_to"],
            "killed_min": data["killed_min"],
            "killed_max": data["killed_max"],
            "approximate": data["approximate"],
            "figure_kind": data["figure_kind"],
            "perpetrator": data["perpetrator"],
            "perpetrator_text": data["perpetrator_text"],
            "place_as_reported": data["place_as_reported"],
            "date_as_reported": data["date_as_reported"],
            "notes": data["notes"],
        }
        for name in BREAKDOWN_FIELDS:
            values[name] = data[name]
        return values

    def incident_values(self, *, episode: Episode | None) -> dict[str, Any]:
        data = self.cleaned_data
        place = data.get("place_object")
        values: dict[str, Any] = {
            "title": data["title"].strip(),
            "event_type": data["event_type"],
            "date_start": data["date_start"],
            "date_end": data["date_end"],
            "date_precision": data["date_precision"],
            "place_name": data["place_as_reported"] or (place.name if place else ""),
            "location_precision": data["location_precision"],
            "episode": episode,
        }
        if place is not None:
            values.update(
                place=place,
                latitude=place.latitude,
                longitude=place.longitude,
                location_note=f"The gazetteer's position of {place.name}; drafted from the "
                f"article's words “{data['place_as_reported'] or place.name}”.",
            )
        return values

    def attributions(self) -> list[dict[str, Any]]:
        actor = self.cleaned_data.get("perpetrator")
        if actor is None:
            return []
        return [{"actor": actor, "confidence": self.cleaned_data["confidence"]}]


class BaseProposalFormSet(forms.BaseFormSet):
    def __init__(
        self,
        *args: Any,
        proposals: list[Proposal],
        matches: list[list[tuple[Incident, float | None]]],
        editable: set[int],
        **kwargs: Any,
    ) -> None:
        self.proposals = proposals
        self.matches = matches
        self.editable = editable
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        kwargs = super().get_form_kwargs(index)
        if index is not None:
            kwargs.update(
                proposal=self.proposals[index],
                matches=self.matches[index],
                editable=self.editable,
            )
        return kwargs

    def total_form_count(self) -> int:
        # One form per proposal, whatever the browser says: the proposals come from the text.
        return len(self.proposals)

    def clean(self) -> None:
        sent = self.management_form.cleaned_data.get("TOTAL_FORMS")
        if self.is_bound and sent != len(self.proposals):
            raise ValidationError("The article changed between the steps: start again.")


ProposalFormSet = forms.formset_factory(
    ProposalForm,
    formset=BaseProposalFormSet,
    extra=0,
    max_num=500,
    validate_max=True,
    absolute_max=500,
)
