"""The HTML report escapes every value it shows: a resource name, tag value, title or collector that
carries markup (`<script>`, both quotes, `&`) reaches the reader as that exact text, in a table cell, an
attribute, SVG text and tooltips and the page title, and never as markup."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from auditor.graph.picture import Picture
from auditor.model.result import Status
from auditor.report import ReportOptions, render
from tests.report.report_fixtures import CATALOGUE, make_run, res
from tests.report.test_html import _render_in_chromium

HOSTILE = '<script>alert("x")</script>\'&'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&#39;&amp;"
DIR = "efsdir://fs-hostile/apps"


class Places(HTMLParser):
    """Where the parsed page holds the value: (enclosing tags, "text") or (tag, attribute name)."""

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[str] = []
        self.found: set[tuple[str, str]] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if value and HOSTILE in value:
                self.found.add((tag, name))
        if tag not in ("rect", "line", "path", "meta", "marker"):
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        if HOSTILE in data:
            self.found.add((">".join(self.stack[-2:]), "text"))


def hostile_page() -> str:
    cross = res(
        "efs_cross_app_reach",
        Status.FAIL,
        HOSTILE,
        "KubernetesDeployment",
        f"workload {HOSTILE} reaches app-a",
        scope="k8s:prod",
        evidence={"app": HOSTILE},
        path=[HOSTILE, DIR, "app://app-a"],
    )
    plain = res(
        "efs_unencrypted_mount",
        Status.FAIL,
        f"k8s://prod/_/PersistentVolume/{HOSTILE}",
        "KubernetesPersistentVolume",
        "PV mounts without the tls mount option",
        scope="k8s:prod",
    )
    run = make_run([cross, plain])
    run = run.model_copy(update={"units": [run.units[0].model_copy(update={"collector": HOSTILE})]})
    picture = Picture(
        HOSTILE,
        "arn:aws:elasticfilesystem:eu-west-1:111122223333:file-system/fs-hostile",
        (((f"principal://{HOSTILE}", HOSTILE, ""),), ((HOSTILE, HOSTILE, ""),), (), ((DIR, "/apps", ""),)),
        ((f"principal://{HOSTILE}", HOSTILE, ""), (HOSTILE, DIR, "")),
        (0, 0, 0, 0),
    )
    return render("html", run, CATALOGUE(), ReportOptions(title=HOSTILE, pictures=(picture,)))


@pytest.fixture(scope="module")
def page() -> str:
    return hostile_page()


def test_hostile_value_is_text_in_every_place_it_appears(page):
    p = Places()
    p.feed(page)
    assert "script" not in p.tags and "<script" not in page.lower()
    assert {
        ("head>title", "text"),  # the page title
        ("body>h1", "text"),
        ("tr>td", "text"),  # coverage table: collected by
        ("li>code", "text"),  # the finding's resource
        ("dl>dd", "text"),  # the evidence
        ("p>code", "text"),  # the path of a finding without a drawing
        ("section>h3", "text"),  # the estate picture's file system
        ("g>title", "text"),  # SVG tooltips: path node, estate node
        ("g>text", "text"),  # SVG labels: path box, estate box
        ("svg>title", "text"),  # the estate picture's title
        ("svg", "data-file-system"),  # attributes
        ("g", "data-id"),
    } <= p.found
    # each place holds the escaped text, spelled one way
    assert page.count(ESCAPED) >= 12 and "&#x27;" not in page


def test_hostile_value_stays_text_in_headless_chromium(page, browser, tmp_path):
    _, dom = _render_in_chromium(browser, page, tmp_path)
    assert "<script" not in dom.lower()
    assert "&lt;script&gt;" in dom and 'data-id="&lt;script&gt;' in dom


def test_a_name_the_view_data_lacks_is_an_error_not_an_empty_cell():
    from jinja2 import UndefinedError

    from auditor.report.templating import environment

    with pytest.raises(UndefinedError):
        environment().from_string("<td>{{ row.missing }}</td>").render(row={})
    assert environment().from_string("{{ v }}").render(v=HOSTILE) == ESCAPED
