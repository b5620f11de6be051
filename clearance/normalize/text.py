"""Text normalisation shared by every comparison key."""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

NORMALIZER_VERSION = 8  # bump whenever any key changes; forces an index rebuild

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def normalize_text(text: str) -> str:
    """Casefolded, latinised text with punctuation as single spaces.

    Total on any Unicode string and idempotent: ``normalize_text(normalize_text(s)) ==
    normalize_text(s)``.
    """
    text = unicodedata.normalize("NFKC", text)
    text = anyascii(text)
    text = text.casefold()
    text = _NON_WORD.sub(" ", text).replace("_", " ")
    return " ".join(text.split())
