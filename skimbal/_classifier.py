"""ImbalancedNetClassifier: a skorch classifier with rebalancing strategies."""

import warnings
from collections.abc import Mapping
from contextlib import contextmanager
from functools import partial

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.metrics import balanced_accuracy_score, log_loss
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_consistent_length,
    column_or_1d,
    validate_data,
)
from skorch import NeuralNetClassifier
from skorch.callbacks import (
    EarlyStopping,
    EpochScoring,
    EpochTimer,
    PassthroughScoring,
    PrintLog,
)
from skorch.dataset import Dataset
from skorch.utils import data_from_dataset, is_dataset, to_numpy, to_tensor
from torch import nn

from ._batching import (
    TensorBatches,
    WeightedBatch,
    WeightedBatches,
    WeightedDataset,
    can_replace,
    dataset_sample_weight,
    tensor_dataset_parts,
)
from ._losses import (
    FocalLoss,
    LogitAdjustedLoss,
    _CrossEntropyLoss,
    sample_weighted_loss,
)
from ._module import TabularMLP
from ._sampling import make_balanced_sampler
from ._split import StratifiedValidSplit
from ._validation import (
    check_n_classes,
    check_sample_weight,
    class_counts,
    class_prior,
    counts_of_every_class,
    prior_ratio,
    resolve_class_weight,
    validate_params,
    warn_if_double_weighting,
    warn_if_nearly_uniform,
)

__all__ = ["ImbalancedNetClassifier"]

_softmax = partial(torch.softmax, dim=-1)
_AUTO_EPOCHS = 50  # epochs of max_epochs=None, before min_steps and max_steps
# early_stopping="auto" needs this many rows, and this many in the smallest
# class, so that the validation split holds a few samples of every class
_AUTO_EARLY_STOPPING_ROWS = 500
_AUTO_EARLY_STOPPING_CLASS_COUNT = 20


# classes whose summed weight is below this are absent for the validation scores
_TINY_WEIGHT = 1e-12

# strategy components whose loss skimbal builds: a custom criterion replaces it
_LOSS_COMPONENTS = frozenset(
    {"class_weight", "class_balanced", "focal", "logit_adjust"}
)


# arguments of the built loss that come from hyperparameters, not criterion__*
_SET_BY_SKIMBAL = {"weight": "alpha", "alpha": "alpha", "gamma": "gamma"}


def _validation_sample_weight(X):
    """The sample weights of the validation rows, if ``fit`` got weights."""
    weights = dataset_sample_weight(X) if is_dataset(X) else None
    return None if weights is None else to_numpy(weights).astype(np.float64)


def _valid_balanced_accuracy(net, X, y):
    """Balanced accuracy on the internal validation set (encoded labels)."""
    weight = _validation_sample_weight(X)
    y_pred = net.predict_proba(X).argmax(axis=1)
    if weight is not None and weight.sum() <= _TINY_WEIGHT:
        weight = None
    with warnings.catch_warnings():
        # a class too small to validate (StratifiedValidSplit warned once
        # already) would make scikit-learn repeat this warning every epoch
        warnings.filterwarnings("ignore", "y_pred contains classes not in y_true")
        return balanced_accuracy_score(y, y_pred, sample_weight=weight)


def _balanced_row_weights(y, sample_weight):
    """``compute_sample_weight("balanced", y)``, classes counted by weight."""
    if sample_weight is None:
        return compute_sample_weight("balanced", y)
    totals = np.bincount(y, weights=sample_weight)
    present = totals > _TINY_WEIGHT
    per_class = np.divide(
        totals.sum(),
        present.sum() * totals,
        out=np.zeros_like(totals),
        where=present,
    )
    return per_class[y] * sample_weight


def _valid_log_loss(net, X, y):
    """Validation log-loss, every class weighted equally unless strategy="none".

    It is the score early stopping watches: smoother than balanced accuracy
    on the few rare-class rows of a validation set, and, like the loss being
    trained, balanced when the strategy rebalances. With ``prior_correction``
    the probabilities target the training class prior, and the log-loss is
    not balanced. Sample weights of the validation rows multiply in.
    """
    proba = net.predict_proba(X)
    sample_weight = _validation_sample_weight(X)
    weight = sample_weight
    if net.strategy != "none" and not net.prior_correction:
        weight = _balanced_row_weights(y, sample_weight)
    if weight is not None and weight.sum() <= _TINY_WEIGHT:
        weight = None  # only zero-weight rows in validation: score them all
    return log_loss(y, proba, sample_weight=weight, labels=np.arange(proba.shape[1]))


class ImbalancedNetClassifier(NeuralNetClassifier):
    """Neural-net classifier for imbalanced tabular data.

    A :class:`skorch.NeuralNetClassifier` whose remedy for class imbalance is
    one hyperparameter, ``strategy``, that scikit-learn tools can search:

    - ``"none"``: plain cross-entropy;
    - ``"class_weight"``: cross-entropy with per-class weights;
    - ``"class_balanced"``: cross-entropy with class weights by the effective
      number of samples [3]_;
    - ``"sampler"``: a :class:`torch.utils.data.WeightedRandomSampler` that
      draws every class equally often;
    - ``"focal"``: the focal loss :class:`skimbal.FocalLoss` [1]_;
    - ``"logit_adjust"``: the logit-adjusted loss
      :class:`skimbal.LogitAdjustedLoss` [4]_;
    - ``"+"``-combinations such as ``"sampler+focal"``.

    Class counts and weights are computed inside ``fit`` from the ``y`` it
    receives (so per cross-validation fold) and stored in attributes ending in
    ``_``; hyperparameters are never changed by ``fit``.

    The module must return logits; ``predict_proba`` applies the softmax.

    Parameters
    ----------
    module : torch.nn.Module class or instance, default=None
        The network, returning logits of shape ``(n_samples, n_classes)``.
        ``None`` uses :class:`skimbal.TabularMLP`, whose ``n_features`` and
        ``n_classes`` are taken from the data at ``fit``; set its other
        arguments with ``module__hidden_units``, ``module__dropout``, ...
    criterion : torch.nn.Module class or None, default=None
        ``None`` builds the loss from ``strategy``, ``alpha`` and ``gamma``.
        A custom criterion (taking logits and integer targets) replaces that
        loss; it combines only with ``strategy`` ``"none"`` or ``"sampler"``.
    strategy : str, default="class_weight"
        ``"none"``, or one or more of ``"class_weight"``, ``"class_balanced"``,
        ``"sampler"``, ``"focal"`` and ``"logit_adjust"`` joined by ``"+"``
        (``"class_weight"`` and ``"class_balanced"`` exclude each other). See
        the table in the Notes.
    alpha : None, "balanced", float, array-like or dict, default=None
        Class weighting of the loss (the weights of ``"class_weight"`` and the
        :math:`\\alpha_t` of ``"focal"``):

        - ``None``: balance once, i.e. ``"balanced"`` for ``"class_weight"`` and
          ``"focal"``, no class weights when the ``"sampler"`` or
          ``"logit_adjust"`` already rebalance (unless ``"class_weight"`` is
          named too), the weights of ``beta`` for ``"class_balanced"``;
        - ``"balanced"``: inverse class frequency, normalised to mean 1;
        - float in [0, 1]: for two classes the weight of ``classes_[1]``, with
          ``1 - alpha`` for ``classes_[0]``; for more classes a uniform factor;
        - array-like of shape (n_classes,): one weight per class of
          ``classes_``;
        - dict: ``{label: weight}`` keyed by the original labels; labels left
          out get weight 1.

        Ignored by ``strategy="none"``; must be None with
        ``"class_balanced"``, whose weights come from ``beta``.
    gamma : float, default=2.0
        Focusing parameter of the focal loss, ``>= 0``; used only by
        strategies with ``"focal"``.
    beta : float, default=0.999
        Of ``"class_balanced"``, in [0, 1): class weights proportional to
        ``(1 - beta) / (1 - beta ** n_c)`` for a class of ``n_c`` samples,
        the inverse of its effective number of samples [3]_, normalised to
        mean 1. ``0`` gives uniform weights; towards 1 they approach the
        inverse class frequency of ``"balanced"``. The effective number
        saturates at ``1 / (1 - beta)`` samples, so only classes smaller than
        about that are up-weighted; a ``beta`` that leaves imbalanced classes
        with nearly uniform weights raises a ``UserWarning``.
    tau : float, default=1.0
        Of ``"logit_adjust"``, ``>= 0``: the training loss sees the logits
        plus ``tau * log(class_prior_)`` [4]_; predictions use the logits
        alone. ``1`` targets the balanced error, ``0`` is the plain loss.
    prior_correction : bool, default=False
        Correct ``predict_proba`` from the class prior that ``strategy``
        trained for back to the class prior of the training data,
        ``class_prior_``: multiply the probabilities by ``prior_ratio_`` and
        renormalise [5]_ [6]_. The probabilities then estimate the class
        frequencies of data like the training data, and ``predict``, their
        argmax, becomes the accuracy-optimal rather than the rebalanced
        decision (tune a threshold on them, e.g. with
        :class:`sklearn.model_selection.TunedThresholdClassifierCV`, for
        another trade-off). Applied at prediction only; it can be switched
        with ``set_params`` on a fitted model. See the Notes.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling, dropout and the sampler, so two
        fits with the same value give identical results on CPU. ``None`` uses
        torch's global random state. The global state is left untouched when
        an int is given.
    optimizer : torch optimizer class, default=torch.optim.Adam
        As in skorch (whose default is SGD).
    lr : float, default=0.001
        Learning rate.
    max_epochs : int or None, default=None
        Epochs per ``fit``. ``None`` chooses by the optimiser steps an epoch
        takes, ``steps_per_epoch = ceil(n_samples / batch_size)`` on the rows
        given to ``fit``: 50 epochs, or more to reach ``min_steps`` on small
        data sets, or fewer to stay within ``max_steps`` on large ones.
    min_steps : int, default=500
        With ``max_epochs=None``, train at least this many optimiser steps (in
        whole epochs): 50 epochs of a 200-row set are only 100 steps.
    max_steps : int or None, default=5000
        Cap on the optimiser steps per ``fit``, in whole epochs (at least one),
        whatever ``max_epochs`` is; ``None`` for no cap.
    early_stopping : bool or "auto", default="auto"
        Hold out a stratified ``validation_fraction`` of the rows (with
        :class:`skimbal.StratifiedValidSplit`, unless ``train_split`` is set),
        score the log-loss on it after every epoch (``valid_log_loss`` in
        ``history_``; class-balanced unless ``strategy="none"``), stop when it
        has not improved for ``n_iter_no_change`` epochs, and restore the
        weights of the best epoch. ``"auto"`` does so when ``fit`` gets at
        least 500 rows and at least 20 of each class (so that 4 or more are
        validated): smaller sets cannot spare the rows.
    validation_fraction : float, default=0.2
        Share of each class held out for early stopping, in (0, 1).
    n_iter_no_change : int, default=30
        Patience of early stopping, in epochs.
    batch_size : int, default=128
        Mini-batch size; ``-1`` for full batches.
    train_split : callable or None, default=None
        skorch's internal validation split, e.g.
        :class:`skimbal.StratifiedValidSplit`, which keeps every class on both
        sides. ``None`` (unlike skorch's default) trains on all rows, as no
        default callback uses a validation set and rare classes cannot spare
        samples.
    classes : array-like or None, default=None
        The class labels, if they should not be inferred from ``y``; lets a
        fit on data that misses a class keep a fixed output width.
    verbose : int, default=0
        skorch's verbosity; ``0`` (unlike skorch's default) prints nothing.
    **kwargs
        Every other parameter of :class:`skorch.NeuralNet`: ``device``,
        ``callbacks``, ``warm_start``, ``module__*``, ``optimizer__*``,
        ``criterion__*``, ``iterator_train__*``, ...

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, as given in ``y``; ``predict`` returns them.
    early_stopping_ : bool
        Whether the last ``fit`` stopped early (``early_stopping`` resolved).
    class_weight_ : ndarray of shape (n_classes,) or None
        Per-class weights of the loss, computed in ``fit``; None when the
        loss is unweighted.
    class_prior_ : ndarray of shape (n_classes,)
        Class frequencies of the ``y`` given to ``fit`` (weighted by
        ``sample_weight``): the prior of ``"logit_adjust"`` and the target of
        ``prior_correction``.
    prior_ratio_ : ndarray of shape (n_classes,)
        What ``prior_correction`` multiplies the probabilities by:
        ``class_prior_`` divided by the prior the loss trained for,
        normalised to a maximum of 1 (all ones for ``strategy="none"``).
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when ``X`` was a DataFrame with string column names.
    seed_ : int or None
        Seed drawn from ``random_state`` for the last ``fit``.
    module_, criterion_, optimizer_, history_
        As in skorch.

    See Also
    --------
    skimbal.FocalLoss : The focal loss on its own.
    skorch.NeuralNetClassifier : The base class.

    Notes
    -----
    ========================  ===============================  ================
    strategy                  loss                             batches
    ========================  ===============================  ================
    ``"none"``                cross-entropy                    shuffled rows
    ``"class_weight"``        weighted cross-entropy           shuffled rows
    ``"class_balanced"``      cross-entropy, weights by        shuffled rows
                              effective number (``beta``)
    ``"sampler"``             cross-entropy                    balanced draws,
                                                               replacement
    ``"focal"``               focal, alpha-weighted            shuffled rows
    ``"logit_adjust"``        cross-entropy of logits +        shuffled rows
                              ``tau * log(prior)``
    ``"sampler+focal"``       focal, unweighted                balanced draws,
                                                               replacement
    ``"focal+logit_adjust"``  focal of the adjusted logits     shuffled rows
    ========================  ===============================  ================

    ``"class_balanced"`` is a class weighting like ``"class_weight"``: its
    weights are ``class_weight_``, and with ``"focal"`` they are the focal
    loss's :math:`\\alpha_t`.

    Two remedies for the same imbalance over-correct towards the rare
    classes and raise a ``UserWarning``: the sampler with non-uniform class
    weights (``"sampler+class_weight"``, ``"sampler+class_balanced"``, or the
    sampler with an explicit ``alpha``), and ``"logit_adjust"`` with the
    sampler or with non-uniform class weights.

    The sampler's weights are ``1 / count`` of each training row's class,
    counted on the rows that remain after ``train_split``; it draws as many
    rows per epoch as there are training rows. The class weights, and the
    class prior of ``"logit_adjust"``, are counted on all of the ``y`` given
    to ``fit``.

    **Sample weights.** ``fit(X, y, sample_weight=w)`` multiplies each row's
    loss by its weight (on top of the class weights); the batch mean divides
    by the summed weights (times the class weights, for the cross-entropy),
    so integer weights act like repeated rows, and equal weights are the
    same as none (the same code runs). The class counts behind
    ``"balanced"``, ``"class_balanced"``, the sampler and ``class_prior_``
    are the classes' summed weights, as in scikit-learn, and the default
    module standardises with the weighted mean and standard deviation; the
    sampler draws a row with probability proportional to its weight within
    its class. The weights follow their rows through the internal
    validation split, and the validation loss, ``valid_bacc`` and the
    early-stopping score weight the validation rows by them
    (``early_stopping="auto"`` still counts rows).

    **Prior correction.** Rebalancing shifts the predicted probabilities
    towards the rare classes: ``predict_proba`` is not calibrated to the
    training class frequencies :math:`\\pi`. A loss is minimised by the
    posterior of the class prior it effectively trains for; Bayes' rule
    moves a posterior from one prior to another by multiplying it by the
    ratio of the priors and renormalising [5]_ [6]_. ``prior_correction``
    does so with ``prior_ratio_`` = :math:`\\pi` / trained prior, where the
    trained prior is, up to normalisation,

    - :math:`\\pi_c w_c` for class weights :math:`w` (``"class_weight"``,
      ``"class_balanced"``, focal's alpha);
    - :math:`w_c` with the sampler, whose batches have a uniform prior;
    - divided by :math:`\\pi_c^\\tau` with ``"logit_adjust"``: the loss fits
      the softmax of the adjusted logits to the batches' prior, so the
      softmax of the logits alone, which ``predict_proba`` returns, has that
      prior divided by :math:`\\pi^\\tau` (uniform for ``tau=1``); the
      correction adds the adjustment back.

    For ``"focal"`` only its alpha is corrected: the focusing term changes
    the calibration too, in no closed form. A class of weight 0 cannot be
    corrected for, and ``prior_correction=True`` raises then.

    References
    ----------
    .. [1] T.-Y. Lin, P. Goyal, R. Girshick, K. He and P. Dollár, "Focal Loss for
       Dense Object Detection", ICCV 2017.
    .. [2] G. King and L. Zeng, "Logistic Regression in Rare Events Data",
       Political Analysis 9(2), 2001 (the "balanced" weights).
    .. [3] Y. Cui, M. Jia, T.-Y. Lin, Y. Song and S. Belongie, "Class-Balanced
       Loss Based on Effective Number of Samples", CVPR 2019.
    .. [4] A. K. Menon, S. Jayasumana, A. S. Rawat, H. Jain, A. Veit and
       S. Kumar, "Long-tail learning via logit adjustment", ICLR 2021.
    .. [5] M. Saerens, P. Latinne and C. Decaestecker, "Adjusting the Outputs
       of a Classifier to New a Priori Probabilities: A Simple Procedure",
       Neural Computation 14(1), 2002.
    .. [6] C. Elkan, "The Foundations of Cost-Sensitive Learning", IJCAI 2001.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skimbal import ImbalancedNetClassifier
    >>> X, y = make_classification(
    ...     n_samples=300, weights=[0.9], class_sep=2.0, random_state=0
    ... )
    >>> clf = ImbalancedNetClassifier(strategy="focal", random_state=0)
    >>> clf.fit(X, y).predict(X[:4]).shape
    (4,)
    >>> clf.class_weight_.round(2).tolist()
    [0.21, 1.79]
    """

    def __init__(
        self,
        module=None,
        *,
        criterion=None,
        strategy="class_weight",
        alpha=None,
        gamma=2.0,
        beta=0.999,
        tau=1.0,
        prior_correction=False,
        random_state=None,
        optimizer=torch.optim.Adam,
        lr=0.001,
        max_epochs=None,
        min_steps=500,
        max_steps=5000,
        early_stopping="auto",
        validation_fraction=0.2,
        n_iter_no_change=30,
        batch_size=128,
        train_split=None,
        classes=None,
        verbose=0,
        **kwargs,
    ):
        super().__init__(
            module,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            train_split=train_split,
            classes=classes,
            verbose=verbose,
            **kwargs,
        )
        self.strategy = strategy
        self.alpha = alpha
        self.gamma = gamma
        self.beta = beta
        self.tau = tau
        self.prior_correction = prior_correction
        self.random_state = random_state
        self.min_steps = min_steps
        self.max_steps = max_steps
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change

    @property
    def _default_callbacks(self):
        stopping = []
        if getattr(self, "early_stopping_", False):
            stopping = [
                (
                    "valid_log_loss",
                    EpochScoring(
                        _valid_log_loss,
                        name="valid_log_loss",
                        lower_is_better=True,
                    ),
                ),
                (
                    "early_stopping",
                    EarlyStopping(
                        monitor="valid_log_loss",
                        patience=self.n_iter_no_change,
                        load_best=True,
                    ),
                ),
            ]
        return [
            ("epoch_timer", EpochTimer()),
            ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
            ("valid_loss", PassthroughScoring(name="valid_loss")),
            (
                "valid_bacc",
                EpochScoring(
                    _valid_balanced_accuracy, name="valid_bacc", lower_is_better=False
                ),
            ),
            *stopping,
            ("print_log", PrintLog()),
        ]

    def _get_param_names(self):
        # skorch lists every attribute not ending in "_", which includes its
        # private bookkeeping set ``_params_to_validate``; it is no parameter.
        return [k for k in super()._get_param_names() if k != "_params_to_validate"]

    # ------------------------------------------------------------------ fit

    def fit(self, X, y, sample_weight=None, **fit_params):
        """Initialise the module and train it on ``X`` and ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or dict of arrays
            Training data: a numpy array, DataFrame, list or tensor of numbers
            (cast to float32), or, for a custom module, a dict of arrays passed
            to its ``forward``.
        y : array-like of shape (n_samples,)
            Class labels of any kind (ints, strings, bools).
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Per-sample weights, finite, ``>= 0`` and not all 0; they multiply
            the class weights in the loss (see the Notes). Equal weights are
            the same as None. With metadata routing enabled, request them
            with ``set_fit_request(sample_weight=True)`` to receive them from
            a ``Pipeline`` or a search.
        **fit_params : dict
            Passed on to skorch (the module's ``forward``, ``train_split``).

        Returns
        -------
        self : ImbalancedNetClassifier
            The fitted estimator.
        """
        fresh = not (self.warm_start and self._is_prepared())
        return self._train(
            X, y, fresh, sample_weight, _routing_method="fit", **fit_params
        )

    def partial_fit(self, X, y, classes=None, sample_weight=None, **fit_params):
        """Train for the epochs of one fit more, without re-initialising.

        The first call (on an unfitted estimator) sets ``classes_`` and
        ``class_weight_`` from its ``y``; later calls keep them and must only
        contain labels already seen.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or dict of arrays
            Training data, as in :meth:`fit`.
        y : array-like of shape (n_samples,)
            Class labels.
        classes : None
            Unused, for scikit-learn compatibility; use the ``classes``
            hyperparameter instead.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Per-sample weights, as in :meth:`fit`.
        **fit_params : dict
            Passed on to skorch.

        Returns
        -------
        self : ImbalancedNetClassifier
            The fitted estimator.
        """
        fresh = not (self.initialized_ and self._is_prepared())
        return self._train(X, y, fresh, sample_weight, **fit_params)

    def _train(self, X, y, fresh, sample_weight, **fit_params):
        """Validate, (re)initialise if ``fresh`` and run skorch's training.

        Sample weights travel with the rows in a ``WeightedDataset``, which
        skorch's split and iterators treat like any dataset.
        """
        X, y, sample_weight = self._prepare_fit_data(X, y, sample_weight, fresh)
        with self._torch_seed():
            if fresh or not self.initialized_:
                self.initialize()
                self._fit_input_scaling(X, sample_weight)
            data = X if sample_weight is None else WeightedDataset(X, y, sample_weight)
            super().partial_fit(data, y, epochs=self._n_epochs(len(y)), **fit_params)
        return self

    def _fit_input_scaling(self, X, sample_weight=None):
        """Let the default module standardise with the statistics of this X."""
        if isinstance(self.module_, TabularMLP) and isinstance(X, torch.Tensor):
            self.module_.fit_input_scaling(X, sample_weight)

    def _n_epochs(self, n_samples):
        """Epochs of one fit, from ``max_epochs``, ``min_steps`` and ``max_steps``."""
        steps_per_epoch = -(-n_samples // self._batch_size("iterator_train", n_samples))
        epochs = self.max_epochs
        if epochs is None:
            epochs = max(_AUTO_EPOCHS, -(-self.min_steps // steps_per_epoch))
        if self.max_steps is not None:
            epochs = min(epochs, -(-self.max_steps // steps_per_epoch))
        return max(1, epochs)

    def _batch_size(self, prefix, n_rows):
        """skorch's rule: ``<prefix>__batch_size``, else ``batch_size``; -1: all."""
        batch_size = self.get_params_for(prefix).get("batch_size", self.batch_size)
        return n_rows if batch_size == -1 else batch_size

    def _is_prepared(self):
        return hasattr(self, "classes_inferred_")

    def _prepare_fit_data(self, X, y, sample_weight, reset):
        """Validate hyperparameters and data; on ``reset`` learn the classes.

        Returns X as a float32 tensor on ``device`` (a dict stays a dict), y
        as int64 codes into ``classes_``, a tensor too, and the sample weights
        as a float32 tensor, or None when there are none (or all are equal).
        """
        components = validate_params(self)
        name = type(self).__name__
        if self.criterion is not None and components & _LOSS_COMPONENTS:
            raise ValueError(
                f"criterion={self.criterion!r} replaces the loss that "
                f"strategy={self.strategy!r} builds; with a custom criterion use "
                "strategy='none' or 'sampler', or leave criterion=None."
            )
        if y is None:
            raise ValueError(
                f"{name} requires y to be passed, but the target y is None."
            )
        X = self._validate_X(X, reset=reset)
        y = column_or_1d(y, warn=True)
        if not isinstance(X, Mapping):
            check_consistent_length(X, y)
        check_classification_targets(y)
        weights = check_sample_weight(sample_weight, len(y))
        if weights is not None:
            self._check_weighted_fit_options()
        self.seed_ = (
            None
            if self.random_state is None
            else int(check_random_state(self.random_state).randint(2**31 - 1))
        )
        if not reset:
            y_enc = self._encode(y, self.classes_, "seen in the first fit")
        else:
            if self.classes is None:
                classes, y_enc = np.unique(y, return_inverse=True)
            else:
                classes = np.asarray(self.classes)
                y_enc = self._encode(y, classes, "listed in the 'classes' parameter")
            check_n_classes(classes, name)
            self._learn_class_statistics(components, classes, y_enc, weights)
        return (
            self._to_tensor(X),
            self._to_tensor(y_enc.astype(np.int64)),
            None if weights is None else self._to_tensor(weights.astype(np.float32)),
        )

    def _learn_class_statistics(self, components, classes, y_enc, sample_weight):
        """Set ``classes_``, ``class_weight_``, ``class_prior_``, ``prior_ratio_``."""
        n_classes = len(classes)
        self.early_stopping_ = self._resolve_early_stopping(y_enc, n_classes)
        weights = resolve_class_weight(
            components,
            self.alpha,
            classes,
            y_enc,
            beta=self.beta,
            sample_weight=sample_weight,
            strategy=self.strategy,
        )
        if weights is not None and "focal" not in components and (weights == 0).any():
            raise ValueError(
                f"alpha={self.alpha!r} gives the classes "
                f"{classes[weights == 0].tolist()!r} a weight of 0 in the "
                f"cross-entropy of strategy={self.strategy!r}, which divides each "
                "batch by its summed weights (0 for a batch of those classes only). "
                "Give every class a positive weight, or drop the rows of a class to "
                "ignore it."
            )
        if "class_balanced" in components:
            counts = class_counts(y_enc, n_classes, sample_weight)
            warn_if_nearly_uniform(self.beta, counts, weights)
        warn_if_double_weighting(self.strategy, components, self.alpha, weights)
        if "logit_adjust" in components:
            counts_of_every_class(
                classes, y_enc, sample_weight, "strategy='logit_adjust'"
            )
        prior = class_prior(y_enc, n_classes, sample_weight)
        ratio = prior_ratio(components, prior, weights, self.tau)
        if self.prior_correction:
            _check_correctable(ratio, classes, weights)
        self.classes_inferred_ = classes
        self.class_weight_ = weights
        self.class_prior_ = prior
        self.prior_ratio_ = ratio

    def _check_weighted_fit_options(self):
        """Raise for options that cannot carry sample weights."""
        if self.criterion is not None:
            raise ValueError(
                f"sample_weight needs the loss that strategy builds, but "
                f"criterion={self.criterion!r} replaces it. Leave criterion=None "
                "(and set the loss with strategy), or fit without sample_weight."
            )
        if self.dataset is not Dataset or self.get_params_for("dataset"):
            raise ValueError(
                "sample_weight needs skorch's default Dataset, which carries the "
                f"weights with the rows, but dataset={self.dataset!r} (or "
                "dataset__ options) is set. Leave dataset at its default, or fit "
                "without sample_weight."
            )

    def _resolve_early_stopping(self, y_enc, n_classes):
        if not isinstance(self.early_stopping, str):
            return bool(self.early_stopping)
        counts = np.bincount(y_enc, minlength=n_classes)
        return bool(
            len(y_enc) >= _AUTO_EARLY_STOPPING_ROWS
            and counts.min() >= _AUTO_EARLY_STOPPING_CLASS_COUNT
        )

    def get_split_datasets(self, X, y=None, **fit_params):
        """Split off the validation rows of ``train_split`` or early stopping."""
        if self.train_split is None and getattr(self, "early_stopping_", False):
            dataset = self.get_dataset(X, y)
            split = StratifiedValidSplit(self.validation_fraction, self.seed_)
            return split(dataset, y, **fit_params)
        try:
            return super().get_split_datasets(X, y, **fit_params)
        except ValueError as exc:
            if "too few" not in str(exc) or y is None:
                raise
            # scikit-learn's stratified splitters name the encoded classes
            counts = np.bincount(
                to_numpy(y).astype(np.int64), minlength=len(self.classes_)
            )
            small = self.classes_[counts < 2].tolist()
            raise ValueError(
                f"train_split ({type(self.train_split).__name__}) cannot split the "
                f"classes {small!r}: they have fewer than 2 samples in the data "
                "given to fit. Use train_split=skimbal.StratifiedValidSplit(), "
                "which keeps such classes in training, or train_split=None."
            ) from exc

    def _to_tensor(self, array):
        """An array as a tensor on ``device``, sharing memory on the CPU.

        Dicts (multi-input modules) are left to skorch.
        """
        if isinstance(array, Mapping):
            return array
        if array.flags.writeable:
            tensor = torch.from_numpy(array)
        else:
            with warnings.catch_warnings():
                # read-only arrays (pandas' copy-on-write) are never written to
                warnings.filterwarnings("ignore", "The given NumPy array is not wri")
                tensor = torch.from_numpy(array)
        return tensor.to(self.device) if self.device is not None else tensor

    @staticmethod
    def _encode(y, classes, where):
        """Map labels to their index in ``classes``; raise on unknown ones."""
        sorter = np.argsort(classes)
        index = np.searchsorted(classes, y, sorter=sorter).clip(0, len(classes) - 1)
        codes = sorter[index]
        unknown = classes[codes] != y
        if unknown.any():
            raise ValueError(
                f"y contains labels {np.unique(y[unknown]).tolist()!r} that are "
                f"not among the classes {classes.tolist()!r} {where}."
            )
        return codes.astype(np.int64)

    def _validate_X(self, X, reset):
        """Check X like scikit-learn and cast it to float32."""
        if not reset and _is_plain_numeric_array(X, self):
            # the checks validate_data makes, for the common case of a numeric
            # array at predict, without its overhead (about 60 us per call)
            X32 = np.asarray(X, dtype=np.float32)
            if np.isfinite(X32).all():
                return X32
        if sp.issparse(X):
            raise TypeError(
                "Sparse data was passed for X, but dense data is required: "
                f"{type(self).__name__} does not support sparse input; convert it "
                "with X.toarray() if it fits in memory."
            )
        if isinstance(X, Mapping):
            return X  # multi-input module: passed to forward as is
        if is_dataset(X):
            raise TypeError(
                f"{type(self).__name__} takes array-like X (numpy arrays, "
                f"DataFrames, lists, tensors) or a dict of arrays; got a torch "
                f"Dataset ({type(X).__name__})."
            )
        _check_numeric_columns(X)
        if isinstance(X, torch.Tensor):
            X = X.detach().cpu().numpy()
        try:
            return validate_data(self, X, reset=reset, dtype=np.float32)
        except ValueError as exc:
            if "could not convert" not in str(exc):
                raise
            raise ValueError(
                f"X must hold numbers only: {exc}. Encode text or categorical "
                "features first, e.g. with sklearn's OneHotEncoder."
            ) from exc

    @contextmanager
    def _torch_seed(self):
        """Seed torch from ``seed_`` without changing its global state."""
        if self.seed_ is None:
            yield
            return
        device = torch.device(self.device or "cpu")
        cuda = []
        if device.type == "cuda":
            cuda = [device.index if device.index is not None else 0]
        with torch.random.fork_rng(devices=cuda):
            torch.manual_seed(self.seed_)
            yield

    # ----------------------------------------------------- skorch components

    def check_data(self, X, y):
        # Labels are validated and encoded in ``fit``; skorch's version would
        # overwrite ``classes_`` with the integer codes.
        pass

    def initialize_module(self):
        """Build ``module_``; the default ``TabularMLP`` is sized from the data."""
        kwargs = self.get_params_for("module")
        module = self.module
        if module is None:
            module = TabularMLP
            sizes = {
                "n_features": getattr(self, "n_features_in_", None),
                "n_classes": len(self.classes_) if self._has_classes() else None,
            }
            for key, value in sizes.items():
                kwargs.setdefault(key, value)
            missing = [key for key in sizes if kwargs[key] is None]
            if missing:
                raise ValueError(
                    f"{type(self).__name__}'s default module takes its sizes from "
                    "the data: call fit, or set "
                    f"{' and '.join('module__' + key for key in missing)}."
                )
        self.module_ = self.initialized_instance(module, kwargs)
        return self

    def _has_classes(self):
        return self.classes is not None or self._is_prepared()

    def initialize_criterion(self):
        """Build ``criterion_`` from ``strategy``, ``class_weight_``, ``gamma``...

        ``"logit_adjust"`` wraps the loss in a :class:`LogitAdjustedLoss` of
        ``class_prior_`` and ``tau``. The class weights and the log prior
        become buffers of the criterion, so they move with it to ``device``.
        """
        kwargs = self.get_params_for("criterion")
        if self.criterion is not None:
            self.criterion_ = self.initialized_instance(self.criterion, kwargs)
            return self
        clash = sorted(set(kwargs) & set(_SET_BY_SKIMBAL))
        if clash:
            name, source = clash[0], _SET_BY_SKIMBAL[clash[0]]
            raise ValueError(
                f"criterion__{name} cannot be set: the loss that strategy="
                f"{self.strategy!r} builds takes it from the {source!r} "
                f"hyperparameter; set {source}=... instead, or pass your own "
                "criterion with strategy 'none' or 'sampler'."
            )
        components = validate_params(self)
        weights = getattr(self, "class_weight_", None)
        if weights is not None:
            weights = torch.as_tensor(weights, dtype=torch.float32)
        if "focal" in components:
            criterion = FocalLoss(alpha=weights, gamma=self.gamma, **kwargs)
        else:
            criterion = _CrossEntropyLoss(weight=weights, **kwargs)
        prior = getattr(self, "class_prior_", None)
        # before fit (initialize() to load parameters) there is no prior; the
        # loss is not used then, and fit builds it again
        if "logit_adjust" in components and prior is not None:
            criterion = LogitAdjustedLoss(prior, tau=self.tau, loss=criterion)
        self.criterion_ = criterion
        return self

    def get_iterator(self, dataset, training=False):
        """Batches for training (shuffled or drawn by the sampler) or inference.

        In-memory tensors (what ``fit`` makes of array-like X) are batched by
        index with :class:`~skimbal._batching.TensorBatches`, which yields the
        batches a ``DataLoader`` would; other datasets, and DataLoader options
        beyond ``batch_size``, ``shuffle`` and ``sampler``, take skorch's path.
        """
        if training:
            kwargs = self.get_params_for("iterator_train")
            iterator = self.iterator_train
        else:
            kwargs = self.get_params_for("iterator_valid")
            iterator = self.iterator_valid
        kwargs["batch_size"] = self._batch_size(
            "iterator_train" if training else "iterator_valid", len(dataset)
        )
        weights = dataset_sample_weight(dataset)
        if training and "sampler" in validate_params(self):
            conflicting = sorted({"sampler", "batch_sampler"} & set(kwargs))
            if conflicting:
                raise ValueError(
                    f"strategy={self.strategy!r} brings its own sampler; it cannot "
                    f"be combined with iterator_train__{conflicting[0]}."
                )
            # the sampler draws rows in random order: DataLoader forbids shuffle
            kwargs.pop("shuffle", None)
            kwargs["sampler"] = make_balanced_sampler(
                self._dataset_targets(dataset),
                len(self.classes_),
                seed=self.seed_,
                sample_weight=None if weights is None else to_numpy(weights),
            )
        elif training:
            kwargs.setdefault("shuffle", True)
        parts = tensor_dataset_parts(dataset)
        if parts is not None and can_replace(iterator, kwargs):
            X, y, indices, sample_weight = parts
            return TensorBatches(X, y, indices, sample_weight=sample_weight, **kwargs)
        batches = iterator(dataset, **kwargs)
        # a WeightedDataset's items are (X, y, w): batch them as (X, y) pairs
        return batches if weights is None else WeightedBatches(batches)

    def _dataset_targets(self, dataset):
        try:
            _, y = data_from_dataset(dataset)
        except AttributeError as exc:
            raise ValueError(
                f"strategy={self.strategy!r} needs the class of each training row, "
                f"but it cannot be read from a {type(dataset).__name__}."
            ) from exc
        return to_numpy(y).astype(np.int64)

    def train_step_single(self, batch, **fit_params):
        """skorch's training step; a weighted batch weights its rows' losses."""
        if not isinstance(batch, WeightedBatch):
            return super().train_step_single(batch, **fit_params)
        self._set_training(True)
        Xi, yi = batch
        y_pred = self.infer(Xi, **fit_params)
        loss = self._sample_weighted_loss(y_pred, yi, batch.sample_weight)
        loss.backward()
        return {"loss": loss, "y_pred": y_pred}

    def validation_step(self, batch, **fit_params):
        """skorch's validation step; a weighted batch weights its rows' losses."""
        if not isinstance(batch, WeightedBatch):
            return super().validation_step(batch, **fit_params)
        self._set_training(False)
        Xi, yi = batch
        with torch.no_grad():
            y_pred = self.infer(Xi, **fit_params)
            loss = self._sample_weighted_loss(y_pred, yi, batch.sample_weight)
        return {"loss": loss, "y_pred": y_pred}

    def _sample_weighted_loss(self, y_pred, y_true, sample_weight):
        y_true = to_tensor(y_true, device=self.device)
        return sample_weighted_loss(self.criterion_, y_pred, y_true, sample_weight)

    def _set_training(self, training=True):
        # skorch calls this for every batch; module.train() walks all submodules
        # (about 20 us a call), so only do it when the mode changes
        for name in self._modules + self._criteria:
            component = getattr(self, name + "_")
            if isinstance(component, nn.Module) and component.training != training:
                super()._set_training(training)
                return

    def _get_predict_nonlinearity(self):
        # callers (predict_proba, skorch's forward_iter) check that it is fitted
        if self.criterion is None and self.predict_nonlinearity == "auto":
            return _softmax
        return super()._get_predict_nonlinearity()

    # -------------------------------------------------------------- predict

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or dict of arrays
            Samples, as in :meth:`fit`.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Softmax of the module's logits; columns follow ``classes_``. With
            ``prior_correction=True``, corrected to the training class prior
            ``class_prior_``.
        """
        proba = self._predict_proba(X)
        if self.prior_correction:
            proba = self._correct_prior(proba)
        return proba

    def _correct_prior(self, proba):
        """Multiply by ``prior_ratio_`` and renormalise every row."""
        ratio = getattr(self, "prior_ratio_", None)
        if ratio is None:  # initialized, never fitted (e.g. load_params)
            raise ValueError(
                "prior_correction=True needs the class prior of the training "
                "data, which fit sets in prior_ratio_; this model was not fitted."
            )
        _check_correctable(ratio, self.classes_, self.class_weight_)
        corrected = proba * ratio.astype(proba.dtype)
        total = corrected.sum(axis=1, keepdims=True)
        # a row whose probable classes all have ratio 0 keeps its probabilities
        return np.divide(corrected, total, out=proba.copy(), where=total > 0)

    def _predict_proba(self, X):
        self.check_is_fitted()
        if is_dataset(X) or isinstance(X, Mapping):
            # skorch passes its own datasets while training (valid scores)
            return super().predict_proba(X)
        X = self._to_tensor(self._validate_X(X, reset=False))
        nonlin = self._get_predict_nonlinearity()
        self._set_training(False)
        batch_size = self._batch_size("iterator_valid", len(X)) if len(X) > 1 else 1
        with torch.inference_mode():
            probas = [
                self._infer_proba(X[start : start + batch_size], nonlin)
                for start in range(0, len(X), batch_size)
            ]
        return (probas[0] if len(probas) == 1 else torch.cat(probas)).numpy()

    def _infer_proba(self, X, nonlin):
        y_pred = self.infer(X)
        if isinstance(y_pred, tuple):
            y_pred = y_pred[0]
        return nonlin(y_pred).cpu()

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or dict of arrays
            Samples, as in :meth:`fit`.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            The most probable class of each row, as a label of ``classes_``:
            the argmax of :meth:`predict_proba`, prior correction included.
        """
        proba = self.predict_proba(X)  # checks first that the net is fitted
        return self.classes_[proba.argmax(axis=1)]


def _check_correctable(ratio, classes, weights):
    """Raise if a class of weight 0 makes the prior correction infinite."""
    if np.isfinite(ratio).all():
        return
    zero = classes[~np.isfinite(ratio)].tolist()
    raise ValueError(
        f"prior_correction=True cannot correct for the classes {zero!r}, whose "
        f"class weight is 0 (class_weight_={np.round(weights, 3).tolist()}): the "
        "loss never learned their probability. Give them a positive weight (alpha), "
        "or set prior_correction=False."
    )


def _is_plain_numeric_array(X, estimator):
    """A non-empty 2-D float/int ndarray with the fitted number of features."""
    return (
        type(X) is np.ndarray
        and X.ndim == 2
        and X.dtype.kind in "fiu"
        and X.shape[0] > 0
        and X.shape[1] == getattr(estimator, "n_features_in_", None)
        and not hasattr(estimator, "feature_names_in_")
    )


def _check_numeric_columns(X):
    """Raise a clear TypeError for DataFrame columns that are not numeric."""
    dtypes = getattr(X, "dtypes", None)
    columns = getattr(X, "columns", None)
    if dtypes is None or columns is None:
        return
    bad = [
        f"{col!r} ({dtype})"
        for col, dtype in zip(columns, dtypes)
        if getattr(dtype, "kind", "O") not in "biuf"
    ]
    if bad:
        raise TypeError(
            f"X must hold numbers only; the columns {', '.join(bad)} are not "
            "numeric. Encode them first, e.g. with sklearn's OneHotEncoder in a "
            "ColumnTransformer."
        )
