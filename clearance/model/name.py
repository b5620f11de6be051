"""Names of an entity: the primary name, strong and weak aliases, former names."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class NameKind(StrEnum):
    PRIMARY = "primary"  # the list's own main name for the entity
    ALIAS = "alias"  # a strong a.k.a. (OFAC alt.csv, UN "Good" quality)
    WEAK = (
        "weak"  # a weak a.k.a.: too broad to screen on alone (OFAC remarks, UN "Low")
    )
    FORMER = "former"  # f.k.a.: a name the entity used before


@dataclass(frozen=True, slots=True)
class Name:
    value: str
    kind: NameKind = NameKind.PRIMARY
    script: str | None = (
        None  # dominant non-Latin script ("Han", "Cyrillic"); None for Latin
    )
    lang: str | None = None  # ISO 639 code where the list says


def detect_script(text: str) -> str | None:
    """Dominant non-Latin script of a string, by Unicode character names; None if Latin/other."""
    counts: dict[str, int] = {}
    for char in text:
        if not char.isalpha() or ord(char) < 0x250:
            continue
        label = unicodedata.name(char, "").split(" ", 1)[0]
        if label == "CJK":
            label = "HAN"
        counts[label] = counts.get(label, 0) + 1
    if len(counts) == 0:
        return None
    best = max(counts, key=lambda k: counts[k])
    return best.capitalize()


def make_name(
    value: str, kind: NameKind = NameKind.PRIMARY, lang: str | None = None
) -> Name:
    """A ``Name`` with whitespace collapsed and its script detected."""
    text = " ".join(value.split())
    return Name(text, kind, detect_script(text), lang)
