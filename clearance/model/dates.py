"""Partial dates as lists give them: a year, a year and month, or a full date.

A listed birth year stays a year: turning "1966" into 1966-01-01 would invent a conflict with a
real 1966-07-04 birthday.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "jan",
            "feb",
            "mar",
            "apr",
            "may",
            "jun",
            "jul",
            "aug",
            "sep",
            "oct",
            "nov",
            "dec",
        ],
        start=1,
    )
}


@dataclass(frozen=True, slots=True, order=True)
class PartialDate:
    """A date known to year, month or day precision, possibly approximate or a year range."""

    year: int
    month: int | None = None
    day: int | None = None
    circa: bool = False
    until_year: int | None = None  # "1962 to 1964": year=1962, until_year=1964

    def __post_init__(self) -> None:
        if not 1000 <= self.year <= 2999:
            raise ValueError(f"year out of range: {self.year}")
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValueError(f"month out of range: {self.month}")
        if self.day is not None:
            if self.month is None:
                raise ValueError("a day needs a month")
            date(self.year, self.month, self.day)  # raises ValueError on 31 Feb

    def iso(self) -> str:
        """ISO 8601 at the precision known: 1966, 1966-07, 1966-07-04, 1962/1964."""
        if self.until_year is not None:
            return f"{self.year:04d}/{self.until_year:04d}"
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
            if self.day is not None:
                text += f"-{self.day:02d}"
        return text

    def __str__(self) -> str:
        return ("c. " if self.circa else "") + self.iso()

    @classmethod
    def from_iso(cls, text: str) -> PartialDate:
        """Inverse of ``str()``: accepts ``[c. ]YYYY[-MM[-DD]]`` and ``YYYY/YYYY``."""
        circa = text.startswith("c. ")
        body = text[3:] if circa else text
        if "/" in body:
            start, end = body.split("/", 1)
            return cls(int(start), circa=circa, until_year=int(end))
        parts = [int(p) for p in body.split("-")]
        return cls(
            parts[0],
            parts[1] if len(parts) > 1 else None,
            parts[2] if len(parts) > 2 else None,
            circa=circa,
        )


_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_DMY = re.compile(r"^(\d{1,2})[ -]([A-Za-z]{3})[A-Za-z]*\.?[ -](\d{4})$")
_MY = re.compile(r"^([A-Za-z]{3})[A-Za-z]*\.?[ -](\d{4})$")
_SLASH = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_RANGE = re.compile(r"^(\d{4})\s*(?:to|-|–)\s*(\d{4})$")


def parse_partial_date(text: str, *, day_first: bool = True) -> PartialDate | None:
    """Parse the date shapes official lists use; None when the text is not a date.

    Shapes: ``1966``, ``1966-07``, ``1966-07-04``, ``04 Jul 1966``, ``Jul 1966``,
    ``circa 1966``/``approximately 1966``, ``1962 to 1964``, ``04/07/1966`` (day first unless
    ``day_first`` is False, as in OFAC XML and BIS files, which write MM/DD/YYYY).
    """
    value = text.strip().rstrip(".").strip()
    circa = False
    lowered = value.lower()
    for prefix in ("circa ", "approximately ", "approx. ", "approx ", "c. ", "ca. "):
        if lowered.startswith(prefix):
            circa, value = True, value[len(prefix) :].strip()
            lowered = value.lower()
            break
    try:
        if m := _ISO.match(value):
            y, mo, d = m.groups()
            return PartialDate(
                int(y), int(mo) if mo else None, int(d) if d else None, circa=circa
            )
        if m := _DMY.match(value):
            month = _MONTHS.get(m.group(2).lower())
            if month is None:
                return None
            return PartialDate(int(m.group(3)), month, int(m.group(1)), circa=circa)
        if m := _MY.match(value):
            month = _MONTHS.get(m.group(1).lower())
            if month is None:
                return None
            return PartialDate(int(m.group(2)), month, circa=circa)
        if m := _SLASH.match(value):
            a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
            day, month = (a, b) if day_first else (b, a)
            return PartialDate(y, month, day, circa=circa)
        if m := _RANGE.match(value):
            start, end = int(m.group(1)), int(m.group(2))
            if end < start:
                return None
            return PartialDate(start, circa=circa, until_year=end)
    except ValueError:
        return None
    return None


def parse_full_date(text: str, *, day_first: bool = True) -> date | None:
    """A listing-style date that must be complete (e.g. ``Listing Date (CMIC) 03 Jun 2021``)."""
    partial = parse_partial_date(text, day_first=day_first)
    if partial is None or partial.day is None or partial.month is None:
        return None
    return date(partial.year, partial.month, partial.day)
