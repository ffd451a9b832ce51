"""
Choosing the imbalance strategy with a grid search
==================================================

``strategy``, ``alpha`` and ``gamma`` are ordinary hyperparameters of
:class:`skimbal.ImbalancedNetClassifier`, so ``GridSearchCV`` can choose among
them. The score must not reward ignoring the rare class, so the search ranks
the candidates by balanced accuracy, the mean of the per-class recalls.
"""

# %%
# The data
# --------
# The seed exercise's data: three Gaussian classes of 1000, 100 and 10 samples.
# A stratified split keeps 3 of the 10 rare samples for the final check.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import balanced_accuracy_score, classification_report
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split

from skimbal import ImbalancedNetClassifier
from skimbal.demo import make_demo_data

X, y = make_demo_data()
X_train, X_test, y_train, y_test = train_test_split(
    X, y, stratify=y, test_size=0.3, random_state=0
)
print("training rows per class:", np.bincount(y_train).tolist())

# %%
# The search
# ----------
# Three candidates compare the strategies themselves. Four more ask two
# questions about the focal loss: does it need its class weights (``alpha=None``
# weights by inverse class frequency, ``alpha=1.0`` weights every class alike)
# and how strongly should it focus on hard samples (``gamma``)?
#
# The class weights are computed inside each fit, from that fold's training
# labels. ``max_steps=200`` keeps every fit to a second or so; fixed seeds make
# the whole search reproducible.
param_grid = [
    {"strategy": ["none", "class_weight", "sampler"]},
    {"strategy": ["focal"], "alpha": [None, 1.0], "gamma": [1.0, 2.0]},
]
search = GridSearchCV(
    ImbalancedNetClassifier(random_state=0, max_steps=200),
    param_grid,
    scoring="balanced_accuracy",
    cv=StratifiedKFold(3, shuffle=True, random_state=0),
    n_jobs=2,
)
search.fit(X_train, y_train)


def label(params):
    """A short name for one candidate, e.g. ``focal a=None g=2``."""
    if params["strategy"] != "focal":
        return params["strategy"]
    return f"focal a={params['alpha']} g={params['gamma']:g}"


results = search.cv_results_
labels = [label(params) for params in results["params"]]
for name, mean, std in zip(
    labels, results["mean_test_score"], results["std_test_score"]
):
    print(f"{name:<20} balanced accuracy {mean:.3f} +/- {std:.3f}")
print("best:", search.best_params_, f"({search.best_score_:.3f})")

# %%
# Plot the mean cross-validated score of each candidate, with one standard
# deviation across the folds. The plain net and the unweighted focal loss
# (``alpha=1.0``) fall back towards 1/3, the score of always predicting the
# majority class; class weights, the sampler and the weighted focal loss all
# lift the score well above it.
order = np.argsort(results["mean_test_score"])
fig, ax = plt.subplots(figsize=(6.4, 3.6))
ax.barh(
    np.array(labels)[order],
    results["mean_test_score"][order],
    xerr=results["std_test_score"][order],
    color=["C1" if i == search.best_index_ else "C0" for i in order],
)
ax.axvline(1 / 3, color="grey", linestyle="--", label="majority class only")
ax.set_xlim(0, 1)
ax.set_xlabel("mean balanced accuracy (3-fold CV)")
ax.set_title("GridSearchCV over strategy, alpha and gamma")
ax.legend(loc="lower right")
fig.tight_layout()

# %%
# The refitted best model on the held-out rows.
test_score = balanced_accuracy_score(y_test, search.predict(X_test))
print(f"held-out balanced accuracy of the best model: {test_score:.3f}")
print(classification_report(y_test, search.predict(X_test), zero_division=0))

plt.show()
