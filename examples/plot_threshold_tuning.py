"""
Tuning the decision threshold of a fraud detector
=================================================

A binary classifier predicts the positive class when its probability passes a
threshold, 0.5 by default. When positives are rare and a missed one costs far
more than a false alarm, as with fraud, 0.5 is rarely the best choice.
scikit-learn's :class:`~sklearn.model_selection.TunedThresholdClassifierCV`
picks the threshold that maximises a score by cross-validation, here the money
saved, and wraps :class:`skimbal.ImbalancedNetClassifier` unchanged.
"""

# %%
# Fraud-shaped data
# -----------------
# 3000 transactions of which 2% are frauds; half are kept for the final test.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.metrics import confusion_matrix, make_scorer
from sklearn.model_selection import (
    StratifiedKFold,
    TunedThresholdClassifierCV,
    train_test_split,
)

from skimbal import ImbalancedNetClassifier

X, y = make_classification(
    n_samples=3000,
    n_features=10,
    n_informative=4,
    weights=[0.98],
    class_sep=2.0,
    flip_y=0.0,
    random_state=0,
)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, stratify=y, test_size=0.5, random_state=0
)
print("frauds in train / test:", y_train.sum(), "/", y_test.sum())

# %%
# A cost-based score
# ------------------
# Each missed fraud costs 50, each false alarm (a transaction checked by hand
# for nothing) costs 1, a correct decision costs nothing. The score is the cost
# per transaction, negated so that greater is better.
FRAUD_COST, ALARM_COST = 50.0, 1.0


def negative_cost(y_true, y_pred):
    """Minus the mean cost per transaction of the decisions ``y_pred``."""
    (_, false_alarms), (missed, _) = confusion_matrix(y_true, y_pred, labels=[0, 1])
    return -(FRAUD_COST * missed + ALARM_COST * false_alarms) / len(y_true)


cost_scorer = make_scorer(negative_cost)

# %%
# Tune the threshold
# ------------------
# The net is trained with plain cross-entropy (``strategy="none"``): instead of
# rebalancing the training, the threshold moves. Out-of-fold probabilities of
# three stratified folds rate 100 candidate thresholds, spaced evenly on a log
# scale since the good ones are small; the net is then refitted on all the
# training rows.
#
# Were the probabilities calibrated, the cheapest threshold would be
# ``ALARM_COST / (ALARM_COST + FRAUD_COST)``, about 0.02: flag a transaction
# once the expected cost of letting it pass exceeds that of checking it. The
# search finds its threshold from the data, calibrated or not.
net = ImbalancedNetClassifier(strategy="none", random_state=0, max_steps=500)
tuned = TunedThresholdClassifierCV(
    net,
    scoring=cost_scorer,
    thresholds=np.logspace(-3, 0, 100, endpoint=False),
    cv=StratifiedKFold(3, shuffle=True, random_state=0),
    store_cv_results=True,
)
tuned.fit(X_train, y_train)
print(f"tuned threshold: {tuned.best_threshold_:.3f}")
calibrated_threshold = ALARM_COST / (ALARM_COST + FRAUD_COST)
print(f"cost-optimal threshold if calibrated: {calibrated_threshold:.3f}")
print(f"cross-validated score at it: {tuned.best_score_:.3f}")

# %%
# Compare on the test set
# -----------------------
# ``tuned.estimator_`` is the refitted net itself, so its own ``predict``
# applies the default threshold to the very same probabilities: the only
# difference between the two rows below is the threshold.
default_pred = tuned.estimator_.predict(X_test)
tuned_pred = tuned.predict(X_test)
test_scores = {}
for name, pred in [("default 0.5", default_pred), ("tuned", tuned_pred)]:
    test_scores[name] = negative_cost(y_test, pred)
    (_, false_alarms), (missed, caught) = confusion_matrix(y_test, pred)
    print(
        f"{name:<12} cost per transaction {-test_scores[name]:.3f}: "
        f"{caught} frauds caught, {missed} missed, {false_alarms} false alarms"
    )

# %%
# The cross-validated score of every candidate threshold. Low thresholds raise
# many false alarms; high ones miss frauds. The curve drops sharply each time
# the threshold passes the probability of a training fraud, since one missed
# fraud costs as much as 50 false alarms.
fig, ax = plt.subplots(figsize=(6.4, 3.6))
ax.plot(tuned.cv_results_["thresholds"], tuned.cv_results_["scores"])
ax.axvline(0.5, color="grey", linestyle="--", label="default threshold 0.5")
ax.axvline(calibrated_threshold, color="grey", linestyle=":", label="cost ratio 1 / 51")
ax.plot(
    tuned.best_threshold_,
    tuned.best_score_,
    "o",
    color="C3",
    label=f"tuned threshold {tuned.best_threshold_:.3f}",
)
ax.set_xscale("log")
ax.set_xlabel("decision threshold on P(fraud)")
ax.set_ylabel("minus cost per transaction")
ax.set_title("Cross-validated score of each threshold")
ax.legend(loc="lower left")
fig.tight_layout()

plt.show()
