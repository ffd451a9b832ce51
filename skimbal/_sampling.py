"""Weighted random sampling of training rows."""

import numpy as np
import torch
from torch.utils.data import WeightedRandomSampler


def sampler_row_weights(y_encoded, n_classes):
    """Per-row sampling weights ``1 / count(class of the row)``.

    Parameters
    ----------
    y_encoded : ndarray of shape (n_samples,)
        Integer class codes in ``[0, n_classes)``.
    n_classes : int
        Number of classes.

    Returns
    -------
    weights : ndarray of shape (n_samples,)
        Each class present in ``y_encoded`` gets the same total weight, so a
        draw picks every class with equal probability.
    """
    counts = np.bincount(y_encoded, minlength=n_classes)
    per_class = 1.0 / np.maximum(counts, 1)
    return per_class[y_encoded]


def make_balanced_sampler(y_encoded, n_classes, seed=None):
    """A ``WeightedRandomSampler`` that draws every class equally often.

    Parameters
    ----------
    y_encoded : ndarray of shape (n_samples,)
        Integer class codes of the training rows.
    n_classes : int
        Number of classes.
    seed : int or None, default=None
        Seed of the sampler's own generator; None draws from torch's global
        generator.

    Returns
    -------
    sampler : torch.utils.data.WeightedRandomSampler
        ``num_samples=len(y_encoded)`` draws with replacement per epoch.
    """
    generator = None
    if seed is not None:
        generator = torch.Generator().manual_seed(int(seed))
    weights = torch.as_tensor(sampler_row_weights(y_encoded, n_classes))
    return WeightedRandomSampler(
        weights, num_samples=len(weights), replacement=True, generator=generator
    )
