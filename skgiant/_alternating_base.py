"""What the alternating estimators share: parameters, solver options, the call of the
solver on standardized rows, its warnings and the fitted attributes.

The algorithm is :func:`skgiant._alternating.fit_alternating`; an estimator validates its
data, encodes its targets as a matrix and calls :meth:`AlternatingBase._fit_alternating`.
"""

import warnings
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from ._alternating import AlternatingConfig, Problem, fit_alternating
from ._base import FitProgress, is_dask_collection, standardize_targets, warn_dead_units
from ._blocks import RowData
from ._compat import Interval, StrOptions, validate_parameter_constraints
from ._network import TwoLayerNetwork, input_scaling
from ._ridge import LinAlgConditionWarning

#: ``batch_size="auto"``: hidden-layer solves use all rows up to this many, and a fresh
#: random subset of this many beyond.
AUTO_BATCH_ROWS = 50_000
#: ``early_stopping="auto"`` holds out validation rows from this many weighted training
#: rows on (100 held out at ``validation_fraction=0.1``): enough for a reliable
#: validation error, and the rows are then not missed by the fit. On the classification
#: development sets early stopping lowered the log loss of the four sets above this size
#: and changed little on the three below it (benchmarks/RESULTS_alternating_classifier.md).
AUTO_EARLY_STOPPING_ROWS = 1000

#: Settings of the solver reachable through ``solver_options``, with their defaults and
#: constraints (those of the :class:`~skgiant._alternating.AlternatingConfig` field).
SOLVER_OPTION_DEFAULTS = dict(
    init_scale="fan_in",
    max_inner_iter=30,
    inner_tol=1e-6,
    rebalance=True,
    revive_dead_units=True,
    max_rejections=6,
)
SOLVER_OPTION_CONSTRAINTS = {
    "init_scale": [StrOptions({"fan_in", "standard"}), Interval(Real, 1e-6, 1e6, closed="both")],
    "max_inner_iter": [Interval(Integral, 1, None, closed="left")],
    "inner_tol": [Interval(Real, 0, 1, closed="neither")],
    "rebalance": ["boolean"],
    "revive_dead_units": ["boolean"],
    "max_rejections": [Interval(Integral, 1, None, closed="left")],
}


def solver_options(options, caller="AlternatingOLSReLURegressor"):
    """``SOLVER_OPTION_DEFAULTS`` updated with ``options`` (a dict or None), validated.

    Raises
    ------
    ValueError
        For a key that is not a solver option (the message lists the valid ones), or a
        value out of its range (``InvalidParameterError``, a ``ValueError``).
    """
    options = {} if options is None else dict(options)
    unknown = sorted(set(options) - set(SOLVER_OPTION_DEFAULTS))
    if unknown:
        raise ValueError(
            f"Unknown solver_options {unknown} for {caller}; valid keys "
            f"are {sorted(SOLVER_OPTION_DEFAULTS)}."
        )
    validate_parameter_constraints(SOLVER_OPTION_CONSTRAINTS, options, caller_name=caller)
    return {**SOLVER_OPTION_DEFAULTS, **options}


@dataclass
class AlternatingFit:
    """What :meth:`AlternatingBase._fit_alternating` returns: the first layer ``W``
    (``(p, d + 1)``, last column the biases) and readout ``beta``, ``b0`` on standardized
    inputs and targets, the standardized training rows, the scalings and the progress
    report to the callbacks (to close once ``network_`` is set)."""

    W: np.ndarray
    beta: np.ndarray
    b0: np.ndarray
    data: RowData
    scaling: dict
    y_mean: np.ndarray
    y_scale: np.ndarray
    slope: float
    progress: FitProgress


class AlternatingBase:
    """Mixin of the alternating estimators (the parameters are documented on them)."""

    #: Settings of :class:`~skgiant._alternating.AlternatingConfig` that an estimator
    #: fixes beyond its parameters (none: the solver's defaults).
    _config_fields = {}

    _parameter_constraints = {
        "n_hidden": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None, StrOptions({"auto"})],
        "step_fraction": [Interval(Real, 0, 1, closed="right"), StrOptions({"auto"})],
        "alpha": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "negative_slope": [Interval(Real, 0, 1, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "solver": [StrOptions({"auto", "dense", "cg"})],
        "solver_options": [dict, None],
        "early_stopping": ["boolean", StrOptions({"auto"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "clip_inputs": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def _fit_alternating(self, X, Y, sample_weight, y_user):
        """Fit on validated data: ``Y`` is the float64 target matrix, ``y_user`` what
        callbacks are given as ``y``. Sets the fitted attributes of the iteration (not
        ``network_``); returns an :class:`AlternatingFit`."""
        options = solver_options(self.solver_options, type(self).__name__)
        rng = np.random.default_rng(check_random_state(self.random_state).randint(2**31 - 1))
        # inputs and targets are standardized on the fly by the row blocks; the scalings
        # are folded into the network afterwards
        data, scaling, y_mean, y_scale, informative = self._row_data(X, Y, sample_weight)
        slope = float(self.negative_slope)
        problem, validation = self._split(data, slope, rng)

        def network(state):
            return self._network(*state, scaling, y_mean, y_scale, slope)

        progress = FitProgress(self, X, y_user, sample_weight, self.max_iter + 2)
        # the initialization, each iteration, and one begun but unused at the end
        progress.begin("iteration")

        def callback(record, state):
            if self.verbose:
                self._print_progress(record)
            # the solver reports each iteration when it ends: close it, open the next
            state = tuple(np.copy(a) for a in state)
            stop = progress.end(lambda: network(state))
            progress.begin("iteration")
            return stop

        config = self._config(problem.n, options)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LinAlgConditionWarning)
            result = fit_alternating(
                problem, config, rng=rng, validation=validation, callback=callback
            )
        progress.end_unused()
        W, beta, b0 = self._checked_weights(result, informative, options)
        self._store_history(result, validation)
        return AlternatingFit(W, beta, b0, data, scaling, y_mean, y_scale, slope, progress)

    def _config(self, n_rows, options):
        """The :class:`~skgiant._alternating.AlternatingConfig` of a fit on ``n_rows``
        rows: the parameters, the solver ``options`` and the estimator's own
        ``_config_fields``."""
        return AlternatingConfig(
            n_hidden=self.n_hidden, max_iter=self.max_iter, alpha=self.alpha,
            step_fraction=self.step_fraction, batch_size=self._resolve_batch_size(n_rows),
            tol=self.tol, solver=self.solver, n_iter_no_change=self.n_iter_no_change,
            **options, **self._config_fields,
        )  # fmt: skip

    def _row_data(self, X, Y, sample_weight):
        """``(data, scaling, y_mean, y_scale, informative)``: the training rows
        standardized on the fly, the input scaling, the target mean and scale, and
        whether X and Y vary (with a constant y or X the mean is the exact fit: only the
        penalty keeps shrinking, so neither convergence nor dead units are worth a
        warning). Dask arrays stay on their blocks (one pass computes the moments)."""
        if is_dask_collection(X):
            from ._dask import standardized_rows

            return standardized_rows(X, Y, sample_weight, clip=self.clip_inputs)
        if not np.all(np.isfinite(Y)):  # validate_data already rejects these; belt and braces
            raise ValueError("y contains NaN or infinity.")
        scaling = input_scaling(X, sample_weight, clip=self.clip_inputs)
        y_mean, y_scale = standardize_targets(Y, sample_weight)
        data = RowData(
            X, np.asarray(Y, dtype=np.float64), sample_weight, scaling["input_mean"],
            scaling["input_scale"], y_mean, y_scale,
        )  # fmt: skip
        positive = X[sample_weight > 0]
        informative = bool(np.any(Y != y_mean) and np.any(positive != positive[0]))
        return data, scaling, y_mean, y_scale, informative

    def _min_fit_rows(self):
        """Rows a fit needs: 3 with ``early_stopping=True`` (2 to train, 1 held out)."""
        return 2 if isinstance(self.early_stopping, str) or not self.early_stopping else 3

    def _stops_early(self, weights):
        """Whether a fit on rows of weights ``weights`` (a
        :class:`~skgiant._weights.RowWeights`) holds out validation rows."""
        if isinstance(self.early_stopping, str):  # "auto"
            return weights.n_weighted >= AUTO_EARLY_STOPPING_ROWS
        return bool(self.early_stopping)

    def _split(self, data, slope, rng):
        """Training and validation problems (validation None without early stopping)."""
        if not self._stops_early(data.weights):
            return Problem(data, slope), None
        n = data.n
        n_val = min(max(1, int(round(self.validation_fraction * n))), n - 2)
        perm = rng.permutation(n)
        val_idx, train = np.sort(perm[:n_val]), np.sort(perm[n_val:])
        held = data.weights.at(val_idx)
        if not (held.sum() > 0 and data.weights.n_weighted - np.count_nonzero(held) >= 2):
            return Problem(data, slope), None  # too few weighted rows to hold any out
        # (in memory both are gathered; on a cluster large ones stay in the blocks)
        return Problem(data.subset(train), slope), Problem(data.subset(val_idx), slope)

    def _checked_weights(self, result, informative, options):
        """The fitted weights, after the warnings the fit calls for."""
        W, beta, b0 = result.W, result.beta, result.b0
        if not (np.all(np.isfinite(W)) and np.all(np.isfinite(beta)) and np.all(np.isfinite(b0))):
            # cannot happen through the safeguards; keep the promise of a finite model
            warnings.warn(
                "The fit produced non-finite weights; falling back to the mean predictor.",
                ConvergenceWarning,
                stacklevel=4,
            )
            W, beta, b0 = np.nan_to_num(W), np.zeros_like(beta), np.zeros_like(b0)
        if "eigh" in result.warnings or "nonfinite" in result.warnings:
            warnings.warn(
                "Some hidden-layer systems were numerically singular or non-finite; they "
                "were solved by eigendecomposition or skipped. Increase alpha or use "
                "step_fraction='auto'.",
                LinAlgConditionWarning,
                stacklevel=4,
            )
        if not result.converged and self.max_iter > 0 and informative:
            warnings.warn(
                f"{type(self).__name__} stopped at max_iter={self.max_iter} while the "
                f"loss still decreased by more than tol={self.tol:g} per iteration; "
                "increase max_iter or tol.",
                ConvergenceWarning,
                stacklevel=4,
            )
        if informative:
            warn_dead_units(
                self,
                result.history[-1].dead_units,
                self.n_hidden,
                "Set solver_options={'revive_dead_units': True} or lower alpha.",
                # without revival every dead unit is lost for good: say so
                limit=None if options["revive_dead_units"] else 0,
            )
        return W, beta, b0

    def _store_history(self, result, validation):
        self.n_iter_ = result.n_iter
        self.best_iter_ = result.best_iter
        self.alpha_ = result.alpha
        self.alpha_scores_ = result.alpha_scores
        self.history_ = result.history
        self.loss_curve_ = np.array([record.loss for record in result.history])
        self.validation_scores_ = (
            np.array([record.val_mse for record in result.history])
            if validation is not None
            else None
        )
        self.stop_reason_ = result.stop_reason

    def _resolve_batch_size(self, n):
        """Rows of a hidden-layer solve (None: all of them)."""
        if self.batch_size == "auto":
            return AUTO_BATCH_ROWS if n > AUTO_BATCH_ROWS else None
        return self.batch_size

    @staticmethod
    def _network(W, beta, b0, scaling, y_mean, y_scale, slope):
        """The network on raw inputs and targets from standardized-unit weights."""
        d = W.shape[1] - 1
        return TwoLayerNetwork(
            weights=W[:, :d],
            bias=W[:, d],
            activation="relu",
            negative_slope=slope,
            feature_scale=1.0,
            coef=beta * y_scale,
            intercept=y_mean + b0 * y_scale,
            **scaling,
        )

    def _print_progress(self, record):
        print(
            f"[{type(self).__name__}] iter {record.iter:3d} loss {record.loss:.6g} "
            f"mse {record.mse:.6g} surrogate {record.surrogate:.6g} "
            f"flips {record.flip_fraction:.3f} dead {record.dead_units} "
            f"{'accepted' if record.accepted else 'rejected'} step {record.step:g} "
            f"({record.method}, {record.time:.2f}s)"
        )
