"""
===============================================================
Rare faults from sensor readings: class weights and calibration
===============================================================

A pump reports six readings every minute: vibration, bearing temperature, motor
current, discharge pressure, acoustic level and flow. About one reading in twenty comes
from a developing fault, which shows as a *combination*: vibration and bearing
temperature rising together, or current rising while flow drops. The readings here are
synthetic (drawn below) so that the truth is known.

:class:`~skgiant.GiantStepClassifier` is fitted twice, without class weights and with
``class_weight="balanced"``, beside a logistic regression. The questions: how well does
each rank the readings (ROC AUC), how many faults does it catch at its default decision
(the most probable class), and can its probabilities be taken at face value (a
reliability diagram)?
"""

# %%
# Synthetic pump readings with rare, nonlinear faults
# ---------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.calibration import CalibrationDisplay
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, recall_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skgiant import GiantStepClassifier

rng = np.random.default_rng(0)
n = 4000
X = rng.normal(size=(n, 6))  # standardized readings, one column per sensor
names = ["vibration", "bearing_temp", "current", "pressure", "acoustic", "flow"]
wear = np.minimum(X[:, 0], X[:, 1])  # vibration and temperature high together
clog = np.minimum(X[:, 2], -X[:, 5])  # current up while flow is down
risk = 4.0 * np.maximum(wear, clog) + 0.3 * X[:, 4] - 5.0
y = np.where(rng.random(n) < 1 / (1 + np.exp(-risk)), "fault", "ok")
print(f"fault rate: {np.mean(y == 'fault'):.3f}")

X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)

# %%
# Three models
# ------------
# ``class_weight="balanced"`` gives each class the same total weight in the fit, in the
# steps of the first layer and in the readout: here a fault weighs about nine times an
# ordinary reading.
models = {
    "LogisticRegression": make_pipeline(StandardScaler(), LogisticRegression()),
    "GiantStep": GiantStepClassifier(n_hidden=256, random_state=0),
    "GiantStep, balanced": GiantStepClassifier(
        n_hidden=256, class_weight="balanced", random_state=0
    ),
}
fault_rate = np.mean(y_test == "fault")
print(f"{'model':22s} {'ROC AUC':>8s} {'log loss':>8s} {'recall':>7s} {'mean p':>7s}")
for name, model in models.items():
    model.fit(X_train, y_train)
    p_fault = model.predict_proba(X_test)[:, list(model.classes_).index("fault")]
    print(
        f"{name:22s} {roc_auc_score(y_test == 'fault', p_fault):8.3f} "
        f"{log_loss(y_test == 'fault', p_fault):8.3f} "
        f"{recall_score(y_test, model.predict(X_test), pos_label='fault'):7.3f} "
        f"{p_fault.mean():7.3f}"
    )
print(f"(true fault rate of the test readings: {fault_rate:.3f})")

# %%
# The linear model cannot express "both high": its ROC AUC is the lowest. Without
# weights, the giant-step classifier ranks the readings best and its mean fault
# probability matches the fault rate, but at the default decision (probability above
# one half) it catches only part of the faults. With balanced weights it catches most
# of them: the weights move the decision, and they move the probabilities with it. The
# balanced model's probabilities are those of a population where faults are as common
# as normal readings, so they overstate the risk of a real reading (the mean probability
# is several times the fault rate) and its log loss is worse.
#
# Reliability diagrams
# --------------------
# A calibrated model's points lie on the diagonal: of the readings given a fault
# probability near 0.3, about 30% are faults.
fig, ax = plt.subplots(figsize=(5.5, 5))
for name, model in models.items():
    CalibrationDisplay.from_estimator(
        model, X_test, y_test, pos_label="fault", n_bins=8, strategy="quantile", name=name, ax=ax
    )
ax.set_title("Fault probability against the observed fault rate")
fig.tight_layout()

# %%
# Which to use
# ------------
# To rank readings for inspection, ROC AUC is what counts and the weights hardly change
# it. To act on a probability (a cost per missed fault, an alarm when the risk exceeds
# 10%), fit without weights and move the threshold: the unweighted probabilities are
# the calibrated ones. Use ``class_weight="balanced"`` when the decision at one half must
# catch the rare class and the probabilities themselves are not used.
model = models["GiantStep"]
p_fault = model.predict_proba(X_test)[:, list(model.classes_).index("fault")]
alarm = p_fault > 0.1
print(
    f"unweighted model, alarm above 10%: recall {np.mean(alarm[y_test == 'fault']):.3f}, "
    f"{alarm.mean():.3f} of readings raise an alarm"
)
