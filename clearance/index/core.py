"""The candidate index: every name and identifier of the listed entities, keyed for lookup.

Built from a store view in one pass: canonical name tokens (``clearance.normalize``), their
rarity (IDF over all listed names), merged neighbour tokens (so "Zhong Xing" and "Zhongxing"
meet), a trigram index over the token vocabulary for misspelt tokens, and an exact
identifier index. Saved beside the store, keyed by the list versions and the normaliser
version it was built from; a stale file is rebuilt, never used.
"""

from __future__ import annotations

import gc
import heapq
import math
import os
import pickle
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from clearance.errors import StaleIndex
from clearance.model import Entity, NameKind, Schema, identifier_key
from clearance.normalize import (
    MIN_WORD_SIMILARITY,
    NORMALIZER_VERSION,
    canonical_token,
    name_tokens,
    word_similarity,
)

INDEX_FORMAT = 6
MIN_FUZZY_LEN = 4  # shorter tokens must match exactly: one edit in "li" is another name
TRIGRAM_MIN_LEN = 6  # shorter words: one-letter deletions find every allowed typo
COMMON_TRIGRAM = 400  # trigrams in more words than this say little about a typo
GENERIC_SHARE = 0.002  # a word on more than 0.2 % of listed names is generic
WEAK_CANDIDATE = (
    0.3  # names sharing under 30 % of the best name's rare words are dropped
)
# a listed name sharing under a quarter of the query's rarity-weighted words is not scored
# (on the dev set every alert came from a name sharing 37 % or more)
MIN_QUERY_SHARE = 0.25
MAX_DELETE_LEN = 16  # longer vocabulary words are found by trigrams only
MAX_CANDIDATES = 12  # listed names scored in full per query
NEAR_TRIGRAM_WORDS = 8  # words found by shared trigrams kept per query word
NEAR_WORDS_KEPT = 200_000  # query words whose fuzzy neighbours are remembered
COMMON_POSTINGS = (
    3000  # words on more names than this only count when nothing rarer matched
)


@contextmanager
def _no_gc() -> Iterator[None]:
    """Building or loading creates ~300k small objects that all live on: the cyclic
    garbage collector only slows that down (measured: index load 6.3 s -> 2.3 s)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True, slots=True)
class IndexedName:
    entity: int  # position in MatchIndex.entities
    kind: NameKind
    text: str
    tokens: tuple[str, ...]


def trigrams(token: str) -> set[str]:
    padded = f"^{token}$"
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def is_organisation(schema: Schema) -> bool:
    return schema is not Schema.PERSON


@dataclass(slots=True)
class MatchIndex:
    """Names, tokens and identifiers of one set of list versions."""

    key: str  # which list versions it was built from
    entities: list[Entity]
    names: list[IndexedName]
    postings: dict[str, list[int]]  # token or merged pair -> name positions
    idf: dict[str, float]
    grams: dict[str, list[str]]  # trigram -> vocabulary tokens (len >= MIN_FUZZY_LEN)
    deletes: dict[
        str, list[str]
    ]  # a vocabulary token with one letter deleted -> tokens
    identifiers: dict[str, list[int]]  # identifier key -> entity positions
    max_idf: float
    generic_idf: float
    normalizer_version: int = NORMALIZER_VERSION
    format: int = INDEX_FORMAT
    entity_pos: dict[str, int] = field(default_factory=dict)
    entity_names: list[list[int]] = field(default_factory=list)
    # fuzzy_vocab's answers, by query word: names in a file repeat their words
    near_words: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, entities: Iterable[Entity], key: str) -> MatchIndex:
        with _no_gc():
            return cls._build(list(entities), key)

    @classmethod
    def _build(cls, ents: list[Entity], key: str) -> MatchIndex:
        names: list[IndexedName] = []
        postings: dict[str, list[int]] = defaultdict(list)
        identifiers: dict[str, list[int]] = defaultdict(list)
        for pos, entity in enumerate(ents):
            organisation = is_organisation(entity.schema)
            seen: set[tuple[str, ...]] = set()
            for name in entity.names:
                tokens = name_tokens(name.value, organisation)
                if len(tokens) == 0 or tokens in seen:
                    continue
                seen.add(tokens)
                name_pos = len(names)
                names.append(IndexedName(pos, name.kind, name.value, tokens))
                keys = set(tokens)
                keys.update(canonical_token(t) for t in tokens)
                keys.update(a + b for a, b in pairwise(tokens))
                keys.add("".join(tokens))
                for token in keys:
                    postings[token].append(name_pos)
            for ident in entity.identifiers:
                value = identifier_key(ident.value)
                if len(value) >= 4:
                    identifiers[value].append(pos)
                    digits = "".join(c for c in value if c.isdigit())
                    if (
                        ident.scheme.value == "ticker"
                        and len(digits) >= 4
                        and digits != value
                    ):
                        identifiers[digits].append(pos)  # "002415 CN" -> also "002415"
        total = max(len(names), 1)
        idf = {t: math.log(total / len(p)) + 1.0 for t, p in postings.items()}
        grams: dict[str, list[str]] = defaultdict(list)
        deletes: dict[str, list[str]] = defaultdict(list)
        for token in postings:
            if len(token) >= MIN_FUZZY_LEN:
                for gram in trigrams(token):
                    grams[gram].append(token)
                if len(token) <= MAX_DELETE_LEN:
                    for variant in one_deletes(token):
                        deletes[variant].append(token)
        index = cls(
            key=key,
            entities=ents,
            names=names,
            postings=dict(postings),
            idf=idf,
            grams=dict(grams),
            deletes=dict(deletes),
            identifiers=dict(identifiers),
            max_idf=math.log(total) + 1.0,
            generic_idf=math.log(1 / GENERIC_SHARE) + 1.0,
        )
        index.entity_pos = {e.id: i for i, e in enumerate(ents)}
        index.entity_names = [[] for _ in ents]
        for name_pos, indexed in enumerate(names):
            index.entity_names[indexed.entity].append(name_pos)
        return index

    def token_idf(self, token: str) -> float:
        return self.idf.get(token, self.max_idf)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")  # one per writer process
        with tmp.open("wb") as handle:
            self.near_words.clear()  # a cache of this process's queries, not index data
            pickle.dump(self, handle, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)  # atomic: readers see the old file or the new one

    @classmethod
    def load(cls, path: Path, key: str) -> MatchIndex:
        """Load a saved index; raises ``StaleIndex`` if it was built for other versions or
        by another normaliser."""
        with path.open("rb") as handle, _no_gc():
            index = pickle.load(handle)  # our own file, in our data directory
        if not isinstance(index, cls):
            raise StaleIndex(-1, NORMALIZER_VERSION)
        if (
            index.normalizer_version != NORMALIZER_VERSION
            or index.format != INDEX_FORMAT
        ):
            raise StaleIndex(index.normalizer_version, NORMALIZER_VERSION)
        if index.key != key:
            raise StaleIndex(index.normalizer_version, NORMALIZER_VERSION)
        return index


def one_deletes(token: str) -> set[str]:
    """The token with each one letter deleted (symmetric-delete spelling index)."""
    return {token[:i] + token[i + 1 :] for i in range(len(token))}


def fuzzy_vocab(index: MatchIndex, token: str) -> list[str]:
    """Vocabulary words within a typo or two of ``token``: those sharing a one-letter
    deletion with it (one substitution, insertion, deletion or transposition), then those
    sharing enough trigrams (more edits in longer words)."""
    if len(token) < MIN_FUZZY_LEN:
        return []
    known = index.near_words.get(token)
    if known is not None:
        return known
    if len(index.near_words) >= NEAR_WORDS_KEPT:
        index.near_words.clear()
    found = _fuzzy_vocab(index, token)
    index.near_words[token] = found
    return found


def _fuzzy_vocab(index: MatchIndex, token: str) -> list[str]:
    near: set[str] = set()
    if len(token) <= MAX_DELETE_LEN + 1:
        postings = index.postings
        for variant in {token} | one_deletes(token):
            near.update(index.deletes.get(variant, ()))
            # the token is a listed word with one letter added ("Wanyus" for "Wanus")
            if len(variant) >= MIN_FUZZY_LEN and variant in postings:
                near.add(variant)
    near.discard(token)
    close = any(word_similarity(token, t) >= MIN_WORD_SIMILARITY for t in near)
    if close or len(token) < TRIGRAM_MIN_LEN:
        return sorted(near)
    # two or more edits in a longer word: words sharing enough of its rarer trigrams
    counts: dict[str, int] = defaultdict(int)
    grams = trigrams(token)
    for gram in grams:
        others = index.grams.get(gram, ())
        if len(others) <= COMMON_TRIGRAM:
            for other in others:
                counts[other] += 1
    need = max(2, len(grams) // 2 - 1)
    ranked = sorted(
        (t for t, n in counts.items() if n >= need and abs(len(t) - len(token)) <= 3),
        key=lambda t: (-counts[t], t),  # ties by word: the same in every process
    )
    return sorted(near) + [t for t in ranked[:NEAR_TRIGRAM_WORDS] if t not in near]


def entities_of(index: MatchIndex, positions: Sequence[int]) -> list[Entity]:
    return [index.entities[p] for p in positions]


def candidates(
    index: MatchIndex, tokens: tuple[str, ...], limit: int = MAX_CANDIDATES
) -> list[int]:
    """Listed names sharing rare words (exact, misspelt, or merged) with the query."""
    scores: dict[int, float] = defaultdict(float)
    idf = index.token_idf
    # (group, key, similarity, weight cap). A name counts once per group (a query word
    # with its spelling variants and misspellings, or one merged pair), at its best key.
    # A misspelling weighs at most what the query word itself does, so "technology" near
    # the rare merged key "etechnology" ("E-TECHNOLOGY") still counts as a generic word.
    keys: list[tuple[int, str, float, float]] = []
    uncapped = math.inf
    for group, token in enumerate(tokens):
        if token in index.postings:
            keys.append((group, token, 1.0, uncapped))
        canonical = canonical_token(token)
        if canonical != token and canonical in index.postings:
            keys.append((group, canonical, 1.0, uncapped))
        cap = idf(token)
        for other in fuzzy_vocab(index, token):
            if other != token:
                sim = word_similarity(token, other)
                if sim >= MIN_WORD_SIMILARITY:
                    keys.append((group, other, sim, cap))
    group = len(tokens)
    for a, b in pairwise(tokens):
        if a + b in index.postings:
            keys.append((group, a + b, 1.0, uncapped))
            group += 1
    joined = "".join(tokens)
    if len(tokens) > 1 and joined in index.postings:
        keys.append((group, joined, 1.0, uncapped))
    elif len(tokens) > 1 and len(joined) <= MAX_DELETE_LEN:
        for other in fuzzy_vocab(index, joined):
            sim = word_similarity(joined, other)
            if sim >= MIN_WORD_SIMILARITY:
                keys.append((group, other, sim, uncapped))
    keys.sort(key=lambda k: -min(idf(k[1]), k[3]) * k[2])
    counted: set[tuple[int, int]] = set()  # (group, name position)
    for group, key, sim, cap in keys:
        postings = index.postings[key]
        if len(postings) > COMMON_POSTINGS and len(scores) > 0:
            continue
        weight = min(idf(key), cap) * sim
        for pos in postings:
            if (group, pos) not in counted:  # keys come best first
                counted.add((group, pos))
                scores[pos] += weight
    ranked = heapq.nlargest(limit, scores, key=scores.__getitem__)
    if len(ranked) == 0:
        return ranked
    floor = max(
        scores[ranked[0]] * WEAK_CANDIDATE,
        sum(idf(t) for t in tokens) * MIN_QUERY_SHARE,
    )
    return [p for p in ranked if scores[p] >= floor]
