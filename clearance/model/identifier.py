"""Identifiers: a scheme and a value, e.g. (ISIN, CNE100000PM8)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class IdScheme(StrEnum):
    ISIN = "isin"
    TICKER = "ticker"  # equity ticker, e.g. "002415 CH"
    USCC = "uscc"  # PRC Unified Social Credit Code
    IMO = "imo"
    MMSI = "mmsi"
    CALL_SIGN = "call_sign"
    PASSPORT = "passport"
    NATIONAL_ID = "national_id"
    TAX_ID = "tax_id"
    REGISTRATION = "registration"  # company registration / business number
    SWIFT_BIC = "swift_bic"
    LEI = "lei"
    WEBSITE = "website"
    EMAIL = "email"
    PHONE = "phone"
    AIRCRAFT_SERIAL = "aircraft_serial"
    AIRCRAFT_TAIL = "aircraft_tail"
    CRYPTO_WALLET = "crypto_wallet"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Identifier:
    scheme: IdScheme
    value: str
    country: str | None = None  # issuing country, ISO alpha-2 lower case where known
    label: str | None = (
        None  # the list's own wording, e.g. "Cedula No." or "Tax ID No."
    )
    note: str | None = None  # e.g. "issued 2008", "expires 2025"


_NON_ALNUM = re.compile(r"[^0-9A-Za-z]+")


def identifier_key(value: str) -> str:
    """The comparison key of an identifier value: upper case, no spaces or punctuation.

    ``"CNE 100000 PM8"`` and ``"cne100000pm8"`` meet, and so do OFAC's ``603019CN`` and
    ``603019 CN`` (the ticker of Dawning/Sugon is written both ways).
    """
    return _NON_ALNUM.sub("", value).upper()
