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
from collections.abc import Callable, Sequence
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
LEGAL_TYPO_MIN = 5  # shorter legal forms ("corp", "gmbh") look like ordinary words
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_SPLIT = re.compile(r"[^0-9a-z]+")
# an apostrophe inside a word marks a letter (Arabic 'ayn or hamza in "Ma'ruf", "Kata'ib";
# Korean "Cho'ng"; "O'Brien"), not a word break
_APOSTROPHE = re.compile(
    r"(?<=[0-9a-z])['`\u00b4\u2018\u2019\u02bc\u02bb]+(?=[0-9a-z])"
)


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
    text = _APOSTROPHE.sub("", anyascii(text).casefold())
    return [t for t in _SPLIT.split(text) if len(t) > 0]


def _phrase_free(
    tokens: Sequence[str], phrases: tuple[tuple[str, ...], ...]
) -> list[int]:
    """Positions of the tokens outside any of ``phrases``."""
    out: list[int] = []
    i = 0
    while i < len(tokens):
        for phrase in phrases:
            if tuple(tokens[i : i + len(phrase)]) == phrase:
                i += len(phrase)
                break
        else:
            out.append(i)
            i += 1
    return out


def _drop_phrases(tokens: list[str], phrases: tuple[tuple[str, ...], ...]) -> list[str]:
    return [tokens[i] for i in _phrase_free(tokens, phrases)]


@cache
def _legal_words() -> tuple[str, ...]:
    """Words of legal forms and legal phrases long enough to recognise when misspelt."""
    tables = _tables()
    words = set(tables.legal_forms)
    for phrase in tables.legal_phrases:
        words.update(phrase)
    return tuple(sorted(w for w in words if len(w) >= LEGAL_TYPO_MIN))


def _legal_spelling(token: str, known: Callable[[str], bool]) -> str:
    """The legal-form word ``token`` misspells, or ``token`` itself."""
    if len(token) < LEGAL_TYPO_MIN or known(token):
        return token
    allowed = 2 if len(token) >= 9 else 1
    for word in _legal_words():
        if abs(len(word) - len(token)) <= allowed:
            if OSA.distance(token, word, score_cutoff=allowed) <= allowed:
                return word
    return token


def query_name_tokens(
    text: str, organisation: bool, known: Callable[[str], bool]
) -> tuple[str, ...]:
    """``name_tokens`` for a query, where users misspell legal forms too.

    In an organisation name, a word within a typo of a legal-form word ("Compaany",
    "Publci Joint Stock", "General Tradign") counts as that word when the legal forms and
    phrases are dropped; the official lists spell their legal forms correctly, so the
    listed side needs no such folding. A word the lists themselves use (``known``) is never
    folded, and a folded word that does not complete a legal form keeps its spelling.
    """
    tokens = name_tokens(text, organisation)
    if not organisation:
        return tokens
    tables = _tables()
    raw = [
        t
        for t in latin_tokens(text)
        if t not in tables.particles and t not in tables.stopwords
    ]
    raw = _join_letter_forms(raw, tables.legal_forms)
    fixed = [_legal_spelling(t, known) for t in raw]
    if fixed == raw:
        return tokens
    kept = [
        i
        for i in _phrase_free(fixed, tables.legal_phrases)
        if fixed[i] not in tables.legal_forms
    ]
    if len(kept) == 0:
        return tokens
    return tuple(raw[i] for i in kept)


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
        tokens = _join_letter_forms(tokens, tables.legal_forms)
        tokens = _drop_phrases(tokens, tables.legal_phrases)
        tokens = [t for t in tokens if t not in tables.legal_forms]
    if len(tokens) == 0:
        tokens = raw
    return tuple(tokens)


def _join_letter_forms(tokens: list[str], forms: frozenset[str]) -> list[str]:
    """A run of single letters that spells legal forms written with dots ("S.A.",
    "S.A.L.", "L.L.C.", "M/S.") joined into those forms, so they are dropped like "SA".
    Only a run made wholly of forms: "A B C Trading" keeps its letters."""
    if sum(1 for t in tokens if len(t) == 1) < 2:
        return tokens
    out: list[str] = []
    i = 0
    while i < len(tokens):
        end = i
        while end < len(tokens) and len(tokens[end]) == 1:
            end += 1
        forms_found = (
            _letter_forms("".join(tokens[i:end]), forms) if end - i > 1 else None
        )
        if forms_found is not None:
            out.extend(forms_found)
        else:
            out.extend(tokens[i : max(end, i + 1)])
        i = max(end, i + 1)
    return out


def _letter_forms(letters: str, forms: frozenset[str]) -> list[str] | None:
    """``letters`` cut into legal forms of two letters or more (longest first), or None."""
    if len(letters) == 0:
        return []
    for cut in range(len(letters), 1, -1):
        if letters[:cut] in forms:
            rest = _letter_forms(letters[cut:], forms)
            if rest is not None:
                return [letters[:cut], *rest]
    return None


def canonical_token(token: str) -> str:
    """The one spelling a given-name variant folds to (Mohammed, Mohamed -> muhammad).

    Applied when words are compared, not to the stored words, so a misspelt variant
    ("Mohamde") is still one edit from what the list wrote ("Mohamed")."""
    return _tables().variants.get(token, token)


def name_key(text: str, organisation: bool = False) -> str:
    """One string key of a name: its tokens joined by spaces (for exact comparison)."""
    return " ".join(name_tokens(text, organisation))


def _short_similarity(a: str, b: str) -> float:
    """A three-letter word is a typo of a four-letter one only as a dropped letter after
    the same first letter ("Iad" for "Imad", "Bnk" for "Bank"); other short words must be
    equal."""
    short, long = (a, b) if len(a) < len(b) else (b, a)
    if len(short) != SHORT or len(long) != SHORT + 1 or short[0] != long[0]:
        return 0.0
    if int(OSA.distance(short, long, score_cutoff=2)) != 1:
        return 0.0
    return 1.0 - 1 / len(long)


@lru_cache(maxsize=1 << 18)  # pure, and the same word pairs recur across candidates
def word_similarity(a: str, b: str) -> float:
    """Similarity of two canonical words in 0..1; 0 when they are different words.

    Equal words, and spelling variants of one given name (``data/names.yml``), score 1.
    A single letter against a word it starts with scores 0.6 (an
    initial). Longer words score 1 - edits / length (optimal string alignment: a
    transposition is one edit), allowing 1 edit up to 5 letters, 2 up to 9, 3 beyond;
    words of 3 letters or fewer must be equal, or be a 4-letter word missing one letter
    after the first.
    """
    if a == b:
        return 1.0
    if len(a) == 1 or len(b) == 1:
        return 0.6 if a[0] == b[0] else 0.0
    variants = _tables().variants
    if variants.get(a, a) == variants.get(b, b):
        return 1.0
    if min(len(a), len(b)) <= SHORT:
        return _short_similarity(a, b)
    longest = max(len(a), len(b))
    allowed = 1 if longest <= 5 else 2 if longest <= 9 else 3
    distance = int(OSA.distance(a, b, score_cutoff=allowed + 1))
    if distance > allowed:
        return 0.0
    return 1.0 - distance / longest
