"""The incident admin: the form, its claims and perpetrators inline, the workflow actions.

Saving goes through the services, so the admin obeys the same rules as the API: versions
are checked, claims recompute the figures, researchers cannot publish, every change lands
in the history with its user.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from mapping import gazetteer

from .. import selectors, services
from ..duplicates import flag_duplicates
from ..models import (
    Attribution,
    Claim,
    FigureRule,
    Incident,
)
from .claim_formsets import save_claims
from .drafting import draft_from_article_view
from .duplicates import duplicates_view
from .figure_entry import figure_preview_view
from .incident_forms import ClaimInlineForm, ClaimInlineFormSet, IncidentAdminForm
from .workflow import review_queue_view, workflow_buttons, workflow_view


class ClaimInline(admin.StackedInline):
    model = Claim
    form = ClaimInlineForm
    formset = ClaimInlineFormSet
    extra = 0
    autocomplete_fields = ["source", "perpetrator"]
    fieldsets = [
        (None, {"fields": ["source", "attributed_to", "quote"]}),
        (
            "Figures",
            {
                "fields": [
                    "figure_kind",
                    ("figure", "figure_to"),
                    ("killed_min", "killed_max", "approximate"),
                    ("civilians", "children", "women"),
                    ("medical_personnel", "security_forces", "combatants"),
                ],
                "description": "Choose how the source states the figure, then type it as "
                "stated: the minimum and maximum follow the kind's rule, the same as in "
                "drafting from an article. “At least 7” stays open above: it is never "
                "published as 7 to 7.",
            },
        ),
        (
            "As reported",
            {
                "fields": [
                    "perpetrator_text",
                    "perpetrator",
                    "place_as_reported",
                    "date_as_reported",
                    "notes",
                ]
            },
        ),
    ]


class AttributionInline(admin.TabularInline):
    model = Attribution
    extra = 0
    autocomplete_fields = ["actor"]
    verbose_name = "perpetrator"
    verbose_name_plural = "perpetrators"


class IncidentActionForm(helpers.ActionForm):
    reason = forms.CharField(
        required=False,
        label="Reason (needed to retract; kept in the history, not published)",
        widget=forms.TextInput(attrs={"size": 24}),
    )


@admin.register(Incident)
class IncidentAdmin(SimpleHistoryAdmin):
    form = IncidentAdminForm
    action_form = IncidentActionForm
    inlines = [ClaimInline, AttributionInline]
    # Short columns with short headings, so that the list fits a 1,400 px screen beside the
    # navigation and the filters without scrolling sideways (see incident_list.css).
    list_display = [
        "public_id",
        "title_column",
        "type_column",
        "dates_column",
        "governorate_column",
        "killed_range",
        "grade",
        "status",
    ]
    list_display_links = ["public_id", "title_column"]
    list_filter = ["status", "event_type", "governorate", "date_start", "grade", "episode"]
    search_fields = [
        "public_id",
        "title",
        "title_ar",
        "summary",
        "place_name",
        "place__name",
        "place__name_ar",
        "governorate__name",
        "governorate__name_ar",
    ]
    date_hierarchy = "date_start"
    list_select_related = ["governorate"]
    autocomplete_fields = ["place", "governorate", "district", "episode"]
    filter_horizontal = ["victim_groups"]
    readonly_fields = ["public_id", "status", "version", "published_at", "retraction_reason"]
    actions = ["submit_for_review", "publish", "retract", "return_to_draft", "find_duplicates"]
    fieldsets = [
        (None, {"fields": [("public_id", "status", "version"), "expected_version"]}),
        (
            "What happened",
            {
                "fields": [
                    "title",
                    "title_ar",
                    "summary",
                    "summary_ar",
                    "event_type",
                    "episode",
                    "victim_groups",
                ]
            },
        ),
        ("When", {"fields": [("date_start", "date_end"), "date_precision"]}),
        (
            "Where",
            {
                "fields": [
                    "place_name",
                    "place",
                    ("governorate", "district"),
                    "location_precision",
                    "latitude",
                    "longitude",
                    "location_note",
                ],
                "description": "Click the map or drag the marker to set the point; typing "
                "coordinates moves the marker.",
            },
        ),
        (
            "Figures",
            {
                "fields": [
                    "figure_rule",
                    ("killed_low", "killed_best", "killed_high", "killed_high_open"),
                    ("civilians", "children", "women"),
                    ("medical_personnel", "security_forces", "combatants"),
                    "figure_rationale",
                    "figures_include_confidential",
                ],
                "description": "With a computed rule the figures are reconciled from the "
                "claims below when you save; choose the manual rule to set them yourself, "
                "with a rationale.",
            },
        ),
        ("Review", {"fields": ["grade", "published_at", "retraction_reason"]}),
    ]

    @admin.display(description=_("title"), ordering="title")
    def title_column(self, obj: Incident) -> str:
        return obj.title

    @admin.display(description=_("type"), ordering="event_type")
    def type_column(self, obj: Incident) -> str:
        return obj.get_event_type_display()

    @admin.display(description=_("dates"), ordering="date_start")
    def dates_column(self, obj: Incident) -> str:
        # Each date whole (ISO dates would break at their hyphens), the range may wrap.
        if obj.date_end == obj.date_start:
            return format_html('<span class="nowrap">{}</span>', obj.date_start.isoformat())
        return format_html(
            '<span class="nowrap">{}</span> – <span class="nowrap">{}</span>',
            obj.date_start.isoformat(),
            obj.date_end.isoformat(),
        )

    @admin.display(description=_("governorate"), ordering="governorate__name")
    def governorate_column(self, obj: Incident) -> str:
        return obj.governorate.name if obj.governorate else "—"

    @admin.display(description="killed")
    def killed_range(self, obj: Incident) -> str:
        return "—" if obj.killed_low is None else obj.killed_display

    # --- place suggestions ----------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        suggest = path(
            "place-suggest/",
            self.admin_site.admin_view(self.place_suggest_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_place_suggest",
        )
        drafting = path(
            "draft-from-article/",
            self.admin_site.admin_view(self.draft_from_article_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_draft_from_article",
        )
        figure_preview = path(
            "figure-preview/",
            self.admin_site.admin_view(figure_preview_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_figure_preview",
        )
        duplicates = path(
            "duplicates/",
            self.admin_site.admin_view(self.duplicates_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_duplicates",
        )
        review_queue = path(
            "review-queue/",
            self.admin_site.admin_view(self.review_queue_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_review_queue",
        )
        workflow = path(
            "<path:object_id>/workflow/",
            self.admin_site.admin_view(self.workflow_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_workflow",
        )
        return [
            suggest,
            drafting,
            duplicates,
            figure_preview,
            review_queue,
            workflow,
            *super().get_urls(),
        ]

    def review_queue_view(self, request: HttpRequest) -> HttpResponse:
        """What waits for a reviewer, oldest first (see admin/workflow.py)."""
        return review_queue_view(self, request)

    def workflow_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The workflow buttons of an incident's page post here (see admin/workflow.py)."""
        return workflow_view(self, request, object_id)

    def duplicates_view(self, request: HttpRequest) -> HttpResponse:
        """Possible duplicates, side by side, to merge or dismiss (see admin/duplicates.py)."""
        return duplicates_view(self, request)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        if object_id.isdigit() and request.user.has_perm("incidents.review_duplicatecandidate"):
            incident = Incident(pk=int(object_id))
            extra_context["open_duplicates"] = selectors.duplicate_candidates_open(
                incident=incident
            ).count()
        shown = self.get_object(request, object_id)
        if shown is not None:
            extra_context["workflow"] = workflow_buttons(request.user, shown)
        return super().change_view(request, object_id, form_url, extra_context)

    def draft_from_article_view(self, request: HttpRequest) -> HttpResponse:
        """Proposals from a pasted article, to accept as drafts (see admin/drafting.py)."""
        return draft_from_article_view(self, request)

    def place_suggest_view(self, request: HttpRequest) -> JsonResponse:
        """Gazetteer matches for what is typed in "place as reported", as JSON.

        ``?q=`` the name as typed; ``&governorate=`` a governorate slug to search within.
        Offline only: an online geocoder is never asked on every keystroke.
        """
        if not (self.has_add_permission(request) or self.has_view_or_change_permission(request)):
            return JsonResponse({"error": "You may not look up places."}, status=403)
        governorate = request.GET.get("governorate") or None
        try:
            result = gazetteer.search(request.GET.get("q", ""), governorate=governorate, limit=8)
        except ValueError as error:
            return JsonResponse({"error": str(error)}, status=400)
        matches = []
        for match in result.matches:
            if result.found and match.score < gazetteer.FOUND_SCORE:
                continue  # beside a confident answer, long shots only distract
            data = match.as_dict()
            data["label"] = str(match.place)
            for area in ("governorate", "district"):
                if data[area] is not None:
                    data[area]["label"] = f"{data[area]['name']} ({area})"
            matches.append(data)
        return JsonResponse({"query": result.query, "found": result.found, "matches": matches})

    # --- permissions ----------------------------------------------------------------------

    def has_change_permission(self, request: HttpRequest, obj: Incident | None = None) -> bool:
        if obj is not None:
            return services.can_edit_incident(request.user, obj)
        return super().has_change_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Incident | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if not services.is_reviewer(request.user):
            # Whether the public range counts confidential claims is a reviewer's decision.
            fields.append("figures_include_confidential")
        return fields

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("incidents.publish_incident")

    def has_retract_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("incidents.retract_incident")

    def has_submit_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("incidents.submit_incident")

    # --- saving through the services ------------------------------------------------------

    def save_model(self, request: HttpRequest, obj: Incident, form: Any, change: bool) -> None:
        data = form.cleaned_data
        fields = {
            name: data[name]
            for name in services.INCIDENT_FIELDS
            if name in data and (not change or name in form.changed_data)
        }
        figures = {name: data.get(name) for name in services.FIGURE_FIELDS}
        rule = data.get("figure_rule", FigureRule.RANGE_OF_CLAIMS)
        if not change:
            created = services.incident_create(
                user=request.user,
                figure_rule=rule,
                figures=figures if rule == FigureRule.MANUAL else None,
                figure_rationale=data.get("figure_rationale", ""),
                **fields,
            )
            if data.get("figures_include_confidential"):
                services.incident_set_figures_scope(
                    incident=created,
                    user=request.user,
                    expected_version=None,
                    include_confidential=True,
                )
            obj.pk = created.pk
            obj._state.adding = False
            obj.refresh_from_db()
            return
        # One service call: the fields, the victim groups and the figures are written with
        # one version check and one history entry. A reviewer's change of the figures' scope
        # (below) is a decision of its own, with its own history entry, in the same
        # transaction as the admin's save.
        figure_args: dict[str, Any] = {}
        if {"figure_rule", "figure_rationale", *services.FIGURE_FIELDS} & set(form.changed_data):
            figure_args = {
                "figure_rule": rule,
                "figures": figures if rule == FigureRule.MANUAL else None,
                "figure_rationale": data.get("figure_rationale", ""),
            }
        services.incident_edit(
            incident=obj,
            user=request.user,
            expected_version=data.get("expected_version"),
            victim_groups=(
                data.get("victim_groups", []) if "victim_groups" in form.changed_data else None
            ),
            **figure_args,
            **fields,
        )
        if "figures_include_confidential" in form.changed_data:
            # Inside the admin's transaction, after the edit took the row's version.
            services.incident_set_figures_scope(
                incident=obj,
                user=request.user,
                expected_version=None,
                include_confidential=bool(data.get("figures_include_confidential")),
            )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if not change:
            services.incident_set_victim_groups(
                incident=form.instance,
                user=request.user,
                victim_groups=form.cleaned_data.get("victim_groups", []),
            )
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is Claim:
            self._save_claims(request, form.instance, formset)
        elif formset.model is Attribution:
            self._save_attributions(request, form.instance, formset)
        else:  # pragma: no cover - no other inline
            super().save_formset(request, form, formset, change)

    def _save_claims(self, request: HttpRequest, incident: Incident, formset: Any) -> None:
        user = request.user
        save_claims(
            formset,
            fields=services.CLAIM_FIELDS,
            add=lambda values: services.claim_add(incident=incident, user=user, **values),
            update=lambda claim, changed: services.claim_update(claim=claim, user=user, **changed),
            remove=lambda claim: services.claim_remove(claim=claim, user=user),
        )
        incident.refresh_from_db()

    def _save_attributions(self, request: HttpRequest, incident: Incident, formset: Any) -> None:
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for attribution_form in formset.forms:
            if not attribution_form.has_changed():
                continue
            data = attribution_form.cleaned_data
            if formset._should_delete_form(attribution_form):
                if attribution_form.instance.pk:
                    attribution_form.instance._history_user = request.user
                    attribution_form.instance.delete()
                    formset.deleted_objects.append(attribution_form.instance)
                continue
            attribution = services.attribution_set(
                incident=incident,
                user=request.user,
                actor=data["actor"],
                confidence=data["confidence"],
                note=data.get("note", ""),
            )
            formset.new_objects.append(attribution)

    # --- workflow actions -----------------------------------------------------------------

    def _run(
        self,
        request: HttpRequest,
        queryset: QuerySet[Incident],
        action: Any,
        done: str,
        **kwargs: Any,
    ) -> None:
        succeeded = 0
        for incident in queryset:
            try:
                action(incident=incident, user=request.user, **kwargs)
                succeeded += 1
            except (ValidationError, PermissionDenied, services.ConcurrentEditError) as error:
                detail = "; ".join(getattr(error, "messages", [str(error)]))
                self.message_user(request, f"{incident.public_id}: {detail}", messages.ERROR)
        if succeeded:
            self.message_user(request, f"{succeeded} incident(s) {done}.", messages.SUCCESS)

    @admin.action(description="Submit selected incidents for review", permissions=["submit"])
    def submit_for_review(self, request: HttpRequest, queryset: QuerySet[Incident]) -> None:
        self._run(request, queryset, services.incident_submit_for_review, "submitted for review")

    @admin.action(description="Publish selected incidents", permissions=["publish"])
    def publish(self, request: HttpRequest, queryset: QuerySet[Incident]) -> None:
        self._run(request, queryset, services.incident_publish, "published")

    @admin.action(description="Retract selected incidents (give a reason)", permissions=["retract"])
    def retract(self, request: HttpRequest, queryset: QuerySet[Incident]) -> None:
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(
                request, "Give a reason in the box beside the action to retract.", messages.ERROR
            )
            return
        self._run(request, queryset, services.incident_retract, "retracted", reason=reason)

    def has_review_duplicates_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("incidents.review_duplicatecandidate")

    @admin.action(
        description="Look for duplicates of the selected incidents",
        permissions=["review_duplicates"],
    )
    def find_duplicates(self, request: HttpRequest, queryset: QuerySet[Incident]) -> None:
        flagged = flag_duplicates(queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            f"{flagged} possible duplicate pair(s) to review among the selected incidents.",
            messages.SUCCESS if flagged else messages.INFO,
        )

    @admin.action(description="Return selected incidents to draft", permissions=["submit"])
    def return_to_draft(self, request: HttpRequest, queryset: QuerySet[Incident]) -> None:
        self._run(request, queryset, services.incident_return_to_draft, "returned to draft")
