"""skgiant: two-layer neural networks trained without epochs of SGD.

* :class:`GiantStepRegressor` -- a few giant full-batch gradient steps on the first
  layer, then a ridge readout (Dandi et al., 2023).
* :class:`AlternatingOLSReLURegressor` -- alternating exact least-squares solves of each
  layer with the ReLU activation pattern held fixed (Barbu, 2023).
* :class:`GiantStepClassifier`, :class:`AlternatingOLSReLUClassifier` -- the same first
  layers learned on the one-hot labels, then a calibrated probabilistic readout.
* :class:`GiantStepFeatures` -- the first layer learned by giant steps, as a transformer.
* :class:`TwoLayerNetwork` -- the fitted network every estimator stores in ``network_``.
* :class:`LinAlgConditionWarning` -- an ill-conditioned system was solved safely.
* :class:`TrainingHistoryDisplay`, :class:`AlignmentDisplay` -- plots (need matplotlib).
"""

__version__ = "0.1.0.dev0"

from . import datasets, diagnostics
from ._alternating_classifier import AlternatingOLSReLUClassifier
from ._alternating_regressor import AlternatingOLSReLURegressor
from ._display import AlignmentDisplay, TrainingHistoryDisplay
from ._giant_classifier import GiantStepClassifier
from ._giant_regressor import GiantStepRegressor
from ._network import TwoLayerNetwork
from ._ridge import LinAlgConditionWarning
from ._transformer import GiantStepFeatures

__all__ = [
    "AlignmentDisplay",
    "AlternatingOLSReLUClassifier",
    "AlternatingOLSReLURegressor",
    "GiantStepClassifier",
    "GiantStepFeatures",
    "GiantStepRegressor",
    "LinAlgConditionWarning",
    "TrainingHistoryDisplay",
    "TwoLayerNetwork",
    "datasets",
    "diagnostics",
    "__version__",
]
