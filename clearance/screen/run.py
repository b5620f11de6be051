"""Running a batch on one machine: stream an input file through ``screen_record`` in a
pool of worker processes, write the output in input order, keep a checkpoint so a killed
run resumes without duplicating or losing rows, and count a summary.

Workers are forked after the parent has loaded the index, so they share its pages
copy-on-write; the index is never loaded or sent per row. Memory stays bounded: only a
window of chunks is in flight, whatever the size of the file.
"""

from __future__ import annotations

import csv
import ctypes
import gc
import io
import json
import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO, Any, TypeVar

from clearance.errors import InvalidQuery
from clearance.index import MatchIndex
from clearance.match import Hit, Query, Weights
from clearance.screen.batch import (
    BadRow,
    ColumnMap,
    OutputRow,
    Record,
    RowScreener,
    output_columns,
    screen_record,
)
from clearance.screen.io import (
    RowEncoder,
    RowWriter,
    Table,
    open_table,
    output_format,
)
from clearance.screen.single import screen

CHUNK_ROWS = 200  # rows per task sent to a worker: large enough to amortise the IPC
CHECKPOINT_SECONDS = 2.0  # how often the output is flushed and the checkpoint written
_CHECKPOINT_FORMAT = 1
_PR_SET_PDEATHSIG = 1  # prctl option (Linux): a signal for when the parent dies
_SEP = " / "

Chunk = list[tuple[int, Record | BadRow]]


@dataclass(frozen=True, slots=True)
class Block:
    """A screened chunk ready for the files: what a worker process sends back instead
    of its rows, so that the writing process only writes (and little crosses between
    the processes)."""

    last_row: int  # the chunk's last row number
    output: bytes | list[OutputRow]  # encoded rows (CSV, JSON lines); Parquet: rows
    errors: bytes  # its lines of the errors file
    summary: BatchSummary  # its rows counted


# an engine screens chunks of (row number, record) into output rows, in input order:
# (chunks, input columns, resolved mapping, threshold, limit) -> chunks of output rows
# (or of Blocks, as the local engine's workers make them)
Engine = Callable[
    [Iterable[Chunk], list[str], ColumnMap, float | None, int],
    Iterator[list[OutputRow]] | Iterator[list[OutputRow] | Block],
]
_WORKER: RowScreener | None = None  # set in the parent before forking the workers
_INDEX: tuple[MatchIndex, Weights | None] | None = None  # the same, for screen_queries
_K = TypeVar("_K")
_R = TypeVar("_R")


def sidecar(output: Path, suffix: str) -> Path:
    """A file beside the output: ``OUTPUT.summary.json``, ``OUTPUT.errors.csv``,
    ``OUTPUT.checkpoint.json``."""
    return output.with_name(output.name + suffix)


@dataclass(slots=True)
class BatchSummary:
    rows: int = 0
    alerts: int = 0  # rows with at least one hit at or above the threshold
    errors: int = 0  # rows that could not be screened (see the errors file)
    warnings: int = 0  # rows screened with something ignored
    alerts_by_list: dict[str, int] = field(default_factory=dict)
    alerts_by_legal_effect: dict[str, int] = field(default_factory=dict)
    resumed_at_row: int = 0  # rows already done by an earlier, interrupted run
    seconds: float = 0.0  # this run's wall time
    workers: int = 1

    def add(self, row: OutputRow) -> None:
        self.rows += 1
        self.errors += row["error"] is not None
        self.warnings += row["warning"] is not None
        if row["match"] is True:
            self.alerts += 1
            for column, counts in (
                ("alert_lists", self.alerts_by_list),
                ("alert_legal_effects", self.alerts_by_legal_effect),
            ):
                for value in str(row[column] or "").split(_SEP):
                    if len(value) > 0:
                        counts[value] = counts.get(value, 0) + 1

    def merge(self, other: BatchSummary) -> None:
        """Add the counts of ``other`` (the rows of one block)."""
        self.rows += other.rows
        self.alerts += other.alerts
        self.errors += other.errors
        self.warnings += other.warnings
        for mine, theirs in (
            (self.alerts_by_list, other.alerts_by_list),
            (self.alerts_by_legal_effect, other.alerts_by_legal_effect),
        ):
            for key, count in theirs.items():
                mine[key] = mine.get(key, 0) + count

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _die_with_parent(parent: int) -> None:
    """Worker set-up: end when the batch process dies, even by SIGKILL. Otherwise a
    worker would wait forever on a task queue that its siblings keep open."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # not Linux: the parent's normal exit still shuts the pool down
    if os.getppid() != parent:
        os._exit(0)  # the parent died before prctl took effect


def make_block(rows: list[OutputRow], encoder: RowEncoder | None) -> Block:
    """The output, errors-file lines and counts of screened rows (``encoder``: the
    output's, None for Parquet)."""
    summary = BatchSummary()
    for row in rows:
        summary.add(row)
    return Block(
        last_row=int(rows[-1]["row"] or 0),
        output=rows if encoder is None else encoder.encode(rows),
        errors=error_lines(rows),
        summary=summary,
    )


def _screen_chunk(
    chunk: Chunk,
    mapping: ColumnMap,
    threshold: float | None,
    limit: int,
    encoder: RowEncoder | None,
) -> Block:
    assert _WORKER is not None, "worker started without an index"
    rows = [
        screen_record(_WORKER, r, mapping, row=n, threshold=threshold, limit=limit)
        for n, r in chunk
    ]
    return make_block(rows, encoder)


def local_engine(
    screener: RowScreener,
    workers: int,
    encoder: RowEncoder | None = None,
    *,
    blocks: bool = False,
) -> Engine:
    """The single-machine engine: ``screen_chunks`` over ``workers`` processes; with
    ``blocks``, each chunk comes back as a ``Block`` made where it was screened (the
    rows encoded by ``encoder``, or kept for Parquet when it is None)."""

    def run(
        chunks: Iterable[Chunk],
        columns: list[str],
        mapping: ColumnMap,
        threshold: float | None,
        limit: int,
    ) -> Iterator[list[OutputRow] | Block]:
        if blocks:
            return screen_blocks(
                screener,
                chunks,
                mapping,
                threshold=threshold,
                limit=limit,
                workers=workers,
                encoder=encoder,
            )
        return iter(
            screen_chunks(
                screener,
                chunks,
                mapping,
                threshold=threshold,
                limit=limit,
                workers=workers,
            )
        )

    return run


def screen_chunks(
    screener: RowScreener,
    chunks: Iterable[Chunk],
    mapping: ColumnMap,
    *,
    threshold: float | None,
    limit: int,
    workers: int,
) -> Iterator[list[OutputRow]]:
    """Screened chunks in input order; with ``workers`` > 1 over forked processes that
    share the parent's loaded index, at most a few chunks per worker in flight."""
    for block in screen_blocks(
        screener,
        chunks,
        mapping,
        threshold=threshold,
        limit=limit,
        workers=workers,
        encoder=None,
    ):
        assert isinstance(block.output, list)
        yield block.output


def screen_blocks(
    screener: RowScreener,
    chunks: Iterable[Chunk],
    mapping: ColumnMap,
    *,
    threshold: float | None,
    limit: int,
    workers: int,
    encoder: RowEncoder | None,
) -> Iterator[Block]:
    """``Block``s of the screened chunks, in input order, made in the worker processes
    (``workers`` > 1: forked, sharing the parent's loaded index, at most a few chunks
    per worker in flight) or in this one."""
    global _WORKER
    if workers <= 1:
        _WORKER = screener
        try:
            for chunk in chunks:
                yield _screen_chunk(chunk, mapping, threshold, limit, encoder)
        finally:
            _WORKER = None
        return
    _WORKER = screener
    try:
        yield from _forked(
            _screen_chunk,
            ((chunk, mapping, threshold, limit, encoder) for chunk in chunks),
            workers,
        )
    finally:
        _WORKER = None


def _forked(
    task: Callable[..., _R], args: Iterable[tuple[Any, ...]], workers: int
) -> Iterator[_R]:
    """``task(*a)`` for each ``a`` of ``args``, in order, over ``workers`` forked
    processes that share what the parent has loaded (set a module global first); at
    most a few tasks per worker in flight."""
    gc.collect()
    gc.freeze()  # the index's objects stay out of the children's collections: fewer
    #              copy-on-write page faults
    context = multiprocessing.get_context("fork")
    window: deque[Future[_R]] = deque()
    try:
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_die_with_parent,
            initargs=(os.getpid(),),
        ) as pool:
            for item in args:
                window.append(pool.submit(task, *item))
                if len(window) >= 3 * workers:
                    yield window.popleft().result()
            while len(window) > 0:
                yield window.popleft().result()
    finally:
        for pending in window:
            pending.cancel()
        gc.unfreeze()


def _screen_queries(
    queries: list[Query], limit: int, matches_only: bool
) -> list[list[Hit]]:
    assert _INDEX is not None, "worker started without an index"
    index, weights = _INDEX
    out = []
    for query in queries:
        hits = screen(index, query, limit=limit, weights=weights)
        out.append([h for h in hits if h.match] if matches_only else hits)
    return out


def screen_queries(
    index: MatchIndex,
    items: Iterable[tuple[_K, Query]],
    *,
    limit: int,
    weights: Weights | None = None,
    matches_only: bool = False,
    workers: int = 1,
) -> Iterator[tuple[_K, list[Hit]]]:
    """Each item's key with its query's hits (``screen``), in input order; with
    ``workers`` > 1 over forked processes that share the loaded index, as
    ``clearance batch`` does. ``matches_only`` keeps the hits at or above the threshold
    (and sends only those back from the workers)."""
    global _INDEX
    if workers <= 1:
        for key, query in items:
            hits = screen(index, query, limit=limit, weights=weights)
            yield key, [h for h in hits if h.match] if matches_only else hits
        return
    pending: deque[list[_K]] = deque()

    def tasks() -> Iterator[tuple[list[Query], int, bool]]:
        it = iter(items)
        while True:
            chunk = list(islice(it, CHUNK_ROWS))
            if len(chunk) == 0:
                return
            pending.append([k for k, _ in chunk])
            yield [q for _, q in chunk], limit, matches_only

    _INDEX = (index, weights)
    try:
        for results in _forked(_screen_queries, tasks(), workers):
            yield from zip(pending.popleft(), results, strict=True)
    finally:
        _INDEX = None


def _chunks(rows: Iterator[tuple[int, Record | BadRow]], size: int) -> Iterator[Chunk]:
    while True:
        chunk = list(islice(rows, size))
        if len(chunk) == 0:
            return
        yield chunk


class _Errors:
    """``OUTPUT.errors.csv``: row number, key and reason of each bad row, and whether it
    was screened: ``no`` when it could not be (empty name, broken quoting), ``yes`` when
    a bad value was ignored and the rest screened (an unparseable birth date, an
    unknown country)."""

    def __init__(self, path: Path, offset: int | None) -> None:
        self.handle: IO[bytes]
        if offset is None:
            self.handle = path.open("wb")
            self._write([["row", "key", "reason", "screened"]])
        else:
            self.handle = path.open("r+b")
            self.handle.truncate(offset)
            self.handle.seek(offset)

    def _write(self, rows: list[list[Any]]) -> None:
        self.handle.write(_csv_bytes(rows))

    def write(self, lines: bytes) -> None:
        self.handle.write(lines)

    def flush(self) -> int:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        return self.handle.tell()


def _csv_bytes(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def error_lines(rows: Sequence[OutputRow]) -> bytes:
    """The errors file's lines for these rows (see ``_Errors``)."""
    bad = [
        [r["row"], r["key"], r["error"], "no"]
        if r["error"] is not None
        else [r["row"], r["key"], r["warning"], "yes"]
        for r in rows
        if r["error"] is not None or r["warning"] is not None
    ]
    return _csv_bytes(bad) if len(bad) > 0 else b""


def _identity(
    input_path: Path,
    table: Table[ColumnMap],
    output_kind: str,
    settings: dict[str, Any],
) -> dict[str, Any]:
    stat = input_path.stat()
    return {
        "input": str(input_path.resolve()),
        "input_size": stat.st_size,
        "input_mtime_ns": stat.st_mtime_ns,
        "output_format": output_kind,
        "columns": table.columns,
        "mapping": asdict(table.mapping),
        **settings,
    }


def _write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)


def run_batch(
    screener: RowScreener | None,
    input_path: Path,
    output: Path,
    *,
    mapping: ColumnMap | None = None,
    format: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    threshold: float | None = None,
    limit: int = 10,
    workers: int = 1,
    resume: bool = False,
    settings: dict[str, Any] | None = None,
    on_progress: Callable[[int, float], None] | None = None,
    chunk_rows: int = CHUNK_ROWS,
    checkpoint_seconds: float = CHECKPOINT_SECONDS,
    engine: Engine | None = None,
) -> BatchSummary:
    """Screen every row of ``input_path`` into ``output`` (CSV, JSON lines or Parquet by
    extension), with ``OUTPUT.errors.csv`` and ``OUTPUT.summary.json`` beside it.

    Every ``checkpoint_seconds`` the output is flushed to disk and
    ``OUTPUT.checkpoint.json`` records the rows done and the output's size (written
    atomically). With ``resume``, a run finds that checkpoint, cuts the output back to
    it and goes on from the next row, so the finished output is byte for byte the one an
    uninterrupted run writes. The checkpoint is removed when the run completes.

    Args:
        screener: screens the rows on this machine (``workers`` processes); None
            when an ``engine`` does.
        settings: what else decides the results (e.g. the ``as_of`` date): a resumed
            run must have the same.
        engine: screens the chunks instead of the local pool (e.g. Spark's).
        on_progress: called with the rows done and the share of the input read.

    Raises:
        InvalidQuery: unreadable input, unknown output format, or a checkpoint left by
            a run over another file or with other options.
    """
    started = time.monotonic()
    kind = output_format(output)
    checkpoint_path = sidecar(output, ".checkpoint.json")
    errors_path = sidecar(output, ".errors.csv")
    options = {"threshold": threshold, "limit": limit, **(settings or {})}
    with open_table(
        input_path,
        mapping or ColumnMap(),
        format=format,
        delimiter=delimiter,
        encoding=encoding,
    ) as table:
        identity = _identity(input_path, table, kind, options)
        state = None
        if resume and checkpoint_path.is_file():
            state = json.loads(checkpoint_path.read_text(encoding="utf-8"))
            if state.get("identity") != identity:
                raise InvalidQuery(
                    "--resume",
                    f"{checkpoint_path.name} was left by a run over another input "
                    "or with other options: run without --resume to start over",
                )
        summary = BatchSummary(workers=workers)
        done = 0
        if state is not None:
            summary = BatchSummary(**state["summary"])
            summary.workers, summary.seconds = workers, 0.0
            done = summary.resumed_at_row = state["rows_done"]
        columns = output_columns(table.columns)
        writer = RowWriter(
            output, columns, kind, None if state is None else state["output_offset"]
        )
        errors = _Errors(errors_path, None if state is None else state["errors_offset"])
        rows = (item for item in table.rows if item[0] > done)
        finished = False
        last = time.monotonic()

        def save_checkpoint() -> None:
            writer.flush()
            state = {
                "format": _CHECKPOINT_FORMAT,
                "identity": identity,
                "rows_done": done,
                "output_offset": writer.offset(),
                "errors_offset": errors.flush(),
                "summary": summary.to_json(),
            }
            _write_json_atomically(checkpoint_path, state)

        try:
            if engine is None:
                if screener is None:
                    raise ValueError("run_batch needs a screener or an engine")
                engine = local_engine(screener, workers, writer.encoder, blocks=True)
            for item in engine(
                _chunks(rows, chunk_rows),
                table.columns,
                table.mapping,
                threshold,
                limit,
            ):
                block = item if isinstance(item, Block) else None
                if block is None:
                    assert isinstance(item, list)
                    if len(item) == 0:
                        continue
                    block = make_block(item, writer.encoder)
                if isinstance(block.output, bytes):
                    writer.write_encoded(block.output)
                else:
                    writer.write(block.output)
                errors.write(block.errors)
                summary.merge(block.summary)
                done = block.last_row
                if on_progress is not None:
                    on_progress(done, table.done())
                if time.monotonic() - last >= checkpoint_seconds:
                    save_checkpoint()
                    last = time.monotonic()
            finished = True
        finally:
            # on an exception or Ctrl-C the last checkpoint stands: a resumed run cuts
            # the output back to it
            writer.close(finished)
            errors.handle.close()
    summary.seconds = round(time.monotonic() - started, 3)
    _write_json_atomically(
        sidecar(output, ".summary.json"),
        {
            "input": str(input_path),
            "output": str(output),
            "errors_file": str(errors_path),
            **options,
            **summary.to_json(),
        },
    )
    checkpoint_path.unlink(missing_ok=True)
    return summary
