"""
Choosing the imbalance strategy with a grid search
===================================================

``strategy``, ``alpha`` and ``gamma`` are ordinary hyperparameters of
:class:`skimbal.ImbalancedNetClassifier`, so ``GridSearchCV`` can pick among them
with a score that does not reward ignoring the rare class: balanced accuracy.
"""

# %%
# The seed exercise's data: three classes of 1000, 100 and 10 samples.
from sklearn.metrics import classification_report
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split

from skimbal import ImbalancedNetClassifier
from skimbal.demo import make_demo_data

X, y = make_demo_data()
X_train, X_test, y_train, y_test = train_test_split(
    X, y, stratify=y, test_size=0.3, random_state=0
)

# %%
# Search over the strategies, and over the focusing parameter of the focal loss.
# Class weights are computed inside each fit, from that fold's training labels.
search = GridSearchCV(
    ImbalancedNetClassifier(random_state=0),
    [
        {"strategy": ["none", "class_weight", "sampler"]},
        {"strategy": ["focal"], "gamma": [1.0, 2.0]},
    ],
    scoring="balanced_accuracy",
    cv=StratifiedKFold(3, shuffle=True, random_state=0),
    n_jobs=2,
)
search.fit(X_train, y_train)

for params, score in zip(
    search.cv_results_["params"], search.cv_results_["mean_test_score"]
):
    print(f"{params}: balanced accuracy {score:.3f}")
print("best:", search.best_params_)

# %%
# The refitted best model on the held-out rows.
print(classification_report(y_test, search.predict(X_test), zero_division=0))
