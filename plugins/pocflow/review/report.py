"""The engagement report: one self-contained HTML page (inline SVG charts), plus Markdown and JSON."""

from __future__ import annotations

import base64
import html
import json
from typing import Any

from hdrh.histogram import HdrHistogram

from pocflow.quality.diff import hidden_rows
from pocflow.review.scorecard import FAIL, PASS, WARN, Scorecard
from pocflow.workload.load import DIGITS, HIGHEST_US, LOWEST_US

CURVE = (50.0, 75.0, 90.0, 95.0, 99.0, 99.9, 99.99, 100.0)
COLORS = {"source": "#6b7280", "target": "#2563eb"}
STATUS_COLORS = {PASS: "#15803d", WARN: "#b45309", FAIL: "#b91c1c"}


def merged_percentiles(load) -> list[float]:
    """Latency (ms) at CURVE percentiles over every query class of one side."""
    merged = HdrHistogram(LOWEST_US, HIGHEST_US, DIGITS)
    for encoded in load.histograms.values():
        merged.add(HdrHistogram.decode(base64.b64decode(encoded)))
    if not merged.get_total_count():
        return [0.0] * len(CURVE)
    return [(merged.get_max_value() if p == 100.0 else merged.get_value_at_percentile(p)) / 1000 for p in CURVE]


def _e(value: Any) -> str:
    return html.escape(str(value))


def percentile_chart(series: dict[str, list[float]], width: int = 640, height: int = 260) -> str:
    """Latency by percentile, one line per side."""
    pad_l, pad_b, pad_t, pad_r = 56, 36, 16, 16
    top = max([max(v) for v in series.values() if v] + [1.0]) * 1.1
    xs = [pad_l + i * (width - pad_l - pad_r) / (len(CURVE) - 1) for i in range(len(CURVE))]

    def y(v: float) -> float:
        return height - pad_b - v / top * (height - pad_b - pad_t)

    parts = [
        f'<svg class="chart" role="img" aria-label="latency by percentile" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">'
    ]
    for i in range(5):
        v = top * i / 4
        parts.append(
            f'<line x1="{pad_l}" x2="{width - pad_r}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e5e7eb"/>'
            f'<text x="{pad_l - 6}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="11">{v:.1f}</text>'
        )
    for x, p in zip(xs, CURVE, strict=True):
        parts.append(f'<text x="{x:.1f}" y="{height - pad_b + 16}" text-anchor="middle" font-size="11">p{p:g}</text>')
    parts.append(f'<text x="4" y="{height - pad_b + 16}" font-size="11">ms</text>')
    for name, values in series.items():
        points = " ".join(f"{x:.1f},{y(v):.1f}" for x, v in zip(xs, values, strict=True))
        parts.append(
            f'<polyline class="series" data-series="{_e(name)}" fill="none" '
            f'stroke="{COLORS.get(name, "#000")}" stroke-width="2.5" points="{points}"/>'
        )
        parts += [
            f'<circle cx="{x:.1f}" cy="{y(v):.1f}" r="3" fill="{COLORS.get(name, "#000")}"><title>{_e(name)} '
            f"p{p:g}: {v:.2f} ms</title></circle>"
            for x, v, p in zip(xs, values, CURVE, strict=True)
        ]
    legend_x = pad_l + 8
    for i, name in enumerate(series):
        parts.append(
            f'<rect x="{legend_x + i * 90}" y="{pad_t}" width="12" height="12" fill="{COLORS.get(name)}"/>'
            f'<text x="{legend_x + i * 90 + 16}" y="{pad_t + 11}" font-size="12">{_e(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(rows: list[tuple[str, float, float]], unit: str = "ms", width: int = 640) -> str:
    """Grouped horizontal bars: per label a source and a target value."""
    bar, gap, pad_l = 9, 10, 170
    height = len(rows) * (2 * bar + gap) + 30
    top = max([max(s, t) for _, s, t in rows] + [1.0])
    parts = [
        f'<svg class="chart" role="img" aria-label="p99 per query class" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">'
    ]
    for i, (label, s, t) in enumerate(rows):
        y0 = 10 + i * (2 * bar + gap)
        parts.append(f'<text x="{pad_l - 6}" y="{y0 + bar + 3}" text-anchor="end" font-size="11">{_e(label)}</text>')
        for j, (name, v) in enumerate((("source", s), ("target", t))):
            w = v / top * (width - pad_l - 70)
            parts.append(
                f'<rect class="bar" x="{pad_l}" y="{y0 + j * bar}" width="{max(w, 1):.1f}" height="{bar - 1}" '
                f'fill="{COLORS[name]}"><title>{_e(name)}: {v:.2f} {unit}</title></rect>'
                f'<text x="{pad_l + max(w, 1) + 4:.1f}" y="{y0 + j * bar + bar - 1}" font-size="10">'
                f"{v:.1f}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(
    engagement, card: Scorecard, *, selected, imported, validation, testing, decision=None, cutovers=()
) -> str:
    color = {
        "proceed": STATUS_COLORS[PASS],
        "proceed with conditions": STATUS_COLORS[WARN],
        "opt out": STATUS_COLORS[FAIL],
    }[card.recommendation]
    areas = "".join(
        f'<div class="area {a.status}"><h3>{_e(a.name)} <span class="badge" style="background:'
        f'{STATUS_COLORS[a.status]}">{a.status}</span></h3><ul>'
        + "".join(f"<li>{_e(x)}</li>" for x in a.evidence)
        + "</ul></div>"
        for a in card.areas
    )
    problems = "".join(f"<li>{_e(p)}</li>" for p in card.open_problems) or "<li>none</li>"
    sections = []
    if testing and testing.target_load:
        curves = {"source": merged_percentiles(testing.source_load), "target": merged_percentiles(testing.target_load)}
        bars = [(r["class"], r["source_p99_ms"], r["target_p99_ms"]) for r in testing.p99_comparison()]
        sections.append(
            "<h2>Latency, source vs target</h2><p>All query classes, corrected for coordinated "
            "omission at the target rate.</p>"
            + percentile_chart(curves)
            + "<h3>p99 per query class (ms)</h3>"
            + bar_chart(bars)
        )
        sections.append(
            "<h2>Query compatibility (replay)</h2>"
            f"<p>Workload: {_e(testing.workload_described())}.</p>"
            + _table(
                ["query", "result", "source rows", "target rows", "source ms", "target ms", "target error"],
                [
                    [
                        q.name,
                        q.classification,
                        q.source.rows,
                        q.target.rows,
                        q.source.milliseconds,
                        q.target.milliseconds,
                        (q.target.error or "")[:120],
                    ]
                    for q in testing.replay
                ],
            )
        )
        sections.append(
            "<h2>Query insights on the target</h2>"
            + _table(
                ["query", "count", "p50 ms", "p99 ms", "rows returned", "scatter", "Vitess plan"],
                [
                    [i.name, i.count, i.p50_ms, i.p99_ms, i.rows_returned, "yes" if i.scatter else "", i.plan_summary]
                    for i in testing.insights
                ],
            )
        )
    if imported:
        sections.append(
            "<h2>Import</h2>"
            + _table(
                ["keyspace", "table", "rows on target"],
                [[t.keyspace, t.table, t.rows_on_target] for t in imported.tables],
            )
            + (
                f"<p>Not imported: {_e(', '.join(f'{k} ({v})' for k, v in imported.excluded.items()))}</p>"
                if imported.excluded
                else ""
            )
        )
    if validation:
        explained = validation.explained()
        if explained:
            sections.append(
                "<h2>Differences explained</h2>"
                + _table(["class", "differing columns", "tables", "what it is", "what to do"], explained)
                + _table(["table", "key", "column", "source", "target", "class"], validation.column_differences())
                + "".join(
                    f"<p>Repair SQL for {_e(t)} (written, never run): {_e(u)}</p>"
                    for t, u in validation.repair_scripts.items()
                )
            )
        hidden = [
            f"{t.table}.{h['column']}: {h['normalisation']} hid {hidden_rows(h)}"
            for t in validation.tables
            for h in t.hidden_by_normalisation
            if h["rows"] or h.get("capped")
        ]
        sections.append(
            "<h2>Data validation</h2>"
            + "".join(f"<p>{_e(h)}</p>" for h in hidden)
            + _table(
                ["table", "ours", "rows source", "rows target", "differing rows", "example keys", "schema"],
                [
                    [
                        t.table,
                        t.status,
                        t.rows_source,
                        t.rows_target,
                        t.differences_total,
                        "; ".join(d.describe() for d in t.differences[:3]) or t.reason,
                        "ok" if not validation.schema.get(t.table) else "differs",
                    ]
                    for t in validation.tables
                ],
            )
        )
    if cutovers:
        sections.append(
            '<h2 id="cutover">Cutover log</h2>'
            + "".join(
                f"<h3>Cutover run {_e(c.run_id)}</h3>"
                + _table(
                    ["when (UTC)", "step", "outcome", "by", "detail"],
                    [[x.at, x.step, x.outcome, x.by, x.detail] for x in c.entries],
                )
                for c in cutovers
            )
        )
    findings = [f for f in selected.readiness.findings if f.severity != "info"]
    sections.append(
        "<h2>Readiness findings</h2>"
        + _table(
            ["severity", "finding", "object", "evidence", "what to do"],
            [[f.severity, f.id, f.object, f.evidence, f.remediation] for f in findings],
        )
    )
    warning = f'<p class="deadline">{_e(card.deadline_warning)}</p>' if card.deadline_warning else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{_e(engagement.name)}: PoC report</title>
<style>
body {{ font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1000px; color: #111827; padding: 0 1rem; }}
h1 {{ margin-bottom: .2rem; }} .sub {{ color: #4b5563; margin-top: 0; }}
.recommendation {{ font-size: 1.4rem; font-weight: 600; color: white; background: {color}; padding: .6rem 1rem;
  border-radius: 6px; display: inline-block; }}
.deadline {{ color: #b91c1c; font-weight: 600; }}
.areas {{ display: grid; grid-template-columns: repeat(3, 1fr); gap: .8rem; }}
.area {{ border: 1px solid #e5e7eb; border-radius: 6px; padding: .4rem .8rem; }}
.area h3 {{ font-size: 1rem; margin: .3rem 0; }} .area ul {{ margin: 0; padding-left: 1.1rem; color: #374151; }}
.decision {{ font-weight: 600; }} .decision.pending, .decision.none {{ color: #b45309; }}
.badge {{ color: white; border-radius: 4px; padding: 0 .4rem; font-size: .8rem; }}
table {{ border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: 12.5px; }}
th, td {{ border-bottom: 1px solid #e5e7eb; text-align: left; padding: .25rem .4rem; vertical-align: top; }}
svg.chart {{ max-width: 100%; height: auto; }}
</style></head><body>
<h1>{_e(engagement.name)}: proof of concept</h1>
<p class="sub">{_e(engagement.customer)} &middot; source {_e(engagement.source.database)} &rarr; Vitess keyspace
{_e(engagement.target.keyspace)} &middot; opt-out date {_e(card.opt_out_date)} ({card.days_left} days left)</p>
<p class="recommendation" id="recommendation">{_e(card.recommendation)}</p>{warning}
{_decision_html(decision)}
<h2>Scorecard</h2><div class="areas">{areas}</div>
<h2>Open problems</h2><ul id="problems">{problems}</ul>
{"".join(sections)}
</body></html>
"""


def _decision_html(decision) -> str:
    if decision is None:
        return ""
    css = {"recorded": "recorded", "pending": "pending", "no decision recorded": "none"}.get(decision.status, "off")
    return f'<p class="decision {css}" id="decision">{_e(decision.sentence())}</p>'


def render_markdown(engagement, card: Scorecard, decision=None, cutovers=()) -> str:
    lines = [
        f"# {engagement.name}: proof of concept",
        "",
        f"{engagement.customer}; opt-out date {card.opt_out_date} ({card.days_left} days left)",
        "",
        f"**Recommendation: {card.recommendation}**",
        "",
    ]
    if decision is not None:
        lines += [decision.sentence(), ""]
    if card.deadline_warning:
        lines += [f"> {card.deadline_warning}", ""]
    lines += ["| area | status | evidence |", "|---|---|---|"]
    lines += [f"| {a.name} | {a.status} | {'; '.join(a.evidence)} |" for a in card.areas]
    lines += ["", "## Open problems", ""] + ([f"- {p}" for p in card.open_problems] or ["- none"])
    if cutovers:
        lines += ["", "## Cutover log", ""] + [c.markdown() for c in cutovers]
    return "\n".join(lines) + "\n"


def render_json(engagement, card: Scorecard, decision=None, cutovers=()) -> str:
    return (
        json.dumps(
            {
                "engagement": engagement.to_dict(),
                "scorecard": card.to_dict(),
                "decision": decision.to_dict() if decision else None,
                "cutovers": [c.to_dict() for c in cutovers],
            },
            indent=2,
        )
        + "\n"
    )
