"""The screening service shared by the HTTP API, the web UI and long-running adapters.

One ``Service`` per process, opened on a home folder: it holds the store (one SQLite
connection per thread) and the current ``Screener`` (the index, loaded once). Readers always
get a complete Screener: when the store's current list versions change (``clearance update``
in another process, or ``start_update`` here) the new index is built or loaded in a
background thread and swapped in with one assignment, so a request in flight keeps the
previous list version to its end.

Adapters call the small functions below (``lists_summary``, ``search``, ``entity_detail``,
``changes``, ...) and only render what they return; no adapter runs SQL or scores hits.

    service = Service.open(home)
    hits = service.search(Query(name="sugon"), limit=5)
    detail = service.entity_detail(hits[0].entity.id)
    service.close()
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol

from clearance.errors import ClearanceError, InvalidQuery, NotFound
from clearance.match import Hit, Query
from clearance.model import (
    Entity,
    LegalEffect,
    Listing,
    ListVersion,
    Relation,
    Schema,
    describe_effect,
    list_info,
    merge_entities,
)
from clearance.normalize import normalize_text
from clearance.screen.single import Screener, view_key
from clearance.store import (
    EntityChange,
    HistoryEvent,
    Store,
    View,
    diff_versions,
    entity_history,
)

log = logging.getLogger(__name__)

AS_OF_SCREENERS = (
    2  # as-of indexes kept in memory besides the current one (~0.3 GB each)
)
DEFAULT_COLLECTION = "default"

# Collections a ``dataset`` parameter may name besides one list or source code: the
# authorities' jurisdictions. "default" (and "all") are every list.
COLLECTIONS: dict[str, str] = {
    "us": "us_",
    "un": "un_",
    "eu": "eu_",
    "uk": "uk_",
}


# -- answers -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListSummary:
    """One official list inside a source file, with what a listing on it means."""

    code: str  # "us_bis_el"
    title: str  # "Entity List"
    authority: str  # "US Commerce, BIS"
    entities: int
    effects: dict[LegalEffect, int]  # legal effect -> entities with such a listing
    effect_text: dict[LegalEffect, str]  # legal effect -> plain-English statement


@dataclass(frozen=True, slots=True)
class SourceSummary:
    """One source in a view: its version, how fresh it is, and the lists it carries."""

    source: str
    version: ListVersion  # the version in the view (current, or as of a date)
    versions: int  # list versions of this source stored (up to the view's date)
    first_published: date  # publication date of the oldest stored version
    age_days: int  # days from the version's publication to today (or the as-of date)
    lists: tuple[ListSummary, ...]


@dataclass(frozen=True, slots=True)
class ListingDetail:
    listing: Listing
    list_title: str  # "Specially Designated Nationals and Blocked Persons List (SDN)"
    effect_text: str  # describe_effect(listing.legal_effect)


@dataclass(frozen=True, slots=True)
class RelationDetail:
    """A relation the list states, resolved to an entity in the view when possible."""

    relation: Relation
    target: Entity | None  # by the stated id, else by exact name on the same list


@dataclass(frozen=True, slots=True)
class EntityDetail:
    """Everything known about one entity, for an entity page or ``GET /entities/{id}``."""

    entity: Entity
    in_view: (
        bool  # False: not listed in the view (delisted); ``entity`` is its last record
    )
    as_of: date | None
    listings: tuple[ListingDetail, ...]
    relations: tuple[RelationDetail, ...]
    related: tuple[tuple[Entity, str], ...]  # the same party elsewhere, with the reason
    provenance: tuple[ListVersion, ...]  # the versions in the view that carry it
    history: dict[str, list[HistoryEvent]]  # per source: listed / changed / delisted


@dataclass(frozen=True, slots=True)
class SourceChanges:
    """What changed in one source between the versions current at two dates."""

    source: str
    before: ListVersion | None  # current at ``since`` (None: the source did not exist)
    after: ListVersion | None  # current at ``until``
    added: tuple[tuple[str, str], ...]  # (entity id, caption)
    removed: tuple[tuple[str, str], ...]
    changed: tuple[EntityChange, ...]


class UpdateStep(Protocol):
    """One source file handled by an update (``clearance.ingest.Outcome`` fits)."""

    @property
    def source(self) -> str: ...
    @property
    def origin(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def message(self) -> str: ...


UpdateRun = Callable[[Store], Sequence[UpdateStep]]


@dataclass(slots=True)
class UpdateJob:
    """An update running in the background (mutable: its state advances)."""

    id: int
    label: str  # "directory /srv/lists" or "official: us_ofac_sdn, ..."
    state: str = "queued"  # queued | running | swapping | done | failed
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    steps: list[UpdateStep] = field(default_factory=list)
    error: str | None = None
    swapped: bool = False  # the new index is serving


# -- the service -------------------------------------------------------------------------


class Service:
    """The store and the screening index of one home folder, safe to share between threads.

    Open with ``Service.open(home)``; close with ``close()``. Every method may be called from
    any thread. Screeners are immutable once built; the current one is replaced, never
    modified.
    """

    def __init__(
        self,
        home: Path,
        *,
        index_folder: Path | None = None,
        database_url: str | None = None,
    ) -> None:
        self.home = home
        self.index_folder = index_folder or home / "index"
        # a connection per thread: requests run in a pool of threads
        self._store = Store.open(home, database_url, per_thread=True)
        # requests append audit records from many threads: one writer groups them
        self._store.group_audit_writes()
        self._current: Screener | None = None
        self._as_of: OrderedDict[str, Screener] = OrderedDict()
        self._lock = threading.Lock()  # guards _as_of, _loading and the update job
        self._build_lock = threading.Lock()  # one index build at a time (memory)
        self._loading: threading.Thread | None = None
        self._load_error: str | None = None
        self._job: UpdateJob | None = None
        self._jobs = 0
        self._watcher: threading.Thread | None = None
        self._version_counts: dict[
            int, tuple[dict[str, int], dict[str, dict[LegalEffect, int]]]
        ] = {}
        self._closing = threading.Event()

    @classmethod
    def open(
        cls,
        home: Path,
        *,
        index_folder: Path | None = None,
        database_url: str | None = None,
        background: bool = False,
    ) -> Service:
        """A service on ``home`` (and the PostgreSQL store ``database_url``, if given).
        The current index is loaded now, or with ``background=True`` in a thread
        (``ready`` says when; ``screener()`` waits)."""
        service = cls(home, index_folder=index_folder, database_url=database_url)
        if background:
            service.reload()
        else:
            service._load_current()
        return service

    def close(self) -> None:
        self._closing.set()
        for thread in (self._loading, self._watcher):
            if thread is not None and thread is not threading.current_thread():
                thread.join(timeout=60)
        self._store.close()

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- state ---------------------------------------------------------------------------

    @property
    def store(self) -> Store:
        """The store (each thread gets its own SQLite connection)."""
        return self._store

    @property
    def ready(self) -> bool:
        """The store is open and the current index is loaded."""
        return self._current is not None

    @property
    def load_error(self) -> str | None:
        """Why the last index load failed (e.g. an empty store), if it did."""
        return self._load_error

    @property
    def current_key(self) -> str | None:
        """The view key (list versions) the current screener serves."""
        return None if self._current is None else self._current.index.key

    def view(self, as_of: date | None = None) -> View:
        """The lists now (the versions the current index serves) or as they stood on
        ``as_of``.

        Raises:
            NotFound: the store is empty, or no list had been published by ``as_of``.
        """
        if as_of is None:
            current = self._current
            if current is not None:
                return current.view
        view = self._store.current() if as_of is None else self._store.as_of(as_of)
        if view.is_empty:
            raise self._empty(as_of)
        return view

    def _empty(self, as_of: date | None) -> NotFound:
        if as_of is None or len(self._store.sources()) == 0:
            return NotFound(
                "list versions in",
                str(self.home),
                "the store is empty: run `clearance update` first",
            )
        return NotFound(
            "list versions", f"on {as_of.isoformat()}", "no list was published by then"
        )

    def screener(self, as_of: date | None = None) -> Screener:
        """The current screener, or one for the lists as of a date (built or loaded on
        first use, then kept among the last ``AS_OF_SCREENERS``).

        Raises:
            NotFound: nothing to screen against (empty store, or nothing by ``as_of``).
        """
        if as_of is None:
            current = self._current
            if current is not None:
                return current
            loading = self._loading
            if loading is not None:
                loading.join()
            current = self._current
            if current is not None:
                return current
            return self._load_current()
        view = self._store.as_of(as_of)
        if view.is_empty:
            raise self._empty(as_of)
        key = view_key(view)
        current = self._current
        if current is not None and current.index.key == key:
            return current
        with self._lock:
            cached = self._as_of.get(key)
            if cached is not None:
                self._as_of.move_to_end(key)
                return cached
        with self._build_lock:
            with self._lock:
                cached = self._as_of.get(key)
            if cached is None:
                cached = Screener(view, self.index_folder)
                _settle_heap()
            with self._lock:
                self._as_of[key] = cached
                self._as_of.move_to_end(key)
                while len(self._as_of) > AS_OF_SCREENERS:
                    self._as_of.popitem(last=False)
        return cached

    def _load_current(self) -> Screener:
        view = self._store.current()
        if view.is_empty:
            error = self._empty(None)
            self._load_error = str(error)
            raise error
        with self._build_lock:
            current = self._current
            if current is not None and current.index.key == view_key(view):
                return current
            started = time.perf_counter()
            screener = Screener(view, self.index_folder)
            for version in view.versions.values():
                # the lists summary's counts (seconds of CPU for the SDN list), before
                # the swap: counted once serving, they would slow the first requests
                self._counts(version.id)
            self._current = screener  # the swap: one reference assignment
            _settle_heap()
        self._load_error = None
        log.info(
            "index serving",
            extra={
                "index_key": screener.index.key,
                "entities": len(screener.index.entities),
                "seconds": round(time.perf_counter() - started, 2),
            },
        )
        return screener

    def changed(self) -> bool:
        """The store's current list versions differ from those the index serves."""
        view = self._store.current()
        return not view.is_empty and view_key(view) != self.current_key

    def reload(self, *, wait: bool = False) -> bool:
        """Load the index of the store's current versions if they changed, in a background
        thread; readers keep the previous screener until the new one is complete.

        Returns:
            True if a load was started (or is already running), False if up to date.
        """
        if self._current is not None and not self.changed():
            return False
        with self._lock:
            thread = self._loading
            if thread is None or not thread.is_alive():
                thread = threading.Thread(
                    target=self._load_quietly, name="clearance-index", daemon=True
                )
                self._loading = thread
                thread.start()
        if wait:
            thread.join()
        return True

    def wait_loaded(self) -> None:
        """Wait for a background load of the index to end (loaded or failed:
        ``ready`` and ``load_error`` tell which)."""
        thread = self._loading
        if thread is not None:
            thread.join()

    def _load_quietly(self) -> None:
        try:
            self._load_current()
        except ClearanceError as exc:
            self._load_error = str(exc)
            log.warning("index not loaded: %s", exc)
        except Exception as exc:  # a background thread must not die silently
            self._load_error = f"{type(exc).__name__}: {exc}"
            log.exception("index load failed")

    def watch(self, interval: float) -> None:
        """Check every ``interval`` seconds for new list versions (an update by another
        process) and reload when there are (until ``close``)."""

        def loop() -> None:
            while not self._closing.wait(interval):
                try:
                    self.reload()
                except ClearanceError as exc:
                    log.warning("reload check failed: %s", exc)
                except Exception:  # keep watching; the next check may succeed
                    log.exception("reload check failed")

        self._watcher = threading.Thread(
            target=loop, name="clearance-watch", daemon=True
        )
        self._watcher.start()

    # -- updates -------------------------------------------------------------------------

    def start_update(self, label: str, run: UpdateRun) -> UpdateJob:
        """Run ``run(store)`` (e.g. ``ingest.update_from_directory``) in the background,
        then load the new index and swap it in. Only one update runs at a time: while one
        runs, that job is returned instead of starting another."""
        with self._lock:
            job = self._job
            if job is not None and job.state in ("queued", "running", "swapping"):
                return job
            self._jobs += 1
            job = UpdateJob(self._jobs, label)
            self._job = job
        threading.Thread(
            target=self._run_update,
            args=(job, run),
            name="clearance-update",
            daemon=True,
        ).start()
        return job

    def update_job(self, job_id: int | None = None) -> UpdateJob:
        """The latest update job (or the one with ``job_id`` if it is the latest).

        Raises:
            NotFound: no such job in this process.
        """
        job = self._job
        if job is None or (job_id is not None and job.id != job_id):
            raise NotFound("update job", "latest" if job_id is None else str(job_id))
        return job

    def _run_update(self, job: UpdateJob, run: UpdateRun) -> None:
        job.state = "running"
        try:
            job.steps = list(run(self._store))
            job.state = "swapping"
            self.reload(wait=True)
            job.swapped = self._load_error is None
            job.state = "done"
        except ClearanceError as exc:
            job.error, job.state = str(exc), "failed"
        except Exception as exc:  # reported on the job, and logged with its traceback
            job.error, job.state = f"{type(exc).__name__}: {exc}", "failed"
            log.exception("update failed")
        finally:
            job.finished_at = datetime.now(UTC)

    # -- reading ---------------------------------------------------------------------------

    def sources_for(self, dataset: str) -> frozenset[str] | None:
        """The list or source codes a ``dataset`` name selects: None for every list
        (``default``, ``all``), a jurisdiction collection (``us``, ``un``, ``eu``, ``uk``),
        or one source or list code (``us_ofac_sdn``, ``us_bis_el``).

        Raises:
            NotFound: no source, list or collection of that name.
        """
        name = dataset.strip().lower()
        if name in (DEFAULT_COLLECTION, "all"):
            return None
        known = self.datasets()
        if name in COLLECTIONS:
            prefix = COLLECTIONS[name]
            return frozenset(c for c in known if c.startswith(prefix))
        if name in known:
            return frozenset({name})
        raise NotFound(
            "dataset", dataset, "known: " + ", ".join(["default", *COLLECTIONS, *known])
        )

    def datasets(self) -> list[str]:
        """Source and list codes in the current view (what ``dataset`` may name)."""
        view = self.view()
        codes = set(view.versions)
        for version in view.versions.values():
            codes.update(self._counts(version.id)[0])  # cached per version
        return sorted(codes)

    def lists_summary(self, as_of: date | None = None) -> list[SourceSummary]:
        """Each source in the view with its version, freshness and lists."""
        view = self.view(as_of)
        today = as_of or date.today()
        stored: dict[str, list[ListVersion]] = {}
        for version in self._store.versions():
            if as_of is None or version.published <= as_of:
                stored.setdefault(version.source, []).append(version)
        out: list[SourceSummary] = []
        for source, version in sorted(view.versions.items()):
            counts, effects = self._counts(version.id)
            lists = []
            for code in sorted(set(counts) | set(effects)):
                info = list_info(code)
                by_effect = effects.get(code, {})
                lists.append(
                    ListSummary(
                        code,
                        info.title,
                        info.authority,
                        counts.get(code, 0),
                        by_effect,
                        {e: describe_effect(e) for e in by_effect},
                    )
                )
            versions = stored.get(source, [version])
            out.append(
                SourceSummary(
                    source,
                    version,
                    len(versions),
                    versions[0].published,
                    (today - version.published).days,
                    tuple(lists),
                )
            )
        return out

    def _counts(
        self, version_id: int
    ) -> tuple[dict[str, int], dict[str, dict[LegalEffect, int]]]:
        """Entities per list and per (list, legal effect) of one version: a version never
        changes, so this is computed once (about a second for the SDN list)."""
        cached = self._version_counts.get(version_id)
        if cached is not None:
            return cached
        counts = self._store.entity_counts_by_list(version_id)
        effects: dict[str, dict[LegalEffect, int]] = {}
        for (code, effect), n in self._store.effect_counts(version_id).items():
            effects.setdefault(code, {})[LegalEffect(effect)] = n
        self._version_counts[version_id] = (counts, effects)
        return counts, effects

    def search(
        self,
        query: Query,
        *,
        as_of: date | None = None,
        threshold: float | None = None,
        limit: int = 10,
        sources: frozenset[str] | None = None,
        schema: Schema | None = None,
        countries: frozenset[str] = frozenset(),
    ) -> list[Hit]:
        """Screen one query: hits best first, each with its evidence and listings.

        Args:
            query: name and/or identifier, with optional schema, country and birth date
                (these feed the score).
            threshold: the alert threshold (default: the calibrated one); ``hit.match``
                says whether a hit reaches it. Hits below it are returned too.
            sources: only entities on these lists or sources (see ``sources_for``).
            schema: only entities of this schema (persons vs. everything else for
                organisations: lists disagree on Company/Organization).
            countries: only entities linked to one of these countries (ISO alpha-2).
        """
        return self.search_variants(
            [query],
            as_of=as_of,
            threshold=threshold,
            limit=limit,
            sources=sources,
            schema=schema,
            countries=countries,
        )

    def search_variants(
        self,
        queries: Sequence[Query],
        *,
        as_of: date | None = None,
        threshold: float | None = None,
        limit: int = 10,
        sources: frozenset[str] | None = None,
        schema: Schema | None = None,
        countries: frozenset[str] = frozenset(),
    ) -> list[Hit]:
        """Screen several variants of one party (e.g. a yente query's several names or
        identifiers): each entity keeps its best-scoring hit across the variants."""
        if len(queries) == 0:
            raise InvalidQuery("query", "no name and no identifier")
        screener = self.screener(as_of)
        filtered = schema is not None or len(countries) > 0
        fetch = limit * 4 if filtered else limit
        best: dict[str, Hit] = {}
        for query in queries:
            for hit in screener.screen(
                query, threshold=threshold, limit=fetch, sources=sources
            ):
                if not _keep(hit.entity, schema, countries):
                    continue
                seen = best.get(hit.entity.id)
                if seen is None or hit.score > seen.score:
                    best[hit.entity.id] = hit
        hits = sorted(best.values(), key=lambda h: -h.score)
        return hits[:limit]

    def find(
        self, text: str, *, as_of: date | None = None, limit: int = 20
    ) -> list[tuple[Entity, str]]:
        """Entities by exact / prefix / all-words name or identifier (no scoring), each
        with how it was found (``"exact name"``, ``"identifier"``, ...)."""
        return self.view(as_of).find(text, limit=limit)

    def entity(self, entity_id: str, as_of: date | None = None) -> Entity:
        """One entity as the view has it.

        Raises:
            NotFound: not in the view (the hint says if other versions hold it).
        """
        return self.view(as_of).get(entity_id)

    def entity_detail(
        self, entity_id: str, as_of: date | None = None, *, history: bool = True
    ) -> EntityDetail:
        """All fields, listings with legal effect text, relations resolved to entities,
        the same party on other lists, provenance and (with ``history``) the timeline
        across every stored version. An entity delisted from the view is still
        described, from its last record, with ``in_view=False``.

        Raises:
            NotFound: no version of any list ever held ``entity_id``.
        """
        view = self.view(as_of)
        found = view.get_many([entity_id])
        in_view = len(found) > 0
        entity = found[0] if in_view else self._last_record(entity_id, as_of)
        listings = tuple(
            ListingDetail(x, list_info(x.source).title, describe_effect(x.legal_effect))
            for x in entity.listings
        )
        relations = tuple(
            RelationDetail(r, self._relation_target(view, entity, r))
            for r in entity.relations
        )
        related = tuple(view.related(entity)) if in_view else ()
        provenance = tuple(
            view.versions[s] for s in entity.sources if s in view.versions
        )
        timeline = entity_history(self._store, entity_id) if history else {}
        return EntityDetail(
            entity,
            in_view,
            as_of,
            listings,
            relations,
            related,
            provenance,
            timeline,
        )

    def _last_record(self, entity_id: str, as_of: date | None) -> Entity:
        by_source: dict[str, tuple[ListVersion, str]] = {}
        for version_id, record_hash in self._store.memberships(entity_id):
            version = self._store.version(version_id)
            if as_of is not None and version.published > as_of:
                continue
            seen = by_source.get(version.source)
            if seen is None or (version.published, version.id) > (
                seen[0].published,
                seen[0].id,
            ):
                by_source[version.source] = (version, record_hash)
        if len(by_source) == 0:
            raise NotFound("entity", entity_id, "in no imported list version")
        return merge_entities(
            [self._store.record(h) for _, h in sorted(by_source.values())]
        )

    @staticmethod
    def _relation_target(
        view: View, entity: Entity, relation: Relation
    ) -> Entity | None:
        if relation.target_id is not None:
            found = view.get_many([relation.target_id])
            if len(found) > 0:
                return found[0]
        norm = normalize_text(relation.target_name)
        if len(norm) < 4:
            return None
        # the list names the other party without its id: an entry of that exact name on
        # the same list is the one meant (on another list it could be a namesake)
        for other, how in view.find(relation.target_name, limit=5):
            if how == "exact name" and other.list_code == entity.list_code:
                return other
        return None

    def history(self, entity_id: str) -> dict[str, list[HistoryEvent]]:
        """Per source, the entity's timeline across every stored version."""
        return entity_history(self._store, entity_id)

    def versions(self, source: str | None = None) -> list[ListVersion]:
        return self._store.versions(source)

    def changes(
        self,
        source: str | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> list[SourceChanges]:
        """Per source (or only ``source``): entities added, removed and changed between
        the version current on ``since`` and the one current on ``until``.

        Args:
            since: default: the version before the one current on ``until``.
            until: default: now (the newest version).

        Raises:
            NotFound: unknown source.
            InvalidQuery: ``since`` after ``until``.
        """
        if since is not None and until is not None and since > until:
            raise InvalidQuery("since", "must not be after until")
        known = self._store.sources()
        if source is not None and source not in known:
            raise NotFound("source", source, "known: " + ", ".join(known))
        out: list[SourceChanges] = []
        for name in [source] if source is not None else known:
            versions = self._store.versions(name)
            after = _at(versions, until)
            if since is None:
                before = None
                if after is not None:
                    earlier = [v for v in versions if _order(v) < _order(after)]
                    before = earlier[-1] if len(earlier) > 0 else None
            else:
                before = _at(versions, since)
            out.append(self._source_changes(name, before, after))
        return out

    def _source_changes(
        self, source: str, before: ListVersion | None, after: ListVersion | None
    ) -> SourceChanges:
        if before is None and after is None:
            return SourceChanges(source, None, None, (), (), ())
        if before is not None and after is not None:
            if before.id == after.id:
                return SourceChanges(source, before, after, (), (), ())
            diff = diff_versions(self._store, before, after)
            return SourceChanges(
                source, before, after, diff.added, diff.removed, diff.changed
            )
        # one side is missing: every entity of the other side was added (or removed)
        present = after if after is not None else before
        assert present is not None
        members = self._store.version_members(present.id)
        entities = sorted(
            ((eid, self._store.record(h).caption) for eid, h in members.items()),
            key=lambda x: x[1],
        )
        if after is not None:
            return SourceChanges(source, None, after, tuple(entities), (), ())
        return SourceChanges(source, before, None, (), tuple(entities), ())


def _settle_heap() -> None:
    """Take the index's millions of long-lived objects out of the cyclic garbage
    collector's sight: otherwise every full collection walks them all, and a request that
    happens to trigger one waits ~0.5 s (measured: a 552 ms worst single query). Objects
    dropped later (a swapped-out index) are still freed by reference counting."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _order(version: ListVersion) -> tuple[date, int]:
    return version.published, version.id


def _at(versions: Iterable[ListVersion], when: date | None) -> ListVersion | None:
    """The version current on ``when`` (the newest if None); None before the first."""
    chosen: ListVersion | None = None
    for version in versions:
        if when is None or version.published <= when:
            chosen = version
    return chosen


def _keep(entity: Entity, schema: Schema | None, countries: frozenset[str]) -> bool:
    if schema is not None:
        if (schema is Schema.PERSON) != (entity.schema is Schema.PERSON):
            return False
        if schema in (Schema.VESSEL, Schema.AIRCRAFT) and entity.schema is not schema:
            return False
    if len(countries) > 0:
        linked = {
            *entity.countries,
            *entity.nationalities,
            *entity.citizenships,
            *(a.country for a in entity.addresses if a.country is not None),
        }
        if len(linked & countries) == 0:
            return False
    return True
