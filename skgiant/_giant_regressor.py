"""GiantStepRegressor: a few giant gradient steps on the first layer, then a ridge readout."""

import time
import warnings
from dataclasses import dataclass, field, replace
from functools import cache, partial
from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from ._activations import ACTIVATIONS, activation
from ._base import (
    FitProgress,
    TwoLayerRegressorBase,
    standardize_targets,
    validate_fit_data,
    warn_dead_units,
)
from ._chunks import chunk_n_rows, row_slices
from ._compat import Interval, StrOptions, _fit_context
from ._giant import (
    LEARNING_RATE_SCALINGS,
    batch_schedule,
    first_layer_gradient,
    giant_step,
    init_first_layer,
    learning_rate,
    normalized_second_layer,
)
from ._memory import require_memory
from ._network import TwoLayerNetwork, input_scaling
from ._readout import LINEAR_RATIOS, fit_readout
from ._ridge import LinAlgConditionWarning
from ._selection import one_standard_error_choice

#: The setting of the theory (Dandi et al.): no biases, no linear term, plain labels,
#: symmetric initialization, frozen random second layer. Tests and the paper scripts
#: use it as ``GiantStepRegressor(**THEORY_PARAMS, ...)``.
THEORY_PARAMS = dict(
    bias_scale=0.0,
    remove_linear=False,
    linear_readout=False,
    symmetric_init=True,
    second_layer="frozen",
)

#: Held-out rows the step-size selection aims to score (more folds for small data).
_SELECTION_ROWS = 1000
#: The step-size selection runs on at most this many rows and hidden units.
_SELECTION_MAX_ROWS = 2000
_SELECTION_MAX_WIDTH = 128
#: The readouts of the selection choose their penalty by leave-one-out on at most this
#: many rows (the selection itself scores them on held-out folds).
_SELECTION_LOO_ROWS = 256
#: At most this many folds for the step-size selection.
_MAX_FOLDS = 5
#: Row chunks beyond this size only cost memory traffic (``working_memory`` can lower it
#: further): at width 1024, 1024-row chunks make the Gram pass about 15% faster than one
#: 8000-row block.
_MAX_CHUNK = 1024
#: Rows whose norm grows beyond this factor of the initial norm signal a diverging step.
_DIVERGENCE_FACTOR = 1e6


class GiantStepRegressor(TwoLayerRegressorBase):
    """Two-layer network trained by a few giant gradient steps and a ridge readout.

    The network is ``f(x) = sum_j beta_j act(<w_j, x> + b_j) / sqrt(p) + <theta, x> / sqrt(d)
    + beta_0``. Training follows Dandi et al. (2023): starting from random ``(w_j, b_j)`` and
    random second-layer signs ``a_j``, the first layer takes ``n_steps`` full-batch
    gradient steps of the squared loss with a learning rate that grows with the width
    ("giant" steps: ``eta = c * p * sqrt(n / d)``). Then the readout
    ``(beta, theta, beta_0)`` is a ridge regression on the learned features. Targets are
    standardized internally, and so are the inputs (a ``StandardScaler`` in front is not
    needed; the fitted network carries the scaling).

    One giant step on ``n = Theta(d)`` samples aligns the hidden units with the target's
    linear direction; several steps on fresh batches, with the second layer frozen, learn
    further directions linked to it (the "staircase", the paper's protocol:
    ``second_layer="frozen"``). On real data, later steps work better when they follow
    the ridge readout fitted after the previous step (``second_layer="refit"``, the
    default). With ``step_size="auto"`` the step size and the number of steps (including
    no step at all) are chosen on held-out rows, so the steps are only kept when they
    help.

    Parameters
    ----------
    n_hidden : int, default=1024
        Width ``p``, at least 1. The fit costs about ``n * p**2 + p**3`` operations and
        ``8 * 3 * p**2`` bytes; wider is usually more accurate but slower (the accuracy
        against fit time over widths 64 to 2048: ``benchmarks/RESULTS_fronts.md``).
    n_steps : int, default=1
        Number of giant steps on the first layer, at least 0 (0 = random features); with
        ``step_size="auto"`` the most steps: the selection also chooses how many of them
        to take (``n_iter_``). Each step after the first costs one more readout with
        ``second_layer="refit"``. ``n_steps=2`` is the more accurate choice at about twice
        the fit time; three steps help some data sets and hurt others. One step is the
        default, for speed (measurements: ``benchmarks/RESULTS_tuning_giant.md`` and
        ``benchmarks/RESULTS_fronts.md``).
    batch_size : int or "auto", default="auto"
        Samples per step (at most ``n``). Each step takes a fresh, disjoint batch while
        unused rows remain; after that rows are reused. ``"auto"`` resolves to all ``n``
        rows for every step with ``second_layer="refit"``, and to ``n // n_steps`` with
        ``"frozen"`` (fresh batches, every row used once across the steps, as in the
        theory). The theory needs ``batch_size`` of order ``d`` or more for any alignment.
        During the ``step_size="auto"`` selection the batches come from the rows outside
        the held-out fold.
    step_size : float or "auto", default="auto"
        The constant ``c`` of the learning rate, ``>= 0`` (``0`` = no step). With the default
        ``learning_rate_scaling="giant"``, ``eta = c * p * sqrt(n_batch / d)``: the
        authors' convention, in which ``c ~ 1`` moves each row by about its own norm when
        ``n_batch`` is of order ``d``; the move along the gradient's signal direction
        grows like ``c * sqrt(n_batch / d)``. ``"auto"`` picks ``c`` in
        ``step_size_grid``, and the number of steps up to ``n_steps``, by the error on
        held-out rows of the readout fitted on the others (see ``validation_fraction``),
        on a reduced copy of the problem (at most 2000 rows and 128 units; ``c``
        transfers across widths in this convention). The chosen ``c`` is then carried to
        the full batch so that the rows move as far as they did in the selection:
        ``step_size_ = c * sqrt(selection batch / full batch)`` (batches measured by
        their weight). Reusing ``c`` itself would move the rows ``sqrt(k)`` times further
        on ``k`` times more rows, and the model would get worse as data grows.
    alpha : float or "auto", default="auto"
        Ridge penalty of the readout, ``>= 0``: the readout minimizes
        ``(1/S) sum_i w_i (y_i - f(x_i))**2 + alpha * ||beta||**2 + alpha_l * ||theta||**2``
        with ``S = sum_i w_i`` and ``y`` standardized, so ``alpha`` does not need
        rescaling when ``n`` changes (``Ridge(alpha=alpha * S)`` on the features is the
        same fit). The intercept is not penalized. A number is used for both blocks
        (``alpha_l = alpha``). ``"auto"`` chooses ``alpha`` on a grid from ``1e-6`` to
        ``1e2`` times the mean variance of the hidden features and, with
        ``linear_readout``, the linear term's own penalty ``alpha_l`` (``1e-4`` to ``1e2``
        times ``alpha``) jointly with it, the special case "linear term only" (plain
        ridge on ``X``) included: one shared penalty lets a thousand hidden features
        dilute the few linear coefficients. The criterion is exact leave-one-out error
        (on a seeded subset of 512 rows when there are more), not generalized
        cross-validation, which is far too optimistic with rows of high leverage such as
        the rare levels of a one-hot encoded column.
    activation : {"relu", "tanh", "erf"}, default="relu"
        Hidden activation.
    learning_rate_scaling : {"giant", "width", "constant"}, default="giant"
        How ``step_size`` becomes a learning rate: ``c * p * sqrt(n_batch / d)``,
        ``c * p``, or ``c``.
    step_size_grid : tuple of float, default=(0.0, 0.5, 1.0, 2.0, 4.0, 8.0)
        Candidates for ``step_size="auto"``; include 0 to keep "no step" as a fallback.
        Each candidate costs ``n_steps`` readouts per fold on the reduced selection problem.
    validation_fraction : float, default=0.2
        With ``step_size="auto"``, the size of each held-out fold as a fraction of the
        rows, in ``(0, 1)`` (about 1000 rows are scored in all, in at most 5 folds): for
        each fold the steps and the readouts use the other rows only, and the error on
        the fold chooses the step size and the number of steps, because the readout's
        error on rows whose labels shaped the features is optimistic. The choice is the
        simplest candidate (no step, then fewer steps, then a smaller step size) whose
        held-out error is within one standard error of the best: a step is kept only if
        it beats no step by more than one standard error, and among steps the smaller
        move wins a near tie. The final fit uses every row.
    bias_scale : float, default=1.0
        Standard deviation of the random first-layer biases, in ``[0, 1e6]`` (0 = no
        biases, as in the theory). Biases matter on low-dimensional data, where units
        without them all cut through the origin.
    remove_linear : bool, default=True
        Subtract a ridge fit of the targets on ``X`` from the labels the steps see (the
        readout still models it through its linear term). One step otherwise spends itself
        on the linear direction, which the linear term of the readout already captures.
    linear_readout : bool, default=True
        Add the linear term ``<theta, x> / sqrt(d)`` to the readout.
    random_fraction : float, default=0.0
        Fraction of hidden units (in pairs) kept at their random initialization during the
        steps, in ``[0, 1]``.
    max_row_move : float or None, default=None
        Cap on the Euclidean norm of each row's update per step (rows start with norm
        about ``sqrt(1 + bias_scale**2)``). ``None`` = no cap.
    normalize_rows : bool, default=False
        Rescale each row to its previous norm after every step.
    second_layer : {"refit", "frozen"}, default="refit"
        What the steps after the first follow. ``"frozen"``: the network with the random
        signs ``a`` (the paper's protocol, with fresh batches). ``"refit"``: the ridge
        readout fitted after the previous step, whose hidden coefficients (rescaled to
        the root mean square ``1 / sqrt(p)`` of the signs) replace ``a`` and whose
        residuals replace the labels; one readout per step. The first step is the same
        in both. With two or three steps, refitting beat the frozen signs on every data
        set of ``benchmarks/tune_giant_defaults.py``, the Gaussian targets included;
        frozen signs collapse the features on real data (numbers in
        ``benchmarks/RESULTS_tuning_giant.md``).
    symmetric_init : bool, default=True
        Pair the units with opposite second-layer signs so the network output is zero at
        initialization (as in the theory).
    clip_inputs : bool, default=True
        Clip each input at prediction time to the range it had in ``fit`` (inside
        ``network_``, so ``predict``,
        :class:`GiantStepFeatures` and any export agree). A glitched reading far outside
        the training data (a sensor spike, a unit error) then gives a prediction like
        that of the most extreme seen value instead of an unbounded extrapolation of
        the learned features. Inside the training range nothing changes.
    warm_start : bool, default=False
        If True, a new ``fit`` continues from the learned first layer with ``n_steps``
        further steps (on fresh batches), then refits the readout. The steps use
        ``step_size`` if it is a number, else the step size chosen by the first fit (which
        may be 0: then no step is taken).
    verbose : int, default=0
        Print progress (one line per step and per step-size candidate) when positive.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialization, the batches and the leave-one-out rows.

    Attributes
    ----------
    network_ : TwoLayerNetwork
        The fitted network on the raw inputs and targets: it standardizes (and with
        ``clip_inputs`` clips) its inputs itself; its weights act on standardized inputs.
    step_size_ : float
        The step-size constant used (with ``step_size="auto"``: the selected one carried
        to the full batch, see ``step_size``; ``step_size=step_size_`` refits the same
        first layer).
    alpha_ : float
        The readout penalty of the hidden units (``inf`` when ``alpha="auto"`` kept the
        linear term only).
    alpha_linear_ : float or None
        The penalty of the linear term (``None`` without ``linear_readout``); with
        ``alpha="auto"`` it is chosen jointly with ``alpha_``.
    batch_size_ : int
        The resolved batch size.
    n_iter_ : int
        Giant steps taken (in total, across warm starts).
    loss_curve_ : list of float
        Batch loss ``(1/2S) sum w (y - f)**2`` (standardized ``y``) before each step, of
        the model the step follows: the network with the random signs for the first step
        (and every step with ``second_layer="frozen"``), the previous readout after that.
    history_ : list of StepRecord
        Per-step diagnostics: learning rate, batch loss, leading singular values of the
        update (a dominant first value is the rank-one spike of a giant step), rows capped,
        effective rank of ``W`` after the step.
    selected_step_ : tuple of (float, int) or None
        The candidate ``(step size of the selection problem, number of steps)`` the
        selection chose (only with ``step_size="auto"``; a key of ``selection_scores_``).
    step_size_scores_ : dict
        Held-out MSE (standardized ``y``) of each step-size candidate at its best number
        of steps (only with ``step_size="auto"``).
    selection_scores_ : dict
        Held-out MSE of every candidate ``(step_size, number of steps)`` of the selection
        (``(0.0, 0)`` is no step; only with ``step_size="auto"``).
    cv_mse_ : ndarray or None
        Exact leave-one-out MSE (standardized ``y``) along ``alpha_grid_`` at the chosen
        ratio ``alpha_linear_ / alpha_``, with ``alpha="auto"`` (``None`` when the linear
        term alone was kept, or for a fixed ``alpha``). With more than 512 weighted rows
        it is evaluated on a seeded random subset of 512 of them.
    alpha_criterion_ : {"loo"} or None
        The criterion that chose ``alpha_`` (``None`` for a fixed ``alpha``).
    alpha_grid_ : ndarray or None
        The hidden-unit penalties tried with ``alpha="auto"``.
    second_layer_ : ndarray of shape (n_hidden, n_outputs)
        The random signs ``a`` of the first step (and of every step with
        ``second_layer="frozen"``).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string feature names.

    See Also
    --------
    AlternatingOLSReLURegressor : exact alternating layer-wise least squares.
    sklearn.neural_network.MLPRegressor : the same network trained by SGD/Adam/L-BFGS.

    Notes
    -----
    The theory's multi-step protocol (fresh batches of ``n`` rows, frozen ``a``,
    ``eta = c p``) is ``second_layer="frozen", batch_size=n,
    learning_rate_scaling="width"`` with ``bias_scale=0, remove_linear=False,
    linear_readout=False``.
    The authors' one-step protocol (ReLU, no biases, ``W ~ N(0, 1/d)``, frozen ``a``,
    ``eta = 10 sqrt(n p)``, labels with their mean and linear part removed, ridge ``lambda``
    on un-normalized sums of features ``act(XW^T)/sqrt(p)``) is
    ``GiantStepRegressor(n_steps=1, step_size=10 * sqrt(d / p), bias_scale=0,
    remove_linear=True, alpha=lambda / n)``; ``linear_readout=False`` drops the linear
    term from the readout, which the authors add back with its fixed estimate. Remaining
    differences: the readout here has an unpenalized intercept and ``a = +-1/sqrt(p)``
    signs instead of Gaussian ``a``.

    References
    ----------
    Y. Dandi, F. Krzakala, B. Loureiro, L. Pesce, L. Stephan, "How Two-Layer Neural
    Networks Learn, One (Giant) Step at a Time", JMLR 2024 (arXiv:2305.18270).

    Examples
    --------
    >>> from sklearn.datasets import make_friedman1
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skgiant import GiantStepRegressor
    >>> X, y = make_friedman1(n_samples=1000, random_state=0)
    >>> model = make_pipeline(StandardScaler(), GiantStepRegressor(random_state=0))
    >>> model.fit(X[:800], y[:800]).score(X[800:], y[800:]) > 0.9
    True
    """

    _parameter_constraints = {
        "n_hidden": [Interval(Integral, 1, None, closed="left")],
        "n_steps": [Interval(Integral, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "step_size": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "alpha": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "learning_rate_scaling": [StrOptions(set(LEARNING_RATE_SCALINGS))],
        "step_size_grid": ["array-like"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "bias_scale": [Interval(Real, 0, 1e6, closed="both")],
        "remove_linear": ["boolean"],
        "linear_readout": ["boolean"],
        "random_fraction": [Interval(Real, 0, 1, closed="both")],
        "max_row_move": [Interval(Real, 0, None, closed="neither"), None],
        "normalize_rows": ["boolean"],
        "second_layer": [StrOptions({"refit", "frozen"})],
        "symmetric_init": ["boolean"],
        "clip_inputs": ["boolean"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_hidden=1024,
        n_steps=1,
        batch_size="auto",
        step_size="auto",
        alpha="auto",
        activation="relu",
        *,
        learning_rate_scaling="giant",
        step_size_grid=(0.0, 0.5, 1.0, 2.0, 4.0, 8.0),
        validation_fraction=0.2,
        bias_scale=1.0,
        remove_linear=True,
        linear_readout=True,
        random_fraction=0.0,
        max_row_move=None,
        normalize_rows=False,
        second_layer="refit",
        symmetric_init=True,
        clip_inputs=True,
        warm_start=False,
        verbose=0,
        random_state=None,
    ):
        self.n_hidden = n_hidden
        self.n_steps = n_steps
        self.batch_size = batch_size
        self.step_size = step_size
        self.alpha = alpha
        self.activation = activation
        self.learning_rate_scaling = learning_rate_scaling
        self.step_size_grid = step_size_grid
        self.validation_fraction = validation_fraction
        self.bias_scale = bias_scale
        self.remove_linear = remove_linear
        self.linear_readout = linear_readout
        self.random_fraction = random_fraction
        self.max_row_move = max_row_move
        self.normalize_rows = normalize_rows
        self.second_layer = second_layer
        self.symmetric_init = symmetric_init
        self.clip_inputs = clip_inputs
        self.warm_start = warm_start
        self.verbose = verbose
        self.random_state = random_state

    # ------------------------------------------------------------------ fitting
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the first layer by giant steps, then the ridge readout.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs. They are standardized internally (weighted by
            ``sample_weight``), so a ``StandardScaler`` in front is not needed.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative frequency weights. With a fixed ``step_size`` and full-batch
            steps, an integer weight is exactly the same as repeating the row.
            With ``step_size="auto"`` the held-out folds, and with smaller batches the
            batches, are drawn over rows, so a weighted row and its repeated copies can
            land differently and the chosen step size can differ.

        Returns
        -------
        self : GiantStepRegressor
            The fitted estimator.
        """
        continuing = self.warm_start and hasattr(self, "network_")
        X_user, Y, sw, y_was_1d = validate_fit_data(self, X, y, sample_weight, reset=not continuing)
        n, d = X_user.shape
        scaling = self._input_scaling(X_user, sw, continuing)
        X = (np.asarray(X_user, dtype=np.float64) - scaling["input_mean"]) / scaling["input_scale"]
        grid = np.asarray(self.step_size_grid, dtype=float).ravel()
        if self.step_size == "auto" and (grid.size == 0 or np.any(~np.isfinite(grid) | (grid < 0))):
            raise ValueError(
                "step_size_grid must be a non-empty sequence of finite non-negative numbers; "
                f"got {self.step_size_grid!r}."
            )
        if continuing and Y.shape[1] != self.second_layer_.shape[1]:
            raise ValueError(
                f"warm_start: y has {Y.shape[1]} outputs but the fitted model has "
                f"{self.second_layer_.shape[1]}."
            )
        n_readout = self.n_hidden + (d if self.linear_readout else 0)
        require_memory(
            8 * (3 * n_readout**2 + 3 * min(n, n_readout) * n_readout),
            f"The readout of n_hidden={self.n_hidden} units (a {n_readout} x {n_readout} "
            "Gram matrix and its eigenvectors)",
            "Lower n_hidden.",
        )
        rng = check_random_state(self.random_state)
        y_mean, y_scale = standardize_targets(Y, sw)
        Yt = (Y - y_mean) / y_scale
        chunk = min(chunk_n_rows(n, 3 * self.n_hidden + 2 * d + 2 * Y.shape[1]), _MAX_CHUNK)
        if continuing:
            W0, b0 = self.network_.weights.copy(), self.network_.bias.copy()
            a, seed, trainable = self.second_layer_, self._batch_seed, self._trainable
            start_step = self.n_iter_
        else:
            W0, b0, a = init_first_layer(
                rng,
                d,
                self.n_hidden,
                Y.shape[1],
                bias_scale=self.bias_scale,
                symmetric=self.symmetric_init,
            )
            seed, start_step = int(rng.randint(2**31 - 1)), 0
            trainable = self._trainable_units(rng, self.n_hidden)
        targets = Yt - self._linear_fit(X, Yt, sw, chunk) if self.remove_linear else Yt
        net = _StepProblem(X, Yt, targets, sw, W0, b0, a, trainable, chunk, seed)

        selection_scores, selected = {}, None
        n_steps = self.n_steps
        if continuing:
            # a number given now wins; "auto" keeps the step size chosen by the first fit
            step_size = self.step_size_ if self.step_size == "auto" else float(self.step_size)
        elif self.n_steps == 0:
            step_size = 0.0
        elif self.step_size == "auto":
            selected, selection_scores, selection_batch = self._select_steps(net, grid, rng)
            step_size, n_steps = selected
            step_size = self._transfer_step_size(step_size, selection_batch, n, sw.sum())
        else:
            step_size = float(self.step_size)

        pool = np.arange(n)
        self.batch_size_ = self._resolve_batch_size(len(pool))
        self._y_was_1d = y_was_1d

        def fit_readout(W, b):
            return self._fit_readout(X, Yt, sw, W, b, chunk)

        def to_network(W, b, result):
            return self._build_network(W, b, result, d, y_mean, y_scale, scaling)

        # with a refitted second layer, a warm start's first step follows the readout
        # of the current features on the data given now (as step k + 1 of a cold fit
        # follows the readout after step k; before any step, the random signs)
        initial = None
        if continuing and self.second_layer == "refit" and start_step > 0:
            initial = cache(lambda: fit_readout(W0, b0))
        n_planned = n_steps if step_size > 0 else 0
        progress = FitProgress(self, X_user, Y.ravel() if y_was_1d else Y, sw, n_planned + 1)
        W, b, history, readout = W0, b0, [], initial
        steps = self._step_path(
            net,
            step_size,
            pool,
            start_step,
            n_planned,
            fit_readout,
            progress=progress,
            to_network=to_network,
            initial=initial,
        )
        for W, b, record, readout in steps:  # noqa: B007 (the last step is the model)
            history.append(record)
        progress.begin("readout")
        result = readout() if readout is not None else fit_readout(W, b)
        network = to_network(W, b, result)
        progress.end(lambda: network)

        self.step_size_ = float(step_size)
        self.selected_step_ = selected
        self.selection_scores_ = selection_scores
        self.step_size_scores_ = {}
        for (c, _), score in selection_scores.items():
            self.step_size_scores_[c] = min(score, self.step_size_scores_.get(c, np.inf))
        self.alpha_ = float(result.alpha)
        self.alpha_linear_ = result.alpha_linear
        self.alpha_grid_ = result.alpha_grid
        self.cv_mse_ = result.cv_curve
        self.alpha_criterion_ = result.criterion
        self.second_layer_ = a
        self._batch_seed = seed
        self._trainable = trainable
        self.history_ = (self.history_ if continuing else []) + history
        self.n_iter_ = start_step + len(history)
        self.loss_curve_ = [r.batch_loss for r in self.history_]
        self.network_ = network
        rows = X[sw > 0]
        informative = np.any(Yt != 0) and np.any(rows != rows[0])  # else the mean is exact
        if self.activation == "relu" and informative:
            # a ReLU unit is dead when its weighted mean activation is exactly zero
            dead = int(np.count_nonzero(result.feature_mean[: self.n_hidden] <= 0))
            warn_dead_units(self, dead, self.n_hidden, "Lower step_size or bias_scale.")
        progress.close()
        return self

    def _input_scaling(self, X, sw, continuing):
        """Standardization and clipping bounds of the inputs (a warm start keeps the
        standardization its first layer was learned in, and widens the bounds)."""
        if not continuing:
            return input_scaling(X, sw, clip=self.clip_inputs)
        net = self.network_
        return input_scaling(
            X,
            sw,
            clip=self.clip_inputs,
            mean=net.input_mean,
            scale=net.input_scale,
            previous=(net.input_low, net.input_high),
        )

    def _resolve_batch_size(self, n_pool):
        if self.batch_size == "auto":
            if self.second_layer == "refit":
                return max(n_pool, 1)
            return max(n_pool // max(self.n_steps, 1), 1)
        return max(min(self.batch_size, n_pool), 1)

    def _select_steps(self, net, grid, rng):
        """Choose the step size and the number of steps on held-out rows.

        The selection runs on a reduced copy of the problem (at most
        ``_SELECTION_MAX_ROWS`` rows and ``_SELECTION_MAX_WIDTH`` units, a subset of the
        initial units with the second layer rescaled to keep the mean-field scale): in the
        giant-step convention the constant ``c`` moves rows by the same amount whatever the
        width and the batch size, so it transfers to the full fit, which then costs one
        readout per step.

        The rows are split into folds of ``validation_fraction * n`` rows (as many folds as
        needed to score about ``_SELECTION_ROWS`` rows, at most ``_MAX_FOLDS``). For each
        fold and step size, the steps and the readouts between them use the other rows
        only, and the readout after each step (its penalty chosen on those rows, as in
        the final fit) is scored on the fold: rows whose labels shaped neither the
        features nor the readout. Every pair ``(c, t)`` with ``t <= n_steps`` steps is a
        candidate; the simplest within one standard error of the best is chosen
        (:func:`~skgiant._selection.one_standard_error_choice`).

        Returns ``((step_size, n_steps), scores, batch_weight)``: the chosen candidate,
        the held-out MSE of every candidate, and the expected weight of a selection
        step's batch (see :meth:`_transfer_step_size`).
        """
        net = self._selection_problem(net, rng)
        n = net.X.shape[0]
        fold = max(1, min(int(np.ceil(self.validation_fraction * n)), n - 1))
        n_folds = int(min(n // fold, np.ceil(_SELECTION_ROWS / fold), _MAX_FOLDS))
        n_folds = max(n_folds, 1)
        order = np.random.default_rng([net.seed, 2**31]).permutation(n)
        errors = {}  # (c, t) -> per-row held-out errors, one array per fold
        weights = []
        for k in range(n_folds):
            held = np.sort(order[k * fold : (k + 1) * fold])
            pool = np.setdiff1d(np.arange(n), held)
            weights.append(net.sw[held])

            def fit_pool(W, b, pool=pool, ratio=None):
                # an ill-conditioned fixed penalty is reported by the final fit, once
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", LinAlgConditionWarning)
                    return self._fit_readout(
                        net.X[pool],
                        net.labels[pool],
                        net.sw[pool],
                        W,
                        b,
                        net.chunk,
                        ratio,
                        _SELECTION_LOO_ROWS,
                    )

            def held_error(result, W, b, held=held):
                resid = self._readout_residual(
                    net.X[held], net.labels[held], W, b, result, net.chunk
                )
                return (resid * resid).mean(axis=1)

            # every candidate of the fold gets the ratio of the two readout penalties
            # chosen jointly on the initial features (one joint choice per fold, then
            # cheap one-penalty readouts on an equal footing)
            ratio = _penalty_ratio(fit_pool(net.W0, net.b0))
            fit_pool = partial(fit_pool, ratio=ratio)
            errors.setdefault((0.0, 0), []).append(
                held_error(fit_pool(net.W0, net.b0), net.W0, net.b0)
            )
            fold_net = net.for_fold(k)
            for c in grid[grid > 0]:
                tic = time.perf_counter()
                for W, b, record, readout in self._step_path(
                    fold_net, c, pool, 0, self.n_steps, fit_pool, warn=False
                ):
                    key = (float(c), record.step + 1)
                    errors.setdefault(key, []).append(held_error(readout(), W, b))
                    if self.verbose:
                        score = net.sw[held] @ errors[key][-1] / net.sw[held].sum()
                        print(
                            f"[GiantStepRegressor] fold {k + 1}/{n_folds} step_size={c:g} "
                            f"step {key[1]}: held-out MSE={score:.4f} "
                            f"({time.perf_counter() - tic:.2f}s)"
                        )
        weights = np.concatenate(weights)
        # a candidate that diverged on some fold is out
        per_row = {key: np.concatenate(e) for key, e in errors.items() if len(e) == n_folds}
        total = weights.sum()
        scores = {key: float(weights @ e / total) for key, e in per_row.items()}
        # the fewest steps, then the smallest step size, within one standard error of the
        # best candidate (no step first)
        order = sorted(per_row, key=lambda key: (key[1], key[0]))
        step_size, n_steps = one_standard_error_choice(per_row, weights, order)
        # the expected weight of a selection step's batch (see _transfer_step_size): a
        # fraction validation_fraction of the rows is held out, then batches are cut
        pool_rows = n - fold
        batch_weight = (
            net.sw.sum()
            * (1.0 - self.validation_fraction)
            * self._resolve_batch_size(pool_rows)
            / pool_rows
        )
        return (float(step_size), int(n_steps)), scores, batch_weight

    def _transfer_step_size(self, step_size, selection_batch, n, total_weight):
        """The step-size constant of the full fit that moves the rows as far as the
        selected one moved them on the selection problem.

        With ``eta = c p sqrt(n_batch / d)`` a gradient step moves each row by about
        ``c sqrt(n_batch / d)`` along the (averaged, n-independent) signal direction of
        the gradient, plus ``O(c)`` of sampling noise. Reusing the selected ``c`` on a
        batch of ``k`` times the selection's rows would move the rows ``sqrt(k)`` times
        further than the move that was validated: on a million rows the units collapse
        onto the signal direction and the model gets worse with more data. Keeping the
        move instead (``c * sqrt(selection batch / full batch)``) transfers what the
        selection measured; the larger batch only removes noise from the step.
        """
        if self.learning_rate_scaling != "giant" or step_size == 0:
            return step_size
        full_batch = total_weight * self._resolve_batch_size(n) / n
        return step_size * np.sqrt(min(selection_batch / full_batch, 1.0))

    def _selection_problem(self, net, rng):
        """A copy of ``net`` on a random subset of rows and units (see above)."""
        n, p = net.X.shape[0], net.W0.shape[0]
        rows = slice(None)
        if n > _SELECTION_MAX_ROWS:
            rows = np.sort(rng.permutation(n)[:_SELECTION_MAX_ROWS])
        units, scale = slice(None), 1.0
        if p > _SELECTION_MAX_WIDTH:
            if self.symmetric_init:  # keep the +/- pairs (j, j + p // 2) together
                k, half = _SELECTION_MAX_WIDTH // 2, p // 2
                units = np.r_[0:k, half : half + k]
            else:
                units = np.arange(_SELECTION_MAX_WIDTH)
            scale = np.sqrt(p / len(units))
        return replace(
            net,
            X=net.X[rows],
            labels=net.labels[rows],
            targets=net.targets[rows],
            sw=net.sw[rows],
            W0=net.W0[units],
            b0=net.b0[units],
            a=net.a[units] * scale,
            trainable=None if net.trainable is None else net.trainable[units],
            _first={},
        )

    def _trainable_units(self, rng, p):
        """Boolean mask of units that take the steps (pairs stay together)."""
        n_frozen = int(round(self.random_fraction * p))
        if n_frozen == 0:
            return None
        half = p // 2 if self.symmetric_init else p
        frozen_pairs = rng.permutation(half)[: max(1, n_frozen * half // p)]
        mask = np.ones(p, dtype=bool)
        mask[frozen_pairs] = False
        if self.symmetric_init:
            mask[frozen_pairs + half] = False
        return mask

    def _linear_fit(self, X, Yt, sw, chunk):
        """Fitted values of a ridge regression of the targets on ``X`` (penalty by CV)."""
        readout = fit_readout(lambda rows: X[rows], X.shape[1], Yt, sw, chunk)
        return X @ readout.beta + readout.intercept

    def _step_path(
        self,
        net,
        c,
        pool,
        start_step,
        n_steps,
        fit_readout,
        *,
        warn=True,
        progress=None,
        to_network=None,
        initial=None,
    ):
        """Take up to ``n_steps`` giant steps with constant ``c`` on batches from ``pool``.

        A generator: after each step it yields ``(W, b, record, readout)``, where
        ``readout()`` returns (and caches) ``fit_readout(W, b)``, the readout of the
        features after that step. With ``second_layer="refit"`` every step after the
        first follows the previous step's readout: its hidden coefficients, at the scale
        of the initial signs, are the second layer, and its residuals are the labels;
        ``initial`` (a cached readout of ``(net.W0, net.b0)``) makes the first step do so
        too (warm start). With ``"frozen"`` every step follows the network with the
        frozen signs ``net.a``.

        A step that makes the first layer blow up is undone and the steps stop there,
        with a warning if ``warn`` (candidates tried during the selection stay silent:
        only the fitted model's trouble is reported). With ``progress`` (a
        :class:`FitProgress`), each step is a callback subtask whose model is
        ``to_network(W, b, readout())``, and a callback can stop the steps.
        """
        if c == 0 or n_steps == 0:
            return
        W, b = net.W0, net.b0
        batch_size = self._resolve_batch_size(len(pool))
        schedule = batch_schedule(net.seed, pool, batch_size, n_steps, start_step)
        d = net.X.shape[1]
        initial_norm = np.sqrt((W * W).sum(axis=1) + b * b).max()
        previous = initial
        for i, (rows, fresh) in enumerate(schedule):
            tic = time.perf_counter()
            eta = learning_rate(
                c,
                scaling=self.learning_rate_scaling,
                n_hidden=W.shape[0],
                batch_weight=net.sw[rows].sum(),
                n_features=d,
            )
            if progress is not None:
                progress.begin("giant-step")
            if self.second_layer == "refit" and previous is not None:
                fitted = previous()
                a = normalized_second_layer(fitted.beta[: W.shape[0]])
                targets = self._readout_residual(net.X, net.labels, W, b, fitted, net.chunk)
                follows_readout, gradient = True, None
            else:
                a, targets, follows_readout = net.a, net.targets, False
                # the first gradient does not depend on the step size: share it
                gradient = net.first_gradient(rows, self.activation) if i == 0 else None
            # a huge step size overflows here; the divergence test below catches it
            with np.errstate(over="ignore", invalid="ignore"):
                W_new, b_new, record = giant_step(
                    net.X,
                    targets,
                    net.sw,
                    rows,
                    W,
                    b,
                    a,
                    eta=eta,
                    act=self.activation,
                    chunk=net.chunk,
                    trainable=net.trainable,
                    max_row_move=self.max_row_move,
                    normalize_rows=self.normalize_rows,
                    step=start_step + i,
                    fresh_batch=fresh,
                    gradient=gradient,
                    targets_are_residuals=follows_readout,
                )
                norms = np.sqrt((W_new * W_new).sum(axis=1) + b_new * b_new)
            if not np.all(np.isfinite(norms)) or norms.max() > _DIVERGENCE_FACTOR * initial_norm:
                if progress is not None:
                    before = previous or cache(lambda W=W, b=b: fit_readout(W, b))
                    progress.end(lambda W=W, b=b, r=before: to_network(W, b, r()))
                if warn:
                    warnings.warn(
                        f"Giant step {start_step + i + 1} with step_size={c:g} diverged "
                        f"(first-layer rows grew beyond {_DIVERGENCE_FACTOR:g} times their "
                        "initial norm); keeping the first layer from before that step. "
                        "Lower step_size or set max_row_move.",
                        ConvergenceWarning,
                        stacklevel=4,
                    )
                return
            W, b = W_new, b_new
            previous = cache(lambda W=W, b=b: fit_readout(W, b))
            stop = progress is not None and progress.end(
                lambda W=W, b=b, r=previous: to_network(W, b, r())
            )
            if self.verbose > 1:
                print(
                    f"[GiantStepRegressor]   step {record.step + 1}: batch={record.batch_size} "
                    f"eta={eta:.3g} loss={record.batch_loss:.4f} "
                    f"top singular values={np.round(record.update_singular_values[:3], 3)} "
                    f"eff. rank={record.effective_rank:.1f} ({time.perf_counter() - tic:.2f}s)"
                )
            yield W, b, record, previous
            if stop:
                return

    def _readout_residual(self, X, Yt, W, b, result, chunk):
        """``Yt - readout(X)`` for a readout of :meth:`_fit_readout`, in row chunks."""
        resid = np.empty_like(Yt)
        for rows in row_slices(X.shape[0], chunk):
            fitted = self._features(X[rows], W, b) @ result.beta + result.intercept
            resid[rows] = Yt[rows] - fitted
        return resid

    def _features(self, X, W, b):
        """Readout features of the rows of ``X`` (float64): hidden units, then ``X / sqrt(d)``."""
        X = np.asarray(X, dtype=np.float64)
        p, d = W.shape
        out = np.empty((X.shape[0], p + (d if self.linear_readout else 0)))
        hidden = out[:, :p]
        np.matmul(X, W.T, out=hidden)
        hidden += b
        activation(self.activation, hidden, out=hidden)
        hidden *= 1.0 / np.sqrt(p)
        if self.linear_readout:
            np.multiply(X, 1.0 / np.sqrt(d), out=out[:, p:])
        return out

    def _fit_readout(self, X, Yt, sw, W, b, chunk, ratio=None, loo_rows=None):
        """Ridge readout on the features of ``(W, b)`` (:func:`~skgiant._readout.fit_readout`:
        with ``alpha="auto"`` the linear term gets its own penalty, and "linear term
        only" is one of the candidates)."""
        d = X.shape[1] if self.linear_readout else 0
        return fit_readout(
            lambda rows: self._features(X[rows], W, b),
            W.shape[0] + d,
            Yt,
            sw,
            chunk,
            alpha=self.alpha,
            n_linear=d,
            ratio=ratio,
            loo_rows=loo_rows,
        )

    def _build_network(self, W, b, result, d, y_mean, y_scale, scaling):
        p = W.shape[0]
        beta = result.beta * y_scale
        hidden_coef = beta[:p]
        linear_coef = beta[p:] / np.sqrt(d) if self.linear_readout else None
        return TwoLayerNetwork(
            weights=W,
            bias=b,
            activation=self.activation,
            negative_slope=0.0,
            feature_scale=1.0 / np.sqrt(p),
            coef=hidden_coef,
            intercept=result.intercept * y_scale + y_mean,
            linear_coef=linear_coef,
            **scaling,
        )


@dataclass
class _StepProblem:
    """The arrays the giant steps act on, and a cache of the first gradient per batch.

    ``labels`` are the standardized targets (the readouts fit them); ``targets`` are what
    the first step with the frozen signs follows (the labels, without their linear part
    when ``remove_linear``).
    """

    X: np.ndarray
    labels: np.ndarray
    targets: np.ndarray
    sw: np.ndarray
    W0: np.ndarray
    b0: np.ndarray
    a: np.ndarray
    trainable: np.ndarray | None
    chunk: int
    seed: int
    _first: dict = field(default_factory=dict)

    def for_fold(self, k):
        """The same problem with its own batch seed and cache, for fold ``k``."""
        return replace(self, seed=self.seed + 7919 * (k + 1), _first={})

    def first_gradient(self, rows, act):
        key = rows.tobytes()
        if key not in self._first:
            self._first = {
                key: first_layer_gradient(
                    self.X,
                    self.targets,
                    self.sw,
                    rows,
                    self.W0,
                    self.b0,
                    self.a,
                    act=act,
                    chunk=self.chunk,
                )
            }
        return self._first[key]


def _penalty_ratio(readout):
    """``alpha_linear / alpha`` of a readout (None without a linear block or with a fixed
    penalty; the smallest ratio tried when it kept the linear term only)."""
    if readout.alpha_linear is None or readout.alpha_grid is None:
        return None
    if not np.isfinite(readout.alpha):
        return float(LINEAR_RATIOS[0])
    return readout.alpha_linear / readout.alpha
