"""compare_strategies: same folds, honest metrics, tables, plots and reports."""

import numpy as np
import pytest
from imblearn.metrics import geometric_mean_score
from imblearn.pipeline import Pipeline as ImbPipeline
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    recall_score,
)
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skimbal import ImbalancedNetClassifier, StrategyComparison, compare_strategies
from skimbal.demo import make_demo_data

STRATEGIES = ("none", "class_weight", "sampler", "focal")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def small_net(**params):
    return ImbalancedNetClassifier(max_steps=100, random_state=0, **params)


@pytest.fixture(scope="module")
def binary_result(binary_data):
    X, y = binary_data
    return compare_strategies(small_net(), X, y, strategies=STRATEGIES, cv=3)


@pytest.fixture(scope="module")
def rare_data():
    """Three classes of 400 / 40 / 8 that a plain net gives up on."""
    return make_demo_data(counts=(400, 40, 8))


@pytest.fixture(scope="module")
def multiclass_result(rare_data):
    X, y = rare_data
    return compare_strategies(small_net(), X, y, strategies=STRATEGIES, cv=3)


def is_png(path):
    data = path.read_bytes()
    return data[:8] == PNG_MAGIC and len(data) > 10_000


@pytest.mark.parametrize("which", ["binary", "multiclass"])
def test_every_strategy_sees_the_same_folds(
    which, binary_data, rare_data, binary_result, multiclass_result
):
    X, y = binary_data if which == "binary" else rare_data
    result = binary_result if which == "binary" else multiclass_result
    expected = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    assert len(result.folds) == 3
    for (train, test), (exp_train, exp_test) in zip(result.folds, expected):
        np.testing.assert_array_equal(train, exp_train)
        np.testing.assert_array_equal(test, exp_test)
    counts = np.bincount(y)
    first = result.predictions[STRATEGIES[0]]
    for strategy in STRATEGIES:
        pred = result.predictions[strategy]
        np.testing.assert_array_equal(pred["index"], first["index"])
        np.testing.assert_array_equal(np.sort(pred["index"]), np.arange(len(y)))
        np.testing.assert_array_equal(pred["y_true"], y[pred["index"]])
        cm = result.confusion_matrices[strategy]
        assert cm.shape == (len(counts), len(counts))
        assert cm.sum() == len(y)
        np.testing.assert_array_equal(cm.sum(axis=1), counts)


@pytest.mark.parametrize("which", ["binary", "multiclass"])
def test_scores_are_sklearns_metrics_of_the_stored_predictions(
    which, binary_result, multiclass_result
):
    result = binary_result if which == "binary" else multiclass_result
    classes = result.classes_
    for strategy in STRATEGIES:
        pred, scores = result.predictions[strategy], result.scores[strategy]
        np.testing.assert_allclose(pred["proba"].sum(axis=1), 1.0, rtol=1e-5)
        # labels are the most probable class of each out-of-fold row
        np.testing.assert_array_equal(
            pred["y_pred"], classes[pred["proba"].argmax(axis=1)]
        )
        for k in range(3):
            m = pred["fold"] == k
            t, p = pred["y_true"][m], pred["y_pred"][m]
            assert scores["balanced_accuracy"][k] == pytest.approx(
                balanced_accuracy_score(t, p)
            )
            assert scores["f1_macro"][k] == pytest.approx(
                f1_score(t, p, average="macro")
            )
            assert scores["geometric_mean"][k] == pytest.approx(
                geometric_mean_score(t, p)
            )
            recalls = recall_score(t, p, average=None, labels=classes)
            for label, r in zip(classes, recalls):
                assert scores[f"recall[{label}]"][k] == pytest.approx(r)
            if which == "binary":
                # the rarer class is the positive one
                assert result.pos_label == 1
                assert scores["average_precision"][k] == pytest.approx(
                    average_precision_score(t == 1, pred["proba"][m, 1])
                )
        assert "average_precision" in scores or which == "multiclass"
        assert (scores["fit_time"] > 0).all()
        np.testing.assert_array_equal(
            result.confusion_matrices[strategy],
            confusion_matrix(pred["y_true"], pred["y_pred"]),
        )
        mean, std = result.summary()[strategy]["balanced_accuracy"]
        assert mean == pytest.approx(scores["balanced_accuracy"].mean())
        assert std == pytest.approx(scores["balanced_accuracy"].std())


def test_predictions_come_from_a_fresh_clone_fitted_on_the_training_fold(
    binary_data, binary_result
):
    X, y = binary_data
    train, test = binary_result.folds[1]
    net = small_net(strategy="focal").fit(X[train], y[train])
    pred = binary_result.predictions["focal"]
    np.testing.assert_allclose(
        pred["proba"][pred["fold"] == 1], net.predict_proba(X[test]), atol=1e-6
    )


def test_rebalancing_rescues_the_rarest_class(multiclass_result):
    rare = "recall[2]"
    summary = multiclass_result.summary()
    assert summary["none"][rare][0] <= 0.2
    for strategy in ("class_weight", "sampler", "focal"):
        assert summary[strategy][rare][0] >= summary["none"][rare][0] + 0.4, strategy
        assert (
            summary[strategy]["balanced_accuracy"][0]
            > summary["none"]["balanced_accuracy"][0]
        )


def test_pipelines_get_the_strategy_on_their_last_step(binary_data, binary_result):
    """An identity step changes nothing, so the nets must be the same ones."""
    X, y = binary_data
    strategies = ["none", "focal"]
    flat = ImbPipeline([("identity", FunctionTransformer()), ("clf", small_net())])
    nested = Pipeline([("prep", FunctionTransformer()), ("model", flat)])
    for pipe in (flat, nested):
        result = compare_strategies(pipe, X, y, strategies=strategies, cv=3)
        for strategy in strategies:
            np.testing.assert_allclose(
                result.predictions[strategy]["proba"],
                binary_result.predictions[strategy]["proba"],
                atol=1e-6,
            )
    # the estimators passed in were cloned, never changed or fitted
    assert flat.named_steps["clf"].strategy == "class_weight"
    assert not hasattr(flat.named_steps["clf"], "classes_")


def test_any_splitter_and_string_labels(binary_data):
    X, y = binary_data
    labels = np.where(y == 1, "yes", "no")
    # an iterable of splits whose test sets neither cover all rows nor match
    folds = [
        (np.arange(0, 150), np.arange(150, 200)),
        (np.arange(50, 200), np.arange(30)),
    ]
    result = compare_strategies(
        ImbalancedNetClassifier(max_steps=30, random_state=0),
        X,
        labels,
        strategies="sampler",
        cv=folds,
        pos_label="yes",
    )
    np.testing.assert_array_equal(result.classes_, ["no", "yes"])
    assert result.pos_label == "yes"
    pred = result.predictions["sampler"]
    np.testing.assert_array_equal(pred["index"], np.r_[150:200, 0:30])
    assert set(pred["y_pred"]) <= {"no", "yes"}
    cm = result.confusion_matrices["sampler"]
    expected = sum(
        confusion_matrix(
            labels[test], pred["y_pred"][pred["fold"] == k], labels=["no", "yes"]
        )
        for k, (_, test) in enumerate(folds)
    )
    np.testing.assert_array_equal(cm, expected)
    assert cm.sum() == 80
    assert "recall[yes]" in result.scores["sampler"]


def test_progress_bar_ticks_once_per_fit(binary_data, capsys):
    # parallel fits (n_jobs) are tested through the CLI, in test_cli.py
    X, y = binary_data
    net = ImbalancedNetClassifier(max_steps=10, random_state=0)
    compare_strategies(net, X, y, strategies=["none", "focal"], cv=2, progress=True)
    err = capsys.readouterr().err
    assert "compare_strategies" in err and "4/4" in err


def test_progress_without_tqdm_is_a_clear_error(binary_data, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    X, y = binary_data
    with pytest.raises(ImportError, match="progress=True needs the tqdm package"):
        compare_strategies(small_net(), X, y, progress=True)


@pytest.mark.parametrize(
    "estimator, error, match",
    [
        (LogisticRegression(), TypeError, "got a LogisticRegression"),
        (
            Pipeline([("scale", StandardScaler()), ("lr", LogisticRegression())]),
            TypeError,
            "last step 'lr' is a LogisticRegression",
        ),
    ],
)
def test_estimator_without_a_net_is_rejected(binary_data, estimator, error, match):
    X, y = binary_data
    with pytest.raises(error, match=match):
        compare_strategies(estimator, X, y)


@pytest.mark.parametrize(
    "kwargs, y_kind, match",
    [
        ({"strategies": ["none", "oversample"]}, "binary", "'strategy' parameter"),
        ({"strategies": ["focal", "focal"]}, "binary", "must be distinct"),
        ({"strategies": []}, "binary", "at least one strategy"),
        ({"strategies": [None]}, "binary", "must be strings"),
        ({}, "one class", "at least two classes"),
        ({"pos_label": 7}, "binary", "pos_label=7 is not a class"),
        ({"pos_label": 1}, "three classes", "only used for binary"),
    ],
)
def test_invalid_arguments(binary_data, kwargs, y_kind, match):
    X, y = binary_data
    y = {
        "binary": y,
        "one class": np.zeros_like(y),
        "three classes": np.arange(len(y)) % 3,
    }[y_kind]
    with pytest.raises((ValueError, TypeError), match=match):
        compare_strategies(small_net(), X, y, **kwargs)


def test_tables(multiclass_result):
    result = multiclass_result
    assert isinstance(result, StrategyComparison)
    text = str(result)
    assert text == result.to_string()
    for word in (*STRATEGIES, "recall[0]", "recall[2]", "balanced accuracy"):
        assert word in text
    assert "PR-AUC" not in text  # binary only
    mean = result.summary()["sampler"]["geometric_mean"][0]
    assert f"{mean:.3f} ±" in text

    md = result.to_markdown().splitlines()
    assert md[0] == "| metric | " + " | ".join(STRATEGIES) + " |"
    assert len(md) == 2 + len(result.metric_names)

    frame = result.to_frame()
    assert list(frame.index) == list(STRATEGIES)
    assert frame.loc["focal", ("recall[1]", "mean")] == pytest.approx(
        result.scores["focal"]["recall[1]"].mean()
    )
    per_fold = result.to_frame(per_fold=True)
    assert per_fold.shape == (len(STRATEGIES) * 3, len(result.metric_names))
    np.testing.assert_allclose(
        per_fold.loc["class_weight"]["f1_macro"],
        result.scores["class_weight"]["f1_macro"],
    )


def test_confusion_matrix_plot(multiclass_result, tmp_path):
    path = tmp_path / "cm.png"
    fig = multiclass_result.plot_confusion_matrices(path)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title().split("\n")[0] for ax in visible] == list(STRATEGIES)
    for ax, strategy in zip(visible, STRATEGIES):
        cm = multiclass_result.confusion_matrices[strategy]
        np.testing.assert_allclose(
            ax.images[0].get_array(), cm / cm.sum(axis=1, keepdims=True)
        )
        assert ax.get_xlabel() == "Predicted label"
        assert ax.get_ylabel() == "True label"
        assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2"]
    assert is_png(path)


def test_precision_recall_plot_is_binary_only(
    binary_result, multiclass_result, tmp_path
):
    path = tmp_path / "pr.png"
    fig = binary_result.plot_precision_recall(path)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    for strategy in STRATEGIES:
        assert any(t.startswith(f"{strategy} (AP = ") for t in legend), legend
    assert is_png(path)
    with pytest.raises(ValueError, match="binary targets only; .* 3 classes"):
        multiclass_result.plot_precision_recall()


def test_write_report(binary_result, multiclass_result, tmp_path):
    report = binary_result.write_report(tmp_path / "bin")
    text = report.read_text()
    assert report == tmp_path / "bin" / "report.md"
    assert binary_result.to_markdown() in text
    assert "![Confusion matrices](confusion_matrices.png)" in text
    assert "![Precision-recall curves](precision_recall.png)" in text
    assert is_png(tmp_path / "bin" / "confusion_matrices.png")
    assert is_png(tmp_path / "bin" / "precision_recall.png")
    for strategy, cls_report in binary_result.classification_reports().items():
        assert f"### {strategy}" in text
        assert cls_report.rstrip("\n") in text
    cm = binary_result.confusion_matrices["focal"]
    assert f"| 1 | {cm[1, 0]} | {cm[1, 1]} |" in text

    multi = multiclass_result.write_report(tmp_path / "multi").read_text()
    assert "precision_recall.png" not in multi
    assert not (tmp_path / "multi" / "precision_recall.png").exists()
    assert is_png(tmp_path / "multi" / "confusion_matrices.png")
