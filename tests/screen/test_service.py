"""The shared service on a synthetic store: screening, details, changes, thread safety and
the atomic swap of the index after an update."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest

from clearance.errors import InvalidQuery, NotFound
from clearance.match import Query
from clearance.model import Entity, LegalEffect, Relation, Schema
from clearance.screen import Service, UpdateStep
from clearance.store import Store
from tests.factories import make_entity, make_meta

DAWNING = make_entity(
    "us_ofac_cons:32091",
    "DAWNING INFORMATION INDUSTRY CO., LTD",
    aliases=("SUGON",),
    isin="CNE100001TW7",
    programs=("CMIC-EO13959",),
    listed_on=date(2021, 6, 3),
)


def put(home: Path, entities: list[Entity], published: date, source: str) -> None:
    with (
        Store.open(home) as store,
        store.import_version(make_meta(source, published)) as writer,
    ):
        for entity in entities:
            writer.add(entity)
        writer.finish()


def _parties(n: int) -> list[Entity]:
    return [
        make_entity(f"us_ofac_sdn:{i}", f"PARTY NUMBER {i} TRADING") for i in range(n)
    ]


@pytest.fixture
def filled(home: Path) -> Path:
    put(home, [DAWNING], date(2025, 12, 19), "us_ofac_cons")
    put(home, _parties(4), date(2022, 2, 28), "us_ofac_sdn")
    parent = make_entity("us_ofac_sdn:9", "NEW HOLDING COMPANY")
    child = Entity(
        id="us_ofac_sdn:10",
        schema=Schema.ORGANIZATION,
        names=make_entity(name="NEW SHIPPING FIRM").names,
        listings=parent.listings,
        relations=(Relation("linked_to", "NEW HOLDING COMPANY"),),
        sources=("us_ofac_sdn",),
    )
    put(home, [*_parties(3), parent, child], date(2022, 3, 31), "us_ofac_sdn")
    return home


def test_search_finds_dawning_by_alias_with_its_legal_effect(filled: Path) -> None:
    with Service.open(filled) as service:
        hits = service.search(Query(name="Sugon"), limit=3)
        assert hits[0].entity.id == "us_ofac_cons:32091"
        assert hits[0].match
        assert hits[0].entity.listings[0].legal_effect is LegalEffect.SECURITIES_BAN


def test_search_filters_by_dataset_and_schema(filled: Path) -> None:
    with Service.open(filled) as service:
        only_sdn = service.sources_for("us_ofac_sdn")
        assert service.search(Query(name="Sugon"), sources=only_sdn) == []
        persons = service.search(Query(name="Sugon"), schema=Schema.PERSON)
        assert persons == []
        assert service.sources_for("default") is None
        assert "us_ofac_cons" in (service.sources_for("us") or frozenset())
        with pytest.raises(NotFound):
            service.sources_for("nowhere")


def test_search_variants_keep_each_entitys_best_hit(filled: Path) -> None:
    with Service.open(filled) as service:
        hits = service.search_variants(
            [Query(name="Sugon"), Query(identifier="CNE100001TW7")]
        )
        assert [h.entity.id for h in hits].count("us_ofac_cons:32091") == 1
        with pytest.raises(InvalidQuery):
            service.search_variants([])


def test_entity_detail_resolves_relation_by_name_and_history(filled: Path) -> None:
    with Service.open(filled) as service:
        detail = service.entity_detail("us_ofac_sdn:10")
        assert detail.in_view
        assert detail.relations[0].target is not None
        assert detail.relations[0].target.id == "us_ofac_sdn:9"
        assert [e.kind for e in detail.history["us_ofac_sdn"]] == ["listed"]
        assert detail.listings[0].effect_text.startswith("Asset freeze")


def test_entity_detail_of_a_delisted_entity_uses_its_last_record(filled: Path) -> None:
    with Service.open(filled) as service:
        detail = service.entity_detail("us_ofac_sdn:3")
        assert not detail.in_view
        assert detail.entity.caption == "PARTY NUMBER 3 TRADING"
        kinds = [e.kind for e in detail.history["us_ofac_sdn"]]
        assert kinds == ["listed", "delisted"]
        with pytest.raises(NotFound):
            service.entity_detail("us_ofac_sdn:404")


def test_as_of_view_and_screener_see_the_older_version(filled: Path) -> None:
    with Service.open(filled) as service:
        old = service.view(date(2022, 3, 1))
        assert old.versions["us_ofac_sdn"].published == date(2022, 2, 28)
        assert "us_ofac_cons" not in old.versions
        assert service.search(Query(name="Sugon"), as_of=date(2022, 3, 1)) == []
        hits = service.search(
            Query(name="Party Number 3 Trading"), as_of=date(2022, 3, 1)
        )
        assert hits[0].entity.id == "us_ofac_sdn:3"
        with pytest.raises(NotFound):
            service.view(date(2000, 1, 1))


def test_changes_between_two_dates(filled: Path) -> None:
    with Service.open(filled) as service:
        (sdn,) = service.changes("us_ofac_sdn", date(2022, 3, 1), date(2022, 4, 1))
        assert {i for i, _ in sdn.added} == {"us_ofac_sdn:9", "us_ofac_sdn:10"}
        assert [i for i, _ in sdn.removed] == ["us_ofac_sdn:3"]
        default = service.changes("us_ofac_sdn")  # since: the version before
        assert default[0].before == sdn.before
        (cons,) = service.changes("us_ofac_cons", date(2022, 1, 1), None)
        assert cons.before is None and [i for i, _ in cons.added] == [DAWNING.id]
        with pytest.raises(InvalidQuery):
            service.changes(None, date(2022, 4, 1), date(2022, 3, 1))
        with pytest.raises(NotFound):
            service.changes("nowhere")


def test_lists_summary_counts_entities_and_effects(filled: Path) -> None:
    with Service.open(filled) as service:
        summary = {s.source: s for s in service.lists_summary()}
        assert summary["us_ofac_sdn"].versions == 2
        assert summary["us_ofac_sdn"].lists[0].entities == 5
        cons = summary["us_ofac_cons"].lists[0]
        assert cons.effects == {LegalEffect.SECURITIES_BAN: 1}
        old = {s.source for s in service.lists_summary(date(2022, 3, 1))}
        assert old == {"us_ofac_sdn"}


def test_empty_store_is_not_ready_and_says_why(home: Path) -> None:
    with Service.open(home, background=True) as service:
        with pytest.raises(NotFound, match="store is empty"):
            service.screener()
        assert not service.ready


def test_threads_share_the_service(filled: Path) -> None:
    errors: list[BaseException] = []
    with Service.open(filled) as service:

        def work() -> None:
            try:
                for _ in range(20):
                    assert service.search(Query(name="Sugon"))[0].match
                    service.entity_detail("us_ofac_sdn:9")
            except BaseException as exc:  # noqa: BLE001 -- collected for the main thread to assert
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []


def test_update_swaps_the_index_while_readers_keep_the_old_one(filled: Path) -> None:
    with Service.open(filled) as service:
        before = service.screener()
        assert not any(
            h.match for h in service.search(Query(name="Brand New Vessel Owner"))
        )

        def run(store: Store) -> list[UpdateStep]:
            extra = make_entity("us_ofac_sdn:77", "BRAND NEW VESSEL OWNER")
            meta = make_meta("us_ofac_sdn", date(2022, 4, 30))
            with store.import_version(meta) as writer:
                for entity in [*_parties(3), extra]:
                    writer.add(entity)
                writer.finish()
            # the old screener still serves until the swap
            assert service.screener() is before
            return []

        job = service.start_update("synthetic", run)
        for _ in range(200):
            if job.state in ("done", "failed"):
                break
            threading.Event().wait(0.05)
        assert job.state == "done", job.error
        assert job.swapped
        assert service.screener() is not before
        hits = service.search(Query(name="Brand New Vessel Owner"))
        assert hits[0].entity.id == "us_ofac_sdn:77" and hits[0].match
        assert not service.reload()  # up to date


def test_reload_picks_up_an_update_by_another_process(filled: Path) -> None:
    with Service.open(filled) as service:
        key = service.current_key
        extra = make_entity("us_ofac_sdn:78", "ANOTHER LATE ADDITION")
        put(filled, [*_parties(3), extra], date(2022, 5, 31), "us_ofac_sdn")
        assert service.changed()
        assert service.reload(wait=True)
        assert service.current_key != key
