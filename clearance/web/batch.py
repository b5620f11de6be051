"""Batch screening from the browser: an uploaded CSV or XLSX file screened in a background
thread, its progress polled, its results downloaded as CSV or JSON.

Screening itself is ``clearance.screen``'s batch functions, called from one place
(``_screen_file``) so that a reworked batch engine plugs in there.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import secrets
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from clearance.errors import ClearanceError, InvalidQuery
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

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # a 20 MB CSV is ~300,000 names; larger files: CLI
MAX_ROWS = 200_000  # rows screened per upload; the rest is refused up front
JOBS_KEPT = 20  # finished jobs (and their results) kept in memory, newest first
RUNNING_AT_ONCE = 1  # batches screened at a time; others wait (2 cores, one index)
HITS_PER_ROW = 5


@dataclass(slots=True)
class BatchJob:
    """One uploaded file being screened (mutable: its progress advances)."""

    id: str
    filename: str
    as_of: date | None
    state: str = "queued"  # queued | reading | screening | done | failed
    total: int = 0
    done: int = 0
    error: str | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    results: list[RowResult] = field(default_factory=list)

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
    else CSV (delimiter and encoding found by ``read_csv_rows``)."""
    is_xlsx = data[:4] == b"PK\x03\x04"
    path = folder / (
        "upload.xlsx" if is_xlsx else "upload.csv"
    )  # openpyxl wants the suffix
    path.write_bytes(data)
    return list(read_xlsx_rows(path) if is_xlsx else read_csv_rows(path))


def _screen_file(
    screener: Screener,
    rows: list[tuple[int, Row]],
    on_row: Callable[[RowResult], None],
) -> None:
    """The one call into the batch engine: screen every row, reporting each result."""
    for _ in screen_rows(screener, rows, limit=HITS_PER_ROW, on_row=on_row):
        pass


class BatchJobs:
    """The batch jobs of one web app: started from uploads, run one at a time in
    background threads, kept in memory (the newest ``JOBS_KEPT``)."""

    def __init__(self) -> None:
        self._jobs: OrderedDict[str, BatchJob] = OrderedDict()
        self._lock = threading.Lock()
        self._running = threading.Semaphore(RUNNING_AT_ONCE)

    def get(self, job_id: str) -> BatchJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def start(
        self, service: Service, filename: str, data: bytes, as_of: date | None
    ) -> BatchJob:
        """Keep the upload in a temporary file and screen it in a background thread."""
        if len(data) == 0:
            raise InvalidQuery("file", "the uploaded file is empty")
        job = BatchJob(secrets.token_urlsafe(9), filename, as_of)
        with self._lock:
            self._jobs[job.id] = job
            finished = [j for j in self._jobs.values() if j.finished]
            for old in finished[: max(0, len(self._jobs) - JOBS_KEPT)]:
                del self._jobs[old.id]
        threading.Thread(
            target=self._run,
            args=(job, service, data),
            name=f"clearance-batch-{job.id}",
            daemon=True,
        ).start()
        return job

    def _run(self, job: BatchJob, service: Service, data: bytes) -> None:
        try:
            with self._running:
                job.state = "reading"
                with tempfile.TemporaryDirectory(prefix="clearance-batch-") as folder:
                    rows = _rows(Path(folder), data)
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

                def on_row(result: RowResult) -> None:
                    job.results.append(result)
                    job.done += 1

                _screen_file(screener, rows, on_row)
                job.state = "done"
        except ClearanceError as exc:
            job.error, job.state = str(exc), "failed"
        except Exception as exc:  # reported on the page; logged with its traceback
            job.error, job.state = f"{type(exc).__name__}: {exc}", "failed"
            log.exception("batch %s failed", job.id)
        finally:
            job.finished_at = datetime.now(UTC)


def summary(job: BatchJob) -> dict[str, Any]:
    """Rows screened, rows with an alert, unusable rows, and alerts by list."""
    by_list: dict[str, int] = {}
    alerted = errors = 0
    for result in job.results:
        errors += result.error is not None
        matches = [h for h in result.hits if h.match]
        alerted += len(matches) > 0
        codes = {x.source for h in matches for x in h.entity.listings}
        for code in codes:
            by_list[code] = by_list.get(code, 0) + 1
    return {
        "rows": len(job.results),
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


def results_csv(job: BatchJob) -> str:
    """One line per match; a row without a match gets one line with its closest hit (or
    its error, or nothing), so every row of the file is accounted for. The JSON download
    has every hit."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for result in job.results:
        base = [result.key, result.row]
        tail = [result.error or "", result.warning or ""]
        if len(result.hits) == 0:
            writer.writerow([*base, "", "", "", "", "", "", "", "", "", "", *tail])
            continue
        matches = [h for h in result.hits if h.match] or list(result.hits[:1])
        for rank, h in enumerate(matches, start=1):
            listings = h.entity.listings
            since = sorted(
                {x.listed_on.isoformat() for x in listings if x.listed_on is not None}
            )
            writer.writerow(
                [
                    *base,
                    rank,
                    "yes" if h.match else "no",
                    f"{h.score:.4f}",
                    h.entity.id,
                    h.entity.caption,
                    h.matched_name or "",
                    "; ".join(sorted({x.source for x in listings})),
                    "; ".join(sorted({x.legal_effect.value for x in listings})),
                    "; ".join(since),
                    "; ".join(e.detail or e.feature for e in h.evidence),
                    *tail,
                ]
            )
    return out.getvalue()


def results_json(job: BatchJob) -> str:
    data = {
        "file": job.filename,
        "as_of": None if job.as_of is None else job.as_of.isoformat(),
        "summary": summary(job),
        "results": [result_json(r) for r in job.results],
    }
    return json.dumps(data, ensure_ascii=False, indent=1)
