"""Guessing an incident's event type from the words of its sentence.

The first rule whose words appear wins, so the more specific kinds come first: a sentence
about a mass grave or an airstrike may also say "killed", and "executed" says more than
"massacre".
"""

from __future__ import annotations

from collections.abc import Sequence

from ..models import EventType
from .text import Token

_RULES: list[tuple[str, tuple[str, ...]]] = [
    (EventType.MASS_GRAVE, ("mass grave", "mass graves", "mass burial", "mass burials")),
    (
        EventType.AIRSTRIKE,
        (
            "airstrike",
            "airstrikes",
            "air strike",
            "air strikes",
            "air raid",
            "air raids",
            "drone strike",
            "drone strikes",
            "warplanes",
            "warplane",
        ),
    ),
    (
        EventType.SHELLING,
        (
            "shelling",
            "shelled",
            "shells",
            "artillery",
            "mortar",
            "mortars",
            "rocket",
            "rockets",
            "bombardment",
            "bombardments",
            "bombarded",
            "barrel bomb",
            "barrel bombs",
        ),
    ),
    (EventType.AMBUSH, ("ambush", "ambushed", "ambushes", "ambushing")),
    (
        EventType.SUMMARY_EXECUTION,
        (
            "executed",
            "execution",
            "executions",
            "executing",
            "execute",
            "shot in the head",
            "bullet to the head",
        ),
    ),
    (EventType.MASSACRE, ("massacre", "massacres", "massacred")),
    (EventType.ABDUCTION, ("kidnapped", "abducted", "abduction", "abductions", "disappeared")),
    (EventType.ARMED_CLASH, ("clashes", "clash", "clashed", "fighting", "battle", "battles")),
    (
        EventType.SECURITY_OPERATION,
        (
            "military operation",
            "security operation",
            "combing operation",
            "combing operations",
            "raid",
            "raids",
            "offensive",
        ),
    ),
    (
        EventType.LOOTING_ARSON,
        ("looted", "looting", "set on fire", "set ablaze", "torched", "arson", "ransacked"),
    ),
    (
        EventType.ATTACK_ON_CIVILIANS,
        ("opened fire", "shot", "gunned down", "stabbed", "attacked", "attack", "killed"),
    ),
]


def guess_event_type(tokens: Sequence[Token]) -> str:
    words = [t.lower for t in tokens if t.text[:1].isalnum()]
    text = " " + " ".join(words) + " "
    for event_type, phrases in _RULES:
        if any(f" {phrase} " in text for phrase in phrases):
            return str(event_type)
    return str(EventType.OTHER)
