"""Portfolios: is a holding's issuer or security on a list with a securities effect
(NS-CMIC's purchase ban and divestment, the SSI directives), and what that means on a
given date.

A holding matches by ISIN or ticker exactly (identifier keys: case, spaces and
punctuation ignored) through the index's identifier lookup, or else by issuer name
through the matching engine; a match on the name alone is flagged for review.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date
from itertools import islice
from pathlib import Path

from clearance.errors import InvalidQuery
from clearance.match import Query
from clearance.model import (
    Entity,
    IdScheme,
    LegalEffect,
    Listing,
    Schema,
    describe_effect,
    identifier_key,
)
from clearance.screen.batch import (
    BadRow,
    IndexScreener,
    OutputRow,
    Record,
    _header_key,
    _listed,
    input_value,
)
from clearance.screen.io import RowWriter, open_table, output_format

# the legal effects that concern holding, buying or selling securities
SECURITIES_EFFECTS = frozenset({LegalEffect.SECURITIES_BAN, LegalEffect.SECTORAL})
BASIS_ISIN, BASIS_TICKER, BASIS_NAME = "isin", "ticker", "issuer name"

PORTFOLIO_COLUMNS: tuple[str, ...] = (
    "row",  # 1-based data row number of the holdings file
    "listed",  # the issuer or the security is on a list with a securities effect
    "status",  # on status_date: "purchase prohibited since 2021-08-02; ..."
    "status_date",  # the date the status is stated for (--status-date)
    "match_basis",  # "isin", "ticker" or "issuer name"
    "name_match_only",  # only the issuer name matched: review it
    "name_score",  # the name match's score (0..1), when the name decided
    "matched_id",  # the listed entity, e.g. "us_ofac_cons:30946"
    "matched_entity",  # its official primary name
    "matched_list",  # the list, e.g. "us_ofac_cons"
    "programs",  # e.g. "CMIC-EO13959"
    "listed_on",  # listing date
    "effective_on",  # date the listing takes effect (NS-CMIC: the purchase ban)
    "purchase_prohibited_on",  # NS-CMIC: purchases prohibited from this date
    "divestment_deadline",  # NS-CMIC: sales for divestment allowed until this date
    "legal_effect",  # e.g. "securities_ban"
    "legal_effect_text",  # the plain-language effect
    "other_matches",  # further listed entities the holding matched, " | "-separated
    "error",  # why the holding could not be checked (no ISIN, ticker or name)
)
PORTFOLIO_TYPES = {
    "row": "int",
    "listed": "bool",
    "name_match_only": "bool",
    "name_score": "float",
}


@dataclass(frozen=True, slots=True)
class HoldingColumns:
    """The holdings file's ISIN, ticker and issuer-name columns (``None``: look for the
    usual headers; after ``resolve``: the column, or ``None`` when absent)."""

    isin: str | None = None
    ticker: str | None = None
    issuer: str | None = None

    def resolve(self, columns: Sequence[str]) -> HoldingColumns:
        """Raises:
        InvalidQuery: a named column is missing, or none of the three is found."""
        by_key: dict[str, str] = {}
        for column in columns:
            by_key.setdefault(_header_key(column), column)
        found: dict[str, str | None] = {}
        for role in fields(self):
            wanted = getattr(self, role.name)
            if wanted is not None:
                if _header_key(wanted) not in by_key:
                    raise InvalidQuery(
                        f"--{role.name}-col",
                        f"no column {wanted!r} (columns: {_listed(columns)})",
                    )
                found[role.name] = by_key[_header_key(wanted)]
                continue
            found[role.name] = next(
                (by_key[h] for h in HOLDING_HEADERS[role.name] if h in by_key), None
            )
        resolved = replace(self, **found)
        if (
            resolved.isin is None
            and resolved.ticker is None
            and resolved.issuer is None
        ):
            raise InvalidQuery(
                "input",
                f"no ISIN, ticker or issuer column (columns: {_listed(columns)})",
            )
        return resolved

    def text_columns(self) -> list[str]:
        values = (self.isin, self.ticker, self.issuer)
        return [v for v in values if v is not None]

    def key_column(self) -> str | None:
        return self.isin or self.ticker


HOLDING_HEADERS: dict[str, tuple[str, ...]] = {
    "isin": ("isin", "isin_code", "security_isin", "isin_number"),
    "ticker": ("ticker", "symbol", "equity_ticker", "bloomberg_ticker", "ticker_symbol"),
    "issuer": ("issuer", "issuer_name", "issuer_name_", "company", "company_name",
               "name", "security_name", "security", "description"),
}  # fmt: skip


def portfolio_columns(input_columns: Sequence[str]) -> list[str]:
    """Every input column (``input_``-prefixed if it clashes), then the status ones."""
    kept = [f"input_{c}" if c in PORTFOLIO_COLUMNS else c for c in input_columns]
    return kept + list(PORTFOLIO_COLUMNS)


def _securities_listings(entity: Entity) -> list[Listing]:
    return [x for x in entity.listings if x.legal_effect in SECURITIES_EFFECTS]


def _by_identifier(
    screener: IndexScreener, value: str, scheme: IdScheme
) -> list[Entity]:
    """Listed entities with a securities listing and this ISIN or ticker."""
    key = identifier_key(value)
    if len(key) == 0:
        return []
    index = screener.index
    found = []
    for pos in index.identifiers.get(key, ()):
        entity = index.entities[pos]
        same = any(
            i.scheme is scheme and identifier_key(i.value) == key
            for i in entity.identifiers
        )
        if same and len(_securities_listings(entity)) > 0:
            found.append(entity)
    return found


def status_text(listing: Listing, on: date) -> str:
    """What the listing means on a date, in words."""
    if listing.legal_effect is LegalEffect.SECURITIES_BAN:
        parts: list[str] = []
        ban = listing.effective_on
        if ban is None:
            parts.append("purchase prohibited (no effective date on the list)")
        elif on >= ban:
            parts.append(f"purchase prohibited since {ban.isoformat()}")
        else:
            listed = listing.listed_on.isoformat() if listing.listed_on else "?"
            parts.append(f"listed {listed}; purchase prohibited from {ban.isoformat()}")
        deadline = listing.divestment_on
        if deadline is not None:
            if on <= deadline:
                parts.append(f"divestment deadline {deadline.isoformat()}")
            else:
                parts.append(
                    f"divestment deadline {deadline.isoformat()} passed: "
                    "purchases and sales prohibited"
                )
        return "; ".join(parts)
    since = (
        "" if listing.listed_on is None else f" since {listing.listed_on.isoformat()}"
    )
    what = _SHORT_EFFECT.get(listing.legal_effect, listing.legal_effect.value)
    return f"listed{since}: {what}"


_SHORT_EFFECT = {
    LegalEffect.SECTORAL: "sectoral sanctions (SSI): new debt or new equity "
    "prohibited under the directive named in its programs",
}


def check_holding(
    screener: IndexScreener,
    record: Record | BadRow,
    columns: HoldingColumns,
    *,
    row: int,
    on: date,
    threshold: float | None = None,
) -> OutputRow:
    """One holding's status row (``portfolio_columns`` of its columns).

    Args:
        columns: resolved ``HoldingColumns``.
        on: the date the status is stated for. The screener's lists are a separate
            choice: a screener over ``store.as_of(d)`` checks the holding against
            the lists as they stood on ``d`` (``clearance portfolio --as-of``), and
            ``on`` may be another date (``--status-date``).
        threshold: the alert threshold for issuer names (default: calibrated).
    """
    out: OutputRow = dict.fromkeys(PORTFOLIO_COLUMNS)
    out.update(row=row, listed=False, name_match_only=False, status_date=_iso(on))
    if isinstance(record, BadRow):
        out["error"] = record.reason
        return out
    kept: OutputRow = {
        (f"input_{c}" if c in PORTFOLIO_COLUMNS else c): input_value(v)
        for c, v in record.items()
    }

    def text(column: str | None) -> str:
        if column is None:
            return ""
        return " ".join((input_value(record.get(column)) or "").split())

    isin, ticker, issuer = (
        text(columns.isin),
        text(columns.ticker),
        text(columns.issuer),
    )
    if len(isin) == 0 and len(ticker) == 0 and len(issuer) == 0:
        out["error"] = "no ISIN, ticker or issuer name"
        return kept | out
    matches: list[tuple[str, Entity, float | None]] = []
    for value, scheme, basis in (
        (isin, IdScheme.ISIN, BASIS_ISIN),
        (ticker, IdScheme.TICKER, BASIS_TICKER),
    ):
        if len(value) > 0:
            matches += [
                (basis, e, None) for e in _by_identifier(screener, value, scheme)
            ]
    if len(issuer) > 0:
        query = Query(name=issuer[:1000], schema=Schema.COMPANY)
        for hit in screener.screen(query, threshold=threshold, limit=10):
            if hit.match and len(_securities_listings(hit.entity)) > 0:
                matches.append((BASIS_NAME, hit.entity, round(hit.score, 4)))
    if len(matches) == 0:
        out["status"] = "not listed"
        return kept | out
    seen: dict[str, tuple[str, Entity, float | None]] = {}
    for match in matches:
        seen.setdefault(match[1].id, match)  # ISIN before ticker before the name
    ordered = list(seen.values())
    basis, entity, score = ordered[0]
    bases = {b for b, e, _ in matches if e.id == entity.id}
    listing = sorted(
        _securities_listings(entity),
        key=lambda x: (x.legal_effect is not LegalEffect.SECURITIES_BAN, x.source),
    )[0]
    name_score = next((s for b, e, s in matches if e.id == entity.id and s), None)
    out.update(
        listed=True,
        status=status_text(listing, on),
        match_basis=" + ".join(
            b for b in (BASIS_ISIN, BASIS_TICKER, BASIS_NAME) if b in bases
        ),
        name_match_only=bases == {BASIS_NAME},
        name_score=name_score if score is None else score,
        matched_id=entity.id,
        matched_entity=entity.caption,
        matched_list=listing.source,
        programs=" / ".join(listing.programs) or None,
        listed_on=_iso(listing.listed_on),
        effective_on=_iso(listing.effective_on),
        purchase_prohibited_on=_iso(listing.effective_on)
        if listing.legal_effect is LegalEffect.SECURITIES_BAN
        else None,
        divestment_deadline=_iso(listing.divestment_on),
        legal_effect=listing.legal_effect.value,
        legal_effect_text=describe_effect(listing.legal_effect),
        other_matches=" | ".join(e.id for _, e, _ in ordered[1:]) or None,
    )
    return kept | out


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(slots=True)
class PortfolioSummary:
    holdings: int = 0
    listed: int = 0
    name_match_only: int = 0  # listed holdings matched on the issuer name alone
    errors: int = 0
    listed_rows: list[OutputRow] = field(default_factory=list)  # first LISTED_SHOWN


LISTED_SHOWN = 50  # listed holdings kept for the command's table


def run_portfolio(
    screener: IndexScreener,
    input_path: Path,
    output: Path,
    *,
    on: date,
    columns: HoldingColumns | None = None,
    threshold: float | None = None,
    format: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> PortfolioSummary:
    """Check every holding of a CSV, XLSX, Parquet or JSON lines file; write each with
    its status columns to ``output`` (.csv, .jsonl or .parquet), streaming.

    Raises:
        InvalidQuery: unreadable input, no usable column, unknown output format.
    """
    kind = output_format(output)
    summary = PortfolioSummary()
    with open_table(
        input_path,
        columns or HoldingColumns(),
        format=format,
        delimiter=delimiter,
        encoding=encoding,
    ) as table:
        writer = RowWriter(
            output,
            portfolio_columns(table.columns),
            kind,
            None,
            types=PORTFOLIO_TYPES,
            contract=False,
        )
        finished = False
        try:
            while True:
                chunk = list(islice(table.rows, 1000))
                if len(chunk) == 0:
                    break
                rows = [
                    check_holding(
                        screener, r, table.mapping, row=n, on=on, threshold=threshold
                    )
                    for n, r in chunk
                ]
                writer.write(rows)
                for out in rows:
                    summary.holdings += 1
                    summary.errors += out["error"] is not None
                    if out["listed"] is True:
                        summary.listed += 1
                        summary.name_match_only += out["name_match_only"] is True
                        if len(summary.listed_rows) < LISTED_SHOWN:
                            summary.listed_rows.append(out)
            finished = True
        finally:
            writer.close(finished)
    return summary
