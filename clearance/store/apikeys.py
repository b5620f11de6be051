"""API keys of the HTTP API: created with a role, stored hashed, revoked for good.

A key reads ``clr_<prefix>_<secret>``. The prefix (public, 8 hex digits) finds the row; the
SHA-256 of the whole key is compared in constant time. The secret holds 256 random bits, so
a plain SHA-256 is enough: a slow password hash protects guessable secrets, and these are
not guessable. The key itself is shown once, at creation, and stored nowhere.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from clearance.errors import InvalidQuery, NotFound
from clearance.store._sql import insert_id

if TYPE_CHECKING:
    from clearance.store.core import Store

KEY_PREFIX = "clr"


class Role(StrEnum):
    """What a key may do; each role includes the ones before it."""

    READER = "reader"  # read endpoints (when reading needs a key at all)
    ANALYST = "analyst"  # also dispose of alerts (monitoring)
    ADMIN = "admin"  # also manage keys and trigger list updates

    def allows(self, needed: Role) -> bool:
        order = list(Role)
        return order.index(self) >= order.index(needed)


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: int
    prefix: str  # "clr_3f9a1c2b": safe to show and log
    name: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def actor(self) -> str:
        """Who a request with this key acts as, in dispositions and audit records."""
        return f"apikey:{self.name} ({self.prefix})"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _row(row: tuple[object, ...]) -> ApiKey:
    revoked = row[5]
    return ApiKey(
        id=int(str(row[0])),
        prefix=str(row[1]),
        name=str(row[2]),
        role=Role(str(row[3])),
        created_at=datetime.fromisoformat(str(row[4])),
        revoked_at=None if revoked is None else datetime.fromisoformat(str(revoked)),
    )


_COLUMNS = "id, prefix, name, role, created_at, revoked_at"


def create_api_key(store: Store, name: str, role: Role | str) -> tuple[ApiKey, str]:
    """A new key for ``name`` with ``role``. Returns the key's record and the key itself
    (shown once: only its hash is stored).

    Raises:
        InvalidQuery: unknown role or empty name.
    """
    try:
        role = Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise InvalidQuery("role", f"{role!r}: use one of {roles}") from None
    if len(name.strip()) == 0:
        raise InvalidQuery("name", "a key needs a name (who holds it)")
    prefix = f"{KEY_PREFIX}_{secrets.token_hex(4)}"
    key = f"{prefix}_{secrets.token_urlsafe(32)}"
    created = _now()
    db = store._db
    with db.transaction():  # the key and its audit records, together
        key_id = insert_id(
            db,
            "INSERT INTO api_keys (prefix, hash, name, role, created_at) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id",
            (prefix, _hash(key), name.strip(), role.value, created.isoformat()),
        )
        store._audit("api_key_created", None, None, {"key": prefix, "role": role.value})
    return ApiKey(key_id, prefix, name.strip(), role, created), key


def list_api_keys(store: Store) -> list[ApiKey]:
    """Every key ever created (revoked ones included), oldest first."""
    rows = store._db.execute(f"SELECT {_COLUMNS} FROM api_keys ORDER BY id")
    return [_row(r) for r in rows]


def revoke_api_key(store: Store, which: str) -> ApiKey:
    """Revoke a key by its id or prefix; revoking a revoked key changes nothing.

    Raises:
        NotFound: no such key.
    """
    text = which.strip()
    column = "id" if text.isdigit() else "prefix"
    db = store._db
    row = db.execute(
        f"SELECT {_COLUMNS} FROM api_keys WHERE {column} = ?", (text,)
    ).fetchone()
    if row is None:
        raise NotFound("API key", which)
    key = _row(row)
    if key.revoked_at is not None:
        return key
    revoked = _now()
    with db.transaction():
        db.execute(
            "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            (revoked.isoformat(), key.id),
        )
        store._audit("api_key_revoked", None, None, {"key": key.prefix})
    return ApiKey(key.id, key.prefix, key.name, key.role, key.created_at, revoked)


def verify_api_key(store: Store, key: str) -> ApiKey | None:
    """The active key record for ``key``, or None (unknown, malformed or revoked)."""
    parts = key.strip().split("_")
    if len(parts) < 3 or parts[0] != KEY_PREFIX:
        return None
    prefix = f"{parts[0]}_{parts[1]}"
    row = store._db.execute(
        f"SELECT {_COLUMNS}, hash FROM api_keys WHERE prefix = ?", (prefix,)
    ).fetchone()
    if row is None or not hmac.compare_digest(str(row[6]), _hash(key.strip())):
        return None
    record = _row(row[:6])
    return record if record.active else None
