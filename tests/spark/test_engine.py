"""``clearance.spark.screen`` on local[2] against the single-machine engine, over a small
real store (OFAC's non-SDN list of 19 Dec 2025) and an input of real names: listed names
as written, misspelt and transliterated, innocent real companies and people, and bad rows.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pyspark import SparkFiles
from pyspark.sql import SparkSession

import clearance.spark as engine
from clearance.errors import InvalidQuery
from clearance.screen import (
    ColumnMap,
    IndexScreener,
    OutputRow,
    output_columns,
    screen_records,
)
from clearance.spark import screen

pytestmark = [pytest.mark.spark, pytest.mark.realdata]

HIKVISION = "us_ofac_cons:30946"  # HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO., LTD.
HUAWEI = "us_ofac_cons:30947"  # HUAWEI TECHNOLOGIES CO., LTD.
COLUMNS = ["customer_id", "name", "country", "birth_date", "isin", "note"]
# (name, country, birth date, ISIN, note): real names; the note has a comma on purpose
NAMES: list[tuple[str, str, str, str, str]] = [
    (
        "Hangzhou Hikvision Digital Technology Co., Ltd.",
        "CN",
        "",
        "",
        "listed, as written",
    ),
    ("Hikvison Digital Technology", "China", "", "", "listed, misspelt"),
    ("Huawei Technologies Co Ltd", "", "", "", "listed"),
    ("华为技术有限公司", "", "", "", "listed, in Chinese"),
    ("Megvii Technology", "", "", "", "listed"),
    ("Gazprombank", "Russia", "", "", "listed"),
    ("Газпромбанк", "", "", "", "listed, Cyrillic"),
    ("Rosneft Oil Company", "RU", "", "", "listed"),
    ("Bank of Kunlun", "", "", "", "listed"),
    ("Mariam Mahmoud Saleh", "", "1965", "", "listed person"),
    ("", "", "", "CNE100000PM8", "identifier only (Hikvision's ISIN)"),
    ("Siemens AG", "DE", "", "", "innocent"),
    ("Apple Inc.", "US", "", "US0378331005", "innocent"),
    ("Tata Consultancy Services", "India", "", "", "innocent"),
    ("Banco Santander, S.A.", "ES", "", "", "innocent"),
    ("Maria Garcia Lopez", "ES", "1980-02-30", "", "innocent, impossible date"),
    ("Nestlé S.A.", "Atlantis", "", "", "innocent, unknown country"),
    ("", "", "", "", "bad: no name, no identifier"),
    ("   ", "FR", "", "", "bad: blank name"),
]


def _records(index_path: Path) -> list[dict[str, str | None]]:
    """NAMES, then every 20th listed entity's primary name as written."""
    listed = IndexScreener.load(index_path).index.entities[::20]
    rows = [*NAMES, *((e.caption, "", "", "", "listed, caption") for e in listed)]
    return [
        dict(zip(COLUMNS, (f"C{n:04d}", *(v or None for v in values)), strict=True))
        for n, values in enumerate(rows, 1)
    ]


def _local(index_path: Path, records: list[dict[str, str | None]]) -> list[OutputRow]:
    screener = IndexScreener.load(index_path)
    mapping = ColumnMap(identifier="isin").resolve(COLUMNS)
    return list(screen_records(screener, enumerate(records, 1), mapping))


def _collected(rows: list[Any]) -> list[dict[str, Any]]:
    return sorted((r.asDict() for r in rows), key=lambda r: r["row"])


@pytest.fixture(scope="module")
def records(index_path: Path) -> list[dict[str, str | None]]:
    return _records(index_path)


def test_spark_rows_equal_the_local_engine_rows(
    spark: SparkSession, index_path: Path, records: list[dict[str, str | None]]
) -> None:
    df = spark.createDataFrame(pd.DataFrame(records, columns=COLUMNS, dtype=object))
    assert df.rdd.getNumPartitions() == 2
    result = screen(df, index_path=index_path, identifier_col="isin")
    assert result.columns == output_columns(COLUMNS)
    got = _collected(result.collect())
    assert got == _local(index_path, records)
    by_key = {r["key"]: r for r in got}
    assert by_key["C0001"]["match"] is True
    assert by_key["C0001"]["top_id"] == HIKVISION
    assert by_key["C0011"]["top_id"] == HIKVISION  # by ISIN alone
    assert by_key["C0003"]["top_id"] == HUAWEI
    assert by_key["C0012"]["match"] is False  # Siemens AG
    assert by_key["C0018"]["error"] is not None
    assert by_key["C0019"]["error"] is not None
    assert "country" in (by_key["C0017"]["warning"] or "")
    listed = [r for r in got if r["note"] == "listed, caption"]
    assert len(listed) >= 20
    assert all(r["match"] for r in listed)


def test_rows_are_numbered_in_file_order_across_partitions(
    spark: SparkSession, index_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "customers.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "name"])
        for n, (name, *_) in enumerate(NAMES * 20, 1):
            writer.writerow([n, name])
    spark.conf.set("spark.sql.files.maxPartitionBytes", "2048")
    try:
        df = spark.read.csv(str(path), header=True)
        assert df.rdd.getNumPartitions() > 3
        rows = screen(df, index_path=index_path, id_col="line").collect()
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
    assert sorted(r["row"] for r in rows) == list(range(1, len(NAMES) * 20 + 1))
    assert all(r["row"] == int(r["line"]) for r in rows)


def test_a_row_column_gives_the_row_numbers_and_is_not_kept(
    spark: SparkSession, index_path: Path
) -> None:
    df = spark.createDataFrame(
        [(7, "Hikvision"), (9, "Siemens AG")], "line long, name string"
    )
    result = screen(df, index_path=index_path, row_col="line", partitions=2)
    rows = _collected(result.collect())
    assert [r["row"] for r in rows] == [7, 9]
    assert "line" not in result.columns
    assert rows[0]["top_id"] == HIKVISION


def _probe(frames: Iterator[pd.DataFrame], name: str) -> Iterator[pd.DataFrame]:
    screener = engine._screener(name)  # what screen()'s executor function calls first
    for frame in frames:
        yield pd.DataFrame({"pid": [os.getpid()] * len(frame), "at": id(screener)})


def test_each_python_worker_loads_the_index_once(
    spark: SparkSession, index_path: Path
) -> None:
    spark.sparkContext.addFile(str(index_path))
    df = spark.range(0, 800, numPartitions=8)
    work = partial(_probe, name=index_path.name)
    seen = {
        (r["pid"], r["at"]) for r in df.mapInPandas(work, "pid long, at long").collect()
    }
    # 8 partitions, at most 2 Python workers at a time: one loaded index per worker
    assert len({pid for pid, _ in seen}) == len(seen) <= 4


def test_the_worker_cache_loads_a_file_once(
    monkeypatch: pytest.MonkeyPatch, index_path: Path
) -> None:
    loads: list[Path] = []
    real = IndexScreener.load

    def counted(path: Path) -> IndexScreener:
        loads.append(path)
        return real(path)

    monkeypatch.setattr(engine, "_SCREENERS", {})
    monkeypatch.setattr(SparkFiles, "get", lambda _: str(index_path))
    monkeypatch.setattr(IndexScreener, "load", staticmethod(counted))
    first = engine._screener(index_path.name)
    assert engine._screener(index_path.name) is first
    assert engine._screener(index_path.name) is first
    assert loads == [index_path]


def test_a_missing_index_file_is_invalid(spark: SparkSession, tmp_path: Path) -> None:
    df = spark.createDataFrame([("Hikvision",)], "name string")
    with pytest.raises(InvalidQuery, match="no such index file"):
        screen(df, index_path=tmp_path / "index-0.pickle")


def test_a_missing_named_column_is_invalid(
    spark: SparkSession, index_path: Path
) -> None:
    df = spark.createDataFrame([("Hikvision",)], "company string")
    with pytest.raises(InvalidQuery, match="no 'name' or 'identifier' column"):
        screen(df, index_path=index_path)
    with pytest.raises(InvalidQuery, match="no column 'firm'"):
        screen(df, index_path=index_path, name_col="firm")
