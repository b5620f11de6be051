"""Clearance's few exceptions, named for what the caller does next.

    ClearanceError            root; adapters catch this one
    ├── SourceUnavailable     a fetch failed: retry later
    ├── SourceFormatError     a file is not what it claims: abort that import, keep the
    │                         previous version
    ├── ImportRefused         a valid file was refused by a safety rule (e.g. it would
    │                         delist too many entities)
    ├── InvalidQuery          the user gave bad input: fix it and ask again
    ├── NotFound              no such entity, source or list version
    └── StaleIndex            an index was built by another normaliser: rebuild it

A bad record inside a good file is not an exception: it goes into ``ParseReport.issues``.
"""

from __future__ import annotations


class ClearanceError(Exception):
    """Root of every error Clearance raises on purpose."""


class SourceUnavailable(ClearanceError):
    def __init__(self, source: str, url: str, reason: str) -> None:
        super().__init__(f"{source}: cannot fetch {url}: {reason}")
        self.source, self.url, self.reason = source, url, reason


class SourceFormatError(ClearanceError):
    def __init__(self, source: str, where: str, reason: str) -> None:
        super().__init__(f"{source} at {where}: {reason}")
        self.source, self.where, self.reason = source, where, reason


class ImportRefused(ClearanceError):
    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: import refused: {reason}")
        self.source, self.reason = source, reason


class InvalidQuery(ClearanceError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


class NotFound(ClearanceError):
    def __init__(self, kind: str, key: str, hint: str | None = None) -> None:
        message = f"no {kind} {key!r}"
        if hint is not None:
            message = f"{message} ({hint})"
        super().__init__(message)
        self.kind, self.key, self.hint = kind, key, hint


class StaleIndex(ClearanceError):
    def __init__(self, built_with: int, expected: int) -> None:
        super().__init__(
            f"index built with normaliser version {built_with}, this code needs {expected}"
        )
        self.built_with, self.expected = built_with, expected
