"""trade.gov CSL parser: the three layouts, real snapshots, and synthetic edge cases."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from clearance.errors import SourceFormatError
from clearance.model import (
    Entity,
    Fact,
    Identifier,
    IdScheme,
    LegalEffect,
    NameKind,
    Schema,
)
from clearance.sources import bis_dpl, csl, state_dtc, state_isn
from clearance.sources.base import ParseReport
from tests.conftest import parse_all, raw_from_bytes, raw_from_files

Parsed = tuple[list[Entity], ParseReport]

HEADER = (
    "_id,source,entity_number,type,programs,name,title,addresses,federal_register_notice,"
    "start_date,end_date,standard_order,license_requirement,license_policy,call_sign,"
    "vessel_type,gross_tonnage,gross_registered_tonnage,vessel_flag,vessel_owner,remarks,"
    "source_list_url,alt_names,citizenships,dates_of_birth,nationalities,places_of_birth,"
    "source_information_url,ids\n"
)
EL = "Entity List (EL) - Bureau of Industry and Security"
CAP = "Capta List (CAP) - Treasury Department"


def _row(**cells: str) -> str:
    names = HEADER.strip().split(",")
    return ",".join(f'"{cells.get(n, "")}"' for n in names) + "\n"


def _parse(text: str) -> tuple[list[Entity], ParseReport]:
    raw = raw_from_bytes("us_trade_csl", "csl_csv", {"consolidated.csv": text.encode()})
    return parse_all(csl.parse, raw)


def _entity(entities: list[Entity], entity_id: str) -> Entity:
    return next(e for e in entities if e.id == entity_id)


def _named(entities: list[Entity], name: str, prefix: str) -> Entity:
    return next(e for e in entities if e.caption == name and e.id.startswith(prefix))


@pytest.fixture(scope="module")
def full_2022(shared_data: Path) -> Parsed:
    path = shared_data / "us_trade_csl/2022-05_full/consolidated.csv.gz"
    return parse_all(csl.parse, raw_from_files("us_trade_csl", "csl_csv", path))


@pytest.fixture(scope="module")
def subset_2023(shared_data: Path) -> Parsed:
    path = shared_data / "us_trade_csl/2023-11-30_subset/csl.csv"
    return parse_all(csl.parse, raw_from_files("us_trade_csl", "csl_csv", path))


@pytest.mark.realdata
def test_real_2022_full_reads_every_row(full_2022: Parsed) -> None:
    entities, report = full_2022
    assert report.records == 14160
    assert report.skipped == 0
    assert report.issues == []
    assert (
        len(entities) == 14014
    )  # rows of one party (DPL addresses, SDN+SSI+CAPTA) merge


@pytest.mark.realdata
def test_real_2022_entity_list_rows_become_one_entity_per_name(
    full_2022: Parsed,
) -> None:
    entities, _ = full_2022
    el = [e for e in entities if e.id.startswith("us_bis_el:")]
    assert (
        len(el) == 1944
    )  # 2,001 rows; a name listed at several addresses is one entity
    assert all(x.via == "us_trade_csl" for e in el for x in e.listings)


@pytest.mark.realdata
def test_real_2022_has_68_cmic_entities_with_securities_ban(full_2022: Parsed) -> None:
    entities, _ = full_2022
    cmic = [x for e in entities for x in e.listings if x.programs == ("CMIC-EO13959",)]
    assert len(cmic) == 68
    assert {x.legal_effect for x in cmic} == {LegalEffect.SECURITIES_BAN}


@pytest.mark.realdata
def test_real_2022_hikvision_entity_list_row(full_2022: Parsed) -> None:
    entities, _ = full_2022
    hik = _named(
        entities, "Hangzhou Hikvision Digital Technology Co., Ltd.", "us_bis_el:"
    )
    listing = hik.listings[0]
    assert hik.id == bis_dpl._derived("us_bis_el", hik.caption)
    assert ("Hikvision", NameKind.ALIAS) in [(n.value, n.kind) for n in hik.names]
    assert listing.listed_on == date(2019, 10, 9)
    assert listing.federal_register == ("84 FR 54002", "85 FR 44159")
    assert listing.licence_requirement == (
        "For all items subject to the EAR.  (See §744.11 of the EAR)"
    )
    assert listing.licence_policy is not None
    assert listing.licence_policy.startswith("Case-by-case review for ECCNs 1A004.c")
    assert listing.legal_effect is LegalEffect.EXPORT_LICENCE
    assert len(hik.addresses) == 3


@pytest.mark.realdata
def test_real_2022_hikvision_cmic_row_keeps_ofac_ent_num(full_2022: Parsed) -> None:
    entities, _ = full_2022
    hik = _entity(entities, "us_ofac_cons:30946")
    listing = hik.listings[0]
    assert hik.caption == "HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO., LTD."
    assert hik.schema is Schema.COMPANY
    assert listing.authority_ref == "30946"
    assert (listing.listed_on, listing.effective_on, listing.divestment_on) == (
        date(2021, 6, 3),
        date(2021, 8, 2),
        date(2022, 6, 3),
    )
    assert {(i.scheme, i.value) for i in hik.identifiers} == {
        (IdScheme.ISIN, "CNE100000PM8"),
        (IdScheme.TICKER, "002415 CN"),
        (IdScheme.USCC, "91330000733796106P"),
    }
    assert Fact("Issuer Name", "Hangzhou Hikvision Digital Technology") in hik.facts


@pytest.mark.realdata
def test_real_2022_sensetime_cmic_row(full_2022: Parsed) -> None:
    entities, _ = full_2022
    sense = _entity(entities, "us_ofac_cons:33114")
    assert sense.caption == "SENSETIME GROUP LIMITED"
    assert sense.listings[0].listed_on == date(2021, 12, 10)
    assert sense.listings[0].divestment_on == date(2022, 12, 10)
    assert Identifier(IdScheme.REGISTRATION, "2162198", "hk", "C.R. No.") in (
        sense.identifiers
    )


@pytest.mark.realdata
def test_real_2022_sdn_row_id_is_the_ofac_ent_num(full_2022: Parsed) -> None:
    entities, _ = full_2022
    person = _entity(entities, "us_ofac_sdn:6905")
    assert person.caption == "HUSAYN, Zayn al-Abidin Muhammad"
    assert person.schema is Schema.PERSON
    assert str(person.birth_dates[0]) == "1971-03-12"
    assert person.listings[0].legal_effect is LegalEffect.ASSET_FREEZE
    assert person.listings[0].programs == ("SDGT",)
    assert person.identifiers[0].scheme is IdScheme.PASSPORT


@pytest.mark.realdata
def test_real_2022_entry_on_ssi_and_capta_is_one_cons_entity_with_two_effects(
    full_2022: Parsed,
) -> None:
    entities, _ = full_2022
    vtb = _entity(entities, "us_ofac_cons:18725")
    assert {x.legal_effect for x in vtb.listings} == {
        LegalEffect.CORRESPONDENT_ACCOUNT,
        LegalEffect.SECTORAL,
    }
    assert _entity(entities, "us_ofac_sdn:18725").caption == "BANCO VTB AFRICA SA"


@pytest.mark.realdata
def test_real_2022_institutes_are_part_of_their_listed_academy(
    full_2022: Parsed,
) -> None:
    entities, _ = full_2022
    academy = _named(entities, "Academy of Military Medical Sciences", "us_bis_el:")
    institute = _named(
        entities,
        "Academy of Military Medical Sciences, Institute of Basic Medicine",
        "us_bis_el:",
    )
    assert [(r.kind, r.target_name, r.target_id) for r in institute.relations] == [
        ("part_of", "Academy of Military Medical Sciences", academy.id)
    ]
    assert academy.relations == ()


@pytest.mark.realdata
def test_real_2022_dpl_rows_get_the_ids_of_bis_own_file(
    full_2022: Parsed, shared_data: Path
) -> None:
    entities, _ = full_2022
    path = shared_data / "us_bis_dpl/2022-09/dpl.txt"
    own, _ = parse_all(bis_dpl.parse, raw_from_files("us_bis_dpl", "bis_dpl", path))
    csl_ash = _named(entities, "I. ASH", "us_bis_dpl:")
    own_ash = next(e for e in own if e.caption == "I. ASH")
    assert csl_ash.id == own_ash.id
    assert [x.listed_on for x in csl_ash.listings] == [
        x.listed_on for x in own_ash.listings
    ]
    assert csl_ash.listings[0].via == "us_trade_csl"


@pytest.mark.realdata
def test_real_2022_dtc_given_surname_row_matches_dtc_surname_given_row(
    full_2022: Parsed, shared_data: Path
) -> None:
    entities, _ = full_2022
    path = shared_data / "us_state_dtc/itar_debarred_party_list_11062019.csv"
    own, _ = parse_all(state_dtc.parse, raw_from_files("us_state_dtc", "dtc", path))
    csl_chung = _named(entities, "Fu Chin Chung", "us_state_dtc:")
    own_chung = next(e for e in own if e.caption == "Chung, Fu Chin")
    assert csl_chung.id == own_chung.id
    assert csl_chung.schema is own_chung.schema is Schema.PERSON


@pytest.mark.realdata
def test_real_2016_isn_rows_match_the_isn_file(shared_data: Path) -> None:
    path = shared_data / "us_trade_csl/2016-02_api_search_subset/search.csv"
    entities, _ = parse_all(csl.parse, raw_from_files("us_trade_csl", "csl", path))
    isn_path = shared_data / "us_state_isn/2016-12/isn.csv"
    own, _ = parse_all(state_isn.parse, raw_from_files("us_state_isn", "isn", isn_path))
    csl_ids = {e.id for e in entities if e.id.startswith("us_state_isn:")}
    assert len(csl_ids) == 8
    assert csl_ids <= {e.id for e in own}


@pytest.mark.realdata
def test_real_2019_layout_without_id_column(shared_data: Path) -> None:
    path = shared_data / "us_trade_csl/2019-12-03_subset/csl.csv"
    entities, report = parse_all(csl.parse, raw_from_files("us_trade_csl", "csl", path))
    assert report.records == 115
    assert report.skipped == 0
    assert len(entities) == 110
    dpl = [e for e in entities if e.id.startswith("us_bis_dpl:")]
    assert len(dpl) == 7  # AL NASER WINGS AIRLINES is on two rows


@pytest.mark.realdata
def test_real_2016_api_layout_with_short_source_codes(shared_data: Path) -> None:
    path = shared_data / "us_trade_csl/2016-02_api_search_subset/search.csv"
    entities, report = parse_all(csl.parse, raw_from_files("us_trade_csl", "csl", path))
    assert report.records == 399
    assert report.skipped == 0
    congo = _entity(entities, "us_ofac_sdn:12454")
    assert congo.caption == "CONGO FUTUR"
    assert ("CONGO FUTURE", NameKind.ALIAS) in [(n.value, n.kind) for n in congo.names]
    assert len([e for e in entities if e.id.startswith("us_ofac_sdn:")]) == 273


@pytest.mark.realdata
def test_real_2023_subset_reports_repeated_header_and_truncated_record(
    subset_2023: Parsed,
) -> None:
    entities, report = subset_2023
    assert report.records - report.skipped == 4226
    assert [(i.where, i.severity) for i in report.issues] == [
        ("csl.csv line 2", "warning"),
        ("csl.csv line 4233", "skipped"),
    ]
    assert "truncated last record" in report.issues[1].reason
    assert len(entities) == 4151


@pytest.mark.realdata
def test_real_2023_type_first_ids_are_read(subset_2023: Parsed) -> None:
    entities, _ = subset_2023
    telecom = _entity(entities, "us_ofac_cons:30882")
    assert (
        Identifier(IdScheme.ISIN, "US1694261033", label="ISIN") in telecom.identifiers
    )
    assert telecom.listings[0].divestment_on == date(2022, 6, 3)


@pytest.mark.realdata
def test_real_fixture_2025_every_list_maps_to_its_code(shared_data: Path) -> None:
    path = shared_data / "us_trade_csl/fixture_2025-06-25_small/consolidated.csv"
    entities, _ = parse_all(csl.parse, raw_from_files("us_trade_csl", "csl", path))
    assert {e.list_code for e in entities} == {
        "us_state_isn",
        "us_bis_uvl",
        "us_bis_meu",
        "us_ofac_cons",
        "us_ofac_sdn",
        "us_state_dtc",
        "us_bis_dpl",
        "us_bis_el",
    }


def test_synthetic_wrong_header_names_the_file_and_missing_columns() -> None:
    with pytest.raises(SourceFormatError) as caught:
        _parse("_id,source,name\n1,SDN,X\n")
    assert caught.value.where == "consolidated.csv line 1"
    assert "entity_number" in caught.value.reason
    assert "license_policy" in caught.value.reason


def test_synthetic_empty_name_is_skipped_and_the_rest_parse() -> None:
    text = HEADER + _row(source=EL, name="") + _row(source=EL, name="Acme Trading Ltd.")
    entities, report = _parse(text)
    assert [e.caption for e in entities] == ["Acme Trading Ltd."]
    assert report.skipped == 1
    assert report.issues[0].where == "consolidated.csv line 2"


def test_synthetic_truncated_quoted_last_record_is_reported() -> None:
    text = HEADER + _row(source=EL, name="Acme Trading Ltd.") + '"9","SDN","9","Indiv'
    entities, report = _parse(text)
    assert len(entities) == 1
    assert report.records == 2
    assert report.issues[0].severity == "skipped"
    assert "truncated last record" in report.issues[0].reason


def test_synthetic_unknown_list_is_skipped() -> None:
    entities, report = _parse(HEADER + _row(source="Some Other List (XYZ) - Nobody"))
    assert entities == []
    assert "unknown list" in report.issues[0].reason


def test_synthetic_capta_row_gets_correspondent_account_effect() -> None:
    text = HEADER + _row(
        _id="42", source=CAP, entity_number="42", type="Entity",
        programs="RUSSIA-EO14024", name="BANK X",
    )  # fmt: skip
    entities, _ = _parse(text)
    assert entities[0].id == "us_ofac_cons:42"
    assert entities[0].listings[0].legal_effect is LegalEffect.CORRESPONDENT_ACCOUNT


def test_synthetic_type_last_ids_with_country_and_imo() -> None:
    ids = "IMO 9187629, Vessel Registration Identification; IR, A123, Passport"
    text = HEADER + _row(
        _id="7", source="Specially Designated Nationals (SDN) - Treasury Department",
        entity_number="7", type="Vessel", name="SHIP", ids=ids,
    )  # fmt: skip
    entities, _ = _parse(text)
    assert [(i.scheme, i.value, i.country) for i in entities[0].identifiers] == [
        (IdScheme.IMO, "9187629", None),
        (IdScheme.PASSPORT, "A123", "ir"),
    ]


def test_synthetic_entity_list_alias_loses_leading_and() -> None:
    text = HEADER + _row(
        source=EL, name="Acme Trading Ltd.", alt_names="Acme; and Acmé"
    )
    entities, _ = _parse(text)
    assert [n.value for n in entities[0].names] == ["Acme Trading Ltd.", "Acme", "Acmé"]
