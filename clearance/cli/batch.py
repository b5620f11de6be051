"""``clearance batch`` and ``clearance portfolio``: whole files screened, streaming.

Exit codes (besides the common ones in ``clearance.cli.main``): ``batch`` exits 0 when
every row was screened and 1 when any row could not be (its row number and reason are in
``OUTPUT.errors.csv``); an unreadable input or a bad option also exits 1, with one line
on stderr and no output written.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from clearance.cli import main
from clearance.cli.monitor import audit_batch
from clearance.errors import InvalidQuery
from clearance.screen import (
    BatchSummary,
    ColumnMap,
    Engine,
    HoldingColumns,
    IndexScreener,
    PortfolioSummary,
    Screener,
    run_batch,
    run_portfolio,
    sidecar,
)
from clearance.store import View


def _col(role: str) -> Any:
    return typer.Option(help=f"The {role} column (default: the usual headers).")


class _RowsPerSecond(ProgressColumn):
    def render(self, task: Task) -> Text:
        rows = int(task.fields.get("rows", 0))
        elapsed = task.elapsed or 0.0
        rate = rows / elapsed if elapsed > 0 else 0.0
        return Text(f"{rows:,} rows  {rate:,.0f} rows/s")


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        _RowsPerSecond(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
    )


def summary_table(summary: BatchSummary, output: Path) -> Table:
    table = Table(title=f"Batch summary: {output}", show_header=True)
    table.add_column("")
    table.add_column("rows", justify="right")
    table.add_row("screened", f"{summary.rows:,}")
    if summary.resumed_at_row > 0:
        table.add_row("  of them in an earlier run", f"{summary.resumed_at_row:,}")
    table.add_row("with an alert", f"{summary.alerts:,}")
    table.add_row("not screened (errors)", f"{summary.errors:,}")
    table.add_row("with a warning", f"{summary.warnings:,}")
    for title, counts in (
        ("alerts on list", summary.alerts_by_list),
        ("alerts by legal effect", summary.alerts_by_legal_effect),
    ):
        for key, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            table.add_row(f"{title} {key}", f"{count:,}")
    return table


def batch_command(
    ctx: typer.Context,
    input_path: Annotated[
        Path,
        typer.Argument(
            metavar="INPUT",
            help="CSV (any delimiter and encoding), XLSX, Parquet or JSON lines.",
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            help="Results: .csv or .parquet (input columns + results) or .jsonl "
            "(the batch contract: qid and hits).",
        ),
    ],
    as_of: main.AsOfOption = None,
    threshold: Annotated[float | None, typer.Option(help="Alert threshold.")] = None,
    limit: Annotated[int, typer.Option(help="Hits per row.")] = 10,
    workers: Annotated[
        int,
        typer.Option(help="Worker processes (default: all cores).", show_default=False),
    ] = 0,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from the last checkpoint.")
    ] = False,
    format_: Annotated[
        str | None,
        typer.Option(
            "--format", help="csv, xlsx, parquet or jsonl (default: by extension)."
        ),
    ] = None,
    delimiter: Annotated[
        str | None,
        typer.Option(help="CSV delimiter (default: sniffed; 'tab' for tab)."),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(help="Text encoding (default: UTF-16 BOM, UTF-8 or cp1252)."),
    ] = None,
    name_col: Annotated[str | None, _col("name")] = None,
    country_col: Annotated[str | None, _col("country")] = None,
    id_col: Annotated[str | None, _col("row's own id (qid, customer id)")] = None,
    schema_col: Annotated[str | None, _col("schema (Person, Organization...)")] = None,
    birth_date_col: Annotated[str | None, _col("birth date")] = None,
    identifier_col: Annotated[str | None, _col("identifier (ISIN, IMO...)")] = None,
    engine: Annotated[
        str,
        typer.Option(
            help="local (worker processes) or spark (the extra: clearance\\[spark])."
        ),
    ] = "local",
    master: Annotated[
        str, typer.Option(help="Spark master for --engine spark.")
    ] = "local[*]",
    checkpoint_every: Annotated[
        float, typer.Option(help="Seconds between checkpoints (for --resume).")
    ] = 2.0,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
    json_: main.JsonOption = False,
) -> None:
    """Screen every row of a file: one output row per input row with the best hits,
    scores, lists, legal effects and evidence; bad rows in OUTPUT.errors.csv; a summary
    printed and written to OUTPUT.summary.json. Exit code 1 if any row failed."""
    c = main._ctx(ctx)
    mapping = ColumnMap(
        name=name_col,
        schema=schema_col,
        country=country_col,
        birth_date=birth_date_col,
        identifier=identifier_col,
        id=id_col,
    )
    count = workers if workers > 0 else (os.cpu_count() or 1)
    console = Console(stderr=True)
    if engine not in ("local", "spark"):
        raise InvalidQuery("--engine", f"{engine!r}: use local or spark")
    progress = _progress(console)
    task = progress.add_task("screening", total=1.0, rows=0)

    def advance(rows: int, share: float) -> None:
        if not progress.live.is_started:  # once the input is known to be readable
            progress.start()
        progress.update(task, completed=share, rows=rows)

    def phase(name: str) -> None:
        if not progress.live.is_started:
            progress.start()
        progress.update(task, description=name)

    with c.store() as store:
        view = c.view(store, as_of)
        screener: Screener | None = None
        spark: Engine | None = None
        if engine == "spark":
            # Spark reports the rows it has screened; the runner's own count (rows
            # written) would start again from 0 once Spark hands the rows back
            spark, key = _spark_engine(
                view,
                c.settings.home / "index",
                output,
                master,
                None if quiet else advance,
                None if quiet else phase,
            )
        else:
            screener = Screener(view, c.settings.home / "index")
            key = screener.index.key
        settings: dict[str, Any] = {"as_of": as_of, "index": key}
        try:
            summary = run_batch(
                screener,
                input_path,
                output,
                mapping=mapping,
                format=format_,
                delimiter=delimiter,
                encoding=encoding,
                threshold=threshold,
                limit=limit,
                workers=count,
                resume=resume,
                settings=settings,
                on_progress=None if quiet or spark is not None else advance,
                checkpoint_seconds=checkpoint_every,
                engine=spark,
            )
        finally:
            progress.stop()
        counts = {
            "rows": summary.rows,
            "alerts": summary.alerts,
            "errors": summary.errors,
        }
        audit_batch(store, view, input_path, output, counts, threshold, limit)
    if json_:
        main._print_json(summary.to_json())
    else:
        out = Console(soft_wrap=False)
        out.print(summary_table(summary, output))
        console.print(
            f"{summary.rows:,} rows screened, {summary.alerts:,} with an alert, "
            f"{summary.errors:,} unusable (see {sidecar(output, '.errors.csv')}); "
            f"summary in {sidecar(output, '.summary.json')}",
            highlight=False,
            soft_wrap=True,
        )
    if summary.errors > 0:
        raise typer.Exit(main.EXIT_INPUT)


def _spark_engine(
    view: View,
    index_folder: Path,
    output: Path,
    master: str,
    advance: Callable[[int, float], None] | None,
    phase: Callable[[str], None] | None,
) -> tuple[Engine, str]:
    try:
        from clearance import spark  # the optional extra: imported only when asked
    except ImportError as exc:
        raise InvalidQuery(
            "--engine",
            f"spark needs the spark extra: pip install 'clearance[spark]' ({exc})",
        ) from None
    return spark.batch_engine(
        view, index_folder, output, master=master, on_progress=advance, on_phase=phase
    )


def portfolio_table(
    summary: PortfolioSummary, output: Path, on: date, lists_on: date | None
) -> Table:
    lists = "current lists" if lists_on is None else f"lists as of {lists_on}"
    table = Table(
        title=f"{summary.listed:,} of {summary.holdings:,} holdings listed "
        f"({summary.name_match_only:,} on the issuer name only): {output}",
        caption=f"status on {on}; {lists}",
    )
    for column in ("row", "holding", "listed entity", "basis", f"status on {on}"):
        table.add_column(column)
    for row in summary.listed_rows:
        held = [str(row[c]) for c in row if c not in PORTFOLIO_SHOWN and row[c]]
        basis = str(row["match_basis"])
        if row["name_match_only"] is True:
            basis += " (name only: review)"
        table.add_row(
            str(row["row"]),
            " ".join(held)[:40],
            f"{row['matched_entity']} [{row['matched_id']}]",
            basis,
            str(row["status"]),
        )
    return table


PORTFOLIO_SHOWN = {
    "row", "listed", "status", "status_date", "match_basis", "name_match_only",
    "name_score", "matched_id", "matched_entity", "matched_list", "programs", "listed_on",
    "effective_on", "purchase_prohibited_on", "divestment_deadline", "legal_effect",
    "legal_effect_text", "other_matches", "error",
}  # fmt: skip


def portfolio_command(
    ctx: typer.Context,
    holdings: Annotated[
        Path,
        typer.Argument(
            help="Holdings: CSV, XLSX, Parquet or JSON lines with ISIN, ticker and/or "
            "issuer name columns."
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            help="Every input column plus the status: .csv, .jsonl, .parquet.",
        ),
    ],
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Check against the lists as they stood on this date (default: the "
            "current lists).",
        ),
    ] = None,
    status_date: Annotated[
        str | None,
        typer.Option(
            "--status-date",
            help="State the status (purchase prohibited, divestment deadline) on this "
            "date (default: the --as-of date, else today).",
            show_default=False,
        ),
    ] = None,
    threshold: Annotated[
        float | None, typer.Option(help="Alert threshold for issuer names.")
    ] = None,
    isin_col: Annotated[str | None, _col("ISIN")] = None,
    ticker_col: Annotated[str | None, _col("ticker")] = None,
    issuer_col: Annotated[str | None, _col("issuer name")] = None,
    format_: Annotated[
        str | None,
        typer.Option(
            "--format", help="csv, xlsx, parquet or jsonl (default: by extension)."
        ),
    ] = None,
    delimiter: Annotated[str | None, typer.Option(help="CSV delimiter.")] = None,
    encoding: Annotated[str | None, typer.Option(help="Text encoding.")] = None,
    json_: main.JsonOption = False,
) -> None:
    """Check a portfolio against NS-CMIC and the other lists with a securities effect:
    ISIN and ticker exactly, issuer names through the matching engine (flagged when
    only the name matched), with listing, effective and divestment dates and the status
    on the status date. Exit code 1 if any holding could not be checked."""
    c = main._ctx(ctx)
    lists_on = None if as_of is None else main.parse_date(as_of, "--as-of")
    on = lists_on or date.today()
    if status_date is not None:
        on = main.parse_date(status_date, "--status-date")
    with c.store() as store:
        screener = Screener(c.view(store, as_of), c.settings.home / "index")
        summary = run_portfolio(
            IndexScreener(screener.index),
            holdings,
            output,
            on=on,
            columns=HoldingColumns(isin=isin_col, ticker=ticker_col, issuer=issuer_col),
            threshold=threshold,
            format=format_,
            delimiter=delimiter,
            encoding=encoding,
        )
    if json_:
        main._print_json(
            {
                "holdings": summary.holdings,
                "listed": summary.listed,
                "name_match_only": summary.name_match_only,
                "errors": summary.errors,
                "as_of": None if lists_on is None else lists_on.isoformat(),
                "status_date": on.isoformat(),
                "listed_holdings": summary.listed_rows,
            }
        )
    else:
        Console(soft_wrap=False).print(portfolio_table(summary, output, on, lists_on))
    if summary.errors > 0:
        raise typer.Exit(main.EXIT_INPUT)


def register(app: typer.Typer) -> None:
    app.command("batch")(main.handle_errors(batch_command))
    app.command("portfolio")(main.handle_errors(portfolio_command))
