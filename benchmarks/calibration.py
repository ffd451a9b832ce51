"""Held-out calibration of predict_proba with and without prior_correction.

Run:  .venv/bin/python benchmarks/calibration.py

Every rebalancing strategy trains the net for a class prior other than the
real one; ``prior_correction=True`` maps the probabilities back. This script
fits each strategy on 400 rows of an imbalanced make_classification set and
scores 2,000 held-out rows: Brier score (summed over classes, mean over rows)
and log-loss, uncorrected and corrected, and the recall of the smallest class
of the uncorrected (rebalanced) predictions.
"""

import numpy as np
import torch
from sklearn.datasets import make_classification
from sklearn.metrics import log_loss, recall_score

from skimbal import ImbalancedNetClassifier

STRATEGIES = [
    "none",
    "class_weight",
    "sampler",
    "focal",
    "class_balanced",
    "logit_adjust",
]
SETS = {"binary 9:1": (2, [0.9]), "3 classes 80/15/5": (3, [0.8, 0.15])}


def brier(y, proba):
    return float(np.mean(np.sum((proba - np.eye(proba.shape[1])[y]) ** 2, axis=1)))


def main():
    torch.set_num_threads(1)
    print("# calibration: 400 training rows, 2,000 held-out rows, seeds 0 and 1\n")
    print(
        "| data set | seed | strategy | Brier | Brier corrected | log-loss | "
        "log-loss corrected | smallest-class recall |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, (n_classes, weights) in SETS.items():
        for seed in (0, 1):
            X, y = make_classification(
                n_samples=2400,
                n_features=6,
                n_informative=4,
                n_classes=n_classes,
                n_clusters_per_class=1,
                weights=weights,
                class_sep=1.0,
                flip_y=0.02,
                random_state=seed,
            )
            X = X.astype(np.float32)
            train, test = slice(0, 400), slice(400, None)
            rare = np.bincount(y[train]).argmin()
            for strategy in STRATEGIES:
                clf = ImbalancedNetClassifier(
                    strategy=strategy,
                    max_steps=300,
                    lr=0.01,
                    module__hidden_units=(16,),
                    random_state=0,
                ).fit(X[train], y[train])
                raw = clf.predict_proba(X[test])
                recall = recall_score(
                    y[test], raw.argmax(1), labels=[rare], average=None
                )
                fixed = clf.set_params(prior_correction=True).predict_proba(X[test])
                print(
                    f"| {name} | {seed} | {strategy} | {brier(y[test], raw):.4f} | "
                    f"{brier(y[test], fixed):.4f} | {log_loss(y[test], raw):.3f} | "
                    f"{log_loss(y[test], fixed):.3f} | {recall[0]:.2f} |"
                )


if __name__ == "__main__":
    main()
