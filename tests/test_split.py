"""StratifiedValidSplit keeps every class in training, and in validation if it can."""

import numpy as np
import pytest
from skorch.dataset import Dataset

from skimbal import ImbalancedNetClassifier, StratifiedValidSplit


def _split(y, **kwargs):
    X = np.zeros((len(y), 1), np.float32)
    train, valid = StratifiedValidSplit(**kwargs)(Dataset(X, y), y)
    return np.asarray(train.indices), np.asarray(valid.indices)


def test_every_class_on_both_sides_and_rows_partitioned():
    y = np.array([0] * 100 + [1] * 10 + [2] * 2)
    train, valid = _split(y, fraction=0.2)
    assert np.bincount(y[valid]).tolist() == [20, 2, 1]
    assert np.bincount(y[train]).tolist() == [80, 8, 1]
    assert sorted(np.r_[train, valid].tolist()) == list(range(len(y)))


def test_single_sample_class_stays_in_training_with_a_warning():
    y = np.array([0] * 30 + [1] * 5 + [2])
    with pytest.warns(UserWarning, match=r"Classes \[.*2\] have a single sample"):
        train, valid = _split(y)
    assert 35 in train and 35 not in valid


def test_seeded_and_varied():
    y = np.array([0] * 50 + [1] * 10)
    assert np.array_equal(_split(y, random_state=1)[1], _split(y, random_state=1)[1])
    assert not np.array_equal(
        _split(y, random_state=1)[1], _split(y, random_state=2)[1]
    )


@pytest.mark.parametrize("fraction", [0, 1, 1.5])
def test_bad_fraction(fraction):
    with pytest.raises(ValueError, match="fraction must be in"):
        _split(np.array([0, 1] * 5), fraction=fraction)


def test_as_train_split_of_the_classifier(binary_data):
    X, y = binary_data
    clf = ImbalancedNetClassifier(
        train_split=StratifiedValidSplit(0.25), max_epochs=2, random_state=0
    ).fit(X, y)
    assert len(clf.history[:, "valid_bacc"]) == 2
    n_valid = clf.history[-1, "valid_batch_count"]
    assert n_valid == 1  # 50 rows of 200 fit in one batch of 128
