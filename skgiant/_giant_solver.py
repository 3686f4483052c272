"""The giant-step algorithm as a pure solver: :func:`fit_giant_steps`.

Dandi et al. (2023): a few full-batch gradient steps on the first layer with a learning
rate that grows with the width, then a ridge readout. The solver works on
:class:`~skgiant._blocks.RowData` and knows nothing of scikit-learn. It reads the rows in
passes of block kernels:

1. one pass for the moments of ``[X, Y]`` (standardization, clipping range and, with
   ``remove_linear``, the ridge fit of the targets on the inputs) that also gathers the
   small sample the step size is selected on (:func:`select_steps`, in memory);
2. one pass per step for the gradient (the labels the step follows are formed inside the
   pass: minus the linear fit, or minus the previous readout);
3. one pass per readout for its Gram statistics (which also gathers the rows that score
   its leave-one-out error).

The default fit (one step, ``second_layer="refit"``) therefore reads the rows 3 times;
each further step adds 2 (its gradient and the readout it is followed by).
"""

import time
import warnings
from dataclasses import dataclass, field, fields
from functools import cache

import numpy as np

from ._giant import (
    StepRecord,
    batch_schedule,
    first_layer_gradient,
    giant_step,
    learning_rate,
    normalized_second_layer,
    readout_features,
)
from ._moments import moments
from ._readout import LINEAR_RATIOS, fit_readout, loo_index, readout_from_statistics
from ._ridge import LinAlgConditionWarning
from ._selection import one_standard_error_choice


@dataclass(frozen=True)
class GiantStepConfig:
    """Settings of :func:`fit_giant_steps`.

    The first group are the estimator's hyperparameters (see
    :class:`~skgiant.GiantStepRegressor`); ``step_size_grid`` and the others are solver
    options, reachable through its ``solver_options`` (:data:`SOLVER_OPTIONS`).

    Attributes
    ----------
    n_steps : int
        Giant steps (the most, when the step size is selected).
    step_size : float or None
        The step-size constant ``c``; ``None`` selects it (and the number of steps) on
        held-out rows (:func:`select_steps`).
    step_size_grid : tuple of float
        Candidates of the selection.
    batch_size : int or None
        Rows per step; ``None`` is all rows with ``second_layer="refit"`` and
        ``n // n_steps`` with ``"frozen"``.
    alpha : float or "auto"
        Readout penalty (see :func:`~skgiant._readout.fit_readout`).
    activation : str
    remove_linear : bool
        The first step follows the labels minus their ridge fit on the inputs.
    linear_readout : bool
        The readout has a linear term ``X / sqrt(d)``.
    second_layer : {"refit", "frozen"}
        What the steps after the first follow.
    learning_rate_scaling : {"giant", "width", "constant"}
        See :func:`~skgiant._giant.learning_rate`.
    symmetric_init : bool
        Units in pairs of opposite signs (zero output at initialization).
    random_fraction : float
        Fraction of units (in pairs) that keep their random initialization.
    max_row_move : float or None
        Cap on each row's move per step.
    normalize_rows : bool
        Rescale each row to its previous norm after every step.
    selection_fraction : float
        Size of each held-out fold of the selection, as a fraction of its rows.
    selection_rows : int
        Held-out rows the selection aims to score in all (more folds for small data).
    selection_max_folds : int
        At most this many folds.
    selection_max_rows, selection_max_width : int
        The selection runs on at most this many rows and hidden units.
    selection_loo_rows : int
        The selection's readouts choose their penalty by leave-one-out on at most this
        many rows.
    divergence_factor : float
        A step whose rows grow beyond this factor of their initial norm is undone.
    linear_penalty_ratio : float or None
        With a fixed ``alpha`` and ``linear_readout``: the linear term's penalty is this
        multiple of ``alpha`` (None: the same penalty). Refitting a model with the pair of
        penalties an automatic fit chose (its ``alpha_`` and ``alpha_linear_``).
    """

    n_steps: int = 1
    step_size: float | None = None
    step_size_grid: tuple = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0)
    batch_size: int | None = None
    alpha: float | str = "auto"
    activation: str = "relu"
    remove_linear: bool = True
    linear_readout: bool = True
    second_layer: str = "refit"
    # solver options
    learning_rate_scaling: str = "giant"
    symmetric_init: bool = True
    random_fraction: float = 0.0
    max_row_move: float | None = None
    normalize_rows: bool = False
    selection_fraction: float = 0.2
    selection_rows: int = 1000
    selection_max_folds: int = 5
    selection_max_rows: int = 2000
    selection_max_width: int = 128
    selection_loo_rows: int = 256
    divergence_factor: float = 1e6
    linear_penalty_ratio: float | None = None

    def resolve_batch_size(self, n_pool):
        """Rows per step for a pool of ``n_pool`` rows."""
        if self.batch_size is None:
            if self.second_layer == "refit":
                return max(n_pool, 1)
            return max(n_pool // max(self.n_steps, 1), 1)
        return max(min(self.batch_size, n_pool), 1)


#: The names of the solver options (the config fields that are not hyperparameters).
SOLVER_OPTIONS = ("step_size_grid", *(f.name for f in fields(GiantStepConfig)[9:]))


@dataclass
class FirstLayer:
    """Where the steps start: the first layer, the signs the first step follows, the
    units that move, the batch seed and the number of steps already taken."""

    W: np.ndarray
    b: np.ndarray
    a: np.ndarray
    trainable: np.ndarray | None
    seed: int
    start_step: int = 0


@dataclass
class GiantStepResult:
    """Output of :func:`fit_giant_steps` (all on standardized inputs and targets)."""

    W: np.ndarray
    b: np.ndarray
    readout: object  # skgiant._readout.Readout
    step_size: float
    history: list = field(default_factory=list)
    selected: tuple | None = None
    selection_scores: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)


class Monitor:
    """What the solver reports to: a subtask begins, a subtask ends (``model()`` gives
    ``(W, b, readout)`` at that moment; a true return value stops the steps)."""

    def begin(self, name):
        pass

    def end(self, model):
        return False


@dataclass
class LinearFit:
    """A ridge fit of the labels on the inputs, ``X @ coef + intercept``."""

    coef: np.ndarray
    intercept: np.ndarray
    alpha: float

    def residuals(self, block):
        return block.Y - block.X @ self.coef - self.intercept


def linear_fit(stats, rows):
    """The ridge fit of the labels on the inputs from Gram statistics of ``[X, Y]`` and
    the rows that score leave-one-out (``stats`` None: the dual form on every row)."""
    fit = readout_from_statistics(stats, rows)
    return LinearFit(fit.beta, fit.intercept, fit.alpha)


def fit_giant_steps(
    data, config, start, *, linear=None, sample=None, monitor=None, verbose=0, final_readout=None
):
    """Giant steps on the first layer, then the ridge readout.

    Parameters
    ----------
    data : RowData
        The training rows, inputs and labels standardized.
    config : GiantStepConfig
    start : FirstLayer
        The initial first layer (or a fitted one, to continue: a warm start).
    linear : LinearFit or None
        With ``remove_linear``: the linear fit the first step's labels are taken from.
    sample : RowData or None
        The rows the step size is selected on (needed when ``config.step_size`` is None).
    monitor : Monitor or None
    verbose : int
    final_readout : callable, optional
        ``final_readout(data, W, b)`` fits the model's readout on the features of the
        learned first layer (e.g. a probabilistic readout for classes). By default the
        ridge readout of :func:`~skgiant._readout.fit_readout` (which the refitted
        second layer of the steps always uses).

    Returns
    -------
    GiantStepResult
    """
    monitor = monitor or Monitor()
    step_size, selected, scores = config.step_size, None, {}
    n_steps = config.n_steps
    if n_steps == 0:
        step_size = 0.0
    elif step_size is None:
        (c, n_steps), scores, batch_weight = select_steps(sample, config, start, linear, verbose)
        selected = (c, n_steps)
        step_size = transfer_step_size(c, batch_weight, data, config)
    fit_readout_of = _readout_fitter(data, config)
    initial = None
    if config.second_layer == "refit" and start.start_step > 0:
        # a warm start's first step follows the readout of the current features
        initial = cache(lambda: fit_readout_of(start.W, start.b))
    W, b, readout, history, notes = start.W, start.b, initial, [], []
    path = step_path(
        data, config, start, step_size, n_steps if step_size > 0 else 0,
        fit_readout_of, linear=linear, initial=initial, monitor=monitor, notes=notes,
        verbose=verbose,
    )  # fmt: skip
    for W, b, record, readout in path:  # noqa: B007 (the last step is the model)
        history.append(record)
    monitor.begin("readout")
    if final_readout is not None:
        final = final_readout(data, W, b)
    else:
        final = readout() if readout is not None else fit_readout_of(W, b)
    monitor.end(lambda: (W, b, final))
    return GiantStepResult(W, b, final, float(step_size), history, selected, scores, notes)


def _readout_fitter(data, config, *, loo_rows=None, ratio=None, quiet=False):
    """``fit(W, b)``: the readout on the features of ``(W, b)`` (one pass). With
    ``quiet``, ill-conditioning warnings are silenced (the final fit reports them)."""
    d = data.n_features if config.linear_readout else 0
    if ratio is None and config.alpha != "auto":
        ratio = config.linear_penalty_ratio

    def fit(W, b):
        with warnings.catch_warnings():
            if quiet:
                warnings.simplefilter("ignore", LinAlgConditionWarning)
            return _fit(W, b)

    def _fit(W, b):
        return fit_readout(
            data,
            lambda X: readout_features(X, W, b, config.activation, config.linear_readout),
            W.shape[0] + d,
            alpha=config.alpha,
            n_linear=d,
            ratio=ratio,
            loo_rows=loo_rows,
        )

    return fit


def readout_residuals(readout, W, b, config):
    """Block map: the labels minus the readout's predictions on the features of ``(W, b)``."""

    def residuals(block):
        phi = readout_features(block.X, W, b, config.activation, config.linear_readout)
        return block.Y - phi @ readout.beta - readout.intercept

    return residuals


def step_path(
    data, config, start, c, n_steps, fit_readout_of, *, linear=None, initial=None,
    monitor=None, notes=None, verbose=0, first_gradients=None,
):  # fmt: skip
    """Take up to ``n_steps`` giant steps with constant ``c`` on ``data``.

    A generator: after each step it yields ``(W, b, record, readout)``, where
    ``readout()`` returns (and caches) ``fit_readout_of(W, b)``, the readout of the
    features after that step. With ``second_layer="refit"`` every step after the first
    follows the previous step's readout: its hidden coefficients, at the scale of the
    initial signs, are the second layer, and its residuals are the labels; ``initial`` (a
    cached readout of the starting layer) makes the first step do so too (warm start).
    With ``"frozen"`` every step follows the network with the signs ``start.a`` (minus
    ``linear``'s fit when given). ``first_gradients`` (a dict) caches the first step's
    gradient, which does not depend on ``c``, across calls on the same data and layer.

    A step that makes the first layer blow up is undone and the steps stop there; a
    message is appended to ``notes`` when given (candidates tried during the selection
    pass none: only the fitted model's trouble is reported).
    """
    if c == 0 or n_steps == 0:
        return
    monitor = monitor or Monitor()
    W, b = start.W, start.b
    batch_size = config.resolve_batch_size(data.n)
    schedule = batch_schedule(start.seed, data.n, batch_size, n_steps, start.start_step)
    initial_norm = np.sqrt((W * W).sum(axis=1) + b * b).max()
    previous = initial
    for i, (rows, fresh) in enumerate(schedule):
        tic = time.perf_counter()
        batch, n_rows, batch_weight = None, data.n, data.weights.total
        if not isinstance(rows, slice):  # a minibatch (a slice is every row)
            batch = np.zeros(data.n, dtype=bool)
            batch[rows] = True
            n_rows, batch_weight = len(rows), data.weights.at(rows).sum()
        eta = learning_rate(
            c,
            scaling=config.learning_rate_scaling,
            n_hidden=W.shape[0],
            batch_weight=batch_weight,
            n_features=data.n_features,
        )
        monitor.begin("giant-step")
        if config.second_layer == "refit" and previous is not None:
            fitted = previous()
            a = normalized_second_layer(fitted.beta[: W.shape[0]])
            targets = readout_residuals(fitted, W, b, config)
            gradient = None
        else:
            a = start.a
            targets = linear.residuals if linear is not None else None
            gradient = None
            if i == 0 and first_gradients is not None:
                gradient = first_gradients.get(_batch_key(rows))
        # a huge step size overflows here; the divergence test below catches it
        with np.errstate(over="ignore", invalid="ignore"):
            if gradient is None:
                gradient = first_layer_gradient(
                    data, W, b, a, act=config.activation, targets=targets, batch=batch
                )
            if i == 0 and first_gradients is not None:
                first_gradients[_batch_key(rows)] = gradient
            W_new, b_new, record = giant_step(
                W, b, gradient, eta=eta, trainable=start.trainable,
                max_row_move=config.max_row_move, normalize_rows=config.normalize_rows,
                step=start.start_step + i, batch_size=n_rows, fresh_batch=fresh,
            )  # fmt: skip
            norms = np.sqrt((W_new * W_new).sum(axis=1) + b_new * b_new)
        if not np.all(np.isfinite(norms)) or norms.max() > config.divergence_factor * initial_norm:
            before = previous or cache(lambda W=W, b=b: fit_readout_of(W, b))
            monitor.end(lambda W=W, b=b, r=before: (W, b, r()))
            if notes is not None:
                notes.append(
                    f"Giant step {start.start_step + i + 1} with step_size={c:g} diverged "
                    f"(first-layer rows grew beyond {config.divergence_factor:g} times "
                    "their initial norm); keeping the first layer from before that step. "
                    "Lower step_size or set solver_options={'max_row_move': ...}."
                )
            return
        W, b = W_new, b_new
        previous = cache(lambda W=W, b=b: fit_readout_of(W, b))
        stop = monitor.end(lambda W=W, b=b, r=previous: (W, b, r()))
        if verbose > 1:
            print(
                f"[GiantStepRegressor]   step {record.step + 1}: batch={record.batch_size} "
                f"eta={eta:.3g} loss={record.batch_loss:.4f} "
                f"top singular values={np.round(record.update_singular_values[:3], 3)} "
                f"eff. rank={record.effective_rank:.1f} ({time.perf_counter() - tic:.2f}s)"
            )
        yield W, b, record, previous
        if stop:
            return


# ----------------------------------------------------------------------------------------
# Selection of the step size and the number of steps
# ----------------------------------------------------------------------------------------


def selection_sample_rows(rng, n, config):
    """The rows of the selection problem (all rows when few), drawn by a
    ``numpy.random.Generator`` seeded from ``rng`` (a ``RandomState``).

    ``Generator.choice`` holds only the drawn rows in memory once ``n`` exceeds both
    10,000 and 50 times the sample (Floyd's algorithm); ``RandomState.choice`` would
    permute all ``n`` rows (800 MB at 10^8 rows).
    """
    if n > config.selection_max_rows:
        draw = np.random.default_rng(rng.randint(2**31 - 1))
        return np.sort(draw.choice(n, config.selection_max_rows, replace=False))
    return np.arange(n)


def reduced_first_layer(start, config):
    """The starting layer on at most ``selection_max_width`` units (``+/-`` pairs kept
    together), its signs rescaled to keep the mean-field scale."""
    p = start.W.shape[0]
    if p <= config.selection_max_width:
        return start
    if config.symmetric_init:  # keep the +/- pairs (j, j + p // 2) together
        k, half = config.selection_max_width // 2, p // 2
        units = np.r_[0:k, half : half + k]
    else:
        units = np.arange(config.selection_max_width)
    scale = np.sqrt(p / len(units))
    return FirstLayer(
        start.W[units],
        start.b[units],
        start.a[units] * scale,
        None if start.trainable is None else start.trainable[units],
        start.seed,
        start.start_step,
    )


def selection_folds(n, config, seed):
    """The held-out folds of the selection: index arrays into ``n`` rows."""
    fold = max(1, min(int(np.ceil(config.selection_fraction * n)), n - 1))
    n_folds = int(min(n // fold, np.ceil(config.selection_rows / fold), config.selection_max_folds))
    order = np.random.default_rng([seed, 2**31]).permutation(n)
    return [np.sort(order[k * fold : (k + 1) * fold]) for k in range(max(n_folds, 1))]


def select_steps(sample, config, start, linear, verbose=0):
    """Choose the step size and the number of steps on held-out rows.

    The selection runs on ``sample`` (at most ``selection_max_rows`` rows) with at most
    ``selection_max_width`` units (:func:`reduced_first_layer`): in the giant-step
    convention the constant ``c`` moves rows by the same amount whatever the width and
    the batch size, so it transfers to the full fit (:func:`transfer_step_size`).

    The rows are split into folds of ``selection_fraction`` of them (as many folds as
    needed to score about ``selection_rows`` rows, at most ``selection_max_folds``). For
    each fold and step size, the steps and the readouts between them use the other rows
    only, and the readout after each step (its penalty chosen on those rows, as in the
    final fit) is scored on the fold: rows whose labels shaped neither the features nor
    the readout. Every pair ``(c, t)`` with ``t <= n_steps`` steps is a candidate; the
    simplest within one standard error of the best is chosen
    (:func:`~skgiant._selection.one_standard_error_choice`: no step, then fewer steps,
    then a smaller step size).

    Returns ``((step_size, n_steps), scores, batch_weight)``: the chosen candidate, the
    held-out MSE of every candidate, and the expected weight of a selection step's batch.
    """
    layer = reduced_first_layer(start, config)
    grid = np.asarray(config.step_size_grid, dtype=float)
    folds = selection_folds(sample.n, config, start.seed)
    errors, weights = {}, []  # (c, t) -> per-row held-out errors, one array per fold
    for k, held in enumerate(folds):
        pool = np.setdiff1d(np.arange(sample.n), held)
        train, test = sample.take(pool), sample.take(held)
        weights.append(test.weights.array())
        fold_errors = _fold_errors(train, test, config, layer, linear, grid, k)
        for key, e in fold_errors.items():
            errors.setdefault(key, []).append(e)
            if verbose and key[1] > 0:
                score = test.weights.array() @ e / test.weight_sum
                print(
                    f"[GiantStepRegressor] fold {k + 1}/{len(folds)} step_size={key[0]:g} "
                    f"step {key[1]}: held-out MSE={score:.4f}"
                )
    weights = np.concatenate(weights)
    # a candidate that diverged on some fold is out
    per_row = {key: np.concatenate(e) for key, e in errors.items() if len(e) == len(folds)}
    scores = {key: float(weights @ e / weights.sum()) for key, e in per_row.items()}
    order = sorted(per_row, key=lambda key: (key[1], key[0]))
    step_size, n_steps = one_standard_error_choice(per_row, weights, order)
    # the expected weight of a selection step's batch (see transfer_step_size): a
    # fraction of the rows is held out, then batches are cut
    pool_rows = sample.n - len(folds[0])
    batch_weight = (
        sample.weight_sum
        * (1.0 - config.selection_fraction)
        * config.resolve_batch_size(pool_rows)
        / pool_rows
    )
    return (float(step_size), int(n_steps)), scores, batch_weight


def _fold_errors(train, test, config, layer, linear, grid, k):
    """Per-row held-out errors on one fold of every candidate ``(c, t)``."""
    layer = FirstLayer(layer.W, layer.b, layer.a, layer.trainable, layer.seed + 7919 * (k + 1))

    def held_error(readout, W, b):
        resid = readout_residuals(readout, W, b, config)(test.block(slice(None)))
        return (resid * resid).mean(axis=1)

    # every candidate of the fold gets the ratio of the two readout penalties chosen
    # jointly on the initial features (one joint choice per fold, then cheap
    # one-penalty readouts on an equal footing)
    loo_rows = config.selection_loo_rows
    initial = _readout_fitter(train, config, loo_rows=loo_rows, quiet=True)(layer.W, layer.b)
    fit = _readout_fitter(
        train, config, loo_rows=loo_rows, ratio=penalty_ratio(initial), quiet=True
    )
    errors = {(0.0, 0): held_error(fit(layer.W, layer.b), layer.W, layer.b)}
    first_gradients = {}  # the first step's gradient does not depend on c
    for c in grid[grid > 0]:
        path = step_path(
            train, config, layer, c, config.n_steps, fit, linear=linear,
            first_gradients=first_gradients,
        )  # fmt: skip
        for W, b, record, readout in path:
            errors[(float(c), record.step + 1)] = held_error(readout(), W, b)
    return errors


def transfer_step_size(step_size, selection_batch, data, config):
    """The step-size constant of the full fit that moves the rows as far as the
    selected one moved them on the selection problem.

    With ``eta = c p sqrt(n_batch / d)`` a gradient step moves each row by about
    ``c sqrt(n_batch / d)`` along the (averaged, n-independent) signal direction of the
    gradient, plus ``O(c)`` of sampling noise. Reusing the selected ``c`` on a batch of
    ``k`` times the selection's rows would move the rows ``sqrt(k)`` times further than
    the move that was validated: on a million rows the units collapse onto the signal
    direction and the model gets worse with more data. Keeping the move instead
    (``c * sqrt(selection batch / full batch)``) transfers what the selection measured;
    the larger batch only removes noise from the step.
    """
    if config.learning_rate_scaling != "giant" or step_size == 0:
        return step_size
    full_batch = data.weight_sum * config.resolve_batch_size(data.n) / data.n
    return step_size * np.sqrt(min(selection_batch / full_batch, 1.0))


def penalty_ratio(readout):
    """``alpha_linear / alpha`` of a readout (None without a linear block or with a fixed
    penalty; the smallest ratio tried when it kept the linear term only)."""
    if readout.alpha_linear is None or readout.alpha_grid is None:
        return None
    if not np.isfinite(readout.alpha):
        return float(LINEAR_RATIOS[0])
    return readout.alpha_linear / readout.alpha


# ----------------------------------------------------------------------------------------
# The first pass: moments, linear fit and samples
# ----------------------------------------------------------------------------------------


@dataclass
class FirstPass:
    """What the first pass over the rows gives: the :class:`~skgiant._moments.Moments`
    of ``[X, Y]`` and the gathered rows (raw), by their indices."""

    moments: object
    index: np.ndarray
    rows: object  # RowData of the gathered rows

    def subset(self, index, x_mean, x_scale, y_mean, y_scale):
        """The gathered rows ``index`` (a subset of ``self.index``), standardized."""
        positions = np.searchsorted(self.index, index)
        return self.rows.standardized(x_mean, x_scale, y_mean, y_scale).take(positions)


def first_pass(data, gather, *, cross):
    """One pass: the moments of ``[X, Y]`` (cross products too with ``cross``) and the
    rows ``gather`` (sorted indices)."""
    scale = data.weights.largest
    d = data.n_features

    def kernel(block):
        Z = np.empty((block.X.shape[0], d + block.Y.shape[1]))
        Z[:, :d] = block.X
        Z[:, d:] = block.Y
        return moments(Z, block.weight, weight_scale=scale, cross=cross, overwrite=True)

    width = d + data.n_outputs
    total, rows = data.reduce(kernel, floats_per_row=2 * width, gather=gather)
    return FirstPass(total, gather, rows)


def _batch_key(rows):
    """A dictionary key for a step's batch: its rows, or ``"all"`` for every row."""
    return "all" if isinstance(rows, slice) else rows.tobytes()


def linear_fit_rows(weights, n_features):
    """The rows the linear fit needs besides the moments (``weights``: the
    :class:`~skgiant._weights.RowWeights` of the rows): all weighted rows when there are
    fewer than features (the dual form), else those scoring leave-one-out."""
    if weights.n_weighted < n_features:
        return weights.weighted_rows()
    return loo_index(weights)


__all__ = [
    "FirstLayer",
    "GiantStepConfig",
    "GiantStepResult",
    "Monitor",
    "SOLVER_OPTIONS",
    "StepRecord",
    "fit_giant_steps",
]
