"""The ``skimbal`` command: ``compare`` end to end, its errors, ``demo``."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skimbal import __version__
from skimbal._cli import main
from skimbal.demo import make_demo_data

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FAST = ["--cv", "3", "--max-steps", "100"]


@pytest.fixture(scope="module")
def churn(tmp_path_factory):
    """300 stay / 30 churn, a text target, a categorical and a boolean column."""
    X, y = make_demo_data(counts=(300, 30), n_noise=1)
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(X, columns=["usage", "noise"])
    frame.loc[3, "usage"] = np.nan  # imputed
    frame["plan"] = rng.choice(["basic", "pro", "family"], len(y))
    frame["member"] = rng.rand(len(y)) < 0.3
    frame["outcome"] = np.where(y == 1, "churn", "stay").astype(object)
    frame.loc[5, "outcome"] = None  # dropped, with a warning
    directory = tmp_path_factory.mktemp("data")
    frame.to_csv(directory / "churn.csv", index=False)
    frame.to_parquet(directory / "churn.parquet")
    return directory


def is_png(path):
    data = path.read_bytes()
    return data[:8] == PNG_MAGIC and len(data) > 10_000


def test_compare_csv_with_text_target_and_categories(churn, tmp_path, capsys):
    out = tmp_path / "report"
    argv = ["compare", str(churn / "churn.csv"), "--target", "outcome", *FAST]
    status = main([*argv, "--strategies", "none", "class_weight", "--out", str(out)])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert (
        "329 out-of-fold predictions, class counts {'churn': 30, 'stay': 299}"
        in captured.out
    )
    for word in ("none", "class_weight", "recall[churn]", "recall[stay]", "PR-AUC"):
        assert word in captured.out
    # the table, then what was written
    assert f"wrote {out / 'report.md'}" in captured.out
    # the warning about the dropped row, and the progress bar over 2 x 3 fits
    assert "skimbal: warning: dropped 1 rows whose target 'outcome'" in captured.err
    assert "6/6" in captured.err
    report = (out / "report.md").read_text()
    assert "| recall[churn] |" in report
    assert "![Confusion matrices](confusion_matrices.png)" in report
    assert "![Precision-recall curves](precision_recall.png)" in report
    assert is_png(out / "confusion_matrices.png")
    assert is_png(out / "precision_recall.png")


def test_compare_parquet_quietly(churn, tmp_path, capsys):
    out = tmp_path / "pq"
    argv = ["compare", str(churn / "churn.parquet"), "--target", "plan", "--quiet"]
    status = main([*argv, "--strategies", "focal", "--out", str(out), *FAST])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert captured.err == ""  # neither progress bar nor warnings
    # three classes: recall per plan, no PR curve
    for word in ("recall[basic]", "recall[family]", "recall[pro]"):
        assert word in captured.out
    assert "PR-AUC" not in captured.out
    assert is_png(out / "confusion_matrices.png")
    assert not (out / "precision_recall.png").exists()


def _console_script():
    script = Path(sys.executable).with_name("skimbal")
    if not script.exists():
        pytest.skip("the skimbal console script is not installed next to python")
    return script


def test_the_console_script_with_parallel_fits(churn, tmp_path, capsys):
    """The installed entry point, with --n-jobs 2, prints what main() does."""
    args = ["compare", str(churn / "churn.csv"), "--target", "outcome"]
    args += ["--strategies", "none", "focal", "--cv", "2", "--max-steps", "30"]
    assert main([*args, "--out", str(tmp_path / "seq"), "--quiet"]) == 0
    sequential = capsys.readouterr().out
    run = subprocess.run(
        [str(_console_script()), *args, "--out", str(tmp_path / "par")]
        + ["--n-jobs", "2"],
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert "4/4" in run.stderr  # the progress bar reached all fits

    def scores(text):  # the table without the timings and paths
        return [
            line
            for line in text.splitlines()
            if not line.startswith(("fit time", "wrote"))
        ]

    assert "recall[churn]" in run.stdout
    assert scores(run.stdout) == scores(sequential)
    assert (tmp_path / "par" / "report.md").exists()


def test_python_dash_m_skimbal(monkeypatch, capsys):
    import runpy

    monkeypatch.setattr(sys, "argv", ["skimbal", "--version"])
    with pytest.raises(SystemExit) as exc:
        runpy.run_module("skimbal", run_name="__main__")
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"skimbal {__version__}"


def test_demo_subcommand_runs_the_demo(monkeypatch):
    import skimbal.demo

    calls = []
    monkeypatch.setattr(skimbal.demo, "main", lambda: calls.append("demo"))
    assert main(["demo"]) == 0
    assert calls == ["demo"]


def _write(directory, name, content):
    path = directory / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


@pytest.mark.parametrize(
    "case, status, message",
    [
        ("missing file", 2, r"'[^']*nope\.csv': no such file"),
        ("unknown target", 2, r"--target 'label' is not a column .* 'usage', 'noise'"),
        ("one class", 1, r"the target column 'outcome' has only one class \('stay'\)"),
        ("bad suffix", 2, r"unsupported file type '\.xlsx'"),
        ("corrupt csv", 1, r"cannot read '[^']*bad\.csv' as CSV: .*Expected 2 fields"),
        ("corrupt parquet", 1, r"cannot read '[^']*bad\.parquet' as Parquet"),
        ("no features", 1, r"no feature columns: the data has only the target"),
        (
            "unknown strategy",
            2,
            r"--strategies: unknown strategy 'smote'; use 'none' or",
        ),
    ],
)
def test_errors_are_one_line_without_traceback(
    case, status, message, churn, tmp_path, capsys
):
    csv = str(churn / "churn.csv")
    target = ["--target", "outcome"]
    argv = {
        "missing file": [str(tmp_path / "nope.csv"), *target],
        "unknown target": [csv, "--target", "label"],
        "one class": [
            str(_write(tmp_path, "one.csv", "x,outcome\n1,stay\n2,stay\n3,stay\n")),
            *target,
        ],
        "bad suffix": [str(_write(tmp_path, "data.xlsx", "x")), *target],
        "corrupt csv": [
            str(_write(tmp_path, "bad.csv", "x,outcome\n1,a\n2,b,3,4\n")),
            *target,
        ],
        "corrupt parquet": [
            str(_write(tmp_path, "bad.parquet", b"PAR1 this is not parquet")),
            *target,
        ],
        "no features": [
            str(_write(tmp_path, "target.csv", "outcome\na\nb\na\nb\n")),
            *target,
        ],
        "unknown strategy": [csv, *target, "--strategies", "none", "smote"],
    }[case]
    code = main(["compare", *argv, "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == status
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("skimbal: error: ")
    assert "Traceback" not in captured.err
    assert re.search(message, lines[0]), lines[0]
    assert not (tmp_path / "out").exists()


def test_a_closed_pipe_ends_quietly(monkeypatch, capsys):
    # ``skimbal demo | head -1``: writing to a pipe whose reader has gone
    class ClosedPipe:
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            pass

    def demo():
        print("skimbal demo: ...")

    monkeypatch.setattr("skimbal.demo.main", demo)
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["demo"]) == 1  # no traceback, no exception
    assert capsys.readouterr().err == ""


def test_usage_errors_exit_with_status_2(capsys):
    assert main([]) == 2
    assert main(["compare", "data.csv"]) == 2  # --target is required
    assert main(["compare", "data.csv", "--target", "y", "--cv", "1"]) == 2
    err = capsys.readouterr().err
    assert "the following arguments are required: --target" in err
    assert "--cv: must be at least 2, got 1" in err
