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

    store = Store.open(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else None)
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


def _writer_inside_transaction(database_url: str) -> bool:
    """Whether another session holds Clearance's write lock (its import transaction is
    open), and has been writing for a moment."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND a.pid <> pg_backend_pid() "
            "AND a.xact_start < now() - interval '0.5 seconds'"
        ).fetchone()
    return row is not None and int(row[0]) > 0


def test_killing_the_importer_mid_transaction_keeps_the_previous_version(
    tmp_path: Path, database_url: str | None
) -> None:
    home = tmp_path / "home"
    root = Path(__file__).resolve().parents[2]
    args = [sys.executable, "-c", CHILD, str(home)]
    if database_url is not None:
        args.append(database_url)
    child = subprocess.Popen(
        args,
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "writing"
    if database_url is None:
        time.sleep(1.0)  # well inside finish(): writing 200k records takes much longer
    else:
        # kill once the server holds an open import transaction, not before it starts
        deadline = time.monotonic() + 60
        while not _writer_inside_transaction(database_url):
            assert child.poll() is None, "the import finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.1)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    with Store.open(home, database_url) as store:
        versions = store.versions("us_ofac_sdn")
        assert [v.published.isoformat() for v in versions] == ["2022-01-31"]
        view = store.current()
        assert len(list(view.entity_ids())) == 1000
        assert view.get("us_ofac_sdn:7").caption == "FIRST VERSION PARTY 7"
        if store._db.backend == "sqlite":
            assert store._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        orphans = store._db.execute(
            "SELECT count(*) FROM members WHERE version_id NOT IN (SELECT id FROM versions)"
        ).fetchone()[0]
        assert orphans == 0
        records = store._db.execute("SELECT count(*) FROM records").fetchone()[0]
        assert records == 1000  # none of the second version's records survived
