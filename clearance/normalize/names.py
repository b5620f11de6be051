"""Comparison keys for names: the one contract the index builder and the query path share.

A name becomes a tuple of canonical tokens: NFKC, traditional Chinese folded to simplified
and then to pinyin syllables, every other script latinised (anyascii), casefolded,
punctuation removed, given-name spellings folded (Mohammed -> muhammad), Arabic articles and
stopwords dropped, and for organisations legal forms dropped (Co., Ltd. / OOO / GmbH ...).
The tables are ``data/names.yml``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

import opencc
import yaml
from anyascii import anyascii
from pypinyin import lazy_pinyin
from rapidfuzz.distance import OSA

MIN_WORD_SIMILARITY = (
    0.72  # below this two words are different words, not a misspelling
)
SHORT = 3  # words this short must be equal (or be the other's initial)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_SPLIT = re.compile(r"[^0-9a-z]+")


@dataclass(frozen=True, slots=True)
class _Tables:
    legal_forms: frozenset[str]
    legal_phrases: tuple[tuple[str, ...], ...]
    stopwords: frozenset[str]
    particles: frozenset[str]
    variants: dict[str, str]
    han_words: re.Pattern[str]
    han_map: dict[str, str]


@cache
def _tables() -> _Tables:
    text = resources.files("clearance.normalize").joinpath("data/names.yml").read_text()
    data = yaml.safe_load(text)
    variants: dict[str, str] = {}
    for canonical, forms in data["variants"].items():
        for form in forms:
            variants[str(form)] = str(canonical)
    phrases = sorted(
        (tuple(str(p).split()) for p in data["legal_phrases"]), key=len, reverse=True
    )
    han_map = {str(k): str(v) for k, v in data["han_words"].items()}
    han_pattern = re.compile(
        "|".join(sorted(map(re.escape, han_map), key=len, reverse=True))
    )
    return _Tables(
        han_words=han_pattern,
        han_map=han_map,
        legal_forms=frozenset(str(x) for x in data["legal_forms"]),
        legal_phrases=tuple(phrases),
        stopwords=frozenset(str(x) for x in data["stopwords"]),
        particles=frozenset(str(x) for x in data["particles"]),
        variants=variants,
    )


@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def has_han(text: str) -> bool:
    return _HAN.search(text) is not None


def _pinyin(match: re.Match[str]) -> str:
    tables = _tables()
    simplified = _t2s().convert(match.group(0))
    translated = tables.han_words.sub(lambda m: tables.han_map[m.group(0)], simplified)
    return " " + _HAN.sub(lambda m: " ".join(lazy_pinyin(m.group(0))), translated) + " "


def latin_tokens(text: str) -> list[str]:
    """Raw latinised tokens: NFKC, Chinese to pinyin syllables, other scripts to Latin,
    casefolded, split on anything that is not a letter or digit."""
    text = unicodedata.normalize("NFKC", text)
    # symbols and emoji carry no name: anyascii would spell "🚀" as the word "rocket"
    text = "".join(" " if unicodedata.category(ch)[0] == "S" else ch for ch in text)
    if has_han(text):
        text = _HAN.sub(_pinyin, text)
    text = anyascii(text).casefold()
    return [t for t in _SPLIT.split(text) if len(t) > 0]


def _drop_phrases(tokens: list[str], phrases: tuple[tuple[str, ...], ...]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for phrase in phrases:
            if tuple(tokens[i : i + len(phrase)]) == phrase:
                i += len(phrase)
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


@lru_cache(maxsize=200_000)
def name_tokens(text: str, organisation: bool = False) -> tuple[str, ...]:
    """Canonical tokens of one name.

    Args:
        text: the name as written, in any script.
        organisation: drop legal forms too (not done for persons, whose names may contain
            "Ao" or "Sa").
    Returns:
        The tokens; never empty when ``text`` has any letter or digit (if dropping would
        remove every token, the raw tokens are kept).
    """
    tables = _tables()
    raw = latin_tokens(text)
    tokens = [t for t in raw if t not in tables.particles and t not in tables.stopwords]
    if organisation:
        tokens = _drop_phrases(tokens, tables.legal_phrases)
        tokens = [t for t in tokens if t not in tables.legal_forms]
    if len(tokens) == 0:
        tokens = raw
    return tuple(tokens)


def canonical_token(token: str) -> str:
    """The one spelling a given-name variant folds to (Mohammed, Mohamed -> muhammad).

    Applied when words are compared, not to the stored words, so a misspelt variant
    ("Mohamde") is still one edit from what the list wrote ("Mohamed")."""
    return _tables().variants.get(token, token)


def name_key(text: str, organisation: bool = False) -> str:
    """One string key of a name: its tokens joined by spaces (for exact comparison)."""
    return " ".join(name_tokens(text, organisation))


def word_similarity(a: str, b: str) -> float:
    """Similarity of two canonical words in 0..1; 0 when they are different words.

    Equal words, and spelling variants of one given name (``data/names.yml``), score 1.
    A single letter against a word it starts with scores 0.6 (an
    initial). Longer words score 1 - edits / length (optimal string alignment: a
    transposition is one edit), allowing 1 edit up to 5 letters, 2 up to 9, 3 beyond;
    words of 3 letters or fewer must be equal.
    """
    if a == b:
        return 1.0
    if len(a) == 1 or len(b) == 1:
        return 0.6 if a[0] == b[0] else 0.0
    variants = _tables().variants
    if variants.get(a, a) == variants.get(b, b):
        return 1.0
    if min(len(a), len(b)) <= SHORT:
        return 0.0
    longest = max(len(a), len(b))
    allowed = 1 if longest <= 5 else 2 if longest <= 9 else 3
    distance = int(OSA.distance(a, b, score_cutoff=allowed + 1))
    if distance > allowed:
        return 0.0
    return 1.0 - distance / longest
