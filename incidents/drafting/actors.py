"""Actors named in a sentence, by their name, Arabic name or any alias.

Matching is on words, not characters: case, hyphens and a plural "s" are set aside, and one
extra word may stand between two words of an alias, so the alias "pro-Assad groups" finds
"pro-Assad armed groups" and "government forces" finds "government security forces".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..models import Actor
from .text import Token, tokenize


@dataclass(frozen=True)
class ActorMention:
    actor: Actor
    start: int  # token indexes of the sentence
    end: int
    alias: str


def _word(text: str) -> str:
    word = text.casefold().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return word


def _words(tokens: Sequence[Token]) -> list[tuple[str, int]]:
    """(normalised word, token index) for the tokens that are words."""
    return [(_word(t.text), k) for k, t in enumerate(tokens) if t.text[:1].isalnum()]


class ActorIndex:
    """The names of every actor, ready to be looked for in sentences."""

    def __init__(self, actors: Iterable[Actor]) -> None:
        self.entries: list[tuple[tuple[str, ...], Actor, str]] = []
        for actor in actors:
            names = [actor.name, actor.name_ar, *(actor.aliases or [])]
            for name in names:
                if not isinstance(name, str) or not name.strip():
                    continue
                words = tuple(w for w, _ in _words(tokenize(name)))
                if words:
                    self.entries.append((words, actor, name))
        # Longest names first, so "Syrian government forces" wins over "government forces".
        self.entries.sort(key=lambda entry: -len(entry[0]))

    def find(self, tokens: Sequence[Token]) -> list[ActorMention]:
        words = _words(tokens)
        found: list[ActorMention] = []
        taken: set[int] = set()
        for alias_words, actor, alias in self.entries:
            for i in range(len(words)):
                match = self._match_at(words, i, alias_words)
                if match is None:
                    continue
                start, end = words[i][1], match
                if taken & set(range(start, end)):
                    continue
                taken.update(range(start, end))
                found.append(ActorMention(actor, start, end, alias))
        found.sort(key=lambda m: m.start)
        return found

    @staticmethod
    def _match_at(words: list[tuple[str, int]], i: int, alias: tuple[str, ...]) -> int | None:
        if words[i][0] != alias[0]:
            return None
        position = i
        gaps = 0
        for word in alias[1:]:
            if position + 1 < len(words) and words[position + 1][0] == word:
                position += 1
            elif (
                len(alias) > 1
                and gaps == 0
                and position + 2 < len(words)
                and words[position + 2][0] == word
                and words[position + 2][1] - words[position][1] <= 3
            ):
                position += 2
                gaps += 1
            else:
                return None
        return words[position][1] + 1
