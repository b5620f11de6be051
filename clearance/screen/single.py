"""Screening against the store: the index for a view, kept on disk and rebuilt when the
list versions change."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from clearance.errors import StaleIndex
from clearance.index import MAX_CANDIDATES, MatchIndex, candidates
from clearance.match import Hit, Query, Weights, default_weights, score_entity
from clearance.model import Entity, Schema, identifier_key
from clearance.normalize import name_tokens, query_name_tokens
from clearance.store import View

_CHUNK = 2000
KEEP_INDEXES = 3  # saved indexes kept per home, newest first


def view_key(view: View) -> str:
    """Identifies the list versions of a view (and so the index built from them)."""
    ids = ",".join(f"{s}:{v.id}" for s, v in sorted(view.versions.items()))
    if len(view.store.identity) > 0:  # a server database: its ids are not the home's
        ids = f"{view.store.identity}|{ids}"
    return hashlib.sha1(ids.encode()).hexdigest()[:16]


def _entities(view: View) -> Iterator[Entity]:
    ids = list(view.entity_ids())
    for start in range(0, len(ids), _CHUNK):
        yield from view.get_many(ids[start : start + _CHUNK])


def load_index(view: View, folder: Path) -> MatchIndex:
    """The index for ``view``: loaded from ``folder`` if built for exactly these versions
    by this normaliser, else built now and saved (atomically) for the next process."""
    key = view_key(view)
    path = folder / f"index-{key}.pickle"
    if path.is_file():
        try:
            return MatchIndex.load(path, key)
        except (StaleIndex, EOFError, ValueError, TypeError, AttributeError):
            pass  # rebuilt below
    index = MatchIndex.build(_entities(view), key)
    index.save(path)
    # keep the few most recent (current and --as-of views alternate); drop the rest
    saved = sorted(folder.glob("index-*.pickle"), key=lambda p: p.stat().st_mtime)
    for old in saved[:-KEEP_INDEXES]:
        if old != path:
            old.unlink(missing_ok=True)
    return index


class Screener:
    """Screens queries against one view of the lists.

    >>> screener = Screener(store.current(), home / "index")
    >>> screener.screen(Query(name="Hikvision"))[0].entity.caption
    """

    def __init__(self, view: View, index_folder: Path) -> None:
        self.view = view
        self.index = load_index(view, index_folder)

    def screen(
        self,
        query: Query,
        *,
        threshold: float | None = None,
        limit: int = 10,
        sources: frozenset[str] | None = None,
    ) -> list[Hit]:
        return screen(
            self.index, query, threshold=threshold, limit=limit, sources=sources
        )


def query_tokens(index: MatchIndex, query: Query) -> dict[bool, tuple[str, ...]]:
    """Query words as an organisation name (legal forms dropped) and as a person's name;
    none when the "name" is really a listed identifier (``clearance check CNE100000PM8``)."""
    if not query.name or identifier_key(query.name) in index.identifiers:
        return {True: (), False: ()}
    organisation = query.schema is not Schema.PERSON
    return {
        True: query_name_tokens(query.name, organisation, index.idf.__contains__),
        False: name_tokens(query.name, False),
    }


def screen(
    index: MatchIndex,
    query: Query,
    *,
    threshold: float | None = None,
    limit: int = 10,
    weights: Weights | None = None,
    sources: frozenset[str] | None = None,
) -> list[Hit]:
    """Hits for one query, best first."""
    w = weights or default_weights()
    cut = w.threshold if threshold is None else threshold
    q_tokens = query_tokens(index, query)
    by_entity: dict[int, list[int]] = defaultdict(list)
    seen_tokens: set[tuple[str, ...]] = set()
    for tokens in q_tokens.values():
        if len(tokens) == 0 or tokens in seen_tokens:
            continue
        seen_tokens.add(tokens)
        for pos in candidates(index, tokens):
            entity_pos = index.names[pos].entity
            if pos not in by_entity[entity_pos]:
                by_entity[entity_pos].append(pos)
    id_hits: dict[int, str] = {}
    for raw in (query.identifier, query.name):
        if not raw:
            continue
        key = identifier_key(raw)
        for entity_pos in index.identifiers.get(key, ()):
            id_hits[entity_pos] = key
            by_entity.setdefault(entity_pos, [])
    hits: list[Hit] = []
    for entity_pos, names in by_entity.items():
        entity = index.entities[entity_pos]
        if sources is not None and not (
            set(entity.sources) & sources or entity.list_code in sources
        ):
            continue
        if entity_pos in id_hits:
            names = index.entity_names[entity_pos]  # a loose name beside an identifier
        p, _, evidence, matched = score_entity(
            index,
            query,
            entity,
            [index.names[i] for i in names],
            q_tokens,
            id_hits.get(entity_pos),
            w,
        )
        hits.append(Hit(entity, p, p >= cut, matched, tuple(evidence)))
    hits.sort(key=lambda h: -h.score)
    return hits[:limit]


def feature_rows(
    index: MatchIndex, query: Query, weights: Weights | None = None
) -> list[tuple[Entity, dict[str, float]]]:
    """Raw feature values of every candidate entity (for training the weights)."""
    w = weights or default_weights()
    out: list[tuple[Entity, dict[str, float]]] = []
    for hit in screen(index, query, limit=MAX_CANDIDATES, weights=w, threshold=2.0):
        pos = index.entity_pos[hit.entity.id]
        names = index.entity_names[pos]
        q_tokens = query_tokens(index, query)
        id_key = None
        for raw in (query.identifier, query.name):
            if raw and pos in index.identifiers.get(identifier_key(raw), ()):
                id_key = identifier_key(raw)
        _, values, _, _ = score_entity(
            index,
            query,
            hit.entity,
            [index.names[i] for i in names],
            q_tokens,
            id_key,
            w,
        )
        out.append((hit.entity, values))
    return out
