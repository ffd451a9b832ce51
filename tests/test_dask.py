"""Scale-out: a grid search on a Dask cluster through joblib's Dask backend.

Nothing in the estimator changes: joblib ships each (candidate, fold) fit to a
worker process, and the fixed ``random_state`` makes each fit the same there
as in this process. Dask's nanny starts its workers with ``OMP_NUM_THREADS=1``
(``distributed.nanny.pre-spawn-environ``), so torch runs one intra-op thread
per worker; the local runs below use the same thread count as the workers.
"""

import os
import time

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate

from skimbal import ImbalancedNetClassifier

distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")
psutil = pytest.importorskip("psutil")  # a dependency of distributed

STRATEGIES = ["none", "class_weight", "sampler", "focal"]


@pytest.fixture(scope="module")
def client():
    """Two single-threaded worker processes on this machine; gone afterwards."""
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        # import torch and skimbal in the workers now, in parallel, rather
        # than when the first task is unpickled
        client.run(__import__, "skimbal")
        pids = list(client.run(os.getpid).values())
        yield client
    deadline = time.monotonic() + 10
    while any(psutil.pid_exists(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(psutil.pid_exists(pid) for pid in pids), "workers left behind"


@pytest.fixture
def worker_threads(client):
    """Run this process's torch on as many threads as each worker's."""
    (threads,) = set(client.run(torch.get_num_threads).values())
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    yield threads
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def data():
    """150 rows at a 9:1 imbalance."""
    X, y = make_classification(
        n_samples=150,
        n_features=6,
        n_informative=3,
        weights=[0.9],
        class_sep=1.0,
        flip_y=0.0,
        random_state=0,
    )
    return X.astype(np.float32), y


def search():
    return GridSearchCV(
        ImbalancedNetClassifier(random_state=0, max_steps=60, min_steps=60),
        {"strategy": STRATEGIES},
        scoring="balanced_accuracy",
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
    )


def test_grid_search_on_dask_matches_the_local_search(client, worker_threads, data):
    X, y = data
    local = search().set_params(n_jobs=1).fit(X, y)
    with distributed.get_task_stream(client=client) as tasks:
        with joblib.parallel_backend("dask"):
            remote = search().fit(X, y)
    # the fits ran on the cluster's workers, not here
    workers = {task["worker"] for task in tasks.data}
    assert workers and workers <= set(client.scheduler_info()["workers"])

    assert remote.best_params_ == local.best_params_
    for key in [f"split{i}_test_score" for i in range(3)] + ["mean_test_score"]:
        np.testing.assert_array_equal(remote.cv_results_[key], local.cv_results_[key])
    # the scores tell the strategies apart, so best_params_ means something
    assert len(set(local.cv_results_["mean_test_score"])) > 1
    # the refit happens in this process, on all rows, in both cases
    np.testing.assert_array_equal(remote.predict_proba(X), local.predict_proba(X))


def test_fitted_nets_come_back_from_the_workers(client, worker_threads, data):
    """Each fold's net, fitted in a worker and pickled back, equals a local fit."""
    X, y = data
    net = ImbalancedNetClassifier(
        strategy="sampler+focal", random_state=0, max_steps=60, min_steps=60
    )
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    local = cross_validate(net, X, y, cv=cv, return_estimator=True)
    with joblib.parallel_backend("dask"):
        remote = cross_validate(net, X, y, cv=cv, return_estimator=True)
    for here, there in zip(local["estimator"], remote["estimator"]):
        np.testing.assert_array_equal(there.class_weight_, here.class_weight_)
        np.testing.assert_array_equal(there.predict_proba(X), here.predict_proba(X))
        assert len(there.history_) == len(here.history_)
