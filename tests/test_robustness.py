"""Robustness: interrupted fits, folds that miss classes, bad combinations."""

import re
import warnings

import numpy as np
import pytest
import torch
from sklearn.metrics import log_loss, make_scorer
from sklearn.model_selection import (
    PredefinedSplit,
    StratifiedKFold,
    cross_val_predict,
    cross_val_score,
)
from skorch.callbacks import Callback
from skorch.dataset import ValidSplit
from torch import nn

from skimbal import ImbalancedNetClassifier

FAST = {"max_epochs": 3, "random_state": 0, "module__hidden_units": (8,)}
STRATEGIES = [
    "none",
    "class_weight",
    "sampler",
    "focal",
    "sampler+focal",
    "class_weight+focal",
]
# sklearn's balanced accuracy warns on a validation set that misses a class
VALID_MISSES_A_CLASS = "ignore:y_pred contains classes not in y_true:UserWarning"


def _binary(n=120, n_features=4, minority=0.15, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, n_features)).astype(np.float32)
    y = (np.arange(n) < round(minority * n)).astype(int)
    X[y == 1, 0] += 2.0
    return X, y


def _three_classes(seed=0):
    """90 rows of classes 0 / 1 / 2 in 54 / 27 / 9."""
    rng = np.random.RandomState(seed)
    y = np.repeat([0, 1, 2], [54, 27, 9])
    X = rng.normal(size=(90, 4)).astype(np.float32)
    X[np.arange(90), y] += 2.5
    return X, y


# ------------------------------------------------------------- interruption


class InterruptOnce(Callback):
    """Raise KeyboardInterrupt once, at the end of epoch or in a batch of it.

    The flag lives on the instance and survives ``initialize()``, so the
    second ``fit`` of the same net runs to its end.
    """

    def __init__(self, epoch, where):
        self.epoch = epoch
        self.where = where
        self.armed = True

    def _maybe_raise(self, net, where):
        if self.armed and where == self.where and len(net.history) == self.epoch:
            self.armed = False
            raise KeyboardInterrupt

    def on_epoch_end(self, net, **kwargs):
        self._maybe_raise(net, "epoch")

    def on_batch_end(self, net, **kwargs):
        self._maybe_raise(net, "batch")


@pytest.mark.filterwarnings(VALID_MISSES_A_CLASS)
@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize(
    "epoch, where", [(2, "epoch"), (2, "batch"), (1, "batch")], ids=str
)
def test_keyboard_interrupt_leaves_a_usable_model(early_stopping, epoch, where):
    X, y = _binary()
    params = {**FAST, "max_epochs": 5, "batch_size": 32}
    params["early_stopping"] = early_stopping
    callback = InterruptOnce(epoch, where)
    clf = ImbalancedNetClassifier(callbacks=[callback], **params)
    rng_state = torch.get_rng_state()

    clf.fit(X, y)  # skorch catches the interrupt and ends training

    assert not callback.armed
    assert len(clf.history) == epoch  # a batch interrupt leaves a partial row
    assert torch.equal(torch.get_rng_state(), rng_state)
    proba = clf.predict_proba(X)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert set(clf.predict(X)) <= {0, 1}

    # a second fit starts from scratch: one fit's epochs, a fresh net's result
    clf.fit(X, y)
    assert len(clf.history) == 5
    fresh = ImbalancedNetClassifier(**params).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), fresh.predict_proba(X))


# ---------------------------------------------- a class missing from a CV fold

# fold 0 tests on every row of class 2, so its training part has none of them
_MISSING_FOLDS = PredefinedSplit(
    np.where(_three_classes()[1] == 2, 0, np.arange(90) % 2)
)


def test_without_classes_a_fold_that_misses_a_class_predicts_only_the_others():
    X, y = _three_classes()
    (train, test), _ = _MISSING_FOLDS.split(X, y)
    clf = ImbalancedNetClassifier(strategy="sampler", **FAST).fit(X[train], y[train])
    assert clf.classes_.tolist() == [0, 1]
    assert clf.predict_proba(X[test]).shape == (len(test), 2)
    assert set(clf.predict(X[test])) <= {0, 1}


def test_without_classes_cross_val_predict_pads_the_missing_column():
    """scikit-learn's documented behaviour: a zero column and a warning."""
    X, y = _three_classes()
    clf = ImbalancedNetClassifier(strategy="sampler", **FAST)
    with pytest.warns(RuntimeWarning, match="Number of classes in training fold"):
        proba = cross_val_predict(clf, X, y, cv=_MISSING_FOLDS, method="predict_proba")
    assert proba.shape == (90, 3)
    assert (proba[y == 2, 2] == 0).all()  # the fold without class 2 cannot see it


def test_without_classes_log_loss_scoring_of_that_fold_fails_clearly():
    X, y = _three_classes()
    clf = ImbalancedNetClassifier(strategy="sampler", **FAST)
    with pytest.raises(ValueError, match="different number of classes: 3 vs 2"):
        cross_val_score(
            clf, X, y, cv=_MISSING_FOLDS, scoring="neg_log_loss", error_score="raise"
        )


@pytest.mark.parametrize(
    "params",
    [
        {"strategy": "none"},
        {"strategy": "sampler"},
        {"strategy": "class_weight", "alpha": [1.0, 2.0, 5.0]},
        {"strategy": "focal", "alpha": {2: 5.0}},
    ],
    ids=["none", "sampler", "list-alpha", "dict-alpha"],
)
def test_classes_keep_the_width_in_every_fold(params):
    X, y = _three_classes()
    clf = ImbalancedNetClassifier(classes=[0, 1, 2], **FAST, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no padding needed
        proba = cross_val_predict(clf, X, y, cv=_MISSING_FOLDS, method="predict_proba")
    assert proba.shape == (90, 3)
    assert (proba[y == 2, 2] > 0).all()
    scorer = make_scorer(
        log_loss,
        response_method="predict_proba",
        labels=[0, 1, 2],
        greater_is_better=False,
    )
    scores = cross_val_score(clf, X, y, cv=_MISSING_FOLDS, scoring=scorer)
    assert np.isfinite(scores).all()


@pytest.mark.parametrize("strategy", ["class_weight", "focal", "sampler+class_weight"])
def test_classes_with_balanced_weights_name_the_missing_class(strategy):
    X, y = _three_classes()
    clf = ImbalancedNetClassifier(strategy=strategy, classes=[0, 1, 2], **FAST)
    with pytest.raises(ValueError, match=r"alpha='balanced' .* none of \[2\]"):
        cross_val_score(clf, X, y, cv=_MISSING_FOLDS, error_score="raise")


# ------------------------------------------------ labels that change after fit

PARTIAL_FIT_LABELS = [
    ("new-ints", [0, 1], [0, 1, 5, 7, 5, 3], r"labels \[3, 5, 7\] .* \[0, 1\]"),
    ("ints-then-strings", [0, 1], ["0", "1", "0", "1", "0", "1"], r"\['0', '1'\]"),
    ("strings-then-ints", ["a", "b"], [0, 1, 0, 1, 0, 1], r"\[0, 1\] .* \['a', 'b'\]"),
    ("new-string", ["a", "b"], ["a", "b", "c", "a", "b", "a"], r"labels \['c'\]"),
]


@pytest.mark.parametrize(
    "fit_labels, later_labels, match",
    [case[1:] for case in PARTIAL_FIT_LABELS],
    ids=[case[0] for case in PARTIAL_FIT_LABELS],
)
@pytest.mark.parametrize("method", ["partial_fit", "warm_start_fit"])
def test_labels_unseen_at_fit_are_named(fit_labels, later_labels, match, method):
    X, y = _binary()
    clf = ImbalancedNetClassifier(warm_start=method == "warm_start_fit", **FAST)
    clf.fit(X, np.asarray(fit_labels)[y])
    weights = clf.class_weight_.copy()
    later = getattr(clf, "partial_fit" if method == "partial_fit" else "fit")
    with pytest.raises(ValueError, match=match + ".*seen in the first fit"):
        later(X[:6], np.asarray(later_labels))
    # the failed call changed nothing
    assert clf.classes_.tolist() == list(fit_labels)
    np.testing.assert_array_equal(clf.class_weight_, weights)
    assert len(clf.history) == 3


def test_labels_outside_the_classes_parameter_are_named_by_partial_fit():
    X, y = _binary()
    clf = ImbalancedNetClassifier(classes=[0, 1], **FAST).fit(X, y)
    with pytest.raises(ValueError, match=r"labels \[2\] .* seen in the first fit"):
        clf.partial_fit(X[:3], np.array([0, 1, 2]))


def test_partial_fit_on_rows_of_one_known_class_is_fine():
    X, y = _binary()
    clf = ImbalancedNetClassifier(**FAST).fit(X, y)
    clf.partial_fit(X[y == 0], y[y == 0])
    assert len(clf.history) == 6
    assert clf.predict_proba(X).shape == (len(y), 2)


# ------------------------------------------------ a single minority sample


def _one_minority_sample():
    X, y = _binary()
    y = y.copy()
    y[np.flatnonzero(y == 1)[1:]] = 0
    assert np.bincount(y).tolist() == [119, 1]
    return X, y


@pytest.mark.filterwarnings(VALID_MISSES_A_CLASS)
@pytest.mark.parametrize(
    "strategy", ["sampler", "class_weight", "focal", "sampler+focal"]
)
def test_single_minority_sample_with_early_stopping_warns_and_fits(strategy):
    X, y = _one_minority_sample()
    clf = ImbalancedNetClassifier(strategy=strategy, early_stopping=True, **FAST)
    with pytest.warns(UserWarning, match=r"Classes \[1\] have a single sample"):
        clf.fit(X, y)
    assert clf.early_stopping_
    assert np.isfinite(clf.history[:, "valid_log_loss"]).all()
    assert np.isfinite(clf.predict_proba(X)).all()
    if clf.class_weight_ is not None:
        assert np.isfinite(clf.class_weight_).all()


@pytest.mark.parametrize("strategy", ["sampler", "class_weight", "focal"])
def test_single_minority_sample_without_a_split_fits_silently(strategy):
    X, y = _one_minority_sample()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf = ImbalancedNetClassifier(strategy=strategy, early_stopping=False, **FAST)
        clf.fit(X, y)
    assert np.isfinite(clf.predict_proba(X)).all()


@pytest.mark.filterwarnings(VALID_MISSES_A_CLASS)
def test_cv_folds_with_one_minority_sample_in_training():
    """Two minority rows, two stratified folds: each trains on one of them."""
    X, y = _binary()
    y = y.copy()
    y[np.flatnonzero(y == 1)[2:]] = 0
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    for early_stopping in (False, True):
        clf = ImbalancedNetClassifier(early_stopping=early_stopping, **FAST)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Classes .* single sample", UserWarning)
            scores = cross_val_score(
                clf, X, y, cv=cv, scoring="balanced_accuracy", error_score="raise"
            )
        assert np.isfinite(scores).all()


def test_user_stratified_split_with_a_single_sample_class_names_the_label():
    X, y = _one_minority_sample()
    labels = np.where(y == 1, "fraud", "ok")
    clf = ImbalancedNetClassifier(train_split=ValidSplit(0.2, stratified=True), **FAST)
    with pytest.raises(ValueError) as info:
        clf.fit(X, labels)
    message = str(info.value)
    assert "'fraud'" in message
    assert "StratifiedValidSplit" in message or "train_split=None" in message


# ----------------------------------------------------------- reproducibility


@pytest.mark.filterwarnings(VALID_MISSES_A_CLASS)
@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_same_random_state_same_probabilities(strategy, early_stopping):
    X, y = _binary()
    params = {**FAST, "strategy": strategy, "early_stopping": early_stopping}
    first, second = (
        ImbalancedNetClassifier(**params).fit(X, y).predict_proba(X) for _ in range(2)
    )
    np.testing.assert_array_equal(first, second)
    other = ImbalancedNetClassifier(**{**params, "random_state": 1}).fit(X, y)
    assert not np.allclose(other.predict_proba(X), first)


# ------------------------------------------------------ bad combinations

_OTHER_SAMPLER = torch.utils.data.SequentialSampler(range(120))


def _fit_twice_with_a_new_label(X, y):
    clf = ImbalancedNetClassifier(warm_start=True, **FAST).fit(X, y)
    clf.fit(X, np.where(y == 1, 2, 0))


BAD_COMBINATIONS = [
    (
        "criterion+focal",
        {"criterion": nn.CrossEntropyLoss, "strategy": "focal"},
        ValueError,
        r"criterion=<class '.*CrossEntropyLoss'> replaces the loss that "
        r"strategy='focal' builds; with a custom criterion use strategy='none' or "
        r"'sampler'",
    ),
    (
        "criterion+class_weight",
        {"criterion": nn.CrossEntropyLoss, "strategy": "class_weight"},
        ValueError,
        r"replaces the loss that strategy='class_weight' builds",
    ),
    (
        "criterion+sampler+class_weight",
        {"criterion": nn.CrossEntropyLoss, "strategy": "sampler+class_weight"},
        ValueError,
        r"replaces the loss that strategy='sampler\+class_weight' builds",
    ),
    (
        "sampler+iterator_train__sampler",
        {"strategy": "sampler", "iterator_train__sampler": _OTHER_SAMPLER},
        ValueError,
        r"strategy='sampler' brings its own sampler; it cannot be combined with "
        r"iterator_train__sampler\.",
    ),
    (
        "sampler+focal+iterator_train__batch_sampler",
        {"strategy": "sampler+focal", "iterator_train__batch_sampler": [[0, 1]]},
        ValueError,
        r"strategy='sampler\+focal' brings its own sampler; .* "
        r"iterator_train__batch_sampler",
    ),
    (
        "alpha-dict-unknown-label",
        {"strategy": "focal", "alpha": {"fraud": 3.0, 7: 1.0}, "data": "strings"},
        ValueError,
        r"The 'alpha' dict names labels \[7\] that are not in y; the classes in y "
        r"are \['fraud', 'ok'\]\.",
    ),
    (
        "alpha-list-vs-classes",
        {"classes": [0, 1, 2], "alpha": [1.0, 2.0], "strategy": "class_weight"},
        ValueError,
        r"one weight per class, 3 for the classes \[0, 1, 2\] in y\. Got shape \(2,\)",
    ),
    (
        "classes-missing-a-label",
        {"classes": [0, 2], "strategy": "none"},
        ValueError,
        r"y contains labels \[1\] that are not among the classes \[0, 2\] listed in "
        r"the 'classes' parameter",
    ),
    (
        "classes-absent+balanced-alpha",
        {"classes": [0, 1, 2], "strategy": "focal", "alpha": "balanced"},
        ValueError,
        r"alpha='balanced' needs samples of every class, but y has none of \[2\] "
        r"\(from the 'classes' parameter\)",
    ),
    (
        "user-split-one-sample-class",
        {"train_split": ValidSplit(0.2, stratified=True), "data": "one_minority"},
        ValueError,
        r"train_split \(ValidSplit\) cannot split the classes \[1\]: they have "
        r"fewer than 2 samples .*StratifiedValidSplit",
    ),
    (
        "warm_start+new-label",
        _fit_twice_with_a_new_label,
        ValueError,
        r"y contains labels \[2\] that are not among the classes \[0, 1\] seen in "
        r"the first fit",
    ),
]


@pytest.mark.parametrize(
    "params, error, match",
    [case[1:] for case in BAD_COMBINATIONS],
    ids=[case[0] for case in BAD_COMBINATIONS],
)
def test_bad_parameter_combinations(params, error, match):
    if callable(params):
        with pytest.raises(error, match=match):
            params(*_binary())
        return
    params = dict(params)
    data = params.pop("data", "binary")
    X, y = _one_minority_sample() if data == "one_minority" else _binary()
    if data == "strings":
        y = np.array(["ok", "fraud"])[y]
    with pytest.raises(error, match=match):
        ImbalancedNetClassifier(**{**FAST, **params}).fit(X, y)


ODD_COMBINATIONS = [
    ({"strategy": "sampler", "alpha": "balanced"}, r"rebalances twice"),
    ({"strategy": "sampler+class_weight"}, r"rebalances twice"),
    ({"strategy": "sampler+focal", "alpha": [1.0, 4.0]}, r"rebalances twice"),
    ({"early_stopping": True}, r"Classes \[1\] have a single sample"),
]


@pytest.mark.filterwarnings(VALID_MISSES_A_CLASS)
@pytest.mark.parametrize("params, match", ODD_COMBINATIONS, ids=str)
def test_legal_but_odd_combinations_warn(params, match):
    X, y = _one_minority_sample() if "early_stopping" in params else _binary()
    with pytest.warns(UserWarning, match=match):
        ImbalancedNetClassifier(**{**FAST, **params}).fit(X, y)


@pytest.mark.parametrize(
    "params",
    [
        {"strategy": "none", "criterion__weight": torch.tensor([1.0, 5.0])},
        {"strategy": "class_weight", "criterion__weight": torch.tensor([1.0, 5.0])},
        {"strategy": "focal", "criterion__alpha": 0.25},
        {"strategy": "focal", "criterion__gamma": 1.0},
    ],
    ids=["none+weight", "class_weight+weight", "focal+alpha", "focal+gamma"],
)
def test_criterion_arguments_that_strategy_sets_get_a_clear_error(params):
    X, y = _binary()
    name = next(key for key in params if key.startswith("criterion__"))
    with pytest.raises(ValueError, match=re.escape(name)):
        ImbalancedNetClassifier(**{**FAST, **params}).fit(X, y)


@pytest.mark.parametrize("alpha", [[0.0, 1.0], 1.0, {0: 0.0}], ids=str)
def test_a_zero_class_weight_in_the_cross_entropy_is_refused(alpha):
    # torch's weighted mean divides a batch by its summed weights: 0/0 = NaN
    X, y = _binary()
    clf = ImbalancedNetClassifier(
        strategy="class_weight", alpha=alpha, batch_size=4, **FAST
    )
    with pytest.raises(ValueError, match=r"classes \[0\] a weight of 0"):
        clf.fit(X, y)


def test_a_zero_focal_alpha_trains_finite():
    # the focal loss averages over rows, not weights: a zero alpha is fine
    X, y = _binary()
    clf = ImbalancedNetClassifier(
        strategy="focal", alpha=[0.0, 1.0], batch_size=4, **FAST
    ).fit(X, y)
    assert np.isfinite(clf.history[:, "train_loss"]).all()
    assert np.isfinite(clf.predict_proba(X)).all()
