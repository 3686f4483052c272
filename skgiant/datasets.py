"""Synthetic Gaussian multi-index targets.

The generators follow Dandi, Krzakala, Loureiro, Pesce and Stephan, *How Two-Layer Neural
Networks Learn, One (Giant) Step at a Time* (arXiv:2305.18270). Inputs are standard Gaussian,
``X ~ N(0, I_d)``, and the target depends on ``X`` only through its projections
``H = X @ directions.T`` onto ``k`` orthonormal teacher directions.

Every generator returns ``(X, y, directions)``:

- ``X``: ndarray of shape (n_samples, n_features), float64;
- ``y``: ndarray of shape (n_samples,), float64;
- ``directions``: ndarray of shape (k, n_features) with orthonormal rows.

For a fixed ``random_state`` the teacher directions are drawn first and ``X`` second, so ``X``
and ``directions`` do not depend on ``noise``.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state

__all__ = ["make_single_index", "make_multi_index", "make_staircase"]


def _he_sum(h):
    """Return s(h) = He1(h) + He2(h)/2 + He4(h)/24 (probabilists' Hermite polynomials)."""
    h2 = h * h
    return h + (h2 - 1.0) / 2.0 + (h2 * h2 - 6.0 * h2 + 3.0) / 24.0


def _relu(h):
    return np.maximum(h, 0.0)


_LINKS = {"relu": _relu, "tanh": np.tanh, "hermite": _he_sum}


def _t1(H):
    return 0.5 * (_he_sum(H[:, 0]) + _he_sum(H[:, 1]))


def _t2(H):
    h1, h2 = H[:, 0], H[:, 1]
    return 0.5 * ((h1 + h1**2) + (h2 - h2**2))


def _t2prime(H):
    h1, h2 = H[:, 0], H[:, 1]
    return 0.5 * ((h1 + h1**2) + (h2 + h2**2))


_TARGETS = {"T1": _t1, "T2": _t2, "T2prime": _t2prime}


def _check_int(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}.")
    return int(value)


def _sample(n_samples, n_features, n_directions, noise, random_state):
    """Validate the common arguments and draw directions, X, H and the noise vector."""
    n_samples = _check_int(n_samples, "n_samples", 1)
    n_directions = _check_int(n_directions, "n_directions", 1)
    if isinstance(n_features, bool) or not isinstance(n_features, Integral):
        raise ValueError(f"n_features must be an integer, got {n_features!r}.")
    if n_features < n_directions:
        raise ValueError(
            f"n_features must be >= the number of directions ({n_directions}), got {n_features}."
        )
    if isinstance(noise, bool) or not isinstance(noise, Real) or not np.isfinite(noise):
        raise ValueError(f"noise must be a finite real number, got {noise!r}.")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}.")

    rng = check_random_state(random_state)
    # QR of a Gaussian matrix, with the signs fixed by diag(R): Haar-distributed directions.
    Q, R = np.linalg.qr(rng.standard_normal((n_features, n_directions)))
    signs = np.sign(np.diag(R))
    signs[signs == 0] = 1.0
    directions = np.ascontiguousarray((Q * signs).T)
    X = rng.standard_normal((n_samples, n_features))
    eps = noise * rng.standard_normal(n_samples) if noise > 0 else np.zeros(n_samples)
    return X, X @ directions.T, directions, eps


def _as_target(values, n_samples, what):
    y = np.asarray(values, dtype=np.float64)
    if y.shape != (n_samples,):
        raise ValueError(f"{what} must return an array of shape ({n_samples},), got {y.shape}.")
    return y


def make_single_index(n_samples, n_features, *, link="relu", noise=0.0, random_state=None):
    """Generate a Gaussian single-index target ``y = g(<theta, x>)``.

    Parameters
    ----------
    n_samples : int
        Number of samples, >= 1.
    n_features : int
        Input dimension ``d``, >= 1.
    link : {"relu", "tanh", "hermite"} or callable, default="relu"
        The link function ``g``. ``"relu"`` is ``max(h, 0)``, ``"tanh"`` is ``tanh(h)`` and
        ``"hermite"`` is ``He1(h) + He2(h)/2 + He4(h)/24`` with the probabilists' Hermite
        polynomials ``He2 = h**2 - 1`` and ``He4 = h**4 - 6 h**2 + 3``. A callable receives
        the projections ``h`` of shape (n_samples,) and must return an array of that shape.
    noise : float, default=0.0
        Standard deviation of the additive Gaussian label noise, >= 0.
    random_state : int, RandomState instance or None, default=None
        Seed or generator for the direction, the inputs and the noise.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        Standard Gaussian inputs.
    y : ndarray of shape (n_samples,)
        Targets.
    directions : ndarray of shape (1, n_features)
        The unit-norm teacher direction ``theta``.

    Examples
    --------
    >>> from skgiant.datasets import make_single_index
    >>> X, y, directions = make_single_index(100, 5, link="tanh", random_state=0)
    >>> X.shape, y.shape, directions.shape
    ((100, 5), (100,), (1, 5))
    """
    if callable(link):
        g = link
    elif isinstance(link, str) and link in _LINKS:
        g = _LINKS[link]
    else:
        raise ValueError(f"link must be one of {sorted(_LINKS)} or a callable, got {link!r}.")
    X, H, directions, eps = _sample(n_samples, n_features, 1, noise, random_state)
    y = _as_target(g(H[:, 0]), X.shape[0], "link")
    return X, y + eps, directions


def make_multi_index(
    n_samples, n_features, *, target="T1", n_directions=None, noise=0.0, random_state=None
):
    """Generate one of the Gaussian multi-index targets of Dandi et al.

    With ``h_r = <theta_r, x>`` for orthonormal ``theta_1, theta_2`` and
    ``s(h) = He1(h) + He2(h)/2 + He4(h)/24``:

    - ``"T1"``: ``y = (s(h1) + s(h2)) / 2`` (variance about 0.77);
    - ``"T2"`` (staircase): ``y = ((h1 + h1**2) + (h2 - h2**2)) / 2`` (variance 1.5);
    - ``"T2prime"`` (control, not a staircase): ``y = ((h1 + h1**2) + (h2 + h2**2)) / 2``.

    Parameters
    ----------
    n_samples : int
        Number of samples, >= 1.
    n_features : int
        Input dimension ``d``, at least the number of directions.
    target : {"T1", "T2", "T2prime"} or callable, default="T1"
        The target function. A callable receives the projections ``H`` of shape
        (n_samples, n_directions) and must return an array of shape (n_samples,).
    n_directions : int or None, default=None
        Number of teacher directions ``k``. The named targets use exactly 2 (None means 2);
        for a callable target it sets the number of columns of ``H`` (None means 2).
    noise : float, default=0.0
        Standard deviation of the additive Gaussian label noise, >= 0.
    random_state : int, RandomState instance or None, default=None
        Seed or generator for the directions, the inputs and the noise.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        Standard Gaussian inputs.
    y : ndarray of shape (n_samples,)
        Targets.
    directions : ndarray of shape (n_directions, n_features)
        Orthonormal teacher directions, one per row.

    Examples
    --------
    >>> from skgiant.datasets import make_multi_index
    >>> X, y, directions = make_multi_index(200, 10, target="T2", random_state=0)
    >>> X.shape, y.shape, directions.shape
    ((200, 10), (200,), (2, 10))
    >>> X, y, directions = make_multi_index(
    ...     50, 6, target=lambda H: H.prod(axis=1), n_directions=3, random_state=0
    ... )
    >>> directions.shape
    (3, 6)
    """
    if callable(target):
        f = target
        k = 2 if n_directions is None else n_directions
    elif isinstance(target, str) and target in _TARGETS:
        f = _TARGETS[target]
        if n_directions not in (None, 2):
            raise ValueError(
                f"target={target!r} uses 2 directions; got n_directions={n_directions!r}."
            )
        k = 2
    else:
        raise ValueError(f"target must be one of {sorted(_TARGETS)} or a callable, got {target!r}.")
    X, H, directions, eps = _sample(n_samples, n_features, k, noise, random_state)
    y = _as_target(f(H), X.shape[0], "target")
    return X, y + eps, directions


def make_staircase(n_samples, n_features, *, n_directions=3, noise=0.0, random_state=None):
    """Generate the staircase target ``y = h1 + h1 h2 + h1 h2 h3 + ...``.

    With ``h_r = <theta_r, x>`` for ``k = n_directions`` orthonormal directions,
    ``y = sum_{m=1}^{k} prod_{r=1}^{m} h_r``. The terms are orthonormal, so ``Var(y) = k`` and
    the best linear predictor (``h1``) leaves a mean squared error of ``k - 1``.

    Parameters
    ----------
    n_samples : int
        Number of samples, >= 1.
    n_features : int
        Input dimension ``d``, >= ``n_directions``.
    n_directions : int, default=3
        Number of teacher directions ``k`` (the height of the staircase), >= 1.
    noise : float, default=0.0
        Standard deviation of the additive Gaussian label noise, >= 0.
    random_state : int, RandomState instance or None, default=None
        Seed or generator for the directions, the inputs and the noise.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        Standard Gaussian inputs.
    y : ndarray of shape (n_samples,)
        Targets.
    directions : ndarray of shape (n_directions, n_features)
        Orthonormal teacher directions, one per row.

    Examples
    --------
    >>> from skgiant.datasets import make_staircase
    >>> X, y, directions = make_staircase(100, 8, n_directions=4, random_state=0)
    >>> X.shape, y.shape, directions.shape
    ((100, 8), (100,), (4, 8))
    """
    X, H, directions, eps = _sample(n_samples, n_features, n_directions, noise, random_state)
    y = np.cumprod(H, axis=1).sum(axis=1)
    return X, y + eps, directions
