"""Test-suite settings shared by every test module."""

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def _one_blas_thread():
    # Tiny BLAS calls are much slower multi-threaded on a busy 2-core machine (a 128 x 128
    # Cholesky took 120 ms instead of 0.1 ms), and one thread makes runs reproducible.
    with threadpool_limits(limits=1):
        yield
