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


# Dask fixtures (tests/test_dask*.py); dask is imported only by the tests that use them.
@pytest.fixture(scope="session")
def client():
    """An in-process cluster (one worker, two threads), used only where a test asks."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        processes=False, n_workers=1, threads_per_worker=2, dashboard_address=":0"
    )
    with distributed.Client(cluster, set_as_default=False) as c:
        yield c
    cluster.close()


@pytest.fixture(params=["distributed", "threads"])
def scheduler(request):
    """Each test using it runs on the in-process cluster and on the threaded scheduler."""
    dask = pytest.importorskip("dask")
    target = request.getfixturevalue("client") if request.param == "distributed" else "threads"
    with dask.config.set(scheduler=target):
        yield request.param


@pytest.fixture
def threads():
    """The threaded dask scheduler."""
    dask = pytest.importorskip("dask")
    with dask.config.set(scheduler="threads"):
        yield
