"""OFAC remark items -> typed fields (shared by the CSV and classic-XML parsers).

The remark strings are copied from the official files named in each test.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest

from clearance.model import (
    Fact,
    Identifier,
    IdScheme,
    NameKind,
    PartialDate,
    Relation,
)
from clearance.sources._ofac_remarks import (
    RemarkBuilder,
    parse_birth_date,
    parse_remarks,
)

# us_ofac_consolidated/csv/2025-12-19/cons_prim.csv, ent_num 33113
DAWNING = (
    "Equity Ticker 603019CN; Issuer Name Sugon Information Industry Co., Ltd.; "
    "ISIN CNE100001TW7; Effective Date (CMIC) 14 Feb 2022; Purchase/Sales For "
    "Divestment Date (CMIC) 16 Dec 2022; Listing Date (CMIC) 16 Dec 2021; Unified "
    "Social Credit Code (USCC) 91120000783342508F (China); a.k.a. 'SUGON'."
)
# same file, ent_num 30946
HIKVISION = (
    "Equity Ticker 002415 CN; Issuer Name Hangzhou Hikvision Digital Technology; "
    "ISIN CNE100000PM8; Target Type Public Company; Effective Date (CMIC) 02 Aug 2021; "
    "Purchase/Sales For Divestment Date (CMIC) 03 Jun 2022; Listing Date (CMIC) "
    "03 Jun 2021; Unified Social Credit Code (USCC) 91330000733796106P (China)."
)
# us_ofac_sdn/csv/fixture_2025-05-16_small/sdn.csv, ent_num 10278
LOGAN_MOREY = (
    "DOB 28 Jul 1963; POB Toledo District, Belize; Passport P0017003 (Belize); "
    "SSN 561-77-9011 (United States); a.k.a. 'BURTON BURGESS'."
)
# same file, ent_num 44525
BEL_KAP_STEEL = (
    "Organization Established Date 1998; Tax ID No. 52-2083095 (United States); "
    "Business Registration Number 0582030 (Connecticut) (United States); alt. Business "
    "Registration Number M99000000961 (Florida) (United States); Linked To: OPEN JOINT "
    "STOCK COMPANY BYELORUSSIAN STEEL WORKS MANAGEMENT COMPANY OF HOLDING BYELORUSSIAN "
    "METALLURGICAL COMPANY."
)
# same file, ent_num 29702
LIFSHITS = (
    "DOB 26 Dec 1992; nationality Russia; Email Address mycryptodeals@yandex.ru; alt. "
    "Email Address artemlv@hotmail.com; Gender Male; Digital Currency Address - XBT "
    "12udabs2TkX7NXCSj6KpqXfakjE52ZPLhz"
)
# same file, ent_num 47371 and 48727
NS_LEADER = (
    "Secondary sanctions risk: See Section 11 of Executive Order 14024.; Identification "
    "Number IMO 9339301; MMSI 636013272; Linked To: NS LEADER SHIPPING INCORPORATED."
)
EP_PUS = (
    "Aircraft Manufacture Date 1992; Aircraft Mode S Transponder Code 7342B3; Aircraft "
    "Model Ilyushin IL-76TD; Aircraft Manufacturer's Serial Number (MSN) 1023409321; "
    "Additional Sanctions Information - Subject to Secondary Sanctions; Linked To: "
    "POUYA AIR."
)


def test_dawning_isin_ticker_and_uscc_are_identifiers() -> None:
    fields = parse_remarks(DAWNING)
    assert fields.identifiers == (
        Identifier(IdScheme.TICKER, "603019CN", None, "Equity Ticker"),
        Identifier(IdScheme.ISIN, "CNE100001TW7", None, "ISIN"),
        Identifier(
            IdScheme.USCC,
            "91120000783342508F",
            "cn",
            "Unified Social Credit Code (USCC)",
        ),
    )


def test_dawning_cmic_dates_become_listing_dates() -> None:
    fields = parse_remarks(DAWNING)
    assert fields.listed_on == date(2021, 12, 16)
    assert fields.effective_on == date(2022, 2, 14)
    assert fields.divestment_on == date(2022, 12, 16)


def test_dawning_aka_in_remarks_is_a_weak_alias() -> None:
    fields = parse_remarks(DAWNING)
    assert [(n.value, n.kind) for n in fields.names] == [("SUGON", NameKind.WEAK)]


def test_dawning_issuer_name_is_kept_as_fact_and_marks_a_company() -> None:
    fields = parse_remarks(DAWNING)
    assert fields.facts == (
        Fact("Issuer Name", "Sugon Information Industry Co., Ltd."),
    )
    assert fields.company


def test_hikvision_isin_ticker_with_space_and_target_type() -> None:
    fields = parse_remarks(HIKVISION)
    assert Identifier(IdScheme.ISIN, "CNE100000PM8", None, "ISIN") in fields.identifiers
    assert (
        Identifier(IdScheme.TICKER, "002415 CN", None, "Equity Ticker")
        in fields.identifiers
    )
    assert Fact("Target Type", "Public Company") in fields.facts
    assert fields.listed_on == date(2021, 6, 3)


def test_person_dob_pob_passport_and_ssn() -> None:
    fields = parse_remarks(LOGAN_MOREY)
    assert fields.birth_dates == (PartialDate(1963, 7, 28),)
    assert fields.birth_places == ("Toledo District, Belize",)
    assert fields.identifiers == (
        Identifier(IdScheme.PASSPORT, "P0017003", "bz", "Passport"),
        Identifier(IdScheme.NATIONAL_ID, "561-77-9011", "us", "SSN"),
    )
    assert fields.names[0].value == "BURTON BURGESS"


def test_place_in_parentheses_before_country_becomes_a_note() -> None:
    fields = parse_remarks(BEL_KAP_STEEL)
    assert fields.identifiers[1] == Identifier(
        IdScheme.REGISTRATION,
        "0582030",
        "us",
        "Business Registration Number",
        "Connecticut",
    )
    assert fields.identifiers[2].value == "M99000000961"  # "alt." item, same label


def test_organization_established_date_is_a_fact_and_linked_to_a_relation() -> None:
    fields = parse_remarks(BEL_KAP_STEEL)
    assert fields.facts == (Fact("Organization Established Date", "1998"),)
    assert fields.relations == (
        Relation(
            "linked_to",
            "OPEN JOINT STOCK COMPANY BYELORUSSIAN STEEL WORKS MANAGEMENT COMPANY OF "
            "HOLDING BYELORUSSIAN METALLURGICAL COMPANY",
        ),
    )


def test_nationality_gender_email_and_crypto_address() -> None:
    fields = parse_remarks(LIFSHITS)
    assert fields.nationalities == ("ru",)
    assert fields.gender == "male"
    assert [i.value for i in fields.identifiers if i.scheme is IdScheme.EMAIL] == [
        "mycryptodeals@yandex.ru",
        "artemlv@hotmail.com",
    ]
    assert Identifier(
        IdScheme.CRYPTO_WALLET,
        "12udabs2TkX7NXCSj6KpqXfakjE52ZPLhz",
        None,
        "Digital Currency Address - XBT",
    ) in (fields.identifiers)


def test_identification_number_imo_becomes_an_imo_number() -> None:
    fields = parse_remarks(NS_LEADER)
    assert fields.identifiers == (
        Identifier(IdScheme.IMO, "9339301", None, "Identification Number"),
        Identifier(IdScheme.MMSI, "636013272", None, "MMSI"),
    )
    assert fields.facts == (
        Fact("Secondary sanctions risk", "See Section 11 of Executive Order 14024"),
    )


def test_vessel_registration_identification_imo() -> None:
    # us_ofac_sdn/csv/fixture_2025-05-16_small, ent_num 40716 (IRIS MAKRAN)
    fields = parse_remarks(
        "Vessel Registration Identification IMO 9486910; a.k.a. 'MAKRAN'."
    )
    assert fields.identifiers == (
        Identifier(IdScheme.IMO, "9486910", None, "Vessel Registration Identification"),
    )


def test_aircraft_items() -> None:
    fields = parse_remarks(EP_PUS)
    assert [(i.scheme, i.value) for i in fields.identifiers] == [
        (IdScheme.OTHER, "7342B3"),
        (IdScheme.AIRCRAFT_SERIAL, "1023409321"),
    ]
    assert Fact("Aircraft Model", "Ilyushin IL-76TD") in fields.facts
    assert (
        Fact("Additional Sanctions Information", "Subject to Secondary Sanctions")
        in fields.facts
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("03 May 1938", PartialDate(1938, 5, 3)),
        ("1966", PartialDate(1966)),
        ("Jan 1966", PartialDate(1966, 1)),
        ("circa 1966", PartialDate(1966, circa=True)),
        ("1962 to 1964", PartialDate(1962, until_year=1964)),
        ("01 Jan 1960 to 31 Dec 1962", PartialDate(1960, until_year=1962)),
    ],
)
def test_birth_date_shapes(text: str, expected: PartialDate) -> None:
    assert parse_birth_date(text) == expected


def test_alt_dob_adds_a_second_birth_date() -> None:
    # us_ofac_sdn/csv/2021-07-07, e.g. "DOB 31 Aug 1960; alt. DOB 31 Aug 1953"
    fields = parse_remarks("DOB 31 Aug 1960; alt. DOB 31 Aug 1953; POB Giza, Egypt")
    assert fields.birth_dates == (PartialDate(1960, 8, 31), PartialDate(1953, 8, 31))


def test_passport_issued_and_expires_become_the_note() -> None:
    fields = parse_remarks("Passport 381420754 issued 07 Dec 2011 expires 07 Dec 2016.")
    assert fields.identifiers == (
        Identifier(
            IdScheme.PASSPORT,
            "381420754",
            None,
            "Passport",
            "issued 07 Dec 2011 expires 07 Dec 2016",
        ),
    )


def test_fka_and_nka_become_former_and_alias_names() -> None:
    # SDN 4243 (SAND SWAN) and a synthetic n.k.a.
    fields = parse_remarks("f.k.a. 'ANA I'; n.k.a. 'NEW NAME LTD'.")
    assert [(n.value, n.kind) for n in fields.names] == [
        ("ANA I", NameKind.FORMER),
        ("NEW NAME LTD", NameKind.ALIAS),
    ]


def test_surname_and_given_name_quoted_apart_are_one_alias() -> None:
    # us_ofac_sdn/csv/2021-07-07, ent_num 11177 (SHAHLAI, Abdul Reza)
    fields = parse_remarks("a.k.a. 'YUSIF, Hajji'; a.k.a. 'ABU-AL-KARKH', 'Yusuf'.")
    assert [n.value for n in fields.names] == ["YUSIF, Hajji", "ABU-AL-KARKH, Yusuf"]


def test_synthetic_two_quoted_names_in_one_item_are_two_aliases() -> None:
    fields = parse_remarks("a.k.a. 'NORTH STAR', 'POLARIS'.")
    assert [n.value for n in fields.names] == ["NORTH STAR", "POLARIS"]


def test_closing_linked_to_keeps_the_dot_of_a_dotted_legal_form() -> None:
    # us_ofac_sdn/csv/2021-07-07, ent_num 30421: target is "... BIOMETRICAS C.A."
    fields = parse_remarks(
        "RIF # J407882333 (Venezuela); a.k.a. 'EX-CLE'; Linked To: EX-CLE SOLUCIONES "
        "BIOMETRICAS C.A."
    )
    assert fields.relations == (
        Relation("linked_to", "EX-CLE SOLUCIONES BIOMETRICAS C.A."),
    )
    assert fields.identifiers == (
        Identifier(IdScheme.TAX_ID, "J407882333", "ve", "RIF #"),
    )


def test_classic_xml_linked_to_in_parentheses() -> None:
    # us_ofac_consolidated/xml/2018-04-06, e.g. uid 15987
    fields = parse_remarks("(Linked To: NATIONAL IRANIAN TANKER COMPANY)")
    assert fields.relations == (
        Relation("linked_to", "NATIONAL IRANIAN TANKER COMPANY"),
    )


def test_sanctions_information_items_are_facts() -> None:
    fields = parse_remarks(
        "Executive Order 13662 Directive Determination - Subject to Directive 2; "
        "Executive Order 13846 information: LOANS FROM UNITED STATES FINANCIAL "
        "INSTITUTIONS.  Sec. 5(a)(i); Listing Date (EO 14024 Directive 3): 24 Feb 2022; "
        "CAATSA Section 235 Information: EXPORT SANCTIONS Sec. 235(a)(2)"
    )
    assert fields.facts == (
        Fact("Executive Order 13662 Directive Determination", "Subject to Directive 2"),
        Fact(
            "Executive Order 13846 information",
            "LOANS FROM UNITED STATES FINANCIAL INSTITUTIONS.  Sec. 5(a)(i)",
        ),
        Fact("Listing Date (EO 14024 Directive 3)", "24 Feb 2022"),
        Fact("CAATSA Section 235 Information", "EXPORT SANCTIONS Sec. 235(a)(2)"),
    )
    assert fields.listed_on is None  # only NS-CMIC dates date the listing


def test_unrecognised_item_is_kept_as_a_remark_fact() -> None:
    # us_ofac_sdn/csv/2021-07-07, ent_num 22790 (MADURO MOROS, Nicolas)
    fields = parse_remarks(
        "Cedula No. 5892464 (Venezuela); President of the Bolivarian Republic of Venezuela."
    )
    assert fields.facts == (
        Fact("remark", "President of the Bolivarian Republic of Venezuela"),
    )
    assert fields.identifiers[0].scheme is IdScheme.NATIONAL_ID


def test_truncated_remarks_keep_the_last_item_verbatim() -> None:
    fields = parse_remarks("ISIN CNE100000PM8; Passport 1234", truncated=True)
    assert fields.identifiers == (
        Identifier(IdScheme.ISIN, "CNE100000PM8", None, "ISIN"),
    )
    assert fields.facts == (Fact("remark (truncated)", "Passport 1234"),)


def test_synthetic_bad_cmic_date_is_a_problem_and_a_fact() -> None:
    fields = parse_remarks("Listing Date (CMIC) 31 Feb 2021.")
    assert fields.listed_on is None
    assert fields.facts == (Fact("Listing Date (CMIC)", "31 Feb 2021"),)
    assert len(fields.problems) == 1


def test_labelled_value_with_country_left_in_the_number() -> None:
    # us_ofac_consolidated/xml/2018-04-06, uid 17064: <idNumber>1026303117642 (Russia)
    builder = RemarkBuilder()
    builder.add_labelled("Registration ID", "1026303117642 (Russia)")
    assert builder.build().identifiers == (
        Identifier(IdScheme.REGISTRATION, "1026303117642", "ru", "Registration ID"),
    )


def test_labelled_fact_prefix_and_unknown_label() -> None:
    builder = RemarkBuilder()
    builder.add_labelled(
        "Executive Order 13662 Directive Determination -", "Subject to Directive 1"
    )
    builder.add_labelled("Widget Code", "W-1", "France")
    fields = builder.build()
    assert fields.facts == (
        Fact("Executive Order 13662 Directive Determination", "Subject to Directive 1"),
    )
    assert fields.identifiers == (
        Identifier(IdScheme.OTHER, "W-1", "fr", "Widget Code"),
    )


def test_labelled_cmic_date_of_the_ccmc_era() -> None:
    # format_samples/ita_webservices/ofac_consolidated.xml
    builder = RemarkBuilder()
    builder.add_labelled("Listing Date (CCMC)", "08 Jan 2021")
    builder.add_labelled("Divestment Date (CCMC)", "08 Jan 2022")
    fields = builder.build()
    assert fields.listed_on == date(2021, 1, 8)
    assert fields.divestment_on == date(2022, 1, 8)


@pytest.mark.realdata
def test_every_dob_and_date_in_the_2021_sdn_remarks_parses(shared_data: Path) -> None:
    path = shared_data / "us_ofac_sdn" / "csv" / "2021-07-07" / "sdn.csv"
    text = path.read_bytes().rstrip(b"\x1a").decode("ascii")
    problems = [
        problem
        for row in csv.reader(io.StringIO(text, newline=""))
        for problem in parse_remarks(row[11]).problems
    ]
    assert problems == []
