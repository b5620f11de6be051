"""The distributed engine: a Spark DataFrame screened by the single-machine engine's own
per-row function (``clearance.screen.screen_record``) inside the executors.

The one idea: rows travel to Python as Arrow batches (``mapInPandas``), and the saved index
file travels once to each executor (``SparkContext.addFile``), where each Python worker
loads it once and keeps it (``_SCREENERS``). Nothing about matching lives here, so a row
screened by Spark and by ``clearance batch`` comes out the same.

Needs the ``spark`` extra (``pip install clearance[spark]``) and Java 17.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from pathlib import Path

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
    ColumnMap,
    IndexScreener,
    output_columns,
    screen_record,
)

__all__ = ["output_schema", "screen", "session"]

# Spark types of the output columns that are not text (see clearance.screen.OUTPUT_COLUMNS)
_TYPES: dict[str, DataType] = {
    "row": LongType(),
    "match": BooleanType(),
    "hit_count": LongType(),
    "top_score": DoubleType(),
}
_ID = "__clearance_id"  # a scratch column: Spark's own row id, turned into row numbers
_ID_BITS = 33  # monotonically_increasing_id(): partition index << 33 | position in it

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
            folder; ``index_file`` finds or builds it). Shipped once to each executor.
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
    return screener


def _row_number(value: int, offsets: Mapping[int, int] | None) -> int:
    if offsets is None:
        return value
    return offsets[value >> _ID_BITS] + (value & ((1 << _ID_BITS) - 1)) + 1


def _screen_frames(
    frames: Iterator[pd.DataFrame],
    *,
    index_name: str,
    columns: list[str],
    mapping: ColumnMap,
    offsets: dict[int, int] | None,
    threshold: float | None,
    limit: int,
) -> Iterator[pd.DataFrame]:
    """Runs in the executors' Python workers: one Arrow batch in, one out."""
    screener = _screener(index_name)
    names = output_columns(columns)
    for frame in frames:
        ids = frame[_ID].tolist()
        records: list[dict[str, object]] = frame[columns].to_dict("records")  # type: ignore[assignment]  # pandas-stubs: Hashable keys; ours are the column names
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
        yield pd.DataFrame.from_records(rows, columns=names)
