"""List versions: one retrieved snapshot of a source file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class ListVersion:
    id: int
    source: str  # "us_ofac_sdn"
    published: date  # publication date, from the file, its name, or the user
    published_from: (
        str  # "file", "filename", "user", "retrieved": how `published` was learnt
    )
    retrieved_at: datetime
    sha256: str  # of the raw bytes (all parts, in name order)
    format: str  # "ofac_csv", "csl_csv", ...
    origin: str  # URL or file path the bytes came from
    entity_count: int
    issue_count: int

    @property
    def label(self) -> str:
        return f"{self.source}@{self.published.isoformat()}#{self.id}"
