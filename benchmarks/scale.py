"""A fraud-shaped grid search, and how fit time grows with the number of rows.

Run:  .venv/bin/python benchmarks/scale.py  [--quick]

The data are synthetic, in the shape of the public European credit-card fraud
set: 284,807 rows x 30 features, 492 positives (0.17%); the positives are
shifted by 0.8 standard deviations along 10 of the features.
"""

import argparse
import os
import platform
import statistics
import time

import numpy as np
import torch
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from skimbal import ImbalancedNetClassifier

N_ROWS, N_FEATURES, N_POSITIVE = 284_807, 30, 492
STRATEGIES = ["none", "class_weight", "sampler", "focal"]


def make_fraud_like(n_rows=N_ROWS, n_positive=N_POSITIVE, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_rows, N_FEATURES), dtype=np.float32)
    y = np.zeros(n_rows, dtype=np.int64)
    y[rng.choice(n_rows, n_positive, replace=False)] = 1
    X[y == 1, :10] += 0.8
    return X, y


def grid_search(X, y, n_jobs):
    search = GridSearchCV(
        ImbalancedNetClassifier(random_state=0),
        {"strategy": STRATEGIES},
        scoring="balanced_accuracy",
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        n_jobs=n_jobs,
    )
    start = time.perf_counter()
    search.fit(X, y)
    return search, time.perf_counter() - start


def epoch_seconds(n_rows, strategy, repeats):
    """Seconds of one epoch of fit (whole fit, max_steps off), median."""
    X, y = make_fraud_like(n_rows, max(2, round(n_rows * N_POSITIVE / N_ROWS)))
    times = []
    for _ in range(repeats):
        clf = ImbalancedNetClassifier(
            strategy=strategy,
            max_epochs=1,
            max_steps=None,
            early_stopping=False,  # every row trains, no validation pass
            random_state=0,
        )
        start = time.perf_counter()
        clf.fit(X, y)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    repeats = 1 if args.quick else 3
    print(
        f"# scale: {platform.machine()}, {len(os.sched_getaffinity(0))} cores, "
        f"torch {torch.__version__}"
    )

    X, y = make_fraud_like()
    search, seconds = grid_search(X, y, n_jobs=2)
    n_fits = 3 * len(STRATEGIES) + 1
    n_train = [len(train) for train, _ in search.cv.split(X, y)]
    defaults = ImbalancedNetClassifier()
    epochs = {n: defaults._n_epochs(n) for n in [*n_train, len(y)]}
    # early stopping (on by default at this size) trains on 80% of each class
    fit_rows = {n: n - round(0.2 * n) for n in [*n_train, len(y)]}
    rows_trained = len(STRATEGIES) * sum(fit_rows[n] * epochs[n] for n in n_train)
    rows_trained += fit_rows[len(y)] * epochs[len(y)]
    print(
        f"\n## GridSearchCV over strategy {STRATEGIES}, 3-fold stratified, "
        f"balanced accuracy, n_jobs=2, estimator defaults\n"
    )
    print(f"- data: {len(y):,} x {X.shape[1]}, {y.sum()} positives")
    print(
        f"- wall time: {seconds:.1f} s for {n_fits} fits (12 + refit); with "
        f"max_steps=5000 and batch 128 a fold trains {epochs[n_train[0]]} epochs "
        f"of {n_train[0]:,} rows, the refit {epochs[len(y)]} of {len(y):,}; "
        "early stopping validates 20% of them after each epoch"
    )
    print(f"- training rows per second: {rows_trained / seconds:,.0f}")
    print("\n| strategy | mean balanced accuracy | std |")
    print("|---|---|---|")
    results = search.cv_results_
    for params, mean, std in zip(
        results["params"], results["mean_test_score"], results["std_test_score"]
    ):
        print(f"| {params['strategy']} | {mean:.3f} | {std:.3f} |")
    print(f"\nbest: {search.best_params_}")

    torch.set_num_threads(1)
    sizes = [10_000, 30_000, 100_000, 300_000, 1_000_000]
    print(
        "\n## one epoch of fit (max_steps=None, batch 128, 1 torch thread) "
        f"against the number of rows, median of {repeats}\n"
    )
    print("| rows | strategy | s / epoch | us per row |")
    print("|---|---|---|---|")
    for strategy in ("class_weight", "sampler"):
        for n in sizes:
            seconds = epoch_seconds(n, strategy, repeats)
            print(f"| {n:,} | {strategy} | {seconds:.2f} | {seconds / n * 1e6:.2f} |")


if __name__ == "__main__":
    main()
