"""Rich rendering of store answers for the terminal, and their JSON shapes."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text

from clearance.ingest import Outcome
from clearance.match import Hit, Query
from clearance.model import (
    Entity,
    Listing,
    ListVersion,
    describe_effect,
    entity_to_dict,
    list_info,
    listing_to_dict,
)
from clearance.sources import Skipped
from clearance.store import Diff, FieldChange, HistoryEvent, View

# -- JSON shapes -----------------------------------------------------------------------


def version_json(version: ListVersion) -> dict[str, Any]:
    return {
        "id": version.id,
        "source": version.source,
        "published": version.published.isoformat(),
        "published_from": version.published_from,
        "retrieved_at": version.retrieved_at.isoformat(),
        "format": version.format,
        "origin": version.origin,
        "sha256": version.sha256,
        "entity_count": version.entity_count,
        "issue_count": version.issue_count,
    }


def listing_json(listing: Listing) -> dict[str, Any]:
    data = listing_to_dict(listing)
    data["list_title"] = list_info(listing.source).title
    data["legal_effect_text"] = describe_effect(listing.legal_effect)
    return data


def entity_json(
    entity: Entity, view: View, related: Sequence[tuple[Entity, str]] = ()
) -> dict[str, Any]:
    data = entity_to_dict(entity)
    data["caption"] = entity.caption
    data["listings"] = [listing_json(x) for x in entity.listings]
    data["provenance"] = [
        version_json(view.versions[s]) for s in entity.sources if s in view.versions
    ]
    data["related"] = [
        {
            "id": e.id,
            "caption": e.caption,
            "reason": why,
            "listings": [listing_json(x) for x in e.listings],
        }
        for e, why in related
    ]
    return data


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    return {
        "source": outcome.source,
        "origin": outcome.origin,
        "status": outcome.status,
        "published": None
        if outcome.published is None
        else outcome.published.isoformat(),
        "entity_count": outcome.entity_count,
        "issue_count": outcome.issue_count,
        "version_id": outcome.version_id,
        "message": outcome.message,
    }


def diff_json(diff: Diff, limit: int | None) -> dict[str, Any]:
    def cut(items: Sequence[Any]) -> Sequence[Any]:
        return items if limit is None else items[:limit]

    return {
        "source": diff.source,
        "from": version_json(diff.before),
        "to": version_json(diff.after),
        "counts": {
            "added": len(diff.added),
            "removed": len(diff.removed),
            "changed": len(diff.changed),
        },
        "added": [{"id": i, "caption": c} for i, c in cut(diff.added)],
        "removed": [{"id": i, "caption": c} for i, c in cut(diff.removed)],
        "changed": [
            {
                "id": c.entity_id,
                "caption": c.caption,
                "changes": [
                    {
                        "field": f.field,
                        "added": list(f.added),
                        "removed": list(f.removed),
                    }
                    for f in c.changes
                ],
            }
            for c in cut(diff.changed)
        ],
    }


def history_json(
    entity_id: str, timelines: dict[str, list[HistoryEvent]]
) -> dict[str, Any]:
    return {
        "id": entity_id,
        "sources": {
            source: [
                {
                    "event": e.kind,
                    "version": version_json(e.version),
                    "changes": [
                        {
                            "field": f.field,
                            "added": list(f.added),
                            "removed": list(f.removed),
                        }
                        for f in e.changes
                    ],
                }
                for e in events
            ]
            for source, events in timelines.items()
        },
    }


# -- terminal --------------------------------------------------------------------------


def _d(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def lists(
    console: Console,
    view: View,
    effects: dict[str, dict[tuple[str, str], int]],
    version_counts: dict[str, int],
) -> None:
    """Sources with their newest version, then each official list with what it means."""
    table = Table(title="Sources: newest list version of each", title_justify="left")
    table.add_column("source", no_wrap=True)
    table.add_column("authority")
    table.add_column("published", no_wrap=True)
    table.add_column("versions", justify="right")
    table.add_column("entities", justify="right")
    for source, version in sorted(view.versions.items()):
        info = list_info(source)
        table.add_row(
            source,
            info.authority,
            version.published.isoformat(),
            str(version_counts.get(source, 0)),
            f"{version.entity_count:,}",
        )
    console.print(table)
    by_list: dict[str, dict[str, dict[str, int]]] = {}
    for source, counts in effects.items():
        for (code, effect), n in counts.items():
            per_effect = by_list.setdefault(code, {}).setdefault(effect, {})
            per_effect[source] = n
    table = Table(
        title="Official lists: legal effect, entities (source)", title_justify="left"
    )
    table.add_column("list", no_wrap=True)
    table.add_column("name")
    table.add_column("legal effect", no_wrap=True)
    table.add_column("entities (through source)")
    for code in sorted(by_list):
        info = list_info(code)
        first = True
        for effect, per_source in sorted(by_list[code].items()):
            carried = ", ".join(f"{n:,} ({s})" for s, n in sorted(per_source.items()))
            table.add_row(
                code if first else "", info.short if first else "", effect, carried
            )
            first = False
    console.print(table)
    console.print(
        "An entry carried by two sources is one entity; `clearance show ID` states each "
        "legal effect in plain words."
    )


def _listing_panel(listing: Listing) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold")
    grid.add_column()
    info = list_info(listing.source)
    grid.add_row("List", f"{info.title} [{listing.source}]")
    grid.add_row("Authority", listing.authority)
    if len(listing.programs) > 0:
        grid.add_row("Programs", ", ".join(listing.programs))
    grid.add_row(
        "Legal effect",
        f"{listing.legal_effect.value}: {describe_effect(listing.legal_effect)}",
    )
    if listing.listed_on is not None:
        grid.add_row("Listed since", _d(listing.listed_on))
    if listing.effective_on is not None:
        grid.add_row("Effective", _d(listing.effective_on))
    if listing.divestment_on is not None:
        grid.add_row("Divestment by", _d(listing.divestment_on))
    if listing.delisted_on is not None:
        grid.add_row("Delisted", _d(listing.delisted_on))
    if len(listing.federal_register) > 0:
        grid.add_row("Federal Register", "; ".join(listing.federal_register))
    if listing.licence_requirement is not None:
        grid.add_row("Licence requirement", listing.licence_requirement)
    if listing.licence_policy is not None:
        grid.add_row("Licence review policy", listing.licence_policy)
    if listing.authority_ref is not None:
        grid.add_row("Authority ref", listing.authority_ref)
    if listing.via is not None:
        grid.add_row("Via", listing.via)
    return grid


def entity(
    console: Console, entity: Entity, view: View, related: Sequence[tuple[Entity, str]]
) -> None:
    head = Table.grid(padding=(0, 1))
    head.add_column(style="bold")
    head.add_column()
    head.add_row("ID", entity.id)
    head.add_row("Schema", entity.schema.value)
    names = Table("kind", "name", "script", box=None, show_header=True)
    for name in entity.names:
        names.add_row(name.kind.value, name.value, name.script or "")
    parts: list[Any] = [head, Text(""), Text("Names", style="bold underline"), names]
    facts = Table.grid(padding=(0, 1))
    facts.add_column(style="bold")
    facts.add_column()
    for ident in entity.identifiers:
        label = ident.label or ident.scheme.value
        extra = " ".join(x for x in (ident.country or "", ident.note or "") if x)
        facts.add_row(label, f"{ident.value} {extra}".strip())
    simple = (
        ("Birth dates", ", ".join(str(d) for d in entity.birth_dates)),
        ("Birth places", "; ".join(entity.birth_places)),
        ("Nationalities", ", ".join(entity.nationalities)),
        ("Citizenships", ", ".join(entity.citizenships)),
        ("Countries", ", ".join(entity.countries)),
        ("Gender", entity.gender or ""),
        ("Titles", "; ".join(entity.titles)),
    )
    for label, value in simple:
        if value:
            facts.add_row(label, value)
    if entity.vessel is not None:
        v = entity.vessel
        facts.add_row(
            "Vessel",
            ", ".join(
                f"{k}: {x}"
                for k, x in (
                    ("type", v.vessel_type),
                    ("flag", v.flag),
                    ("owner", v.owner),
                    ("tonnage", v.tonnage),
                    ("GRT", v.gross_registered_tonnage),
                )
                if x
            ),
        )
    for address in entity.addresses:
        facts.add_row("Address", address.full)
    for relation in entity.relations:
        target = relation.target_name + (
            f" [{relation.target_id}]" if relation.target_id else ""
        )
        facts.add_row(f"Relation ({relation.kind})", target)
    for fact in entity.facts:
        facts.add_row(fact.label, fact.value)
    if entity.remarks:
        facts.add_row("Remarks", entity.remarks)
    if facts.row_count > 0:
        parts += [Text(""), Text("Details", style="bold underline"), facts]
    sources = Table.grid(padding=(0, 1))
    for source in entity.sources:
        version = view.versions.get(source)
        when = (
            "" if version is None else f"version #{version.id} of {version.published}"
        )
        sources.add_row(source, when)
    parts += [Text(""), Text("From", style="bold underline"), sources]
    console.print(Panel(Group(*parts), title=entity.caption, title_align="left"))
    for listing in entity.listings:
        console.print(
            Panel(_listing_panel(listing), title="Listing", title_align="left")
        )
    if len(related) > 0:
        table = Table(
            title="Also listed (same party on other lists)", title_justify="left"
        )
        table.add_column("id", no_wrap=True)
        table.add_column("name")
        table.add_column("lists and effect")
        table.add_column("why")
        for other, why in related:
            effects = "; ".join(
                f"{x.source} {x.legal_effect.value}"
                + (f" since {x.listed_on}" if x.listed_on else "")
                for x in other.listings
            )
            table.add_row(other.id, other.caption, effects, why)
        console.print(table)


def found(console: Console, results: Sequence[tuple[Entity, str]]) -> None:
    table = Table(title=f"{len(results)} found", title_justify="left")
    table.add_column("id", no_wrap=True)
    table.add_column("name (schema)", overflow="fold")
    table.add_column("lists (listed since)", overflow="fold")
    table.add_column("found by", overflow="fold")
    for ent, how in results:
        lists_text = "\n".join(
            sorted(
                {
                    x.source + (f" ({x.listed_on})" if x.listed_on else "")
                    for x in ent.listings
                }
            )
        )
        table.add_row(ent.id, f"{ent.caption} ({ent.schema.value})", lists_text, how)
    console.print(table)


def _change_text(change: FieldChange, width: int = 70) -> str:
    if change.field == "remarks":
        return "remarks reworded"
    items = [f"+{x}" for x in change.added[:4]] + [f"-{x}" for x in change.removed[:4]]
    more = len(change.added) + len(change.removed) - len(items)
    text = "; ".join(x if len(x) <= width else x[: width - 1] + "…" for x in items)
    return f"{change.field}: {text}" + (f" (+{more} more)" if more > 0 else "")


def history(
    console: Console, entity_id: str, timelines: dict[str, list[HistoryEvent]]
) -> None:
    for source, events in timelines.items():
        table = Table(title=f"{entity_id} in {source}", title_justify="left")
        table.add_column("published", no_wrap=True)
        table.add_column("version", no_wrap=True)
        table.add_column("event", no_wrap=True)
        table.add_column("what changed")
        for event in events:
            what = "\n".join(_change_text(c) for c in event.changes)
            table.add_row(
                event.version.published.isoformat(),
                f"#{event.version.id}",
                event.kind,
                what,
            )
        console.print(table)


def diff(console: Console, result: Diff, limit: int | None) -> None:
    console.print(
        f"[bold]{result.source}[/bold]: version #{result.before.id} "
        f"({result.before.published}) -> #{result.after.id} ({result.after.published}): "
        f"[green]{len(result.added)} added[/green], [red]{len(result.removed)} removed[/red], "
        f"[yellow]{len(result.changed)} changed[/yellow]"
    )

    def cut(n: int) -> int:
        return n if limit is None else min(n, limit)

    for title, rows in (("Added", result.added), ("Removed", result.removed)):
        if len(rows) == 0:
            continue
        table = Table(title=f"{title} ({len(rows)})", title_justify="left")
        table.add_column("id", no_wrap=True)
        table.add_column("name")
        for entity_id, caption in rows[: cut(len(rows))]:
            table.add_row(entity_id, caption)
        console.print(table)
    if len(result.changed) > 0:
        table = Table(title=f"Changed ({len(result.changed)})", title_justify="left")
        table.add_column("id", no_wrap=True)
        table.add_column("name")
        table.add_column("fields")
        for change in result.changed[: cut(len(result.changed))]:
            table.add_row(
                change.entity_id,
                change.caption,
                ", ".join(c.field for c in change.changes),
            )
        console.print(table)
    if (
        limit is not None
        and max(len(result.added), len(result.removed), len(result.changed)) > limit
    ):
        console.print(f"(first {limit} of each shown; --limit 0 shows all)")


@contextmanager
def download_progress(
    console: Console, disable: bool = False
) -> Iterator[Callable[[str, int, int | None], None]]:
    """A rich progress bar per downloaded URL; yields the fetcher's progress callback."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=disable,
        transient=False,
    )
    tasks: dict[str, TaskID] = {}

    def update(url: str, done: int, total: int | None) -> None:
        if url not in tasks:
            tasks[url] = progress.add_task(url.rsplit("/", 1)[-1], total=total)
        progress.update(tasks[url], completed=done, total=total)

    with progress:
        yield update


@contextmanager
def batch_progress(console: Console, total: int) -> Iterator[Callable[[], None]]:
    """A progress bar with rows/s and ETA; yields a function to call once per row."""
    progress = Progress(
        TextColumn("screening"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.completed} rows"),
        TimeRemainingColumn(),
        console=console,
    )
    task = progress.add_task("rows", total=total)

    def advance() -> None:
        progress.advance(task)

    with progress:
        yield advance


def hits(
    console: Console,
    query: Query,
    results: Sequence[Hit],
    related: dict[str, list[tuple[Entity, str]]] | None = None,
) -> None:
    """Hits of one screening: score, decision, matched name, evidence, listings, and the
    same party's entries on other lists (for alerted hits)."""
    if len(results) == 0:
        shown = query.name if len(query.name) <= 80 else f"{query.name[:79]}…"
        console.print(
            f"No candidate for {escape(repr(shown))}: nothing on the lists is close."
        )
        return
    for hit in results:
        entity = hit.entity
        flag = "[bold red]MATCH[/bold red]" if hit.match else "[dim]no match[/dim]"
        lines = Table.grid(padding=(0, 1))
        lines.add_column(style="bold")
        lines.add_column()
        lines.add_row("Score", f"{hit.score:.2f} {flag}")
        lines.add_row("ID", entity.id)
        if hit.matched_name is not None:
            lines.add_row("Matched name", escape(hit.matched_name))
        for ev in hit.evidence:
            detail = ev.detail or ""
            lines.add_row(
                f"Why ({ev.feature})", f"{escape(detail)} [dim]({ev.score:+.2f})[/dim]"
            )
        for listing in entity.listings:
            since = f", listed {listing.listed_on}" if listing.listed_on else ""
            lines.add_row(
                "Listing",
                escape(
                    f"{list_info(listing.source).short} [{listing.source}]"
                    f" {', '.join(listing.programs)}: {listing.legal_effect.value}{since}"
                ),
            )
            lines.add_row("", describe_effect(listing.legal_effect))
        shown_ids = {h.entity.id for h in results}
        for other, why in (related or {}).get(entity.id, []):
            if other.id in shown_ids:
                continue
            effects = "; ".join(
                f"{x.source} {x.legal_effect.value}"
                + (f" since {x.listed_on}" if x.listed_on else "")
                for x in other.listings
            )
            lines.add_row(
                "Also listed", escape(f"{other.id} {other.caption}: {effects} ({why})")
            )
        console.print(Panel(lines, title=escape(entity.caption), title_align="left"))


def _short_origin(origin: str) -> str:
    """``.../2021-07-07/add.csv, ...`` -> ``2021-07-07/ (4 files)``."""
    paths = [Path(p) for p in origin.split(", ")]
    if len(paths) > 1:
        return f"{paths[0].parent.name}/ ({len(paths)} files)"
    return f"{paths[0].parent.name}/{paths[0].name}"


def outcomes(
    console: Console, items: Sequence[Outcome], skipped: Sequence[Skipped]
) -> None:
    table = Table(title="Update: one row per source file", title_justify="left")
    table.add_column("source", no_wrap=True)
    table.add_column("published", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("entities", justify="right")
    table.add_column("issues", justify="right")
    table.add_column("file, or why refused / failed")
    styles = {
        "added": "green",
        "unchanged": "dim",
        "refused": "yellow",
        "failed": "red",
        "unavailable": "red",
        "not_modified": "dim",
    }
    for o in items:
        note = (
            _short_origin(o.origin) if o.status in ("added", "unchanged") else o.message
        )
        table.add_row(
            o.source,
            _d(o.published),
            Text(o.status, style=styles.get(o.status, "")),
            f"{o.entity_count:,}",
            str(o.issue_count),
            note,
        )
    console.print(table)
    for item in skipped:
        console.print(f"[dim]skipped {item.path}: {item.reason}[/dim]", highlight=False)
    summary: dict[str, int] = {}
    for o in items:
        summary[o.status] = summary.get(o.status, 0) + 1
    console.print(
        ", ".join(f"{n} {k}" for k, n in sorted(summary.items()))
        + (f"; {len(skipped)} files skipped" if skipped else "")
    )


def versions(console: Console, items: Sequence[ListVersion]) -> None:
    table = Table(title="List versions", title_justify="left")
    for column in ("id", "source", "published", "from", "entities", "issues", "origin"):
        table.add_column(column)
    for v in items:
        table.add_row(
            str(v.id),
            v.source,
            v.published.isoformat(),
            v.published_from,
            f"{v.entity_count:,}",
            str(v.issue_count),
            v.origin,
        )
    console.print(table)
