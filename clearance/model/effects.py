"""The catalogue of official lists and what a listing on each legally means, in plain English.

The wording is ours: one or two sentences a compliance officer would recognise. It is a
summary to orient the reader, not legal advice; each list's own rules govern.
"""

from __future__ import annotations

from dataclasses import dataclass

from clearance.model.listing import LegalEffect


@dataclass(frozen=True, slots=True)
class ListInfo:
    code: str
    title: str
    authority: str
    default_effect: LegalEffect
    short: str = ""  # a few words for narrow tables, e.g. "Entity List"


_SHORT = {
    "us_ofac_sdn": "SDN list",
    "us_ofac_cons": "OFAC non-SDN lists",
    "us_bis_el": "Entity List",
    "us_bis_meu": "Military End-User List",
    "us_bis_uvl": "Unverified List",
    "us_bis_dpl": "Denied Persons List",
    "us_state_dtc": "ITAR debarred parties",
    "us_state_isn": "Nonproliferation sanctions",
    "us_trade_csl": "Consolidated Screening List",
    "un_sc": "UN SC consolidated list",
    "eu_fsf": "EU financial sanctions",
    "uk_hmt": "UK HMT ConList",
    "uk_fcdo": "UK Sanctions List",
    "opensanctions": "OpenSanctions",
}

_LISTS: tuple[ListInfo, ...] = (
    ListInfo(
        "us_ofac_sdn",
        "Specially Designated Nationals and Blocked Persons List (SDN)",
        "US Treasury, OFAC",
        LegalEffect.ASSET_FREEZE,
    ),
    ListInfo(
        "us_ofac_cons",
        "OFAC Non-SDN Consolidated Sanctions List (NS-CMIC, SSI, FSE, NS-PLC, NS-MBS, CAPTA)",
        "US Treasury, OFAC",
        LegalEffect.RESTRICTED_DEALINGS,
    ),
    ListInfo(
        "us_bis_el", "Entity List", "US Commerce, BIS", LegalEffect.EXPORT_LICENCE
    ),
    ListInfo(
        "us_bis_meu",
        "Military End-User List (MEU)",
        "US Commerce, BIS",
        LegalEffect.MILITARY_END_USER,
    ),
    ListInfo(
        "us_bis_uvl",
        "Unverified List (UVL)",
        "US Commerce, BIS",
        LegalEffect.END_USE_RED_FLAG,
    ),
    ListInfo(
        "us_bis_dpl",
        "Denied Persons List (DPL)",
        "US Commerce, BIS",
        LegalEffect.EXPORT_DENIAL,
    ),
    ListInfo(
        "us_state_dtc",
        "ITAR Debarred Parties (AECA/ITAR statutory debarment)",
        "US State Department, DDTC",
        LegalEffect.DEBARMENT,
    ),
    ListInfo(
        "us_state_isn",
        "Nonproliferation Sanctions (ISN)",
        "US State Department, ISN",
        LegalEffect.NONPROLIFERATION,
    ),
    ListInfo(
        "us_trade_csl",
        "Consolidated Screening List (CSL)",
        "US International Trade Administration (trade.gov)",
        LegalEffect.SEE_UNDERLYING,
    ),
    ListInfo(
        "un_sc",
        "UN Security Council Consolidated List",
        "United Nations Security Council",
        LegalEffect.ASSET_FREEZE,
    ),
    ListInfo(
        "eu_fsf",
        "EU Consolidated Financial Sanctions List",
        "European Union (European Commission, FISMA)",
        LegalEffect.ASSET_FREEZE,
    ),
    ListInfo(
        "uk_hmt",
        "UK Consolidated List of Financial Sanctions Targets",
        "HM Treasury, OFSI",
        LegalEffect.ASSET_FREEZE,
    ),
    ListInfo(
        "uk_fcdo",
        "UK Sanctions List",
        "UK Foreign, Commonwealth & Development Office",
        LegalEffect.ASSET_FREEZE,
    ),
    ListInfo(
        "opensanctions",
        "OpenSanctions (aggregated data)",
        "OpenSanctions (aggregator, not an authority)",
        LegalEffect.SEE_UNDERLYING,
    ),
)

LISTS: dict[str, ListInfo] = {
    info.code: ListInfo(
        info.code, info.title, info.authority, info.default_effect, _SHORT[info.code]
    )
    for info in _LISTS
}

EFFECT_TEXT: dict[LegalEffect, str] = {
    LegalEffect.ASSET_FREEZE: (
        "Asset freeze: all property and interests in property of the party must be blocked "
        "(frozen), and no funds, goods or services may be made available to it, directly or "
        "indirectly, without a licence. Under OFAC rules this extends to entities it owns "
        "50% or more."
    ),
    LegalEffect.EXPORT_LICENCE: (
        "Export licence required: exporting, re-exporting or transferring (in-country) items "
        "subject to the EAR to this party needs a BIS licence, for the items named in the "
        "entry's licence requirement, reviewed under the entry's policy (often a presumption of "
        "denial). Licence exceptions are generally unavailable."
    ),
    LegalEffect.MILITARY_END_USER: (
        "Military end user: a BIS licence is required to export, re-export or transfer the items "
        "in Supplement No. 2 to Part 744 of the EAR to this party, reviewed under a presumption "
        "of denial."
    ),
    LegalEffect.END_USE_RED_FLAG: (
        "Unverified party (red flag): BIS could not verify this party's bona fides. Exports "
        "need a UVL statement from the party, licence exceptions may not be used, and the "
        "listing is a red flag that calls for extra due diligence."
    ),
    LegalEffect.EXPORT_DENIAL: (
        "Export privileges denied: no one may take part in any export or re-export of items "
        "subject to the EAR with this party, as set out in its denial order."
    ),
    LegalEffect.DEBARMENT: (
        "ITAR debarment: the party may not take part, directly or indirectly, in exports of "
        "defence articles (including technical data) or defence services."
    ),
    LegalEffect.NONPROLIFERATION: (
        "Nonproliferation sanctions: the State Department has imposed measures under US "
        "nonproliferation laws (e.g. INKSNA, EO 13382); depending on the measure they bar US "
        "government procurement, assistance and export licences involving the party."
    ),
    LegalEffect.SECURITIES_BAN: (
        "Securities ban (NS-CMIC): US persons may not purchase or sell publicly traded "
        "securities of this company, or securities derived from or giving exposure to them. "
        "The ban takes effect on the effective date; sales for divestment are allowed until the "
        "divestment date, 365 days after listing."
    ),
    LegalEffect.SECTORAL: (
        "Sectoral sanctions (SSI): under the directive named in the program, US persons may not "
        "deal in new debt or new equity of the party (or other prohibited activities the "
        "directive names); other dealings are allowed and property is not blocked."
    ),
    LegalEffect.CORRESPONDENT_ACCOUNT: (
        "Correspondent account restrictions (CAPTA): US financial institutions may not open or "
        "maintain correspondent or payable-through accounts for this foreign financial "
        "institution, or only under the conditions the listing states."
    ),
    LegalEffect.SANCTIONS_EVASION: (
        "Foreign sanctions evader: US persons may not deal with this party in goods, services or "
        "technology from the United States, though its property is not blocked."
    ),
    LegalEffect.MENU_BASED: (
        "Menu-based sanctions: the specific measures selected for this party (e.g. bans on US "
        "loans, procurement or imports) apply; its property is not necessarily blocked."
    ),
    LegalEffect.RESTRICTED_DEALINGS: (
        "Listed but not blocked: dealings are restricted only as the program states (e.g. "
        "NS-PLC members of the Palestinian Legislative Council); check the program before "
        "dealing."
    ),
    LegalEffect.SEE_UNDERLYING: (
        "Aggregated copy: the legal effect is that of the official list the entry comes from."
    ),
}

# OFAC non-SDN programs decide the effect of a us_ofac_cons listing (checked in this order).
_CONS_PROGRAM_EFFECTS: tuple[tuple[str, LegalEffect], ...] = (
    ("CMIC", LegalEffect.SECURITIES_BAN),
    ("CAPTA", LegalEffect.CORRESPONDENT_ACCOUNT),
    (
        "561",
        LegalEffect.CORRESPONDENT_ACCOUNT,
    ),  # "561-Related"/"561List": CAPTA's predecessor
    ("FSE", LegalEffect.SANCTIONS_EVASION),
    ("MBS", LegalEffect.MENU_BASED),
    ("EO13662", LegalEffect.SECTORAL),
    ("NS-PLC", LegalEffect.RESTRICTED_DEALINGS),
)


def effect_for(source: str, programs: tuple[str, ...] = ()) -> LegalEffect:
    """The legal effect of a listing on ``source`` under ``programs``."""
    if source == "us_ofac_cons":
        for marker, effect in _CONS_PROGRAM_EFFECTS:
            if any(marker in program.upper() for program in programs):
                return effect
    info = LISTS.get(source)
    if info is None:
        return LegalEffect.SEE_UNDERLYING
    return info.default_effect


def describe_effect(effect: LegalEffect) -> str:
    """The plain-English statement of a legal effect."""
    return EFFECT_TEXT[effect]


def list_info(source: str) -> ListInfo:
    """Catalogue entry of an official list; unknown codes get a neutral entry."""
    info = LISTS.get(source)
    if info is None:
        return ListInfo(source, source, "unknown", LegalEffect.SEE_UNDERLYING, source)
    return info
