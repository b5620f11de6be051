"""Queries, evidence and hits: what screening takes and gives."""

from __future__ import annotations

from dataclasses import dataclass

from clearance.model import Entity, PartialDate, Schema


@dataclass(frozen=True, slots=True)
class Query:
    name: str = ""
    schema: Schema | None = None
    country: str | None = None  # ISO alpha-2, lower case
    birth_date: PartialDate | None = None
    identifier: str | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    feature: str  # "name_coverage"
    score: float  # this feature's contribution to the log-odds of a match
    query_value: str | None  # "Hikvision"
    list_value: str | None  # "Hangzhou Hikvision Digital Technology Co., Ltd."
    detail: str | None  # "1 of 1 query words found; hikvision=hikvision"


@dataclass(frozen=True, slots=True)
class Hit:
    entity: Entity
    score: float  # 0..1, calibrated probability that the entity is the one queried
    match: bool  # the alert decision: score >= threshold
    matched_name: str | None
    evidence: tuple[Evidence, ...]
