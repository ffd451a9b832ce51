"""Weighted random sampling of training rows."""

import numpy as np
import torch
from torch.utils.data import WeightedRandomSampler


def sampler_row_weights(y_encoded, n_classes, sample_weight=None):
    """Per-row sampling weights ``1 / count(class of the row)``.

    Parameters
    ----------
    y_encoded : ndarray of shape (n_samples,)
        Integer class codes in ``[0, n_classes)``.
    n_classes : int
        Number of classes.
    sample_weight : ndarray of shape (n_samples,) or None, default=None
        Per-row weights: a row is then drawn with probability proportional to
        its weight within its class, ``sample_weight / (summed weight of the
        class)``, so that the classes still come equally often.

    Returns
    -------
    weights : ndarray of shape (n_samples,)
        Each class present in ``y_encoded`` (with a positive summed weight)
        gets the same total weight, so a draw picks every class with equal
        probability.
    """
    if sample_weight is None:
        sample_weight = np.ones(len(y_encoded))
    totals = np.bincount(y_encoded, weights=sample_weight, minlength=n_classes)
    per_class = np.divide(1.0, totals, out=np.zeros(n_classes), where=totals > 0)
    return per_class[y_encoded] * sample_weight


def make_balanced_sampler(y_encoded, n_classes, seed=None, sample_weight=None):
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
    sample_weight : ndarray of shape (n_samples,) or None, default=None
        Per-row weights, see :func:`sampler_row_weights`.

    Returns
    -------
    sampler : torch.utils.data.WeightedRandomSampler
        ``num_samples=len(y_encoded)`` draws with replacement per epoch.
    """
    generator = None
    if seed is not None:
        generator = torch.Generator().manual_seed(int(seed))
    weights = torch.as_tensor(sampler_row_weights(y_encoded, n_classes, sample_weight))
    return WeightedRandomSampler(
        weights, num_samples=len(weights), replacement=True, generator=generator
    )
