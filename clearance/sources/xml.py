"""The one XML parser Clearance uses: lxml, hardened.

No DTD is loaded, no entity is expanded, nothing is fetched from the network, and any document
that declares a DTD or an entity is refused outright, so an XXE or billion-laughs file yields a
``SourceFormatError`` instead of a leak or a hang. Official sanctions XML never declares one.
"""

from __future__ import annotations

import re

from lxml import etree

from clearance.errors import SourceFormatError

_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_PROLOG_SCAN = 1 << 16  # a DOCTYPE must come before the root element, i.e. early


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=True,
        recover=False,
    )


def parse_xml(data: bytes, source: str, where: str) -> etree._Element:
    """Parse ``data`` into its root element, or raise ``SourceFormatError``.

    Args:
        data: the document's bytes (any encoding its XML declaration names).
        source: source name, for the error.
        where: file name or URL, for the error.
    """
    head = data[:_PROLOG_SCAN]
    if _DOCTYPE.search(head) is not None or b"<!ENTITY" in data:
        raise SourceFormatError(source, where, "XML declares a DTD or entity; refused")
    if len(data.strip()) == 0:
        raise SourceFormatError(source, where, "empty file")
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno is not None else "?"
        raise SourceFormatError(
            source, f"{where} line {line}", f"malformed XML: {exc.msg}"
        ) from exc
    return root


def local(tag: object) -> str:
    """Tag name without its namespace (``{ns}entity`` -> ``entity``)."""
    text = str(tag)
    return text.rsplit("}", 1)[-1]


def child_text(element: etree._Element, name: str) -> str | None:
    """Stripped text of the first direct child named ``name``; None if absent or empty."""
    for child in element:
        if local(child.tag) == name:
            text = (child.text or "").strip()
            return text if len(text) > 0 else None
    return None


def children(element: etree._Element, name: str) -> list[etree._Element]:
    """Direct children whose local name is ``name``."""
    return [c for c in element if local(c.tag) == name]


def descendants(element: etree._Element, name: str) -> list[etree._Element]:
    """All descendants whose local name is ``name``, in document order."""
    return [c for c in element.iter() if local(c.tag) == name]
