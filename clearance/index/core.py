"""The candidate index: every name and identifier of the listed entities, keyed for lookup.

Built from a store view in one pass: canonical name tokens (``clearance.normalize``), their
rarity (IDF over all listed names), merged neighbour tokens (so "Zhong Xing" and "Zhongxing"
meet), a trigram index over the token vocabulary for misspelt tokens, and an exact
identifier index. Saved beside the store, keyed by the list versions and the normaliser
version it was built from; a stale file is rebuilt, never used.
"""

from __future__ import annotations

import gc
import math
import os
import pickle
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import pairwise
from operator import itemgetter
from pathlib import Path

import numpy as np
import numpy.typing as npt

from clearance.errors import StaleIndex
from clearance.model import Entity, NameKind, Schema, identifier_key
from clearance.normalize import (
    MIN_WORD_SIMILARITY,
    NORMALIZER_VERSION,
    canonical_token,
    name_tokens,
    word_similarity,
)

INDEX_FORMAT = 8
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
MAX_CANDIDATES = 8  # listed names scored in full per query
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
    # token or merged pair -> its key number; the key's name positions are
    # post_names[post_offsets[k] : post_offsets[k + 1]] (one flat array, not a list each)
    vocab: dict[str, int]
    post_offsets: npt.NDArray[np.int64]
    post_names: npt.NDArray[np.int32]
    idf: dict[str, float]
    words: list[str]  # the vocabulary by key number (alphabetical)
    word_lengths: npt.NDArray[np.int32]
    # trigram -> its number; the vocabulary words (len >= MIN_FUZZY_LEN) holding it are
    # gram_words[gram_offsets[n] : gram_offsets[n + 1]]
    gram_keys: dict[str, int]
    gram_offsets: npt.NDArray[np.int64]
    gram_words: npt.NDArray[np.int32]
    deletes: dict[
        str, list[str]
    ]  # a vocabulary token with one letter deleted -> tokens
    identifiers: dict[str, list[int]]  # identifier key -> entity positions
    max_idf: float
    generic_idf: float
    places: frozenset[str]  # words of the cities and regions in listed addresses
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
        spelled: set[str] = set()  # words as names have them (not merged pairs)
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
                spelled.update(keys)
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
        words = sorted(postings)  # a word's number is its rank: ties break by word
        vocab = {t: k for k, t in enumerate(words)}
        offsets, flat = _flatten([postings[t] for t in words])
        grams: dict[str, list[int]] = defaultdict(list)
        deletes: dict[str, list[str]] = defaultdict(list)
        # misspellings are looked up among the words names have; merged pairs and
        # names joined whole are found exactly only (fuzzy, they would multiply the
        # deletions by ten at a million names)
        for k, token in enumerate(words):
            if token not in spelled:
                continue
            if len(token) >= MIN_FUZZY_LEN:
                for gram in trigrams(token):
                    grams[gram].append(k)
                if len(token) <= MAX_DELETE_LEN:
                    for variant in one_deletes(token):
                        deletes[variant].append(token)
        gram_keys = {g: n for n, g in enumerate(grams)}
        gram_offsets, gram_words = _flatten(list(grams.values()))
        index = cls(
            key=key,
            entities=ents,
            names=names,
            vocab=vocab,
            post_offsets=offsets,
            post_names=flat,
            idf=idf,
            words=words,
            word_lengths=np.fromiter(map(len, words), np.int32, len(words)),
            gram_keys=gram_keys,
            gram_offsets=gram_offsets,
            gram_words=gram_words,
            deletes=dict(deletes),
            identifiers=dict(identifiers),
            max_idf=math.log(total) + 1.0,
            generic_idf=math.log(1 / GENERIC_SHARE) + 1.0,
            places=_places(ents),
        )
        index.entity_pos = {e.id: i for i, e in enumerate(ents)}
        index.entity_names = [[] for _ in ents]
        for name_pos, indexed in enumerate(names):
            index.entity_names[indexed.entity].append(name_pos)
        return index

    def token_idf(self, token: str) -> float:
        return self.idf.get(token, self.max_idf)

    def posting(self, key: str) -> npt.NDArray[np.int32]:
        """Positions of the names carrying ``key`` (a listed word or merged pair)."""
        k = self.vocab[key]
        return self.post_names[self.post_offsets[k] : self.post_offsets[k + 1]]

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


def _places(entities: Sequence[Entity]) -> frozenset[str]:
    """Words of the cities and regions (states, provinces) of the listed addresses: the
    lists' own gazetteer ("Xiamen", "Zhejiang", "Moscow"), for telling the place in a
    firm's name from its distinctive core."""
    words: set[str] = set()
    seen: set[str] = set()
    for entity in entities:
        for address in entity.addresses:
            for field_text in (address.city, address.region):
                if field_text and field_text not in seen:
                    seen.add(field_text)
                    words.update(t for t in name_tokens(field_text) if len(t) > 2)
    return frozenset(words)


def _flatten(
    lists: Sequence[Sequence[int]],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]:
    """Lists of numbers as one array and the offsets where each list starts."""
    sizes = np.fromiter(map(len, lists), np.int64, len(lists))
    offsets = np.zeros(len(lists) + 1, np.int64)
    np.cumsum(sizes, out=offsets[1:])
    flat = np.fromiter((n for part in lists for n in part), np.int32, int(offsets[-1]))
    return offsets, flat


def one_deletes(token: str) -> set[str]:
    """The token with each one letter deleted (symmetric-delete spelling index)."""
    return {token[:i] + token[i + 1 :] for i in range(len(token))}


def fuzzy_vocab(index: MatchIndex, token: str) -> list[str]:
    """Vocabulary words within a typo or two of ``token``: those sharing a one-letter
    deletion with it (one substitution, insertion, deletion or transposition), then those
    sharing a two-letter deletion of it with a one-letter deletion of theirs (two edits),
    then those sharing enough trigrams (more edits in longer words). A three-letter
    word only finds four-letter words it is missing one letter of ("Bnk": "Bank")."""
    if len(token) < MIN_FUZZY_LEN - 1:
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
    if len(token) < MIN_FUZZY_LEN:
        return [w for w in index.deletes.get(token, ()) if len(w) == len(token) + 1]
    near: set[str] = set()
    if len(token) <= MAX_DELETE_LEN + 1:
        vocab = index.vocab
        for variant in {token} | one_deletes(token):
            near.update(index.deletes.get(variant, ()))
            # the token is a listed word with one letter added ("Wanyus" for "Wanus")
            if len(variant) >= MIN_FUZZY_LEN and variant in vocab:
                near.add(variant)
    near.discard(token)
    close = any(word_similarity(token, t) >= MIN_WORD_SIMILARITY for t in near)
    # a word the lists use is taken as written: only its one-edit neighbours
    if close or len(token) < TRIGRAM_MIN_LEN or token in index.vocab:
        return sorted(near)
    if len(token) <= MAX_DELETE_LEN + 1:  # two edits ("Griinneko": "Grinenko")
        vocab = index.vocab
        for variant in {v for d in one_deletes(token) for v in one_deletes(d)}:
            near.update(index.deletes.get(variant, ()))
            if len(variant) >= MIN_FUZZY_LEN and variant in vocab:
                near.add(variant)
        near.discard(token)
        close_words = [
            t for t in near if word_similarity(token, t) >= MIN_WORD_SIMILARITY
        ]
        if len(close_words) > 0:
            return sorted(close_words)
    # two or more edits in a longer word: words sharing enough of its rarer trigrams
    grams = trigrams(token)
    parts = []
    for gram in grams:
        n = index.gram_keys.get(gram)
        if n is not None:
            start, end = index.gram_offsets[n], index.gram_offsets[n + 1]
            if end - start <= COMMON_TRIGRAM:
                parts.append(index.gram_words[start:end])
    if len(parts) == 0:
        return sorted(near)
    shared, counts = np.unique(np.concatenate(parts), return_counts=True)
    need = max(2, len(grams) // 2 - 1)
    keep = (counts >= need) & (np.abs(index.word_lengths[shared] - len(token)) <= 3)
    shared, counts = shared[keep], counts[keep]
    # most trigrams shared first; ties by word (numbers are alphabetical ranks), so the
    # same in every process
    ranked = shared[np.lexsort((shared, -counts))[:NEAR_TRIGRAM_WORDS]]
    words = index.words
    return sorted(near) + [words[k] for k in ranked if words[k] not in near]


def entities_of(index: MatchIndex, positions: Sequence[int]) -> list[Entity]:
    return [index.entities[p] for p in positions]


def candidates(
    index: MatchIndex, tokens: tuple[str, ...], limit: int = MAX_CANDIDATES
) -> list[int]:
    """Listed names sharing rare words (exact, misspelt, or merged) with the query."""
    idf = index.token_idf
    vocab = index.vocab
    # (group, key, similarity, weight cap). A name counts once per group (a query word
    # with its spelling variants and misspellings, or one merged pair), at its best key.
    # A misspelling weighs at most what the query word itself does, so "technology" near
    # the rare merged key "etechnology" ("E-TECHNOLOGY") still counts as a generic word.
    keys: list[tuple[int, str, float, float]] = []
    uncapped = math.inf
    for group, token in enumerate(tokens):
        if token in vocab:
            keys.append((group, token, 1.0, uncapped))
        canonical = canonical_token(token)
        if canonical != token and canonical in vocab:
            keys.append((group, canonical, 1.0, uncapped))
        cap = idf(token)
        for other in fuzzy_vocab(index, token):
            if other != token:
                sim = word_similarity(token, other)
                if sim >= MIN_WORD_SIMILARITY:
                    keys.append((group, other, sim, cap))
    group = len(tokens)
    for a, b in pairwise(tokens):
        if a + b in vocab:
            keys.append((group, a + b, 1.0, uncapped))
            group += 1
    joined = "".join(tokens)
    if len(tokens) > 1 and joined in vocab:
        keys.append((group, joined, 1.0, uncapped))
    elif len(tokens) > 1 and len(joined) <= MAX_DELETE_LEN:
        for other in fuzzy_vocab(index, joined):
            sim = word_similarity(joined, other)
            if sim >= MIN_WORD_SIMILARITY:
                keys.append((group, other, sim, uncapped))
    if len(keys) == 0:
        return []
    keys.sort(key=lambda k: -min(idf(k[1]), k[3]) * k[2])
    # each group's names at their best weight (a group's keys are applied weakest
    # first, so a name keeps the best), then summed over the groups
    by_group: dict[int, list[tuple[str, float]]] = defaultdict(list)
    scored = False
    for group, key, sim, cap in keys:
        k = vocab[key]
        if (
            index.post_offsets[k + 1] - index.post_offsets[k] > COMMON_POSTINGS
            and scored
        ):
            continue
        by_group[group].append((key, min(idf(key), cap) * sim))
        scored = True
    weighted: list[dict[int, float]] = []
    for parts in by_group.values():
        names: dict[int, float] = {}
        for key, weight in reversed(parts):
            names.update(dict.fromkeys(index.posting(key).tolist(), weight))
        weighted.append(names)
    weighted.sort(key=len)
    scores = weighted.pop()  # the largest group's dict, added to in place
    get = scores.get
    for names in weighted:
        for pos, weight in names.items():
            scores[pos] = get(pos, 0.0) + weight
    floor = max(
        max(scores.values()) * WEAK_CANDIDATE,
        sum(idf(t) for t in tokens) * MIN_QUERY_SHARE,
    )
    kept = [item for item in scores.items() if item[1] >= floor]
    # best first, equal scores by position (two stable sorts): every process ranks alike
    kept.sort()
    kept.sort(key=itemgetter(1), reverse=True)
    return [pos for pos, _ in kept[:limit]]
