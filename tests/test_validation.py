"""Bad hyperparameters and bad data get clear errors, never a torch traceback."""

import re

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError

from skimbal import ImbalancedNetClassifier
from skimbal._validation import balanced_weights, parse_strategy

FAST = {"max_epochs": 2, "random_state": 0}


def _data(n=40, n_features=3, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, n_features)).astype(np.float32)
    y = np.array([0, 1] * (n // 2))
    return X, y


# ------------------------------------------------------------ strategy names


@pytest.mark.parametrize(
    "strategy, expected",
    [
        ("none", set()),
        ("class_weight", {"class_weight"}),
        ("sampler+focal", {"sampler", "focal"}),
        ("focal+sampler", {"sampler", "focal"}),
        ("class_weight + sampler", {"class_weight", "sampler"}),
        ("class_weight+sampler+focal", {"class_weight", "sampler", "focal"}),
        ("class_balanced", {"class_balanced"}),
        ("focal+logit_adjust", {"focal", "logit_adjust"}),
        ("class_balanced+sampler+focal", {"class_balanced", "sampler", "focal"}),
    ],
)
def test_parse_strategy(strategy, expected):
    assert parse_strategy(strategy) == expected


@pytest.mark.parametrize(
    "strategy",
    [
        "",
        "smote",
        "none+focal",
        "focal+focal",
        "Focal",
        "sampler+",
        "class_weight+class_balanced",
        "logit",
    ],
)
def test_parse_strategy_rejects(strategy):
    with pytest.raises(ValueError, match=re.escape(f"Got {strategy!r} instead")):
        parse_strategy(strategy)


def test_balanced_weights_are_inverse_frequency_with_mean_one():
    y = np.array([0] * 90 + [1] * 9 + [2] * 1)
    weights = balanced_weights(y, 3)
    assert weights.mean() == pytest.approx(1.0)
    # proportional to 1 / count: 1/90 : 1/9 : 1/1
    np.testing.assert_allclose(weights / weights[2], [1 / 90, 1 / 9, 1.0])


# ------------------------------------------------------ bad hyperparameters

BAD_PARAMS = [
    ({"strategy": "smote"}, ValueError, "'strategy' parameter .* Got 'smote'"),
    (
        {"strategy": 3},
        TypeError,
        "'strategy' parameter .* must be an instance of 'str'",
    ),
    ({"gamma": -1}, ValueError, r"'gamma' parameter .* range \[0(\.0)?, inf\)"),
    ({"gamma": "2"}, TypeError, "'gamma' parameter"),
    ({"alpha": 1.5}, ValueError, "'alpha' parameter"),
    ({"alpha": -0.1}, ValueError, "'alpha' parameter"),
    ({"alpha": "equal"}, ValueError, "'alpha' parameter"),
    (
        {"alpha": [1.0, 2.0, 3.0]},
        ValueError,
        r"one weight per class, 2 .* shape \(3,\)",
    ),
    ({"alpha": [[1.0, 2.0]]}, ValueError, "one weight per class"),
    ({"alpha": [1.0, -2.0]}, ValueError, "finite, >= 0 and not all 0"),
    ({"alpha": [0.0, 0.0]}, ValueError, "not all 0"),
    ({"alpha": [1.0, np.nan]}, ValueError, "finite"),
    ({"alpha": ["a", "b"]}, TypeError, "must be numbers"),
    ({"alpha": {7: 2.0}}, ValueError, r"names labels \[7\] that are not in y"),
    ({"random_state": "seed"}, ValueError, "'random_state' parameter"),
    ({"max_steps": 0}, ValueError, r"'max_steps' parameter .* range \[1, inf\)"),
    ({"max_steps": 2.5}, TypeError, "'max_steps' parameter"),
    ({"min_steps": None}, TypeError, "'min_steps' parameter"),
    ({"max_epochs": 0}, ValueError, "'max_epochs' parameter"),
    ({"early_stopping": "yes"}, ValueError, "'early_stopping' parameter"),
    ({"early_stopping": 1}, ValueError, "'early_stopping' parameter"),
    (
        {"validation_fraction": 1.0},
        ValueError,
        r"'validation_fraction' .* \(0.0, 1.0\)",
    ),
    ({"validation_fraction": 0}, ValueError, "'validation_fraction' parameter"),
    ({"n_iter_no_change": 0}, ValueError, "'n_iter_no_change' parameter"),
    ({"beta": 1.0}, ValueError, r"'beta' parameter .* range \[0(\.0)?, 1(\.0)?\)"),
    ({"beta": -0.1}, ValueError, "'beta' parameter"),
    ({"beta": "0.9"}, TypeError, "'beta' parameter"),
    ({"tau": -1}, ValueError, r"'tau' parameter .* range \[0(\.0)?, inf\)"),
    ({"tau": None}, TypeError, "'tau' parameter"),
    ({"prior_correction": "yes"}, ValueError, "'prior_correction' parameter"),
    ({"prior_correction": 1}, ValueError, "'prior_correction' parameter"),
    (
        {"strategy": "class_weight+class_balanced"},
        ValueError,
        "two class weightings, 'class_weight' and 'class_balanced'",
    ),
    (
        {"strategy": "class_balanced", "alpha": [1.0, 2.0]},
        ValueError,
        r"computes the class weights from beta, and alpha=\[1.0, 2.0\]",
    ),
]


@pytest.mark.parametrize(
    "params, error, match", BAD_PARAMS, ids=[str(p[0]) for p in BAD_PARAMS]
)
def test_bad_hyperparameters(params, error, match):
    X, y = _data()
    clf = ImbalancedNetClassifier(**{"strategy": "focal", **FAST, **params})
    with pytest.raises(error, match=match):
        clf.fit(X, y)


def test_error_uses_scikit_learns_wording():
    X, y = _data()
    msg = (
        "The 'gamma' parameter of ImbalancedNetClassifier must be a float in the "
        "range [0.0, inf). Got -1 instead."
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        ImbalancedNetClassifier(gamma=-1).fit(X, y)


def test_hyperparameters_are_checked_at_fit_not_init():
    clf = ImbalancedNetClassifier(strategy="nonsense", gamma=-3)
    assert clf.get_params()["strategy"] == "nonsense"  # clone-safe: stored as is


# ------------------------------------------------------------------- bad data


BAD_FIT_DATA = [
    (
        "nan",
        lambda X, y: (np.where(np.eye(40, 3) > 0, np.nan, X), y),
        ValueError,
        "Input X contains NaN",
    ),
    (
        "inf",
        lambda X, y: (np.where(np.eye(40, 3) > 0, np.inf, X), y),
        ValueError,
        "Input X contains infinity",
    ),
    (
        "too-large-for-float32",
        lambda X, y: (X.astype(np.float64) * 1e300, y),
        ValueError,
        "infinity or a value too large",
    ),
    (
        "one-class",
        lambda X, y: (X, np.zeros_like(y)),
        ValueError,
        r"at least 2 classes in y .* 1 class \(\[0\]\)",
    ),
    ("empty", lambda X, y: (X[:0], y[:0]), ValueError, r"0 sample\(s\)"),
    (
        "sparse",
        lambda X, y: (sp.csr_matrix(X), y),
        TypeError,
        "Sparse data was passed for X, but dense data is required",
    ),
    ("3d", lambda X, y: (X.reshape(40, 3, 1), y), ValueError, "Found array with dim 3"),
    (
        "1d",
        lambda X, y: (X[:, 0], y),
        ValueError,
        "Expected a 2-dimensional container|Expected 2D",
    ),
    (
        "y-wrong-length",
        lambda X, y: (X, y[:-1]),
        ValueError,
        r"inconsistent numbers of samples: \[40, 39\]",
    ),
    (
        "y-continuous",
        lambda X, y: (X, np.linspace(0, 1, 40)),
        ValueError,
        "Unknown label type: continuous",
    ),
    ("y-2d", lambda X, y: (X, np.c_[y, y]), ValueError, "y should be a 1d array"),
    ("y-none", lambda X, y: (X, None), ValueError, "requires y to be passed"),
    (
        "object-strings",
        lambda X, y: (np.c_[X, np.array(["a"] * 40)].astype(object), y),
        ValueError,
        "X must hold numbers only: could not convert string to float",
    ),
]


@pytest.mark.parametrize(
    "make, error, match",
    [c[1:] for c in BAD_FIT_DATA],
    ids=[c[0] for c in BAD_FIT_DATA],
)
def test_bad_fit_data(make, error, match):
    X, y = make(*_data())
    with pytest.raises(error, match=match):
        ImbalancedNetClassifier(**FAST).fit(X, y)


def test_object_dataframe_columns_are_named():
    pd = pytest.importorskip("pandas")
    X, y = _data()
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    df["city"] = ["Paris", "Lyon"] * 20
    df["kind"] = pd.Categorical(["x", "y"] * 20)
    with pytest.raises(TypeError, match=r"columns 'city' \(.*\), 'kind' \(category\)"):
        ImbalancedNetClassifier(**FAST).fit(df, y)


def test_numeric_object_array_is_accepted():
    X, y = _data()
    clf = ImbalancedNetClassifier(**FAST).fit(X.astype(object), y)
    assert clf.predict(X).shape == (40,)


def test_torch_dataset_input_is_refused_clearly():
    from torch.utils.data import TensorDataset

    X, y = _data()
    import torch

    with pytest.raises(TypeError, match="got a torch Dataset"):
        ImbalancedNetClassifier(**FAST).fit(TensorDataset(torch.as_tensor(X)), y)


@pytest.fixture(scope="module")
def fitted():
    X, y = _data()
    return ImbalancedNetClassifier(**FAST).fit(X, y)


BAD_PREDICT_DATA = [
    (
        "wrong-n-features",
        np.zeros((2, 4), np.float32),
        ValueError,
        "X has 4 features, but ImbalancedNetClassifier is expecting 3",
    ),
    ("nan", np.array([[0, np.nan, 0]], np.float32), ValueError, "Input X contains NaN"),
    ("sparse", sp.csr_matrix(np.zeros((2, 3))), TypeError, "Sparse data"),
    ("empty", np.zeros((0, 3), np.float32), ValueError, r"0 sample\(s\)"),
    ("3d", np.zeros((2, 3, 1)), ValueError, "Found array with dim 3"),
]


@pytest.mark.parametrize(
    "X, error, match",
    [c[1:] for c in BAD_PREDICT_DATA],
    ids=[c[0] for c in BAD_PREDICT_DATA],
)
@pytest.mark.parametrize("method", ["predict", "predict_proba"])
def test_bad_predict_data(fitted, method, X, error, match):
    with pytest.raises(error, match=match):
        getattr(fitted, method)(X)


def test_predict_before_fit_is_not_fitted_error():
    with pytest.raises(NotFittedError):
        ImbalancedNetClassifier().predict(np.zeros((2, 3)))
