"""class_balanced, logit_adjust and prior_correction."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.metrics import log_loss, recall_score
from sklearn.utils.class_weight import compute_class_weight
from skorch.dataset import Dataset
from torch import nn

from skimbal import (
    FocalLoss,
    ImbalancedNetClassifier,
    LogitAdjustedLoss,
    StratifiedValidSplit,
)
from skimbal._validation import effective_number_weights, parse_strategy, prior_ratio

FAST = {"max_epochs": 3, "random_state": 0}


def _normalised_balanced(y):
    weights = compute_class_weight("balanced", classes=np.unique(y), y=y)
    return weights / weights.mean()


# --------------------------------------------------------- class_balanced


def test_effective_number_formula():
    counts = np.array([500, 50, 5])
    beta = 0.99
    expected = (1 - beta) / (1 - beta**counts)
    weights = effective_number_weights(counts, beta)
    np.testing.assert_allclose(weights, expected / expected.mean())
    assert weights.mean() == pytest.approx(1.0)


def test_beta_limits(multiclass_data):
    X, y = multiclass_data
    with pytest.warns(UserWarning, match="nearly uniform class weights"):
        zero = ImbalancedNetClassifier(strategy="class_balanced", beta=0.0, **FAST)
        zero.fit(X, y)
    np.testing.assert_array_equal(zero.class_weight_, [1.0, 1.0, 1.0])
    near_one = ImbalancedNetClassifier(
        strategy="class_balanced", beta=1 - 1e-9, **FAST
    ).fit(X, y)
    np.testing.assert_allclose(
        near_one.class_weight_, _normalised_balanced(y), rtol=1e-5
    )
    # in between: less extreme than inverse frequency, ordered the same way
    default = ImbalancedNetClassifier(strategy="class_balanced", **FAST).fit(X, y)
    ratio = default.class_weight_.max() / default.class_weight_.min()
    assert 1 < ratio < 180 / 15
    assert np.argsort(default.class_weight_).tolist() == [0, 1, 2]


@pytest.mark.parametrize(
    "strategy, loss_type, buffer",
    [
        ("class_balanced", nn.CrossEntropyLoss, "weight"),
        ("class_balanced+focal", FocalLoss, "alpha"),
    ],
)
def test_class_balanced_weights_reach_the_loss(
    multiclass_data, strategy, loss_type, buffer
):
    X, y = multiclass_data
    clf = ImbalancedNetClassifier(strategy=strategy, beta=0.99, **FAST).fit(X, y)
    counts = np.bincount(y)
    expected = effective_number_weights(counts, 0.99)
    np.testing.assert_allclose(clf.class_weight_, expected)
    assert isinstance(clf.criterion_, loss_type)
    np.testing.assert_allclose(
        getattr(clf.criterion_, buffer).numpy(), expected, rtol=1e-6
    )


def test_class_balanced_with_the_sampler_warns(binary_data):
    X, y = binary_data
    clf = ImbalancedNetClassifier(strategy="sampler+class_balanced", **FAST)
    with pytest.warns(UserWarning, match="rebalances twice") as record:
        clf.fit(X, y)
    assert record[0].filename == __file__  # points at the caller of fit


def test_class_balanced_needs_every_class(binary_data):
    X, y = binary_data
    clf = ImbalancedNetClassifier(strategy="class_balanced", classes=[0, 1, 2])
    with pytest.raises(ValueError, match=r"strategy='class_balanced' needs .*\[2\]"):
        clf.fit(X, y)


def test_strategy_grid_is_clone_safe():
    clf = ImbalancedNetClassifier(
        strategy="class_balanced+focal", beta=0.9, tau=0.5, prior_correction=True
    )
    params = clone(clf).get_params()
    assert params["beta"] == 0.9 and params["tau"] == 0.5
    assert params["prior_correction"] is True
    assert parse_strategy(params["strategy"]) == {"class_balanced", "focal"}


# ------------------------------------------------------------ logit_adjust


def test_logit_adjust_builds_the_adjusted_loss(multiclass_data):
    X, y = multiclass_data
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # balances once: no warning
        clf = ImbalancedNetClassifier(strategy="logit_adjust", tau=0.5, **FAST)
        clf.fit(X, y)
    prior = np.bincount(y) / len(y)
    np.testing.assert_allclose(clf.class_prior_, prior)
    assert clf.class_weight_ is None
    loss = clf.criterion_
    assert isinstance(loss, LogitAdjustedLoss) and loss.tau == 0.5
    assert isinstance(loss.loss, nn.CrossEntropyLoss) and loss.loss.weight is None
    np.testing.assert_allclose(loss.log_prior.exp().numpy(), prior, rtol=1e-6)


def test_focal_logit_adjust_is_focal_on_adjusted_logits(multiclass_data):
    X, y = multiclass_data
    clf = ImbalancedNetClassifier(strategy="focal+logit_adjust", gamma=1.0, **FAST)
    clf.fit(X, y)
    loss = clf.criterion_
    assert isinstance(loss.loss, FocalLoss) and loss.loss.alpha is None
    assert loss.loss.gamma == 1.0


def test_predictions_carry_no_adjustment(multiclass_data):
    X, y = multiclass_data
    clf = ImbalancedNetClassifier(strategy="logit_adjust", **FAST).fit(X, y)
    with torch.no_grad():
        logits = clf.module_.eval()(torch.as_tensor(X))
    np.testing.assert_allclose(
        clf.predict_proba(X), torch.softmax(logits, 1).numpy(), rtol=1e-5
    )


@pytest.mark.parametrize(
    "strategy, alpha",
    [
        ("logit_adjust+sampler", None),
        ("logit_adjust+class_weight", None),
        ("logit_adjust+class_balanced", None),
        ("logit_adjust", "balanced"),
    ],
)
def test_logit_adjust_with_a_second_remedy_warns(binary_data, strategy, alpha):
    X, y = binary_data
    clf = ImbalancedNetClassifier(strategy=strategy, alpha=alpha, **FAST)
    with pytest.warns(UserWarning, match="rebalances twice"):
        clf.fit(X, y)


def test_logit_adjust_needs_every_class_and_the_built_loss(binary_data):
    X, y = binary_data
    clf = ImbalancedNetClassifier(strategy="logit_adjust", classes=[0, 1, 2])
    with pytest.raises(ValueError, match=r"strategy='logit_adjust' needs .*\[2\]"):
        clf.fit(X, y)
    clf = ImbalancedNetClassifier(
        criterion=nn.CrossEntropyLoss, strategy="logit_adjust"
    )
    with pytest.raises(ValueError, match="criterion=.*strategy='logit_adjust'"):
        clf.fit(X, y)


def test_logit_adjust_at_tau_zero_is_plain_training(multiclass_data):
    X, y = multiclass_data
    adjusted = ImbalancedNetClassifier(strategy="logit_adjust", tau=0.0, **FAST)
    plain = ImbalancedNetClassifier(strategy="none", **FAST)
    np.testing.assert_array_equal(
        adjusted.fit(X, y).predict_proba(X), plain.fit(X, y).predict_proba(X)
    )


def test_logit_adjust_rescues_the_rare_class():
    from skimbal.demo import make_demo_data

    X, y = make_demo_data(counts=(600, 60, 30), random_state=1)
    X_test, y_test = make_demo_data(counts=(600, 60, 30), random_state=2)
    params = {"max_epochs": 30, "random_state": 0}
    naive = ImbalancedNetClassifier(strategy="none", **params).fit(X, y)
    adjusted = ImbalancedNetClassifier(strategy="logit_adjust", **params).fit(X, y)
    naive_recall = recall_score(y_test, naive.predict(X_test), average=None)[2]
    adjusted_recall = recall_score(y_test, adjusted.predict(X_test), average=None)[2]
    assert naive_recall < 0.3
    assert adjusted_recall > 0.6


# --------------------------------------------------------- prior_correction


PRIOR = np.array([0.6, 0.3, 0.1])


@pytest.mark.parametrize(
    "strategy, weights, tau, expected",
    [
        ("none", None, 1.0, np.ones(3)),
        ("class_weight", 1 / PRIOR, 1.0, PRIOR),  # balanced: ratio = prior
        ("class_weight", np.array([1.0, 2.0, 4.0]), 1.0, 1 / np.array([1, 2, 4])),
        ("sampler", None, 1.0, PRIOR),
        ("logit_adjust", None, 1.0, PRIOR),
        ("logit_adjust", None, 0.5, PRIOR**0.5),
        ("sampler+logit_adjust", None, 1.0, PRIOR**2),
        ("sampler+focal", np.array([1.0, 2.0, 4.0]), 1.0, PRIOR / [1, 2, 4]),
    ],
)
def test_prior_ratio(strategy, weights, tau, expected):
    ratio = prior_ratio(parse_strategy(strategy), PRIOR, weights, tau)
    np.testing.assert_allclose(ratio, expected / expected.max())


def _brier(y, proba):
    return np.mean(np.sum((proba - np.eye(proba.shape[1])[y]) ** 2, axis=1))


@pytest.fixture(scope="module")
def overlapping_data():
    """Classes that overlap, at 9:1, so that probabilities matter."""
    X, y = make_classification(
        n_samples=2400,
        n_features=6,
        n_informative=4,
        n_clusters_per_class=1,
        weights=[0.9],
        class_sep=1.0,
        flip_y=0.02,
        random_state=0,
    )
    X = X.astype(np.float32)
    return X[:400], y[:400], X[400:], y[400:]


@pytest.mark.parametrize("strategy", ["class_weight", "sampler", "logit_adjust"])
def test_corrected_probabilities_score_better(overlapping_data, strategy):
    X, y, X_test, y_test = overlapping_data
    clf = ImbalancedNetClassifier(
        strategy=strategy,
        max_steps=300,
        lr=0.01,
        module__hidden_units=(16,),
        random_state=0,
    ).fit(X, y)
    raw = clf.predict_proba(X_test)
    corrected = clf.set_params(prior_correction=True).predict_proba(X_test)
    # measured: Brier 0.035-0.044 -> 0.017-0.019, log-loss 0.11-0.12 -> 0.07
    assert _brier(y_test, corrected) < 0.7 * _brier(y_test, raw)
    assert log_loss(y_test, corrected) < 0.8 * log_loss(y_test, raw)


def test_correction_is_bayes_rule_and_predict_follows_it(multiclass_data):
    X, y = multiclass_data
    clf = ImbalancedNetClassifier(strategy="class_weight", **FAST).fit(X, y)
    raw = clf.predict_proba(X)
    w = clf.class_weight_
    np.testing.assert_allclose(clf.prior_ratio_, w.min() / w)
    clf.set_params(prior_correction=True)  # no refit needed
    corrected = clf.predict_proba(X)
    expected = raw / w
    np.testing.assert_allclose(
        corrected, expected / expected.sum(1, keepdims=True), rtol=1e-5
    )
    np.testing.assert_allclose(corrected.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(clf.predict(X), corrected.argmax(axis=1))
    # the rare classes lose probability
    assert (corrected[:, 2] <= raw[:, 2] + 1e-6).all()


def test_correction_of_strategy_none_changes_nothing(binary_data):
    X, y = binary_data
    clf = ImbalancedNetClassifier(strategy="none", prior_correction=True, **FAST)
    clf.fit(X, y)
    np.testing.assert_array_equal(clf.prior_ratio_, [1.0, 1.0])
    raw = clf.set_params(prior_correction=False).predict_proba(X)
    corrected = clf.set_params(prior_correction=True).predict_proba(X)
    np.testing.assert_allclose(corrected, raw, rtol=1e-6)


def test_a_class_of_weight_zero_cannot_be_corrected(binary_data):
    X, y = binary_data
    # the focal loss allows a zero alpha (the cross-entropy refuses one)
    clf = ImbalancedNetClassifier(
        strategy="focal", alpha=[1.0, 0.0], prior_correction=True, **FAST
    )
    with pytest.raises(ValueError, match=r"cannot correct for the classes \[1\]"):
        clf.fit(X, y)
    clf.set_params(prior_correction=False).fit(X, y)
    with pytest.raises(ValueError, match="cannot correct"):
        clf.set_params(prior_correction=True).predict_proba(X)


def test_early_stopping_with_correction_scores_the_plain_log_loss(binary_data):
    X, y = binary_data
    clf = ImbalancedNetClassifier(
        strategy="class_weight",
        prior_correction=True,
        early_stopping=True,
        max_epochs=6,
        lr=0.02,
        random_state=0,
    ).fit(X, y)
    _, valid = StratifiedValidSplit(clf.validation_fraction, clf.seed_)(
        Dataset(X, y), y
    )
    rows = np.asarray(valid.indices)
    expected = log_loss(y[rows], clf.predict_proba(X[rows]))  # corrected, plain
    assert min(clf.history[:, "valid_log_loss"]) == pytest.approx(expected, rel=1e-5)
