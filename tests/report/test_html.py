"""The HTML report: one self-contained file, checked statically and rendered in headless Chromium."""

from __future__ import annotations

import os
import struct
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from auditor.report import ReportOptions, render
from tests.report.chromium import Browser
from tests.report.report_fixtures import CROSS_PATH, ap

CHROMIUM = Path("/usr/bin/chromium")
ESTATES = Path(__file__).resolve().parents[2] / "samples" / "estates"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture
def page(run, cat, waivers):
    return render("html", run, cat, ReportOptions(waivers=waivers, framework="aws-fsbp"))


def parse(text: str) -> Tags:
    p = Tags()
    p.feed(text)
    return p


def test_self_contained(page):
    p = parse(page)
    names = {t for t, _ in p.tags}
    assert not names & {"script", "link", "img", "iframe", "object", "embed", "base", "audio", "video"}
    assert all("src" not in a for _, a in p.tags)
    assert (
        "meta",
        {
            "http-equiv": "Content-Security-Policy",
            "content": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
        },
    ) in p.tags
    assert "url(" not in page.split("</style>")[0] and "@import" not in page
    hrefs = [a["href"] for t, a in p.tags if t == "a"]
    assert hrefs and all(h.startswith("https://") for h in hrefs)  # documentation links, never loaded


def test_summary_frameworks_findings_and_paths(page, cat):
    p = parse(page)
    ids = [a.get("id") for _, a in p.tags if a.get("id")]
    assert [i for i in ids if not i.startswith("arrow-")] == [
        "scope",
        "summary",
        "checks",
        "frameworks",
        "findings",
        "waivers",
        "coverage",
    ]
    text = " ".join(" ".join(p.text).split())
    assert "4 FAIL 1 NOT_ASSESSED 1 WAIVED 3 PASS" in text
    # every framework has a table; the requested one is open
    details = [a for t, a in p.tags if t == "details"]
    assert len([d for d in details if "open" in d]) == 1
    for fw in cat.frameworks.values():
        assert fw.title in text
    # the two path findings (root identity, cross-app) get an SVG picture of their path
    svgs = [a for t, a in p.tags if t == "svg" and a.get("class") == "path"]
    assert len(svgs) == 2
    for node in CROSS_PATH + [ap("fail-uid0"), "posix://uid/0"]:
        assert node in text
    assert len({i for i in ids if i.startswith("arrow-")}) == 2  # marker ids unique per picture
    # every open finding shows its evidence; PASS rows are not listed by default
    assert text.count("Evidence") == 6
    assert "Waived: Legacy access points retired in Q1 (SEC-42)" in text


def _png_size_and_variety(path: Path) -> tuple[int, int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    idat, pos = b"", 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


def _chromium_or_skip(path: Path = CHROMIUM) -> Path:
    """Headless Chromium; its absence skips locally but fails in CI (CI set), where `make test` installs it."""
    if not path.exists():
        why = f"{path} is absent: install it (apt-get install -y chromium) to render the HTML report headless"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    return path


def test_missing_chromium_fails_in_ci_and_skips_elsewhere(tmp_path, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="is absent"):
        _chromium_or_skip(tmp_path / "chromium")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="is absent"):
        _chromium_or_skip(tmp_path / "chromium")


def _render_in_chromium(browser: Browser, page: str, tmp_path: Path) -> tuple[Path, str]:
    """Screenshot (saved under the pytest tmp dir) and the DOM Chromium built from the page, in a
    1280x1600 window."""
    html_file = tmp_path / "report.html"
    html_file.write_text(page, encoding="utf-8")
    shot = tmp_path / "shot.png"
    png, dom = browser.render(html_file.as_uri(), 1280, 1600)
    shot.write_bytes(png)
    width, height, variety = _png_size_and_variety(shot)
    assert (width, height) == (1280, 1600)
    assert shot.stat().st_size > 20_000 and variety > 50  # a rendered page, not a blank or error tile
    return shot, dom


def test_renders_in_headless_chromium(browser, page, tmp_path):
    shot, dom = _render_in_chromium(browser, page, tmp_path)
    assert shot.parent == tmp_path
    assert '<section id="summary"><h2>Summary</h2>' in dom
    assert '<div class="card FAIL"><b>4</b>FAIL</div>' in dom
    assert dom.count('class="path"') == 2


@pytest.mark.parametrize("estate", ["wellconfigured", "production", "hostile"])
def test_bundled_estates_render_in_headless_chromium(browser, estate, cat, tmp_path):
    from auditor.model.snapshot import load
    from auditor.pipeline import evaluate
    from auditor.report.view import build

    run = evaluate(load(ESTATES / estate / "snapshot.json"), catalogue=cat)
    options = ReportOptions(framework="aws-fsbp")
    shot, dom = _render_in_chromium(browser, render("html", run, cat, options), tmp_path)
    assert shot.parent == tmp_path
    assert '<section id="summary"><h2>Summary</h2>' in dom and '<section id="coverage">' in dom
    for status, n in build(run, cat, options).counts().items():
        assert f'<div class="card {status}"><b>{n}</b>{status}</div>' in dom
    open_rows = sum(1 for r in run.results if r.status.value != "PASS")
    assert dom.count('class="finding ') == open_rows
