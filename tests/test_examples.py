"""Every script in examples/ runs, and shows what its prose says."""

import ast
import runpy
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")  # before pyplot is imported, here or by an example
import matplotlib.pyplot as plt  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(EXAMPLES.glob("*.py"))


@pytest.fixture
def run_example():
    """Run a script as ``__main__``; close its figures."""
    plt.close("all")

    def run(name):
        namespace = runpy.run_path(str(EXAMPLES / name), run_name="__main__")
        namespace["figures"] = [plt.figure(n) for n in plt.get_fignums()]
        return namespace

    yield run
    plt.close("all")


def test_grid_search_prefers_a_rebalancing_strategy(run_example, capsys):
    ns = run_example("plot_grid_search_strategies.py")
    search = ns["search"]
    results = search.cv_results_
    scores = {
        ns["label"](params): score
        for params, score in zip(results["params"], results["mean_test_score"])
    }
    assert len(scores) == 7
    assert search.best_params_["strategy"] != "none"
    assert search.best_score_ > scores["none"] + 0.2
    # the focal loss needs its class weights, whatever gamma is
    for gamma in (1, 2):
        assert (
            scores[f"focal a=None g={gamma}"] > scores[f"focal a=1.0 g={gamma}"] + 0.2
        )
    assert ns["test_score"] > 0.6
    # one bar per candidate, the best one highlighted
    (ax,) = ns["figures"][0].axes
    assert len(ax.patches) == 7
    out = capsys.readouterr().out
    assert f"best: {search.best_params_}" in out
    assert "held-out balanced accuracy" in out


def test_resampling_pipelines_and_strategies_beat_the_plain_net(run_example, capsys):
    ns = run_example("plot_imblearn_pipeline.py")
    means = {
        name: {key: result[f"test_{key}"].mean() for key in ns["scoring"]}
        for name, result in ns["scores"].items()
    }
    plain = means.pop("plain net")
    assert plain["rare_recall"] <= 0.2
    assert set(means) == {
        "SMOTE + net",
        "undersampling + net",
        "class_weight",
        "sampler",
        "focal",
    }
    for name, score in means.items():
        assert score["balanced_accuracy"] > plain["balanced_accuracy"] + 0.1, name
        assert score["rare_recall"] >= plain["rare_recall"] + 0.4, name
    # every model was scored on the same folds
    n_test = {len(result["test_balanced_accuracy"]) for result in ns["scores"].values()}
    assert n_test == {3}
    (ax,) = ns["figures"][0].axes
    assert len(ax.patches) == 2 * len(ns["models"])
    assert capsys.readouterr().out.count("rare-class recall") == len(ns["models"])


def test_tuned_threshold_saves_money_on_the_test_set(run_example, capsys):
    ns = run_example("plot_threshold_tuning.py")
    tuned, y_test = ns["tuned"], ns["y_test"]
    assert 0.01 < y_test.mean() < 0.03  # fraud-shaped: about 2% positives
    assert tuned.best_threshold_ < 0.5 - 0.1
    scores = ns["test_scores"]
    assert scores["tuned"] > scores["default 0.5"]
    # the cost falls by more than a quarter, and more frauds are caught
    assert -scores["tuned"] < 0.75 * -scores["default 0.5"]
    caught = {
        name: (pred[y_test == 1] == 1).sum()
        for name, pred in [
            ("default", ns["default_pred"]),
            ("tuned", ns["tuned_pred"]),
        ]
    }
    assert caught["tuned"] > caught["default"]
    # the two predictions differ by the threshold only
    proba = tuned.estimator_.predict_proba(ns["X_test"])[:, 1]
    np.testing.assert_array_equal(ns["default_pred"], proba > 0.5)
    np.testing.assert_array_equal(ns["tuned_pred"], proba >= tuned.best_threshold_)
    (ax,) = ns["figures"][0].axes
    assert ax.get_xscale() == "log"
    assert "tuned threshold:" in capsys.readouterr().out


TESTED = [
    "plot_grid_search_strategies.py",
    "plot_imblearn_pipeline.py",
    "plot_threshold_tuning.py",
]


def test_every_example_is_tested():
    assert [p.name for p in SCRIPTS] == TESTED, "add a test for each new example"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_examples_are_sphinx_gallery_scripts(script):
    """A ``plot_`` name, an RST title docstring with a paragraph, ``# %%`` cells."""
    assert script.name.startswith("plot_")  # sphinx-gallery runs only these
    text = script.read_text()
    assert text.startswith('"""')
    docstring = ast.get_docstring(ast.parse(text), clean=False)
    title, underline, blank, *paragraph = docstring.strip("\n").splitlines()
    assert title.strip() and title == title.strip()
    assert set(underline) == {"="} and len(underline) >= len(title)
    assert blank == "" and paragraph and paragraph[0].strip()
    assert text.count("\n# %%\n") >= 2


def test_the_gallery_has_a_header():
    text = (EXAMPLES / "README.txt").read_text().splitlines()
    assert set(text[1]) == {"="} and len(text[1]) >= len(text[0])
