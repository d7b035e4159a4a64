"""The HTML report's drawing per file system: present, deterministic, highlighted from FAIL paths, capped
with "+N more", and legible when the production estate's report is rendered in headless Chromium."""

from __future__ import annotations

from pathlib import Path

from auditor.analysis.access import Analysis
from auditor.graph.picture import CAP, Picture, highlight, pictures
from auditor.model import snapshot as snap
from auditor.pipeline import evaluate
from auditor.report import ReportOptions, render
from auditor.report.svg import estate_svg
from tests.report.test_html import _render_in_chromium

ESTATES = Path(__file__).resolve().parents[2] / "samples" / "estates"
FS1 = "fs-0a11c0de000000001"


def production(cat=None):
    s = snap.load(ESTATES / "production" / "snapshot.json")
    a = Analysis(s)
    return a, evaluate(s, catalogue=cat)


def test_drawing_columns_and_highlights_come_from_the_graph_and_fail_paths():
    a, run = production()
    pics = {p.file_system: p for p in highlight(pictures(a), run)}
    pic = pics[FS1]
    labels = [[label for _, label, _ in col] for col in pic.columns]
    assert "orders:3 [orders]" in labels[1] and "/billing" in labels[3]
    marks = {n: m for col in pic.columns for n, _, m in col}
    # efs_cross_app_reach FAIL: billing-batch reaches /billing/reports without an access point
    assert marks["arn:aws:ecs:eu-west-1:123456789012:task-definition/billing-batch:7"] == "cross"
    assert (
        "arn:aws:ecs:eu-west-1:123456789012:task-definition/billing-batch:7",
        f"efsdir://{FS1}/billing/reports",
        "cross",
    ) in pic.edges
    # efs_root_squash_gap FAIL: orders-task may mount as root; the legacy workloads run as root unsquashed
    assert marks["arn:aws:iam::123456789012:role/orders-task"] == "root"
    assert {
        n for n, m in {x: y for c in pics["fs-0a11c0de000000002"].columns for x, _, y in c}.items() if m
    } == {
        "arn:aws:ecs:eu-west-1:123456789012:task-definition/legacy-worker:1",
        "k8s://prod-eks/legacy/Pod/legacy-sync",
        # their root path runs through the anonymous client (no IAM) to the file system's root directory
        "principal://anonymous",
        "efsdir://fs-0a11c0de000000002/",
    }


def test_huge_columns_are_capped_with_a_more_node():
    col = tuple((f"n{i}", f"node {i}", "") for i in range(CAP))
    pic = Picture("fs-1", "arn:fs", (col, (), (), ()), (), (40, 0, 0, 0))
    svg = estate_svg(pic)
    assert "+40 more" in svg and svg.count('class="node"') == CAP


def test_report_html_is_deterministic_and_has_the_section(cat):
    a, run = production(cat)
    options = ReportOptions(pictures=pictures(a))
    page = render("html", run, cat, options)
    assert page == render("html", run, cat, options)
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="estate"') == 2
    assert '<section id="estate">' in page and "efs_root_squash_gap FAIL" in page


def test_production_drawing_renders_in_headless_chromium(cat, browser, tmp_path):
    a, run = production(cat)
    page = render("html", run, cat, ReportOptions(pictures=pictures(a)))
    shot, dom = _render_in_chromium(browser, page, tmp_path)
    assert shot.exists() and shot.parent == tmp_path  # the screenshot stays in the test's output folder
    assert '<section id="estate"><h2>Who reaches what</h2>' in dom
    assert f'data-file-system="{FS1}"' in dom and 'data-file-system="fs-0a11c0de000000002"' in dom
    assert 'class="legend"' in dom and "cross-application reach (efs_cross_app_reach FAIL)" in dom
    assert dom.count('class="edge cross"') >= 5 and 'class="node root"' in dom
    for label in ("orders:3 [orders]", "/billing/reports", "(no access point)", "efs-csi-driver"):
        assert label in dom
