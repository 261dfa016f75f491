#!/usr/bin/env python3
"""Opens a report.html in headless Chromium (Debian's `chromium`, driven by Playwright) and checks
it as a reader would use it.

    python3 Tests/Browser/check_report.py DIR/report.html [--artifacts DIR] [--screenshot FILE]

The CSV files beside report.html are the answers: every chart must hold the points its CSV or
the sessions imply, every table its rows, every evidence link must land on its target, and
sorting and filtering must work. Screenshots (desktop, narrow, print, dark) and a PDF go to
--artifacts. Exits 1 with the list of what failed.
"""
import argparse
import csv
import os
import pathlib
import sys
from collections import defaultdict

from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def read_csv(directory, name):
    with open(os.path.join(directory, name), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


class Checks:
    def __init__(self):
        self.failures = []
        self.passed = 0

    def expect(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failures.append(what)


def points(page, chart):
    return page.eval_on_selector_all(
        f'figure[data-chart="{chart}"] .point',
        "els => els.map(e => [e.dataset.series, e.dataset.x, e.dataset.y])")


def check_charts(page, directory, c):
    figures = page.eval_on_selector_all(
        "figure.chart", "els => els.map(e => [e.dataset.chart, Number(e.dataset.points), e.querySelectorAll('.point').length])")
    c.expect(len(figures) >= 4, f"at least 4 charts, found {len(figures)}")
    for name, declared, drawn in figures:
        c.expect(drawn > 0, f"chart {name} has no data points")
        c.expect(drawn == declared, f"chart {name} draws {drawn} points, its data has {declared}")

    sessions = read_csv(directory, "sessions.csv")
    # Daily cost: per day of creation, the sums of the sessions' cost columns.
    want = defaultdict(float)
    for s in sessions:
        day = s["created_at"][:10]
        for series, column in (("total", "cost_usd"), ("idle", "idle_cost_usd"), ("background", "background_cost_usd")):
            want[(series, day)] += float(s[column] or 0)
    have = {(s, x): float(y) for s, x, y in points(page, "chart_daily_cost")}
    c.expect(set(have) == set(want), f"daily cost points {sorted(set(have) ^ set(want))} differ from sessions.csv's days")
    for key, value in want.items():
        # sessions.csv rounds each cost to 4 decimals.
        c.expect(abs(have.get(key, -1) - value) <= 0.0001 * (len(sessions) + 1), f"daily cost {key}: {have.get(key)} vs {value:.4f}")

    # Sessions open at once: one series per cluster of sessions.csv.
    series = {s for s, _, _ in points(page, "chart_concurrency")}
    c.expect(series == {s["cluster_id"] for s in sessions}, f"concurrency series {sorted(series)}")

    # The what-if curve and the per-user bars: the CSV's rows, point for point.
    whatif = {(x, y) for _, x, y in points(page, "idle_timeout_whatif")}
    rows = read_csv(directory, "idle_timeout_whatif.csv")
    c.expect(len(whatif) == len(rows), f"what-if curve has {len(whatif)} points for {len(rows)} rows")
    for r in rows:
        c.expect(any(x == r["timeout_minutes"] and abs(float(y) - float(r["cost_saved_usd"])) < 1e-4 for x, y in whatif),
                 f"what-if point for {r['timeout_minutes']} min")
    bars = {(s, x): float(y) for s, x, y in points(page, "usage_mode")}
    for r in read_csv(directory, "usage_mode.csv"):
        for column in ("interactive_hours", "background_hours"):
            c.expect(abs(bars.get((column, r["user_name"]), -1) - float(r[column])) < 1e-4, f"usage bar {column} of {r['user_name']}")


def check_tables(page, directory, c):
    tables = page.eval_on_selector_all(
        "section[id] table.sortable",
        "els => els.map(t => [t.id, t.tBodies[0].rows.length, Array.from(t.tBodies[0].rows[0]?.cells ?? []).map(c => c.textContent)])")
    by_id = {t[0]: t for t in tables}
    csvs = page.eval_on_selector_all(
        "section[id] .tools a", "els => els.map(a => [a.closest('section').id, a.getAttribute('href')])")
    c.expect(len(csvs) >= 15, f"a CSV link for every report, found {len(csvs)}")
    for section, name in csvs:
        rows = list(csv.reader(open(os.path.join(directory, name), newline="", encoding="utf-8")))[1:]
        table = by_id.get("t-" + section)
        if not rows:
            c.expect(table is None, f"{name} is empty but its table has rows")
            continue
        c.expect(table is not None, f"no table for {name}")
        if table is None:
            continue
        cut = page.locator(f"#{section} p", has_text="The first").count() > 0
        c.expect(table[1] == len(rows) or cut, f"{name}: {table[1]} rows in the page, {len(rows)} in the CSV")
        c.expect(table[2] == rows[0], f"{name}: the first row differs: {table[2]} vs {rows[0]}")


def check_sorting_and_filtering(page, directory, c):
    column = page.eval_on_selector("#t-sessions", "t => Array.from(t.tHead.rows[0].cells).findIndex(h => h.textContent.trim() === 'duration_s')")
    header = page.locator("#t-sessions thead th").nth(column).locator("button")

    def values():
        return page.eval_on_selector(
            "#t-sessions", f"t => Array.from(t.tBodies[0].rows).map(r => r.cells[{column}].textContent)")

    numbers = [float(r["duration_s"]) for r in read_csv(directory, "sessions.csv") if r["duration_s"] != ""]
    header.click()
    up = [float(v) for v in values() if v != ""]
    c.expect(up == sorted(numbers), "sessions sorted by duration_s, ascending, as numbers")
    header.click()
    down = [float(v) for v in values() if v != ""]
    c.expect(down == sorted(numbers, reverse=True), "sessions sorted by duration_s, descending")

    code = "job_cut_by_session"
    want = sum(1 for r in read_csv(directory, "findings.csv") if r["code"] == code)
    page.fill('input[data-filter="t-findings"]', code)
    shown = page.eval_on_selector("#t-findings", "t => Array.from(t.tBodies[0].rows).filter(r => !r.hidden).length")
    c.expect(want > 0 and shown == want, f"filtering findings by {code}: {shown} rows shown, {want} in findings.csv")
    c.expect(page.inner_text('[data-count="t-findings"]') == f"{want} rows", "the filter's row count")
    page.fill('input[data-filter="t-findings"]', "")


def check_links(page, c):
    broken = page.eval_on_selector_all(
        'a[href^="#"]', "els => els.filter(a => !document.getElementById(decodeURIComponent(a.getAttribute('href').slice(1)))).map(a => a.getAttribute('href'))")
    c.expect(not broken, f"links to nothing: {broken[:5]}")
    evidence = page.eval_on_selector_all("#t-findings a[href^='#']", "els => els.map(a => a.getAttribute('href'))")
    c.expect(any(h.startswith("#event-") for h in evidence), "a finding links to its CloudTrail event")
    c.expect(any(h.startswith("#file-") for h in evidence), "a finding links to its log file")
    for prefix in ("#event-", "#file-"):
        href = next((h for h in evidence if h.startswith(prefix)), None)
        if href is None:
            continue
        page.locator(f"#t-findings a[href='{href}']").first.click()
        c.expect(page.evaluate("location.hash") == href, f"following {href} sets the address")
        # Ids hold paths (`/`, `.`): looked up as ids, not as CSS selectors.
        target = page.locator(f'[id="{href[1:]}"]')
        c.expect(target.is_visible() and page.evaluate("id => document.getElementById(id).matches(':target')", href[1:]),
                 f"{href} is shown as the target")
        box = target.bounding_box()
        viewport = page.viewport_size
        # Scrolled to the top, give or take a fraction of a pixel (layout in fractional pixels).
        c.expect(box is not None and -1 <= box["y"] < viewport["height"],
                 f"{href} is scrolled into view (its top at {box and box['y']} px)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("report")
    parser.add_argument("--artifacts", default=".build/browser")
    parser.add_argument("--screenshot", help="also save the daily cost chart's view here (the README's picture)")
    args = parser.parse_args()
    report = os.path.abspath(args.report)
    directory = os.path.dirname(report)
    os.makedirs(args.artifacts, exist_ok=True)
    url = pathlib.Path(report).as_uri()
    c = Checks()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors, requests = [], []
        page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url) if r.url.split("#")[0] != url else None)
        page.goto(url)
        page.wait_for_load_state("load")
        check_charts(page, directory, c)
        check_tables(page, directory, c)
        check_sorting_and_filtering(page, directory, c)
        page.goto(url)
        check_links(page, c)
        page.goto(url)
        page.screenshot(path=os.path.join(args.artifacts, "desktop.png"), full_page=True)
        if args.screenshot:
            # The README's picture: the daily cost chart and what follows it.
            page.evaluate("document.getElementById('chart_daily_cost').scrollIntoView()")
            page.screenshot(path=args.screenshot)
            page.evaluate("window.scrollTo(0, 0)")
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=os.path.join(args.artifacts, "narrow.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        c.expect(width <= 390 + 1, f"the narrow view scrolls sideways: {width} px wide")
        page.set_viewport_size({"width": 1280, "height": 900})
        page.emulate_media(color_scheme="dark")
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        c.expect(background == "rgb(13, 17, 23)", f"dark mode background {background}")
        page.screenshot(path=os.path.join(args.artifacts, "dark.png"))
        page.emulate_media(media="print", color_scheme="light")
        hidden = page.evaluate("getComputedStyle(document.querySelector('nav')).display")
        c.expect(hidden == "none", "the navigation is not printed")
        page.screenshot(path=os.path.join(args.artifacts, "print.png"), full_page=True)
        page.pdf(path=os.path.join(args.artifacts, "report.pdf"), format="A4", print_background=True)
        browser.close()
    c.expect(not errors, f"console errors: {errors[:5]}")
    c.expect(not requests, f"network requests: {requests[:5]}")
    if c.failures:
        print(f"browser: {len(c.failures)} check(s) failed, {c.passed} passed:")
        for f in c.failures:
            print("  - " + f)
        sys.exit(1)
    print(f"browser: {c.passed} checks passed; screenshots in {args.artifacts}")


if __name__ == "__main__":
    main()
