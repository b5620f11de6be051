"""Incremental re-screening after list updates and watch-set edits.

A run does two bounded pieces of work instead of the full cross-product:

* **list side**: the entities added, changed or removed since the list versions the last run
  saw (``clearance.store.diff_versions``, version by version) are looked up in the watched
  parties' key table (``watch_keys``: name words, merged words, whole names, identifiers),
  rarest keys first; each candidate pair is scored with the screening features, and a pair
  above the threshold is confirmed by screening that party exactly as ``clearance check``
  does. Parties already holding a hit on a changed entity are re-scored too.
* **party side**: parties added or changed since the last run are screened against the full
  index of the current lists.

What each pair's hit was is kept in ``watch_hits``; a difference becomes an alert naming the
list version that caused it. Dispositions decide what is suppressed: a false positive stays
quiet until the listed record changes materially (names, identifiers, listings, birth
dates), a true match stays open until the entity is delisted.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import islice, pairwise
from pathlib import Path

from clearance.index import MatchIndex
from clearance.match import Hit, Query, Weights, default_weights, score_entity
from clearance.model import Entity, content_hash, entity_to_dict, identifier_key
from clearance.monitor.parties import entity_keys, party_query
from clearance.screen import (
    evidence_json,
    load_index,
    query_tokens,
    screen,
    screen_queries,
    view_key,
)
from clearance.store import (
    Alert,
    AlertKind,
    AuditLog,
    Decision,
    FieldChange,
    HitState,
    NewAlert,
    Store,
    View,
    WatchedParty,
    WatchStore,
    compare_records,
    diff_versions,
    digest,
)

REVERSE_CANDIDATES = 50  # parties scored in full per listed name
COMMON_KEY = (
    2000  # keys on more parties than this are not read (see reverse_candidates)
)
FORWARD_LIMIT = 25  # hits per party screen (a hit beyond this rank is not an alert)
MATERIAL = frozenset({"names", "identifiers", "listings", "birth_dates"})
NOTIFY_CHUNK = 100  # alerts per webhook message
PARTY_CHUNK = 2000  # changed parties read, and their hit states, per query
PARALLEL_FROM = 2000  # changed parties from which the party side uses worker processes

_INITIALISED = "initialised"
_PARTY_SEQ = "party_seq"


@dataclass(frozen=True, slots=True)
class RunReport:
    run_id: int | None  # None when there was nothing to do
    versions: Mapping[str, int]  # source -> list version screened against
    work: Mapping[str, int]  # counters: what the run actually did
    alerts: tuple[Alert, ...]
    audit_id: int | None


@dataclass(frozen=True, slots=True)
class _Change:
    entity_id: str
    source: str
    version_id: int
    changes: tuple[FieldChange, ...] = ()  # what changed in the listed record


_DELISTED = "delisted"


def _record_hash(record: Mapping[str, object]) -> str:
    return content_hash(
        json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)
    )


def _effects(record: Mapping[str, object]) -> set[tuple[str, str]]:
    listings = record.get("listings")
    if not isinstance(listings, list):
        return set()
    return {
        (str(x.get("source")), str(x.get("legal_effect")))
        for x in listings
        if isinstance(x, dict)
    }


class _Run:
    def __init__(
        self, store: Store, view: View, index: MatchIndex | None, weights: Weights
    ) -> None:
        self.store = store
        self.watch = WatchStore(store)
        self.view = view
        self.index = index
        self.weights = weights
        self.work: Counter[str] = Counter()
        self.screens: dict[int, list[Hit]] = {}
        self.ignore: frozenset[str] = frozenset()
        self.new_alerts: list[NewAlert] = []
        self.key_counts: dict[str, int] | None = None  # read up front by count_keys

    # -- list side ---------------------------------------------------------------------

    def list_changes(self, source: str, cursor: int | None) -> dict[str, _Change]:
        """Entities of ``source`` changed since version ``cursor``, each with the version
        that last changed it."""
        current = self.view.versions[source]
        out: dict[str, _Change] = {}
        if cursor is None:  # a source new to monitoring: all of it is new
            for entity_id in self.store.version_members(current.id):
                out[entity_id] = _Change(entity_id, source, current.id)
            return out
        versions = self.store.versions(source)
        ids = [v.id for v in versions]
        if cursor not in ids:
            return out
        steps = versions[ids.index(cursor) : ids.index(current.id) + 1]
        for before, after in pairwise(steps):
            diff = diff_versions(self.store, before, after)
            self.ignore |= self.store.version_lacks(before.id)
            self.ignore |= self.store.version_lacks(after.id)
            for entity_id, _ in (*diff.added, *diff.removed):
                out[entity_id] = _Change(entity_id, source, after.id)
            for change in diff.changed:
                out[change.entity_id] = _Change(
                    change.entity_id, source, after.id, change.changes
                )
        return out

    def count_keys(self, entities: list[Entity]) -> None:
        """How many parties carry each key of these entities' names, read in a few
        round trips rather than one per name."""
        keys = {k for e in entities for ks in entity_keys(e).values() for k in ks}
        self.key_counts = self.watch.key_counts(keys)

    def reverse_candidates(self, entity: Entity, skip: set[int]) -> set[int]:
        """Watched parties that share rare name words or an identifier with ``entity``."""
        found: set[int] = set()
        for name, keys in entity_keys(entity).items():
            if self.key_counts is None:
                counts = self.watch.key_counts(keys)
            else:
                known = self.key_counts
                counts = {k: known[k] for k in keys if k in known}
            self.work["keys_looked_up"] += len(keys)
            if len(counts) == 0:
                continue
            total = max(self.work["parties_total"], 1)
            scores: dict[int, float] = {}
            # a common word alone finds too many parties to score: a name of common
            # words only is found through its whole-name keys
            readable = [k for k in counts if counts[k] <= COMMON_KEY]
            self.work["common_keys_skipped"] += len(counts) - len(readable)
            postings = self.watch.parties_with_keys(readable)  # one round trip
            for key in sorted(readable, key=lambda k: (counts[k], k)):
                weight = math.log(1 + total / counts[key]) * (
                    10.0 if key.startswith("i:") else 1.0
                )
                parties = postings.get(key, [])
                self.work["key_postings_read"] += len(parties)
                for party_id in parties:
                    scores[party_id] = scores.get(party_id, 0.0) + weight
            if len(scores) == 0:
                continue
            # ties by party id: the same candidates whatever order the database gives
            ranked = sorted(scores, key=lambda p: (-scores[p], p))[:REVERSE_CANDIDATES]
            if name != "":
                floor = scores[ranked[0]] * 0.3
                ranked = [p for p in ranked if scores[p] >= floor]
            found.update(p for p in ranked if p not in skip)
        return found

    # -- scoring -----------------------------------------------------------------------

    def forward(self, party: WatchedParty) -> list[Hit]:
        """The party screened exactly as ``clearance check`` screens it."""
        cached = self.screens.get(party.id)
        if cached is None:
            assert self.index is not None
            self.work["forward_screens"] += 1
            cached = screen(
                self.index,
                party_query(party.fields),
                limit=FORWARD_LIMIT,
                weights=self.weights,
            )
            self.screens[party.id] = cached
        return cached

    def evaluate(self, party: WatchedParty, entity_id: str) -> Hit | None:
        """The pair's hit if it reaches the alert threshold, else None: scored first
        against every listed name, then confirmed by the party's full screen."""
        assert self.index is not None
        pos = self.index.entity_pos[entity_id]
        entity = self.index.entities[pos]
        query = party_query(party.fields)
        self.work["pairs_scored"] += 1
        p, _, _, _ = score_entity(
            self.index,
            query,
            entity,
            [self.index.names[i] for i in self.index.entity_names[pos]],
            query_tokens(self.index, query),
            _identifier_match(self.index, query, pos),
            self.weights,
        )
        if p < self.weights.threshold:
            return None
        for hit in self.forward(party):
            if hit.entity.id == entity_id:
                return hit if hit.match else None
        return None

    # -- reconciling -------------------------------------------------------------------

    def source_version(
        self, entity_id: str, observed: Hit | str | None
    ) -> tuple[str | None, int | None]:
        """The list version an entity's hit stands on: its own list's file if loaded,
        else the first source file that carries it."""
        sources: tuple[str, ...] = (entity_id.split(":", 1)[0],)
        if isinstance(observed, Hit):
            sources += observed.entity.sources
        for source in sources:
            if source in self.view.versions:
                return source, self.view.versions[source].id
        return None, None

    def reconcile(
        self,
        party: WatchedParty,
        entity_id: str,
        observed: Hit | str | None,
        state: HitState | None,
        change: _Change | None,
    ) -> None:
        source, version_id = (
            (change.source, change.version_id)
            if change is not None
            else self.source_version(entity_id, observed)
        )
        cause = "list_update" if change is not None else "watch_change"
        if observed == _DELISTED or observed is None:
            if state is None or not state.listed:
                return
            if observed is None:  # still listed, no longer a hit
                self.work["hits_ended"] += 1
                self.watch.drop_hit(party.id, entity_id)
                return
            self.watch.put_hit(
                HitState(
                    party.id,
                    entity_id,
                    state.record_hash,
                    state.score,
                    True,
                    False,
                    version_id,
                    state.record,
                )
            )
            decision = self.watch.latest_disposition(party.id, entity_id)
            if decision is not None and decision.decision is Decision.FALSE_POSITIVE:
                self.work["suppressed"] += 1
                return
            self.alert(
                party,
                entity_id,
                AlertKind.DELISTED,
                source,
                version_id,
                state.score,
                None,
                state.record_hash,
                state.record,
                {"cause": cause, "changes": []},
            )
            return
        assert isinstance(observed, Hit)
        record = entity_to_dict(observed.entity)
        record_hash = _record_hash(record)
        self.watch.put_hit(
            HitState(
                party.id,
                entity_id,
                record_hash,
                observed.score,
                True,
                True,
                version_id,
                record,
            )
        )
        detail: dict[str, object] = {
            "cause": cause,
            "evidence": [evidence_json(e) for e in observed.evidence],
        }
        if state is not None and state.listed and state.record_hash == record_hash:
            return  # nothing new about this hit
        decision = self.watch.latest_disposition(party.id, entity_id)
        changes: tuple[FieldChange, ...] = ()
        if state is not None and state.listed:
            changes = compare_records(dict(state.record), record, self.ignore)
            if len(changes) == 0:
                return
        kind = AlertKind.NEW_MATCH
        if decision is not None and decision.decision is Decision.FALSE_POSITIVE:
            if (
                state is None or not state.listed
            ):  # back after a gap: since the decision
                basis = self.watch.alert_record(decision.alert_id)
                changes = compare_records(dict(basis), record, self.ignore)
            if not {c.field for c in changes} & MATERIAL:
                self.work["suppressed"] += 1
                return
            detail["since_decision"] = decision.id
        if len(changes) > 0:
            kind = _classify(
                changes, observed, state.record if state else record, record
            )
        elif state is not None and not state.listed:
            detail["relisted"] = True
        elif change is not None and _new_alias(change.changes, observed):
            kind = AlertKind.NEW_ALIAS_MATCH  # a name added to a listed record matches
            changes = change.changes
        detail["changes"] = [
            {"field": c.field, "added": list(c.added), "removed": list(c.removed)}
            for c in changes
        ]
        self.alert(
            party,
            entity_id,
            kind,
            source,
            version_id,
            observed.score,
            observed.matched_name,
            record_hash,
            record,
            detail,
        )

    def alert(
        self,
        party: WatchedParty,
        entity_id: str,
        kind: AlertKind,
        source: str | None,
        version_id: int | None,
        score: float,
        matched_name: str | None,
        record_hash: str,
        record: Mapping[str, object],
        detail: Mapping[str, object],
    ) -> None:
        self.new_alerts.append(
            NewAlert(
                party.id,
                entity_id,
                kind,
                source,
                version_id,
                score,
                matched_name,
                record_hash,
                record,
                detail,
            )
        )


def _identifier_match(index: MatchIndex, query: Query, pos: int) -> str | None:
    for raw in (query.identifier, query.name):
        if raw and pos in index.identifiers.get(identifier_key(raw), ()):
            return identifier_key(raw)
    return None


def _new_alias(changes: tuple[FieldChange, ...], hit: Hit) -> bool:
    if hit.matched_name is None:
        return False
    return any(
        c.field == "names"
        and any(v.startswith(f"{hit.matched_name} (") for v in c.added)
        for c in changes
    )


def _classify(
    changes: tuple[FieldChange, ...],
    hit: Hit,
    before: Mapping[str, object],
    after: Mapping[str, object],
) -> AlertKind:
    if _new_alias(changes, hit):
        return AlertKind.NEW_ALIAS_MATCH
    if _effects(before) != _effects(after):
        return AlertKind.LEGAL_EFFECT_CHANGED
    return AlertKind.RECORD_CHANGED


def run_monitor(
    store: Store,
    index_folder: Path,
    *,
    trigger: str = "run",
    full: bool = False,
    actor: str | None = None,
    weights: Weights | None = None,
    notify: bool = False,
    workers: int = 1,
    index: MatchIndex | None = None,
) -> RunReport:
    """Re-screen what changed since the last run (or everything with ``full``), write the
    alerts, the hit states, the run's work counters, its audit record and (with
    ``notify``: a webhook is configured) the webhook messages in one transaction.

    The first run screens every watched party against the current lists; later runs screen
    only list entities changed since the versions the previous run saw, against all parties,
    and parties changed since then, against all lists.

    Args:
        workers: processes screening the changed parties when there are many (a first
            run, ``full``, a large import), forked as ``clearance batch`` forks them.
        index: the current lists' index if the caller holds it (``clearance update``
            has just built it); else it is loaded from ``index_folder`` when needed.
    """
    view = store.current()
    watch = WatchStore(store)
    initialised = watch.state(_INITIALISED) is not None
    seq = int(watch.state(_PARTY_SEQ) or 0)
    changed_parties, newest_seq = watch.changes_since(seq)
    run = _Run(store, view, None, weights or default_weights())
    run.work["parties_total"] = watch.party_count()
    changes: dict[str, _Change] = {}
    for source in sorted(view.versions):
        cursor = watch.state(f"version:{source}")
        if not initialised:
            continue  # every party is screened below against these versions
        if cursor is not None and int(cursor) == view.versions[source].id:
            continue
        changes.update(
            run.list_changes(source, None if cursor is None else int(cursor))
        )
    if full or not initialised:
        changed_parties = set(watch.active_party_ids())
    run.work["list_entities_changed"] = len(changes)
    run.work["parties_changed"] = len(changed_parties)
    versions = {s: v.id for s, v in sorted(view.versions.items())}
    if not view.is_empty and (len(changes) > 0 or len(changed_parties) > 0):
        if index is None or index.key != view_key(view):
            index = load_index(view, index_folder)
        run.index = index
        run.work["list_entities_total"] = len(run.index.entities)
    with watch.transaction():
        if run.index is not None:
            _screen_changes(run, changes, changed_parties, workers)
        run_id = watch.add_run(trigger, versions, dict(run.work), len(run.new_alerts))
        alert_ids = [watch.add_alert(a, run_id) for a in run.new_alerts]
        for source, version_id in versions.items():
            watch.set_state(f"version:{source}", str(version_id))
        watch.set_state(_PARTY_SEQ, str(newest_seq))
        watch.set_state(_INITIALISED, "1")
        alerts = tuple(watch.alerts(alert_ids=alert_ids))
        results = [
            [a.party.ref, a.entity_id, a.kind.value, a.version_id, round(a.score, 6)]
            for a in sorted(alerts, key=lambda a: a.id)
        ]
        record = AuditLog(store).append(
            "monitor_run",
            {
                "run_id": run_id,
                "trigger": trigger,
                "full": full,
                "list_versions": versions,
                "work": dict(run.work),
                "alerts": [a.id for a in sorted(alerts, key=lambda a: a.id)],
                "results_digest": digest(results),
            },
            actor,
        )
        for start in range(0, len(alerts) if notify else 0, NOTIFY_CHUNK):
            chunk = sorted(alerts, key=lambda a: a.id)[start : start + NOTIFY_CHUNK]
            body = {
                "event": "alerts",
                "run_id": run_id,
                "list_versions": versions,
                "alerts": [alert_json(a) for a in chunk],
            }
            watch.enqueue(json.dumps(body, ensure_ascii=False, default=str))
    return RunReport(run_id, versions, dict(run.work), alerts, record.id)


def _screen_changes(
    run: _Run, changes: Mapping[str, _Change], changed_parties: set[int], workers: int
) -> None:
    assert run.index is not None
    watch = run.watch
    ids = sorted(changed_parties)

    def queries() -> Iterator[tuple[WatchedParty, Query]]:
        for start in range(0, len(ids), PARTY_CHUNK):
            chunk = watch.parties_by_id(ids[start : start + PARTY_CHUNK])
            for party_id in ids[start : start + PARTY_CHUNK]:
                party = chunk[party_id]
                if party.active:
                    yield party, party_query(party.fields)

    # party side: changed parties against the full index, read, screened (over the
    # batch engine's workers when many) and reconciled a chunk at a time; their screens
    # are not kept: the list side below skips these parties
    screened = screen_queries(
        run.index,
        queries(),
        limit=FORWARD_LIMIT,
        weights=run.weights,
        matches_only=True,
        workers=workers if len(ids) >= PARALLEL_FROM else 1,
    )
    while True:
        batch = list(islice(screened, PARTY_CHUNK))
        if len(batch) == 0:
            break
        run.work["forward_screens"] += len(batch)
        states: dict[int, dict[str, HitState]] = {}
        for state in watch.hits_for_parties(p.id for p, _ in batch):
            states.setdefault(state.party_id, {})[state.entity_id] = state
        for party, hits in batch:
            held = states.get(party.id, {})
            matched = {h.entity.id: h for h in hits}
            for entity_id in sorted(set(held) | set(matched)):
                observed: Hit | str | None = matched.get(entity_id)
                if observed is None and entity_id not in run.index.entity_pos:
                    observed = _DELISTED
                run.reconcile(
                    party,
                    entity_id,
                    observed,
                    held.get(entity_id),
                    changes.get(entity_id),
                )
    # list side: changed entities against every other party
    states_by_entity: dict[str, list[HitState]] = {}
    for state in watch.hits_for_entities(changes):
        if state.party_id not in changed_parties:
            states_by_entity.setdefault(state.entity_id, []).append(state)
    index = run.index
    run.count_keys(
        [index.entities[index.entity_pos[e]] for e in changes if e in index.entity_pos]
    )
    for entity_id in sorted(changes):
        change = changes[entity_id]
        pos = run.index.entity_pos.get(entity_id)
        known = {s.party_id: s for s in states_by_entity.get(entity_id, [])}
        candidates: set[int] = set()
        if pos is not None:
            candidates = run.reverse_candidates(
                run.index.entities[pos], changed_parties | set(known)
            )
        work_parties = watch.parties_by_id(set(known) | candidates)
        for party_id in sorted(set(known) | candidates):
            party = work_parties[party_id]
            if not party.active:
                continue
            seen: Hit | str | None = (
                _DELISTED if pos is None else run.evaluate(party, entity_id)
            )
            run.reconcile(party, entity_id, seen, known.get(party_id), change)


def alert_json(alert: Alert) -> dict[str, object]:
    """An alert as the CLI's --json, the webhook and the API give it."""
    decision = alert.disposition
    record = alert.record
    return {
        "id": alert.id,
        "created_at": alert.created_at,
        "kind": alert.kind.value,
        "open": alert.is_open,
        "watch_set": alert.set_name,
        "party": {
            "ref": alert.party.ref,
            "name": alert.party.fields.name,
            "schema": alert.party.fields.schema,
            "country": alert.party.fields.country,
            "birth_date": alert.party.fields.birth_date,
            "identifier": alert.party.fields.identifier,
        },
        "entity": {
            "id": alert.entity_id,
            "caption": _caption(record, alert.entity_id),
            "listings": record.get("listings", []),
        },
        "source": alert.source,
        "list_version": alert.version_id,
        "score": round(alert.score, 4),
        "matched_name": alert.matched_name,
        "detail": dict(alert.detail),
        "disposition": None
        if decision is None
        else {
            "id": decision.id,
            "decision": decision.decision.value,
            "reason": decision.reason,
            "by": decision.decided_by,
            "at": decision.at,
            "supersedes": decision.supersedes,
        },
        "dispositions": len(alert.dispositions),
    }


def _caption(record: Mapping[str, object], fallback: str) -> str:
    names = record.get("names")
    if isinstance(names, list):
        for name in names:
            if isinstance(name, dict) and name.get("kind") == "primary":
                return str(name.get("value"))
        if len(names) > 0 and isinstance(names[0], dict):
            return str(names[0].get("value"))
    return fallback
