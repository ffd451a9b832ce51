"""Shared fixtures: fixed seeds and small imbalanced data sets."""

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """Run the suite's tiny nets on one torch thread.

    A second thread buys nothing for nets this small and, on a busy 2-core
    machine, makes fits several times slower. Joblib workers (n_jobs=2) get
    one thread each anyway.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def _seed():
    np.random.seed(0)
    torch.manual_seed(0)


@pytest.fixture(scope="session")
def binary_data():
    """200 x 10 float32 rows at a 9:1 imbalance, well separated."""
    X, y = make_classification(
        n_samples=200,
        n_features=10,
        n_informative=5,
        weights=[0.9],
        class_sep=2.0,
        flip_y=0.0,
        random_state=0,
    )
    return X.astype(np.float32), y


@pytest.fixture(scope="session")
def multiclass_data():
    """240 x 6 rows in three classes of 180 / 45 / 15."""
    X, y = make_classification(
        n_samples=240,
        n_features=6,
        n_informative=4,
        n_classes=3,
        n_clusters_per_class=1,
        weights=[0.75, 0.1875],
        class_sep=2.0,
        flip_y=0.0,
        random_state=0,
    )
    return X.astype(np.float32), y
