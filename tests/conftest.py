"""Test-suite settings shared by every test module."""

import os

import pytest
from hypothesis import HealthCheck, settings
from threadpoolctl import threadpool_limits

# Property-based tests (tests/test_properties.py): a small example budget by default so the
# suite stays fast; HYPOTHESIS_PROFILE=thorough runs many more. deadline=None because a fit
# takes tens of milliseconds and its first call pays for imports and caches.
# function_scoped_fixture: the autouse BLAS fixture below is safe to share across examples.
settings.register_profile(
    "ci",
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _one_blas_thread():
    # Tiny BLAS calls are much slower multi-threaded on a busy 2-core machine (a 128 x 128
    # Cholesky took 120 ms instead of 0.1 ms), and one thread makes runs reproducible.
    with threadpool_limits(limits=1):
        yield
