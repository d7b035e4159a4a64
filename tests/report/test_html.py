"""The HTML report: one self-contained file, checked statically and rendered in headless Chromium."""

from __future__ import annotations

import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from auditor.report import ReportOptions, render
from tests.report.report_fixtures import CROSS_PATH, ap

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


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
    assert ("meta", {"http-equiv": "Content-Security-Policy",
                     "content": "default-src 'none'; style-src 'unsafe-inline'; img-src data:"}) in p.tags
    assert "url(" not in page.split("</style>")[0] and "@import" not in page
    hrefs = [a["href"] for t, a in p.tags if t == "a"]
    assert hrefs and all(h.startswith("https://") for h in hrefs)  # documentation links, never loaded


def test_summary_frameworks_findings_and_paths(page, cat):
    p = parse(page)
    ids = [a.get("id") for _, a in p.tags if a.get("id")]
    assert [i for i in ids if not i.startswith("arrow-")] == ["summary", "checks", "frameworks", "findings",
                                                              "waivers", "coverage"]
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
    assert len(set(i for i in ids if i.startswith("arrow-"))) == 2  # marker ids unique per picture
    # every open finding shows its evidence; PASS rows are not listed by default
    assert text.count("Evidence") == 6
    assert "Waived: Legacy access points retired in Q1 (SEC-42)" in text


def _png_size_and_variety(path: Path) -> tuple[int, int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    idat, pos = b"", 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent: install it (apt-get install -y "
                                                  "chromium) to render the HTML report headless")
def test_renders_in_headless_chromium(page, tmp_path):
    html_file = tmp_path / "report.html"
    html_file.write_text(page, encoding="utf-8")
    shot = tmp_path / "shot.png"
    common = CHROMIUM_FLAGS + [f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,1600"]
    subprocess.run([str(CHROMIUM), *common, f"--screenshot={shot}", html_file.as_uri()], check=True,
                   capture_output=True, timeout=120)
    width, height, variety = _png_size_and_variety(shot)
    assert (width, height) == (1280, 1600)
    assert shot.stat().st_size > 20_000 and variety > 50
    dom = subprocess.run([str(CHROMIUM), *common, "--dump-dom", html_file.as_uri()], check=True,
                         capture_output=True, text=True, timeout=120).stdout
    assert '<section id="summary"><h2>Summary</h2>' in dom
    assert '<div class="card FAIL"><b>4</b>FAIL</div>' in dom
    assert dom.count('class="path"') == 2
