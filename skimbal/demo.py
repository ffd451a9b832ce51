"""The seed exercise: four strategies on a 1000 / 100 / 10 three-class problem.

Run it with ``make demo`` or ``python -m skimbal.demo``. It prints, for each
strategy, the confusion matrix and the per-class recall of out-of-fold
predictions from a stratified 5-fold split, so each of the 10 rare samples is
scored exactly once, by a model that never saw it.
"""

import time

import numpy as np
from sklearn.metrics import balanced_accuracy_score, confusion_matrix
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from ._classifier import ImbalancedNetClassifier

STRATEGIES = ("none", "class_weight", "sampler", "focal")


def make_demo_data(counts=(1000, 100, 10), separation=2.0, n_noise=2, random_state=0):
    """Gaussian classes whose rare members a naive net gives up on.

    Class 0 is centred at the origin; class ``k >= 1`` is shifted by
    ``separation`` along feature ``k - 1``; ``n_noise`` more features are pure
    noise; every class has unit variance. At ``separation=2.0`` and 100 times
    fewer samples, the rare class is nowhere more probable than the majority,
    so a model of the skewed data never predicts it, while the balanced
    decision boundary halfway between the centres recovers most of it.

    Parameters
    ----------
    counts : tuple of int, default=(1000, 100, 10)
        Samples per class.
    separation : float, default=2.0
        Distance of each minority centre from the majority's.
    n_noise : int, default=2
        Number of uninformative features.
    random_state : int, default=0
        Seed.

    Returns
    -------
    X : ndarray of shape (sum(counts), len(counts) - 1 + n_noise), float32
        Features.
    y : ndarray of shape (sum(counts),)
        Labels ``0 .. len(counts) - 1``, in blocks.

    Examples
    --------
    >>> from skimbal.demo import make_demo_data
    >>> X, y = make_demo_data()
    >>> X.shape, np.bincount(y).tolist()
    ((1110, 4), [1000, 100, 10])
    """
    rng = np.random.RandomState(random_state)
    n_features = len(counts) - 1 + n_noise
    centres = np.zeros((len(counts), n_features))
    for k in range(1, len(counts)):
        centres[k, k - 1] = separation
    X = np.vstack(
        [rng.normal(mu, 1.0, size=(n, n_features)) for mu, n in zip(centres, counts)]
    )
    y = np.repeat(np.arange(len(counts)), counts)
    return X.astype(np.float32), y


def run_demo(strategies=STRATEGIES, n_splits=5, random_state=0, file=None):
    """Print the out-of-fold confusion matrix and recall of each strategy.

    Parameters
    ----------
    strategies : sequence of str, default=("none", "class_weight", "sampler", "focal")
        Values of ``ImbalancedNetClassifier(strategy=...)`` to compare.
    n_splits : int, default=5
        Folds of the stratified split.
    random_state : int, default=0
        Seed of the data, the folds and the nets.
    file : file-like or None, default=None
        Where to print; None for standard output.

    Returns
    -------
    recalls : dict of str to ndarray of shape (n_classes,)
        Per-class recall of each strategy.
    """
    X, y = make_demo_data(random_state=random_state)
    classes = np.unique(y)
    counts = np.bincount(y)
    cv = StratifiedKFold(n_splits, shuffle=True, random_state=random_state)
    print(
        f"skimbal demo: {len(y)} samples, {X.shape[1]} features, class counts "
        f"{dict(zip(classes.tolist(), counts.tolist()))}; out-of-fold predictions "
        f"of a stratified {n_splits}-fold split",
        file=file,
    )
    recalls = {}
    for strategy in strategies:
        start = time.perf_counter()
        clf = ImbalancedNetClassifier(strategy=strategy, random_state=random_state)
        y_pred = cross_val_predict(clf, X, y, cv=cv)
        seconds = time.perf_counter() - start
        cm = confusion_matrix(y, y_pred, labels=classes)
        recalls[strategy] = cm.diagonal() / cm.sum(axis=1)
        print(f"\nstrategy={strategy!r} ({seconds:.1f} s)", file=file)
        print(_format_confusion_matrix(cm, classes), file=file)
        recall = "  ".join(
            f"{label}: {r:.0%}" for label, r in zip(classes, recalls[strategy])
        )
        bacc = balanced_accuracy_score(y, y_pred)
        print(f"recall  {recall}   balanced accuracy {bacc:.3f}", file=file)
    return recalls


def _format_confusion_matrix(cm, classes):
    """Rows: true class, columns: predicted class."""
    width = max(6, *(len(str(v)) for v in cm.ravel()), *(len(str(c)) for c in classes))
    header = "true \\ pred " + " ".join(f"{c!s:>{width}}" for c in classes)
    rows = [
        f"{label!s:>11} " + " ".join(f"{v:>{width}}" for v in row)
        for label, row in zip(classes, cm)
    ]
    return "\n".join([header, *rows])


def main():
    """Entry point of ``python -m skimbal.demo``."""
    run_demo()


if __name__ == "__main__":
    main()
