"""Hostile XML (external entities, entity expansion) is refused quickly, never expanded."""

from __future__ import annotations

import time

import pytest

from clearance.errors import SourceFormatError
from clearance.sources import eu_xml, uk_fcdo, un_xml
from clearance.sources.base import Parser, ParseReport
from clearance.sources.xml import parse_xml
from tests.conftest import parse_all, raw_from_bytes

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE CONSOLIDATED_LIST [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<CONSOLIDATED_LIST dateGenerated="2020-01-01T00:00:00Z"><INDIVIDUALS><INDIVIDUAL>
<DATAID>1</DATAID><FIRST_NAME>&xxe;</FIRST_NAME></INDIVIDUAL></INDIVIDUALS>
</CONSOLIDATED_LIST>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
<!ENTITY lol "lol">
<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID>
<FIRST_NAME>&lol9;</FIRST_NAME></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>"""

# an entity declared after a long harmless prefix, past the prolog scan window
LATE_ENTITY = (
    b"<CONSOLIDATED_LIST>"
    + b"<!-- padding -->" * 10_000
    + b'<!ENTITY x "y"></CONSOLIDATED_LIST>'
)

HOSTILE = pytest.mark.parametrize(
    "data",
    [XXE, BILLION_LAUGHS, LATE_ENTITY],
    ids=["xxe", "billion_laughs", "late_entity"],
)
LIMIT_SECONDS = 1.0  # refusal is a scan, not a parse: far below this on any machine


@HOSTILE
def test_parse_xml_refuses_quickly(data: bytes) -> None:
    started = time.perf_counter()
    with pytest.raises(SourceFormatError, match="DTD or entity"):
        parse_xml(data, "un_sc", "consolidated.xml")
    assert time.perf_counter() - started < LIMIT_SECONDS


@HOSTILE
@pytest.mark.parametrize("parser", [un_xml.parse, eu_xml.parse, uk_fcdo.parse])
def test_parsers_refuse_quickly(data: bytes, parser: Parser) -> None:
    raw = raw_from_bytes("un_sc", "un_xml", {"consolidated.xml": data})
    started = time.perf_counter()
    with pytest.raises(SourceFormatError) as caught:
        parse_all(parser, raw)
    assert time.perf_counter() - started < LIMIT_SECONDS
    assert caught.value.where == "consolidated.xml"
    assert "passwd" not in str(caught.value)


def test_xxe_content_never_reaches_an_entity() -> None:
    raw = raw_from_bytes("un_sc", "un_xml", {"consolidated.xml": XXE})
    entities: list[object] = []
    report = ParseReport("un_sc")
    with pytest.raises(SourceFormatError):
        entities.extend(un_xml.parse(raw, report))
    assert entities == []
    assert report.records == 0
