"""The fitted two-layer network both estimators produce, and its chunked evaluation."""

from dataclasses import dataclass

import numpy as np

from ._activations import activation
from ._chunks import chunk_n_rows, row_slices


@dataclass
class TwoLayerNetwork:
    """``f(x) = scale * act(W x + b) @ coef + (x @ linear_coef) + intercept``.

    Attributes
    ----------
    weights : ndarray of shape (p, d)
        First-layer weights ``W``.
    bias : ndarray of shape (p,)
        First-layer biases ``b``.
    activation : str
        Name in :data:`skgiant._activations.ACTIVATIONS`.
    negative_slope : float
        Leaky-ReLU slope (ReLU only).
    feature_scale : float
        Multiplies the hidden features (``1/sqrt(p)`` in the mean-field convention).
    coef : ndarray of shape (p, m)
        Readout on the scaled hidden features.
    intercept : ndarray of shape (m,)
    linear_coef : ndarray of shape (d, m) or None
        Optional linear skip connection on the raw inputs.
    """

    weights: np.ndarray
    bias: np.ndarray
    activation: str
    negative_slope: float
    feature_scale: float
    coef: np.ndarray
    intercept: np.ndarray
    linear_coef: np.ndarray | None = None

    @property
    def n_hidden(self):
        return self.weights.shape[0]

    def hidden(self, X):
        """Scaled hidden features of the rows ``X``, shape ``(len(X), p)``, float64."""
        z = X @ self.weights.T
        z += self.bias
        out = activation(self.activation, z, self.negative_slope)
        out *= self.feature_scale
        return out

    def predict(self, X, *, working_memory=None):
        """Outputs for ``X``, shape ``(n, m)``, float64, computed in row chunks."""
        n = X.shape[0]
        out = np.empty((n, self.coef.shape[1]))
        chunk = chunk_n_rows(n, 2 * self.n_hidden + X.shape[1], working_memory=working_memory)
        for rows in row_slices(n, chunk):
            Xc = np.asarray(X[rows], dtype=np.float64)
            pred = self.hidden(Xc) @ self.coef
            if self.linear_coef is not None:
                pred += Xc @ self.linear_coef
            pred += self.intercept
            out[rows] = pred
        return out
