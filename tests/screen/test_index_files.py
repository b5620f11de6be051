"""Saved indexes: reused for the same list versions, rebuilt for others, a few kept."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from clearance.screen import load_index
from clearance.store import Store
from tests.factories import make_entity, make_meta


def _put(store: Store, published: date, names: list[str]) -> None:
    with store.import_version(make_meta(published=published)) as writer:
        for i, name in enumerate(names):
            writer.add(make_entity(f"us_ofac_sdn:{i}", name))
        writer.finish()


def test_index_is_reused_then_rebuilt_for_other_versions(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    with Store.open(tmp_path / "home") as store:
        _put(store, date(2022, 1, 31), ["ALPHA TRADING", "BETA SHIPPING"])
        _put(store, date(2022, 2, 28), ["ALPHA TRADING", "BETA SHIPPING", "GAMMA BANK"])
        current = load_index(store.current(), folder)
        assert len(current.entities) == 3
        old = load_index(store.as_of(date(2022, 2, 1)), folder)
        assert len(old.entities) == 2
        assert len(list(folder.glob("index-*.pickle"))) == 2  # both kept
        again = load_index(store.current(), folder)
        assert again.key == current.key and len(again.entities) == 3
