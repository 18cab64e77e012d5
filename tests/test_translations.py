"""The Arabic translation is complete, compiled and in step with the vocabularies."""

import re

import polib
import pytest
from django.conf import settings
from django.utils import translation

from incidents import vocabulary
from incidents.models import (
    Confidence,
    DatePrecision,
    EventType,
    FigureRule,
    Grade,
    MeasureKind,
    SourceKind,
)
from mapping.models import LocationPrecision

PO = settings.BASE_DIR / "locale" / "ar" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def test_every_arabic_message_is_translated_and_not_fuzzy():
    catalogue = polib.pofile(str(PO))
    assert len(catalogue) > 100
    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []
    for entry in catalogue:
        # A plural entry has a form per Arabic number (zero, one, two, few, many, other),
        # each of which must keep the placeholders of the English plural.
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for form in translations:
            assert sorted(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid)) == sorted(
                PLACEHOLDER.findall(form)
            ), entry.msgid


def test_the_compiled_catalogue_matches_the_source():
    source = {entry.msgid: entry.msgstr for entry in polib.pofile(str(PO))}
    compiled = {entry.msgid: entry.msgstr for entry in polib.mofile(str(MO)) if entry.msgid}
    assert compiled == source, "run: msgfmt -o locale/ar/LC_MESSAGES/django.mo ...django.po"


@pytest.mark.parametrize(
    ("labels", "choices"),
    [
        (vocabulary.EVENT_TYPES, EventType),
        (vocabulary.DATE_PRECISIONS, DatePrecision),
        (vocabulary.LOCATION_PRECISIONS, LocationPrecision),
        (vocabulary.GRADES, Grade),
        (vocabulary.CONFIDENCES, Confidence),
        (vocabulary.FIGURE_RULES, FigureRule),
        (vocabulary.SOURCE_KINDS, SourceKind),
        (vocabulary.MEASURE_KINDS, MeasureKind),
    ],
)
def test_every_choice_has_a_translated_public_label(labels, choices):
    assert set(labels) == set(choices.values)
    with translation.override("ar"):
        for value, label in labels.items():
            assert not str(label).isascii(), value
