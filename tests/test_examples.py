"""Every script in examples/ runs, and does what it says."""

import runpy
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_grid_search_example_prefers_a_rebalancing_strategy(capsys):
    namespace = runpy.run_path(str(EXAMPLES / "grid_search_strategies.py"))
    search = namespace["search"]
    scores = dict(
        zip(
            [p["strategy"] for p in search.cv_results_["params"]],
            search.cv_results_["mean_test_score"],
        )
    )
    assert search.best_params_["strategy"] != "none"
    assert search.best_score_ > scores["none"] + 0.1
    assert "best:" in capsys.readouterr().out


def test_every_example_is_tested():
    scripts = sorted(p.name for p in EXAMPLES.glob("*.py"))
    tested = ["grid_search_strategies.py"]
    assert scripts == tested, "add a test for each new example"


@pytest.mark.parametrize("script", sorted(EXAMPLES.glob("*.py")), ids=lambda p: p.name)
def test_examples_have_a_title_docstring(script):
    text = script.read_text()
    assert text.startswith('"""') and "# %%" in text
