"""Each package's ``__all__`` names what it exports, and every name exists."""

from __future__ import annotations

import importlib

import pytest

PACKAGES = [
    "clearance.model",
    "clearance.monitor",
    "clearance.normalize",
    "clearance.sources",
    "clearance.store",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_lists_existing_public_names(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    assert exported == sorted(exported, key=lambda n: (not n.isupper(), n))
    for item in exported:
        assert hasattr(module, item), item
        assert not item.startswith("_")
