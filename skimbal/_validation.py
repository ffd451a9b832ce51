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

STRATEGY_COMPONENTS = ("class_weight", "sampler", "focal")

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
        ``"none"``, or one or more of ``"class_weight"``, ``"sampler"`` and
        ``"focal"`` joined by ``"+"``, in any order.
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
        return frozenset(parts)
    raise ValueError(
        f"The 'strategy' parameter of {caller_name} must be 'none' or one or more "
        f"of {', '.join(map(repr, STRATEGY_COMPONENTS))} joined by '+' (e.g. "
        f"'sampler+focal'), each at most once. Got {strategy!r} instead."
    )


def balanced_weights(y_encoded, n_classes):
    """Inverse class frequencies, normalised to mean 1.

    Parameters
    ----------
    y_encoded : ndarray of shape (n_samples,)
        Integer class codes in ``[0, n_classes)``; every class must occur.
    n_classes : int
        Number of classes.

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
        "balanced", classes=np.arange(n_classes), y=y_encoded
    )
    return weights / weights.mean()


def resolve_class_weight(components, alpha, classes, y_encoded):
    """Per-class weights of the loss, as ``strategy`` and ``alpha`` ask.

    ``alpha=None`` balances once: balanced weights for ``class_weight`` and
    ``focal``, none when the ``sampler`` already balances the batches.

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

    Returns
    -------
    weights : ndarray of shape (n_classes,) or None
        None when the loss is unweighted.
    """
    if not components:  # strategy="none" ignores alpha
        return None
    n_classes = len(classes)
    if alpha is None:
        if "sampler" in components and "class_weight" not in components:
            return None
        alpha = "balanced"
    if isinstance(alpha, str):  # "balanced", the only string allowed
        missing = classes[np.bincount(y_encoded, minlength=n_classes) == 0]
        if len(missing):
            raise ValueError(
                f"alpha='balanced' needs samples of every class, but y has none "
                f"of {missing.tolist()!r} (from the 'classes' parameter); give "
                "alpha explicit weights or use strategy='none' or 'sampler'."
            )
        return balanced_weights(y_encoded, n_classes)
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


def warn_if_double_weighting(strategy, components, alpha, weights):
    """Warn when the sampler and non-uniform class weights both rebalance."""
    if "sampler" not in components or weights is None:
        return
    if np.allclose(weights, weights[0]):
        return
    warnings.warn(
        f"strategy={strategy!r} with alpha={alpha!r} rebalances twice: the "
        "sampler already draws every class equally often, and the class weights "
        f"{np.round(weights, 3).tolist()} then up-weight the rare classes again "
        "in the loss, which over-corrects towards them. Use the sampler alone "
        "(strategy without 'class_weight' and alpha=None), or the weights alone.",
        UserWarning,
        stacklevel=4,  # the caller of fit or partial_fit
    )


def check_n_classes(classes, caller_name):
    """Raise if fewer than two classes are present."""
    if len(classes) < 2:
        raise ValueError(
            f"{caller_name} needs at least 2 classes in y to train; got 1 class "
            f"({classes.tolist()!r}). Classifier can't train when only one class "
            "is present."
        )
