"""The versioned store on synthetic versions: atomic, append-only, point-in-time."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

import pytest

from clearance.errors import InvalidQuery, NotFound
from clearance.model import Entity
from clearance.store import Store, diff_versions, entity_history
from tests.factories import make_entity, make_meta


@pytest.fixture
def store(tmp_path: Path, database_url: str | None) -> Iterator[Store]:
    with Store.open(tmp_path / "home", database_url) as opened:
        yield opened


def put(
    store: Store,
    entities: Sequence[Entity],
    published: date,
    *,
    source: str = "us_ofac_sdn",
    force: bool = False,
    sha256: str | None = None,
    declared: int | None = None,
) -> str:
    with store.import_version(
        make_meta(source, published, sha256, declared), force=force
    ) as writer:
        for entity in entities:
            writer.add(entity)
        return writer.finish().status


def five(prefix: str = "us_ofac_sdn") -> list[Entity]:
    return [make_entity(f"{prefix}:{i}", f"PARTY NUMBER {i}") for i in range(1, 6)]


def test_import_adds_a_version_that_the_current_view_reads(store: Store) -> None:
    assert put(store, five(), date(2022, 1, 31)) == "added"
    view = store.current()
    assert view.get("us_ofac_sdn:3").caption == "PARTY NUMBER 3"
    assert view.versions["us_ofac_sdn"].entity_count == 5


def test_entity_ids_come_in_id_order_whatever_the_import_order(store: Store) -> None:
    # the screening index is built in this order: ties between candidates are broken
    # by index position, so both backends must give the same order
    ids = [f"us_ofac_sdn:{n}" for n in (30, 4, 200, 1, 17, 9)]
    put(store, [make_entity(i, f"PARTY {i}") for i in ids], date(2022, 1, 31))
    assert list(store.current().entity_ids()) == sorted(ids)


def test_identical_file_adds_no_version(store: Store) -> None:
    put(store, five(), date(2022, 1, 31), sha256="same")
    assert put(store, five(), date(2022, 2, 28), sha256="same") == "unchanged"
    assert len(store.versions("us_ofac_sdn")) == 1


def test_versions_are_ordered_by_publication_not_import_order(store: Store) -> None:
    put(store, five(), date(2022, 3, 31))
    put(store, five()[:4], date(2022, 1, 31))
    published = [v.published for v in store.versions("us_ofac_sdn")]
    assert published == [date(2022, 1, 31), date(2022, 3, 31)]
    assert store.current().versions["us_ofac_sdn"].published == date(2022, 3, 31)


def test_as_of_answers_with_the_version_current_on_that_date(store: Store) -> None:
    put(store, five()[:4], date(2022, 1, 31))
    put(store, five(), date(2022, 3, 31))
    with pytest.raises(NotFound):
        store.as_of(date(2022, 2, 15)).get("us_ofac_sdn:5")
    assert store.as_of(date(2022, 4, 1)).get("us_ofac_sdn:5").id == "us_ofac_sdn:5"
    assert store.as_of(date(2021, 1, 1)).is_empty


def test_losing_more_than_a_fifth_of_entities_is_refused(store: Store) -> None:
    put(store, five(), date(2022, 1, 31))
    assert put(store, five()[:3], date(2022, 2, 28)) == "refused"
    assert store.current().versions["us_ofac_sdn"].published == date(2022, 1, 31)
    assert store.audit_events(1)[0]["event"] == "import_refused"


def test_force_imports_a_refused_version(store: Store) -> None:
    put(store, five(), date(2022, 1, 31))
    assert put(store, five()[:3], date(2022, 2, 28), force=True) == "added"


def test_file_holding_far_fewer_entries_than_it_declares_is_refused(
    store: Store,
) -> None:
    assert put(store, five(), date(2022, 1, 31), declared=5704) == "refused"


def test_error_inside_the_writer_writes_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.import_version(make_meta()) as writer:
        writer.add(make_entity())
        raise RuntimeError("parser blew up")
    assert store.versions() == []


class _Abandon(Exception):
    pass


def test_readers_see_the_previous_version_while_an_import_is_open(
    store: Store, tmp_path: Path, database_url: str | None
) -> None:
    put(store, five(), date(2022, 1, 31))
    with pytest.raises(_Abandon), store._db.transaction():
        store._db.execute(
            "INSERT INTO versions (source, published, published_from, retrieved_at, sha256,"
            " format, origin, entity_count, issue_count, issues) VALUES ('us_ofac_sdn',"
            " '2022-02-28', 'user', '2026-01-01', 'x', 'f', 'o', 0, 0, '[]')"
        )
        assert len(store.versions("us_ofac_sdn")) == 2  # the writer sees its own
        with Store.open(tmp_path / "home", database_url) as reader:
            current = reader.current().versions["us_ofac_sdn"]
            assert current.published == date(2022, 1, 31)
            assert reader.current().get("us_ofac_sdn:3").caption == "PARTY NUMBER 3"
        raise _Abandon
    assert len(store.versions("us_ofac_sdn")) == 1  # rolled back


def test_readers_see_the_new_version_once_it_is_committed(
    store: Store, tmp_path: Path, database_url: str | None
) -> None:
    put(store, five(), date(2022, 1, 31))
    with Store.open(tmp_path / "home", database_url) as reader:
        assert reader.current().versions["us_ofac_sdn"].entity_count == 5
        put(store, [*five(), make_entity("us_ofac_sdn:6", "LATE")], date(2022, 2, 28))
        assert reader.current().versions["us_ofac_sdn"].entity_count == 6
        assert reader.current().get("us_ofac_sdn:6").caption == "LATE"


def test_a_second_writer_waits_for_the_first(
    store: Store, tmp_path: Path, database_url: str | None
) -> None:
    put(store, five(), date(2022, 1, 31))
    outcome: list[str] = []

    def second_writer() -> None:
        with Store.open(tmp_path / "home", database_url) as other:
            outcome.append(put(other, five(), date(2022, 2, 28), sha256="b"))

    with store._db.transaction():
        thread = threading.Thread(target=second_writer)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive()  # blocked on the write lock, not failed
    thread.join(30)
    assert outcome == ["added"]


def test_diff_reports_added_removed_and_changed_fields(store: Store) -> None:
    before = five()
    after = [
        *before[1:4],
        make_entity("us_ofac_sdn:5", "PARTY NUMBER 5", aliases=("P5",)),
        make_entity("us_ofac_sdn:6", "NEW PARTY"),
    ]
    put(store, before, date(2022, 1, 31))
    put(store, after, date(2022, 2, 28))
    first, second = store.versions("us_ofac_sdn")
    diff = diff_versions(store, first, second)
    assert [eid for eid, _ in diff.added] == ["us_ofac_sdn:6"]
    assert [eid for eid, _ in diff.removed] == ["us_ofac_sdn:1"]
    assert [c.entity_id for c in diff.changed] == ["us_ofac_sdn:5"]
    assert diff.changed[0].changes[0].field == "names"
    assert "P5" in diff.changed[0].changes[0].added[0]


def test_history_shows_listed_changed_delisted_and_relisted(store: Store) -> None:
    base = five()
    put(store, base, date(2022, 1, 31))
    put(
        store,
        [*base[:4], make_entity("us_ofac_sdn:5", "PARTY NUMBER 5", remarks="DOB 1966")],
        date(2022, 2, 28),
    )
    put(store, [*base[:4], make_entity("us_ofac_sdn:9", "OTHER")], date(2022, 3, 31))
    put(store, base, date(2022, 4, 29))
    events = entity_history(store, "us_ofac_sdn:5")["us_ofac_sdn"]
    assert [e.kind for e in events] == ["listed", "changed", "delisted", "relisted"]
    assert events[1].changes[0].field == "remarks"
    assert events[2].version.published == date(2022, 3, 31)


def test_same_entry_from_two_source_files_is_one_entity_with_both_provenances(
    store: Store,
) -> None:
    put(store, five(), date(2022, 1, 31))
    csl_copy = make_entity(
        "us_ofac_sdn:2", "PARTY NUMBER 2", aliases=("PN2",), source="us_trade_csl"
    )
    put(store, [csl_copy], date(2022, 5, 1), source="us_trade_csl")
    found = store.current().find("party number 2")
    assert [e.id for e, _ in found] == ["us_ofac_sdn:2"]
    entity = found[0][0]
    assert entity.sources == ("us_ofac_sdn", "us_trade_csl")
    assert len(entity.listings) == 1
    assert {n.value for n in entity.names} == {"PARTY NUMBER 2", "PN2"}


def test_entries_on_two_lists_stay_separate_but_are_related_by_identifier(
    store: Store,
) -> None:
    el = make_entity(
        "us_bis_el:abc",
        "Hangzhou Example Technology Co., Ltd.",
        isin="CNE000000001",
        programs=(),
    )
    cmic = make_entity(
        "us_ofac_cons:77",
        "EXAMPLE TECH CO",
        isin="CNE000000001",
        programs=("CMIC-EO13959",),
    )
    put(store, [el], date(2022, 5, 1), source="us_bis_el")
    put(store, [cmic], date(2022, 5, 1), source="us_ofac_cons")
    view = store.current()
    related = view.related(view.get("us_bis_el:abc"))
    assert [(e.id, why) for e, why in related] == [
        ("us_ofac_cons:77", "same isin CNE000000001")
    ]


def test_find_by_exact_name_word_prefix_and_identifier(store: Store) -> None:
    put(
        store,
        [
            make_entity(
                "us_ofac_cons:1",
                "DAWNING INFORMATION INDUSTRY CO., LTD",
                aliases=("SUGON",),
                isin="CNE100001TW7",
            )
        ],
        date(2025, 12, 19),
        source="us_ofac_cons",
    )
    view = store.current()
    assert view.find("Sugon")[0][1] == "exact name"
    assert view.find("dawning info")[0][1] == "name prefix"
    assert view.find("industry dawning")[0][1] == "all words"
    assert view.find("cne 100001 tw7")[0][1] == "identifier"
    assert view.find("nothing like it") == []


def test_find_rejects_empty_text(store: Store) -> None:
    put(store, five(), date(2022, 1, 31))
    with pytest.raises(InvalidQuery):
        store.current().find(" ,, ")


def test_resolve_by_name_suggests_when_not_exact(store: Store) -> None:
    put(store, five(), date(2022, 1, 31))
    with pytest.raises(NotFound, match="did you mean"):
        store.current().resolve("party number")


def test_resolve_version_by_date_and_by_id(store: Store) -> None:
    put(store, five(), date(2022, 1, 31))
    put(store, five(), date(2022, 2, 28), sha256="other")
    first, second = store.versions("us_ofac_sdn")
    assert store.resolve_version("us_ofac_sdn", "2022-02-15") == first
    assert store.resolve_version("us_ofac_sdn", str(second.id)) == second
    with pytest.raises(InvalidQuery):
        store.resolve_version("us_ofac_sdn", "last tuesday")
    with pytest.raises(NotFound):
        store.resolve_version("us_ofac_sdn", "2020-01-01")
