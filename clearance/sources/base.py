"""What every parser takes and gives: raw bytes with provenance in, entities and a report out."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from clearance.errors import SourceFormatError
from clearance.model import Entity, content_hash
from clearance.normalize import normalize_text


@dataclass(frozen=True, slots=True)
class RawFile:
    """One retrieved source file (or file set, e.g. OFAC's four CSVs) with its provenance.

    ``parts`` maps the member's base name (lower case, without ``.gz``) to its uncompressed
    bytes, e.g. ``{"sdn.csv": ..., "add.csv": ..., "alt.csv": ...}``.
    """

    source: str  # "us_ofac_sdn"
    format: str  # "ofac_csv"
    parts: dict[str, bytes]
    origin: str  # URL or path
    retrieved_at: datetime
    published: date | None = (
        None  # when known from outside the content (user, file name)
    )
    published_from: str | None = None  # "user" | "filename"

    def part(self, name: str) -> bytes:
        data = self.parts.get(name)
        if data is None:
            raise SourceFormatError(self.source, self.origin, f"missing member {name}")
        return data

    @property
    def sha256(self) -> str:
        digest = hashlib.sha256()
        for name in sorted(self.parts):
            digest.update(name.encode())
            digest.update(b"\0")
            digest.update(self.parts[name])
        return digest.hexdigest()

    @property
    def size(self) -> int:
        return sum(len(v) for v in self.parts.values())


def maybe_gunzip(data: bytes) -> bytes:
    """Uncompressed bytes of ``data``, which may be gzipped."""
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    return data


@dataclass(frozen=True, slots=True)
class Issue:
    where: str  # "sdn.csv line 1234" or "INDIVIDUAL DATAID=6908555"
    reason: str
    severity: str = "warning"  # "warning": record kept/skipped, import goes on


@dataclass(slots=True)
class ParseReport:
    """Problems found while parsing, and facts the file states about itself."""

    source: str
    issues: list[Issue] = field(default_factory=list)
    published: date | None = None  # publication date stated inside the file
    records: int = 0  # records read (rows, elements), before skipping bad ones
    skipped: int = 0  # records dropped because they were unusable
    declared_count: int | None = None  # a count the file states (OFAC Record_Count)

    def warn(self, where: str, reason: str) -> None:
        self.issues.append(Issue(where, reason))

    def skip(self, where: str, reason: str) -> None:
        self.skipped += 1
        self.issues.append(Issue(where, reason, "skipped"))


Parser = Callable[[RawFile, ParseReport], Iterator[Entity]]


def derived_id(list_code: str, *parts: str) -> str:
    """A deterministic content-derived entity id for lists that publish no entry ID.

    Built from the list code and normalised key parts (typically the primary name, plus a
    disambiguator such as the first address when one file lists the same name twice), so the
    same entry gets the same id in every version and through every source file that carries it
    (e.g. BIS's own DPL file and the CSL's copy of it).
    """
    key = "|".join(normalize_text(p) for p in parts)
    return f"{list_code}:{content_hash(key)[:16]}"
