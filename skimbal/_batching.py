"""Mini-batches drawn by index from in-memory tensors.

skorch's default data path fetches rows one at a time through a ``Dataset``
and collates them per batch. For data that is already one tensor, that is pure
overhead: a batch is ``X[indices]``. :class:`TensorBatches` yields the same
batches as ``DataLoader(skorch.dataset.Dataset(X, y), ...)`` would, in the same
order, and consumes torch's global random stream in the same way, so a fit
gives the same result on either path for the same seed.

Per-sample weights travel with the rows: a :class:`WeightedDataset` holds
them next to ``X`` and ``y``, and its batches, on either path, are
:class:`WeightedBatch` pairs ``(X, y)`` that carry the rows' weights as an
attribute, so that skorch and its callbacks still see ``(X, y)`` batches.
"""

import torch
from skorch.dataset import Dataset
from torch.utils.data import DataLoader, Subset

# DataLoader keyword arguments that TensorBatches reproduces; any other one
# (workers, collate_fn, pin_memory, ...) keeps skorch's DataLoader path.
_SUPPORTED_KWARGS = {"batch_size", "shuffle", "sampler"}


def _draw_global_seed():
    return int(torch.empty((), dtype=torch.int64).random_().item())


class WeightedDataset(Dataset):
    """skorch's :class:`~skorch.dataset.Dataset` with a weight per row.

    Items are ``(Xi, yi, wi)``; :class:`WeightedBatches` turns the collated
    triples of a ``DataLoader`` into :class:`WeightedBatch` pairs.

    Parameters
    ----------
    X, y
        As for skorch's ``Dataset``.
    sample_weight : torch.Tensor of shape (n_samples,)
        The weight of each row.
    """

    def __init__(self, X, y, sample_weight):
        super().__init__(X, y)
        if len(sample_weight) != len(self):
            raise ValueError(
                f"WeightedDataset: {len(sample_weight)} weights for {len(self)} rows."
            )
        self.sample_weight = sample_weight

    def __getitem__(self, i):
        Xi, yi = super().__getitem__(i)
        return Xi, yi, self.sample_weight[i]


class WeightedBatch(tuple):
    """A batch ``(X, y)`` whose rows' weights are in ``sample_weight``."""

    def __new__(cls, X, y, sample_weight):
        batch = super().__new__(cls, (X, y))
        batch.sample_weight = sample_weight
        return batch


class WeightedBatches:
    """Wrap an iterable of ``(X, y, w)`` batches into :class:`WeightedBatch`."""

    def __init__(self, batches):
        self.batches = batches

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        for X, y, sample_weight in self.batches:
            yield WeightedBatch(X, y, sample_weight)


def dataset_sample_weight(dataset):
    """The weights of a :class:`WeightedDataset`'s rows, through Subsets.

    Returns None for a dataset without weights.
    """
    base = dataset
    while isinstance(base, Subset):
        base = base.dataset
    if not isinstance(base, WeightedDataset):
        return None
    indices = None
    while isinstance(dataset, Subset):
        outer = torch.as_tensor(dataset.indices, dtype=torch.int64)
        indices = outer if indices is None else outer[indices]
        dataset = dataset.dataset
    weights = base.sample_weight
    if indices is None:
        return weights
    return weights[indices.to(weights.device)]


class TensorBatches:
    """Iterable over ``(X_batch, y_batch)`` of in-memory tensors.

    Parameters
    ----------
    X : torch.Tensor of shape (n_samples, ...)
        All rows.
    y : torch.Tensor of shape (n_samples,) or None
        Targets; batches carry None when it is None.
    indices : torch.Tensor of int64 or None
        The rows to iterate over (e.g. those of a train/valid ``Subset``);
        None for all rows.
    batch_size : int
        Rows per batch; the last batch may be smaller.
    shuffle : bool, default=False
        Visit the rows in a new random order every epoch, as
        :class:`torch.utils.data.RandomSampler` does.
    sampler : torch.utils.data.WeightedRandomSampler or None, default=None
        Draw rows with its weights, with replacement, once per epoch (one
        ``torch.multinomial`` call, exactly as the sampler does).
    sample_weight : torch.Tensor of shape (n_samples,) or None, default=None
        Per-row weights of all rows; batches are then :class:`WeightedBatch`
        pairs carrying the weights of their rows.
    """

    def __init__(
        self, X, y, indices, batch_size, shuffle=False, sampler=None, sample_weight=None
    ):
        self.X = X
        self.y = y
        self.indices = indices
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.sampler = sampler
        self.sample_weight = sample_weight

    def __len__(self):
        n = self._n_rows()
        return (n + self.batch_size - 1) // self.batch_size

    def _n_rows(self):
        if self.sampler is not None:
            return self.sampler.num_samples
        return len(self.X) if self.indices is None else len(self.indices)

    def _epoch_order(self):
        """Row positions for one epoch, or None for all rows in order."""
        # a DataLoader iterator draws a base seed for its workers first
        _draw_global_seed()
        sampler = self.sampler
        if sampler is not None:
            order = torch.multinomial(
                sampler.weights,
                sampler.num_samples,
                sampler.replacement,
                generator=sampler.generator,
            )
        elif self.shuffle:
            generator = torch.Generator().manual_seed(_draw_global_seed())
            order = torch.randperm(self._n_rows(), generator=generator)
        else:
            return self.indices
        return order if self.indices is None else self.indices[order]

    def __iter__(self):
        order = self._epoch_order()
        if order is not None and order.device != self.X.device:
            order = order.to(self.X.device)
        X, y, weights = self.X, self.y, self.sample_weight
        for start in range(0, self._n_rows(), self.batch_size):
            if order is None:
                rows = slice(start, start + self.batch_size)
                batch = X[rows], (None if y is None else y[rows])
                if weights is not None:
                    batch = WeightedBatch(*batch, weights[rows])
            else:
                rows = order[start : start + self.batch_size]
                # index_select: a third of the time of advanced indexing X[rows]
                batch = (
                    X.index_select(0, rows),
                    None if y is None else y.index_select(0, rows),
                )
                if weights is not None:
                    batch = WeightedBatch(*batch, weights.index_select(0, rows))
            yield batch


def tensor_dataset_parts(dataset):
    """``(X, y, indices, sample_weight)`` if TensorBatches can take ``dataset``.

    ``sample_weight`` is None unless ``dataset`` (or the dataset of a Subset)
    is a :class:`WeightedDataset`. Returns None for anything else (custom
    datasets, dicts, arrays).
    """
    indices = None
    if isinstance(dataset, Subset):
        indices = torch.as_tensor(dataset.indices, dtype=torch.int64)
        dataset = dataset.dataset
    if type(dataset) not in (Dataset, WeightedDataset):
        return None
    if not isinstance(dataset.X, torch.Tensor):
        return None
    if dataset.y is not None and not isinstance(dataset.y, torch.Tensor):
        return None
    return dataset.X, dataset.y, indices, getattr(dataset, "sample_weight", None)


def can_replace(iterator, kwargs):
    """Whether a ``DataLoader`` built from ``kwargs`` is one TensorBatches equals."""
    return iterator is DataLoader and set(kwargs) <= _SUPPORTED_KWARGS
