"""MoveTables: the Vitess workflow that imports tables from the source keyspace into a target keyspace."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

from pocflow.source.inventory import Inventory
from pocflow.vitess import copywait
from pocflow.vitess.vtctldclient import NotApproved, Vtctld, VtctldError


def copy_options(inventory: Inventory, tables: Sequence[str]) -> list[str]:
    """`MoveTables create` flags the tables' shape asks for.

    Vitess defers secondary keys by default: it drops them on the target before the copy and adds
    them back after. MySQL refuses to drop an index a foreign key needs (errno 1553, and the stream
    then stops on a duplicate post-copy action), so a workflow holding a table with a foreign key, or
    one a foreign key refers to, copies with its keys in place.
    """
    moved = set(tables)
    related = {t.name for t in inventory.tables if t.name in moved and t.foreign_keys}
    related |= {fk.referenced_table for t in inventory.tables if t.name in moved for fk in t.foreign_keys}
    return ["--defer-secondary-keys=false"] if related & moved else []


class WorkflowError(RuntimeError):
    """A workflow stream is in error; the message carries Vitess's own text."""


@dataclass(frozen=True)
class TableCopy:
    table: str
    rows_copied: int
    rows_total: int
    rows_percentage: float
    phase: str  # NOT_STARTED | IN_PROGRESS | COMPLETE


@dataclass(frozen=True)
class Stream:
    shard: str
    id: int
    tablet: str
    source_shard: str
    status: str  # Copying | Running | Stopped | Error: ...
    info: str
    position: str

    @property
    def in_error(self) -> bool:
        return self.status.lower().startswith("error")

    @property
    def lag_seconds(self) -> float | None:
        """From ``info`` ("VStream Lag: 3s; ..."); None when Vitess does not report it (or reports -1s)."""
        for part in self.info.split(";"):
            part = part.strip()
            if part.startswith("VStream Lag:"):
                value = part.split(":", 1)[1].strip().rstrip("s")
                try:
                    lag = float(value)
                except ValueError:
                    return None
                return lag if lag >= 0 else None  # Vitess says -1s when it does not know
        return None


@dataclass(frozen=True)
class WorkflowStatus:
    workflow: str
    target_keyspace: str
    tables: list[TableCopy]
    streams: list[Stream]
    traffic_state: str

    @property
    def traffic(self) -> TrafficState:
        return TrafficState(self.traffic_state)

    @property
    def copy_complete(self) -> bool:
        """Every table copied and every stream replicating. Right after a create Vitess shows no copy state
        and a "Running" stream that has not started ("VStream has not started", no position yet): that
        is not a finished copy."""
        return (
            all(t.phase == "COMPLETE" for t in self.tables)
            and bool(self.streams)
            and all(s.status == "Running" and s.position and "has not started" not in s.info for s in self.streams)
        )

    @property
    def errors(self) -> list[str]:
        return [f"{s.shard} stream {s.id}: {s.status} {s.info}".strip() for s in self.streams if s.in_error]

    @property
    def max_lag_seconds(self) -> float | None:
        lags = [s.lag_seconds for s in self.streams if s.lag_seconds is not None]
        return max(lags) if lags else None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class TrafficState:
    """Where a workflow's traffic goes, from Vitess's ``traffic_state`` text ("All Reads Switched. Writes
    Not Switched", "Reads partially switched. ...", "Reads Not Switched. Writes Switched", ...)."""

    text: str

    @property
    def reads_switched(self) -> bool:
        """Every read type (replica and rdonly, in every cell) goes to the target."""
        return self.text.lower().startswith("all reads switched")

    @property
    def writes_switched(self) -> bool:
        return "writes switched" in self.text.lower() and "writes not switched" not in self.text.lower()

    @property
    def untouched(self) -> bool:
        """Neither reads (of any type, in any cell) nor writes go to the target."""
        t = self.text.lower()
        return "reads not switched" in t and "writes not switched" in t

    def __str__(self) -> str:
        return self.text


def parse_status(workflow: str, target_keyspace: str, data: dict) -> WorkflowStatus:
    """The JSON of ``MoveTables status --format json`` as a typed value."""
    tables = [
        TableCopy(
            table=name,
            rows_copied=int(t.get("rows_copied", 0)),
            rows_total=int(t.get("rows_total", 0)),
            rows_percentage=float(t.get("rows_percentage", 0.0)),
            phase=t.get("phase", "NOT_STARTED"),
        )
        for name, t in sorted((data.get("table_copy_state") or {}).items())
    ]
    streams = []
    for shard, entry in sorted((data.get("shard_streams") or {}).items()):
        for s in entry.get("streams") or []:
            tablet = s.get("tablet") or {}
            streams.append(
                Stream(
                    shard=shard,
                    id=int(s.get("id", 0)),
                    tablet=f"{tablet.get('cell', '')}-{int(tablet.get('uid', 0)):010d}",
                    source_shard=s.get("source_shard", ""),
                    status=s.get("status", ""),
                    info=s.get("info", ""),
                    position=s.get("position", ""),
                )
            )
    return WorkflowStatus(workflow, target_keyspace, tables, streams, data.get("traffic_state", ""))


def csv_list(names: list[str]) -> str:
    """A list flag's value as vtctldclient parses it (one CSV record): names holding a comma or a
    double quote are quoted, inner quotes doubled."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(names)
    return buf.getvalue()


@dataclass(frozen=True)
class MoveTables:
    vtctld: Vtctld
    workflow: str
    target_keyspace: str

    def _args(self, *args: str) -> list[str]:
        return ["MoveTables", "--workflow", self.workflow, "--target-keyspace", self.target_keyspace, *args]

    def argv(self, *args: str) -> list[str]:
        """The whole command line of a MoveTables sub-command, for running it outside :class:`Vtctld`."""
        return self.vtctld.argv(*self._args(*args))

    def exists(self, *, settle: float = 60.0) -> bool:
        """Whether the workflow is there. A primary that has just started answers "vreplication engine
        is closed" for a moment: that is waited out for ``settle`` seconds."""
        deadline = time.monotonic() + settle
        while True:
            try:
                # --show-all: once writes switch, the forward workflow is frozen, not gone
                data = self.vtctld.run_json("GetWorkflows", self.target_keyspace, "--include-logs=false", "--show-all")
                break
            except VtctldError as e:
                if "node doesn't exist" in e.stderr:  # no such keyspace (yet): no workflow either
                    return False
                if "vreplication engine is closed" not in e.stderr or time.monotonic() > deadline:
                    raise
                time.sleep(1.0)
        return any(w.get("name") == self.workflow for w in data.get("workflows") or [])

    def create(self, *, source_keyspace: str, tables: list[str], extra: Sequence[str] = ()) -> bool:
        """Start the workflow; return False when it already exists (a rerun attaches to it)."""
        if self.exists():
            return False
        self.vtctld.run(
            *self._args("create", "--source-keyspace", source_keyspace, "--tables", csv_list(tables), *extra)
        )
        return True

    def status(self) -> WorkflowStatus:
        data = self.vtctld.run_json(*self._args("status", "--format", "json"))
        return parse_status(self.workflow, self.target_keyspace, data)

    def wait_for_copy(
        self,
        *,
        timeout: float = 1800,
        interval: float = 2.0,
        on_progress: Callable[[WorkflowStatus], None] | None = None,
    ) -> WorkflowStatus:
        """Poll until every table is copied and every stream is replicating. A stream error fails at once
        (WorkflowError), and so does a failing status call (VtctldError)."""

        def fetch() -> list[WorkflowStatus]:
            status = self.status()
            if on_progress:
                on_progress(status)
            return [status]

        last = copywait.wait(
            fetch,
            what=f"workflow {self.workflow}",
            poll=interval,
            timeout=timeout,
            error_grace=0,
            retry_failed_status=False,
        )
        (status,) = last.statuses
        if last.outcome == copywait.FAILED:
            raise WorkflowError("; ".join(status.errors))
        return status

    def switch_reads(self, *, approved: bool) -> None:
        """SwitchTraffic for replica and rdonly reads (reversible with ReverseTraffic)."""
        self.vtctld.run(*self._args("SwitchTraffic", "--tablet-types", "rdonly,replica"), approved=approved)

    def switch_traffic(
        self,
        *,
        tablet_types: str | None = None,
        dry_run: bool = False,
        approved: bool = False,
        extra: Sequence[str] = (),
    ) -> str:
        """SwitchTraffic (all tablet types unless ``tablet_types``); with ``dry_run`` only what it would do.
        Returns Vitess's own account of the switch."""
        types = ["--tablet-types", tablet_types] if tablet_types else []
        return self.vtctld.run(
            *self._args("SwitchTraffic", *types, *extra, *(["--dry-run"] if dry_run else [])),
            approved=approved or dry_run,
        ).strip()

    def reverse_traffic(self, *, tablet_types: str | None = None, dry_run: bool = False, approved: bool = False) -> str:
        """ReverseTraffic: traffic back to the source (all tablet types unless ``tablet_types``)."""
        types = ["--tablet-types", tablet_types] if tablet_types else []
        return self.vtctld.run(
            *self._args("ReverseTraffic", *types, *(["--dry-run"] if dry_run else [])), approved=approved or dry_run
        ).strip()

    def complete(self, *, keep_data: bool = True, dry_run: bool = False, approved: bool = False) -> str:
        """Finish the migration: remove the reverse workflow and routing rules; the source tables stay
        unless ``keep_data`` is False."""
        args = ["complete", *(["--keep-data"] if keep_data else []), *(["--dry-run"] if dry_run else [])]
        return self.vtctld.run(*self._args(*args), approved=approved or dry_run).strip()

    def cancel(self, *, approved: bool, keep_data: bool = False) -> None:
        """Stop the workflow and, unless keep_data, drop the copied tables on the target."""
        args = ["cancel"] + (["--keep-data", "--keep-routing-rules"] if keep_data else [])
        if not approved:  # refuse before looking: nothing is touched without approval
            raise NotApproved(f"MoveTables cancel ({self.workflow})", "Pass approved=True (CLI: --approve-cancel).")
        if not self.exists():
            return
        state = self.status().traffic_state.lower()
        if "reads switched" in state and "writes switched" not in state.replace("writes not switched", ""):
            # Reads were switched for testing: route them back before the target copy goes away.
            self.vtctld.run(*self._args("ReverseTraffic", "--tablet-types", "rdonly,replica"), approved=True)
        try:
            self.vtctld.run(*self._args(*args), approved=True)
        except VtctldError as e:
            if "not found" in e.stderr.lower() or "no streams found" in e.stderr.lower():
                return
            raise
        deadline = time.monotonic() + 60  # the workflow's rows go asynchronously; a create right after must not see it
        while self.exists():
            if time.monotonic() > deadline:
                raise WorkflowError(f"workflow {self.workflow} still listed 60s after cancel")
            time.sleep(0.5)


@dataclass(frozen=True)
class VDiffTable:
    table: str
    rows_compared: int
    matching_rows: int
    mismatched_rows: int
    extra_rows_source: int
    extra_rows_target: int
    samples: list[dict] = field(default_factory=list)
    """Rows VDiff shows as examples: {"kind": different|missing_on_target|extra_on_target, "row": {...}}."""


@dataclass(frozen=True)
class VDiffReport:
    uuid: str
    state: str
    rows_compared: int
    has_mismatch: bool
    tables: list[VDiffTable] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


_VDIFF_COUNTS = ("RowsCompared", "MatchingRows", "MismatchedRows", "ExtraRowsSource", "ExtraRowsTarget")


def parse_vdiff(data: dict) -> VDiffReport:
    """The JSON of ``VDiff show <uuid> --verbose --format json`` as a typed value (tables summed over shards)."""
    sums: dict[str, list[int]] = {}
    per_table = [shard.get("TableStates") or {} for shard in (data.get("ShardSummaries") or {}).values()]
    for states in per_table or [data.get("TableSummary") or {}]:
        for name, t in states.items():
            counts = sums.setdefault(name, [0] * len(_VDIFF_COUNTS))
            for i, key in enumerate(_VDIFF_COUNTS):
                counts[i] += int(t.get(key, 0))
    samples: dict[str, list[dict]] = {}
    for name, shards in (data.get("Reports") or {}).items():
        for report in shards.values():
            for kind, key in (
                ("different", "MismatchedRowsSample"),
                ("missing_on_target", "ExtraRowsSourceSample"),
                ("extra_on_target", "ExtraRowsTargetSample"),
            ):
                for sample in report.get(key) or []:
                    row = (sample.get("Source") or sample).get("Row") or {}
                    samples.setdefault(name, []).append({"kind": kind, "row": row})
    return VDiffReport(
        uuid=data.get("UUID", ""),
        state=data.get("State", ""),
        rows_compared=int(data.get("RowsCompared", 0)),
        has_mismatch=bool(data.get("HasMismatch")),
        tables=[_vdiff_table(name, sums[name], samples.get(name, [])) for name in sorted(sums)],
    )


def _vdiff_table(name: str, counts: list[int], samples: list[dict]) -> VDiffTable:
    compared, matching, mismatched, extra_source, extra_target = counts  # in _VDIFF_COUNTS order
    return VDiffTable(name, compared, matching, mismatched, extra_source, extra_target, samples)


@dataclass(frozen=True)
class VDiff:
    vtctld: Vtctld
    workflow: str
    target_keyspace: str

    def _args(self, *args: str) -> list[str]:
        return ["VDiff", "--workflow", self.workflow, "--target-keyspace", self.target_keyspace, *args]

    def create(self, *, uuid: str | None = None, wait_for_streams: float = 60.0) -> str:
        """Start a VDiff (with the given UUID, if any). Right after a copy a stream can be between phases
        for a moment, and Vitess refuses with "not all streams are running": that is retried for
        ``wait_for_streams`` seconds."""
        deadline = time.monotonic() + wait_for_streams
        while True:
            try:
                return self.vtctld.run_json(*self._args("create", *([uuid] if uuid else []), "--format", "json"))[
                    "UUID"
                ]
            except VtctldError as e:
                if "not all streams are running" not in e.stderr or time.monotonic() > deadline:
                    raise
                time.sleep(1.0)

    def state(self, uuid: str) -> str | None:
        """The VDiff's state (pending, started, completed, error, ...), or None when there is none."""
        try:
            return self.show(uuid).state
        except VtctldError as e:
            if "no vdiff found" in e.stderr:
                return None
            raise

    def show(self, uuid: str) -> VDiffReport:
        return parse_vdiff(self.vtctld.run_json(*self._args("show", uuid, "--verbose", "--format", "json")))

    def wait(self, uuid: str, *, timeout: float = 1800, interval: float = 2.0) -> VDiffReport:
        deadline = time.monotonic() + timeout
        while True:
            report = self.show(uuid)
            if report.state == "completed":
                return report
            if report.state == "error":
                raise WorkflowError(f"VDiff {uuid} of {self.workflow} ended in error")
            if time.monotonic() > deadline:
                raise TimeoutError(f"VDiff {uuid} did not complete in {timeout:.0f}s (state {report.state})")
            time.sleep(interval)

    def delete(self, uuid: str) -> None:
        self.vtctld.run(*self._args("delete", uuid))
