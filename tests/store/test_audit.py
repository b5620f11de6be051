"""The hash-chained audit trail: appends, verification, and tampering caught."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

from clearance.errors import ClearanceError, InvalidQuery
from clearance.store import AuditLog, Store, canonical_json, digest
from clearance.store.db import Database
from tests.factories import make_entity, make_meta


@pytest.fixture
def store(tmp_path: Path, database_url: str | None) -> Iterator[Store]:
    with Store.open(tmp_path / "home", database_url) as opened:
        yield opened


def _fill(store: Store, n: int = 5) -> AuditLog:
    log = AuditLog(store)
    for i in range(n):
        log.append("screening", {"query": {"name": f"synthetic {i}"}, "n": i}, "tester")
    return log


@contextmanager
def _raw(store: Store) -> Iterator[Database]:
    """The database itself, past the store's API: each statement commits at once."""
    yield store._db


def test_each_record_links_to_the_previous_hash(store: Store) -> None:
    log = _fill(store, 3)
    records = list(log.records())
    assert [r.id for r in records] == [1, 2, 3]
    assert records[0].prev_hash == ""
    assert records[1].prev_hash == records[0].hash
    assert records[2].prev_hash == records[1].hash
    assert log.verify().ok
    assert log.verify().checked == 3


def test_canonical_json_ignores_key_order() -> None:
    assert canonical_json({"b": 1, "a": [1, "é"]}) == '{"a":[1,"é"],"b":1}'
    assert digest({"a": 1, "b": 2}) == digest({"b": 2, "a": 1})


def test_list_versions_are_chained(store: Store) -> None:
    with store.import_version(make_meta("us_ofac_sdn", date(2022, 1, 31))) as writer:
        writer.add(make_entity())
        writer.finish()
    (record,) = AuditLog(store).records()
    assert record.event == "import"
    assert record.payload["source"] == "us_ofac_sdn"
    assert record.payload["entities"] == 1


def test_edited_record_is_caught(store: Store) -> None:
    log = _fill(store)
    with _raw(store) as db:
        row = db.execute("SELECT payload FROM audit_log WHERE id = 3").fetchone()
        payload = json.loads(row[0])
        payload["n"] = 99
        db.execute(
            "UPDATE audit_log SET payload = ? WHERE id = 3", (canonical_json(payload),)
        )
    check = log.verify()
    assert not check.ok
    assert any("record 3: contents do not match" in p for p in check.problems)


def test_edit_with_recomputed_hash_breaks_the_next_link(store: Store) -> None:
    log = _fill(store)
    with _raw(store) as db:
        db.execute("UPDATE audit_log SET actor = 'mallory', hash = 'f00' WHERE id = 2")
    problems = log.verify().problems
    assert any(p.startswith("record 2: contents") for p in problems)
    assert any(p.startswith("record 3: link") for p in problems)


def test_deleted_record_is_caught(store: Store) -> None:
    log = _fill(store)
    with _raw(store) as db:
        db.execute("DELETE FROM audit_log WHERE id = 2")
    problems = log.verify().problems
    assert any("records 2..2 are missing" in p for p in problems)
    assert any(p.startswith("record 3: link") for p in problems)


def test_newest_records_cut_off_are_caught(store: Store) -> None:
    log = _fill(store)
    with _raw(store) as db:
        db.execute("DELETE FROM audit_log WHERE id >= 4")
    problems = log.verify().problems
    assert problems == (
        "the newest record should be 5; the chain ends at 3 (records removed from the end)",
    )


def test_export_since_a_date(store: Store) -> None:
    log = _fill(store, 2)
    assert len(list(log.records(date(2000, 1, 1)))) == 2
    assert list(log.records(date(2999, 1, 1))) == []


def test_legacy_audit_rows_are_chained_once(
    tmp_path: Path, database_url: str | None
) -> None:
    path = tmp_path / "home"
    with Store.open(path, database_url) as store:
        store.record_failure("us_ofac_sdn", "synthetic", "boom")
        with _raw(store) as db:  # as a store written before the chained trail existed
            db.execute("DELETE FROM audit_log")
            db.execute("DELETE FROM meta WHERE key = 'audit_head'")
    with Store.open(path, database_url) as store:
        (record,) = AuditLog(store).records()
        assert record.event == "import_failed"
        assert record.payload["reason"] == "boom"
        assert AuditLog(store).verify().ok
    with Store.open(path, database_url) as store:
        assert len(list(AuditLog(store).records())) == 1


def test_view_of_pins_the_given_versions(store: Store) -> None:
    ids = []
    for month, name in ((1, "ACME TRADING LLC"), (2, "ACME TRADING LIMITED")):
        meta = make_meta("us_ofac_sdn", date(2022, month, 28))
        with store.import_version(meta) as writer:
            writer.add(make_entity("us_ofac_sdn:1", name))
            result = writer.finish()
        assert result.version is not None
        ids.append(result.version.id)
    assert store.view_of([ids[0]]).get("us_ofac_sdn:1").caption == "ACME TRADING LLC"
    assert store.current().get("us_ofac_sdn:1").caption == "ACME TRADING LIMITED"
    with pytest.raises(InvalidQuery):
        store.view_of(ids)


def test_grouped_writes_from_many_threads_make_one_valid_chain(
    tmp_path: Path, database_url: str | None
) -> None:
    """A server's threads append through the store's AuditWriter: every caller gets its
    own committed record, and the chain verifies as if they had appended one by one."""
    threads, each = 8, 25
    start = threading.Barrier(threads)
    with Store.open(tmp_path / "home", database_url, per_thread=True) as store:
        store.group_audit_writes()
        log = AuditLog(store)

        def work(worker: int) -> list[int]:
            start.wait()
            return [
                log.append("screening", {"worker": worker, "n": n}, f"t{worker}").id
                for n in range(each)
            ]

        with ThreadPoolExecutor(threads) as pool:
            ids = [i for got in pool.map(work, range(threads)) for i in got]
        assert sorted(ids) == list(range(1, threads * each + 1))
        records = {r.id: r for r in log.records()}
        for worker in range(threads):  # each caller's records in its own order
            mine = [r for r in records.values() if r.actor == f"t{worker}"]
            assert [r.payload["n"] for r in mine] == list(range(each))
        check = log.verify()
        assert check.ok, check.problems
        assert check.checked == threads * each


def test_grouped_writes_join_a_transaction_already_open(tmp_path: Path) -> None:
    """A record appended inside the caller's own transaction joins it (the writer
    would otherwise wait for the lock that transaction holds): rolled back with it."""
    with Store.open(tmp_path / "home", per_thread=True) as store:
        store.group_audit_writes()
        log = AuditLog(store)
        log.append("screening", {"n": 1}, "tester")
        with pytest.raises(InvalidQuery), store._db.transaction():
            log.append("screening", {"n": 2}, "tester")
            raise InvalidQuery("synthetic", "roll back")
        assert [r.payload["n"] for r in log.records()] == [1]
        assert log.verify().ok


def test_grouped_writes_need_a_per_thread_store(store: Store) -> None:
    with pytest.raises(ClearanceError):
        store.group_audit_writes()
