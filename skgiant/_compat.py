"""The private scikit-learn helpers skgiant relies on, imported in one place.

scikit-learn does not promise to keep these stable; if a release moves one, only this
module changes.
"""

from sklearn.base import _fit_context
from sklearn.utils._chunking import get_chunk_n_rows
from sklearn.utils._param_validation import (
    Interval,
    Options,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import _check_sample_weight

__all__ = [
    "Interval",
    "Options",
    "StrOptions",
    "_check_sample_weight",
    "_fit_context",
    "get_chunk_n_rows",
    "validate_parameter_constraints",
]
