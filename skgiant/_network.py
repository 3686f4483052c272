"""The fitted two-layer network both estimators produce, and its chunked evaluation."""

from dataclasses import dataclass

import numpy as np

from ._activations import activation
from ._chunks import chunk_n_rows, row_slices
from ._moments import moments

#: Inputs are clipped to their training range widened by this fraction of its width on
#: each side (in standardized units): a glitched reading then acts like an extreme but
#: seen value instead of being extrapolated without bound. Zero (the range itself)
#: measured best: with 10% of test rows glitched, widening by 10% of the range cost
#: up to twice the loss of test R^2 on the development data (benchmarks/
#: bench_robustness.py), while legitimate rows rarely fall outside the training range.
CLIP_MARGIN = 0.0


@dataclass
class TwoLayerNetwork:
    """The fitted two-layer network of every skgiant estimator (its ``network_``).

    ``f(x) = feature_scale * act(W z + b) @ coef + z @ linear_coef + intercept``, where
    ``z`` is the input as the network sees it: ``x`` standardized with ``input_mean`` and
    ``input_scale`` and then clipped to ``[input_low, input_high]`` (each step only when
    those attributes are set). Clipping keeps predictions bounded on inputs far outside
    the training data (a sensor glitch) and changes nothing inside the training range.
    Everything a prediction needs is here, in plain arrays, so a fitted model can be
    evaluated (or exported) without the estimator.

    Parameters
    ----------
    weights : ndarray of shape (p, d)
        First-layer weights ``W`` (acting on ``z``).
    bias : ndarray of shape (p,)
        First-layer biases ``b``.
    activation : str
        ``"relu"``, ``"tanh"`` or ``"erf"``.
    negative_slope : float
        Leaky-ReLU slope (ReLU only; 0 is the plain ReLU).
    feature_scale : float
        Multiplies the hidden features (``1/sqrt(p)`` in the mean-field convention).
    coef : ndarray of shape (p, m)
        Readout on the scaled hidden features.
    intercept : ndarray of shape (m,)
        Output intercept.
    linear_coef : ndarray of shape (d, m) or None, default=None
        Optional linear skip connection on ``z``.
    input_mean, input_scale : ndarray of shape (d,) or None, default=None
        Standardization of the inputs (``z = (x - input_mean) / input_scale``).
    input_low, input_high : ndarray of shape (d,) or None, default=None
        Clipping bounds of the standardized inputs (``None``: no clipping).

    See Also
    --------
    GiantStepRegressor, AlternatingOLSReLURegressor : the estimators that fit it.

    Examples
    --------
    >>> import numpy as np
    >>> from skgiant import TwoLayerNetwork
    >>> net = TwoLayerNetwork(
    ...     weights=np.array([[1.0], [-1.0]]), bias=np.zeros(2), activation="relu",
    ...     negative_slope=0.0, feature_scale=1.0, coef=np.array([[1.0], [1.0]]),
    ...     intercept=np.zeros(1), input_low=np.array([-2.0]), input_high=np.array([2.0]))
    >>> net.predict(np.array([[-3.0], [0.5], [10.0]])).ravel()  # |x|, clipped at 2
    array([2. , 0.5, 2. ])
    """

    weights: np.ndarray
    bias: np.ndarray
    activation: str
    negative_slope: float
    feature_scale: float
    coef: np.ndarray
    intercept: np.ndarray
    linear_coef: np.ndarray | None = None
    input_mean: np.ndarray | None = None
    input_scale: np.ndarray | None = None
    input_low: np.ndarray | None = None
    input_high: np.ndarray | None = None

    @property
    def n_hidden(self):
        """Number of hidden units ``p``."""
        return self.weights.shape[0]

    def inputs(self, X):
        """The rows ``X`` as the first layer sees them: standardized, clipped, float64.

        Parameters
        ----------
        X : array-like of shape (n, d)
            Inputs in the units the estimator was fitted on.

        Returns
        -------
        ndarray of shape (n, d)
            A new float64 array (``X`` is never modified).
        """
        Z = np.array(X, dtype=np.float64)  # always a copy: the caller's X is never touched
        if self.input_mean is not None:
            Z -= self.input_mean
            Z /= self.input_scale
        if self.input_low is not None:
            np.clip(Z, self.input_low, self.input_high, out=Z)
        return Z

    def hidden_of_inputs(self, Z):
        """Scaled hidden features of rows already passed through :meth:`inputs`.

        Parameters
        ----------
        Z : ndarray of shape (n, d)
            Standardized and clipped inputs.

        Returns
        -------
        ndarray of shape (n, p)
            ``feature_scale * act(Z @ weights.T + bias)``.
        """
        z = Z @ self.weights.T
        z += self.bias
        out = activation(self.activation, z, self.negative_slope, out=z)
        out *= self.feature_scale
        return out

    def hidden(self, X):
        """Scaled hidden features of the rows ``X``.

        Parameters
        ----------
        X : array-like of shape (n, d)
            Inputs in the units the estimator was fitted on.

        Returns
        -------
        ndarray of shape (n, p)
            The hidden features, float64.
        """
        return self.hidden_of_inputs(self.inputs(X))

    def predict(self, X, *, working_memory=None):
        """Outputs of the network, computed in row chunks.

        Parameters
        ----------
        X : array-like of shape (n, d)
            Inputs in the units the estimator was fitted on.
        working_memory : float, default=None
            Memory budget of a chunk in MiB (scikit-learn's ``working_memory`` if None).

        Returns
        -------
        ndarray of shape (n, m)
            The outputs, float64.
        """
        n = X.shape[0]
        out = np.empty((n, self.coef.shape[1]))
        chunk = chunk_n_rows(n, 2 * self.n_hidden + X.shape[1], working_memory=working_memory)
        for rows in row_slices(n, chunk):
            Z = self.inputs(X[rows])
            pred = self.hidden_of_inputs(Z) @ self.coef
            if self.linear_coef is not None:
                pred += Z @ self.linear_coef
            pred += self.intercept
            out[rows] = pred
        return out


def input_scaling(X, sample_weight, *, clip):
    """Standardization (and clipping bounds) of the training inputs ``X``.

    Rows with zero weight count for neither the moments nor the range. See
    :func:`scaling_from_moments`.
    """
    X = np.asarray(X, dtype=np.float64)
    total = moments(X, sample_weight, weight_scale=sample_weight.max(), cross=False)
    return scaling_from_moments(total, clip=clip)


def scaling_from_moments(total, *, clip, previous=None):
    """Standardization (and clipping bounds) of the inputs from their moments.

    Parameters
    ----------
    total : Moments
        The weighted moments of the training inputs (:mod:`skgiant._moments`).
    clip : bool
        Whether to compute clipping bounds: the range of the weighted rows in standardized
        units, widened by :data:`CLIP_MARGIN` of its width on each side.
    previous : dict, optional
        A warm start's ``mean``, ``scale`` (kept) and ``bounds`` ``(low, high)`` (widened).

    Returns
    -------
    dict
        ``input_mean``, ``input_scale``, ``input_low``, ``input_high`` (the last two
        ``None`` without clipping), as :class:`TwoLayerNetwork` takes them.
    """
    if previous is None:
        mean, scale = total.mean_and_scale()
    else:
        mean, scale = previous["mean"], previous["scale"]
    low = high = None
    if clip:
        lo = (total.low - mean) / scale
        hi = (total.high - mean) / scale
        if previous is not None and previous["bounds"][0] is not None:
            old_low, old_high = previous["bounds"]
            old_width = (old_high - old_low) / (1.0 + 2.0 * CLIP_MARGIN)
            old_lo = old_low + CLIP_MARGIN * old_width
            lo, hi = np.minimum(lo, old_lo), np.maximum(hi, old_lo + old_width)
        width = hi - lo
        low, high = lo - CLIP_MARGIN * width, hi + CLIP_MARGIN * width
    return dict(input_mean=mean, input_scale=scale, input_low=low, input_high=high)
