"""Stage 1, select database: inventory of the chosen source database and its readiness for import."""

from __future__ import annotations

from dataclasses import dataclass

from pocflow.connections import connect
from pocflow.source.inventory import Inventory, take
from pocflow.source.readiness import Finding, Readiness, assess
from pocflow.stages.context import StageContext
from pocflow.stages.registry import register
from pocflow.stages.table import render


@dataclass
class SelectDatabaseResult:
    inventory: Inventory
    readiness: Readiness

    @property
    def importable(self) -> list[str]:
        return self.readiness.importable

    def to_dict(self) -> dict:
        return {"inventory": self.inventory.to_dict(), "readiness": self.readiness.to_dict()}

    @classmethod
    def from_dict(cls, d: dict) -> SelectDatabaseResult:
        r = d["readiness"]
        readiness = Readiness(
            [Finding(**f) for f in r["findings"]], r["importable"], r["excluded"], r["validation_notes"]
        )
        return cls(Inventory.from_dict(d["inventory"]), readiness)

    def summary(self) -> str:
        inv, r = self.inventory, self.readiness
        head = (
            f"{inv.database} on {inv.flavor} {inv.server.get('version')}: {len(inv.tables)} tables, "
            f"{inv.total_bytes / 1e6:,.1f} MB; {len(r.importable)} importable, {len(r.excluded)} excluded; "
            f"findings: {r.counts()}; {inv.catalogue_queries} catalogue queries"
        )
        rows = [[f.severity, f.id, f.object, f.evidence] for f in r.findings if f.severity != "info"]
        tables = [
            [
                t.name,
                t.engine,
                f"{t.rows_estimate:,}",
                f"{t.total_bytes / 1e6:,.2f}",
                "yes" if t.name in r.importable else "no",
            ]
            for t in inv.tables
        ]
        return "\n".join(
            [
                head,
                "",
                render(["table", "engine", "rows (est.)", "MB", "importable"], tables),
                "",
                render(["severity", "finding", "object", "evidence"], rows or [["-", "-", "-", "-"]]),
            ]
        )


class NothingToImport(ValueError):
    """The chosen database has no table the import could move."""


def nothing_to_import(result: SelectDatabaseResult) -> str | None:
    """Why no table of the database can be imported; None when at least one can."""
    inv, r = result.inventory, result.readiness
    if r.importable:
        return None
    if not inv.tables:
        return (
            f"database {inv.database!r} on {inv.flavor} {inv.server.get('version')} holds no tables: nothing to "
            "import (load the data first, or check source_database)"
        )
    reasons = [f"{name}: {why}" for name, why in sorted(r.excluded.items())]
    shown = "; ".join(reasons[:5]) + (f"; and {len(reasons) - 5} more" if len(reasons) > 5 else "")
    return f"no table of database {inv.database!r} can be imported, every one is excluded: {shown}"


@register("select-database", SelectDatabaseResult)
def run(ctx: StageContext) -> SelectDatabaseResult:
    """The inventory and readiness of the source database; NothingToImport (before any other stage's side
    effect) when no table of it can be imported."""
    source = ctx.source()
    ctx.log(f"select-database: reading the catalogue of {source}")
    import_user = getattr(ctx.engagement.source, "import_user", None) or None
    with connect(source) as conn:
        inventory = take(conn, ctx.engagement.source.database, import_user=import_user)
    result = SelectDatabaseResult(inventory, assess(inventory))
    why = nothing_to_import(result)
    if why:
        raise NothingToImport(why)
    return result
