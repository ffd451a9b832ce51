"""Early stopping on a stratified internal split, best weights restored."""

import warnings

import numpy as np
import pytest
from sklearn.metrics import log_loss
from sklearn.utils.class_weight import compute_sample_weight
from skorch.dataset import ValidSplit

from skimbal import ImbalancedNetClassifier, StratifiedValidSplit


def _validation_rows(clf, X, y):
    """The rows early stopping held out, found by splitting as fit does."""
    codes = np.searchsorted(clf.classes_, y)
    _, valid = StratifiedValidSplit(clf.validation_fraction, clf.seed_)(
        clf.get_dataset(X, codes), codes
    )
    return np.asarray(valid.indices)


@pytest.mark.parametrize(
    "n_rows, n_rare, early_stopping, expected",
    [
        (499, 100, "auto", False),
        (500, 100, "auto", True),
        (500, 20, "auto", True),
        (500, 19, "auto", False),
        (200, 20, True, True),
        (600, 100, False, False),
    ],
)
def test_auto_early_stopping_from_500_rows_and_20_per_class(
    n_rows, n_rare, early_stopping, expected
):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n_rows, 3)).astype(np.float32)
    y = (np.arange(n_rows) < n_rare).astype(int)
    clf = ImbalancedNetClassifier(
        early_stopping=early_stopping, max_epochs=2, random_state=0
    ).fit(X, y)
    assert clf.early_stopping_ is expected
    assert ("valid_log_loss" in clf.history[-1]) is expected
    # without early stopping (and train_split=None) every row trains
    n_trained = sum(b.get("train_batch_size", 0) for b in clf.history[-1, "batches"])
    assert (n_trained < n_rows) is expected


@pytest.mark.parametrize("strategy", ["none", "class_weight", "sampler"])
def test_best_epoch_weights_are_restored(binary_data, strategy):
    X, y = binary_data
    clf = ImbalancedNetClassifier(
        strategy=strategy, early_stopping=True, max_epochs=40, lr=0.02, random_state=0
    ).fit(X, y)
    scores = clf.history[:, "valid_log_loss"]
    valid = _validation_rows(clf, X, y)
    assert 0 < len(valid) < len(y) and set(y[valid]) == {0, 1}
    weight = None if strategy == "none" else compute_sample_weight("balanced", y[valid])
    now = log_loss(y[valid], clf.predict_proba(X[valid]), sample_weight=weight)
    # the model in hand is the best epoch's, not the last one's
    assert now == pytest.approx(min(scores), rel=1e-5)
    assert min(scores) < scores[-1]


def test_training_stops_after_patience(binary_data):
    X, y = binary_data
    clf = ImbalancedNetClassifier(
        early_stopping=True, n_iter_no_change=3, max_epochs=200, lr=0.05, random_state=0
    ).fit(X, y)
    scores = clf.history[:, "valid_log_loss"]
    best = int(np.argmin(scores))
    assert len(scores) < 200
    assert len(scores) == best + 1 + 3  # three epochs without improvement


def test_validation_fraction_sets_the_held_out_share(binary_data):
    X, y = binary_data
    clf = ImbalancedNetClassifier(
        early_stopping=True, validation_fraction=0.3, max_epochs=1, random_state=0
    ).fit(X, y)
    valid = _validation_rows(clf, X, y)
    for label in (0, 1):
        assert np.sum(y[valid] == label) == round(0.3 * np.sum(y == label))
    assert clf.history[-1, "valid_batch_count"] == 1  # 60 rows, one batch


def test_a_given_train_split_is_used_for_early_stopping(binary_data):
    X, y = binary_data
    clf = ImbalancedNetClassifier(
        early_stopping=True,
        train_split=ValidSplit(2, stratified=True),
        max_epochs=2,
        random_state=0,
    ).fit(X, y)
    # half the rows in validation, not validation_fraction's 20%
    valid_rows = sum(b.get("valid_batch_size", 0) for b in clf.history[-1, "batches"])
    assert valid_rows == 100
    assert "valid_log_loss" in clf.history[-1]


def test_partial_fit_keeps_the_early_stopping_of_the_first_fit(binary_data):
    X, y = binary_data
    clf = ImbalancedNetClassifier(early_stopping=True, max_epochs=2, random_state=0)
    clf.partial_fit(X, y)
    clf.partial_fit(X[:50], y[:50])
    assert clf.early_stopping_ is True
    assert "valid_log_loss" in clf.history[-1]


def test_a_class_missing_from_validation_warns_once_not_every_epoch():
    # one sample of class 1: it stays in training, so validation cannot see it
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3)).astype(np.float32)
    y = np.zeros(60, dtype=int)
    y[0] = 1
    X[0] += 3.0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ImbalancedNetClassifier(
            early_stopping=True, max_epochs=5, lr=0.05, random_state=0
        ).fit(X, y)
    messages = [str(w.message) for w in caught]
    assert sum("single sample" in m for m in messages) == 1
    assert not any("y_pred contains classes not in y_true" in m for m in messages)
