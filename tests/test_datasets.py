from math import factorial, pi

import numpy as np
import pytest

from skgiant.datasets import make_multi_index, make_single_index, make_staircase

GENERATORS = [
    (make_single_index, {"link": "relu"}, 1),
    (make_single_index, {"link": "tanh"}, 1),
    (make_single_index, {"link": "hermite"}, 1),
    (make_multi_index, {"target": "T1"}, 2),
    (make_multi_index, {"target": "T2"}, 2),
    (make_multi_index, {"target": "T2prime"}, 2),
    (make_staircase, {"n_directions": 4}, 4),
]
IDS = [f"{f.__name__}-{next(iter(kw.values()))}" for f, kw, _ in GENERATORS]


# --- independent reference formulas -------------------------------------------------------------
# Written out from the targets of the authors' notebooks (github.com/lucpoisson/GiantStep, for
# Dandi et al., arXiv:2305.18270): T1 is single_step/single_step.ipynb's teacher, both
# directions through s = He1 + He2/2 + He4/24; T2 is example 2 of
# multiple_steps/multiple_steps.ipynb, z + z**2 and z - z**2; T2prime is its control with
# z + z**2 for both directions (not a staircase).
def _he(k, h):
    """Probabilists' Hermite polynomial He_k by the three-term recurrence."""
    prev, cur = np.ones_like(h), h
    if k == 0:
        return prev
    for j in range(1, k):
        prev, cur = cur, h * cur - j * prev
    return cur


def _s(h):
    return _he(1, h) + _he(2, h) / 2 + _he(4, h) / 24


REFERENCE = {
    "T1": lambda H: 0.5 * (_s(H[:, 0]) + _s(H[:, 1])),
    "T2": lambda H: 0.5 * ((H[:, 0] + H[:, 0] ** 2) + (H[:, 1] - H[:, 1] ** 2)),
    "T2prime": lambda H: 0.5 * ((H[:, 0] + H[:, 0] ** 2) + (H[:, 1] + H[:, 1] ** 2)),
}


def _hermite_moments(coefs_per_direction):
    """Exact (variance, best-affine MSE) of y = sum_r sum_k c_{r,k} He_k(h_r), orthonormal h.

    E[He_j He_k] = k! delta_jk, so Var(y) = sum c^2 k! over k >= 1, and the best affine
    predictor keeps exactly the k = 1 terms.
    """
    var = sum(c**2 * factorial(k) for coefs in coefs_per_direction for k, c in coefs.items() if k)
    linear = sum(coefs.get(1, 0.0) ** 2 for coefs in coefs_per_direction)
    return var, var - linear


# T1: each direction is s/2 = (He1 + He2/2 + He4/24)/2.
T1_EXACT = _hermite_moments([{1: 1 / 2, 2: 1 / 4, 4: 1 / 48}] * 2)
# T2: h + h^2 = He1 + He2 + 1 and h - h^2 = He1 - He2 - 1, each halved.
T2_EXACT = _hermite_moments([{0: 1 / 2, 1: 1 / 2, 2: 1 / 2}, {0: -1 / 2, 1: 1 / 2, 2: -1 / 2}])


def _best_linear_mse(X, y):
    A = np.column_stack([np.ones(len(y)), X])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    return np.mean((y - A @ coef) ** 2)


@pytest.fixture(scope="module")
def large_samples():
    return {
        t: make_multi_index(200_000, 8, target=t, random_state=12345)
        for t in ("T1", "T2", "T2prime")
    }


# --- structure ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("make", "kwargs", "k"), GENERATORS, ids=IDS)
def test_shapes_dtypes_and_orthonormal_directions(make, kwargs, k):
    X, y, D = make(37, 9, random_state=0, **kwargs)
    assert X.shape == (37, 9) and X.dtype == np.float64
    assert y.shape == (37,) and y.dtype == np.float64
    assert D.shape == (k, 9) and D.dtype == np.float64
    np.testing.assert_allclose(D @ D.T, np.eye(k), atol=1e-12)
    assert np.all(np.isfinite(X)) and np.all(np.isfinite(y))


@pytest.mark.parametrize(("make", "kwargs", "k"), GENERATORS, ids=IDS)
def test_determinism_and_noise(make, kwargs, k):
    X1, y1, D1 = make(50, 6, random_state=3, **kwargs)
    X2, y2, D2 = make(50, 6, random_state=np.random.RandomState(3), **kwargs)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(D1, D2)
    X3, _, D3 = make(50, 6, random_state=4, **kwargs)
    assert not np.allclose(X1, X3) and not np.allclose(D1, D3)
    # noise changes y only, and by exactly an additive term of the requested scale
    Xn, yn, Dn = make(20_000, 6, noise=0.5, random_state=3, **kwargs)
    X0, y0, D0 = make(20_000, 6, noise=0.0, random_state=3, **kwargs)
    np.testing.assert_array_equal(Xn, X0)
    np.testing.assert_array_equal(Dn, D0)
    assert np.std(yn - y0) == pytest.approx(0.5, rel=0.03)
    assert np.mean(yn - y0) == pytest.approx(0.0, abs=0.02)


def test_directions_are_isotropic():
    """Directions are Haar distributed: the mean of theta is ~0 and E[theta theta^T] = I/d."""
    D = np.vstack([make_single_index(1, 4, random_state=s)[2] for s in range(1500)])
    np.testing.assert_allclose(D.mean(axis=0), 0, atol=0.06)
    np.testing.assert_allclose(D.T @ D / len(D), np.eye(4) / 4, atol=0.04)


# --- y depends on X only through the projections onto the directions --------------------------
@pytest.mark.parametrize("target", sorted(REFERENCE))
def test_multi_index_matches_reference_formula(target):
    X, y, D = make_multi_index(500, 7, target=target, random_state=1)
    np.testing.assert_allclose(y, REFERENCE[target](X @ D.T), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("link", "ref"),
    [
        ("relu", lambda h: np.where(h > 0, h, 0.0)),
        ("tanh", lambda h: (np.exp(2 * h) - 1) / (np.exp(2 * h) + 1)),
        ("hermite", _s),
    ],
)
def test_single_index_matches_reference_formula(link, ref):
    X, y, D = make_single_index(500, 5, link=link, random_state=2)
    np.testing.assert_allclose(y, ref(X @ D[0]), rtol=1e-12, atol=1e-12)


def test_staircase_matches_reference_formula():
    X, y, D = make_staircase(300, 6, n_directions=3, random_state=0)
    h1, h2, h3 = (X @ D.T).T
    np.testing.assert_allclose(y, h1 + h1 * h2 + h1 * h2 * h3, rtol=1e-12, atol=1e-12)


def test_y_invariant_to_rotations_of_the_orthogonal_complement():
    X, y, D = make_multi_index(400, 6, target="T1", random_state=5)
    rng = np.random.RandomState(0)
    # orthonormal basis B of the complement of span(D), and a random rotation inside it
    B = np.linalg.svd(np.eye(6) - D.T @ D)[0][:, : 6 - D.shape[0]]
    rot = np.linalg.qr(rng.standard_normal((4, 4)))[0]
    R = D.T @ D + B @ rot @ B.T
    np.testing.assert_allclose(R @ R.T, np.eye(6), atol=1e-12)
    X_rot = X @ R
    assert not np.allclose(X_rot, X)
    np.testing.assert_allclose(REFERENCE["T1"](X_rot @ D.T), y, rtol=1e-10, atol=1e-10)


def test_callable_target_receives_projections():
    seen = {}

    def target(H):
        seen["H"] = H.copy()
        return H[:, 0] * H[:, 2]

    X, y, D = make_multi_index(100, 5, target=target, n_directions=3, random_state=0)
    assert D.shape == (3, 5)
    np.testing.assert_allclose(seen["H"], X @ D.T, atol=1e-12)
    np.testing.assert_allclose(y, seen["H"][:, 0] * seen["H"][:, 2])
    # a linear link recovers X @ theta exactly
    X, y, D = make_single_index(100, 5, link=lambda h: h, random_state=0)
    np.testing.assert_allclose(y, X @ D[0], atol=1e-12)


# --- moments against closed forms from the Hermite expansions of the targets ---------------------
def test_closed_forms_agree_with_reference_numbers():
    # the rounded values quoted in doc/paper_results.md and used by
    # benchmarks/paper/fig3_sample_complexity.py (BEST_LINEAR) are these closed forms
    var_t1, mse_t1 = T1_EXACT
    var_t2, mse_t2 = T2_EXACT
    assert var_t1 == pytest.approx(0.25 * 2 * (1 + 2 / 4 + 24 / 24**2))  # 0.7708...
    assert round(var_t1, 2) == 0.77 and round(mse_t1, 2) == 0.27
    assert var_t2 == pytest.approx(0.25 * 2 * (1 + 2)) and var_t2 == pytest.approx(1.5)
    assert mse_t2 == pytest.approx(1.0)


def test_t1_moments(large_samples):
    X, y, _ = large_samples["T1"]
    var_exact, mse_exact = T1_EXACT
    assert y.mean() == pytest.approx(0.0, abs=0.01)
    assert y.var() == pytest.approx(var_exact, abs=0.03)
    assert y.var() == pytest.approx(0.77, abs=0.03)
    assert _best_linear_mse(X, y) == pytest.approx(mse_exact, abs=0.03)
    assert _best_linear_mse(X, y) == pytest.approx(0.27, abs=0.03)


def test_t2_moments(large_samples):
    X, y, _ = large_samples["T2"]
    var_exact, mse_exact = T2_EXACT
    assert y.mean() == pytest.approx(0.0, abs=0.01)
    assert y.var() == pytest.approx(var_exact, abs=0.06)
    assert y.var() == pytest.approx(1.5, abs=0.06)
    assert _best_linear_mse(X, y) == pytest.approx(mse_exact, abs=0.04)
    assert _best_linear_mse(X, y) == pytest.approx(1.0, abs=0.04)


def test_t2prime_moments(large_samples):
    # same variance and linear part as T2, but mean 1 (the He2 constants add up)
    X, y, _ = large_samples["T2prime"]
    assert y.mean() == pytest.approx(1.0, abs=0.01)
    assert y.var() == pytest.approx(1.5, abs=0.06)
    assert _best_linear_mse(X, y) == pytest.approx(1.0, abs=0.04)


def test_single_index_and_staircase_moments():
    X, y, _ = make_single_index(200_000, 4, link="relu", random_state=0)
    assert y.mean() == pytest.approx(1 / np.sqrt(2 * pi), abs=0.005)
    assert y.var() == pytest.approx(0.5 - 1 / (2 * pi), abs=0.005)
    X, y, _ = make_single_index(200_000, 4, link="hermite", random_state=0)
    assert y.var() == pytest.approx(1 + 2 / 4 + 24 / 24**2, abs=0.05)
    X, y, _ = make_staircase(200_000, 6, n_directions=3, random_state=0)
    assert y.var() == pytest.approx(3.0, abs=0.1)
    assert _best_linear_mse(X, y) == pytest.approx(2.0, abs=0.1)


# --- argument validation ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: make_single_index(0, 3), "n_samples must be >= 1"),
        (lambda: make_single_index(2.5, 3), "n_samples must be an integer"),
        (lambda: make_single_index(True, 3), "n_samples must be an integer"),
        (lambda: make_single_index(10, 0), "n_features must be >= the number of directions"),
        (lambda: make_multi_index(10, 1), "n_features must be >= the number of directions"),
        (
            lambda: make_staircase(10, 3, n_directions=4),
            "n_features must be >= the number of directions",
        ),
        (lambda: make_staircase(10, 3, n_directions=0), "n_directions must be >= 1"),
        (lambda: make_single_index(10, 3, noise=-0.1), "noise must be >= 0"),
        (lambda: make_single_index(10, 3, noise=np.nan), "noise must be a finite"),
        (lambda: make_single_index(10, 3, noise="big"), "noise must be a finite"),
        (lambda: make_single_index(10, 3, link="sigmoid"), r"\['hermite', 'relu', 'tanh'\]"),
        (lambda: make_multi_index(10, 3, target="T3"), r"\['T1', 'T2', 'T2prime'\]"),
        (lambda: make_multi_index(10, 3, target="T1", n_directions=3), "uses 2 directions"),
        (
            lambda: make_multi_index(10, 3, target=lambda H: H, n_directions=2),
            r"must return an array of shape \(10,\)",
        ),
        (
            lambda: make_single_index(10, 3, link=lambda h: h[:5]),
            r"must return an array of shape \(10,\)",
        ),
    ],
)
def test_bad_arguments_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()
