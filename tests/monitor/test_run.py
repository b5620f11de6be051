"""Incremental re-screening on synthetic list versions: alert kinds, dispositions that
stick, agreement with a full screen, and work proportional to the change."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from clearance.match import Query
from clearance.model import Entity, LegalEffect, Schema
from clearance.monitor import (
    add_party,
    create_watch_set,
    dispose_alert,
    import_parties,
    list_alerts,
    remove_party,
    run_monitor,
)
from clearance.screen import Screener
from clearance.store import Alert, AlertKind, AuditLog, Store
from tests.factories import make_entity, make_meta

BASE = [
    make_entity("us_ofac_sdn:1", "ACME TRADING LLC"),
    make_entity("us_ofac_sdn:2", "ZENITH MARITIME SHIPPING CO"),
    make_entity("us_ofac_sdn:3", "BLUE OCEAN PETROLEUM FZE"),
    make_entity("us_ofac_sdn:4", "KOVALENKO, Dmitri", schema=Schema.PERSON),
]


@pytest.fixture
def store(tmp_path: Path, database_url: str | None) -> Iterator[Store]:
    """On each backend in turn (SQLite, PostgreSQL)."""
    with Store.open(tmp_path / "home", database_url) as opened:
        yield opened


def put(store: Store, entities: Sequence[Entity], published: date) -> int:
    with store.import_version(
        make_meta("us_ofac_sdn", published), force=True
    ) as writer:
        for entity in entities:
            writer.add(entity)
        result = writer.finish()
    assert result.version is not None
    return result.version.id


def run(store: Store, tmp_path: Path) -> list[tuple[str, str, str, int | None]]:
    report = run_monitor(store, tmp_path / "index")
    return sorted(
        (a.kind.value, a.party.ref, a.entity_id, a.version_id) for a in report.alerts
    )


def _changes(alert: Alert) -> list[dict[str, object]]:
    changes = alert.detail["changes"]
    assert isinstance(changes, list)
    return changes


def watch(store: Store, *parties: tuple[str, str]) -> None:
    create_watch_set(store, "customers")
    for ref, name in parties:
        add_party(store, "customers", {"ref": ref, "name": name})


def test_first_run_screens_every_party(store: Store, tmp_path: Path) -> None:
    v1 = put(store, BASE, date(2022, 1, 1))
    watch(store, ("C1", "Zenith Maritime Shipping"), ("C2", "Harbor Logistics GmbH"))
    assert run(store, tmp_path) == [
        ("new_match", "C1", "us_ofac_sdn:2", v1),
    ]
    assert run(store, tmp_path) == []  # nothing changed: nothing to say


def test_added_entity_alerts_at_the_version_that_added_it(
    store: Store, tmp_path: Path
) -> None:
    put(store, BASE, date(2022, 1, 1))
    watch(store, ("C1", "Harbor Logistics GmbH"), ("C2", "Quiet Bakery"))
    assert run(store, tmp_path) == []
    v2 = put(
        store,
        [*BASE, make_entity("us_ofac_sdn:9", "HARBOR LOGISTICS GMBH")],
        date(2022, 2, 1),
    )
    assert run(store, tmp_path) == [("new_match", "C1", "us_ofac_sdn:9", v2)]


def test_several_versions_between_runs_name_the_one_that_added(
    store: Store, tmp_path: Path
) -> None:
    put(store, BASE, date(2022, 1, 1))
    watch(store, ("C1", "Harbor Logistics GmbH"))
    run(store, tmp_path)
    v2 = put(
        store,
        [*BASE, make_entity("us_ofac_sdn:9", "HARBOR LOGISTICS GMBH")],
        date(2022, 2, 1),
    )
    put(
        store,
        [
            *BASE,
            make_entity("us_ofac_sdn:9", "HARBOR LOGISTICS GMBH"),
            make_entity("us_ofac_sdn:10", "OTHER"),
        ],
        date(2022, 3, 1),
    )
    assert run(store, tmp_path) == [("new_match", "C1", "us_ofac_sdn:9", v2)]


def test_false_positive_is_suppressed_until_the_record_changes(
    store: Store, tmp_path: Path
) -> None:
    put(store, BASE, date(2022, 1, 1))
    watch(store, ("C1", "Blue Ocean Petroleum"))
    ((_, _, entity_id, _),) = run(store, tmp_path)
    alert = list_alerts(store)[0]
    dispose_alert(store, alert.id, "false_positive", "a Norwegian firm", "analyst")
    assert list_alerts(store, open_only=True) == []
    # a remark changes: not material, stays suppressed
    changed = [
        *BASE[:2],
        make_entity(
            "us_ofac_sdn:3", "BLUE OCEAN PETROLEUM FZE", remarks="synthetic remark"
        ),
        BASE[3],
    ]
    put(store, changed, date(2022, 2, 1))
    report = run_monitor(store, tmp_path / "index")
    assert report.alerts == ()
    assert report.work["suppressed"] == 1
    # a new alias: material, re-alerts showing what changed
    aliased = [
        *BASE[:2],
        make_entity(
            "us_ofac_sdn:3",
            "BLUE OCEAN PETROLEUM FZE",
            aliases=("BLUE OCEAN OIL",),
            remarks="synthetic remark",
        ),
        BASE[3],
    ]
    v3 = put(store, aliased, date(2022, 3, 1))
    (again,) = run_monitor(store, tmp_path / "index").alerts
    assert (again.entity_id, again.version_id) == (entity_id, v3)
    changes = {c["field"]: c["added"] for c in _changes(again)}
    assert changes["names"] == ["BLUE OCEAN OIL (alias)"]
    assert again.detail["since_decision"] == 1
    assert again.is_open


def test_true_match_stays_open_until_delisted(store: Store, tmp_path: Path) -> None:
    put(store, BASE, date(2022, 1, 1))
    watch(store, ("C1", "Acme Trading"))
    run(store, tmp_path)
    (alert,) = list_alerts(store)
    dispose_alert(store, alert.id, "true_match", "same registration", "analyst")
    assert [a.id for a in list_alerts(store, open_only=True)] == [alert.id]
    v2 = put(store, BASE[1:], date(2022, 2, 1))
    assert run(store, tmp_path) == [("delisted", "C1", "us_ofac_sdn:1", v2)]
    open_now = list_alerts(store, open_only=True)
    assert [a.kind for a in open_now] == [AlertKind.DELISTED]  # the match itself closed


def test_dispositions_are_versioned(store: Store, tmp_path: Path) -> None:
    put(store, BASE, date(2022, 1, 1))
    watch(store, ("C1", "Acme Trading"))
    run(store, tmp_path)
    (alert,) = list_alerts(store)
    first = dispose_alert(store, alert.id, "needs_review", "check the address", "a")
    second = dispose_alert(store, alert.id, "false_positive", "other address", "b")
    assert second.supersedes == first.id
    (reread,) = list_alerts(store)
    assert [d.decision.value for d in reread.dispositions] == [
        "needs_review",
        "false_positive",
    ]
    events = [r.event for r in AuditLog(store).records()]
    assert events.count("disposition") == 2


def test_legal_effect_change_alerts_its_own_kind(store: Store, tmp_path: Path) -> None:
    put(store, BASE, date(2022, 1, 1))
    watch(store, ("C1", "Zenith Maritime Shipping"))
    run(store, tmp_path)
    listing = replace(BASE[1].listings[0], legal_effect=LegalEffect.SECURITIES_BAN)
    moved = replace(BASE[1], listings=(listing,))  # synthetic: the effect changes
    v2 = put(store, [BASE[0], moved, *BASE[2:]], date(2022, 2, 1))
    (alert,) = run_monitor(store, tmp_path / "index").alerts
    assert (alert.kind, alert.version_id) == (AlertKind.LEGAL_EFFECT_CHANGED, v2)
    assert [c["field"] for c in _changes(alert)] == ["listings"]


def test_new_alias_that_matches_raises_its_own_kind(
    store: Store, tmp_path: Path
) -> None:
    put(store, BASE, date(2022, 1, 1))
    watch(store, ("C1", "Nordic Star Lines"))
    assert run(store, tmp_path) == []
    aliased = make_entity(
        "us_ofac_sdn:2", "ZENITH MARITIME SHIPPING CO", aliases=("NORDIC STAR LINES",)
    )
    v2 = put(store, [BASE[0], aliased, *BASE[2:]], date(2022, 2, 1))
    assert run(store, tmp_path) == [("new_alias_match", "C1", "us_ofac_sdn:2", v2)]


def test_changed_party_is_rescreened(store: Store, tmp_path: Path) -> None:
    v1 = put(store, BASE, date(2022, 1, 1))
    watch(store, ("C1", "Quiet Bakery"))
    assert run(store, tmp_path) == []
    add_party(store, "customers", {"ref": "C1", "name": "Acme Trading LLC"})
    report = run_monitor(store, tmp_path / "index")
    assert [(a.kind.value, a.entity_id, a.version_id) for a in report.alerts] == [
        ("new_match", "us_ofac_sdn:1", v1)
    ]
    assert report.work["parties_changed"] == 1
    assert report.work["list_entities_changed"] == 0
    remove_party(store, "customers", "C1")
    assert run(store, tmp_path) == []


def test_alerts_agree_with_a_full_screen(store: Store, tmp_path: Path) -> None:
    put(store, BASE, date(2022, 1, 1))
    names = [
        "Acme Trading",
        "Zenith Shipping",
        "Blue Ocean Petroleum FZE",
        "Dmitri Kovalenko",
        "Harbor Logistics",
        "Northwind Metals",
        "Acme Bakery",
        "Ocean Blue Foods",
    ]
    watch(store, *((f"C{i}", n) for i, n in enumerate(names)))
    run(store, tmp_path)
    extra = [
        make_entity("us_ofac_sdn:20", "HARBOR LOGISTICS LIMITED"),
        make_entity("us_ofac_sdn:21", "NORTHWIND METALS TRADING"),
        make_entity("us_ofac_sdn:22", "SOMETHING ELSE ENTIRELY"),
    ]
    put(store, [*BASE, *extra], date(2022, 2, 1))
    run(store, tmp_path)
    incremental = {(a.party.ref, a.entity_id) for a in list_alerts(store)}
    screener = Screener(store.current(), tmp_path / "index")
    full = {
        (f"C{i}", h.entity.id)
        for i, n in enumerate(names)
        for h in screener.screen(Query(name=n), limit=25)
        if h.match
    }
    assert incremental == full
    assert ("C4", "us_ofac_sdn:20") in full


def _csv(path: Path, n: int) -> Path:
    rows = ["ref,name"] + [
        f"P{i},Synthetic Party Number {i} Holdings" for i in range(n)
    ]
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize("parties", [50, 500])
def test_work_is_proportional_to_the_change(
    store: Store, tmp_path: Path, parties: int
) -> None:
    put(store, BASE, date(2022, 1, 1))
    create_watch_set(store, "customers")
    import_parties(store, "customers", _csv(tmp_path / "p.csv", parties))
    add_party(store, "customers", {"ref": "X", "name": "Harbor Logistics GmbH"})
    first = run_monitor(store, tmp_path / "index")
    assert first.work["forward_screens"] == parties + 1  # baseline: everyone once
    put(
        store,
        [*BASE, make_entity("us_ofac_sdn:9", "HARBOR LOGISTICS GMBH")],
        date(2022, 2, 1),
    )
    report = run_monitor(store, tmp_path / "index")
    assert [(a.party.ref, a.entity_id) for a in report.alerts] == [
        ("X", "us_ofac_sdn:9")
    ]
    # one changed entity: the same few lookups whatever the number of parties
    assert report.work["list_entities_changed"] == 1
    assert report.work["parties_changed"] == 0
    assert report.work["pairs_scored"] == 1
    assert report.work["forward_screens"] == 1
    assert report.work["key_postings_read"] <= 5


def test_first_run_over_worker_processes_agrees_with_a_full_screen(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    put(store, BASE, date(2022, 1, 1))
    create_watch_set(store, "customers")
    import_parties(store, "customers", _csv(tmp_path / "p.csv", 450))
    names = {"X1": "Acme Trading", "X2": "Dmitri Kovalenko", "X3": "Blue Ocean"}
    for ref, name in names.items():
        add_party(store, "customers", {"ref": ref, "name": name})
    # the party side split over two forked workers, several chunks each
    monkeypatch.setattr("clearance.monitor.run.PARALLEL_FROM", 1)
    monkeypatch.setattr("clearance.monitor.run.PARTY_CHUNK", 100)
    report = run_monitor(store, tmp_path / "index", workers=2)
    assert report.work["forward_screens"] == 453
    screener = Screener(store.current(), tmp_path / "index")
    queries = {f"P{i}": f"Synthetic Party Number {i} Holdings" for i in range(450)}
    full = {
        (ref, h.entity.id)
        for ref, name in (queries | names).items()
        for h in screener.screen(Query(name=name), limit=25)
        if h.match
    }
    assert {(a.party.ref, a.entity_id) for a in report.alerts} == full
    assert ("X1", "us_ofac_sdn:1") in full and len(report.alerts) == len(full)
