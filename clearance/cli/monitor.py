"""Monitoring commands: ``watch``, ``monitor run``, ``alerts``, ``dispose`` and ``audit``,
and the hook that re-screens watch sets at the end of ``clearance update``."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from clearance.cli.main import (
    EXIT_INPUT,
    Context,
    JsonOption,
    _console,
    _ctx,
    _print_json,
    handle_errors,
    parse_date,
)
from clearance.errors import InvalidQuery
from clearance.index import MatchIndex
from clearance.match import Hit, Query
from clearance.monitor import (
    RunReport,
    add_party,
    alert_json,
    create_watch_set,
    deliver,
    digest_text,
    dispose_alert,
    import_parties,
    list_alerts,
    record_batch,
    record_screening,
    remove_party,
    replay,
    run_monitor,
)
from clearance.store import Alert, AuditLog, Store, View, WatchStore, local_user

watch_app = typer.Typer(
    help="Watch sets: named collections of parties re-screened on every list change.",
    no_args_is_help=True,
)
monitor_app = typer.Typer(
    help="Incremental re-screening of the watch sets.", no_args_is_help=True
)
audit_app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)


# -- watch sets ----------------------------------------------------------------------------


@watch_app.command("create")
@handle_errors
def watch_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Name of the new watch set.")],
    description: Annotated[str, typer.Option(help="What the set is for.")] = "",
) -> None:
    """Create an empty watch set."""
    with _ctx(ctx).store() as store:
        created = create_watch_set(store, name, description)
    _console().print(f"Watch set [bold]{escape(created.name)}[/bold] created.")


def _mapping(items: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        field, sep, column = item.partition("=")
        if sep == "" or len(field.strip()) == 0 or len(column.strip()) == 0:
            raise InvalidQuery(
                "--map", f"{item!r}: write FIELD=COLUMN, e.g. name='Customer Name'"
            )
        out[field.strip()] = column.strip()
    return out


@watch_app.command("import")
@handle_errors
def watch_import(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Watch set.")],
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV or XLSX: ref, name, schema, country, birth_date, identifier."
        ),
    ],
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map", help="FIELD=COLUMN for other headers, e.g. name='Customer Name'."
        ),
    ] = None,
    json_: JsonOption = False,
) -> None:
    """Add the parties of a file (a party with a known ref is updated)."""
    with _ctx(ctx).store() as store:
        counts, errors = import_parties(store, name, file, _mapping(map_ or []))
    if json_:
        _print_json(
            {
                "added": counts.added,
                "changed": counts.changed,
                "unchanged": counts.unchanged,
                "errors": errors,
            }
        )
    else:
        _console().print(
            f"{counts.added:,} added, {counts.changed:,} changed, {counts.unchanged:,} unchanged, "
            f"{len(errors):,} unusable"
        )
        err = Console(stderr=True, soft_wrap=True)
        for error in errors[:20]:
            err.print(escape(error), highlight=False)
    if len(errors) > 0:
        raise typer.Exit(EXIT_INPUT)


@watch_app.command("add")
@handle_errors
def watch_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Watch set.")],
    party: Annotated[str, typer.Argument(help="The party's name.")],
    ref: Annotated[
        str, typer.Option("--ref", help="Your own reference id for the party.")
    ],
    schema: Annotated[
        str | None,
        typer.Option(help="Person, Organization, Company, Vessel or Aircraft."),
    ] = None,
    country: Annotated[str | None, typer.Option(help="Country (code or name).")] = None,
    birth_date: Annotated[
        str | None, typer.Option("--birth-date", help="YYYY, YYYY-MM or YYYY-MM-DD.")
    ] = None,
    identifier: Annotated[
        str | None, typer.Option(help="ISIN, IMO, passport, ...")
    ] = None,
) -> None:
    """Add one party (or update the one with this ref)."""
    values = {
        "ref": ref,
        "name": party,
        "schema": schema,
        "country": country,
        "birth_date": birth_date,
        "identifier": identifier,
    }
    with _ctx(ctx).store() as store:
        counts = add_party(store, name, values)
    state = "added" if counts.added else "updated" if counts.changed else "unchanged"
    _console().print(f"Party {escape(ref)} {state}.")


@watch_app.command("remove")
@handle_errors
def watch_remove(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Watch set.")],
    ref: Annotated[str, typer.Argument(help="The party's reference id.")],
) -> None:
    """Stop watching one party (its alerts are kept)."""
    with _ctx(ctx).store() as store:
        party = remove_party(store, name, ref)
    _console().print(
        f"Party {escape(party.ref)} ({escape(party.fields.name)}) removed."
    )


@watch_app.command("list")
@handle_errors
def watch_list(ctx: typer.Context, json_: JsonOption = False) -> None:
    """Watch sets with their party counts."""
    with _ctx(ctx).store() as store:
        sets = WatchStore(store).sets()
    if json_:
        _print_json(
            [
                {
                    "name": s.name,
                    "parties": s.parties,
                    "created_at": s.created_at,
                    "description": s.description,
                }
                for s in sets
            ]
        )
        return
    table = Table("Watch set", "Parties", "Created", "Description")
    for item in sets:
        table.add_row(
            escape(item.name),
            f"{item.parties:,}",
            item.created_at,
            escape(item.description),
        )
    _console().print(table)


@watch_app.command("show")
@handle_errors
def watch_show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Watch set.")],
    limit: Annotated[int, typer.Option(help="At most this many parties.")] = 50,
    json_: JsonOption = False,
) -> None:
    """The parties of a watch set and their open alerts."""
    with _ctx(ctx).store() as store:
        watch = WatchStore(store)
        target = watch.get_set(name)
        parties = watch.parties(target.id, limit)
        open_alerts = watch.open_alert_counts(name)
    if json_:
        _print_json(
            {
                "name": target.name,
                "parties": target.parties,
                "shown": [p.summary(open_alerts.get(p.id, 0)) for p in parties],
            }
        )
        return
    table = Table(
        "Ref",
        "Name",
        "Schema",
        "Country",
        "Born",
        "Identifier",
        "Open alerts",
        title=f"{target.name}: {target.parties:,} parties",
    )
    for p in parties:
        f = p.fields
        table.add_row(
            escape(f.ref),
            escape(f.name),
            f.schema or "",
            f.country or "",
            f.birth_date or "",
            escape(f.identifier or ""),
            str(open_alerts.get(p.id, 0)),
        )
    _console().print(table)


# -- monitoring ------------------------------------------------------------------------------


def _notify(
    c: Context,
    store: Store,
    report: RunReport,
    console: Console,
    url: str | None,
    secret: str | None,
    digest: Path | None,
) -> list[str]:
    """Webhook and digest after the run's commit; problems are returned, never raised."""
    notes: list[str] = []
    url = url or c.settings.webhook_url
    secret = secret or c.settings.webhook_secret
    digest = digest or c.settings.digest_file
    if url is not None:
        if secret is None:
            notes.append(
                "webhook not sent: set CLEARANCE_WEBHOOK_SECRET (or --secret) to sign it"
            )
        else:
            delivery = deliver(store, url, secret)
            notes.append(
                f"webhook: {delivery.delivered} message(s) delivered, "
                f"{delivery.failed} failed (kept for retry)"
            )
            notes.extend(delivery.errors[:5])
    if digest is not None:
        title = f"Clearance alerts, monitoring run {report.run_id}"
        digest.write_text(digest_text(report.alerts, title), "utf-8")
        notes.append(f"digest written to {digest}")
    return notes


def _report(console: Console, report: RunReport) -> None:
    work = report.work
    console.print(
        f"Monitoring run {report.run_id}: "
        f"{work.get('list_entities_changed', 0):,} changed list entities, "
        f"{work.get('parties_changed', 0):,} changed parties of "
        f"{work.get('parties_total', 0):,}; "
        f"{work.get('forward_screens', 0):,} party screens, "
        f"{work.get('pairs_scored', 0):,} pairs scored; "
        f"{len(report.alerts):,} new alert(s)",
        highlight=False,
    )
    if len(report.alerts) > 0:
        _alerts_table(console, list(report.alerts))


@monitor_app.command("run")
@handle_errors
def monitor_run(
    ctx: typer.Context,
    full: Annotated[
        bool, typer.Option("--full", help="Re-screen every party, not only changes.")
    ] = False,
    webhook: Annotated[
        str | None,
        typer.Option(help="POST alerts here (default $CLEARANCE_WEBHOOK_URL)."),
    ] = None,
    secret: Annotated[
        str | None,
        typer.Option(help="HMAC secret (default $CLEARANCE_WEBHOOK_SECRET)."),
    ] = None,
    digest: Annotated[
        Path | None,
        typer.Option(help="Write a Markdown digest of the new alerts here."),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            help="Processes screening many changed parties (default: all cores).",
            show_default=False,
        ),
    ] = 0,
    json_: JsonOption = False,
) -> None:
    """Re-screen what changed since the last run: changed list entities against every
    party, changed parties against every list (for cron or a systemd timer)."""
    c = _ctx(ctx)
    console = _console()
    with c.store() as store:
        notify = (webhook or c.settings.webhook_url) is not None
        report = run_monitor(
            store,
            c.settings.home / "index",
            full=full,
            notify=notify,
            workers=workers if workers > 0 else (os.cpu_count() or 1),
        )
        notes = _notify(c, store, report, console, webhook, secret, digest)
    if json_:
        _print_json(
            {
                "run_id": report.run_id,
                "list_versions": dict(report.versions),
                "work": dict(report.work),
                "audit_record": report.audit_id,
                "alerts": [alert_json(a) for a in report.alerts],
                "notes": notes,
            }
        )
        return
    _report(console, report)
    for note in notes:
        console.print(escape(note), highlight=False)


def after_update(
    c: Context, store: Store, console: Console, json_: bool, index: MatchIndex
) -> None:
    """Called at the end of ``clearance update`` when a list changed: re-screen the watch
    sets (with the index the update just built). A failure here is reported and never
    fails the update."""
    if WatchStore(store).party_count() == 0:
        return
    out = Console(stderr=True) if json_ else console
    try:
        report = run_monitor(
            store,
            c.settings.home / "index",
            trigger="update",
            notify=c.settings.webhook_url is not None,
            workers=os.cpu_count() or 1,
            index=index,
        )
        notes = _notify(c, store, report, out, None, None, None)
    except Exception as exc:  # noqa: BLE001 -- the update itself succeeded; say so and go on
        out.print(f"[yellow]monitoring run failed:[/yellow] {escape(str(exc))}")
        return
    _report(out, report)
    for note in notes:
        out.print(escape(note), highlight=False)


# -- alerts and dispositions ---------------------------------------------------------------------


def _alerts_table(console: Console, alerts: list[Alert]) -> None:
    table = Table(
        "Alert", "Kind", "Party", "Listed entity", "Score", "Version", "State"
    )
    for alert in alerts:
        data = alert_json(alert)
        entity = data["entity"]
        assert isinstance(entity, dict)
        decision = alert.disposition
        state = "open" if alert.is_open else "closed"
        if decision is not None:
            state += f" ({decision.decision.value} by {decision.decided_by})"
        table.add_row(
            str(alert.id),
            alert.kind.value.replace("_", " "),
            escape(f"{alert.set_name}/{alert.party.ref}: {alert.party.fields.name}"),
            escape(f"{entity['caption']} ({alert.entity_id})"),
            f"{alert.score:.2f}",
            f"{alert.source} #{alert.version_id}",
            state,
        )
    console.print(table)


def alerts_command(
    ctx: typer.Context,
    open_: Annotated[
        bool,
        typer.Option(
            "--open",
            help="Only open alerts (undecided, under review, or true matches still listed).",
        ),
    ] = False,
    watch: Annotated[
        str | None, typer.Option("--watch", help="Only this watch set.")
    ] = None,
    limit: Annotated[
        int, typer.Option(help="At most this many (newest first); 0 = all.")
    ] = 100,
    json_: JsonOption = False,
) -> None:
    """Monitoring alerts, newest first, with their dispositions."""
    with _ctx(ctx).store() as store:
        alerts = list_alerts(store, open_only=open_, set_name=watch)
    shown = alerts if limit == 0 else alerts[:limit]
    if json_:
        _print_json([alert_json(a) for a in shown])
        return
    if len(shown) == 0:
        _console().print("No alerts.")
        return
    _alerts_table(_console(), shown)


def dispose_command(
    ctx: typer.Context,
    alert: Annotated[int, typer.Argument(help="Alert id.")],
    decision: Annotated[
        str,
        typer.Option("--decision", help="true_match, false_positive or needs_review."),
    ],
    reason: Annotated[
        str, typer.Option("--reason", help="Why (kept in the audit trail).")
    ],
    by: Annotated[
        str | None, typer.Option("--by", help="Who decided (default: the local user).")
    ] = None,
    json_: JsonOption = False,
) -> None:
    """Record a decision on an alert; an earlier decision is kept (versioned)."""
    with _ctx(ctx).store() as store:
        item = dispose_alert(store, alert, decision, reason, by or local_user())
    if json_:
        _print_json(
            {
                "id": item.id,
                "alert_id": item.alert_id,
                "decision": item.decision.value,
                "reason": item.reason,
                "by": item.decided_by,
                "at": item.at,
                "supersedes": item.supersedes,
            }
        )
        return
    note = (
        "" if item.supersedes is None else f" (supersedes decision {item.supersedes})"
    )
    _console().print(
        f"Alert {alert}: {item.decision.value} by {escape(item.decided_by)}{note}."
    )


# -- audit -----------------------------------------------------------------------------------


@audit_app.command("verify")
@handle_errors
def audit_verify(ctx: typer.Context, json_: JsonOption = False) -> None:
    """Recompute the hash chain: exit 1 if any record was edited or deleted."""
    with _ctx(ctx).store() as store:
        check = AuditLog(store).verify()
    if json_:
        _print_json(
            {"ok": check.ok, "checked": check.checked, "problems": list(check.problems)}
        )
    elif check.ok:
        _console().print(
            f"Audit trail intact: {check.checked:,} records, every hash and link verified."
        )
    else:
        err = Console(stderr=True, soft_wrap=True)
        err.print(
            f"[bold red]audit trail broken[/bold red] ({check.checked:,} records checked):"
        )
        for problem in check.problems:
            err.print(f"  {escape(problem)}", highlight=False)
    if not check.ok:
        raise typer.Exit(EXIT_INPUT)


@audit_app.command("export")
@handle_errors
def audit_export(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option("--since", help="From this date (YYYY-MM-DD).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", help="File (default: standard output).")
    ] = None,
) -> None:
    """Audit records as JSON lines (with their hashes, so the chain can be re-checked)."""
    when = None if since is None else parse_date(since, "--since")
    with _ctx(ctx).store() as store:
        lines = (
            json.dumps(r.to_json(), ensure_ascii=False, sort_keys=True) + "\n"
            for r in AuditLog(store).records(when)
        )
        if output is None:
            for line in lines:
                sys.stdout.write(line)
        else:
            with output.open("w", encoding="utf-8") as handle:
                handle.writelines(lines)


@audit_app.command("replay")
@handle_errors
def audit_replay(
    ctx: typer.Context,
    record: Annotated[int, typer.Argument(help="Audit record id of a screening.")],
    json_: JsonOption = False,
) -> None:
    """Re-run a past screening against the list versions it used; exit 1 if the result
    differs from the recorded one."""
    c = _ctx(ctx)
    with c.store() as store:
        result = replay(store, c.settings.home / "index", record)
    payload = result.record.payload
    if json_:
        _print_json(
            {
                "record": record,
                "same": result.same,
                "recorded_digest": payload.get("results_digest"),
                "replayed_digest": result.digest,
                "list_versions": payload.get("list_versions"),
                "hits": [
                    [h.entity.id, round(h.score, 6), h.match] for h in result.hits
                ],
            }
        )
    else:
        console = _console()
        console.print(
            f"Record {record} ({result.record.at}, {escape(result.record.actor)}): query "
            f"{escape(json.dumps(payload.get('query'), ensure_ascii=False))}",
            highlight=False,
        )
        console.print(f"List versions: {payload.get('list_versions')}", highlight=False)
        for hit in result.hits:
            console.print(
                f"  {hit.entity.id}  {escape(hit.entity.caption)}  {hit.score:.3f}"
                + ("  ALERT" if hit.match else ""),
                highlight=False,
            )
        console.print(
            f"Recorded digest {payload.get('results_digest')}\nReplayed digest {result.digest}\n"
            + ("Same result." if result.same else "DIFFERENT result."),
            highlight=False,
        )
    if not result.same:
        raise typer.Exit(EXIT_INPUT)


def audit_check(
    store: Store,
    view: View,
    query: Query,
    hits: list[Hit],
    threshold: float | None,
    limit: int,
    sources: list[str] | None,
) -> None:
    """The audit record of one ``clearance check``."""
    record_screening(
        store,
        view,
        query,
        hits,
        threshold=threshold,
        limit=limit,
        sources=sources or (),
    )


def audit_batch(
    store: Store,
    view: View,
    queries: Path,
    output: Path,
    counts: dict[str, int],
    threshold: float | None,
    limit: int,
) -> None:
    """The audit record of one ``clearance batch``."""
    record_batch(store, view, queries, output, counts, threshold=threshold, limit=limit)


def register(app: typer.Typer) -> None:
    app.add_typer(watch_app, name="watch")
    app.add_typer(monitor_app, name="monitor")
    app.add_typer(audit_app, name="audit")
    app.command("alerts")(handle_errors(alerts_command))
    app.command("dispose")(handle_errors(dispose_command))
