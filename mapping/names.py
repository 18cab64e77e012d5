"""How Syrian place names are written, and the keys under which the gazetteer files them.

The same village reaches us as al-Mukhtariya, Al Mukhtariyah, Mukhtariyya and المختارية.
Each spelling is reduced to keys of decreasing strictness:

``exact_key``
    Case-folded, Unicode-composed, whitespace collapsed: "Jableh" and "jableh" agree.
``norm_key``
    What transliterations disagree on removed: diacritics (Ḩ, ā, ş), the article (al-, el-,
    as-, ال), hyphens and spaces, doubled letters, the -iyah/-iya/-iyya/-iyeh endings, the
    e/a, o/u, ou/u and q/k variants, a final h after a vowel; in Arabic the harakat and
    tatweel, the alef variants (أ إ آ ٱ → ا), ة → ه, ى → ي. "Al-Qardahah" and "Qardaha" agree.
``skeleton_key``
    The norm key without its vowels, for spellings that differ in vowels only ("Homs" and
    "Hims", "Masyaf" and "Misyaf"). Too loose on its own for short names, so the gazetteer
    files only skeletons of three letters or more and ranks them below norm-key matches.
"""

from __future__ import annotations

import re
import unicodedata

# Article forms in transliteration: al-, el-, il-, and the assimilated as-, ad-, ash-, ...
_LATIN_ARTICLES = frozenset(
    {"al", "el", "il", "ul", "as", "ad", "ar", "at", "az", "an", "ash", "adh", "ath", "aal"}
)
# Words that say what kind of place it is rather than which one.
_KIND_WORDS = frozenset(
    {
        "governorate",
        "province",
        "district",
        "subdistrict",
        "muhafazat",
        "muhafazah",
        "mintaqat",
        "nahiyat",
        "city",
        "محافظة",
        "محافظه",
        "منطقة",
        "منطقه",
        "ناحية",
        "ناحيه",
        "مدينة",
        "مدينه",
    }
)
_APOSTROPHES = dict.fromkeys(map(ord, "'`‘’ʼʻʿʾ´"), None)
_ARABIC_HARAKAT = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي"})
_ARABIC = re.compile("[\u0600-\u06ff]")
_NON_WORD = re.compile(r"[^\w]+")
_DOUBLED = re.compile(r"(.)\1+")
_LATIN_VOWELS = re.compile("[aeiouy]")


def is_arabic(text: str) -> bool:
    return bool(_ARABIC.search(text))


def strip_diacritics(text: str) -> str:
    """Latin letters without their accents and dots: "Ḩamāh" becomes "Hamah"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def exact_key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _latin_tokens(text: str) -> list[str]:
    text = strip_diacritics(text).casefold().translate(_APOSTROPHES)
    return [token for token in _NON_WORD.split(text) if token]


def _arabic_tokens(text: str) -> list[str]:
    text = _ARABIC_HARAKAT.sub("", unicodedata.normalize("NFKC", text)).translate(_ARABIC_LETTERS)
    tokens = []
    for token in _NON_WORD.split(text):
        if token.startswith("ال") and len(token) > 3:
            token = token[2:]
        if token:
            tokens.append(token)
    return tokens


def _latin_spelling(word: str) -> str:
    """One spelling for the vowel and consonant variants of transliteration."""
    word = word.replace("ou", "u").replace("oo", "u").replace("ee", "i")
    word = word.replace("e", "a").replace("o", "u").replace("q", "k").replace("ph", "f")
    word = _DOUBLED.sub(r"\1", word)
    word = re.sub(r"iy(?=[aiu]|$)", "i", word)  # -iyah, -iya, -iyya: Baniyas / Banias
    word = re.sub(r"(?<=[aiu])h$", "", word)  # final h after a vowel: Jablah / Jabla
    return word


def norm_key(text: str) -> str:
    """The spelling-insensitive key of a name (empty for a name of kind words only)."""
    if is_arabic(text):
        tokens = [t for t in _arabic_tokens(text) if t not in _KIND_WORDS]
        return _DOUBLED.sub(r"\1", "".join(tokens))
    tokens = _latin_tokens(text)
    kept = [t for t in tokens if t not in _KIND_WORDS]
    # Articles go, except when the article is all there is ("As" alone is a name).
    without_articles = [t for t in kept if t not in _LATIN_ARTICLES]
    # "Al" glued to its noun ("Alhaffah") is rare but real in news copy.
    words = without_articles or kept
    return _latin_spelling("".join(words))


def skeleton_key(text: str) -> str:
    """The norm key without vowels; empty when it would be shorter than three letters."""
    key = norm_key(text)
    skeleton = re.sub("[اوي]", "", key) if is_arabic(text) else _LATIN_VOWELS.sub("", key)
    return skeleton if len(skeleton) >= 3 else ""


def slug_text(text: str) -> str:
    """An ASCII slug of a Latin-script name: "Al Ḩaffah" becomes "al-haffah"."""
    ascii_text = strip_diacritics(text).translate(_APOSTROPHES).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
