"""Balanced accuracy and friends of skimbal against the usual imbalanced baselines.

Run:  .venv/bin/pip install -e ".[bench]"   # LightGBM, pandas
      .venv/bin/python benchmarks/quality.py [--quick]

Protocol: stratified 5-fold CV (shuffle, seed 0) on the data sets of
../shared/data and a synthetic 1000/100/10 set; every model is fitted per fold
on the training part only (scalers, class weights, searches included) and
scored on the held-out part; the tables give means over the folds.
"""

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from imblearn.ensemble import BalancedRandomForestClassifier
from joblib import Parallel, delayed
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    f1_score,
    recall_score,
)
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import LabelEncoder, StandardScaler
from skorch import NeuralNetClassifier
from torch import nn
from torch.utils.data import WeightedRandomSampler

from skimbal import ImbalancedNetClassifier, TabularMLP

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FILES = {
    "mammography": "mammography.csv",
    "oil-spill": "oil-spill.csv",
    "phoneme": "phoneme.csv",
    "pima": "pima-indians-diabetes.csv",
    "ecoli": "ecoli.csv",
    "glass": "glass.csv",
}
PEERS = ["LogReg bal.", "LightGBM bal.", "BalancedRF", "skorch by hand"]
SKIMBAL = ["none", "class_weight", "sampler", "focal"]
GRID = [
    {"strategy": ["class_weight", "sampler", "sampler+focal"]},
    {"strategy": ["focal"], "gamma": [0.5, 2.0], "alpha": [None, 0.5]},
]


def load_datasets(names=None):
    X, y = make_classification(
        n_samples=1110,
        n_features=20,
        n_informative=6,
        n_classes=3,
        weights=[1000 / 1110, 100 / 1110],
        random_state=0,
    )
    sets = {"synthetic 1000/100/10": (X.astype(np.float32), y)}
    for name, file in FILES.items():
        path = DATA / file
        if not path.exists():
            continue
        raw = np.genfromtxt(path, delimiter=",", dtype=str)
        X, y = raw[:, :-1].astype(np.float32), raw[:, -1]
        if name == "ecoli":  # classes of < 5 samples cannot be in every fold
            labels, counts = np.unique(y, return_counts=True)
            keep = np.isin(y, labels[counts >= 5])
            X, y = X[keep], y[keep]
        sets[name] = (X, y)
    if names:
        sets = {k: v for k, v in sets.items() if k in names}
    return sets


# ------------------------------------------------------------------ models


def _skorch_by_hand(y_train, n_features, rebalance):
    """A plain skorch MLP as a user would write it, on encoded labels."""
    n_classes = len(np.unique(y_train))
    counts = np.bincount(y_train, minlength=n_classes)
    kwargs = {"iterator_train__shuffle": True}
    if rebalance == "class_weight":
        weight = 1.0 / counts
        kwargs = {
            **kwargs,
            "criterion__weight": torch.tensor(
                weight / weight.mean(), dtype=torch.float32
            ),
        }
    else:
        kwargs = {
            "iterator_train__sampler": WeightedRandomSampler(
                torch.as_tensor(1.0 / counts[y_train]), len(y_train), replacement=True
            )
        }
    return NeuralNetClassifier(
        TabularMLP,
        module__n_features=n_features,
        module__n_classes=n_classes,
        module__hidden_units=(64, 64),
        module__dropout=0.1,
        module__standardize=False,
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        batch_size=128,
        max_epochs=30,
        train_split=None,
        verbose=0,
        **kwargs,
    )


class _ByHand:
    """StandardScaler + skorch by hand, labels encoded (the baseline's glue)."""

    def __init__(self, rebalance):
        self.rebalance = rebalance

    def fit(self, X, y):
        self.encoder_ = LabelEncoder().fit(y)
        y_enc = self.encoder_.transform(y).astype(np.int64)
        self.scaler_ = StandardScaler().fit(X)
        self.net_ = _skorch_by_hand(y_enc, X.shape[1], self.rebalance)
        self.net_.fit(self.scaler_.transform(X).astype(np.float32), y_enc)
        return self

    def predict_proba(self, X):
        return self.net_.predict_proba(self.scaler_.transform(X).astype(np.float32))

    def predict(self, X):
        return self.encoder_.inverse_transform(self.predict_proba(X).argmax(1))


def make_model(name):
    if name == "LogReg bal.":
        return make_pipeline(
            StandardScaler(),
            LogisticRegression(class_weight="balanced", max_iter=2000),
        )
    if name == "LightGBM bal.":
        from lightgbm import LGBMClassifier

        return LGBMClassifier(class_weight="balanced", verbose=-1, random_state=0)
    if name == "BalancedRF":
        return BalancedRandomForestClassifier(
            n_estimators=300,
            sampling_strategy="all",
            replacement=True,
            bootstrap=False,
            random_state=0,
        )
    if name.startswith("skorch by hand"):
        return _ByHand(name.split("/")[1])
    if name == "skimbal grid":
        return GridSearchCV(
            ImbalancedNetClassifier(random_state=0),
            GRID,
            scoring="balanced_accuracy",
            cv=StratifiedKFold(3, shuffle=True, random_state=0),
        )
    return ImbalancedNetClassifier(strategy=name.split("=")[1], random_state=0)


def score_fold(dataset, X, y, train, test, model_name):
    torch.set_num_threads(1)
    torch.manual_seed(0)  # the by-hand nets take torch's global random state
    warnings.simplefilter("ignore")
    model = make_model(model_name)
    start = time.perf_counter()
    model.fit(X[train], y[train])
    seconds = time.perf_counter() - start
    pred = model.predict(X[test])
    labels = np.unique(y[train])
    scores = {
        "balanced accuracy": balanced_accuracy_score(y[test], pred),
        "macro-F1": f1_score(y[test], pred, average="macro"),
        "smallest-class recall": recall_score(
            y[test], pred, labels=[_smallest(y[train])], average="macro"
        ),
        "fit seconds": seconds,
    }
    if len(labels) == 2:
        proba = model.predict_proba(X[test])[:, 1]
        scores["PR-AUC"] = average_precision_score(y[test] == labels[1], proba)
    return dataset, model_name, scores


def _smallest(y):
    labels, counts = np.unique(y, return_counts=True)
    return labels[counts.argmin()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="*", help="only these data sets")
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    sets = load_datasets(args.datasets)
    models = [
        "LogReg bal.",
        "LightGBM bal.",
        "BalancedRF",
        "skorch by hand/class_weight",
        "skorch by hand/sampler",
        *(f"skimbal strategy={s}" for s in SKIMBAL),
        "skimbal grid",
    ]
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    jobs = [
        delayed(score_fold)(name, X, y, train, test, model)
        for name, (X, y) in sets.items()
        for train, test in cv.split(X, y)
        for model in models
    ]
    start = time.perf_counter()
    results = Parallel(n_jobs=args.n_jobs)(jobs)
    seconds = time.perf_counter() - start
    table = {}
    for dataset, model, scores in results:
        for metric, value in scores.items():
            table.setdefault(metric, {}).setdefault(dataset, {}).setdefault(
                model, []
            ).append(value)
    means = {
        metric: {
            d: {m: float(np.mean(v)) for m, v in row.items()} for d, row in rows.items()
        }
        for metric, rows in table.items()
    }
    # "skorch by hand": class weights or sampler, whichever has the better
    # balanced accuracy on that data set (as the protocol says)
    for d in sets:
        bacc = means["balanced accuracy"][d]
        pick = max(
            ("class_weight", "sampler"), key=lambda r: bacc[f"skorch by hand/{r}"]
        )
        for metric in means:
            row = means[metric].get(d, {})
            if f"skorch by hand/{pick}" in row:
                row["skorch by hand"] = row[f"skorch by hand/{pick}"]
    columns = [*PEERS, *(f"skimbal strategy={s}" for s in SKIMBAL), "skimbal grid"]
    print(
        f"# quality: {len(os.sched_getaffinity(0))} cores, {len(results)} fits in "
        f"{seconds:.0f} s (n_jobs={args.n_jobs}); stratified 5-fold CV, seed 0"
    )
    print(
        "\nskimbal columns: ImbalancedNetClassifier(strategy=..., random_state=0) "
        "with every other parameter at its default; 'skimbal grid': GridSearchCV "
        f"(inner stratified 3-fold, balanced accuracy) over {GRID}."
    )
    for metric in (
        "balanced accuracy",
        "PR-AUC",
        "smallest-class recall",
        "macro-F1",
        "fit seconds",
    ):
        print(f"\n## {metric} (mean over 5 folds)\n")
        short = [c.replace("skimbal strategy=", "skimbal ") for c in columns]
        print("| data set | " + " | ".join(short) + " |")
        print("|---|" + "---|" * len(columns))
        for d in sets:
            row = means.get(metric, {}).get(d)
            if not row:
                continue
            cells = [f"{row[c]:.3f}" if c in row else "" for c in columns]
            print(f"| {d} | " + " | ".join(cells) + " |")
    print("\n## targets\n")
    bacc = means["balanced accuracy"]
    ahead = 0
    for d in sets:
        best_peer = max(bacc[d][p] for p in PEERS)
        grid = bacc[d]["skimbal grid"]
        default = bacc[d]["skimbal strategy=class_weight"]
        ahead += grid > best_peer
        print(
            f"- {d}: best peer {best_peer:.3f}; skimbal grid {grid:.3f} "
            f"({grid - best_peer:+.3f}); defaults {default:.3f} "
            f"({default - best_peer:+.3f})"
        )
    print(f"- skimbal grid ahead of every peer on {ahead} of {len(sets)} data sets")


if __name__ == "__main__":
    main()
