"""The HTML report printed to PDF by headless Chromium keeps every remediation and evidence block
expanded (print CSS), and names what the run covers."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from auditor.report import ReportOptions, render
from tests.report.test_html import CHROMIUM_FLAGS, _chromium_or_skip


def _pdf_text(chromium, page: str, tmp_path) -> str:
    html_file, pdf = tmp_path / "report.html", tmp_path / "report.pdf"
    html_file.write_text(page, encoding="utf-8")
    subprocess.run(
        [
            str(chromium),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            html_file.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert pdf.read_bytes().startswith(b"%PDF")
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is absent: `make browser` installs it")
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.split())


def test_printed_report_expands_remediation_and_evidence(run, cat, waivers, tmp_path):
    chromium = _chromium_or_skip()
    text = _pdf_text(chromium, render("html", run, cat, ReportOptions(waivers=waivers)), tmp_path)
    meta = cat.checks["efs_encrypted_at_rest"]
    first_fix = " ".join(next(iter(meta.remediation.values())).split())
    assert " ".join(first_fix.split()[:8]) in text  # remediation (collapsed on screen) is printed
    assert "posix_user.uid" in text and "reaches_app" in text  # evidence blocks are printed
    assert "Accounts: 111122223333; regions: eu-west-1; clusters: prod" in text
    assert "assumed-role/audit/ci" in text
