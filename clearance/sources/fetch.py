"""The only module that gets bytes: from the official URLs (httpx) or from a folder.

``HttpFetcher`` downloads a source's files with timeouts, retries with backoff and conditional
requests (ETag / Last-Modified); its transport is injectable, so tests use
``httpx.MockTransport`` and never the network. ``DirectoryFetcher`` reads a folder of official
files (the air-gapped path): it recognises each file's format from its content, groups OFAC's
CSV sets, and dates each file from its content, its name or its folder's name.
"""

from __future__ import annotations

import fnmatch
import gzip
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import httpx

from clearance.errors import SourceUnavailable
from clearance.sources.base import RawFile, maybe_gunzip
from clearance.sources.registry import OFAC_PART_NAMES, Sniffed, sniff

_OFAC_EXPORTS = (
    "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports"
)


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """A source's official download: its format and the URL of each part."""

    source: str
    format: str
    urls: dict[str, str]  # part name -> URL
    note: str = ""


OFFICIAL: tuple[SourceSpec, ...] = (
    SourceSpec(
        "us_ofac_sdn",
        "ofac_csv",
        {
            "sdn.csv": f"{_OFAC_EXPORTS}/SDN.CSV",
            "add.csv": f"{_OFAC_EXPORTS}/ADD.CSV",
            "alt.csv": f"{_OFAC_EXPORTS}/ALT.CSV",
            "sdn_comments.csv": f"{_OFAC_EXPORTS}/SDN_COMMENTS.CSV",
        },
    ),
    SourceSpec(
        "us_ofac_cons",
        "ofac_csv",
        {
            "cons_prim.csv": f"{_OFAC_EXPORTS}/CONS_PRIM.CSV",
            "cons_add.csv": f"{_OFAC_EXPORTS}/CONS_ADD.CSV",
            "cons_alt.csv": f"{_OFAC_EXPORTS}/CONS_ALT.CSV",
            "cons_comments.csv": f"{_OFAC_EXPORTS}/CONS_COMMENTS.CSV",
        },
    ),
    SourceSpec(
        "us_trade_csl",
        "csl_csv",
        {
            "consolidated.csv": (
                "https://data.trade.gov/downloadable_consolidated_screening_list/v1/"
                "consolidated.csv"
            )
        },
    ),
    SourceSpec(
        "us_bis_dpl", "bis_dpl", {"dpl.txt": "https://www.bis.doc.gov/dpl/dpl.txt"}
    ),
    SourceSpec(
        "un_sc",
        "un_xml",
        {
            "consolidated.xml": "https://scsanctions.un.org/resources/xml/en/consolidated.xml"
        },
    ),
    SourceSpec(
        "uk_hmt",
        "uk_hmt",
        {
            "conlist.csv": (
                "https://ofsistorage.blob.core.windows.net/publishlive/2022format/ConList.csv"
            )
        },
    ),
)


def official_spec(source: str) -> SourceSpec:
    for spec in OFFICIAL:
        if spec.source == source:
            return spec
    known = ", ".join(s.source for s in OFFICIAL)
    raise SourceUnavailable(source, "-", f"no official download known; known: {known}")


@dataclass(slots=True)
class FetchOutcome:
    raw: RawFile | None  # None when the server said nothing changed (304 on every part)
    validators: dict[str, dict[str, str]]  # url -> {"etag": ..., "last_modified": ...}


ProgressCallback = Callable[[str, int, int | None], None]  # url, bytes so far, total


@dataclass(slots=True)
class HttpFetcher:
    """Downloads official files over HTTP(S)."""

    transport: httpx.BaseTransport | None = None
    timeout: float = 60.0
    retries: int = 3
    backoff: float = 1.0  # seconds; doubled after each failed attempt
    sleep: Callable[[float], None] = time.sleep
    on_progress: ProgressCallback | None = None
    user_agent: str = "clearance (+https://github.com/clearance-screening/clearance)"

    def fetch(
        self, spec: SourceSpec, validators: dict[str, dict[str, str]] | None = None
    ) -> FetchOutcome:
        """All parts of ``spec``; conditional on ``validators`` from the previous fetch."""
        known = validators or {}
        parts: dict[str, bytes] = {}
        new_validators: dict[str, dict[str, str]] = {}
        not_modified = 0
        with httpx.Client(
            transport=self.transport,
            timeout=self.timeout,
            follow_redirects=True,
            headers={"User-Agent": self.user_agent},
        ) as client:
            for part, url in spec.urls.items():
                headers: dict[str, str] = {}
                previous = known.get(url, {})
                if "etag" in previous:
                    headers["If-None-Match"] = previous["etag"]
                if "last_modified" in previous:
                    headers["If-Modified-Since"] = previous["last_modified"]
                status, body, response_headers = self._get(
                    client, spec.source, url, headers
                )
                kept = {
                    k: v
                    for k, v in (
                        ("etag", response_headers.get("etag")),
                        ("last_modified", response_headers.get("last-modified")),
                    )
                    if v is not None
                }
                new_validators[url] = kept or previous
                if status == 304:
                    not_modified += 1
                    continue
                parts[part] = maybe_gunzip(body)
        if not_modified == len(spec.urls):
            return FetchOutcome(None, new_validators)
        if not_modified > 0:
            # a partial set cannot be imported: fetch again unconditionally
            return self.fetch(spec, None)
        raw = RawFile(
            source=spec.source,
            format=spec.format,
            parts=parts,
            origin=", ".join(spec.urls.values()),
            retrieved_at=datetime.now(UTC),
        )
        return FetchOutcome(raw, new_validators)

    def _get(
        self, client: httpx.Client, source: str, url: str, headers: dict[str, str]
    ) -> tuple[int, bytes, httpx.Headers]:
        delay = self.backoff
        last_error = "no attempt made"
        for attempt in range(self.retries + 1):
            if attempt > 0:
                self.sleep(delay)
                delay *= 2
            try:
                with client.stream("GET", url, headers=headers) as response:
                    if response.status_code == 304:
                        return 304, b"", response.headers
                    if response.status_code == 429 or response.status_code >= 500:
                        last_error = f"HTTP {response.status_code}"
                        continue
                    if response.status_code >= 400:
                        raise SourceUnavailable(
                            source, url, f"HTTP {response.status_code}"
                        )
                    total_text = response.headers.get("content-length")
                    total = (
                        int(total_text) if total_text and total_text.isdigit() else None
                    )
                    chunks: list[bytes] = []
                    done = 0
                    for chunk in response.iter_bytes():
                        chunks.append(chunk)
                        done += len(chunk)
                        if self.on_progress is not None:
                            self.on_progress(url, done, total)
                    return response.status_code, b"".join(chunks), response.headers
            except httpx.TransportError as exc:
                last_error = f"{type(exc).__name__}: {exc}"
        raise SourceUnavailable(
            source, url, f"{last_error} after {self.retries + 1} attempts"
        )


# -- folders of official files ----------------------------------------------------------

_YMD = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_YM = re.compile(r"(?<!\d)(\d{4})-(\d{2})(?![\d-])")
_MDY8 = re.compile(r"(?<!\d)(\d{2})(\d{2})(\d{4})(?!\d)")
_STAMP14 = re.compile(
    r"(?<!\d)(\d{4})(\d{2})(\d{2})\d{6}(?!\d)"
)  # OpenSanctions versions


def _ymd(m: re.Match[str]) -> date:
    return date(int(m[1]), int(m[2]), int(m[3]))


def _ym(m: re.Match[str]) -> date:
    return date(int(m[1]), int(m[2]), 1)


def _mdy(m: re.Match[str]) -> date:
    return date(int(m[3]), int(m[1]), int(m[2]))


_NAME_DATES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], date]], ...] = (
    (_YMD, _ymd),
    (_STAMP14, _ymd),
    (_YM, _ym),
    (_MDY8, _mdy),
)


def date_from_name(name: str) -> date | None:
    """A date written in a file or folder name: 2021-08-18, 2022-05 (-> the 1st),
    MMDDYYYY as in State's ``itar_debarred_party_list_01242018.csv``, or an OpenSanctions
    version stamp ``20240527134702-zbn``."""
    for pattern, build in _NAME_DATES:
        for match in pattern.finditer(name):
            try:
                found = build(match)
            except ValueError:
                continue
            if 1990 <= found.year <= 2100:
                return found
    return None


def date_from_path(path: Path, root: Path) -> date | None:
    """The date in the file name, else in the nearest folder name below ``root``."""
    found = date_from_name(path.name)
    if found is not None:
        return found
    for parent in path.parents:
        if parent != root and root not in parent.parents:
            break  # above the scanned folder
        found = date_from_name(parent.name)
        if found is not None:
            return found
    return None


@dataclass(slots=True)
class Candidate:
    """One importable file (or OFAC file set) found in a folder."""

    source: str
    format: str
    paths: dict[str, Path]  # part name -> file
    published: date | None

    @property
    def origin(self) -> str:
        return ", ".join(str(p) for p in self.paths.values())


@dataclass(slots=True)
class Skipped:
    path: str
    reason: str


@dataclass(slots=True)
class Scan:
    candidates: list[Candidate] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


_HEAD = 1 << 16


def _read_head(path: Path) -> bytes:
    if path.suffix.lower() == ".gz":
        with gzip.open(path, "rb") as handle:
            return handle.read(_HEAD)
    with path.open("rb") as handle:
        head = handle.read(_HEAD)
    if head[:4] == b"PK\x03\x04":
        return path.read_bytes()  # zip archives are recognised from their directory
    return head


@dataclass(slots=True)
class DirectoryFetcher:
    """Finds official files under a folder, recognising formats from content."""

    root: Path
    exclude: tuple[
        str, ...
    ] = ()  # glob patterns matched against paths relative to root

    def _excluded(self, path: Path) -> bool:
        rel = path.relative_to(self.root).as_posix()
        return any(
            fnmatch.fnmatch(rel, pattern)
            or fnmatch.fnmatch(rel, pattern.rstrip("/") + "/*")
            for pattern in self.exclude
        )

    def scan(self) -> Scan:
        scan = Scan()
        sniffed: dict[Path, list[tuple[Path, Sniffed]]] = {}
        files = [self.root] if self.root.is_file() else sorted(self.root.rglob("*"))
        base = self.root.parent if self.root.is_file() else self.root
        for path in files:
            if not path.is_file() or path.name.startswith("."):
                continue
            if self.root.is_dir() and self._excluded(path):
                continue
            try:
                found = sniff(path.name, _read_head(path))
            except (OSError, EOFError, gzip.BadGzipFile) as exc:
                scan.skipped.append(Skipped(str(path), f"unreadable: {exc}"))
                continue
            if found is None:
                scan.skipped.append(Skipped(str(path), "not a recognised list format"))
                continue
            sniffed.setdefault(path.parent, []).append((path, found))
        for folder, items in sorted(sniffed.items()):
            self._group(folder, items, base, scan)
        return scan

    def _group(
        self, folder: Path, items: list[tuple[Path, Sniffed]], base: Path, scan: Scan
    ) -> None:
        ofac: dict[str, list[tuple[Path, Sniffed]]] = {}
        for path, found in items:
            if found.format == "ofac_csv":
                ofac.setdefault(found.source, []).append((path, found))
                continue
            part = path.name.lower().removesuffix(".gz")
            scan.candidates.append(
                Candidate(
                    found.source, found.format, {part: path}, date_from_path(path, base)
                )
            )
        for source, members in ofac.items():
            mains = [(p, f) for p, f in members if f.role == "main"]
            others = [(p, f) for p, f in members if f.role != "main"]
            if len(mains) == 0:
                roles = ", ".join(sorted(f.role for _, f in others))
                scan.skipped.append(
                    Skipped(
                        str(folder),
                        f"incomplete OFAC CSV set for {source}: {roles} without the main file",
                    )
                )
                continue
            if len(mains) > 1:
                # a folder of dated main files (history snapshots): one version each
                for path, _ in mains:
                    scan.candidates.append(
                        Candidate(
                            source,
                            "ofac_csv",
                            {OFAC_PART_NAMES[(source, "main")]: path},
                            date_from_path(path, base),
                        )
                    )
                for path, found in others:
                    scan.skipped.append(
                        Skipped(
                            str(path), f"{found.role} file beside several main files"
                        )
                    )
                continue
            parts = {OFAC_PART_NAMES[(source, f.role)]: p for p, f in members}
            main_path = mains[0][0]
            scan.candidates.append(
                Candidate(source, "ofac_csv", parts, date_from_path(main_path, base))
            )

    @staticmethod
    def load(candidate: Candidate) -> RawFile:
        """Read a candidate's bytes (gzip undone)."""
        parts = {
            name: maybe_gunzip(path.read_bytes())
            for name, path in candidate.paths.items()
        }
        return RawFile(
            source=candidate.source,
            format=candidate.format,
            parts=parts,
            origin=candidate.origin,
            retrieved_at=datetime.now(UTC),
            published=candidate.published,
            published_from=None if candidate.published is None else "filename",
        )
