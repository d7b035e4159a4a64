from __future__ import annotations

import pytest


@pytest.fixture
def cat():
    from auditor import catalog

    return catalog.load()
