"""docs/semantics.md is shipped and every rule cited in the code and the catalogue ("§1.4",
"edge 17", "edges 34-36") resolves to one of its headings or numbered §10 cases."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "semantics.md"
SECTION = re.compile(r"§\s?(\d+(?:\.\d+)*)")
EDGE = re.compile(r"\bedges? (\d+)(?:[-–](\d+))?")


def _sources():
    for base in (ROOT / "auditor", ROOT / "policies"):
        for path in base.rglob("*"):
            if path.suffix in (".py", ".yaml", ".yml", ".json") and "__pycache__" not in path.parts:
                yield path, path.read_text(encoding="utf-8", errors="replace")


def _headings() -> set[str]:
    out = set()
    for line in DOC.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^#{2,3} (\d+(?:\.\d+)*)\.? ", line)
        if m:
            out.add(m.group(1))
    return out


def _edges() -> set[int]:
    text = DOC.read_text(encoding="utf-8").split("## 10.", 1)[1].split("\n## 11.", 1)[0]
    return {int(m.group(1)) for m in re.finditer(r"^(\d+)\. ", text, re.M)}


def test_every_section_citation_resolves_to_a_heading():
    headings = _headings()
    cited = {
        (m.group(1), path.relative_to(ROOT).as_posix())
        for path, text in _sources()
        for m in SECTION.finditer(text)
    }
    assert cited
    missing = sorted((s, p) for s, p in cited if s not in headings)
    assert not missing, missing


def test_every_edge_citation_resolves_to_a_case():
    edges = _edges()
    assert edges == set(range(1, 45))
    cited = set()
    for path, text in _sources():
        for m in EDGE.finditer(text):
            first, last = int(m.group(1)), int(m.group(2) or m.group(1))
            cited |= {(n, path.relative_to(ROOT).as_posix()) for n in range(first, last + 1)}
    assert cited
    assert not sorted((n, p) for n, p in cited if n not in edges)


def test_each_rule_section_cites_aws_documentation():
    text = DOC.read_text(encoding="utf-8")
    assert text.count("https://docs.aws.amazon.com/") >= 20
    for parameter in (
        "gid0_is_root",
        "squash_uid",
        "indeterminate_allows_reach",
        "lambda_sandbox_uid",
        "fargate_iam_principal_unknown",
        "nfs_max_groups",
        "fs_policy_grant_ignores_boundary",
    ):
        assert f"`{parameter}`" in text  # every named assumption is explained where its rule is


def test_rendered_evidence_has_no_json_escapes():
    """HTML and Markdown evidence are key/value text: a § stays a §."""
    from auditor.model.result import Status
    from auditor.report import render
    from tests.report.report_fixtures import CATALOGUE, ap, make_run, res

    r = res(
        "efs_access_point_tagged",
        Status.FAIL,
        ap("x"),
        "AwsEfsAccessPoint",
        "no tags (§1.4, edge 17)",
        evidence={"rule": "§1.4, edge 17", "posix_user": {"uid": 0, "gid": 0}, "groups": [1, 2]},
    )
    for fmt in ("html", "markdown"):
        text = render(fmt, make_run([r]), CATALOGUE())
        assert "\\u00a7" not in text and "§1.4, edge 17" in text
        assert (
            "posix_user.uid" in text
            and '"posix_user"' not in text
            and "{" not in text.split("Evidence")[-1][:400]
        )
