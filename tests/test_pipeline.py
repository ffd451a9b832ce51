"""ImbalancedNetClassifier inside scikit-learn and imbalanced-learn tools."""

import numpy as np
import pytest
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import Pipeline
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from sklearn.preprocessing import StandardScaler

from skimbal import ImbalancedNetClassifier


def inverse_frequency(y):
    counts = np.unique(y, return_counts=True)[1]
    return (1.0 / counts) / (1.0 / counts).mean()


def test_grid_search_over_strategy_alpha_gamma(multiclass_data):
    X, y = multiclass_data
    grid = [
        {"strategy": ["none", "class_weight", "sampler"]},
        {"strategy": ["focal"], "alpha": [None, 0.5], "gamma": [0.0, 2.0]},
    ]
    search = GridSearchCV(
        ImbalancedNetClassifier(max_epochs=3, random_state=0),
        grid,
        scoring="balanced_accuracy",
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        n_jobs=2,
    )
    search.fit(X, y)
    results = search.cv_results_
    assert len(results["params"]) == 7
    assert np.isfinite(results["mean_test_score"]).all()
    # the refit model computed its weights from all of y, not from a fold
    best = search.best_estimator_
    expected = {
        "none": None,
        "sampler": None,
        "class_weight": inverse_frequency(y),
        "focal": inverse_frequency(y) if best.alpha is None else [0.5, 0.5, 0.5],
    }[best.strategy]
    if expected is None:
        assert best.class_weight_ is None
    else:
        np.testing.assert_allclose(best.class_weight_, expected)
    # the search's own estimator was never fitted nor changed
    assert not hasattr(search.estimator, "class_weight_")


def test_class_weights_are_computed_per_fold(multiclass_data):
    X, y = multiclass_data
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    result = cross_validate(
        ImbalancedNetClassifier(max_epochs=2, random_state=0),
        X,
        y,
        cv=cv,
        return_estimator=True,
        return_indices=True,
    )
    fold_weights = []
    for est, train in zip(result["estimator"], result["indices"]["train"]):
        np.testing.assert_allclose(est.class_weight_, inverse_frequency(y[train]))
        fold_weights.append(est.class_weight_)
    # the folds' counts differ (180/45/15 does not split evenly in 4), and so
    # do their weights: nothing was carried over from one fold to the next
    assert not np.allclose(fold_weights[0], fold_weights[1])


def test_in_an_imblearn_pipeline_after_smote(binary_data):
    X, y = binary_data
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("smote", SMOTE(random_state=0)),
            ("net", ImbalancedNetClassifier(max_epochs=5, random_state=0)),
        ]
    )
    pipe.fit(X, y)
    net = pipe.named_steps["net"]
    # SMOTE balanced the classes before the net saw them: its weights are uniform
    np.testing.assert_allclose(net.class_weight_, [1.0, 1.0])
    pred = pipe.predict(X)
    assert pred.shape == y.shape and set(pred) <= {0, 1}
    # resampling happens only at fit: predict_proba has one row per input row
    assert pipe.predict_proba(X[:7]).shape == (7, 2)


def test_cross_validate_with_imblearn_scorers(binary_data):
    from imblearn.metrics import geometric_mean_score
    from sklearn.metrics import make_scorer

    X, y = binary_data
    scores = cross_validate(
        ImbalancedNetClassifier(max_epochs=20, random_state=0),
        X,
        y,
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        scoring={
            "gmean": make_scorer(geometric_mean_score),
            "bacc": "balanced_accuracy",
            "ap": "average_precision",
        },
    )
    for key in ("test_gmean", "test_bacc", "test_ap"):
        assert (scores[key] > 0.6).all(), (key, scores[key])


@pytest.mark.slow
def test_the_demo_rescues_the_rare_class():
    """The seed exercise itself, as `make demo` runs it."""
    import io

    from skimbal.demo import run_demo

    out = io.StringIO()
    recalls = run_demo(file=out)
    assert recalls["none"][2] <= 0.1  # naive: at most 1 of the 10 rare samples
    for strategy in ("class_weight", "sampler", "focal"):
        assert recalls[strategy][2] >= 0.5, (strategy, recalls[strategy])
    text = out.getvalue()
    assert text.count("true \\ pred") == 4
    assert "strategy='focal'" in text
