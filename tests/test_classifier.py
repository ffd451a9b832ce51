"""Behaviour of ImbalancedNetClassifier: strategies, labels, state, skorch API."""

import pickle
import warnings

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.metrics import recall_score
from skorch.dataset import ValidSplit
from torch import nn

from skimbal import FocalLoss, ImbalancedNetClassifier, TabularMLP

FAST = {"max_epochs": 3, "random_state": 0}


def inverse_frequency(y):
    """Expected 'balanced' weights: 1 / count, rescaled to mean 1."""
    counts = np.unique(y, return_counts=True)[1]
    weights = 1.0 / counts
    return weights / weights.mean()


class LogitsModule(nn.Module):
    """A user module returning logits, with its own constructor arguments."""

    def __init__(self, n_in=10, n_out=2):
        super().__init__()
        self.linear = nn.Linear(n_in, n_out)

    def forward(self, X):
        return self.linear(X)


# --------------------------------------------------------------- the module


def test_default_module_is_sized_from_the_data(multiclass_data):
    X, y = multiclass_data
    clf = ImbalancedNetClassifier(**FAST).fit(X, y)
    assert isinstance(clf.module_, TabularMLP)
    linears = [m for m in clf.module_.modules() if isinstance(m, nn.Linear)]
    assert linears[0].in_features == X.shape[1]
    assert linears[-1].out_features == 3
    assert clf.n_features_in_ == X.shape[1]


def test_default_module_arguments_route_through_module_prefix(binary_data):
    X, y = binary_data
    clf = ImbalancedNetClassifier(
        module__hidden_units=(7,), module__dropout=0.0, **FAST
    ).fit(X, y)
    linears = [m for m in clf.module_.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(10, 7), (7, 2)]
    assert not any(isinstance(m, nn.Dropout) for m in clf.module_.modules())


def test_default_module_needs_sizes_before_fit():
    clf = ImbalancedNetClassifier()
    with pytest.raises(ValueError, match="module__n_features and module__n_classes"):
        clf.initialize()
    clf = ImbalancedNetClassifier(module__n_features=3, module__n_classes=2)
    assert clf.initialize().module_.layers[0].in_features == 3


def test_user_module_returning_logits(binary_data):
    X, y = binary_data
    clf = ImbalancedNetClassifier(LogitsModule, module__n_in=10, lr=0.05, **FAST)
    proba = clf.fit(X, y).predict_proba(X)
    assert isinstance(clf.module_, LogitsModule)
    with torch.no_grad():
        logits = clf.module_(torch.as_tensor(X))
    np.testing.assert_allclose(proba, torch.softmax(logits, 1).numpy(), rtol=1e-5)


# ------------------------------------------------------------ the strategies


@pytest.mark.parametrize(
    "strategy, loss_type, weighted",
    [
        ("none", nn.CrossEntropyLoss, False),
        ("class_weight", nn.CrossEntropyLoss, True),
        ("sampler", nn.CrossEntropyLoss, False),
        ("focal", FocalLoss, True),
        ("sampler+focal", FocalLoss, False),
        ("focal+class_weight", FocalLoss, True),
    ],
)
def test_alpha_none_balances_once(multiclass_data, strategy, loss_type, weighted):
    X, y = multiclass_data
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no double-weighting warning here
        clf = ImbalancedNetClassifier(strategy=strategy, **FAST).fit(X, y)
    assert isinstance(clf.criterion_, loss_type)
    buffer = clf.criterion_.weight if loss_type is nn.CrossEntropyLoss else None
    if loss_type is FocalLoss:
        buffer = clf.criterion_.alpha
        assert clf.criterion_.gamma == 2.0
    if weighted:
        np.testing.assert_allclose(clf.class_weight_, inverse_frequency(y))
        np.testing.assert_allclose(buffer.numpy(), inverse_frequency(y), rtol=1e-6)
    else:
        assert clf.class_weight_ is None and buffer is None


@pytest.mark.parametrize(
    "strategy, alpha",
    [
        ("sampler+class_weight", None),
        ("sampler", "balanced"),
        ("sampler+focal", [1, 3]),
    ],
)
def test_sampler_with_class_weights_warns(binary_data, strategy, alpha):
    X, y = binary_data
    clf = ImbalancedNetClassifier(strategy=strategy, alpha=alpha, **FAST)
    with pytest.warns(UserWarning, match="rebalances twice"):
        clf.fit(X, y)
    assert clf.class_weight_ is not None


def test_sampler_with_uniform_alpha_does_not_warn(binary_data):
    X, y = binary_data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf = ImbalancedNetClassifier(strategy="sampler+focal", alpha=0.5, **FAST)
        clf.fit(X, y)
    np.testing.assert_allclose(clf.class_weight_, [0.5, 0.5])


@pytest.mark.parametrize(
    "alpha, expected",
    [
        (0.25, [0.75, 0.25]),  # binary: weight of classes_[1]
        ([2.0, 5.0], [2.0, 5.0]),
        ({"fraud": 4.0}, [4.0, 1.0]),  # dict keyed by label, others 1
        ("balanced", None),
    ],
)
def test_alpha_forms_with_string_labels(binary_data, alpha, expected):
    X, y = binary_data
    labels = np.where(y == 1, "ok", "fraud")  # sorted: classes_[1] == "ok"
    clf = ImbalancedNetClassifier(strategy="focal", alpha=alpha, **FAST).fit(X, labels)
    assert clf.classes_.tolist() == ["fraud", "ok"]
    expected = inverse_frequency(labels) if expected is None else expected
    np.testing.assert_allclose(clf.class_weight_, expected)
    np.testing.assert_allclose(clf.criterion_.alpha.numpy(), expected, rtol=1e-6)


def test_float_alpha_multiclass_is_a_uniform_factor(multiclass_data):
    X, y = multiclass_data
    clf = ImbalancedNetClassifier(strategy="class_weight", alpha=0.5, **FAST).fit(X, y)
    np.testing.assert_allclose(clf.class_weight_, [0.5, 0.5, 0.5])


def test_alpha_is_ignored_by_strategy_none(binary_data):
    X, y = binary_data
    clf = ImbalancedNetClassifier(strategy="none", alpha=[1, 9], **FAST).fit(X, y)
    assert clf.class_weight_ is None and clf.criterion_.weight is None


def test_gamma_reaches_the_focal_loss(binary_data):
    X, y = binary_data
    clf = ImbalancedNetClassifier(strategy="focal", gamma=0.5, **FAST).fit(X, y)
    assert clf.criterion_.gamma == 0.5


def test_criterion_prefix_routes_to_the_built_loss(binary_data):
    X, y = binary_data
    clf = ImbalancedNetClassifier(criterion__label_smoothing=0.1, **FAST).fit(X, y)
    assert clf.criterion_.label_smoothing == 0.1


def test_custom_criterion_with_sampler(binary_data):
    X, y = binary_data
    clf = ImbalancedNetClassifier(
        criterion=nn.CrossEntropyLoss,
        criterion__label_smoothing=0.2,
        strategy="sampler",
        **FAST,
    ).fit(X, y)
    assert clf.criterion_.label_smoothing == 0.2
    assert clf.predict_proba(X).sum(axis=1) == pytest.approx(1, abs=1e-5)


def test_custom_criterion_conflicts_with_loss_strategies(binary_data):
    X, y = binary_data
    clf = ImbalancedNetClassifier(criterion=nn.CrossEntropyLoss, strategy="focal")
    with pytest.raises(ValueError, match="criterion=.*strategy='focal'"):
        clf.fit(X, y)


@pytest.mark.parametrize("strategy", ["class_weight", "sampler", "focal"])
def test_strategies_rescue_the_rare_class(strategy):
    """The seed exercise in small: naive training ignores the rare class."""
    from skimbal.demo import make_demo_data

    X, y = make_demo_data(counts=(600, 60, 30), random_state=1)
    X_test, y_test = make_demo_data(counts=(600, 60, 30), random_state=2)
    params = {"max_epochs": 30, "random_state": 0}
    naive = ImbalancedNetClassifier(strategy="none", **params).fit(X, y)
    rebalanced = ImbalancedNetClassifier(strategy=strategy, **params).fit(X, y)
    naive_recall = recall_score(y_test, naive.predict(X_test), average=None)[2]
    rescued_recall = recall_score(y_test, rebalanced.predict(X_test), average=None)[2]
    assert naive_recall < 0.3
    assert rescued_recall > 0.6


# ---------------------------------------------------------------- sampling


def _train_iterator(clf, X, y):
    """The training DataLoader that fit would build, on the split rows."""
    X, y_enc, _ = clf._prepare_fit_data(X, y, None, reset=True)
    clf.initialize()
    dataset_train, _ = clf.get_split_datasets(X, y_enc)
    return clf.get_iterator(dataset_train, training=True), dataset_train


def test_sampler_is_built_from_the_rows_after_the_split(binary_data):
    X, y = binary_data
    clf = ImbalancedNetClassifier(
        strategy="sampler", train_split=ValidSplit(4, stratified=True), random_state=0
    )
    loader, dataset_train = _train_iterator(clf, X, y)
    sampler = loader.sampler
    assert isinstance(sampler, torch.utils.data.WeightedRandomSampler)
    assert sampler.replacement and sampler.num_samples == len(dataset_train) == 150
    y_train = y[dataset_train.indices]
    weights = sampler.weights.numpy()
    for label in (0, 1):  # every class carries the same total weight
        assert weights[y_train == label].sum() == pytest.approx(1.0)


def test_sampler_draws_classes_equally_often(binary_data):
    X, y = binary_data
    clf = ImbalancedNetClassifier(strategy="sampler", batch_size=-1, random_state=0)
    loader, _ = _train_iterator(clf, X, y)
    drawn = np.concatenate([batch[1].numpy() for _ in range(40) for batch in loader])
    assert np.mean(drawn == 1) == pytest.approx(0.5, abs=0.03)  # vs 0.095 in y


def test_sampler_ignores_a_shuffle_request_but_rejects_a_second_sampler(binary_data):
    X, y = binary_data
    clf = ImbalancedNetClassifier(
        strategy="sampler", iterator_train__shuffle=True, **FAST
    )
    clf.fit(X, y)  # DataLoader alone would refuse sampler + shuffle
    assert len(clf.history) == 3
    other = torch.utils.data.SequentialSampler(range(len(y)))
    clf = ImbalancedNetClassifier(strategy="sampler", iterator_train__sampler=other)
    with pytest.raises(ValueError, match="iterator_train__sampler"):
        clf.fit(X, y)


def test_training_batches_are_shuffled_by_default(binary_data):
    X, y = binary_data
    clf = ImbalancedNetClassifier(strategy="none", train_split=None)
    loader, _ = _train_iterator(clf, X, y)
    epochs = [torch.cat([batch[0] for batch in loader]).numpy() for _ in range(2)]
    for rows in epochs:  # every row once, in a new order each epoch
        assert not np.array_equal(rows, X)
        np.testing.assert_array_equal(np.sort(rows, axis=0), np.sort(X, axis=0))
    assert not np.array_equal(epochs[0], epochs[1])


# --------------------------------------------------------- labels and input


@pytest.mark.parametrize(
    "labels",
    [
        np.array([-1, 1]),
        np.array(["'-1'", "'1'"]),  # as in the mammography data
        np.array([False, True]),
        np.array([3.0, 7.0]),
    ],
    ids=["minus-one-one", "quoted-strings", "bools", "floats"],
)
def test_predict_returns_the_original_labels(binary_data, labels):
    X, y = binary_data
    y_labels = labels[y]
    clf = ImbalancedNetClassifier(**FAST).fit(X, y_labels)
    assert clf.classes_.tolist() == labels.tolist()
    pred = clf.predict(X)
    assert pred.dtype == y_labels.dtype
    assert set(pred.tolist()) <= set(labels.tolist())
    proba = clf.predict_proba(X)
    np.testing.assert_array_equal(pred, labels[proba.argmax(axis=1)])


@pytest.mark.parametrize("data", ["binary_data", "multiclass_data"])
def test_predict_proba_shape_and_rows_sum_to_one(data, request):
    X, y = request.getfixturevalue(data)
    proba = ImbalancedNetClassifier(**FAST).fit(X, y).predict_proba(X)
    assert proba.shape == (len(y), len(np.unique(y)))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert (proba >= 0).all()


def test_dataframe_input_sets_feature_names(binary_data):
    pd = pytest.importorskip("pandas")
    X, y = binary_data
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    clf = ImbalancedNetClassifier(**FAST).fit(df, pd.Series(y))
    assert clf.feature_names_in_.tolist() == list(df.columns)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        np.testing.assert_array_equal(clf.predict(df), clf.predict(X))
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(df[df.columns[::-1]])


@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.int32])
def test_other_numeric_dtypes_are_cast_to_float32(binary_data, dtype):
    X, y = binary_data
    X_other = np.round(X * 10).astype(dtype)
    clf = ImbalancedNetClassifier(**FAST).fit(X_other, y)
    proba = clf.predict_proba(X_other)
    assert proba.dtype == np.float32
    expected = clf.predict_proba(X_other.astype(np.float32))
    np.testing.assert_allclose(proba, expected)


def test_lists_are_accepted(binary_data):
    X, y = binary_data
    clf = ImbalancedNetClassifier(**FAST).fit(X.tolist(), y.tolist())
    assert clf.predict(X[:3].tolist()).shape == (3,)


def test_fixed_classes_keep_the_output_width(binary_data):
    X, y = binary_data
    clf = ImbalancedNetClassifier(classes=[0, 1, 2], strategy="none", **FAST)
    assert clf.fit(X, y).predict_proba(X).shape == (len(y), 3)
    with pytest.raises(ValueError, match=r"none of \[2\]"):
        ImbalancedNetClassifier(classes=[0, 1, 2], **FAST).fit(X, y)
    with pytest.raises(ValueError, match=r"labels \[1\].*'classes' parameter"):
        ImbalancedNetClassifier(classes=[0, 2], **FAST).fit(X, y)


# ---------------------------------------------------- state and reproducibility


def test_fit_is_reproducible_with_random_state(multiclass_data):
    X, y = multiclass_data
    for strategy in ("none", "class_weight", "sampler", "focal", "sampler+focal"):
        probas = [
            ImbalancedNetClassifier(strategy=strategy, max_epochs=3, random_state=7)
            .fit(X, y)
            .predict_proba(X)
            for _ in range(2)
        ]
        np.testing.assert_array_equal(probas[0], probas[1])
    other = ImbalancedNetClassifier(max_epochs=3, random_state=8).fit(X, y)
    assert not np.array_equal(other.predict_proba(X), probas[0])


def test_random_state_leaves_torch_global_state_alone(binary_data):
    X, y = binary_data
    state = torch.get_rng_state()
    ImbalancedNetClassifier(strategy="sampler", **FAST).fit(X, y)
    assert torch.equal(torch.get_rng_state(), state)


def test_weights_come_from_each_fit_and_never_enter_hyperparameters(multiclass_data):
    X, y = multiclass_data
    clf = ImbalancedNetClassifier(**FAST)
    params = clf.get_params(deep=False)
    clf.fit(X, y)
    np.testing.assert_allclose(clf.class_weight_, inverse_frequency(y))
    assert clf.get_params(deep=False).keys() == params.keys()
    assert clf.alpha is None and clf.get_params()["alpha"] is None
    assert not any("weight" in key for key in clf.get_params())
    subset = np.r_[0:60, np.flatnonzero(y == 2)]  # a different class balance
    clf.fit(X[subset], y[subset])
    np.testing.assert_allclose(clf.class_weight_, inverse_frequency(y[subset]))
    np.testing.assert_allclose(
        clf.criterion_.weight.numpy(), inverse_frequency(y[subset]), rtol=1e-6
    )
    assert not hasattr(clone(clf), "class_weight_")


@pytest.mark.parametrize("dump_load", ["pickle", "joblib"])
def test_pickle_round_trip_predicts_the_same(binary_data, tmp_path, dump_load):
    X, y = binary_data
    clf = ImbalancedNetClassifier(strategy="focal", **FAST).fit(
        X, np.where(y, "b", "a")
    )
    if dump_load == "pickle":
        restored = pickle.loads(pickle.dumps(clf))
    else:
        joblib.dump(clf, tmp_path / "clf.joblib")
        restored = joblib.load(tmp_path / "clf.joblib")
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(restored.predict(X), clf.predict(X))
    np.testing.assert_array_equal(restored.class_weight_, clf.class_weight_)


def test_save_params_and_load_params(binary_data, tmp_path):
    X, y = binary_data
    clf = ImbalancedNetClassifier(**FAST).fit(X, y)
    clf.save_params(f_params=tmp_path / "params.pt")
    new = ImbalancedNetClassifier(
        module__n_features=10, module__n_classes=2, classes=[0, 1]
    ).initialize()
    new.load_params(f_params=tmp_path / "params.pt")
    new.n_features_in_ = clf.n_features_in_
    np.testing.assert_array_equal(new.predict_proba(X), clf.predict_proba(X))


def test_warm_start_and_partial_fit_keep_the_classes(binary_data):
    X, y = binary_data
    labels = np.where(y, "b", "a")
    clf = ImbalancedNetClassifier(warm_start=True, **FAST).fit(X, labels)
    weights = clf.criterion_.weight.clone()
    clf.fit(X, labels)
    assert len(clf.history) == 6  # warm start continues the history
    assert torch.equal(clf.criterion_.weight, weights)
    clf.partial_fit(X[:50], labels[:50])
    assert len(clf.history) == 9
    with pytest.raises(ValueError, match=r"labels \['c'\].*seen in the first fit"):
        clf.partial_fit(X[:5], np.array(["a", "b", "c", "a", "b"]))


def test_partial_fit_on_a_fresh_estimator_fits(binary_data):
    X, y = binary_data
    clf = ImbalancedNetClassifier(**FAST).partial_fit(X, y)
    np.testing.assert_allclose(clf.class_weight_, inverse_frequency(y))
    assert clf.predict(X).shape == y.shape


def test_history_and_validation_balanced_accuracy(binary_data):
    X, y = binary_data
    clf = ImbalancedNetClassifier(
        train_split=ValidSplit(4, stratified=True), **FAST
    ).fit(X, y)
    bacc = clf.history[:, "valid_bacc"]
    assert len(bacc) == 3 and all(0 <= b <= 1 for b in bacc)
    assert len(clf.history[:, "train_loss"]) == 3
    # valid_bacc scores the same rows as predict would, in the label encoding
    _, valid = clf.get_split_datasets(X, y)
    X_valid, y_valid = X[valid.indices], y[valid.indices]
    pred = clf.predict(X_valid)
    tpr = [np.mean(pred[y_valid == k] == k) for k in (0, 1)]
    assert bacc[-1] == pytest.approx(np.mean(tpr))


def test_callbacks_still_work(binary_data):
    from skorch.callbacks import Callback

    class CountEpochs(Callback):
        def initialize(self):
            self.epochs = 0
            return self

        def on_epoch_end(self, net, **kwargs):
            self.epochs += 1

    X, y = binary_data
    counter = CountEpochs()
    ImbalancedNetClassifier(callbacks=[counter], **FAST).fit(X, y)
    assert counter.epochs == 3


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize(
    "strategy",
    ["class_weight", "focal", "sampler+focal", "logit_adjust", "class_balanced+focal"],
)
def test_losses_and_weights_live_on_cuda(binary_data, strategy):
    X, y = binary_data
    clf = ImbalancedNetClassifier(strategy=strategy, device="cuda", **FAST).fit(X, y)
    buffers = list(clf.criterion_.buffers())
    assert all(b.device.type == "cuda" for b in buffers)
    assert next(clf.module_.parameters()).device.type == "cuda"
    proba = clf.predict_proba(X)
    assert isinstance(proba, np.ndarray) and proba.shape == (len(y), 2)


@pytest.mark.parametrize(
    "n_rows, batch_size, max_steps, expected_epochs",
    [
        (200, 50, 1000, 7),  # 4 steps per epoch: max_epochs (7) comes first
        (200, 50, 10, 3),  # ceil(10 / 4) = 3 epochs
        (200, 50, 1, 1),  # at least one epoch
        (200, 50, None, 7),
        (200, -1, 3, 3),  # full batches: one step per epoch
    ],
)
def test_max_steps_caps_the_epochs(
    binary_data, n_rows, batch_size, max_steps, expected_epochs
):
    X, y = binary_data
    clf = ImbalancedNetClassifier(
        max_epochs=7, max_steps=max_steps, batch_size=batch_size, random_state=0
    ).fit(X[:n_rows], y[:n_rows])
    assert len(clf.history) == expected_epochs
    steps = sum(clf.history[:, "train_batch_count"])
    assert steps == expected_epochs * (1 if batch_size == -1 else 4)


def test_default_module_standardizes_with_the_fit_data(binary_data):
    X, y = binary_data
    clf = ImbalancedNetClassifier(**FAST).fit(X, y)
    np.testing.assert_allclose(clf.module_.input_mean.numpy(), X.mean(0), atol=1e-5)
    np.testing.assert_allclose(clf.module_.input_scale.numpy(), X.std(0), rtol=1e-4)
    # so an affine rescaling of the features changes (almost) nothing
    X_raw = (X * 1000 + 5000).astype(np.float32)
    raw = ImbalancedNetClassifier(**FAST).fit(X_raw, y)
    np.testing.assert_allclose(
        raw.predict_proba(X_raw), clf.predict_proba(X), atol=1e-3
    )
    plain = ImbalancedNetClassifier(module__standardize=False, **FAST).fit(X_raw, y)
    assert not np.allclose(plain.predict_proba(X_raw), clf.predict_proba(X), atol=1e-3)


def test_constant_columns_get_unit_scale():
    module = TabularMLP(3, 2).fit_input_scaling(
        torch.tensor([[1.0, 5.0, 0.0], [3.0, 5.0, 2.0]])
    )
    assert module.input_scale.tolist() == [1.0, 1.0, 1.0]
    assert module.input_mean.tolist() == [2.0, 5.0, 1.0]
    assert torch.isfinite(module(torch.ones(1, 3))).all()


@pytest.mark.parametrize(
    "n_rows, min_steps, max_steps, expected_epochs",
    [
        (200, 500, 5000, 125),  # 4 steps per epoch: 500 steps need 125 epochs
        (200, 100, 5000, 50),  # 50 epochs already make 200 steps
        (200, 500, 300, 75),  # the cap wins
    ],
)
def test_auto_epochs_follow_the_steps(
    binary_data, n_rows, min_steps, max_steps, expected_epochs
):
    X, y = binary_data
    clf = ImbalancedNetClassifier(
        min_steps=min_steps,
        max_steps=max_steps,
        batch_size=50,
        random_state=0,
        module__hidden_units=(4,),
    )
    assert clf.max_epochs is None
    clf.fit(X[:n_rows], y[:n_rows])
    assert len(clf.history) == expected_epochs
