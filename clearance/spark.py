"""The distributed engine: a Spark DataFrame screened by the single-machine engine's own
per-row function (``clearance.screen.screen_record``) inside the executors.

The one idea: rows travel to Python as Arrow batches (``mapInPandas``), and the saved index
file travels once to each executor (``SparkContext.addFile``), where each Python worker
loads it once and keeps it (``_SCREENERS``). Nothing about matching lives here, so a row
screened by Spark and by ``clearance batch`` comes out the same.

Needs the ``spark`` extra (``pip install clearance[spark]``) and Java 17.
"""

from __future__ import annotations

import gc
import heapq
import math
import os
import shutil
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any

import pandas as pd
from pyspark import SparkFiles
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import (
    BooleanType,
    DataType,
    DoubleType,
    LongType,
    StringType,
    StructField,
    StructType,
)

from clearance.errors import InvalidQuery
from clearance.screen import (
    BadRow,
    Chunk,
    ColumnMap,
    Engine,
    IndexScreener,
    OutputRow,
    Record,
    input_value,
    load_index,
    output_columns,
    screen_record,
    view_key,
)
from clearance.store import View

__all__ = [
    "PHASES",
    "batch_engine",
    "output_schema",
    "screen",
    "session",
    "spark_engine",
]

# Spark types of the output columns that are not text (see clearance.screen.OUTPUT_COLUMNS)
_TYPES: dict[str, DataType] = {
    "row": LongType(),
    "match": BooleanType(),
    "hit_count": LongType(),
    "top_score": DoubleType(),
}
_ID = "__clearance_id"  # a scratch column: Spark's own row id, turned into row numbers
_ID_BITS = 33  # monotonically_increasing_id(): partition index << 33 | position in it
# columns of the staged input (spark_engine); the input's own columns are staged as c0,
# c1, ... because Parquet and Spark refuse some characters that headers may hold
_BAD, _BAD_KEY = "__clearance_bad", "__clearance_bad_key"
STAGE_ROWS = 50_000  # rows per staged Parquet file: bounded driver memory
ROWS_PER_PARTITION = 10_000  # one task's rows: small enough to balance 2 cores or 200
OUT_CHUNK = 1_000  # output rows handed back to the batch writer at a time
PROGRESS_SECONDS = 0.5  # how often Spark's finished tasks are polled for progress
# what a Spark batch run does in turn (spark_engine's on_phase)
PHASES = ("staging the input", "screening on Spark", "writing the output")

# One loaded index per Python worker process, keyed by the shipped file's name. Spark
# keeps its Python workers between tasks (spark.python.worker.reuse, on by default), so
# every partition after a worker's first finds the index here: the pickle (tens of MB on
# disk, several hundred MB in memory) is loaded once per worker process, never per
# partition or per row. A dict rather than a single slot so that two jobs with different
# list versions in one session do not thrash.
_SCREENERS: dict[str, IndexScreener] = {}


def session(master: str = "local[*]", app_name: str = "clearance") -> SparkSession:
    """A Spark session set up for screening: Arrow on, the web UI off, few shuffle
    partitions (the engine shuffles only to balance rows). Reuses a running session.

    On a ``local`` master the Python workers are this interpreter, so they import the
    same Clearance (Spark otherwise starts whatever ``python3`` is on the PATH).
    """
    if master.startswith("local") and "PYSPARK_PYTHON" not in os.environ:
        # pyspark reads only this variable to choose the workers' interpreter
        os.environ["PYSPARK_PYTHON"] = sys.executable
    builder: SparkSession.Builder = SparkSession.builder
    return (
        builder.master(master)
        .appName(app_name)
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "8")
        # the JVM only moves Arrow batches: its quick JIT tier is enough, and a session
        # started in 19 s instead of 48 s on this busy 2-core machine
        .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1")
        .getOrCreate()
    )


def screen(
    df: DataFrame,
    *,
    index_path: Path | str,
    name_col: str | None = None,
    schema_col: str | None = None,
    country_col: str | None = None,
    birth_date_col: str | None = None,
    identifier_col: str | None = None,
    id_col: str | None = None,
    row_col: str | None = None,
    threshold: float | None = None,
    limit: int = 10,
    partitions: int | None = None,
) -> DataFrame:
    """Screen every row of ``df``; one output row per input row, with the columns of
    ``clearance.screen.output_columns(df.columns)``: the input columns as text, then the
    row number, the alert decision, the best hits with their lists, legal effects and
    evidence (``OUTPUT_COLUMNS``).

    Lazy like any transformation: nothing runs until the result is written or collected.
    Rows come out partition by partition; sort by ``row`` for the input's order.

    Args:
        df: the records; any column types (values are kept as text, like the local
            engine does).
        index_path: a saved index file (``index-<key>.pickle`` in a home's ``index/``
            folder, saved by any ``clearance check`` or ``clearance batch``), on the
            driver. Shipped once to each executor.
        name_col: the column holding names; this and the other ``*_col`` arguments
            default to the usual headers (``ColumnMap``).
        row_col: a column of 1-based row numbers, dropped from the kept columns; without
            it rows are numbered in the DataFrame's order (partition by partition).
        threshold: the alert threshold (default: the calibrated one).
        limit: hits kept per row.
        partitions: spread the rows over this many partitions first (a shuffle); by
            default the DataFrame's own partitioning is kept.

    Raises:
        InvalidQuery: a named column is missing, or there is no name nor identifier
            column, or the index file does not exist.
    """
    path = Path(index_path)
    if not path.is_file():
        raise InvalidQuery("index_path", f"no such index file: {path}")
    kept = [c for c in df.columns if c != row_col]
    mapping = ColumnMap(
        name=name_col,
        schema=schema_col,
        country=country_col,
        birth_date=birth_date_col,
        identifier=identifier_col,
        id=id_col,
    ).resolve(kept)
    if row_col is None:
        df, offsets = _numbered(df)
        row_expr: Column = F.col(_ID)
    else:
        offsets = None
        row_expr = F.col(row_col).cast("long")
    if partitions is not None:
        df = df.repartitionByRange(partitions, row_expr)
    frame = df.select(*[F.col(c) for c in kept], row_expr.alias(_ID))
    df.sparkSession.sparkContext.addFile(str(path))
    work = partial(
        _screen_frames,
        index_name=path.name,
        fields=kept,
        columns=kept,
        mapping=mapping,
        offsets=offsets,
        threshold=threshold,
        limit=limit,
    )
    return frame.mapInPandas(work, output_schema(kept))


def output_schema(columns: Sequence[str]) -> StructType:
    """The Spark schema of ``screen``'s result for input ``columns``."""
    return StructType(
        [
            StructField(c, _TYPES.get(c, StringType()), nullable=c != "row")
            for c in output_columns(columns)
        ]
    )


def _numbered(df: DataFrame) -> tuple[DataFrame, dict[int, int]]:
    """``df`` with Spark's row id, and for each partition the number of rows before it:
    ``row = offsets[id >> 33] + (id & (2**33 - 1)) + 1``. One small counting job (in the
    JVM); the source must read the same way twice, as files do."""
    with_id = df.withColumn(_ID, F.monotonically_increasing_id())
    counts = (
        with_id.groupBy(F.shiftright(F.col(_ID), _ID_BITS).alias("part"))
        .count()
        .collect()
    )
    offsets: dict[int, int] = {}
    total = 0
    for item in sorted(counts, key=lambda r: int(r["part"])):
        offsets[int(item["part"])] = total
        total += int(item["count"])
    return with_id, offsets


def _screener(index_name: str) -> IndexScreener:
    screener = _SCREENERS.get(index_name)
    if screener is None:
        screener = IndexScreener.load(Path(SparkFiles.get(index_name)))
        _SCREENERS[index_name] = screener
        # the index's millions of objects live as long as the worker: keep them out of
        # the cyclic collector's passes (as the local engine's workers do)
        gc.collect()
        gc.freeze()
    return screener


def _row_number(value: int, offsets: Mapping[int, int] | None) -> int:
    if offsets is None:
        return value
    return offsets[value >> _ID_BITS] + (value & ((1 << _ID_BITS) - 1)) + 1


def _screen_frames(
    frames: Iterator[pd.DataFrame],
    *,
    index_name: str,
    fields: list[str],
    columns: list[str],
    mapping: ColumnMap,
    offsets: dict[int, int] | None,
    threshold: float | None,
    limit: int,
    staged: bool = False,
) -> Iterator[pd.DataFrame]:
    """Runs in the executors' Python workers: one Arrow batch in, one out. ``fields``
    are the frame's columns holding the records' ``columns``; a staged frame also has
    the bad-row columns, and its output columns are positional (``o0``, ``o1``, ...)."""
    screener = _screener(index_name)
    names = output_columns(columns)
    for frame in frames:
        ids = frame[_ID].tolist()
        values = frame[fields].astype(object)  # NaN (missing) is None to screen_record
        records: list[Record | BadRow] = [
            dict(zip(columns, row, strict=True))
            for row in values.itertuples(index=False, name=None)
        ]
        if staged:
            for i, (reason, key) in enumerate(
                zip(frame[_BAD].tolist(), frame[_BAD_KEY].tolist(), strict=True)
            ):
                if isinstance(reason, str):
                    records[i] = BadRow(reason, key if isinstance(key, str) else None)
        rows = [
            screen_record(
                screener,
                record,
                mapping,
                row=_row_number(int(i), offsets),
                threshold=threshold,
                limit=limit,
            )
            for i, record in zip(ids, records, strict=True)
        ]
        out = pd.DataFrame.from_records(rows, columns=names)
        if staged:
            out.columns = pd.Index([f"o{i}" for i in range(len(names))])
        yield out


def spark_engine(
    index_path: Path,
    master: str = "local[*]",
    *,
    work_dir: Path,
    on_progress: Callable[[int, float], None] | None = None,
    on_phase: Callable[[str], None] | None = None,
) -> Engine:
    """The Spark engine for ``clearance.screen.run_batch``: the batch runner reads the
    input and writes the output, summary and errors file as for the local engine; this
    screens its rows on Spark in between, so both engines write the same file.

    The rows are staged as Parquet in ``work_dir`` (which every executor must be able to
    read: on a cluster, a shared folder), screened by ``screen`` over ranges of rows,
    written back as Parquet and handed on in input order. ``work_dir`` is removed after.

    Args:
        on_progress: called from a polling thread while Spark screens, with the rows
            screened so far (estimated from the finished tasks: Spark tells no more)
            and their share; last with all the rows and 1.0 when its job is done.
        on_phase: called with ``PHASES`` as the run enters them: staging the input,
            screening on Spark, handing the rows back to the writer.
    """
    return partial(
        _run,
        index_path=index_path,
        master=master,
        work_dir=work_dir,
        on_progress=on_progress,
        on_phase=on_phase,
    )


def batch_engine(
    view: View,
    index_folder: Path,
    output: Path,
    *,
    master: str = "local[*]",
    on_progress: Callable[[int, float], None] | None = None,
    on_phase: Callable[[str], None] | None = None,
) -> tuple[Engine, str]:
    """What ``clearance batch --engine spark`` runs: the Spark engine over the saved
    index of ``view`` (built and saved first if there is none; the driver does not keep
    it), staging in ``OUTPUT.spark/``; and the index's key (the run's settings).
    """
    key = view_key(view)
    path = index_folder / f"index-{key}.pickle"
    if not path.is_file():
        load_index(view, index_folder)
    engine = spark_engine(
        path,
        master,
        work_dir=output.with_name(output.name + ".spark"),
        on_progress=on_progress,
        on_phase=on_phase,
    )
    return engine, key


def _run(
    chunks: Iterable[Chunk],
    columns: list[str],
    mapping: ColumnMap,
    threshold: float | None,
    limit: int,
    *,
    index_path: Path,
    master: str,
    work_dir: Path,
    on_progress: Callable[[int, float], None] | None,
    on_phase: Callable[[str], None] | None,
) -> Iterator[list[OutputRow]]:
    def phase(name: str) -> None:
        if on_phase is not None:
            on_phase(name)

    shutil.rmtree(work_dir, ignore_errors=True)  # what an interrupted run left
    staged, screened = work_dir / "input", work_dir / "output"
    try:
        phase(PHASES[0])
        total = _stage(chunks, columns, staged)
        if total == 0:
            return
        running = SparkSession.getActiveSession()
        spark = session(master, "clearance batch")
        try:
            df = spark.read.parquet(str(staged))
            partitions = max(
                2 * spark.sparkContext.defaultParallelism,
                math.ceil(total / ROWS_PER_PARTITION),
            )
            df = df.repartitionByRange(partitions, F.col(_ID))
            spark.sparkContext.addFile(str(index_path))
            positional = [f"c{i}" for i in range(len(columns))]
            names = output_columns(columns)
            work = partial(
                _screen_frames,
                index_name=index_path.name,
                fields=positional,
                columns=columns,
                mapping=mapping,
                offsets=None,
                threshold=threshold,
                limit=limit,
                staged=True,
            )
            schema = output_schema(columns)
            renamed = StructType(
                [
                    StructField(f"o{i}", field.dataType, field.nullable)
                    for i, field in enumerate(schema.fields)
                ]
            )
            result = df.mapInPandas(work, renamed).sortWithinPartitions(
                f"o{names.index('row')}"
            )
            phase(PHASES[1])
            with _watching(spark, partitions, total, on_progress):
                result.write.parquet(str(screened))
            if on_progress is not None:
                on_progress(total, 1.0)
        finally:
            if running is None:
                spark.stop()
        phase(PHASES[2])
        yield from _merged(screened, names)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


@contextmanager
def _watching(
    spark: SparkSession,
    partitions: int,
    total: int,
    on_progress: Callable[[int, float], None] | None,
) -> Iterator[None]:
    """Report the screening stage's finished tasks (each ``total / partitions`` rows)
    while the body runs."""
    if on_progress is None:
        yield
        return
    report = on_progress
    tracker = spark.sparkContext.statusTracker()
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(PROGRESS_SECONDS):
            for stage_id in tracker.getActiveStageIds():
                info = tracker.getStageInfo(stage_id)
                if info is not None and info.numTasks == partitions:
                    share = info.numCompletedTasks / partitions
                    report(int(total * share), share)

    thread = threading.Thread(target=poll, name="clearance-spark-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _stage(chunks: Iterable[Chunk], columns: list[str], folder: Path) -> int:
    """Write the rows as Parquet files of ``STAGE_ROWS``; values as the text
    ``screen_record`` makes of them; bad rows as their reason. Returns the row count."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True)
    schema = pa.schema(
        [(_ID, pa.int64()), (_BAD, pa.string()), (_BAD_KEY, pa.string())]
        + [(f"c{i}", pa.string()) for i in range(len(columns))]
    )
    total = 0
    rows = (item for chunk in chunks for item in chunk)
    while True:
        part = list(islice(rows, STAGE_ROWS))
        if len(part) == 0:
            return total
        data: dict[str, list[Any]] = {name: [] for name in schema.names}
        for number, record in part:
            data[_ID].append(number)
            bad = isinstance(record, BadRow)
            data[_BAD].append(record.reason if isinstance(record, BadRow) else None)
            data[_BAD_KEY].append(record.key if isinstance(record, BadRow) else None)
            for i, column in enumerate(columns):
                value = None if bad else _get(record, column)
                data[f"c{i}"].append(value)
        pq.write_table(
            pa.table(data, schema=schema), folder / f"part-{total:012d}.parquet"
        )
        total += len(part)


def _get(record: Record | BadRow, column: str) -> str | None:
    assert not isinstance(record, BadRow)
    return input_value(record.get(column))


def _merged(folder: Path, names: list[str]) -> Iterator[list[OutputRow]]:
    """The screened rows in row order: each part file is sorted, and they are merged."""
    import pyarrow.parquet as pq

    row_field = f"o{names.index('row')}"

    def rows(path: Path) -> Iterator[dict[str, Any]]:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=OUT_CHUNK):
            yield from batch.to_pylist()

    parts = [rows(p) for p in sorted(folder.glob("part-*.parquet"))]
    merged = heapq.merge(*parts, key=lambda r: int(r[row_field]))
    while True:
        block = list(islice(merged, OUT_CHUNK))
        if len(block) == 0:
            return
        yield [{name: item[f"o{i}"] for i, name in enumerate(names)} for item in block]
