"""Fixtures for the report tests; the data lives in report_fixtures.py."""

from __future__ import annotations

import pytest

from tests.report.report_fixtures import CATALOGUE, TODAY, WAIVER_YAML, make_run


@pytest.fixture
def cat():
    return CATALOGUE()


@pytest.fixture
def run():
    return make_run()


@pytest.fixture
def waivers():
    from auditor.report.waivers import parse

    return parse(WAIVER_YAML, "waivers.yaml", today=TODAY)
