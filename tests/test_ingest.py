"""Ingest on the real official snapshots: history, merging across sources, bad files."""

from __future__ import annotations

import gzip
import random
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from clearance.ingest import update_from_directory
from clearance.store import Store, diff_versions, entity_history

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def sdn_history(
    shared_data: Path,
    tmp_path_factory: pytest.TempPathFactory,
    new_database: Callable[[], str | None],
) -> Iterator[Store]:
    """All 37 monthly SDN snapshots, imported in shuffled order (on each store backend)."""
    home = tmp_path_factory.mktemp("history")
    folder = shared_data / "us_ofac_sdn" / "csv_history"
    files = sorted(folder.glob("sdn_*.csv.gz"))
    random.Random(7).shuffle(files)
    with Store.open(home, new_database()) as store:
        for path in files:
            link = home / "in" / path.name
            link.parent.mkdir(exist_ok=True)
            link.symlink_to(path)
            outcomes, _ = update_from_directory(store, link)
            link.unlink()
            assert [o.status for o in outcomes] == ["added"], outcomes
        yield store


def test_history_versions_are_in_publication_order(sdn_history: Store) -> None:
    versions = sdn_history.versions("us_ofac_sdn")
    assert len(versions) == 37
    assert versions[0].published == date(2021, 8, 18)
    assert versions[-1].published == date(2024, 5, 3)
    assert [v.published for v in versions] == sorted(v.published for v in versions)


def test_russia_designations_of_march_2022_appear_in_the_diff(
    sdn_history: Store,
) -> None:
    before = sdn_history.resolve_version("us_ofac_sdn", "2022-02-28")
    after = sdn_history.resolve_version("us_ofac_sdn", "2022-03-31")
    diff = diff_versions(sdn_history, before, after)
    # counts measured independently in ../shared/data/README.md
    assert (len(diff.added), len(diff.removed)) == (627, 2)
    assert len(diff.changed) == 26
    added = {caption for _, caption in diff.added}
    assert "AKTSIONERNOE OBSHCHESTVO ELEKTROTYAGA" in added
    chemezov = next(c for c in diff.changed if c.entity_id == "us_ofac_sdn:16685")
    listing_change = next(f for f in chemezov.changes if f.field == "listings")
    assert "RUSSIA-EO14024" in listing_change.added[0]


def test_last_two_snapshots_differ_by_eight_removals(sdn_history: Store) -> None:
    before, after = sdn_history.versions("us_ofac_sdn")[-2:]
    diff = diff_versions(sdn_history, before, after)
    assert (len(diff.added), len(diff.removed), len(diff.changed)) == (0, 8, 0)


def test_an_entry_added_in_march_2022_has_that_listing_event(
    sdn_history: Store,
) -> None:
    before = sdn_history.resolve_version("us_ofac_sdn", "2022-02-28")
    after = sdn_history.resolve_version("us_ofac_sdn", "2022-03-31")
    entity_id = diff_versions(sdn_history, before, after).added[0][0]
    events = entity_history(sdn_history, entity_id)["us_ofac_sdn"]
    assert events[0].kind == "listed"
    assert events[0].version.published == date(2022, 3, 31)


def test_point_in_time_view_before_and_after_a_designation(sdn_history: Store) -> None:
    before = sdn_history.resolve_version("us_ofac_sdn", "2022-02-28")
    after = sdn_history.resolve_version("us_ofac_sdn", "2022-03-31")
    entity_id = diff_versions(sdn_history, before, after).added[0][0]
    assert len(sdn_history.as_of(date(2022, 3, 1)).get_many([entity_id])) == 0
    assert len(sdn_history.as_of(date(2022, 4, 1)).get_many([entity_id])) == 1


@pytest.fixture(scope="module")
def seeds(
    shared_data: Path,
    tmp_path_factory: pytest.TempPathFactory,
    new_database: Callable[[], str | None],
) -> Iterator[Store]:
    """The CSL of May 2022, OFAC's non-SDN CSV of Dec 2025 and the SDN set of July 2021."""
    home = tmp_path_factory.mktemp("seeds")
    with Store.open(home, new_database()) as store:
        for folder in (
            shared_data / "us_trade_csl" / "2022-05_full",
            shared_data / "us_ofac_consolidated" / "csv" / "2025-12-19",
            shared_data / "us_ofac_sdn" / "csv" / "2021-07-07",
        ):
            outcomes, _ = update_from_directory(store, folder)
            assert [o.status for o in outcomes] == ["added"]
        yield store


def test_hikvision_has_its_entity_list_and_ns_cmic_listings(seeds: Store) -> None:
    view = seeds.current()
    found = view.resolve("hikvision")
    by_list = {e.list_code: e for e in found}
    el = by_list["us_bis_el"].listings[0]
    assert el.listed_on == date(2019, 10, 9)
    assert el.federal_register == ("84 FR 54002", "85 FR 44159")
    assert el.licence_requirement is not None and "EAR" in el.licence_requirement
    assert (
        el.licence_policy is not None and "presumption of denial" in el.licence_policy
    )
    cmic_entity = by_list["us_ofac_cons"]
    cmic = cmic_entity.listings[0]
    assert cmic.legal_effect.value == "securities_ban"
    assert (cmic.listed_on, cmic.effective_on, cmic.divestment_on) == (
        date(2021, 6, 3),
        date(2021, 8, 2),
        date(2022, 6, 3),
    )
    assert "CNE100000PM8" in {i.value for i in cmic_entity.identifiers}
    assert set(cmic_entity.sources) == {"us_ofac_cons", "us_trade_csl"}
    related = {e.id for e, _ in view.related(by_list["us_bis_el"])}
    assert cmic_entity.id in related


def test_sugon_finds_dawning_information_industry(seeds: Store) -> None:
    view = seeds.current()
    results = view.find("sugon")
    exact = {e.caption: e for e, how in results if how == "exact name"}
    dawning = exact["DAWNING INFORMATION INDUSTRY CO., LTD"]
    assert "CNE100001TW7" in {i.value for i in dawning.identifiers}
    assert "Sugon" in exact  # the Entity List's own entry for Sugon
    assert dawning.id in {e.id for e, _ in view.related(exact["Sugon"])}


def test_sdn_entry_through_ofac_and_the_csl_is_one_entity(seeds: Store) -> None:
    view = seeds.current()
    entity = view.get("us_ofac_sdn:6905")
    assert set(entity.sources) == {"us_ofac_sdn", "us_trade_csl"}
    assert [x.source for x in entity.listings].count("us_ofac_sdn") == 1


def test_truncated_file_fails_and_keeps_the_previous_version(
    shared_data: Path, tmp_path: Path, database_url: str | None
) -> None:
    real = (shared_data / "un_sc" / "2018-06-07" / "consolidated.xml").read_bytes()
    good = tmp_path / "2018-06-07"
    good.mkdir()
    (good / "consolidated.xml").write_bytes(real)
    bad = tmp_path / "2018-06-21"
    bad.mkdir()
    (bad / "consolidated.xml").write_bytes(real[: len(real) // 2])  # a cut-off download
    with Store.open(tmp_path / "home", database_url) as store:
        update_from_directory(store, good)
        (outcome,), _ = update_from_directory(store, bad)
        assert outcome.status == "failed"
        assert "line" in outcome.message
        assert store.current().versions["un_sc"].published == date(2018, 6, 7)
        assert store.audit_events(1)[0]["event"] == "import_failed"


def test_truncated_csv_history_file_is_refused(
    shared_data: Path, tmp_path: Path, database_url: str | None
) -> None:
    folder = shared_data / "us_ofac_sdn" / "csv_history"
    full = gzip.decompress((folder / "sdn_2024-05-02.csv.gz").read_bytes())
    cut = full[: len(full) // 3]
    # whole rows only: the file looks valid but is not complete
    cut = cut[: cut.rindex(b"\r\n") + 2]
    (tmp_path / "sdn_2024-05-02.csv").write_bytes(full)
    later = tmp_path / "later"
    later.mkdir()
    (later / "sdn_2024-05-03.csv").write_bytes(cut)
    with Store.open(tmp_path / "home", database_url) as store:
        update_from_directory(store, tmp_path / "sdn_2024-05-02.csv")
        (outcome,), _ = update_from_directory(store, later)
        assert outcome.status == "refused"
        assert store.current().versions["us_ofac_sdn"].published == date(2024, 5, 2)


def test_opensanctions_deltas_apply_on_the_previous_version(
    shared_data: Path, tmp_path: Path, database_url: str | None
) -> None:
    with Store.open(tmp_path / "home", database_url) as store:
        outcomes, _ = update_from_directory(
            store, shared_data / "opensanctions" / "ftm" / "t2_delta"
        )
        assert [o.status for o in outcomes] == ["added"] * 4
        view = store.current()
        assert len(view.get_many(["opensanctions:Q4365364"])) == 1
        assert len(view.get_many(["opensanctions:NK-500Poltergeist"])) == 0
        events = entity_history(store, "opensanctions:NK-500Poltergeist")[
            "opensanctions"
        ]
        assert [e.kind for e in events] == ["listed", "delisted"]
