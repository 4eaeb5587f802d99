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


@register("select-database", SelectDatabaseResult)
def run(ctx: StageContext) -> SelectDatabaseResult:
    source = ctx.source()
    ctx.log(f"select-database: reading the catalogue of {source}")
    import_user = getattr(ctx.engagement.source, "import_user", None) or None
    with connect(source) as conn:
        inventory = take(conn, ctx.engagement.source.database, import_user=import_user)
    return SelectDatabaseResult(inventory, assess(inventory))
