"""Batch screening from the browser: an uploaded CSV or XLSX file screened in a background
thread, its progress polled, its results downloaded as CSV or JSON. Batches live in the
home folder (``batches/``), so with ``clearance serve --processes N`` any process answers
for a batch another one runs.

Screening itself is ``clearance.screen``'s batch functions, called from one place
(``_screen_file``) so that a reworked batch engine plugs in there.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from clearance.errors import ClearanceError, InvalidQuery, NotFound
from clearance.model import list_info
from clearance.screen import (
    Row,
    RowResult,
    Screener,
    Service,
    read_csv_rows,
    result_json,
    screen_rows,
)

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 20_000_000  # a 20 MB CSV is ~300,000 names; larger files: the CLI
MAX_ROWS = 200_000  # rows screened per upload; the rest is refused up front
JOBS_KEPT = 20  # batches (and their results) kept in the home folder, newest first
RUNNING_AT_ONCE = 1  # batches screened at a time per process (2 cores, one index)
HITS_PER_ROW = 5
KEEP_SCORE = 0.05  # hits kept in the results (besides matches and each row's best hit)
SAVE_EVERY = 0.25  # seconds between progress writes while screening
FOLDER = "batches"  # under the home folder: every server process sees every batch
_JOB_ID = re.compile(r"^[A-Za-z0-9_-]{8,32}$")  # ids are ours; anything else is refused


@dataclass(slots=True)
class BatchJob:
    """One uploaded file being screened, as its ``job.json`` records it."""

    id: str
    filename: str
    as_of: date | None
    state: str = "queued"  # queued | reading | screening | done | failed
    total: int = 0
    done: int = 0
    error: str | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")

    def status(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "total": self.total,
            "done": self.done,
            "percent": percent(self.done, self.total, self.state),
            "error": self.error,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            **self.status(),
            "filename": self.filename,
            "as_of": None if self.as_of is None else self.as_of.isoformat(),
            "started_at": self.started_at.isoformat(),
            "finished_at": None
            if self.finished_at is None
            else self.finished_at.isoformat(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BatchJob:
        as_of, finished = data.get("as_of"), data.get("finished_at")
        return cls(
            id=str(data["id"]),
            filename=str(data["filename"]),
            as_of=None if as_of is None else date.fromisoformat(as_of),
            state=str(data["state"]),
            total=int(data["total"]),
            done=int(data["done"]),
            error=data.get("error"),
            started_at=datetime.fromisoformat(data["started_at"]),
            finished_at=None if finished is None else datetime.fromisoformat(finished),
        )


def percent(done: int, total: int, state: str) -> int:
    if state == "done":
        return 100
    return 0 if total == 0 else min(99, done * 100 // total)


def _cell(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a year typed into a number cell: 1966, not 1966.0
    return str(value)


def _column(header: object) -> str:
    """``"Birth date"`` -> ``birth_date``: spreadsheet headings as the CSV columns."""
    return "_".join(str(header or "").strip().lower().split())


def read_xlsx_rows(path: Path) -> Iterator[tuple[int, Row]]:
    """Rows of the first sheet of an XLSX file, as ``read_csv_rows`` gives a CSV's: the
    first non-empty row names the columns (``name``, ``schema``, ``country``,
    ``birth_date``, ``identifier``, ``qid``).

    Raises:
        InvalidQuery: not an XLSX file, or no ``name`` or ``identifier`` column.
    """
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise InvalidQuery("file", f"not a readable XLSX workbook ({exc})") from None
    try:
        sheet = book.worksheets[0]
        columns: list[str] | None = None
        number = 0
        for values in sheet.iter_rows(values_only=True):
            cells = [_cell(v) for v in values]
            if not any(c is not None and len(c.strip()) > 0 for c in cells):
                continue
            if columns is None:
                columns = [_column(v) for v in values]
                if "name" not in columns and "identifier" not in columns:
                    found = ", ".join(repr(c) for c in columns if len(c) > 0) or "none"
                    raise InvalidQuery(
                        "file", f"no 'name' or 'identifier' column (columns: {found})"
                    )
                continue
            number += 1
            yield (
                number,
                {
                    c: cells[i] if i < len(cells) else None
                    for i, c in enumerate(columns)
                    if c
                },
            )
        if columns is None:
            raise InvalidQuery("file", "the first sheet is empty")
    finally:
        book.close()


def _rows(folder: Path, data: bytes) -> list[tuple[int, Row]]:
    """Every row of an uploaded file: XLSX when it is a zip archive (as XLSX files are),
    else CSV (delimiter and encoding found by ``read_csv_rows``). The upload is deleted
    once read."""
    is_xlsx = data[:4] == b"PK\x03\x04"
    # openpyxl goes by the file name's suffix
    path = folder / ("upload.xlsx" if is_xlsx else "upload.csv")
    path.write_bytes(data)
    try:
        return list(read_xlsx_rows(path) if is_xlsx else read_csv_rows(path))
    finally:
        path.unlink(missing_ok=True)


def _screen_file(
    screener: Screener,
    rows: list[tuple[int, Row]],
    on_row: Callable[[RowResult], None],
) -> None:
    """The one call into the batch engine: screen every row, reporting each result."""
    for _ in screen_rows(screener, rows, limit=HITS_PER_ROW, on_row=on_row):
        pass


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Replace ``path`` in one step, so a reader in another process never sees half."""
    part = path.with_suffix(".part")
    part.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(part, path)


def _row_json(result: RowResult) -> dict[str, Any]:
    """One screened row: ``result_json``'s shape less each hit's list of names (the entity
    page has them), with the row number and, per hit, its lists and listing dates. Hits
    scoring below ``KEEP_SCORE`` are dropped unless none is left: with five hits a row,
    such noise made 2.7 kB of the 3 kB a row took on disk."""
    data = result_json(result)
    data["row"] = result.row
    kept = []
    for position, (out, hit) in enumerate(zip(data["hits"], result.hits, strict=True)):
        if position > 0 and not hit.match and hit.score < KEEP_SCORE:
            continue
        out.pop("names", None)
        listings = hit.entity.listings
        out["lists"] = sorted({x.source for x in listings})
        out["listed_since"] = sorted(
            {x.listed_on.isoformat() for x in listings if x.listed_on is not None}
        )
        kept.append(out)
    data["hits"] = kept
    return data


class BatchJobs:
    """Batch jobs kept in ``<home>/batches/<id>/`` (``job.json`` and ``results.jsonl``):
    started from an upload and screened in a background thread of the process that
    received it, read by whichever server process answers the next request."""

    def __init__(self) -> None:
        self._running = threading.Semaphore(RUNNING_AT_ONCE)

    @staticmethod
    def _root(service: Service) -> Path:
        return service.home / FOLDER

    def _folder(self, service: Service, job_id: str) -> Path | None:
        if not _JOB_ID.match(job_id):
            return None
        folder = self._root(service) / job_id
        return folder if (folder / "job.json").is_file() else None

    def get(self, service: Service, job_id: str) -> BatchJob | None:
        folder = self._folder(service, job_id)
        if folder is None:
            return None
        try:
            data = json.loads((folder / "job.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return BatchJob.from_json(data)

    def results(self, service: Service, job_id: str) -> list[dict[str, Any]]:
        """The screened rows of a batch, in file order (see ``_row_json``)."""
        folder = self._folder(service, job_id)
        if folder is None:
            raise NotFound("batch", job_id)
        with (folder / "results.jsonl").open(encoding="utf-8") as lines:
            return [json.loads(line) for line in lines if line.strip()]

    def start(
        self, service: Service, filename: str, data: bytes, as_of: date | None
    ) -> BatchJob:
        """Keep the upload in the batch's folder and screen it in a background thread."""
        if len(data) == 0:
            raise InvalidQuery("file", "the uploaded file is empty")
        root = self._root(service)
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._prune(service)
        job = BatchJob(secrets.token_urlsafe(12), filename, as_of)
        folder = root / job.id
        folder.mkdir(mode=0o700)
        (folder / "results.jsonl").touch()
        _write_json(folder / "job.json", job.to_json())
        threading.Thread(
            target=self._run,
            args=(job, folder, service, data),
            name=f"clearance-batch-{job.id}",
            daemon=True,
        ).start()
        return job

    def _prune(self, service: Service) -> None:
        """Delete the oldest finished batches beyond ``JOBS_KEPT``."""
        jobs = [
            job
            for folder in self._root(service).iterdir()
            if (job := self.get(service, folder.name)) is not None
        ]
        jobs.sort(key=lambda j: j.started_at, reverse=True)
        for job in jobs[JOBS_KEPT - 1 :]:
            if job.finished:
                shutil.rmtree(self._root(service) / job.id, ignore_errors=True)

    def _run(self, job: BatchJob, folder: Path, service: Service, data: bytes) -> None:
        def save() -> None:
            _write_json(folder / "job.json", job.to_json())

        try:
            with (
                self._running,
                (folder / "results.jsonl").open("a", encoding="utf-8") as out,
            ):
                job.state = "reading"
                save()
                rows = _rows(folder, data)
                if len(rows) == 0:
                    raise InvalidQuery("file", "no rows to screen below the header")
                if len(rows) > MAX_ROWS:
                    raise InvalidQuery(
                        "file",
                        f"{len(rows):,} rows; the web page screens at most {MAX_ROWS:,} "
                        "(use `clearance batch` for more)",
                    )
                job.total = len(rows)
                screener = service.screener(job.as_of)
                job.state = "screening"
                save()
                saved = time.monotonic()

                def on_row(result: RowResult) -> None:
                    nonlocal saved
                    out.write(json.dumps(_row_json(result), ensure_ascii=False) + "\n")
                    job.done += 1
                    if time.monotonic() - saved >= SAVE_EVERY:
                        out.flush()
                        save()
                        saved = time.monotonic()

                _screen_file(screener, rows, on_row)
                job.state = "done"
        except ClearanceError as exc:
            job.error, job.state = str(exc), "failed"
        except Exception as exc:  # reported on the page; logged with its traceback
            job.error, job.state = f"{type(exc).__name__}: {exc}", "failed"
            log.exception("batch %s failed", job.id)
        finally:
            job.finished_at = datetime.now(UTC)
            save()


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Rows screened, rows with an alert, unusable rows, and alerts by list."""
    by_list: dict[str, int] = {}
    alerted = errors = 0
    for row in rows:
        errors += row.get("error") is not None
        matches = [h for h in row["hits"] if h["match"]]
        alerted += len(matches) > 0
        for code in {c for h in matches for c in h["lists"]}:
            by_list[code] = by_list.get(code, 0) + 1
    return {
        "rows": len(rows),
        "alerted": alerted,
        "errors": errors,
        "by_list": [
            {"list": code, "title": list_info(code).title, "rows": n}
            for code, n in sorted(by_list.items(), key=lambda x: (-x[1], x[0]))
        ],
    }


CSV_COLUMNS = (
    "qid",
    "row",
    "rank",
    "match",
    "score",
    "entity_id",
    "caption",
    "matched_name",
    "lists",
    "legal_effects",
    "listed_since",
    "evidence",
    "error",
    "warning",
)


def results_csv(rows: list[dict[str, Any]]) -> str:
    """One line per match; a row without a match gets one line with its closest hit (or
    its error, or nothing), so every row of the file is accounted for. The JSON download
    has every hit."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        base = [row["qid"], row["row"]]
        tail = [row.get("error") or "", row.get("warning") or ""]
        hits = row["hits"]
        shown = [h for h in hits if h["match"]] or hits[:1]
        if len(shown) == 0:
            writer.writerow([*base, *[""] * 10, *tail])
        for rank, h in enumerate(shown, start=1):
            writer.writerow(
                [
                    *base,
                    rank,
                    "yes" if h["match"] else "no",
                    f"{h['score']:.4f}",
                    h["id"],
                    h["caption"],
                    h["matched_name"] or "",
                    "; ".join(h["lists"]),
                    "; ".join(h["legal_effects"]),
                    "; ".join(h["listed_since"]),
                    "; ".join(e["detail"] or e["feature"] for e in h["evidence"]),
                    *tail,
                ]
            )
    return out.getvalue()


def results_json(job: BatchJob, rows: list[dict[str, Any]]) -> str:
    data = {
        "file": job.filename,
        "as_of": None if job.as_of is None else job.as_of.isoformat(),
        "summary": summary(rows),
        "results": rows,
    }
    return json.dumps(data, ensure_ascii=False, indent=1)
