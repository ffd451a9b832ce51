"""fit(X, y, sample_weight=...): weighting, splitting, sampling and routing."""

import warnings

import numpy as np
import pytest
import sklearn
import torch
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import shuffle
from skorch.dataset import Dataset, ValidSplit
from torch import nn

from skimbal import ImbalancedNetClassifier, StratifiedValidSplit
from skimbal._batching import WeightedBatch, WeightedDataset, dataset_sample_weight
from skimbal._sampling import sampler_row_weights

FAST = {"max_epochs": 3, "random_state": 0}
STRATEGIES = [
    "none",
    "class_weight",
    "class_balanced",
    "sampler",
    "focal",
    "logit_adjust",
    "sampler+focal",
]


def _weights(n, seed=0):
    return np.random.RandomState(seed).uniform(0.2, 3.0, size=n)


# ------------------------------------------------------------ equal weights


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("value", [1.0, 3.5])
def test_equal_weights_fit_exactly_like_no_weights(multiclass_data, strategy, value):
    X, y = multiclass_data
    params = {"strategy": strategy, "early_stopping": True, "max_epochs": 2}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # class_balanced: near uniform
        plain = ImbalancedNetClassifier(**params, random_state=0).fit(X, y)
        weighted = ImbalancedNetClassifier(**params, random_state=0)
        weighted.fit(X, y, sample_weight=[value] * len(y))
    np.testing.assert_array_equal(weighted.predict_proba(X), plain.predict_proba(X))
    assert weighted.history[:, "valid_loss"] == plain.history[:, "valid_loss"]


# ------------------------------------------ integer weights = repeated rows


@pytest.mark.parametrize(
    "strategy", ["none", "class_weight", "class_balanced", "focal", "logit_adjust"]
)
def test_integer_weights_equal_repeated_rows(strategy):
    # full batches and no dropout: then nothing but the weights tells the two
    # fits apart (the input scaling is weighted too)
    rng = np.random.RandomState(42)
    X = rng.rand(15, 6).astype(np.float32)
    y = rng.randint(0, 3, size=15)
    sw = rng.randint(0, 5, size=15)
    X_shuffled, y_shuffled, sw_shuffled = shuffle(X, y, sw, random_state=0)
    params = {
        "strategy": strategy,
        "batch_size": -1,
        "module__dropout": 0.0,
        "max_epochs": 30,
        "lr": 0.01,
        "random_state": 0,
    }
    repeated = ImbalancedNetClassifier(**params).fit(X.repeat(sw, axis=0), y.repeat(sw))
    weighted = ImbalancedNetClassifier(**params).fit(
        X_shuffled, y_shuffled, sample_weight=sw_shuffled
    )
    np.testing.assert_allclose(
        weighted.predict_proba(X), repeated.predict_proba(X), atol=2e-5
    )
    np.testing.assert_allclose(weighted.class_prior_, repeated.class_prior_)
    if repeated.class_weight_ is not None:
        np.testing.assert_allclose(weighted.class_weight_, repeated.class_weight_)


def test_weights_change_the_fit(binary_data):
    X, y = binary_data
    sw = _weights(len(y))
    plain = ImbalancedNetClassifier(**FAST).fit(X, y)
    weighted = ImbalancedNetClassifier(**FAST).fit(X, y, sample_weight=sw)
    assert not np.allclose(weighted.predict_proba(X), plain.predict_proba(X))
    # "balanced" counts each class by its summed weight, as scikit-learn does
    totals = np.bincount(y, weights=sw)
    expected = totals.sum() / (2 * totals)
    np.testing.assert_allclose(weighted.class_weight_, expected / expected.mean())
    np.testing.assert_allclose(weighted.class_prior_, totals / totals.sum())


def test_sample_weight_is_not_written_to(binary_data):
    X, y = binary_data
    sw = _weights(len(y))
    before = sw.copy()
    ImbalancedNetClassifier(**FAST).fit(X, y, sample_weight=sw)
    np.testing.assert_array_equal(sw, before)


@pytest.mark.parametrize("kind", ["list", "tensor", "series"])
def test_sample_weight_containers(binary_data, kind):
    X, y = binary_data
    sw = _weights(len(y))
    expected = ImbalancedNetClassifier(**FAST).fit(X, y, sample_weight=sw)
    if kind == "list":
        given = sw.tolist()
    elif kind == "tensor":
        given = torch.as_tensor(sw)
    else:
        given = pytest.importorskip("pandas").Series(sw)
    got = ImbalancedNetClassifier(**FAST).fit(X, y, sample_weight=given)
    np.testing.assert_array_equal(got.predict_proba(X), expected.predict_proba(X))


def test_partial_fit_takes_weights(binary_data):
    X, y = binary_data
    sw = _weights(len(y))
    clf = ImbalancedNetClassifier(**FAST).partial_fit(X, y, sample_weight=sw)
    first = clf.predict_proba(X)
    clf.partial_fit(X, y, sample_weight=sw)
    assert len(clf.history) == 6
    assert not np.array_equal(clf.predict_proba(X), first)


# ------------------------------------------------------------- validation

BAD_WEIGHTS = [
    ("too-long", lambda n: np.ones(n + 1), ValueError, r"has 41 weights.*40 samples"),
    ("2d", lambda n: np.ones((n, 2)), ValueError, r"1-D, of shape \(40,\)"),
    (
        "nan",
        lambda n: np.r_[np.nan, np.ones(n - 1)],
        ValueError,
        "finite.*rows \\[0\\]",
    ),
    ("inf", lambda n: np.r_[np.ones(n - 1), np.inf], ValueError, "finite"),
    ("negative", lambda n: np.r_[-1.0, np.ones(n - 1)], ValueError, ">= 0"),
    ("all-zero", lambda n: np.zeros(n), ValueError, "zero for every sample"),
    ("strings", lambda n: ["a"] * n, TypeError, "sample_weight must be .* numbers"),
]


@pytest.mark.parametrize(
    "make, error, match",
    [c[1:] for c in BAD_WEIGHTS],
    ids=[c[0] for c in BAD_WEIGHTS],
)
def test_bad_sample_weight(make, error, match):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    y = np.array([0, 1] * 20)
    with pytest.raises(error, match=match):
        ImbalancedNetClassifier(**FAST).fit(X, y, sample_weight=make(40))


def test_a_class_of_zero_weight(binary_data):
    X, y = binary_data
    sw = np.where(y == 1, 0.0, 1.0)
    with pytest.raises(ValueError, match=r"sample_weight is 0 .* classes \[1\]"):
        ImbalancedNetClassifier(**FAST).fit(X, y, sample_weight=sw)
    # without class counts to take, a zero-weight class is just not learned
    clf = ImbalancedNetClassifier(strategy="none", **FAST).fit(X, y, sample_weight=sw)
    assert clf.class_prior_.tolist() == [1.0, 0.0]


def test_weights_need_the_built_loss_and_dataset(binary_data):
    X, y = binary_data
    sw = _weights(len(y))
    clf = ImbalancedNetClassifier(criterion=nn.CrossEntropyLoss, strategy="none")
    with pytest.raises(ValueError, match="sample_weight needs the loss"):
        clf.fit(X, y, sample_weight=sw)

    class MyDataset(Dataset):
        pass

    with pytest.raises(ValueError, match="sample_weight needs skorch's default"):
        ImbalancedNetClassifier(dataset=MyDataset).fit(X, y, sample_weight=sw)


# ---------------------------------------------- splitting, batching, sampling


def test_weights_follow_their_rows_through_the_split():
    X = torch.arange(40, dtype=torch.float32).reshape(20, 2)
    y = torch.tensor([0] * 14 + [1] * 6)
    sw = torch.arange(20, dtype=torch.float32) + 1
    dataset = WeightedDataset(X, y, sw)
    for split in (StratifiedValidSplit(0.25, 0), ValidSplit(4, stratified=True)):
        train, valid = split(dataset, y)
        for part in (train, valid):
            rows = torch.as_tensor(part.indices)
            assert torch.equal(dataset_sample_weight(part), sw[rows])
            Xi, yi, wi = part[0]
            assert wi == sw[rows[0]] and torch.equal(Xi, X[rows[0]])


def test_validation_scores_use_the_validation_weights(binary_data):
    X, y = binary_data
    sw = _weights(len(y))
    clf = ImbalancedNetClassifier(
        strategy="none", early_stopping=True, max_epochs=8, lr=0.02, random_state=0
    ).fit(X, y, sample_weight=sw)
    _, valid = StratifiedValidSplit(clf.validation_fraction, clf.seed_)(
        Dataset(X, y), y
    )
    rows = np.asarray(valid.indices)
    proba = clf.predict_proba(X[rows])
    # the best epoch's weights were restored: its score is the weighted one
    expected = log_loss(y[rows], proba, sample_weight=sw[rows])
    assert min(clf.history[:, "valid_log_loss"]) == pytest.approx(expected, rel=1e-5)
    unweighted = log_loss(y[rows], proba)
    assert unweighted != pytest.approx(expected, rel=1e-3)


def test_sampler_row_weights_multiply_sample_weights():
    y = np.array([0, 0, 0, 1, 1])
    sw = np.array([1.0, 2.0, 1.0, 0.0, 3.0])
    weights = sampler_row_weights(y, 3, sw)
    # within a class proportional to sample_weight, every class the same total
    np.testing.assert_allclose(weights, [0.25, 0.5, 0.25, 0.0, 1.0])
    np.testing.assert_array_equal(
        sampler_row_weights(y, 3), sampler_row_weights(y, 3, None)
    )


def test_sampler_never_draws_zero_weight_rows(binary_data):
    X, y = binary_data
    sw = np.ones(len(y))
    sw[:100] = 0.0  # a marker: these rows must never be drawn
    sw[y == 1] = 2.0
    clf = ImbalancedNetClassifier(strategy="sampler", batch_size=-1, random_state=0)
    X_t, y_t, w_t = clf._prepare_fit_data(X, y, sw, reset=True)
    clf.initialize()
    loader = clf.get_iterator(WeightedDataset(X_t, y_t, w_t), training=True)
    batches = [batch for _ in range(20) for batch in loader]
    assert all(isinstance(batch, WeightedBatch) for batch in batches)
    drawn = torch.cat([batch.sample_weight for batch in batches]).numpy()
    labels = torch.cat([batch[1] for batch in batches]).numpy()
    assert (drawn > 0).all()
    assert np.mean(labels == 1) == pytest.approx(0.5, abs=0.05)


# ------------------------------------------------------- metadata routing


def test_routing_off_a_pipeline_passes_weights(binary_data):
    X, y = binary_data
    sw = _weights(len(y))
    direct = ImbalancedNetClassifier(**FAST).fit(X, y, sample_weight=sw)
    pipe = Pipeline([("net", ImbalancedNetClassifier(**FAST))])
    pipe.fit(X, y, net__sample_weight=sw)
    np.testing.assert_array_equal(pipe.predict_proba(X), direct.predict_proba(X))


@pytest.fixture
def routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


def test_routed_through_a_pipeline(binary_data, routing):
    X, y = binary_data
    sw = _weights(len(y))
    direct = ImbalancedNetClassifier(**FAST).fit(X, y, sample_weight=sw)
    net = ImbalancedNetClassifier(**FAST).set_fit_request(sample_weight=True)
    scaler = StandardScaler().set_fit_request(sample_weight=False)
    pipe = Pipeline([("scale", scaler), ("net", net)])
    pipe.fit(X, y, sample_weight=sw)
    # the net standardises its input itself: the scaler changes ~nothing
    proba = pipe.predict_proba(X)
    np.testing.assert_allclose(proba, direct.predict_proba(X), atol=1e-5)
    unweighted = ImbalancedNetClassifier(**FAST).fit(X, y)
    assert not np.allclose(proba, unweighted.predict_proba(X), atol=1e-3)


def test_unrequested_weights_raise_sklearns_error(binary_data, routing):
    X, y = binary_data
    pipe = Pipeline([("net", ImbalancedNetClassifier(**FAST))])
    with pytest.raises(ValueError, match=r"\[sample_weight\] are passed but are not"):
        pipe.fit(X, y, sample_weight=_weights(len(y)))
    # explicitly not requested: the net is fitted without them
    sw = _weights(len(y))
    scaler = StandardScaler().set_fit_request(sample_weight=True)
    net = ImbalancedNetClassifier(**FAST).set_fit_request(sample_weight=False)
    pipe = Pipeline([("scale", scaler), ("net", net)]).fit(X, y, sample_weight=sw)
    scaled = StandardScaler().fit(X, sample_weight=sw).transform(X)
    plain = ImbalancedNetClassifier(**FAST).fit(scaled, y)
    np.testing.assert_array_equal(pipe.predict_proba(X), plain.predict_proba(scaled))


def test_routed_through_a_grid_search(binary_data, routing):
    X, y = binary_data
    sw = _weights(len(y))
    net = ImbalancedNetClassifier(**FAST)
    net.set_fit_request(sample_weight=True).set_score_request(sample_weight=False)
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    search = GridSearchCV(net, {"strategy": ["none", "class_weight"]}, cv=cv)
    search.fit(X, y, sample_weight=sw)
    best = search.best_estimator_
    direct = ImbalancedNetClassifier(strategy=best.strategy, **FAST)
    direct.fit(X, y, sample_weight=sw)
    # the refit got all the weights; the folds got theirs
    np.testing.assert_array_equal(best.predict_proba(X), direct.predict_proba(X))
    train, test = next(cv.split(X, y))
    fold = ImbalancedNetClassifier(strategy="none", **FAST)
    fold.fit(X[train], y[train], sample_weight=sw[train])
    score = fold.score(X[test], y[test])
    assert search.cv_results_["split0_test_score"][0] == pytest.approx(score)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("strategy", ["class_weight", "sampler", "logit_adjust"])
def test_weighted_fit_on_cuda(binary_data, strategy):
    X, y = binary_data
    sw = _weights(len(y))
    clf = ImbalancedNetClassifier(
        strategy=strategy, device="cuda", early_stopping=True, **FAST
    ).fit(X, y, sample_weight=torch.as_tensor(sw, device="cuda"))
    assert np.isfinite(clf.history[:, "valid_log_loss"]).all()
    proba = clf.set_params(prior_correction=True).predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
