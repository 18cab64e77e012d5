"""The admin of catalogue records (sources, actors, episodes, victim groups, places), saved
through the services so that it obeys the reviewers' rule.

Published incidents show these records, so changing one that published work cites changes
what the public sees at once: the services let only reviewers do it, and only reviewers
mark or unmark a source as confidential (``services.catalogue_change_problems``). Here a
researcher sees such a record read-only, with a note saying why, and the confidential mark
read-only; a change the services would refuse anyway (say, the record was published while
the form was open) comes back as an error on the field, with the reason.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db import models
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin

from .. import services
from ..models import (
    Actor,
    Episode,
    EpisodeClaim,
    Source,
    VictimGroup,
)
from .claim_formsets import save_claims
from .evidence import EvidenceAdmin
from .figure_entry import GuidedFigureForm


def bind_user(form_class: type[forms.ModelForm], user: Any) -> type[forms.ModelForm]:
    return type(form_class.__name__, (form_class,), {"_catalogue_user": user})


class CatalogueForm(forms.ModelForm):
    """Adds the services' refusals to the fields they concern."""

    _catalogue_user: Any = None
    service_fields: frozenset[str] = frozenset()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.instance.pk is not None:
            changes = {
                name: cleaned[name]
                for name in self.changed_data
                if name in self.service_fields and name in cleaned
            }
            problems = services.catalogue_change_problems(
                user=self._catalogue_user, record=self.instance, changes=changes
            )
            for name, reason in problems.items():
                self.add_error(name if name in self.fields else None, f"{name}: {reason}")
        return cleaned


class ReviewedCatalogueAdmin:
    """A mixin for a catalogue record's ModelAdmin: reads as usual, writes through
    ``create_service`` / ``update_service`` (``record_argument`` names the record for the
    latter), fields ``service_fields``; ``reviewer_only_fields`` are read-only to others."""

    create_service: str
    update_service: str
    record_argument: str
    service_fields: frozenset[str]
    reviewer_only_fields: tuple[str, ...] = ()

    def _locked_for(self, request: HttpRequest, obj: Model | None) -> list[str]:
        """What published work shows ``obj``, when the user may therefore not change it."""
        if obj is None or services.is_reviewer(request.user):
            return []
        return services.public_uses(obj)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if not super().has_change_permission(request, obj):  # type: ignore[misc]
            return False
        return not self._locked_for(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        if obj is not None and not services.is_reviewer(request.user):
            fields += [name for name in self.reviewer_only_fields if name not in fields]
        return fields

    def get_form(self, request: HttpRequest, obj: Model | None = None, **kwargs: Any):
        form = super().get_form(request, obj, **kwargs)  # type: ignore[misc]
        bound = bind_user(form, request.user)
        bound.service_fields = self.service_fields
        return bound

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if request.method == "GET" and obj is not None:
            uses = self._locked_for(request, obj)
            if uses:
                messages.info(
                    request,
                    f"Published work shows this record ({', '.join(uses)}): only a reviewer "
                    "may change it, so it is read-only for you.",
                )
            elif self.reviewer_only_fields and not services.is_reviewer(request.user):
                messages.info(
                    request,
                    f"Only a reviewer may change: {', '.join(self.reviewer_only_fields)}.",
                )
        return super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            values = {name: data[name] for name in form.fields if name in data}
            created = getattr(services, self.create_service)(user=request.user, **values)
            obj.pk = created.pk
            obj._state.adding = False
            obj.refresh_from_db()
            return
        changes = {
            name: data[name]
            for name in form.changed_data
            if name in self.service_fields and name in data
        }
        if changes:
            # The form already wrote the new values into ``obj``: the services decide on
            # the record as stored.
            stored = type(obj)._default_manager.get(pk=obj.pk)
            getattr(services, self.update_service)(
                **{self.record_argument: stored}, user=request.user, **changes
            )
        obj.refresh_from_db()


@admin.register(Source)
class SourceAdmin(EvidenceAdmin, ReviewedCatalogueAdmin, SimpleHistoryAdmin):
    form = CatalogueForm
    create_service, update_service, record_argument = "source_create", "source_update", "source"
    service_fields = services.SOURCE_FIELDS
    reviewer_only_fields = ("confidential",)
    list_display = ["headline", "publisher_display", "kind", "publication_date", "confidential"]
    list_filter = ["kind", "confidential", "language"]
    search_fields = ["headline", "publisher", "author", "url"]
    prepopulated_fields = {"slug": ["headline"]}
    # An address typed without a scheme is taken as https (Django 6's default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Actor)
class ActorAdmin(ReviewedCatalogueAdmin, SimpleHistoryAdmin):
    form = CatalogueForm
    create_service, update_service, record_argument = "actor_create", "actor_update", "actor"
    service_fields = services.ACTOR_FIELDS
    list_display = ["name", "name_ar", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["name", "name_ar", "aliases"]
    autocomplete_fields = ["parent"]
    prepopulated_fields = {"slug": ["name"]}


class EpisodeClaimForm(GuidedFigureForm, CatalogueForm):
    """An aggregate figure: the public sees one of a non-confidential source at once."""

    service_fields = services.EPISODE_CLAIM_FIELDS

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        source = cleaned.get("source")
        user = self._catalogue_user
        if (
            self.instance.pk is None
            and self.has_changed()
            and source is not None
            and not services.is_reviewer(user)
            and (not source.confidential or services.public_uses(self.instance.episode))
        ):
            self.add_error(
                "source",
                "source: only a reviewer may add an aggregate figure that the public would "
                "see (a source that is not confidential, or an episode the public sees).",
            )
        return cleaned


class EpisodeClaimInline(admin.StackedInline):
    model = EpisodeClaim
    form = EpisodeClaimForm
    extra = 0
    autocomplete_fields = ["source"]
    fields = [
        "measure",
        "measure_ar",
        ("measure_kind", "covers_from", "covers_to"),
        "source",
        "attributed_to",
        "quote",
        "figure_kind",
        ("figure", "figure_to"),
        ("killed_min", "killed_max", "approximate"),
        ("civilians", "children", "women"),
        ("medical_personnel", "security_forces", "combatants"),
        "perpetrator_text",
        "notes",
    ]

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = bind_user(formset.form, request.user)
        return formset


@admin.register(Episode)
class EpisodeAdmin(ReviewedCatalogueAdmin, SimpleHistoryAdmin):
    form = CatalogueForm
    create_service, update_service, record_argument = (
        "episode_create",
        "episode_update",
        "episode",
    )
    service_fields = services.EPISODE_FIELDS
    list_display = ["title", "date_start", "date_end"]
    search_fields = ["title", "title_ar"]
    inlines = [EpisodeClaimInline]
    prepopulated_fields = {"slug": ["title"]}

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not EpisodeClaim:  # pragma: no cover - no other inline
            return super().save_formset(request, form, formset, change)
        user = request.user
        save_claims(
            formset,
            fields=services.EPISODE_CLAIM_FIELDS,
            add=lambda values: services.episode_claim_add(
                episode=form.instance, user=user, **values
            ),
            # The row as stored, with its source: the service compares against it.
            update=lambda claim, changed: services.episode_claim_update(
                claim=EpisodeClaim.objects.select_related("source").get(pk=claim.pk),
                user=user,
                **changed,
            ),
            remove=lambda claim: services.episode_claim_remove(claim=claim, user=user),
        )
        return None


@admin.register(VictimGroup)
class VictimGroupAdmin(ReviewedCatalogueAdmin, admin.ModelAdmin):
    form = CatalogueForm
    create_service, update_service, record_argument = (
        "victim_group_create",
        "victim_group_update",
        "group",
    )
    service_fields = services.VICTIM_GROUP_FIELDS
    list_display = ["name", "name_ar"]
    search_fields = ["name", "name_ar"]
    prepopulated_fields = {"slug": ["name"]}
