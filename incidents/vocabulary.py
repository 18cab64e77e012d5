"""The controlled vocabularies as the public site names them, in the visitor's language.

The models keep their choice labels in English (the admin and the API speak English); the
public site shows the same values through these translatable labels. A test checks that
every choice of the models has a label here, so a new value cannot reach the site
untranslated.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

EVENT_TYPES: dict[str, Promise] = {
    "summary_execution": _("Summary execution"),
    "massacre": _("Massacre"),
    "shelling": _("Shelling or bombardment"),
    "airstrike": _("Airstrike or drone strike"),
    "ambush": _("Ambush or attack on forces"),
    "attack_on_civilians": _("Attack on civilians"),
    "armed_clash": _("Armed clash"),
    "security_operation": _("Security or military operation"),
    "looting_arson": _("Looting or arson"),
    "mass_grave": _("Mass grave"),
    "abduction": _("Abduction or enforced disappearance"),
    "other": _("Other violence"),
}

DATE_PRECISIONS: dict[str, Promise] = {
    "day": _("exact day"),
    "days": _("within a few days"),
    "week": _("within a week"),
    "month": _("within a month"),
}

LOCATION_PRECISIONS: dict[str, Promise] = {
    "exact": _("exact location"),
    "neighbourhood": _("neighbourhood"),
    "settlement": _("town or village"),
    "subdistrict": _("subdistrict"),
    "district": _("district"),
    "governorate": _("governorate"),
    "country": _("country"),
}

GRADES: dict[str, Promise] = {
    "confirmed": _("Confirmed"),
    "fair": _("Fair"),
    "weak": _("Weak"),
    "contested": _("Contested"),
    "discounted": _("Discounted"),
}

CONFIDENCES: dict[str, Promise] = {
    "alleged": _("alleged"),
    "probable": _("probable"),
    "confirmed": _("confirmed"),
}

FIGURE_RULES: dict[str, Promise] = {
    "range_of_claims": _(
        "Range of all claims: low is the lowest figure claimed, high the highest, best the "
        "lower median of the claims"
    ),
    "source_hierarchy": _(
        "Claims of the highest-ranked kind of source only (monitor reports first), "
        "reconciled as a range"
    ),
    "manual": _("Set by a researcher, with a written rationale"),
}

SOURCE_KINDS: dict[str, Promise] = {
    "monitor_report": _("Monitor report"),
    "news_article": _("News article"),
    "official_statement": _("Official statement"),
    "social_media": _("Social media"),
    "witness_testimony": _("Witness testimony"),
    "dataset": _("Event data set"),
}

# The columns of an episode's table by monitor (models.MeasureKind).
MEASURE_KINDS: dict[str, Promise] = {
    "all_deaths": _("All deaths"),
    "civilians": _("Civilians"),
    "security_forces": _("Security forces"),
    "executions": _("Executions"),
    "other": _("Other measures"),
}

BREAKDOWN: dict[str, Promise] = {
    "civilians": _("Civilians"),
    "children": _("Children"),
    "women": _("Women"),
    "medical_personnel": _("Medical personnel"),
    "security_forces": _("Security forces"),
    "combatants": _("Combatants"),
}


# What each value means, for the about page (beside the label). A value without an entry
# here is still listed there, by its label.
GRADE_MEANINGS: dict[str, Promise] = {
    "confirmed": _(
        "Independent sources agree on the event, and at least one documented it directly "
        "(a monitor's own documentation, named victims, verified images)."
    ),
    "fair": _(
        "Reported by a credible source, consistent with other reports, but not yet "
        "documented independently."
    ),
    "weak": _(
        "A single report, or reports that cannot be checked; recorded so that it is not "
        "lost, and to be confirmed or discounted."
    ),
    "contested": _(
        "Sources disagree on whether the event happened as described, or on who did it; "
        "the claims are shown side by side."
    ),
    "discounted": _(
        "Examined and found unreliable or wrong; kept so that the reason is on record."
    ),
}

DATE_PRECISION_MEANINGS: dict[str, Promise] = {
    "day": _("The sources give the day the event happened."),
    "days": _("The event spans, or is dated to, a few days: the dates shown are its span."),
    "week": _("Only the week is known: the dates shown are that week."),
    "month": _("Only the month is known: the dates shown are that month."),
}

LOCATION_PRECISION_MEANINGS: dict[str, Promise] = {
    "exact": _("The spot where it happened."),
    "neighbourhood": _("A neighbourhood of a town."),
    "settlement": _("A town or village, without the spot inside it."),
    "subdistrict": _("Only the subdistrict (nahiya) is known."),
    "district": _("Only the district is known."),
    "governorate": _("Only the governorate is known."),
    "country": _("Only the country is known."),
}

CONFIDENCE_MEANINGS: dict[str, Promise] = {
    "alleged": _("A source says so, without evidence we could weigh."),
    "probable": _("Several sources, or the circumstances, point to this party."),
    "confirmed": _("Established by the evidence, or not disputed by the party itself."),
}


def label(vocabulary: dict[str, Promise], value: str) -> str:
    """The translated label of ``value``, or the value itself if it is not known."""
    return str(vocabulary.get(value, value))
