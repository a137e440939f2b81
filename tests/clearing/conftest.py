"""Batch progress lives in the (real, shared) Redis cache: each clearing test starts without any.
The clearing fixtures (`complete_leg`, `finance`, `ministry_finance`, `province_office`) are in
tests/conftest.py, for the integration and browser tests too."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_progress():
    cache.clear()
    yield
    cache.clear()
