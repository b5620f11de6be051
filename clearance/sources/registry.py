"""Which formats exist, which parser reads each, and how a file's format is recognised.

Formats are detected from content (root element, header row, column count), with the file name
used only to pick the member role in OFAC's CSV sets and to tell SDN from non-SDN where the
content is identical in shape.
"""

from __future__ import annotations

import csv
import importlib
import io
import json
import re
import zipfile
from dataclasses import dataclass
from typing import cast

from clearance.sources.base import Parser


@dataclass(frozen=True, slots=True)
class FormatSpec:
    name: str
    module: str
    title: str


FORMATS: dict[str, FormatSpec] = {
    spec.name: spec
    for spec in (
        FormatSpec("ofac_csv", "clearance.sources.ofac_csv", "OFAC legacy CSV set"),
        FormatSpec("ofac_xml", "clearance.sources.ofac_xml", "OFAC classic XML"),
        FormatSpec(
            "ofac_enhanced_xml", "clearance.sources.ofac_enhanced", "OFAC Enhanced XML"
        ),
        FormatSpec(
            "csl_csv", "clearance.sources.csl", "trade.gov Consolidated Screening List"
        ),
        FormatSpec(
            "bis_dpl", "clearance.sources.bis_dpl", "BIS Denied Persons List (TSV)"
        ),
        FormatSpec(
            "state_dtc", "clearance.sources.state_dtc", "State DDTC debarred (CSV)"
        ),
        FormatSpec(
            "state_isn", "clearance.sources.state_isn", "State ISN sanctions (CSV)"
        ),
        FormatSpec("un_xml", "clearance.sources.un_xml", "UN SC consolidated XML"),
        FormatSpec("eu_xml", "clearance.sources.eu_xml", "EU financial sanctions XML"),
        FormatSpec(
            "uk_hmt", "clearance.sources.uk_hmt", "UK HMT/OFSI ConList (CSV/XLSX)"
        ),
        FormatSpec(
            "uk_fcdo", "clearance.sources.uk_fcdo", "UK FCDO Sanctions List XML"
        ),
        FormatSpec("ftm", "clearance.sources.ftm", "OpenSanctions FollowTheMoney JSON"),
    )
}


def parser_for(format_name: str) -> Parser:
    """The parse function of a format."""
    spec = FORMATS[format_name]
    module = importlib.import_module(spec.module)
    return cast(Parser, module.parse)


@dataclass(frozen=True, slots=True)
class Sniffed:
    format: str
    source: str
    role: str = "main"  # OFAC CSV sets: "main" | "add" | "alt" | "comments"


_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[\s/>]")
_OFAC_ROLES = {12: "main", 6: "add", 5: "alt", 2: "comments"}


def _xml_root(head: bytes) -> str | None:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text.startswith(b"<"):
        return None
    # skip the XML declaration, comments and processing instructions
    text = re.sub(rb"<\?.*?\?>|<!--.*?-->", b"", text, flags=re.DOTALL)
    match = _ROOT.search(text)
    return None if match is None else match.group(2).decode("ascii", "replace")


def _first_line(head: bytes) -> str:
    text = head.lstrip(b"\xef\xbb\xbf").decode("latin-1")
    return text.split("\n", 1)[0].strip("\r")


def sniff(name: str, head: bytes) -> Sniffed | None:
    """Recognise a file from its name and its first bytes (uncompressed); None if unknown."""
    lower = name.lower()
    if lower.endswith(".gz"):
        lower = lower[:-3]
    root = _xml_root(head)
    if root is not None:
        if root == "sdnList":
            cons = any(k in lower for k in ("cons", "fse", "plc", "ssi", "cmic"))
            return Sniffed("ofac_xml", "us_ofac_cons" if cons else "us_ofac_sdn")
        if root == "nsplc":
            return Sniffed("ofac_xml", "us_ofac_cons")
        if root == "sanctionsData":
            return Sniffed(
                "ofac_enhanced_xml", "us_ofac_sdn" if "sdn" in lower else "us_ofac_cons"
            )
        if root == "CONSOLIDATED_LIST":
            return Sniffed("un_xml", "un_sc")
        if root in ("export", "WHOLE"):
            return Sniffed("eu_xml", "eu_fsf")
        if root == "Designations":
            return Sniffed("uk_fcdo", "uk_fcdo")
        return None
    if head[:4] == b"PK\x03\x04":
        return _sniff_xlsx(head)
    line = _first_line(head)
    if line.startswith("{"):
        try:
            first = json.loads(line)
        except ValueError:
            return None
        if isinstance(first, dict) and ("schema" in first or "op" in first):
            return Sniffed("ftm", "opensanctions")
        return None
    if line.startswith("Last Updated"):
        return Sniffed("uk_hmt", "uk_hmt")
    header = {h.strip().strip('"').lower() for h in re.split(r"[,\t]", line)}
    if "\t" in line and "name" in header and "effective_date" in header:
        return Sniffed("bis_dpl", "us_bis_dpl")
    if {"source", "name", "alt_names"} <= header:
        return Sniffed("csl_csv", "us_trade_csl")
    if {"source list", "programs", "name"} <= header and "entity number" not in header:
        return Sniffed("state_isn", "us_state_isn")
    if any("debarred party" in h or h == "party name" for h in header):
        return Sniffed("state_dtc", "us_state_dtc")
    if re.match(r"^\d+,", line):
        try:
            row = next(csv.reader(io.StringIO(line)))
        except (csv.Error, StopIteration):
            return None
        role = _OFAC_ROLES.get(len(row))
        if role is None:
            return None
        source = "us_ofac_cons" if lower.startswith("cons") else "us_ofac_sdn"
        return Sniffed("ofac_csv", source, role)
    return None


def _sniff_xlsx(head: bytes) -> Sniffed | None:
    # head is the whole file for XLSX (callers pass full bytes for zip archives)
    try:
        with zipfile.ZipFile(io.BytesIO(head)) as archive:
            names = set(archive.namelist())
            if "xl/workbook.xml" not in names:
                return None
            shared = (
                archive.read("xl/sharedStrings.xml")
                if "xl/sharedStrings.xml" in names
                else b""
            )
    except (zipfile.BadZipFile, KeyError):
        return None
    if b"Group ID" in shared or b"Group Type" in shared:
        return Sniffed("uk_hmt", "uk_hmt")
    return None


OFAC_PART_NAMES = {
    ("us_ofac_sdn", "main"): "sdn.csv",
    ("us_ofac_sdn", "add"): "add.csv",
    ("us_ofac_sdn", "alt"): "alt.csv",
    ("us_ofac_sdn", "comments"): "sdn_comments.csv",
    ("us_ofac_cons", "main"): "cons_prim.csv",
    ("us_ofac_cons", "add"): "cons_add.csv",
    ("us_ofac_cons", "alt"): "cons_alt.csv",
    ("us_ofac_cons", "comments"): "cons_comments.csv",
}
