"""``clearance serve`` (the HTTP API and web UI) and ``clearance apikey`` (API keys)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from clearance.cli.main import JsonOption, _ctx, _print_json, handle_errors
from clearance.store import create_api_key, list_api_keys, revoke_api_key

apikey_app = typer.Typer(
    help="API keys of the HTTP API (stored hashed; a key is shown once).",
    no_args_is_help=True,
)


@handle_errors
def serve_command(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers_threads: Annotated[
        int | None,
        typer.Option(
            "--workers-threads",
            help="Threads that run requests (default: $CLEARANCE_API_WORKERS or 8).",
        ),
    ] = None,
    processes: Annotated[
        int,
        typer.Option(
            help="Server processes, each with its own index in memory (about 1 GB "
            "each with every list loaded): more throughput on several cores."
        ),
    ] = 1,
) -> None:
    """Serve the HTTP API (docs at /docs) and the web UI (at /ui) until interrupted."""
    from clearance.server import serve  # only this command needs the server

    settings = _ctx(ctx).settings
    if workers_threads is not None:
        if workers_threads < 1:
            raise typer.BadParameter(
                "must be at least 1", param_hint="--workers-threads"
            )
        settings = settings.model_copy(update={"api_workers": workers_threads})
    serve(settings, host=host, port=port, processes=processes)


@apikey_app.command("create")
@handle_errors
def apikey_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Who or what holds the key.")],
    role: Annotated[
        str, typer.Option(help="reader (read), analyst (dispose alerts), admin (all).")
    ] = "reader",
    json_: JsonOption = False,
) -> None:
    """Create a key; it is printed once and only its hash is stored."""
    with _ctx(ctx).store() as store:
        record, key = create_api_key(store, name, role)
    if json_:
        _print_json(
            {"id": record.id, "prefix": record.prefix, "role": record.role, "key": key}
        )
        return
    console = Console(soft_wrap=True)
    console.print(
        f"API key {record.prefix} ({record.role}) for {record.name}:", highlight=False
    )
    console.print(key, highlight=False)
    console.print("Store it now: it cannot be shown again.", highlight=False)


@apikey_app.command("list")
@handle_errors
def apikey_list(ctx: typer.Context, json_: JsonOption = False) -> None:
    """Every key: prefix, holder, role, created and revoked dates (never the key)."""
    with _ctx(ctx).store() as store:
        keys = list_api_keys(store)
    if json_:
        _print_json(
            [
                {
                    "id": k.id,
                    "prefix": k.prefix,
                    "name": k.name,
                    "role": k.role,
                    "created_at": k.created_at.isoformat(),
                    "revoked_at": None
                    if k.revoked_at is None
                    else k.revoked_at.isoformat(),
                }
                for k in keys
            ]
        )
        return
    table = Table("id", "prefix", "name", "role", "created", "revoked")
    for k in keys:
        revoked = "" if k.revoked_at is None else k.revoked_at.isoformat()
        table.add_row(
            str(k.id), k.prefix, k.name, k.role, k.created_at.isoformat(), revoked
        )
    Console(soft_wrap=False).print(table)


@apikey_app.command("revoke")
@handle_errors
def apikey_revoke(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The key's id or prefix (clr_...).")],
) -> None:
    """Revoke a key for good."""
    with _ctx(ctx).store() as store:
        record = revoke_api_key(store, key)
    Console(soft_wrap=True).print(f"API key {record.prefix} revoked.", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
    app.add_typer(apikey_app, name="apikey")
