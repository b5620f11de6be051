"""A process killed in the middle of an import leaves the previous version intact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from clearance.store import Store

CHILD = textwrap.dedent(
    """
    import sys
    from datetime import date
    from pathlib import Path
    from clearance.store import Store
    from tests.factories import make_entity, make_meta

    store = Store.open(Path(sys.argv[1]))
    with store.import_version(make_meta(published=date(2022, 1, 31))) as writer:
        for i in range(1000):
            writer.add(make_entity(f"us_ofac_sdn:{i}", f"FIRST VERSION PARTY {i}"))
        writer.finish()
    with store.import_version(make_meta(published=date(2022, 2, 28))) as writer:
        for i in range(200_000):
            writer.add(make_entity(f"us_ofac_sdn:{i}", f"SECOND VERSION PARTY {i} OF MANY"))
        print("writing", flush=True)
        writer.finish()
    print("finished", flush=True)
    """
)


def test_killing_the_importer_mid_transaction_keeps_the_previous_version(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    root = Path(__file__).resolve().parents[2]
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(home)],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "writing"
    time.sleep(1.0)  # well inside finish(): writing 200k records takes much longer
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    with Store.open(home) as store:
        versions = store.versions("us_ofac_sdn")
        assert [v.published.isoformat() for v in versions] == ["2022-01-31"]
        view = store.current()
        assert len(list(view.entity_ids())) == 1000
        assert view.get("us_ofac_sdn:7").caption == "FIRST VERSION PARTY 7"
        assert store._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        orphans = store._db.execute(
            "SELECT count(*) FROM members WHERE version_id NOT IN (SELECT id FROM versions)"
        ).fetchone()[0]
        assert orphans == 0
