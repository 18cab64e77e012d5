"""Splitting an article into paragraphs, sentences and tokens, keeping every offset.

A proposal quotes its sentence verbatim, so sentences are never rebuilt from tokens: each is
a slice ``text[start:end]`` of the article as pasted. Tokens carry their offsets too, so a
phrase found among them can be highlighted in the quote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A word (Latin with its accents, or Arabic), a number with thousands separators, or any
# other single character that is not a space.
_TOKEN = re.compile(
    r"\d[\d,٬]*(?:\.\d+)?(?<![,٬])"
    r"|[٠-٩]+"
    r"|[A-Za-z\u00c0-\u024f\u1e00-\u1eff]+(?:['’][A-Za-z]+)?"
    r"|[\u0600-\u06ff]+"
    r"|\S"
)
# Abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "st", "gen", "col", "lt", "maj", "capt", "sgt", "no", "vs", "etc"}
    | {"jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"}
    | {"u.s", "u.k", "u.n", "e.g", "i.e"}
)
_SENTENCE_END = re.compile(r"[.!?؟]+[\"'”’)\]]*(?=\s+|$)")
_CLOSERS = "\"'”’)]"


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int

    @property
    def lower(self) -> str:
        return self.text.casefold().replace("’", "'")


@dataclass(frozen=True)
class Sentence:
    """One sentence: its offsets in the article and its tokens (offsets in the article)."""

    text: str
    start: int
    end: int
    paragraph: int
    tokens: tuple[Token, ...]


def tokenize(text: str, offset: int = 0) -> tuple[Token, ...]:
    return tuple(
        Token(m.group(0), m.start() + offset, m.end() + offset) for m in _TOKEN.finditer(text)
    )


def _ends_sentence(paragraph: str, match: re.Match[str]) -> bool:
    before = paragraph[: match.start()]
    word = re.search(r"([\w.]+)$", before)
    if word and match.group(0).startswith(".") and len(match.group(0).rstrip(_CLOSERS)) == 1:
        token = word.group(1).casefold()
        if token in _ABBREVIATIONS or re.fullmatch(r"[a-z]", token):
            return False
        if re.fullmatch(r"\d+", token):  # "1." in a list, or a decimal split by a space
            return False
    after = paragraph[match.end() :].lstrip()
    # A lower-case continuation is not a new sentence ("the U.N. envoy said ...").
    return not after or not after[0].islower()


def sentences(text: str) -> list[Sentence]:
    """The article's sentences, in order, each a verbatim slice of ``text``."""
    result: list[Sentence] = []
    paragraph_index = 0
    for para in re.finditer(r"[^\n]+", text):
        body = para.group(0)
        if not body.strip():
            continue
        cursor = 0
        pieces: list[tuple[int, int]] = []
        for match in _SENTENCE_END.finditer(body):
            if _ends_sentence(body, match):
                pieces.append((cursor, match.end()))
                cursor = match.end()
        pieces.append((cursor, len(body)))
        for start, end in pieces:
            chunk = body[start:end]
            stripped_start = start + (len(chunk) - len(chunk.lstrip()))
            stripped_end = start + len(chunk.rstrip())
            if stripped_end <= stripped_start:
                continue
            absolute_start = para.start() + stripped_start
            absolute_end = para.start() + stripped_end
            sentence_text = text[absolute_start:absolute_end]
            result.append(
                Sentence(
                    text=sentence_text,
                    start=absolute_start,
                    end=absolute_end,
                    paragraph=paragraph_index,
                    tokens=tokenize(sentence_text, absolute_start),
                )
            )
        paragraph_index += 1
    return result
