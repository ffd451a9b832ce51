"""Mini-batches drawn by index from in-memory tensors.

skorch's default data path fetches rows one at a time through a ``Dataset``
and collates them per batch. For data that is already one tensor, that is pure
overhead: a batch is ``X[indices]``. :class:`TensorBatches` yields the same
batches as ``DataLoader(skorch.dataset.Dataset(X, y), ...)`` would, in the same
order, and consumes torch's global random stream in the same way, so a fit
gives the same result on either path for the same seed.
"""

import torch
from skorch.dataset import Dataset
from torch.utils.data import DataLoader, Subset

# DataLoader keyword arguments that TensorBatches reproduces; any other one
# (workers, collate_fn, pin_memory, ...) keeps skorch's DataLoader path.
_SUPPORTED_KWARGS = {"batch_size", "shuffle", "sampler"}


def _draw_global_seed():
    return int(torch.empty((), dtype=torch.int64).random_().item())


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
    """

    def __init__(self, X, y, indices, batch_size, shuffle=False, sampler=None):
        self.X = X
        self.y = y
        self.indices = indices
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.sampler = sampler

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
        X, y = self.X, self.y
        for start in range(0, self._n_rows(), self.batch_size):
            if order is None:
                rows = slice(start, start + self.batch_size)
                yield X[rows], (None if y is None else y[rows])
            else:
                rows = order[start : start + self.batch_size]
                # index_select: a third of the time of advanced indexing X[rows]
                yield (
                    X.index_select(0, rows),
                    None if y is None else y.index_select(0, rows),
                )


def tensor_dataset_parts(dataset):
    """``(X, y, indices)`` if ``dataset`` wraps tensors TensorBatches can take.

    Returns None for anything else (custom datasets, dicts, arrays).
    """
    indices = None
    if isinstance(dataset, Subset):
        indices = torch.as_tensor(dataset.indices, dtype=torch.int64)
        dataset = dataset.dataset
    if type(dataset) is not Dataset or not isinstance(dataset.X, torch.Tensor):
        return None
    if dataset.y is not None and not isinstance(dataset.y, torch.Tensor):
        return None
    return dataset.X, dataset.y, indices


def can_replace(iterator, kwargs):
    """Whether a ``DataLoader`` built from ``kwargs`` is one TensorBatches equals."""
    return iterator is DataLoader and set(kwargs) <= _SUPPORTED_KWARGS
