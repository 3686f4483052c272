"""Diagnostics of a learned first layer: alignment with a subspace, effective rank."""

import numpy as np


def _first_layer(weights_or_estimator):
    """The (p, d) first-layer weights of an array, a fitted estimator or a pipeline."""
    obj = weights_or_estimator
    if hasattr(obj, "steps"):  # a Pipeline: its final step
        obj = obj.steps[-1][1]
    network = getattr(obj, "network_", None)
    W = network.weights if network is not None else obj
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2:
        raise ValueError(f"expected a 2-D weight matrix (n_hidden, n_features); got {W.shape}")
    return W


def alignment(weights, directions, *, per_direction=False):
    """Cosine between each hidden unit's weight vector and a subspace.

    Parameters
    ----------
    weights : ndarray of shape (p, d), or a fitted estimator or pipeline
        First-layer weights ``W`` (rows ``w_j``), or an estimator with ``network_``
        (e.g. :class:`~skgiant.GiantStepRegressor`), or a pipeline ending in one. Note that
        inside a pipeline the weights act on the transformed inputs.
    directions : ndarray of shape (k, d) or (d,)
        Vectors spanning the subspace (e.g. the teacher directions returned by
        :mod:`skgiant.datasets`). They need not be orthonormal.
    per_direction : bool, default=False
        If True, return ``|cos(w_j, u_r)|`` for each direction separately instead.

    Returns
    -------
    ndarray of shape (p,), or (p, k) with ``per_direction=True``
        ``||P w_j|| / ||w_j||`` with ``P`` the orthogonal projector on the span of the
        directions (0 for a zero row). For random rows in dimension ``d`` the
        root-mean-square value is about ``sqrt(k / d)``; 1 means perfect alignment.

    Examples
    --------
    >>> import numpy as np
    >>> from skgiant.diagnostics import alignment
    >>> W = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]])
    >>> alignment(W, np.array([1.0, 0.0])).round(3)
    array([1.   , 0.707, 0.   ])
    """
    W = _first_layer(weights)
    U = np.atleast_2d(np.asarray(directions, dtype=np.float64))
    if U.shape[1] != W.shape[1]:
        raise ValueError(
            f"directions have {U.shape[1]} features but the weights have {W.shape[1]}."
        )
    if not np.all(np.isfinite(U)) or np.any(np.linalg.norm(U, axis=1) == 0):
        raise ValueError("directions must be finite and non-zero.")
    norms = np.linalg.norm(W, axis=1)
    safe = np.where(norms > 0, norms, 1.0)
    if per_direction:
        unit = U / np.linalg.norm(U, axis=1, keepdims=True)
        return np.abs(W @ unit.T) / safe[:, None] * (norms > 0)[:, None]
    Q, _ = np.linalg.qr(U.T)
    return np.linalg.norm(W @ Q, axis=1) / safe * (norms > 0)


def effective_rank(matrix):
    """Entropy effective rank ``exp(H(s / sum(s)))`` of a matrix (Roy & Vetterli, 2007).

    Equals the rank for a matrix whose non-zero singular values are equal, and 1 for a
    rank-one matrix: a collapse of all first-layer rows onto one direction drives it to 1.

    Parameters
    ----------
    matrix : ndarray of shape (p, d), or a fitted estimator or pipeline
        A matrix, e.g. first-layer weights ``W``, or an estimator with ``network_`` (or a
        pipeline ending in one), whose first-layer weights are used.

    Returns
    -------
    float
        The effective rank, between 1 and ``min(p, d)`` (0 for a zero matrix).

    Examples
    --------
    >>> import numpy as np
    >>> from skgiant.diagnostics import effective_rank
    >>> round(effective_rank(np.eye(3)), 6)
    3.0
    >>> round(effective_rank(np.outer([1.0, 2.0], [3.0, 4.0])), 6)
    1.0
    """
    s = np.linalg.svd(_first_layer(matrix), compute_uv=False)
    total = s.sum()
    if total <= 0:
        return 0.0
    q = s[s > 0] / total
    return float(np.exp(-(q * np.log(q)).sum()))
