"""The ``clearance`` command line: parse arguments, call one service, render the answer.

Exit codes: 0 success; 1 bad input or nothing found (unknown id, bad date, empty store, missing
folder); 2 usage error; 3 a source file failed to import or was refused; 4 a source could not be
downloaded.
"""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from clearance.cli import render
from clearance.errors import (
    ClearanceError,
    ImportRefused,
    InvalidQuery,
    NotFound,
    SourceFormatError,
    SourceUnavailable,
)
from clearance.ingest import update_from_directory, update_from_official
from clearance.match import Hit, Lexicon, Query
from clearance.model import Schema, parse_partial_date
from clearance.screen import (
    NeutralLexicon,
    RowResult,
    Screener,
    compare_pairs,
    load_index,
    pair_json,
    result_json,
)
from clearance.settings import load_settings
from clearance.sources import OFFICIAL, HttpFetcher
from clearance.store import Store, View, diff_versions, entity_history

app = typer.Typer(
    name="clearance",
    help="Restricted-party and sanctions screening over versioned official lists.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_INPUT, EXIT_IMPORT, EXIT_FETCH = 1, 3, 4

P = ParamSpec("P")
R = TypeVar("R")


def _console() -> Console:
    return Console(soft_wrap=False)


def _fail(message: str, code: int) -> typer.Exit:
    Console(stderr=True, soft_wrap=True).print(
        f"[bold red]error:[/bold red] {escape(message)}", highlight=False
    )
    return typer.Exit(code)


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Translate Clearance errors into one line on stderr and a documented exit code."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except (InvalidQuery, NotFound) as exc:
            raise _fail(str(exc), EXIT_INPUT) from None
        except (SourceFormatError, ImportRefused) as exc:
            raise _fail(str(exc), EXIT_IMPORT) from None
        except SourceUnavailable as exc:
            raise _fail(str(exc), EXIT_FETCH) from None
        except ClearanceError as exc:
            raise _fail(str(exc), EXIT_INPUT) from None
        except BrokenPipeError:
            # `clearance ... | head`: the reader left; stop quietly
            sys.stderr.close()
            raise typer.Exit(0) from None

    return wrapper


class Context:
    def __init__(self, home: Path | None) -> None:
        self.settings = load_settings(home)

    def store(self) -> Store:
        return Store.open(self.settings.home, self.settings.database_url)

    def view(self, store: Store, as_of: str | None) -> View:
        view = (
            store.current()
            if as_of is None
            else store.as_of(parse_date(as_of, "--as-of"))
        )
        if view.is_empty:
            if len(store.sources()) == 0:
                raise NotFound(
                    "list versions in",
                    store.where,
                    "the store is empty: run `clearance update` first",
                )
            raise NotFound(
                "list versions", f"on {as_of}", "no list was published by then"
            )
        return view


def parse_date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidQuery(option, f"{text!r} is not a date (YYYY-MM-DD)") from None


def _ctx(ctx: typer.Context) -> Context:
    obj = ctx.obj
    assert isinstance(obj, Context)
    return obj


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home", help="Data directory (default: $CLEARANCE_HOME or the user data dir)."
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON (ISO 8601 dates).")
]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="Answer as the lists stood on this date.")
]


@app.callback()
def main(ctx: typer.Context, home: HomeOption = None) -> None:
    """Clearance: restricted-party and sanctions screening over versioned official lists."""
    ctx.obj = Context(home)


@app.command("lists")
@handle_errors
def lists_command(
    ctx: typer.Context, as_of: AsOfOption = None, json_: JsonOption = False
) -> None:
    """Sources, their newest version, publication date and entity counts by list."""
    c = _ctx(ctx)
    with c.store() as store:
        view = c.view(store, as_of)
        counts = {
            s: store.entity_counts_by_list(v.id) for s, v in view.versions.items()
        }
        effects = {s: store.effect_counts(v.id) for s, v in view.versions.items()}
        version_counts: dict[str, int] = {}
        for version in store.versions():
            if view.as_of is None or version.published <= view.as_of:
                version_counts[version.source] = (
                    version_counts.get(version.source, 0) + 1
                )
        if json_:
            _print_json(
                {
                    "as_of": None if view.as_of is None else view.as_of.isoformat(),
                    "sources": [
                        {
                            **render.version_json(v),
                            "versions": version_counts.get(s, 0),
                            "entities_by_list": counts[s],
                            "entities_by_effect": [
                                {"list": code, "legal_effect": effect, "entities": n}
                                for (code, effect), n in sorted(effects[s].items())
                            ],
                        }
                        for s, v in sorted(view.versions.items())
                    ],
                }
            )
            return
        render.lists(_console(), view, effects, version_counts)


@app.command("versions")
@handle_errors
def versions_command(
    ctx: typer.Context,
    source: Annotated[str | None, typer.Argument(help="Only this source.")] = None,
    json_: JsonOption = False,
) -> None:
    """Every stored list version, in publication order."""
    c = _ctx(ctx)
    with c.store() as store:
        items = store.versions(source)
        if source is not None and len(items) == 0:
            raise NotFound("source", source, "known: " + ", ".join(store.sources()))
        if json_:
            _print_json([render.version_json(v) for v in items])
            return
        render.versions(_console(), items)


@app.command("show")
@handle_errors
def show_command(
    ctx: typer.Context,
    entity: Annotated[
        str, typer.Argument(help="Entity id (e.g. us_ofac_sdn:36) or exact name.")
    ],
    as_of: AsOfOption = None,
    json_: JsonOption = False,
) -> None:
    """All fields of an entity and every listing with its legal effect and dates."""
    c = _ctx(ctx)
    with c.store() as store:
        view = c.view(store, as_of)
        entities = view.resolve(entity)
        if json_:
            _print_json(
                [render.entity_json(e, view, view.related(e)) for e in entities]
            )
            return
        console = _console()
        for item in entities:
            render.entity(console, item, view, view.related(item))


@app.command("find")
@handle_errors
def find_command(
    ctx: typer.Context,
    text: Annotated[
        str, typer.Argument(help="A name, part of a name, or an identifier.")
    ],
    limit: Annotated[int, typer.Option(help="At most this many results.")] = 20,
    as_of: AsOfOption = None,
    json_: JsonOption = False,
) -> None:
    """Look up entities by normalised name (exact, prefix, all words) or identifier."""
    c = _ctx(ctx)
    with c.store() as store:
        view = c.view(store, as_of)
        results = view.find(text, limit=limit)
        if json_:
            _print_json(
                [
                    {
                        "id": e.id,
                        "caption": e.caption,
                        "schema": e.schema.value,
                        "found_by": how,
                        "listings": [render.listing_json(x) for x in e.listings],
                    }
                    for e, how in results
                ]
            )
            return
        render.found(_console(), results)
        if len(results) == 0:
            raise typer.Exit(EXIT_INPUT)


@app.command("history")
@handle_errors
def history_command(
    ctx: typer.Context,
    entity_id: Annotated[str, typer.Argument(help="Entity id, e.g. us_ofac_sdn:36.")],
    json_: JsonOption = False,
) -> None:
    """An entity's timeline across list versions: listed, changed field by field, delisted."""
    c = _ctx(ctx)
    with c.store() as store:
        timelines = entity_history(store, entity_id)
        if json_:
            _print_json(render.history_json(entity_id, timelines))
            return
        render.history(_console(), entity_id, timelines)


@app.command("diff")
@handle_errors
def diff_command(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="Source, e.g. us_ofac_sdn.")],
    from_: Annotated[
        str | None,
        typer.Option("--from", help="Version id or date (default: the one before)."),
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="Version id or date (default: newest).")
    ] = None,
    limit: Annotated[int, typer.Option(help="Rows per table; 0 = all.")] = 50,
    json_: JsonOption = False,
) -> None:
    """Entities added, removed and changed (with the changed fields) between two versions."""
    c = _ctx(ctx)
    with c.store() as store:
        versions = store.versions(source)
        if len(versions) == 0:
            raise NotFound("source", source, "known: " + ", ".join(store.sources()))
        after = versions[-1] if to is None else store.resolve_version(source, to)
        if from_ is None:
            earlier = [
                v for v in versions if (v.published, v.id) < (after.published, after.id)
            ]
            if len(earlier) == 0:
                raise NotFound("earlier version", f"{source} before #{after.id}")
            before = earlier[-1]
        else:
            before = store.resolve_version(source, from_)
        result = diff_versions(store, before, after)
        cap = None if limit == 0 else limit
        if json_:
            _print_json(render.diff_json(result, None))
            return
        render.diff(_console(), result, cap)


@app.command("update")
@handle_errors
def update_command(
    ctx: typer.Context,
    from_: Annotated[
        Path | None,
        typer.Option(
            "--from", help="Import official files from this folder (air-gapped)."
        ),
    ] = None,
    source: Annotated[
        list[str] | None,
        typer.Option("--source", help="Only these sources (downloads)."),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="Glob of paths under --from to skip."),
    ] = None,
    published: Annotated[
        str | None, typer.Option("--published", help="Publication date of the files.")
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Import even a version that loses >20 % entities."
        ),
    ] = False,
    json_: JsonOption = False,
) -> None:
    """Download every source from its official URL, or import a folder with --from."""
    c = _ctx(ctx)
    when = None if published is None else parse_date(published, "--published")
    console = _console()
    with c.store() as store:
        if from_ is not None:
            if not from_.exists():
                raise InvalidQuery("--from", f"no such folder: {from_}")
            if not json_:
                console.print(f"Importing official files from [bold]{from_}[/bold]")
            with console.status("importing…") as status:
                outcomes, skipped = update_from_directory(
                    store,
                    from_,
                    exclude=exclude or (),
                    force=force,
                    published=when,
                    on_outcome=lambda o: status.update(
                        f"{o.source} {o.published}: {o.status}"
                    ),
                )
        else:
            names = source or [s.source for s in OFFICIAL]
            if not json_:
                console.print("Downloading from the official URLs: " + ", ".join(names))
            with render.download_progress(console, disable=json_) as on_progress:
                outcomes = update_from_official(
                    store,
                    HttpFetcher(on_progress=on_progress),
                    names,
                    c.settings.home / "http_validators.json",
                    force=force,
                )
            skipped = []
        if json_:
            _print_json(
                {
                    "outcomes": [render.outcome_json(o) for o in outcomes],
                    "skipped": [{"path": s.path, "reason": s.reason} for s in skipped],
                }
            )
        else:
            render.outcomes(console, outcomes, skipped)
        if any(o.status == "added" for o in outcomes) and not store.current().is_empty:
            # the lists changed: rebuild the screening index now, not at the first check
            started = time.perf_counter()
            with console.status("rebuilding the screening index…"):
                index = load_index(store.current(), c.settings.home / "index")
            if not json_:
                console.print(
                    f"Screening index rebuilt in {time.perf_counter() - started:.1f} s."
                )
            after_update(c, store, console, json_, index)  # re-screen the watch sets
        if any(o.status == "failed" for o in outcomes):
            raise typer.Exit(EXIT_IMPORT)
        if any(o.status == "unavailable" for o in outcomes):
            raise typer.Exit(EXIT_FETCH)


def _screener(c: Context, store: Store, as_of: str | None) -> Screener:
    return Screener(c.view(store, as_of), c.settings.home / "index")


@app.command("check")
@handle_errors
def check_command(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(help="Name (any script) or identifier to screen.")
    ],
    schema: Annotated[
        str | None,
        typer.Option(help="Person, Organization, Company, Vessel or Aircraft."),
    ] = None,
    country: Annotated[
        str | None, typer.Option(help="ISO alpha-2 country code.")
    ] = None,
    birth_date: Annotated[
        str | None, typer.Option("--birth-date", help="YYYY, YYYY-MM or YYYY-MM-DD.")
    ] = None,
    identifier: Annotated[
        str | None, typer.Option(help="ISIN, ticker, USCC, IMO, passport, ...")
    ] = None,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Only these lists or sources.")
    ] = None,
    as_of: AsOfOption = None,
    threshold: Annotated[
        float | None,
        typer.Option(help="Alert threshold (default: the calibrated one)."),
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many hits.")] = 5,
    json_: JsonOption = False,
) -> None:
    """Screen one name: hits with score, the matched name, evidence and every listing."""
    c = _ctx(ctx)
    schema_value = None
    if schema is not None:
        options = {s.value.lower(): s for s in Schema}
        schema_value = options.get(schema.lower())
        if schema_value is None:
            raise InvalidQuery(
                "--schema", f"{schema!r}: use one of {', '.join(options)}"
            )
    birth = None
    if birth_date is not None:
        birth = parse_partial_date(birth_date)
        if birth is None:
            raise InvalidQuery("--birth-date", f"{birth_date!r} is not YYYY[-MM[-DD]]")
    if len(name.strip()) == 0 and identifier is None:
        raise InvalidQuery("name", "empty name and no --identifier")
    query = Query(
        name=name.strip(),
        schema=schema_value,
        country=None if country is None else country.lower(),
        birth_date=birth,
        identifier=identifier,
    )
    with c.store() as store:
        screener = _screener(c, store, as_of)
        hits = screener.screen(
            query,
            threshold=threshold,
            limit=limit,
            sources=None if not source else frozenset(source),
        )
        audit_check(store, screener.view, query, hits, threshold, limit, source)
        related = {
            h.entity.id: screener.view.related(h.entity) for h in hits if h.match
        }
        if json_:
            data = result_json(_one_result(hits))
            for hit_json in data["hits"]:
                hit_json["related"] = [
                    {"id": e.id, "caption": e.caption, "reason": why}
                    for e, why in related.get(hit_json["id"], [])
                ]
            _print_json(data)
            return
        render.hits(_console(), query, hits, related)
        if not any(h.match for h in hits):
            raise typer.Exit(0)


def _one_result(hits: list[Hit]) -> RowResult:
    return RowResult(1, "1", tuple(hits))


@app.command("compare")
@handle_errors
def compare_command(
    ctx: typer.Context,
    pairs: Annotated[
        Path, typer.Argument(help='JSON lines {"id", "left", "right"} of FtM entities.')
    ],
    output: Annotated[Path, typer.Option("--output", help="JSON lines, one per pair.")],
    threshold: Annotated[float | None, typer.Option(help="Alert threshold.")] = None,
) -> None:
    """Score pairs of FollowTheMoney entities with the screening features and weights:
    left as the query, right as the listed entity. Writes one JSON line per pair (bad
    lines included, with their error) and prints a summary."""
    c = _ctx(ctx)
    if not pairs.is_file():
        raise InvalidQuery("PAIRS", f"no such file: {pairs}")
    console = Console(stderr=True, soft_wrap=True)
    with c.store() as store:
        view = store.current()
        lexicon: Lexicon = NeutralLexicon()
        if view.is_empty:
            console.print(
                "word rarity: neutral (no lists in the store)", highlight=False
            )
        else:
            lexicon = load_index(view, c.settings.home / "index")
            console.print(
                f"word rarity: from the store's index ({len(view.versions)} sources)",
                highlight=False,
            )
    counts = {"pairs": 0, "matches": 0, "errors": 0}
    with pairs.open("rb") as lines, output.open("w", encoding="utf-8") as handle:
        for result in compare_pairs(lexicon, lines, threshold=threshold):
            handle.write(json.dumps(pair_json(result), ensure_ascii=False) + "\n")
            counts["pairs"] += 1
            counts["errors"] += result.error is not None
            counts["matches"] += result.hit is not None and result.hit.match
    console.print(
        f"{counts['pairs']:,} pairs compared, {counts['matches']:,} matched, "
        f"{counts['errors']:,} unusable (see 'error' in {output})",
        highlight=False,
    )
    if counts["errors"] > 0:
        raise typer.Exit(EXIT_INPUT)


# monitoring, alerts and audit commands live in their own module, which imports this one
from clearance.cli.monitor import (  # noqa: E402
    after_update,
    audit_check,
)
from clearance.cli.monitor import register as register_monitor  # noqa: E402
from clearance.cli.serve import register as register_serve  # noqa: E402 -- uses this module

register_monitor(app)
register_serve(app)
from clearance.cli import batch as _batch  # noqa: E402 -- registers on the app above

_batch.register(app)

if __name__ == "__main__":  # pragma: no cover
    app()
