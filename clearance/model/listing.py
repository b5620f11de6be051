"""Listings: an entity's presence on an official list or program, with dates and legal effect."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class LegalEffect(StrEnum):
    ASSET_FREEZE = (
        "asset_freeze"  # SDN, UN, EU, UK: property blocked, dealings prohibited
    )
    EXPORT_LICENCE = (
        "export_licence"  # BIS Entity List: licence needed, review policy per entry
    )
    MILITARY_END_USER = (
        "military_end_user"  # BIS MEU: licence for Supp. 2 to Part 744 items
    )
    END_USE_RED_FLAG = "end_use_red_flag"  # BIS Unverified List
    EXPORT_DENIAL = "export_denial"  # BIS Denied Persons: export privileges denied
    DEBARMENT = "debarment"  # State DDTC: ITAR/AECA debarment
    NONPROLIFERATION = "nonproliferation"  # State ISN nonproliferation sanctions
    SECURITIES_BAN = (
        "securities_ban"  # OFAC NS-CMIC: no purchase of securities, divestment
    )
    SECTORAL = "sectoral"  # OFAC SSI directives: no new debt/equity
    CORRESPONDENT_ACCOUNT = "correspondent_account"  # OFAC CAPTA
    SANCTIONS_EVASION = "sanctions_evasion"  # OFAC FSE
    MENU_BASED = "menu_based"  # OFAC NS-MBS
    RESTRICTED_DEALINGS = (
        "restricted_dealings"  # OFAC NS-PLC and other non-blocking listings
    )
    SEE_UNDERLYING = (
        "see_underlying"  # an aggregator's copy: the underlying list decides
    )


@dataclass(frozen=True, slots=True)
class Listing:
    source: str  # the official list, e.g. "us_ofac_sdn", "us_bis_el", "us_ofac_cons"
    authority: str  # "US Treasury, OFAC"
    legal_effect: LegalEffect
    authority_ref: str | None = (
        None  # the authority's own entry ID, e.g. an OFAC ent_num
    )
    programs: tuple[str, ...] = ()  # e.g. ("CMIC-EO13959",) or ("SDGT", "IRGC")
    listed_on: date | None = (
        None  # date the listing was published / took effect at listing
    )
    effective_on: date | None = None  # NS-CMIC "Effective Date": purchase ban starts
    divestment_on: date | None = None  # NS-CMIC "Purchase/Sales For Divestment Date"
    delisted_on: date | None = None
    federal_register: tuple[str, ...] = ()  # e.g. ("84 FR 54002", "85 FR 44159")
    licence_requirement: str | None = (
        None  # verbatim, e.g. "For all items subject to the EAR"
    )
    licence_policy: str | None = (
        None  # verbatim review policy, e.g. "Presumption of denial."
    )
    list_url: str | None = None
    via: str | None = None  # the source file it arrived through when not the list's own
    #                         file, e.g. "us_trade_csl" for the CSL's copy of the SDN
