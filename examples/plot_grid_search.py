"""
===========================================
Tuning GiantStepRegressor with GridSearchCV
===========================================

``GiantStepRegressor`` already chooses two things itself: the ridge penalty of the
readout (``alpha="auto"``, exact leave-one-out) and, by default, the step size
(``step_size="auto"``, on held-out rows, falling back to no step when steps do not help).
What is left for a grid search is the shape of the training: the number of giant steps,
the batch size and the width. A fixed step size in the grid is cheaper than
``step_size="auto"`` inside every fit, because the automatic choice fits the steps once
per candidate and fold.

The data are Friedman's #1 regression problem (10 features, 5 of them irrelevant).
"""

# %%
import pandas as pd
from sklearn.datasets import make_friedman1
from sklearn.model_selection import GridSearchCV, KFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skgiant import GiantStepRegressor

X, y = make_friedman1(n_samples=2000, noise=1.0, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)

pipe = Pipeline(
    [("scale", StandardScaler()), ("giant", GiantStepRegressor(n_hidden=256, random_state=0))]
)

# %%
# A small grid
# ------------
# ``step_size`` is the constant ``c`` of the learning rate ``eta = c * p * sqrt(n_batch / d)``,
# so the same values make sense whatever the width and the batch size. ``0`` is the
# random-features model: keep it in the grid as the baseline to beat.
param_grid = {
    "giant__n_steps": [1, 2, 3],
    "giant__step_size": [0.0, 0.25, 0.5, 1.0],
}
search = GridSearchCV(pipe, param_grid, cv=KFold(4, shuffle=True, random_state=0), n_jobs=1)
search.fit(X_train, y_train)

results = pd.DataFrame(search.cv_results_)
table = results.pivot_table(
    index="param_giant__n_steps", columns="param_giant__step_size", values="mean_test_score"
)
print("mean cross-validated R² (rows: n_steps, columns: step_size)")
print(table.round(3))
print("best:", search.best_params_, f"test R² = {search.score(X_test, y_test):.3f}")

# %%
# Compare with the automatic step size
# ------------------------------------
# One fit with the defaults of the step size: it runs its own held-out selection.
auto = Pipeline(
    [("scale", StandardScaler()), ("giant", GiantStepRegressor(n_hidden=256, random_state=0))]
).fit(X_train, y_train)
print(f"step_size='auto' chose {auto[-1].step_size_}: test R² = {auto.score(X_test, y_test):.3f}")

# %%
# Sample weights and metadata routing
# -----------------------------------
# With ``sklearn.set_config(enable_metadata_routing=True)``, weights passed to
# ``search.fit(X, y, sample_weight=w)`` reach the estimator's ``fit`` only if it asks for
# them, and the scorer only if it asks too::
#
#     GiantStepRegressor().set_fit_request(sample_weight=True)
#     GridSearchCV(..., scoring=get_scorer("r2").set_score_request(sample_weight=True))
#
# Without the second request the folds are scored unweighted.
