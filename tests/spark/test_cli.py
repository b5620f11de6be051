"""``clearance batch --engine spark --master local[2]`` writes what the local engine writes,
row for row: the same input file of real names (listed names as written and misspelt,
innocent companies and people, bad rows and a broken quote) through both engines."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession
from typer.testing import CliRunner

from clearance.cli.main import app
from clearance.screen import (
    Block,
    Chunk,
    IndexScreener,
    OutputRow,
    local_engine,
    run_batch,
)
from tests.spark.test_engine import NAMES

pytestmark = [pytest.mark.spark, pytest.mark.realdata]

ENV = {"COLUMNS": "160", "NO_COLOR": "1", "TERM": "dumb"}


def _input(path: Path, index_path: Path) -> Path:
    """A semicolon-separated customer file with unusual headers; every 7th listed
    entity's name, then the real names of NAMES; a broken quote near the end."""
    listed = IndexScreener.load(index_path).index.entities[::7]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Customer ID", "Full Name", "Country", "DOB", "Note, free"])
        number = 0
        for entity in listed:
            number += 1
            writer.writerow([f"K{number}", entity.caption, "", "", "listed"])
        for name, country, birth, _, note in NAMES:
            number += 1
            writer.writerow([f"K{number}", name, country, birth, note])
        handle.write(f'K{number + 1};"Hikvision;CN;;a quote left open\n')
        writer.writerow([f"K{number + 2}", "Huawei Technologies", "CN", "", "after it"])
    return path


def _batch(home: Path, *args: str) -> tuple[int, str]:
    runner = CliRunner(env={**ENV, "CLEARANCE_HOME": str(home)})
    result = runner.invoke(app, ["batch", *args, "--quiet"])
    return result.exit_code, result.stderr


def _summary(output: Path) -> dict[str, Any]:
    data = json.loads(output.with_name(output.name + ".summary.json").read_text())
    for varying in ("seconds", "workers", "output", "errors_file"):
        data.pop(varying)
    return dict(data)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_spark_engine_writes_the_local_engine_output(
    spark: SparkSession,
    cons_home: Path,
    index_path: Path,
    tmp_path: Path,
    suffix: str,
) -> None:
    source = _input(tmp_path / "customers.csv", index_path)
    local, remote = tmp_path / f"local{suffix}", tmp_path / f"spark{suffix}"
    code_local, _ = _batch(cons_home, str(source), "--output", str(local))
    code_spark, err = _batch(
        cons_home,
        str(source),
        "--output",
        str(remote),
        "--engine",
        "spark",
        "--master",
        "local[2]",
    )
    assert code_local == code_spark == 1, err  # 1: some rows could not be screened
    if suffix == ".csv":
        assert remote.read_bytes() == local.read_bytes()
        text = local.read_text(encoding="utf-8")
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
    else:
        assert pq.read_table(remote).equals(pq.read_table(local))
        rows = pq.read_table(local).to_pylist()
    errors = ".errors.csv"
    assert (tmp_path / f"spark{suffix}{errors}").read_bytes() == (
        tmp_path / f"local{suffix}{errors}"
    ).read_bytes()
    assert _summary(remote) == _summary(local)
    assert not (tmp_path / f"spark{suffix}.spark").exists()  # staging removed
    # not vacuous: alerts, clean rows and both kinds of bad rows are in it
    assert sum(str(r["match"]).lower() == "true" for r in rows) >= 60
    assert any(
        r["Note, free"] == "innocent" and r["top_id"] in ("", None) for r in rows
    )
    assert any("quote" in str(r["error"]) for r in rows)
    assert any("empty name" in str(r["error"]) for r in rows)


def test_a_spark_run_resumes_a_run_cut_short(
    spark: SparkSession, cons_home: Path, index_path: Path, tmp_path: Path
) -> None:
    source = _input(tmp_path / "customers.csv", index_path)
    whole, cut = tmp_path / "whole.csv", tmp_path / "cut.csv"
    assert _batch(cons_home, str(source), "--output", str(whole))[0] == 1
    local = local_engine(IndexScreener.load(index_path), 1)

    def dies_after_three_chunks(
        chunks: Iterable[Chunk], *args: Any
    ) -> Iterator[list[OutputRow] | Block]:
        for number, rows in enumerate(local(chunks, *args)):
            if number == 3:
                raise KeyboardInterrupt  # as a Ctrl-C would, after 3 checkpoints
            yield rows

    with pytest.raises(KeyboardInterrupt):
        run_batch(
            None,
            source,
            cut,
            settings={"as_of": None, "index": index_path.stem.removeprefix("index-")},
            engine=dies_after_three_chunks,
            chunk_rows=10,
            checkpoint_seconds=0.0,
        )
    assert 0 < len(cut.read_bytes()) < len(whole.read_bytes())
    code, err = _batch(
        cons_home,
        str(source),
        "--output",
        str(cut),
        "--resume",
        "--engine",
        "spark",
        "--master",
        "local[2]",
    )
    assert code == 1, err
    assert cut.read_bytes() == whole.read_bytes()
    assert _summary(cut) | {"resumed_at_row": 0} == _summary(whole)
    assert _summary(cut)["resumed_at_row"] == 30


def test_spark_engine_without_pyspark_extra_names_the_extra(
    cons_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    import clearance

    monkeypatch.setitem(sys.modules, "clearance.spark", None)  # as if not installed
    monkeypatch.delattr(clearance, "spark", raising=False)
    source = tmp_path / "in.csv"
    source.write_text("name\nHikvision\n", encoding="utf-8")
    code, err = _batch(
        cons_home, str(source), "--output", str(tmp_path / "o.csv"), "--engine", "spark"
    )
    assert code == 1
    assert "clearance[spark]" in err
    assert err.strip().count("\n") == 0


def test_quiet_spark_run_draws_no_progress_and_a_loud_one_does(
    spark: SparkSession, cons_home: Path, index_path: Path, tmp_path: Path
) -> None:
    from clearance.spark import PHASES

    source = _input(tmp_path / "customers.csv", index_path)
    args = ["batch", str(source), "--engine", "spark", "--master", "local[2]"]
    runner = CliRunner(env={**ENV, "CLEARANCE_HOME": str(cons_home)})
    quiet = runner.invoke(app, [*args, "--output", str(tmp_path / "q.csv"), "--quiet"])
    assert quiet.exit_code == 1, quiet.stderr
    assert "rows/s" not in quiet.stderr
    assert not any(name in quiet.stderr for name in PHASES)
    assert "rows screened" in quiet.stderr  # the closing line is not progress
    loud = runner.invoke(app, [*args, "--output", str(tmp_path / "l.csv")])
    assert loud.exit_code == 1, loud.stderr
    rows = len(IndexScreener.load(index_path).index.entities[::7]) + len(NAMES) + 2
    assert f"{rows:,} rows" in loud.stderr and "rows/s" in loud.stderr


def test_spark_engine_reports_phases_and_rows_screened(
    spark: SparkSession, cons_home: Path, index_path: Path, tmp_path: Path
) -> None:
    from clearance.spark import PHASES, spark_engine

    source = _input(tmp_path / "customers.csv", index_path)
    phases: list[str] = []
    progress: list[tuple[int, float]] = []
    engine = spark_engine(
        index_path,
        "local[2]",
        work_dir=tmp_path / "work",
        on_progress=lambda rows, share: progress.append((rows, share)),
        on_phase=phases.append,
    )
    summary = run_batch(
        None, source, tmp_path / "out.csv", settings={"as_of": None}, engine=engine
    )
    assert phases == list(PHASES)
    assert progress[-1] == (summary.rows, 1.0)
    assert [rows for rows, _ in progress] == sorted(rows for rows, _ in progress)
