"""Validation of skimbal's hyperparameters and resolution of class weights."""

import warnings
from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.class_weight import compute_class_weight

STRATEGY_COMPONENTS = (
    "class_weight",
    "class_balanced",
    "sampler",
    "focal",
    "logit_adjust",
)
# components that weight the classes in the loss: at most one of them
WEIGHTING_COMPONENTS = frozenset({"class_weight", "class_balanced"})
# components that rebalance without class weights ("alpha=None" adds none)
REBALANCING_COMPONENTS = frozenset({"sampler", "logit_adjust"})

# Constraints of the parameters skimbal adds to skorch's, in scikit-learn's
# vocabulary; ``strategy`` also needs ``parse_strategy`` for "+"-combinations.
PARAMETER_CONSTRAINTS = {
    "strategy": [str],
    "alpha": [
        None,
        StrOptions({"balanced"}),
        Interval(Real, 0, 1, closed="both"),
        "array-like",
        dict,
    ],
    "gamma": [Interval(Real, 0, None, closed="left")],
    "beta": [Interval(Real, 0, 1, closed="left")],
    "tau": [Interval(Real, 0, None, closed="left")],
    "prior_correction": ["boolean"],
    "random_state": ["random_state"],
    "max_epochs": [Interval(Integral, 1, None, closed="left"), None],
    "min_steps": [Interval(Integral, 1, None, closed="left")],
    "max_steps": [Interval(Integral, 1, None, closed="left"), None],
    "early_stopping": ["boolean", StrOptions({"auto"})],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
}


def validate_params(estimator):
    """Check skimbal's own hyperparameters of ``estimator``.

    Raises
    ------
    sklearn.utils._param_validation.InvalidParameterError
        A ``ValueError`` and ``TypeError``, with scikit-learn's wording.
    """
    params = {name: getattr(estimator, name) for name in PARAMETER_CONSTRAINTS}
    validate_parameter_constraints(
        PARAMETER_CONSTRAINTS, params, caller_name=type(estimator).__name__
    )
    return parse_strategy(estimator.strategy, type(estimator).__name__)


def parse_strategy(strategy, caller_name="ImbalancedNetClassifier"):
    """Split a strategy such as ``"sampler+focal"`` into its components.

    Parameters
    ----------
    strategy : str
        ``"none"``, or one or more of ``"class_weight"``, ``"class_balanced"``,
        ``"sampler"``, ``"focal"`` and ``"logit_adjust"`` joined by ``"+"``, in
        any order; ``"class_weight"`` and ``"class_balanced"`` exclude each
        other.
    caller_name : str, default="ImbalancedNetClassifier"
        Name used in the error message.

    Returns
    -------
    components : frozenset of str
        Empty for ``"none"``.
    """
    parts = [part.strip() for part in strategy.split("+")]
    if parts == ["none"]:
        return frozenset()
    if all(p in STRATEGY_COMPONENTS for p in parts) and len(set(parts)) == len(parts):
        if WEIGHTING_COMPONENTS <= set(parts):
            raise ValueError(
                f"The 'strategy' parameter of {caller_name} names two class "
                "weightings, 'class_weight' and 'class_balanced'; choose one. "
                f"Got {strategy!r} instead."
            )
        return frozenset(parts)
    raise ValueError(
        f"The 'strategy' parameter of {caller_name} must be 'none' or one or more "
        f"of {', '.join(map(repr, STRATEGY_COMPONENTS))} joined by '+' (e.g. "
        f"'sampler+focal'), each at most once. Got {strategy!r} instead."
    )


def balanced_weights(y_encoded, n_classes, sample_weight=None):
    """Inverse class frequencies, normalised to mean 1.

    Parameters
    ----------
    y_encoded : ndarray of shape (n_samples,)
        Integer class codes in ``[0, n_classes)``; every class must occur.
    n_classes : int
        Number of classes.
    sample_weight : ndarray of shape (n_samples,) or None, default=None
        Per-sample weights; the counts are then the classes' summed weights
        (scikit-learn's ``compute_class_weight`` takes them since 1.7).

    Returns
    -------
    weights : ndarray of shape (n_classes,)
        ``n_samples / (n_classes * count)`` as in scikit-learn's
        ``compute_class_weight("balanced")`` [1]_, rescaled to mean 1.

    References
    ----------
    .. [1] G. King and L. Zeng, "Logistic Regression in Rare Events Data",
       Political Analysis 9(2), 2001.
    """
    weights = compute_class_weight(
        "balanced",
        classes=np.arange(n_classes),
        y=y_encoded,
        sample_weight=sample_weight,
    )
    return weights / weights.mean()


def class_counts(y_encoded, n_classes, sample_weight=None):
    """Number of samples of each class, or their summed ``sample_weight``."""
    return np.bincount(y_encoded, weights=sample_weight, minlength=n_classes)


def effective_number_weights(counts, beta):
    """Class weights by the effective number of samples, normalised to mean 1.

    Parameters
    ----------
    counts : ndarray of shape (n_classes,)
        Samples (or summed sample weights) per class, all > 0.
    beta : float in [0, 1)
        ``0`` gives uniform weights; towards 1 they approach inverse
        frequency.

    Returns
    -------
    weights : ndarray of shape (n_classes,)
        Proportional to ``(1 - beta) / (1 - beta ** count)`` [1]_, the
        inverse of the effective number of samples
        ``(1 - beta ** count) / (1 - beta)``, rescaled to mean 1.

    References
    ----------
    .. [1] Y. Cui, M. Jia, T.-Y. Lin, Y. Song and S. Belongie, "Class-Balanced
       Loss Based on Effective Number of Samples", CVPR 2019.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if beta == 0:
        return np.ones_like(counts)
    # the factor (1 - beta) is common to all classes and cancels in the
    # normalisation; -expm1(n log beta) = 1 - beta**n without cancellation
    weights = 1.0 / -np.expm1(counts * np.log(beta))
    return weights / weights.mean()


def resolve_class_weight(
    components,
    alpha,
    classes,
    y_encoded,
    *,
    beta=0.999,
    sample_weight=None,
    strategy=None,
):
    """Per-class weights of the loss, as ``strategy``, ``alpha`` and ``beta`` ask.

    ``alpha=None`` balances once: balanced weights for ``class_weight`` and
    ``focal``, none when the ``sampler`` or ``logit_adjust`` already
    rebalance; ``class_balanced`` always takes its weights from ``beta``.

    Parameters
    ----------
    components : frozenset of str
        The output of :func:`parse_strategy`.
    alpha : None, "balanced", float, array-like or dict
        The ``alpha`` hyperparameter (already checked against its constraints).
    classes : ndarray of shape (n_classes,)
        The original labels, sorted, as in ``classes_``.
    y_encoded : ndarray of shape (n_samples,)
        The training labels as integer codes into ``classes``.
    beta : float, default=0.999
        The ``beta`` hyperparameter, used by ``class_balanced``.
    sample_weight : ndarray of shape (n_samples,) or None, default=None
        Per-sample weights: ``"balanced"`` and ``class_balanced`` then count
        each class by its summed weight.
    strategy : str or None, default=None
        The ``strategy`` hyperparameter, for error messages.

    Returns
    -------
    weights : ndarray of shape (n_classes,) or None
        None when the loss is unweighted.
    """
    if not components:  # strategy="none" ignores alpha
        return None
    n_classes = len(classes)
    if "class_balanced" in components:
        if alpha is not None:
            raise ValueError(
                f"strategy={strategy!r} computes the class weights from beta, "
                f"and alpha={alpha!r} would replace them. Leave alpha=None, or "
                "use 'class_weight' instead of 'class_balanced' to set alpha."
            )
        counts = counts_of_every_class(
            classes, y_encoded, sample_weight, "strategy='class_balanced'"
        )
        return effective_number_weights(counts, beta)
    if alpha is None:
        if components & REBALANCING_COMPONENTS and "class_weight" not in components:
            return None
        alpha = "balanced"
    if isinstance(alpha, str):  # "balanced", the only string allowed
        counts_of_every_class(classes, y_encoded, sample_weight, "alpha='balanced'")
        return balanced_weights(y_encoded, n_classes, sample_weight)
    if isinstance(alpha, Real):
        if n_classes == 2:
            return np.array([1.0 - alpha, float(alpha)])
        return np.full(n_classes, float(alpha))
    if isinstance(alpha, Mapping):
        unknown = [key for key in alpha if key not in set(classes.tolist())]
        if unknown:
            raise ValueError(
                f"The 'alpha' dict names labels {unknown!r} that are not in y; "
                f"the classes in y are {classes.tolist()!r}."
            )
        weights = np.array([alpha.get(label, 1.0) for label in classes.tolist()])
    else:
        weights = np.asarray(alpha)
        if weights.ndim != 1 or len(weights) != n_classes:
            raise ValueError(
                f"The 'alpha' parameter as a sequence must have one weight per "
                f"class, {n_classes} for the classes {classes.tolist()!r} in y. "
                f"Got shape {weights.shape} instead."
            )
    try:
        weights = weights.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"The 'alpha' weights must be numbers. Got {alpha!r} instead."
        ) from exc
    if not np.isfinite(weights).all() or (weights < 0).any() or weights.sum() == 0:
        raise ValueError(
            "The 'alpha' weights must be finite, >= 0 and not all 0. "
            f"Got {weights.tolist()!r} instead."
        )
    return weights


def counts_of_every_class(classes, y_encoded, sample_weight, what):
    """Class counts (summed sample weights); raise if a class has none."""
    counts = class_counts(y_encoded, len(classes), sample_weight)
    missing = classes[counts == 0]
    if len(missing):
        if sample_weight is not None:
            raise ValueError(
                f"{what} needs samples of every class, but sample_weight is 0 "
                f"for every sample of the classes {missing.tolist()!r}; give "
                "them positive weights, or drop the class from y."
            )
        raise ValueError(
            f"{what} needs samples of every class, but y has none "
            f"of {missing.tolist()!r} (from the 'classes' parameter); give "
            "alpha explicit weights or use strategy='none' or 'sampler'."
        )
    return counts


def warn_if_double_weighting(strategy, components, alpha, weights):
    """Warn when two remedies correct the same imbalance.

    The sampler with non-uniform class weights, and logit adjustment with the
    sampler or with non-uniform class weights, over-correct towards the rare
    classes.
    """
    weighted = weights is not None and not np.allclose(weights, weights[0])
    if "sampler" in components and "logit_adjust" in components:
        reason = (
            "the sampler already draws every class equally often, and logit "
            "adjustment then shifts the logits by the training set's class prior, "
            "which the batches no longer have"
        )
        advice = "Use the sampler or logit adjustment, not both."
    elif not weighted:
        return
    elif "sampler" in components:
        reason = (
            "the sampler already draws every class equally often, and the class "
            f"weights {np.round(weights, 3).tolist()} then up-weight the rare "
            "classes again in the loss"
        )
        advice = (
            "Use the sampler alone (strategy without 'class_weight' and "
            "alpha=None), or the weights alone."
        )
    elif "logit_adjust" in components:
        reason = (
            "logit adjustment already compensates for the class prior, and the "
            f"class weights {np.round(weights, 3).tolist()} then up-weight the "
            "rare classes again in the loss"
        )
        advice = "Use logit adjustment with alpha=None, or the weights alone."
    else:
        return
    warnings.warn(
        f"strategy={strategy!r} with alpha={alpha!r} rebalances twice: {reason}, "
        f"which over-corrects towards the rare classes. {advice}",
        UserWarning,
        stacklevel=6,  # the caller of fit or partial_fit
    )


def warn_if_nearly_uniform(beta, counts, weights):
    """Warn when ``beta`` is too small for ``class_balanced`` to rebalance."""
    if counts.max() < 2 * counts.min() or weights.max() > 1.1 * weights.min():
        return
    warnings.warn(
        f"strategy='class_balanced' with beta={beta!r} gives nearly uniform "
        f"class weights {np.round(weights, 3).tolist()} for class counts "
        f"{np.round(counts, 3).tolist()}: the effective number of samples "
        f"saturates at 1 / (1 - beta) = {1 / (1 - beta):.4g} samples. Use a "
        "beta closer to 1 (e.g. 0.999, or 1 - 1 / n_samples) to rebalance.",
        UserWarning,
        stacklevel=6,  # the caller of fit or partial_fit
    )


def check_sample_weight(sample_weight, n_samples):
    """Validate ``sample_weight``; None (or all-equal weights) gives None.

    Equal weights scale every sample's loss alike, which the weighted mean
    cancels, so they are dropped: the unweighted code path then runs and the
    fit is identical to one without weights.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,) or None
        The weights given to ``fit``.
    n_samples : int
        Number of samples of ``X`` and ``y``.

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,), float64, or None
        A new array (the input is never written to).
    """
    if sample_weight is None:
        return None
    if hasattr(sample_weight, "detach"):  # a torch tensor, maybe on a GPU
        sample_weight = sample_weight.detach().cpu().numpy()
    try:
        weights = np.array(sample_weight, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            "sample_weight must be an array-like of numbers, one per sample. "
            f"Got {type(sample_weight).__name__} that cannot be read as numbers "
            f"({exc})."
        ) from exc
    if weights.ndim != 1:
        raise ValueError(
            f"sample_weight must be 1-D, of shape ({n_samples},); got shape "
            f"{weights.shape}."
        )
    if len(weights) != n_samples:
        raise ValueError(
            f"sample_weight has {len(weights)} weights, but X and y have "
            f"{n_samples} samples. After an imbalanced-learn resampler in a "
            "pipeline the weights no longer match the rows: use the net's "
            "strategy (or alpha) to weight classes instead."
        )
    bad = np.flatnonzero(~np.isfinite(weights))
    if len(bad):
        raise ValueError(
            "sample_weight must be finite; got NaN or infinity at rows "
            f"{bad[:5].tolist()}{' ...' if len(bad) > 5 else ''}."
        )
    bad = np.flatnonzero(weights < 0)
    if len(bad):
        raise ValueError(
            f"sample_weight must be >= 0; got negative weights "
            f"{weights[bad[:5]].tolist()} at rows {bad[:5].tolist()}"
            f"{' ...' if len(bad) > 5 else ''}."
        )
    if not weights.any():
        raise ValueError(
            "sample_weight is zero for every sample: at least one sample needs "
            "a positive weight."
        )
    if (weights == weights[0]).all():
        return None
    return weights


def class_prior(y_encoded, n_classes, sample_weight=None):
    """Class frequencies of ``y`` (sample-weighted), summing to 1."""
    counts = class_counts(y_encoded, n_classes, sample_weight)
    return counts / counts.sum()


def prior_ratio(components, prior, weights, tau):
    """What ``prior_correction`` multiplies the probabilities by.

    The ratio of the training class prior to the prior that the loss trained
    the (unadjusted) softmax for, normalised to a maximum of 1:

    - a class-weighted loss of weights ``w`` is minimised by posteriors of
      the prior ``prior * w``;
    - the sampler trains on batches of a uniform prior;
    - logit adjustment trains ``softmax(logits + tau * log(prior))`` for the
      batches' prior, so the softmax of the logits alone has that prior
      divided by ``prior ** tau``.

    Parameters
    ----------
    components : frozenset of str
        The output of :func:`parse_strategy`.
    prior : ndarray of shape (n_classes,)
        Class frequencies of the training ``y``, as in ``class_prior_``.
    weights : ndarray of shape (n_classes,) or None
        The class weights of the loss (``class_weight_``).
    tau : float
        The ``tau`` hyperparameter, used with ``logit_adjust``.

    Returns
    -------
    ratio : ndarray of shape (n_classes,)
        Entries are ``inf`` for classes of weight 0 with a positive prior:
        a loss that ignored a class cannot be corrected for it.
    """
    # trained prior, up to a constant: batch prior * w / prior ** tau; the
    # ratio prior / trained prior is written without dividing by the prior
    exponent = tau if "logit_adjust" in components else 0.0
    ratio = prior**exponent
    if "sampler" in components:
        ratio = ratio * prior
    if weights is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = ratio / weights
        ratio = np.nan_to_num(ratio, nan=0.0, posinf=np.inf)  # 0 / 0: no rows
    finite = ratio[np.isfinite(ratio)]
    if len(finite) and finite.max() > 0:
        ratio = ratio / finite.max()
    return ratio


def check_n_classes(classes, caller_name):
    """Raise if fewer than two classes are present."""
    if len(classes) < 2:
        raise ValueError(
            f"{caller_name} needs at least 2 classes in y to train; got 1 class "
            f"({classes.tolist()!r}). Classifier can't train when only one class "
            "is present."
        )
