"""Screening features. Each returns a value in 0..1 and the evidence behind it, computed in
the same pass; their weights live in ``weights.yml``. These docstrings are user
documentation (the API serves them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from rapidfuzz.distance import OSA as JW  # optimal string alignment on whole names

from clearance.model import Entity, NameKind, PartialDate, Schema
from clearance.normalize import canonical_token
from clearance.normalize import word_similarity as token_sim


class Lexicon(Protocol):
    """Word rarity over all listed names (the index provides it)."""

    max_idf: float
    generic_idf: float  # words commoner than this ("technology", "trading") are generic
    places: frozenset[str]  # words of the cities and regions in listed addresses

    def token_idf(self, token: str) -> float: ...


@dataclass(slots=True)
class Alignment:
    q_sims: list[float]  # best similarity of each query word
    n_sims: list[float]  # best similarity of each listed word
    pairs: list[tuple[str, str, float]]  # (query word(s), listed word(s), similarity)


def _spans(tokens: Sequence[str], free: list[int]) -> list[tuple[tuple[int, ...], str]]:
    """Runs of 2-3 consecutive unmatched words, joined ("shu guang" -> "shuguang")."""
    out: list[tuple[tuple[int, ...], str]] = []
    for k in range(len(free) - 1):
        start = free[k]
        if free[k + 1] != start + 1:
            continue
        out.append(((start, start + 1), tokens[start] + tokens[start + 1]))
        if k + 2 < len(free) and free[k + 2] == start + 2:
            joined = tokens[start] + tokens[start + 1] + tokens[start + 2]
            out.append(((start, start + 1, start + 2), joined))
    return out


def align(query: Sequence[str], name: Sequence[str]) -> Alignment:
    """Greedy one-to-one alignment of query words to listed words, best pairs first; then
    runs of unmatched words are joined on either side, so split and merged spellings meet."""
    q_sims = [0.0] * len(query)
    n_sims = [0.0] * len(name)
    pairs: list[tuple[str, str, float]] = []
    scored: list[tuple[float, int, int]] = []
    sim = token_sim  # memoised: the same word pairs recur across a query's candidates
    for i, a in enumerate(query):
        for j, b in enumerate(name):
            s = 1.0 if a == b else sim(a, b)
            if s > 0.0:
                scored.append((s, i, j))
    if len(scored) > 1:
        scored.sort(reverse=True)
    for s, i, j in scored:
        if q_sims[i] > 0.0 or n_sims[j] > 0.0:
            continue
        q_sims[i] = n_sims[j] = s
        pairs.append((query[i], name[j], s))
    free_q = [i for i, s in enumerate(q_sims) if s < 1.0]
    free_n = [j for j, s in enumerate(n_sims) if s < 1.0]
    if len(free_q) == 0 or len(free_n) == 0:
        return Alignment(q_sims, n_sims, pairs)
    q_spans = _spans(query, free_q)
    n_spans = _spans(name, free_n)
    if len(q_spans) == 0 and len(n_spans) == 0:
        return Alignment(q_sims, n_sims, pairs)
    q_units = [((i,), query[i]) for i in free_q] + q_spans
    n_units = [((j,), name[j]) for j in free_n] + n_spans
    merged: list[tuple[float, tuple[int, ...], tuple[int, ...], str, str]] = []
    for qi, qa in q_units:
        for nj, nb in n_units:
            if len(qi) == 1 and len(nj) == 1:
                continue  # already compared
            if abs(len(qa) - len(nb)) > 2:
                continue
            s = sim(qa, nb)
            if s >= 0.85:
                merged.append((s, qi, nj, qa, nb))
    merged.sort(reverse=True)
    for s, qi, nj, qa, nb in merged:
        if any(q_sims[i] >= s for i in qi) or any(n_sims[j] >= s for j in nj):
            continue
        for i in qi:
            q_sims[i] = s
        for j in nj:
            n_sims[j] = s
        pairs.append((qa, nb, s))
    return Alignment(q_sims, n_sims, pairs)


@dataclass(slots=True)
class NameFeatures:
    """Features of one query name against one listed name."""

    name_exact: float
    query_coverage: float
    name_coverage: float
    distinctive: float
    word_similarity: float
    joined_similarity: float
    unmatched_query: float
    unmatched_name: float
    unmatched_both: float
    subset: float
    name_found: float
    core_query_coverage: float
    core_name_coverage: float
    single_token: float
    weak_alias: float
    code_like: float
    alignment: Alignment

    @property
    def detail(self) -> str:
        """The evidence in words: how many query words were found, and how."""
        pairs = self.alignment.pairs
        shown = "; ".join(
            f"{a}={b}" if s == 1.0 else f"{a}~{b} {s:.2f}" for a, b, s in pairs[:8]
        )
        found = sum(1 for s in self.alignment.q_sims if s >= 0.8)
        return f"{found} of {len(self.alignment.q_sims)} query words found ({shown})"


def code_like(tokens: Sequence[str]) -> bool:
    """Each word has a digit or at most three letters: a code rather than words."""
    return len(tokens) > 0 and all(len(t) <= 3 or not t.isalpha() for t in tokens)


def name_features(
    index: Lexicon,
    query: Sequence[str],
    name: Sequence[str],
    kind: NameKind,
    codes: bool = False,
    places: frozenset[str] = frozenset(),
) -> NameFeatures:
    """name_exact: the same words (any order). query_coverage / name_coverage: the share
    of the query's / the listed name's words found on the other side, each word weighted by
    its rarity among all listed names (IDF), so "Hikvision" counts and "Technology" barely
    does. distinctive: rarity of the rarest word matched. word_similarity: how close the
    matched words are, on average (1 = all equal; typos lower it). joined_similarity: the
    distinctive words of both names written without spaces, compared letter by letter
    ("EP-MNV" and "EPMHNV"; "Megvii" and "MEGVII TECHNOLOGY LIMITED").
    unmatched_query / unmatched_name: rarity of the rarest word left unmatched on each side;
    unmatched_both: both sides keep a rare word the other lacks (a replaced distinctive
    word is what separates a near miss from a match). subset: every word of one side
    is found in the other (a middle name dropped or added, a short name of a firm).
    name_found: every listed word is found in the query.
    core_query_coverage / core_name_coverage: coverage counting only the distinctive
    part of each word's rarity (above the level of generic words such as "Technology"
    or "Shenzhen"), so "Hikvision" covers the core of "Hangzhou Hikvision Digital
    Technology".
    single_token: a one-word query. weak_alias: the listed name is a weak a.k.a. (too broad
    to screen on alone). code_like: the listed name is a code rather than words (an
    aircraft registration "EP-IBS", a vessel's call sign): each word has a digit or at
    most three letters, so only the letters as a whole can be compared.
    With ``codes`` (an aircraft's or vessel's name against a query that is a code too),
    two code-like names are compared as one word each, so a misplaced hyphen or a doubled
    letter ("ELP--IBS", "EOP-MNG") is one edit of the registration, not a lost word.
    A leading word in ``places`` (for a firm: the cities and regions of the lists'
    addresses) weighs nothing when left unmatched on either side: "Meiya Pico" is the
    core of "Xiamen Meiya Pico Information", the city is not; a matched place keeps its
    rarity."""
    words = len(query)
    is_code = code_like(name)
    if codes and is_code and len(query) + len(name) > 2:
        query, name = ("".join(query),), ("".join(name),)
    al = align(query, name)
    idf = index.token_idf
    g = index.generic_idf
    q_w = [idf(t) for t in query]
    n_w = [idf(t) for t in name]
    q = _side(q_w, al.q_sims, g, _placed(query, q_w, places))
    n = _side(n_w, al.n_sims, g, _placed(name, n_w, places))
    q_cov = q.covered / max(q.total, 1e-9)
    n_cov = n.covered / max(n.total, 1e-9)
    sims = [s for _, _, s in al.pairs]
    word_similarity = sum(sims) / len(sims) if len(sims) > 0 else 0.0
    exact = (
        1.0
        if _canonical_sorted(tuple(query)) == _canonical_sorted(tuple(name))
        else 0.0
    )
    q_core_text = "".join([t for t, w in zip(query, q_w, strict=True) if w >= g])
    n_core_text = "".join([t for t, w in zip(name, n_w, strict=True) if w >= g])
    joined = float(
        JW.normalized_similarity(
            q_core_text or "".join(query), n_core_text or "".join(name)
        )
    )
    un_q = q.top_unmatched / index.max_idf
    un_n = n.top_unmatched / index.max_idf
    distinctive = q.top_matched / index.max_idf
    core_q = q.core_covered / q.core_total if q.core_total > 0 else q_cov
    core_n = n.core_covered / n.core_total if n.core_total > 0 else n_cov
    return NameFeatures(
        name_exact=exact,
        query_coverage=q_cov,
        name_coverage=n_cov,
        distinctive=distinctive,
        word_similarity=word_similarity,
        joined_similarity=joined,
        unmatched_query=un_q,
        unmatched_name=un_n,
        unmatched_both=min(un_q, un_n),
        subset=1.0 if q.least >= 0.8 or n.least >= 0.8 else 0.0,
        name_found=1.0 if n.least >= 0.8 else 0.0,
        core_query_coverage=core_q,
        core_name_coverage=core_n,
        single_token=1.0 if words == 1 else 0.0,
        weak_alias=1.0 if kind is NameKind.WEAK else 0.0,
        code_like=1.0 if is_code else 0.0,
        alignment=al,
    )


@dataclass(slots=True)
class _Side:
    total: float = 0.0  # rarity of all words
    covered: float = 0.0  # ... weighted by how well each was found
    core_total: float = 0.0  # rarity above the generic level
    core_covered: float = 0.0
    top_matched: float = 0.0  # rarest word found (similarity >= 0.8)
    top_unmatched: float = 0.0  # rarest word left unmatched (similarity < 0.5)
    least: float = 0.0  # lowest similarity of any word (0 when there are none)


def _placed(
    tokens: Sequence[str], weights: list[float], places: frozenset[str]
) -> list[float] | None:
    """The weights with a leading place word's at zero (None: the name does not start
    with a place): firms put their city or province first ("Xiamen Meiya Pico")."""
    if len(tokens) < 2 or tokens[0] not in places:
        return None
    return [0.0, *weights[1:]]


def _side(
    weights: list[float],
    sims: list[float],
    generic: float,
    unmatched_weights: list[float] | None = None,
) -> _Side:
    """One side's word rarities summed against how well each word was found (an
    unmatched word weighing ``unmatched_weights`` when given)."""
    side = _Side(least=1.0 if len(sims) > 0 else 0.0)
    if unmatched_weights is not None:
        weights = [
            lw if s < 0.5 else w
            for w, lw, s in zip(weights, unmatched_weights, sims, strict=True)
        ]
    for w, s in zip(weights, sims, strict=True):
        side.total += w
        side.covered += w * s
        if w > generic:
            side.core_total += w - generic
            side.core_covered += (w - generic) * s
        if s >= 0.8:
            side.top_matched = max(side.top_matched, w)
        elif s < 0.5:
            side.top_unmatched = max(side.top_unmatched, w)
        side.least = min(side.least, s)
    return side


@lru_cache(maxsize=1 << 16)
def _canonical_sorted(tokens: tuple[str, ...]) -> list[str]:
    return sorted(map(canonical_token, tokens))


def birth_date_features(
    query: PartialDate | None, entity: Entity
) -> tuple[float, float, str]:
    """birth_date_match / birth_date_conflict: compared at the precision both sides know
    (a listed year "1966" neither matches nor conflicts with 1966-07-04 beyond the year);
    ranges and "circa" dates allow one year either way. A conflict grows with the gap: a
    different day or month of the same year is a mild conflict (0.3), a year apart more,
    ten years or more a full one (1.0)."""
    if query is None or len(entity.birth_dates) == 0:
        return 0.0, 0.0, ""
    best = 0.0
    least_conflict = 1.0
    for listed in entity.birth_dates:
        slack = 1 if listed.circa or listed.until_year is not None else 0
        last = listed.until_year or listed.year
        low, high = listed.year - slack, last + slack
        if not (low <= query.year <= high):
            gap = min(abs(query.year - low), abs(query.year - high))
            least_conflict = min(least_conflict, min(1.0, 0.3 + gap / 10))
            continue
        score = 0.5
        if listed.month is not None and query.month is not None:
            if listed.month != query.month:
                least_conflict = min(least_conflict, 0.3)
                continue
            score = 0.8
            if listed.day is not None and query.day is not None:
                if listed.day != query.day:
                    least_conflict = min(least_conflict, 0.3)
                    continue
                score = 1.0
        best = max(best, score)
    listed_text = ", ".join(str(d) for d in entity.birth_dates)
    if best > 0:
        return best, 0.0, f"{query} fits listed {listed_text}"
    return 0.0, least_conflict, f"{query} conflicts with listed {listed_text}"


def country_features(query: str | None, entity: Entity) -> tuple[float, float, str]:
    """country_match / country_conflict: the query's country against the entity's
    nationalities, citizenships and countries of address."""
    if query is None:
        return 0.0, 0.0, ""
    listed = (
        set(entity.nationalities) | set(entity.citizenships) | set(entity.countries)
    )
    listed.update(a.country for a in entity.addresses if a.country is not None)
    if len(listed) == 0:
        return 0.0, 0.0, ""
    if query in listed:
        return 1.0, 0.0, f"{query} is among {', '.join(sorted(listed))}"
    return 0.0, 1.0, f"{query} is not among {', '.join(sorted(listed))}"


def schema_conflict(query: Schema | None, entity: Entity) -> float:
    """schema_conflict: a person queried, an organisation listed (or the reverse)."""
    if query is None:
        return 0.0
    if (query is Schema.PERSON) != (entity.schema is Schema.PERSON):
        return 1.0
    return 0.0
