"""
Resampling pipelines against in-net strategies
==============================================

imbalanced-learn rebalances the *data*: its samplers run inside an
:class:`imblearn.pipeline.Pipeline`, at fit time only, before a classifier that
knows nothing of the imbalance. :class:`skimbal.ImbalancedNetClassifier`
rebalances the *training* instead, through its ``strategy``. The two fit
together: a resampling pipeline ends in a net with ``strategy="none"``.

This example scores both kinds on the same cross-validation folds, by balanced
accuracy and by the recall of the rarest class.
"""

# %%
# The data and the folds
# ----------------------
# The seed exercise's data: three classes of 1000, 100 and 10 samples. Every
# model below is scored on the same three stratified folds, so each fold's
# test part holds 3 or 4 of the 10 rare samples.
import matplotlib.pyplot as plt
import numpy as np
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import make_pipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.metrics import make_scorer, recall_score
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.preprocessing import StandardScaler

from skimbal import ImbalancedNetClassifier
from skimbal.demo import make_demo_data

X, y = make_demo_data()
cv = StratifiedKFold(3, shuffle=True, random_state=0)
rare = np.bincount(y).argmin()
print("rows per class:", np.bincount(y).tolist())


def net(strategy):
    """The same small, seeded net for every model; only the strategy differs."""
    return ImbalancedNetClassifier(strategy=strategy, random_state=0, max_steps=200)


# %%
# The models
# ----------
# SMOTE interpolates new rare samples between a rare sample and its nearest
# rare neighbours, so the features are scaled first for the distances.
# ``RandomUnderSampler`` keeps as many majority rows as there are rare ones:
# here 6 or 7 per class, about 20 rows in all. Resampling happens only at fit; the
# pipelines predict on every row they are given.
models = {
    "plain net": net("none"),
    "SMOTE + net": make_pipeline(StandardScaler(), SMOTE(random_state=0), net("none")),
    "undersampling + net": make_pipeline(
        RandomUnderSampler(random_state=0), net("none")
    ),
    "class_weight": net("class_weight"),
    "sampler": net("sampler"),
    "focal": net("focal"),
}

# %%
# Cross-validate each model on the same folds.
scoring = {
    "balanced_accuracy": "balanced_accuracy",
    "rare_recall": make_scorer(recall_score, labels=[rare], average="macro"),
}
scores = {
    name: cross_validate(model, X, y, cv=cv, scoring=scoring, n_jobs=2)
    for name, model in models.items()
}
for name, result in scores.items():
    print(
        f"{name:<20} balanced accuracy {result['test_balanced_accuracy'].mean():.3f}"
        f"  rare-class recall {result['test_rare_recall'].mean():.3f}"
    )

# %%
# Every rebalancing model, by resampling or inside the net, recovers rare
# samples that the plain net gives up on. Undersampling trains on about 20 rows
# and pays for it in balanced accuracy; SMOTE and the in-net strategies keep
# all the data.
names = list(scores)
means = {
    key: np.array([scores[name][f"test_{key}"].mean() for name in names])
    for key in scoring
}
stds = {
    key: np.array([scores[name][f"test_{key}"].std() for name in names])
    for key in scoring
}
rows = np.arange(len(names))
fig, ax = plt.subplots(figsize=(6.4, 4.0))
for offset, key, text in [
    (-0.2, "balanced_accuracy", "balanced accuracy"),
    (0.2, "rare_recall", f"recall of class {rare}"),
]:
    ax.barh(
        rows + offset, means[key], height=0.4, xerr=stds[key], capsize=2, label=text
    )
ax.set_yticks(rows, names)
ax.invert_yaxis()
ax.set_xlim(0, 1.25)
ax.set_xticks(np.linspace(0, 1, 6))
ax.set_xlabel("mean over 3 folds")
ax.set_title("imbalanced-learn pipelines vs in-net strategies")
ax.legend(loc="upper right")
fig.tight_layout()

plt.show()
