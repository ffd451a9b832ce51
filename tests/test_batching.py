"""The in-memory fast path gives exactly what skorch's Dataset path gives."""

import numpy as np
import pytest
import torch
from skorch.dataset import Dataset, ValidSplit
from torch.utils.data import DataLoader, Subset, WeightedRandomSampler

from skimbal import ImbalancedNetClassifier
from skimbal._batching import (
    TensorBatches,
    WeightedBatch,
    WeightedBatches,
    WeightedDataset,
)

# DataLoader options that change nothing but keep skorch's DataLoader path
SKORCH_PATH = {"iterator_train__num_workers": 0, "iterator_valid__num_workers": 0}


@pytest.mark.parametrize(
    "strategy", ["none", "class_weight", "sampler", "focal", "sampler+focal"]
)
@pytest.mark.parametrize("train_split", [None, ValidSplit(4, stratified=True)])
def test_fast_path_equals_the_dataset_path(multiclass_data, strategy, train_split):
    X, y = multiclass_data
    params = {
        "strategy": strategy,
        "train_split": train_split,
        "max_epochs": 3,
        "batch_size": 32,
        "random_state": 3,
    }
    fast = ImbalancedNetClassifier(**params).fit(X, y)
    slow = ImbalancedNetClassifier(**params, **SKORCH_PATH).fit(X, y)
    # on the same tensors fit makes, each took the path it was meant to
    tensors = Dataset(torch.as_tensor(X), torch.as_tensor(y))
    for training in (True, False):
        slow_iterator = slow.get_iterator(tensors, training=training)
        assert isinstance(slow_iterator, DataLoader)
        assert isinstance(fast.get_iterator(tensors, training=training), TensorBatches)
    np.testing.assert_array_equal(fast.predict_proba(X), slow.predict_proba(X))
    for key in ("train_loss", "valid_loss", "valid_bacc"):
        if train_split is None and key != "train_loss":
            continue
        assert fast.history[:, key] == slow.history[:, key]


@pytest.mark.parametrize(
    "strategy", ["class_weight", "sampler", "focal+logit_adjust", "class_balanced"]
)
@pytest.mark.parametrize("early_stopping", [False, True])
def test_fast_path_equals_the_dataset_path_with_weights(
    multiclass_data, strategy, early_stopping
):
    X, y = multiclass_data
    sw = np.random.RandomState(0).uniform(0.0, 3.0, size=len(y))
    params = {
        "strategy": strategy,
        "early_stopping": early_stopping,
        "max_epochs": 3,
        "batch_size": 32,
        "random_state": 3,
    }
    fast = ImbalancedNetClassifier(**params).fit(X, y, sample_weight=sw)
    slow = ImbalancedNetClassifier(**params, **SKORCH_PATH)
    slow.fit(X, y, sample_weight=sw)
    dataset = WeightedDataset(
        torch.as_tensor(X), torch.as_tensor(y), torch.as_tensor(sw, dtype=torch.float32)
    )
    assert isinstance(slow.get_iterator(dataset, training=True), WeightedBatches)
    assert isinstance(fast.get_iterator(dataset, training=True), TensorBatches)
    np.testing.assert_array_equal(fast.predict_proba(X), slow.predict_proba(X))
    keys = ["train_loss"] + ["valid_loss", "valid_log_loss"] * early_stopping
    for key in keys:
        assert fast.history[:, key] == slow.history[:, key]


def _rows(batches):
    return [(Xb.tolist(), None if yb is None else yb.tolist()) for Xb, yb in batches]


@pytest.mark.parametrize("batch_size", [1, 7, 64])
def test_batches_equal_a_dataloaders(batch_size):
    X = torch.arange(60, dtype=torch.float32).reshape(30, 2)
    y = torch.arange(30) % 3
    subset = Subset(Dataset(X, y), list(range(3, 27)))
    for shuffle in (False, True):
        torch.manual_seed(0)
        expected = _rows(DataLoader(subset, batch_size=batch_size, shuffle=shuffle))
        expected_next = torch.rand(3)
        torch.manual_seed(0)
        got = _rows(TensorBatches(X, y, torch.arange(3, 27), batch_size, shuffle))
        assert got == expected
        # and the global random stream is left where a DataLoader leaves it
        assert torch.equal(torch.rand(3), expected_next)


def test_sampler_batches_equal_a_dataloaders():
    X = torch.arange(40, dtype=torch.float32).reshape(20, 2)
    y = (torch.arange(20) < 3).long()
    weights = torch.where(y == 1, 1 / 3, 1 / 17).double()

    def sampler():
        generator = torch.Generator().manual_seed(5)
        return WeightedRandomSampler(weights, 20, replacement=True, generator=generator)

    dataset = Dataset(X, y)
    expected = _rows(DataLoader(dataset, batch_size=6, sampler=sampler()))
    got = _rows(TensorBatches(X, y, None, 6, sampler=sampler()))
    assert got == expected
    assert len(TensorBatches(X, y, None, 6, sampler=sampler())) == 4


@pytest.mark.parametrize("shuffle", [False, True])
def test_weighted_batches_equal_a_dataloaders(shuffle):
    X = torch.arange(60, dtype=torch.float32).reshape(30, 2)
    y = torch.arange(30) % 3
    sw = torch.linspace(0, 2, 30)
    subset = Subset(WeightedDataset(X, y, sw), list(range(3, 27)))
    torch.manual_seed(0)
    expected = list(WeightedBatches(DataLoader(subset, batch_size=7, shuffle=shuffle)))
    torch.manual_seed(0)
    got = list(TensorBatches(X, y, torch.arange(3, 27), 7, shuffle, sample_weight=sw))
    assert len(got) == len(expected) == 4
    for batch, other in zip(got, expected):
        assert isinstance(batch, WeightedBatch) and isinstance(other, WeightedBatch)
        Xb, yb = batch  # unpacks like skorch's (X, y) batches
        assert torch.equal(Xb, other[0]) and torch.equal(yb, other[1])
        assert torch.equal(batch.sample_weight, other.sample_weight)
        assert torch.equal(batch.sample_weight, sw[(Xb[:, 0] / 2).long()])


def test_float32_arrays_are_not_copied(binary_data):
    X, _ = binary_data
    assert X.dtype == np.float32 and X.flags.c_contiguous
    clf = ImbalancedNetClassifier(max_epochs=1, random_state=0).fit(*binary_data)
    for reset in (True, False):  # fit and predict
        tensor = clf._to_tensor(clf._validate_X(X, reset=reset))
        assert tensor.data_ptr() == X.ctypes.data


class TwoInputModule(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Linear(3, 2)
        self.b = torch.nn.Linear(2, 2)

    def forward(self, left, right):
        return self.a(left) + self.b(right)


def test_dict_input_takes_skorchs_path(binary_data):
    X, y = binary_data
    X_dict = {"left": X[:, :3], "right": X[:, 3:5]}
    clf = ImbalancedNetClassifier(TwoInputModule, max_epochs=2, random_state=0)
    clf.fit(X_dict, np.where(y, "b", "a"))
    proba = clf.predict_proba(X_dict)
    assert proba.shape == (len(y), 2)
    with torch.no_grad():
        logits = clf.module_(torch.as_tensor(X[:, :3]), torch.as_tensor(X[:, 3:5]))
    np.testing.assert_allclose(proba, torch.softmax(logits, 1).numpy(), rtol=1e-5)
    assert set(clf.predict(X_dict)) <= {"a", "b"}


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_tensor_batches_on_cuda_equal_cpu():
    X = torch.arange(60, dtype=torch.float32).reshape(30, 2)
    y = torch.arange(30) % 3
    torch.manual_seed(0)
    cpu = _rows(TensorBatches(X, y, torch.arange(30), 8, shuffle=True))
    torch.manual_seed(0)
    cuda = _rows(TensorBatches(X.cuda(), y.cuda(), torch.arange(30), 8, shuffle=True))
    assert cuda == cpu
