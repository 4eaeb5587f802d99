"""Open a report in a real headless Chromium (Debian's), check it rendered, keep a screenshot."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class RenderCheck:
    title: str
    charts: int
    drawn: int
    """Chart marks (lines, bars) with a non-empty bounding box: what the browser actually laid out."""
    recommendation: str
    console_errors: list[str] = field(default_factory=list)
    screenshot: str | None = None


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise FileNotFoundError("Chromium is not installed: `make setup` installs Debian's chromium")
    return found


def check_report(report: Path, screenshot: Path | None = None) -> RenderCheck:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - ~0.3 s to import: only the render check needs it

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(report.resolve().as_uri())
            sizes = page.evaluate(
                "() => Array.from(document.querySelectorAll("
                "'svg.chart polyline, svg.chart rect.bar')).map(e => e.getBBox().width)"
            )
            charts = page.evaluate("() => document.querySelectorAll('svg.chart').length")
            recommendation = page.text_content("#recommendation") or ""
            if screenshot is not None:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot), full_page=True)
            return RenderCheck(
                page.title(),
                charts,
                sum(1 for s in sizes if s > 0),
                recommendation.strip(),
                errors,
                str(screenshot) if screenshot else None,
            )
        finally:
            browser.close()
