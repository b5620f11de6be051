"""Official list formats: pure parsers (bytes in, entities out) and the one fetch module."""

from clearance.sources.base import (
    Issue,
    Parser,
    ParseReport,
    RawFile,
    derived_id,
    maybe_gunzip,
)
from clearance.sources.fetch import (
    OFFICIAL,
    Candidate,
    DirectoryFetcher,
    FetchOutcome,
    HttpFetcher,
    Scan,
    Skipped,
    SourceSpec,
    date_from_name,
    official_spec,
)
from clearance.sources.ftm import parse_delta as parse_ftm_delta
from clearance.sources.ftm_entity import entity_from_ftm, ftm_identifiers, ftm_schema
from clearance.sources.registry import FORMATS, FormatSpec, Sniffed, parser_for, sniff

__all__ = [
    "FORMATS",
    "OFFICIAL",
    "Candidate",
    "DirectoryFetcher",
    "FetchOutcome",
    "FormatSpec",
    "HttpFetcher",
    "Issue",
    "ParseReport",
    "Parser",
    "RawFile",
    "Scan",
    "Skipped",
    "Sniffed",
    "SourceSpec",
    "date_from_name",
    "derived_id",
    "entity_from_ftm",
    "ftm_identifiers",
    "ftm_schema",
    "maybe_gunzip",
    "official_spec",
    "parse_ftm_delta",
    "parser_for",
    "sniff",
]
