"""Fixtures for the ember_lightning tests."""

import pytest
from lightning_testutils import make_data


@pytest.fixture
def data():
    return make_data()
