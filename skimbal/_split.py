"""An internal validation split that keeps every class in training."""

import warnings

import numpy as np
from sklearn.utils import check_random_state
from skorch.utils import to_numpy
from torch.utils.data import Subset


class StratifiedValidSplit:
    """Hold out a stratified fraction of the rows for validation.

    The ``train_split`` of :class:`skimbal.ImbalancedNetClassifier`: every class
    with at least two samples puts ``round(fraction * count)`` of them, but at
    least one and at most ``count - 1``, in the validation set, so no class is
    lost from either side; a class with a single sample stays in training (with
    a warning, as the validation score then cannot see it).

    Parameters
    ----------
    fraction : float, default=0.2
        Share of each class held out, in (0, 1).
    random_state : int, RandomState instance or None, default=0
        Seed of the choice of rows.

    Examples
    --------
    >>> import numpy as np
    >>> from skorch.dataset import Dataset
    >>> from skimbal import StratifiedValidSplit
    >>> y = np.array([0] * 20 + [1] * 3)
    >>> train, valid = StratifiedValidSplit(0.2)(Dataset(np.zeros((23, 1)), y), y)
    >>> np.bincount(y[train.indices]).tolist(), np.bincount(y[valid.indices]).tolist()
    ([16, 2], [4, 1])
    """

    def __init__(self, fraction=0.2, random_state=0):
        self.fraction = fraction
        self.random_state = random_state

    def __call__(self, dataset, y=None, groups=None):
        if not 0 < self.fraction < 1:
            raise ValueError(
                f"StratifiedValidSplit: fraction must be in (0, 1). Got "
                f"{self.fraction!r} instead."
            )
        if y is None:
            raise ValueError("StratifiedValidSplit needs the class labels y.")
        y = to_numpy(y)
        rng = check_random_state(self.random_state)
        valid = []
        singletons = []
        for label in np.unique(y):
            rows = np.flatnonzero(y == label)
            if len(rows) < 2:
                singletons.append(label.item())
                continue
            n_valid = min(max(1, round(self.fraction * len(rows))), len(rows) - 1)
            valid.append(rng.choice(rows, n_valid, replace=False))
        if singletons:
            warnings.warn(
                f"Classes {singletons!r} have a single sample in the training data: "
                "it stays in training, and validation scores cannot see these "
                "classes. Pass more samples, or train_split=None.",
                UserWarning,
                stacklevel=2,
            )
        valid = np.sort(np.concatenate(valid)) if valid else np.array([], int)
        train = np.setdiff1d(np.arange(len(y)), valid, assume_unique=True)
        return Subset(dataset, train.tolist()), Subset(dataset, valid.tolist())

    def __repr__(self):
        return (
            f"{type(self).__name__}(fraction={self.fraction!r}, "
            f"random_state={self.random_state!r})"
        )
