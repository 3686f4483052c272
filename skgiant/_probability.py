"""Class probabilities from learned features: class weights and two readouts (private).

Pure functions on arrays, for the classifiers to come. The features reach the readouts
through the interface of the ridge readout: a callable ``features(rows)`` returning the
float64 features of the rows selected by a slice or an index array.

* :func:`class_weights` turns ``class_weight`` ("balanced" or a dict) into the weight of
  each class, with scikit-learn's formula ``S / (K * S_k)`` computed on *weighted*
  counts, so integer sample weights and repeated rows give the same result.
* Candidate A, :func:`fit_softmax_readout`: multinomial logistic (softmax) readout with an
  L2 penalty chosen by cross-fitted log loss along a warm-started penalty path, solved by
  L-BFGS (:func:`softmax_objective` is the loss and its gradient). The features of all
  rows are held in memory.
* Candidate B, :func:`fit_calibrated_ridge_readout`: ridge regression on one-hot targets
  (the Gram matrix accumulated over row chunks, as the ridge readout does), mapped through
  ``softmax(scale * scores + offsets)``; the temperature ``1 / scale`` and the per-class
  offsets are fitted (:func:`fit_temperature`) on the exact leave-one-out scores of the ridge
  readout (:func:`ridge_loo_scores`) against Platt's smoothed targets (so that separable
  scores keep a finite temperature), and the ridge penalty is the one whose calibrated
  leave-one-out scores have the least log loss.

Both return a :class:`ProbabilityReadout`, whose :meth:`~ProbabilityReadout.predict_proba`
maps features to probabilities.

Penalty convention (the one of the ridge readout): with weights ``w`` and ``S = sum(w)``,
candidate A minimizes ::

    (1 / S) * sum_i w_i * (-log p_i[y_i]) + (alpha / 2) * ||B||_F**2

over the coefficients ``B`` (``k x K``, every class has its own column, the symmetric
multinomial parametrization) and unpenalized intercepts. For ``K >= 3`` this is
scikit-learn's ``LogisticRegression(C=1 / (alpha * S))`` with the same weights; for
``K = 2`` the difference of the two columns is the binomial ``LogisticRegression(C=2 /
(alpha * S))`` (the symmetric split halves the penalty). ``alpha`` need not change with
``n``. Candidate B's ``alpha`` is the ridge readout's (``(1/S) sum w ||y - ...||**2 +
alpha ||B||**2``).

Weights are frequency weights: an integer weight ``k`` is ``k`` copies of the row. The
leave-one-out scores of candidate B leave out one unit of weight (as the ridge readout's
leave-one-out error does), so that holds for them exactly.
"""

from dataclasses import dataclass, replace

import numpy as np
from scipy import optimize
from scipy.special import log_softmax, softmax

from ._chunks import row_slices
from ._moments import gram_kernel
from ._ridge import (
    best_penalty_index,
    dual_eigen_readout,
    eigen_readout,
    gram_statistics,
    ridge_coef,
)
from ._weights import as_row_weights

#: Candidate A's penalty path, as multiples of the mean feature variance, strong to weak.
SOFTMAX_RELATIVE_ALPHAS = np.logspace(2, -6, 17)
#: Candidate B's ridge penalties, as multiples of the mean feature variance.
RIDGE_RELATIVE_ALPHAS = np.logspace(-6, 2, 25)
#: Candidate B fits the temperature on the leave-one-out scores of at most this many rows
#: (drawn with a fixed seed when there are more).
CALIBRATION_ROWS = 16384


@dataclass
class ProbabilityReadout:
    """A fitted readout from features to class probabilities.

    ``proba = softmax(scale * (phi @ coef + intercept) + offsets)`` row by row.

    Attributes
    ----------
    coef : ndarray of shape (k, K)
    intercept : ndarray of shape (K,)
    scale : float
        Inverse temperature (1 for candidate A).
    offsets : ndarray of shape (K,)
        Per-class offsets added after scaling (zeros for candidate A).
    alpha : float
        The penalty used, in the convention of the readout (see the module docstring).
    alpha_grid : ndarray or None
        Penalties tried (``alpha="auto"``).
    cv_curve : ndarray or None
        Log loss along ``alpha_grid``: cross-fitted (A) or of the calibrated
        leave-one-out scores (B); ``inf`` where the path stopped early.
    n_iter : int
        L-BFGS iterations of the final fit (A), or of the temperature fit (B).
    feature_mean : ndarray of shape (k,) or None
        Weighted mean of each feature on the training rows (a by-product of the fit;
        the classifiers count dead units with it).
    """

    coef: np.ndarray
    intercept: np.ndarray
    scale: float
    offsets: np.ndarray
    alpha: float
    alpha_grid: np.ndarray | None
    cv_curve: np.ndarray | None
    n_iter: int
    feature_mean: np.ndarray | None = None

    def decision_function(self, phi):
        """Calibrated logits ``scale * (phi @ coef + intercept) + offsets``, shape (n, K)."""
        return self.scale * (phi @ self.coef + self.intercept) + self.offsets

    def predict_proba(self, phi):
        """Class probabilities, shape (n, K); rows sum to one."""
        return softmax(self.decision_function(phi), axis=1)


# --------------------------------------------------------------------------- class weights


def class_weights(counts, total, class_weight, classes):
    """The weight of each class, from the weighted counts of the classes.

    Parameters
    ----------
    counts : ndarray of shape (K,)
        ``S_k``, the total sample weight of each class.
    total : float
        ``S``, the total sample weight.
    class_weight : dict, "balanced" or None
        ``None``: every class weighs 1. ``"balanced"``: class ``k`` weighs
        ``S / (K * S_k)``, with ``S`` the total sample weight, ``S_k`` that of class ``k``
        and ``K`` the number of classes (scikit-learn's ``n_samples / (n_classes *
        bincount(y))`` when the sample weights are all one). A dict maps original labels
        (elements of ``classes``) to weights; classes it leaves out weigh 1.
    classes : ndarray of shape (K,)
        The original labels, in encoded order.

    Returns
    -------
    ndarray of shape (K,)
        The factor of each class (0 for a class of zero weight with "balanced").
    """
    n_classes = len(classes)
    if class_weight is None:
        return np.ones(n_classes)
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(
                f"class_weight must be 'balanced', a dict or None, got {class_weight!r}."
            )
        return np.where(counts > 0, total / (n_classes * np.where(counts > 0, counts, 1)), 0.0)
    unknown = [label for label in class_weight if label not in set(classes.tolist())]
    if unknown:
        raise ValueError(
            f"class_weight has labels {unknown} that are not in the classes {classes}."
        )
    return np.array([float(class_weight.get(c, 1.0)) for c in classes.tolist()])


# ------------------------------------------------------------------------------ candidate A


def softmax_objective(params, phi, y, weight, alpha):
    """Penalized multinomial log loss and its gradient (candidate A's objective).

    Parameters
    ----------
    params : ndarray of shape ((k + 1) * K,)
        ``B`` (``k x K``, row-major) followed by the ``K`` intercepts.
    phi : ndarray of shape (n, k)
    y : ndarray of shape (n,) of int
    weight : ndarray of shape (n,)
        Weights summing to one (divide sample weights by their sum).
    alpha : float
        Penalty ``(alpha / 2) ||B||**2``.

    Returns
    -------
    loss : float
    grad : ndarray of shape ((k + 1) * K,)
    """
    n, k = phi.shape
    K = params.size // (k + 1)
    B = params[: k * K].reshape(k, K)
    logits = phi @ B + params[k * K :]
    logp = log_softmax(logits, axis=1)
    rows = np.arange(n)
    loss = -(weight @ logp[rows, y]) + 0.5 * alpha * np.sum(B * B)
    G = np.exp(logp)
    G[rows, y] -= 1.0
    G *= weight[:, None]
    grad = np.concatenate([(phi.T @ G + alpha * B).ravel(), G.sum(axis=0)])
    return float(loss), grad


def _minimize_softmax(phi, y, weight, alpha, start, max_iter, tol):
    result = optimize.minimize(
        softmax_objective,
        start,
        args=(phi, y, weight, alpha),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter, "gtol": tol, "ftol": 64 * np.finfo(float).eps},
    )
    return result.x, int(result.nit)


def _weighted_log_loss(logits, y, weight):
    logp = log_softmax(logits, axis=1)
    return float(-(weight @ logp[np.arange(len(y)), y]) / weight.sum())


def _stratified_folds(y, weight, n_folds, random_state):
    """Fold number of every weighted row: each class dealt round-robin after a shuffle."""
    rng = np.random.default_rng(random_state)
    fold = np.full(len(y), -1)
    for label in np.unique(y):
        members = np.flatnonzero((y == label) & (weight > 0))
        fold[rng.permutation(members)] = np.arange(len(members)) % n_folds
    return fold


def _all_features(features, n, chunk):
    return np.concatenate([features(rows) for rows in row_slices(n, chunk)]) if n else None


def fit_softmax_readout(
    features,
    n_features,
    y,
    n_classes,
    sample_weight,
    chunk,
    *,
    alpha="auto",
    n_folds=3,
    max_iter=1000,
    tol=1e-6,
    random_state=0,
):
    """Candidate A: multinomial logistic readout, L2 penalty given or chosen.

    The features are centred (weighted mean) and divided by the root of their mean
    variance before the solve (the penalty is on that scale internally and converted
    back), so that the relative penalty grid :data:`SOFTMAX_RELATIVE_ALPHAS` means the
    same thing for any features. With ``alpha="auto"`` the penalty path, from strong to
    weak, is fitted on ``n_folds - 1`` folds and scored by log loss on the held-out fold,
    each fold's path warm-started from its previous penalty; the path stops once the
    cross-fitted loss has risen twice in a row past its minimum. The chosen penalty (the
    largest within ``1e-6`` of the least loss) is refitted on all rows, warm-started from
    the mean of the folds' solutions. With fewer weighted rows than features every fit
    runs on coordinates of the row space of the features (:func:`_row_space`; the same
    optimum, at a fraction of the cost).

    Parameters
    ----------
    features : callable
        ``features(rows)`` gives the float64 features of the rows ``rows`` (a slice).
    n_features : int
        ``k``.
    y : ndarray of shape (n,) of int
        Encoded labels, ``0 <= y < n_classes``.
    n_classes : int
        ``K >= 2``.
    sample_weight : ndarray of shape (n,)
        Non-negative weights with a positive sum (class weights folded in).
    chunk : int
        Rows per call of ``features``.
    alpha : float or "auto", default="auto"
        Penalty ``> 0`` in the convention of the module docstring, or "auto".
    n_folds : int, default=3
        Folds of the cross-fitted choice (``alpha="auto"``).
    max_iter : int, default=1000
        L-BFGS iterations per fit.
    tol : float, default=1e-6
        L-BFGS tolerance on the projected gradient (of the internally scaled problem).
    random_state : int, default=0
        Seeds the folds.

    Returns
    -------
    ProbabilityReadout
    """
    phi = _all_features(features, len(y), chunk)
    kept = sample_weight > 0  # rows of weight zero play no part
    phi, y, w = phi[kept], y[kept], sample_weight[kept] / sample_weight.sum()
    mean = w @ phi
    phi = phi - mean
    variance = float(w @ (phi * phi).sum(axis=1)) / max(n_features, 1)
    s = np.sqrt(variance) if variance > 0 else 1.0
    phi /= s
    Z, basis = _row_space(phi)
    k = Z.shape[1]
    start = np.zeros((k + 1) * n_classes)
    prior = np.bincount(y, weights=w, minlength=n_classes)
    start[k * n_classes :] = np.log(np.maximum(prior, np.finfo(float).tiny))
    grid = curve = None
    if alpha == "auto":
        relative, solutions, curve = _softmax_path(
            Z, y, w, n_classes, start, n_folds, max_iter, tol, random_state
        )
        index = best_penalty_index(curve)
        start, alpha_scaled = solutions[index], float(relative[index])
        grid = relative * variance
    else:
        alpha_scaled = float(alpha) / variance  # (alpha/2)||B||^2 with B = B_scaled / s
    params, n_iter = _minimize_softmax(Z, y, w, alpha_scaled, start, max_iter, tol)
    B = params[: k * n_classes].reshape(k, n_classes)
    B = (B if basis is None else basis @ B) / s
    b = params[k * n_classes :] - mean @ B
    return ProbabilityReadout(
        coef=B,
        intercept=b,
        scale=1.0,
        offsets=np.zeros(n_classes),
        alpha=alpha_scaled * variance,
        alpha_grid=grid,
        cv_curve=curve,
        n_iter=n_iter,
        feature_mean=mean,
    )


def _row_space(phi):
    """``(Z, V)`` with ``Z = phi @ V`` and ``V`` an orthonormal basis of the row space of
    ``phi`` when it has fewer rows than columns, else ``(phi, None)``.

    The penalized softmax problem is the same on ``Z``: every optimum ``B`` lies in the
    row space (a component orthogonal to it changes no logit and adds to the penalty),
    ``B = V @ C`` gives ``phi @ B = Z @ C`` and ``||B|| = ||C||``, and the same holds on any
    subset of the rows (the folds). With few rows and many features (e.g. 133 rows and
    1024 hidden units) every L-BFGS iteration is then several times cheaper.
    """
    n, k = phi.shape
    if n >= k:
        return phi, None
    U, S, Vt = np.linalg.svd(phi, full_matrices=False)
    rank = int(np.count_nonzero(S > S[0] * max(n, k) * np.finfo(float).eps)) if n else 0
    return U[:, :rank] * S[:rank], Vt[:rank].T


def _softmax_path(phi, y, w, n_classes, start, n_folds, max_iter, tol, random_state):
    """Cross-fitted log loss along :data:`SOFTMAX_RELATIVE_ALPHAS` (on the scaled
    features); returns ``(grid, mean solution per penalty, curve)``."""
    grid = SOFTMAX_RELATIVE_ALPHAS
    fold = _stratified_folds(y, w, n_folds, random_state)
    curve = np.full(len(grid), np.inf)
    solutions = [np.zeros_like(start) for _ in grid]
    current = [start.copy() for _ in range(n_folds)]
    rises = 0
    for i, alpha in enumerate(grid):
        held_out_loss = 0.0
        for f in range(n_folds):
            train, test = fold != f, fold == f
            if not test.any():
                continue
            wt = w[train] / w[train].sum()
            current[f], _ = _minimize_softmax(
                phi[train], y[train], wt, alpha, current[f], max_iter, tol
            )
            k = phi.shape[1]
            logits = phi[test] @ current[f][: k * n_classes].reshape(k, n_classes)
            logits += current[f][k * n_classes :]
            held_out_loss += _weighted_log_loss(logits, y[test], w[test]) * w[test].sum()
            solutions[i] += current[f] / n_folds
        curve[i] = held_out_loss / w[fold >= 0].sum()
        rises = rises + 1 if i and curve[i] > curve[:i].min() else 0
        if rises == 2:
            break
    return grid, solutions, curve


# ------------------------------------------------------------------------------ candidate B


def ridge_loo_scores(eig, phi_rows, Y_rows, alphas):
    """Exact leave-one-out scores of a ridge readout, for every penalty.

    For each evaluated row the prediction of the readout refitted without one unit of the
    row's weight (without the row, for unit weights): ``(y_hat - h * y) / (1 - h)`` per
    output, with ``h`` the leverage of a unit-weight copy of the row (intercept included).

    Parameters
    ----------
    eig : EigenReadout
        The diagonalized ridge problem fitted on all rows
        (:func:`skgiant._ridge.eigen_readout` or :func:`~skgiant._ridge.dual_eigen_readout`).
    phi_rows : ndarray of shape (s, k)
        Features of the evaluated rows.
    Y_rows : ndarray of shape (s, m)
        Their targets.
    alphas : array-like of shape (L,)

    Returns
    -------
    ndarray of shape (s, m, L)
    """
    stats = eig.stats
    u = (phi_rows - stats.feature_mean) @ eig.eigenvectors
    inv = eig.inverse_spectrum(alphas)  # (r, L)
    leverage = (1.0 + (u * u) @ inv) / stats.weight_sum  # (s, L)
    fitted = stats.target_mean[None, :, None] + np.einsum(
        "sr,rm,rl->sml", u, eig.projected_cross, inv, optimize=True
    )
    denom = np.clip(1.0 - leverage, np.sqrt(np.finfo(float).eps), None)[:, None, :]
    return (fitted - leverage[:, None, :] * Y_rows[:, :, None]) / denom


def temperature_objective(params, scores, targets, weight):
    """Cross-entropy of ``softmax(a * scores + c)`` against ``targets`` and its gradient.

    ``params = [a, c_1, ..., c_K]``; ``targets`` (shape ``(n, K)``) are one-hot rows or
    soft labels summing to one; ``weight`` sums to one.
    """
    logp = log_softmax(params[0] * scores + params[1:], axis=1)
    G = (np.exp(logp) - targets) * weight[:, None]
    grad = np.concatenate([[np.sum(G * scores)], G.sum(axis=0)])
    return float(-np.sum(weight[:, None] * targets * logp)), grad


def smoothed_targets(y, n_classes, sample_weight):
    """Platt's targets: a row of class ``k`` puts ``(N_k + 1) / (N_k + 2)`` on its class and
    the rest, ``1 / (N_k + 2)``, evenly on the others (``N_k`` the class's weighted count).

    Platt (1999) introduced them for fitting a sigmoid to scores that separate the
    classes, where the maximum-likelihood temperature does not exist (it grows without
    bound and the probabilities become 0 and 1); the targets keep it finite and tend to
    the one-hot labels as the classes grow.
    """
    counts = np.bincount(y, weights=sample_weight, minlength=n_classes)
    on = (counts + 1.0) / (counts + 2.0)
    off = (1.0 - on) / max(n_classes - 1, 1)
    T = np.repeat(off[y][:, None], n_classes, axis=1)
    T[np.arange(len(y)), y] = on[y]
    return T


def fit_temperature(scores, y, sample_weight, *, smoothing=True, max_iter=200):
    """Scale ``a`` and offsets ``c`` of ``softmax(a * scores + c)`` by weighted
    cross-entropy (a convex problem in ``K + 1`` numbers), by Newton's method with
    backtracking.

    Parameters
    ----------
    scores : ndarray of shape (n, K)
    y : ndarray of shape (n,) of int
    sample_weight : ndarray of shape (n,)
    smoothing : bool, default=True
        Fit to Platt's targets (:func:`smoothed_targets`) instead of the one-hot labels,
        so that scores separating the classes get a finite temperature.
    max_iter : int, default=200

    Returns
    -------
    scale : float
    offsets : ndarray of shape (K,)
        Centred to sum zero.
    loss : float
        Weighted mean log loss of the fitted probabilities against the labels ``y``.
    n_iter : int
    """
    n_classes = scores.shape[1]
    w = sample_weight / sample_weight.sum()
    onehot = np.eye(n_classes)[y]
    targets = smoothed_targets(y, n_classes, sample_weight) if smoothing else onehot
    params = np.zeros(n_classes + 1)
    params[0] = 1.0
    loss, grad = temperature_objective(params, scores, targets, w)
    n_iter = 0
    while n_iter < max_iter and np.abs(grad).max() > 1e-10:
        step = np.linalg.solve(_temperature_hessian(params, scores, w), -grad)
        t, decrease = 1.0, grad @ step  # Armijo backtracking along the Newton direction
        while True:
            trial_loss, trial_grad = temperature_objective(params + t * step, scores, targets, w)
            if trial_loss <= loss + 1e-4 * t * decrease or t < 1e-10:
                break
            t /= 2
        n_iter += 1
        if trial_loss >= loss:  # no progress left at this precision
            break
        params, loss, grad = params + t * step, trial_loss, trial_grad
    offsets = params[1:] - params[1:].mean()
    loss = temperature_objective(params, scores, onehot, w)[0]
    return float(params[0]), offsets, loss, n_iter


def _temperature_hessian(params, scores, weight):
    """Hessian of :func:`temperature_objective` in ``[a, c]``, plus ``1 / K`` on the
    offsets' common shift (along which the loss is flat), so that it is invertible and
    Newton steps keep the offsets' sum."""
    P = softmax(params[0] * scores + params[1:], axis=1)
    Pw = P * weight[:, None]
    ps = np.sum(P * scores, axis=1)  # p . s per row
    H = np.empty((len(params), len(params)))
    H[0, 0] = np.sum(Pw * scores**2) - weight @ ps**2
    H[0, 1:] = H[1:, 0] = np.sum(Pw * (scores - ps[:, None]), axis=0)
    H[1:, 1:] = np.diag(Pw.sum(axis=0)) - Pw.T @ P + 1.0 / len(params[1:])
    return H


def fit_calibrated_ridge_readout(
    features,
    n_features,
    y,
    n_classes,
    sample_weight,
    chunk,
    *,
    alpha="auto",
    calibration_rows=None,
):
    """Candidate B: ridge on one-hot targets, then a softmax calibrated on leave-one-out.

    The ridge readout of the one-hot targets is fitted as the ridge readout of the
    regressors is (weighted Gram matrix over row chunks, one eigendecomposition; the
    kernel matrix when there are fewer weighted rows than features). For each penalty of
    the grid :data:`RIDGE_RELATIVE_ALPHAS` (times the mean feature variance) the exact
    leave-one-out scores of the evaluated rows (:func:`ridge_loo_scores`) get their own
    temperature and offsets (:func:`fit_temperature`, on Platt's smoothed targets); the
    penalty whose calibrated leave-one-out scores have the least log loss is kept (the
    largest within ``1e-6``), with its temperature and offsets. The evaluated rows are
    all weighted rows, or at most ``calibration_rows`` of them drawn with a fixed seed.
    The log loss of each penalty is measured on the scores its temperature was fitted on
    (``K + 1`` numbers fitted on thousands of rows: the optimism is small and the same
    for every penalty).

    Parameters
    ----------
    features : callable
        ``features(rows)`` gives the float64 features of the rows ``rows`` (a slice or an
        index array).
    n_features : int
    y : ndarray of shape (n,) of int
        Encoded labels.
    n_classes : int
    sample_weight : ndarray of shape (n,)
    chunk : int
        Rows per chunk of the Gram matrix.
    alpha : float or "auto", default="auto"
        A fixed ridge penalty (the temperature is still fitted on leave-one-out scores),
        or "auto".
    calibration_rows : int, optional
        Default :data:`CALIBRATION_ROWS`.

    Returns
    -------
    ProbabilityReadout
    """
    Y = np.eye(n_classes)[y]
    weighted = np.flatnonzero(sample_weight > 0)
    if len(weighted) < n_features:
        eig = dual_eigen_readout(features(weighted), Y[weighted], sample_weight[weighted])
    else:
        eig = eigen_readout(gram_statistics(features, Y, sample_weight, chunk))
    rows = calibration_index(sample_weight, calibration_rows)
    return calibrate_ridge(eig, features(rows), y[rows], sample_weight[rows], alpha)


def calibration_index(sample_weight, calibration_rows=None):
    """The rows candidate B fits its temperature on: every weighted row, or at most
    ``calibration_rows`` (default :data:`CALIBRATION_ROWS`) drawn with a fixed seed
    (``sample_weight``: an array or a :class:`~skgiant._weights.RowWeights`)."""
    cap = CALIBRATION_ROWS if calibration_rows is None else calibration_rows
    return as_row_weights(sample_weight).sample_weighted(cap, seed=0)


def fit_calibrated_ridge_readout_on_rows(
    data, feature_map, n_features, y, n_classes, *, alpha="auto", calibration_rows=None
):
    """Candidate B reading the rows through a :class:`~skgiant._blocks.RowData`: one pass.

    The same readout as :func:`fit_calibrated_ridge_readout`, with the features of a
    block computed from its inputs (``feature_map(block.X)``, as the ridge readout's
    kernels do): one :meth:`~skgiant._blocks.RowData.reduce` accumulates the Gram
    statistics of the features and the one-hot targets and gathers the calibration rows
    (with fewer weighted rows than features, one gather of those rows instead).

    Parameters
    ----------
    data : RowData
        The rows (in memory or on dask blocks); their weights are the sample weights
        (class weights folded in).
    feature_map : callable
        ``feature_map(X)``: the float64 features of a block of inputs, a new array.
    n_features : int
    y : ndarray of shape (n,) of int, or callable
        Encoded labels (they replace the targets of ``data``), or ``y(Y)``: the encoded
        labels of a block's targets as given (not standardized), so that the labels
        are read in the blocks and need not be on the driver.
    n_classes : int
    alpha : float or "auto", default="auto"
    calibration_rows : int, optional
        Default :data:`CALIBRATION_ROWS`.

    Returns
    -------
    ProbabilityReadout
    """
    if callable(y):  # the labels are read from the targets in the blocks
        labels, data = y, replace(data, y_mean=None, y_scale=None)
    else:
        data = replace(data, Y=np.asarray(y, dtype=float)[:, None], y_mean=None, y_scale=None)

        def labels(Y):
            return Y[:, 0].astype(np.intp)

    eye = np.eye(n_classes)
    if data.weights.n_weighted < n_features:
        sample = data.take(data.weights.weighted_rows())
        y_rows, w = labels(sample.Y), sample.weights.array()
        eig = dual_eigen_readout(feature_map(sample.X), eye[y_rows], w)
        return calibrate_ridge(eig, feature_map(sample.X), y_rows, w, alpha)
    rows = calibration_index(data.weights, calibration_rows)
    gram = gram_kernel(feature_map, data.weights.largest)

    def kernel(block):  # the Gram statistics of the features and the one-hot labels
        return gram(replace(block, Y=eye[labels(block.Y)]))

    total, sample = data.reduce(kernel, floats_per_row=2 * (n_features + n_classes), gather=rows)
    eig = eigen_readout(total.gram_statistics(n_features, data.weight_sum))
    w = sample.weights.array()
    return calibrate_ridge(eig, feature_map(sample.X), labels(sample.Y), w, alpha)


def calibrate_ridge(eig, phi_rows, y_rows, w_rows, alpha):
    """Candidate B from the diagonalized ridge problem and the calibration rows.

    The ridge readout of ``eig`` (fitted on all rows) at the penalty whose calibrated
    leave-one-out scores of the calibration rows have the least log loss (or at
    ``alpha``), with the temperature and offsets fitted on those scores
    (:func:`fit_temperature`). Shared by the in-memory, dask and streaming readouts.

    Parameters
    ----------
    eig : EigenReadout
        The diagonalized ridge problem of the one-hot targets on all rows.
    phi_rows : ndarray of shape (s, k)
        Features of the calibration rows.
    y_rows : ndarray of shape (s,) of int
        Their encoded labels.
    w_rows : ndarray of shape (s,)
        Their weights.
    alpha : float or "auto"

    Returns
    -------
    ProbabilityReadout
    """
    n_classes = eig.stats.target_mean.shape[0]
    if alpha == "auto":
        grid = RIDGE_RELATIVE_ALPHAS * max(eig.mean_variance, np.finfo(float).tiny)
    else:
        grid = np.array([float(alpha)])
    loo = ridge_loo_scores(eig, phi_rows, np.eye(n_classes)[y_rows], grid)
    fits = [fit_temperature(loo[:, :, i], y_rows, w_rows) for i in range(len(grid))]
    curve = np.array([fit[2] for fit in fits])
    index = best_penalty_index(curve)
    scale, offsets, _, n_iter = fits[index]
    coef, intercept = ridge_coef(eig, grid[index])
    return ProbabilityReadout(
        coef=np.array(coef),
        intercept=np.array(intercept),
        scale=scale,
        offsets=offsets,
        alpha=float(grid[index]),
        alpha_grid=grid if alpha == "auto" else None,
        cv_curve=curve if alpha == "auto" else None,
        n_iter=n_iter,
        feature_mean=eig.stats.feature_mean,
    )


# ------------------------------------------------------------------------------- metrics


def expected_calibration_error(y, proba, n_bins=15, sample_weight=None):
    """Top-label expected calibration error with equal-width bins.

    The rows are binned by their top probability ``max_k proba[i, k]`` into ``n_bins``
    equal-width bins of ``[0, 1]`` (a top probability on an edge goes to the upper bin,
    1 to the last); the error is the weighted mean over bins of ``|accuracy - mean top
    probability|``, each bin weighing its share of the rows.

    Parameters
    ----------
    y : ndarray of shape (n,) of int
        Encoded labels (columns of ``proba``).
    proba : ndarray of shape (n, K)
    n_bins : int, default=15
    sample_weight : ndarray of shape (n,), optional

    Returns
    -------
    float
    """
    w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    top = proba.max(axis=1)
    correct = (proba.argmax(axis=1) == y).astype(float)
    bins = np.minimum((top * n_bins).astype(int), n_bins - 1)
    gap = np.bincount(bins, weights=w * (correct - top), minlength=n_bins)
    return float(np.abs(gap).sum() / w.sum())
