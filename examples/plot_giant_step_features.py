"""
===================================================
Giant-step features in front of gradient boosting
===================================================

:class:`~skgiant.GiantStepFeatures` is a transformer: it fits a
:class:`~skgiant.GiantStepRegressor` and returns the learned hidden features
``act(W x + b) / sqrt(p)`` (the readout and its linear term are not included), so any
model can use them. Trees split on one input at a time and struggle when the target
depends on a few *oblique* directions; the giant steps find such directions.

The data are the Gaussian multi-index target ``T1`` of ``skgiant.datasets`` in 24
dimensions.
"""

# %%
import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import train_test_split
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skgiant import GiantStepFeatures, GiantStepRegressor
from skgiant.datasets import make_multi_index

X, y, _ = make_multi_index(4000, 24, target="T1", noise=0.1, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)

features = GiantStepFeatures(n_hidden=64, random_state=0)
models = {
    "HistGB on the raw inputs": make_pipeline(
        StandardScaler(), HistGradientBoostingRegressor(random_state=0)
    ),
    "HistGB on giant-step features": make_pipeline(
        StandardScaler(), features, HistGradientBoostingRegressor(random_state=0)
    ),
    "HistGB on features + raw inputs": make_pipeline(
        StandardScaler(),
        FeatureUnion([("giant", features), ("raw", FunctionTransformer())]),
        HistGradientBoostingRegressor(random_state=0),
    ),
    "GiantStepRegressor (same width)": make_pipeline(
        StandardScaler(), GiantStepRegressor(n_hidden=64, random_state=0)
    ),
}
for name, model in models.items():
    model.fit(X_train, y_train)
    print(f"{name:34s} test R² = {model.score(X_test, y_test):.3f}")

# %%
# Feature names and pandas output
# -------------------------------
# The transformer names its outputs and supports ``set_output``.
pipe = make_pipeline(StandardScaler(), GiantStepFeatures(n_hidden=8, random_state=0))
frame = pipe.set_output(transform="pandas").fit(X_train, y_train).transform(X_test[:3])
print(frame.round(3))
print("step size chosen inside:", pipe[-1].regressor_.step_size_)
print("feature names:", np.asarray(pipe.get_feature_names_out())[:4], "...")
