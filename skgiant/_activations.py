"""Hidden-layer activations and their derivatives, as in-place friendly numpy functions."""

import numpy as np
from scipy.special import erf


def _relu(z, slope=0.0, out=None):
    return np.maximum(z, slope * z, out=out) if slope else np.maximum(z, 0.0, out=out)


def _relu_grad(z, slope=0.0):
    if not slope:
        return (z > 0).astype(z.dtype)
    return np.where(z > 0, 1.0, slope)


def _tanh_grad(z, slope=0.0):
    return 1.0 - np.tanh(z) ** 2


def _erf_grad(z, slope=0.0):
    return (2.0 / np.sqrt(np.pi)) * np.exp(-(z * z))


_FUNCTIONS = {
    "relu": (_relu, _relu_grad),
    "tanh": (lambda z, slope=0.0, out=None: np.tanh(z, out=out), _tanh_grad),
    "erf": (lambda z, slope=0.0, out=None: erf(z, out=out), _erf_grad),
}

ACTIVATIONS = tuple(_FUNCTIONS)


def activation(name, z, slope=0.0, out=None):
    """Apply the activation ``name`` (``slope`` is the leaky-ReLU negative slope).

    ``out`` (which may be ``z`` itself) receives the result, as for a numpy ufunc.
    """
    return _FUNCTIONS[name][0](z, slope, out=out)


def activation_grad(name, z, slope=0.0):
    """Derivative of the activation ``name`` at ``z`` (ReLU: 1 for z > 0, else slope)."""
    return _FUNCTIONS[name][1](z, slope)
