"""Cross-validate the rebalancing strategies of one estimator side by side."""

import math
import time
import warnings
from numbers import Integral
from pathlib import Path

import numpy as np
from imblearn.metrics import classification_report_imbalanced, geometric_mean_score
from sklearn.base import clone
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    recall_score,
)
from sklearn.model_selection import StratifiedKFold, check_cv
from sklearn.utils import _safe_indexing
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_consistent_length, column_or_1d

from ._classifier import ImbalancedNetClassifier
from ._validation import parse_strategy

__all__ = ["StrategyComparison", "compare_strategies"]

DEFAULT_STRATEGIES = ("none", "class_weight", "sampler", "focal")
CV_RANDOM_STATE = 0  # seed of the StratifiedKFold an int ``cv`` stands for

# metric key -> label of the text and markdown tables
_HEADERS = {
    "balanced_accuracy": "balanced accuracy",
    "f1_macro": "macro F1",
    "geometric_mean": "geometric mean",
    "average_precision": "PR-AUC (AP)",
    "fit_time": "fit time (s)",
}


def compare_strategies(
    estimator,
    X,
    y,
    *,
    strategies=DEFAULT_STRATEGIES,
    cv=5,
    groups=None,
    pos_label=None,
    n_jobs=None,
    progress=False,
):
    """Cross-validate several ``strategy`` values of one estimator on the same folds.

    Every strategy is fitted on the same train/test splits, on a fresh
    :func:`~sklearn.base.clone` of ``estimator`` per fit. The out-of-fold
    predictions are kept, so the result can report per-fold metrics, summed
    confusion matrices, precision-recall curves and imbalanced-learn's
    classification report.

    Parameters
    ----------
    estimator : ImbalancedNetClassifier or Pipeline
        The model to compare. A :class:`~sklearn.pipeline.Pipeline` (or
        imbalanced-learn's) must end in an :class:`ImbalancedNetClassifier`,
        possibly inside a nested pipeline; its ``strategy`` is set with
        ``set_params(<step>__strategy=...)``.
    X : array-like of shape (n_samples, n_features) or DataFrame
        Features, as ``estimator.fit`` takes them.
    y : array-like of shape (n_samples,)
        Class labels, at least two distinct ones.
    strategies : sequence of str, default=("none", "class_weight", "sampler", \
"focal")
        Values of the classifier's ``strategy`` parameter, including
        ``"+"``-combinations such as ``"sampler+focal"``.
    cv : int or cross-validation splitter, default=5
        An int means ``StratifiedKFold(cv, shuffle=True, random_state=0)``;
        otherwise any scikit-learn splitter (or iterable of splits), which is
        split once, so all strategies see the same folds.
    groups : array-like of shape (n_samples,), default=None
        Group labels for group-aware splitters such as ``GroupKFold``.
    pos_label : label or None, default=None
        Binary problems only: the class whose precision-recall curve and
        average precision are reported. ``None`` takes the less frequent
        class (``classes_[1]`` on a tie).
    n_jobs : int or None, default=None
        Number of (strategy, fold) fits run in parallel with joblib, in
        processes; ``None`` means 1 unless in a :func:`joblib.parallel_config`
        context, ``-1`` uses all processors. Each fit seeds torch's global
        random state for its duration, so a thread-based backend would make
        parallel fits interfere; keep joblib's default process backend.
    progress : bool, default=False
        Show a tqdm progress bar that ticks as each fit finishes (needs the
        ``tqdm`` package).

    Returns
    -------
    comparison : StrategyComparison
        Scores, out-of-fold predictions and confusion matrices of each
        strategy, with methods to print, plot and write a report.

    See Also
    --------
    StrategyComparison : The result, its tables and plots.
    sklearn.model_selection.cross_validate : One estimator, scores only.

    Notes
    -----
    Per fold, each strategy is scored with balanced accuracy, macro-averaged
    F1, the geometric mean of the per-class recalls
    (:func:`imblearn.metrics.geometric_mean_score`), the recall of each class
    and, for two classes, the average precision (PR-AUC) of ``pos_label``.
    A class missing from a test fold has an undefined recall there (NaN),
    which the means and standard deviations skip.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skimbal import ImbalancedNetClassifier, compare_strategies
    >>> X, y = make_classification(n_samples=60, weights=[0.8], random_state=0)
    >>> net = ImbalancedNetClassifier(max_steps=30, random_state=0)
    >>> result = compare_strategies(net, X, y, strategies=["none", "focal"], cv=2)
    >>> result.strategies
    ('none', 'focal')
    >>> int(result.confusion_matrices["focal"].sum())  # each sample scored once
    60
    >>> sorted(result.summary()["focal"])[:3]
    ['average_precision', 'balanced_accuracy', 'f1_macro']
    """
    prefix = _strategy_prefix(estimator)
    strategies = _check_strategies(strategies)
    y = column_or_1d(y, warn=True)
    check_consistent_length(X, y)
    check_classification_targets(y)
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2:
        raise ValueError(
            f"compare_strategies needs at least two classes in y; got only "
            f"{classes.tolist()!r} ({len(y)} samples)."
        )
    pos_label = _check_pos_label(pos_label, classes, counts)
    if isinstance(cv, Integral) and not isinstance(cv, bool):
        cv = StratifiedKFold(cv, shuffle=True, random_state=CV_RANDOM_STATE)
    else:
        cv = check_cv(cv, y, classifier=True)
    folds = [(np.asarray(tr), np.asarray(te)) for tr, te in cv.split(X, y, groups)]

    jobs = [(s, k) for s in strategies for k in range(len(folds))]
    estimators = [
        clone(estimator).set_params(**{f"{prefix}strategy": s}) for s, _ in jobs
    ]
    calls = (
        delayed(_fit_and_predict)(i, est, X, y, *folds[k])
        for i, (est, (_, k)) in enumerate(zip(estimators, jobs))
    )
    outputs = [None] * len(jobs)
    with _progress_bar(progress, len(jobs)) as bar:
        for i, result in _run(n_jobs, calls):
            outputs[i] = result
            bar.update(1)

    predictions = {}
    for strategy in strategies:
        parts = [outputs[jobs.index((strategy, k))] for k in range(len(folds))]
        predictions[strategy] = {
            "fold": np.concatenate(
                [np.full(len(te), k) for k, (_, te) in enumerate(folds)]
            ),
            "index": np.concatenate([te for _, te in folds]),
            "y_true": np.concatenate([y[te] for _, te in folds]),
            "y_pred": np.concatenate([p["y_pred"] for p in parts]),
            "proba": np.vstack(
                [_align_proba(p["proba"], p["classes"], classes) for p in parts]
            ),
            "fit_time": np.array([p["fit_time"] for p in parts]),
        }
    return StrategyComparison(
        strategies=strategies,
        classes=classes,
        folds=folds,
        predictions=predictions,
        pos_label=pos_label,
        cv=cv,
    )


def _strategy_prefix(estimator):
    """``""`` for a net, ``"<step>__"`` for the net inside a (nested) pipeline."""
    if isinstance(estimator, ImbalancedNetClassifier):
        return ""
    steps = getattr(estimator, "steps", None)
    if steps:
        name, last = steps[-1]
        try:
            return f"{name}__{_strategy_prefix(last)}"
        except TypeError:
            pass
    raise TypeError(
        "compare_strategies needs an ImbalancedNetClassifier or a Pipeline whose "
        f"last step is one; got {_describe(estimator)}."
    )


def _describe(estimator):
    steps = getattr(estimator, "steps", None)
    if not steps:
        return f"a {type(estimator).__name__}"
    last = steps[-1][1]
    return f"a {type(estimator).__name__} whose last step {steps[-1][0]!r} is " + (
        repr(last) if isinstance(last, str) else f"a {type(last).__name__}"
    )


def _check_strategies(strategies):
    if isinstance(strategies, str):
        strategies = [strategies]
    strategies = tuple(strategies)
    if not strategies:
        raise ValueError("compare_strategies needs at least one strategy; got none.")
    for strategy in strategies:
        if not isinstance(strategy, str):
            raise TypeError(
                f"strategies must be strings such as 'class_weight'; got "
                f"{strategy!r} of type {type(strategy).__name__}."
            )
        parse_strategy(strategy)  # the classifier's own error message
    repeated = sorted({s for s in strategies if strategies.count(s) > 1})
    if repeated:
        raise ValueError(f"strategies must be distinct; {repeated!r} repeated.")
    return strategies


def _check_pos_label(pos_label, classes, counts):
    if len(classes) != 2:
        if pos_label is not None:
            raise ValueError(
                f"pos_label={pos_label!r} is only used for binary targets; y has "
                f"{len(classes)} classes."
            )
        return None
    if pos_label is None:
        return classes[0] if counts[0] < counts[1] else classes[1]
    if pos_label not in classes.tolist():
        raise ValueError(
            f"pos_label={pos_label!r} is not a class of y; the classes are "
            f"{classes.tolist()!r}."
        )
    return classes[classes.tolist().index(pos_label)]


def _fit_and_predict(job, estimator, X, y, train, test):
    start = time.perf_counter()
    estimator.fit(_safe_indexing(X, train), y[train])
    fit_time = time.perf_counter() - start
    X_test = _safe_indexing(X, test)
    return job, {
        "y_pred": estimator.predict(X_test),
        "proba": estimator.predict_proba(X_test),
        "classes": estimator.classes_,
        "fit_time": fit_time,
    }


def _run(n_jobs, calls):
    """Yield ``(job, result)`` as the fits finish."""
    try:
        parallel = Parallel(
            n_jobs=n_jobs, prefer="processes", return_as="generator_unordered"
        )
    except ValueError:  # joblib < 1.4: results come all at once
        parallel = Parallel(n_jobs=n_jobs, prefer="processes")
    yield from parallel(calls)


class _NoBar:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n=1):
        pass


def _progress_bar(progress, total):
    if not progress:
        return _NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError as exc:
        raise ImportError(
            "progress=True needs the tqdm package: pip install tqdm (or "
            "pip install 'skimbal[cli]'), or pass progress=False."
        ) from exc
    return tqdm(total=total, desc="compare_strategies", unit="fit")


def _align_proba(proba, fitted_classes, classes):
    """Put the columns of a fold's ``predict_proba`` in the order of ``classes``.

    A training fold that misses a class gives fewer columns; the missing class
    gets probability 0.
    """
    fitted_classes = np.asarray(fitted_classes)
    if len(fitted_classes) == len(classes) and (fitted_classes == classes).all():
        return proba
    aligned = np.zeros((len(proba), len(classes)), dtype=proba.dtype)
    aligned[:, np.searchsorted(classes, fitted_classes)] = proba
    return aligned


def _require_matplotlib(what):
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(
            f"{what} needs matplotlib: pip install matplotlib (or pip install "
            "'skimbal[cli]')."
        ) from exc
    return Figure


class StrategyComparison:
    """Cross-validated scores of several strategies on the same folds.

    Parameters
    ----------
    strategies : tuple of str
        The strategies compared, in order.
    classes : ndarray of shape (n_classes,)
        The sorted class labels.
    folds : list of (ndarray, ndarray)
        Train and test indices of each fold, shared by all strategies.
    predictions : dict of str to dict
        Out-of-fold predictions of each strategy, as in the attribute.
    pos_label : label or None
        The positive class of a binary problem, else None.
    cv : cross-validation splitter
        The splitter that made ``folds``.

    Attributes
    ----------
    strategies : tuple of str
        The strategies compared, in order.
    classes_ : ndarray of shape (n_classes,)
        The class labels; rows and columns of the confusion matrices and
        columns of ``proba`` follow this order.
    folds : list of (ndarray, ndarray)
        Train and test indices of each fold.
    predictions : dict of str to dict of ndarray
        Per strategy, the test rows of all folds concatenated in fold order:
        ``"fold"`` (fold number), ``"index"`` (row of ``X``), ``"y_true"``,
        ``"y_pred"`` and ``"proba"`` (shape ``(n_rows, n_classes)``); plus
        ``"fit_time"``, the seconds of each fold's fit.
    scores : dict of str to dict of ndarray
        Per strategy, each metric's value on each fold (shape
        ``(n_folds,)``): ``"balanced_accuracy"``, ``"f1_macro"``,
        ``"geometric_mean"``, ``"recall[<label>]"`` per class,
        ``"average_precision"`` (binary only) and ``"fit_time"``.
    confusion_matrices : dict of str to ndarray of shape (n_classes, n_classes)
        Per strategy, the sum of the test folds' confusion matrices; rows are
        true classes and columns predicted ones, in ``classes_`` order.
    pos_label : label or None
        The positive class of the average precision and the precision-recall
        curves (binary problems), else None.
    cv : cross-validation splitter
        The splitter used.
    """

    def __init__(self, *, strategies, classes, folds, predictions, pos_label, cv):
        self.strategies = tuple(strategies)
        self.classes_ = np.asarray(classes)
        self.folds = folds
        self.predictions = predictions
        self.pos_label = pos_label
        self.cv = cv
        self.scores = {s: self._fold_scores(predictions[s]) for s in self.strategies}
        self.confusion_matrices = {
            s: sum(
                confusion_matrix(
                    p["y_true"][p["fold"] == k],
                    p["y_pred"][p["fold"] == k],
                    labels=self.classes_,
                )
                for k in range(len(folds))
            )
            for s, p in predictions.items()
        }

    # ------------------------------------------------------------- metrics

    def _fold_scores(self, pred):
        labels = self.classes_
        metrics = {
            "balanced_accuracy": [],
            "f1_macro": [],
            "geometric_mean": [],
            **{self._recall_key(c): [] for c in labels},
        }
        if self.pos_label is not None:
            metrics["average_precision"] = []
        pos_column = (
            None if self.pos_label is None else labels.tolist().index(self.pos_label)
        )
        for k in range(len(self.folds)):
            with warnings.catch_warnings():
                # a class missing from a test fold: its recall is NaN, and the
                # splitter has already warned about the small class
                warnings.simplefilter("ignore", UndefinedMetricWarning)
                warnings.filterwarnings("ignore", "y_pred contains classes not in")
                self._score_fold(metrics, pred, k, pos_column)
        metrics["fit_time"] = pred["fit_time"]
        return {key: np.asarray(values, dtype=float) for key, values in metrics.items()}

    def _score_fold(self, metrics, pred, k, pos_column):
        labels = self.classes_
        in_fold = pred["fold"] == k
        y_true, y_pred = pred["y_true"][in_fold], pred["y_pred"][in_fold]
        metrics["balanced_accuracy"].append(balanced_accuracy_score(y_true, y_pred))
        metrics["f1_macro"].append(
            f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)
        )
        metrics["geometric_mean"].append(
            geometric_mean_score(y_true, y_pred, labels=labels)
        )
        recalls = recall_score(
            y_true, y_pred, labels=labels, average=None, zero_division=np.nan
        )
        for c, r in zip(labels, recalls):
            metrics[self._recall_key(c)].append(r)
        if pos_column is not None:
            metrics["average_precision"].append(
                average_precision_score(
                    y_true,
                    pred["proba"][in_fold, pos_column],
                    pos_label=self.pos_label,
                )
            )

    @staticmethod
    def _recall_key(label):
        return f"recall[{label}]"

    @property
    def metric_names(self):
        """The metric keys of ``scores``, in table order."""
        return list(self.scores[self.strategies[0]])

    def summary(self):
        """Mean and standard deviation of each metric over the folds.

        Returns
        -------
        summary : dict of str to dict of str to (float, float)
            ``summary()[strategy][metric] == (mean, std)``; NaN folds (a class
            missing from a test fold) are skipped.
        """
        return {
            s: {
                key: (float(np.nanmean(v)), float(np.nanstd(v)))
                if not np.isnan(v).all()
                else (math.nan, math.nan)
                for key, v in scores.items()
            }
            for s, scores in self.scores.items()
        }

    def to_frame(self, per_fold=False):
        """The scores as a pandas DataFrame.

        Parameters
        ----------
        per_fold : bool, default=False
            ``False``: one row per strategy, with columns ``(metric, "mean")``
            and ``(metric, "std")``. ``True``: one row per (strategy, fold),
            one column per metric.

        Returns
        -------
        frame : pandas.DataFrame
            Indexed by ``strategy`` (and ``fold``).
        """
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError(
                "to_frame needs pandas: pip install pandas (or pip install "
                "'skimbal[cli]'); the scores are also in the `scores` dict."
            ) from exc
        if per_fold:
            frames = [
                pd.DataFrame(scores).assign(strategy=s, fold=range(len(self.folds)))
                for s, scores in self.scores.items()
            ]
            return pd.concat(frames, ignore_index=True).set_index(["strategy", "fold"])
        summary = self.summary()
        columns = pd.MultiIndex.from_product([self.metric_names, ["mean", "std"]])
        rows = [
            [value for key in self.metric_names for value in summary[s][key]]
            for s in self.strategies
        ]
        return pd.DataFrame(
            rows, index=pd.Index(self.strategies, name="strategy"), columns=columns
        )

    # -------------------------------------------------------------- tables

    def _description(self):
        labels, counts = np.unique(
            self.predictions[self.strategies[0]]["y_true"], return_counts=True
        )
        counts = {_plain(c): int(n) for c, n in zip(labels, counts)}
        splitter = type(self.cv).__name__
        if splitter.startswith("_"):  # check_cv's wrapper of a list of splits
            splitter = "the given splits"
        text = (
            f"{len(self.folds)} folds of {splitter}, {sum(counts.values())} "
            f"out-of-fold predictions, class counts {counts}"
        )
        if self.pos_label is not None:
            text += f"; PR-AUC of class {_plain(self.pos_label)!r}"
        return text + "; mean ± std over the folds"

    def _cells(self):
        """Header row and metric rows of the transposed table (metrics as rows)."""
        summary = self.summary()
        header = ["metric", *self.strategies]
        rows = []
        for key in self.metric_names:
            digits = 2 if key == "fit_time" else 3
            label = _HEADERS.get(key, key)
            rows.append(
                [label]
                + [
                    f"{summary[s][key][0]:.{digits}f} ± {summary[s][key][1]:.{digits}f}"
                    for s in self.strategies
                ]
            )
        return header, rows

    def to_string(self):
        """The summary table as plain text, one row per metric.

        Returns
        -------
        text : str
        """
        header, rows = self._cells()
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        lines = [
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths))
            ).rstrip()
            for row in [header, *rows]
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join([self._description(), "", *lines])

    def __str__(self):
        return self.to_string()

    def __repr__(self):
        return (
            f"<StrategyComparison of {list(self.strategies)!r} on "
            f"{len(self.folds)} folds, classes {self.classes_.tolist()!r}>"
        )

    def to_markdown(self):
        """The summary table as a Markdown (GitHub) table.

        Returns
        -------
        text : str
        """
        header, rows = self._cells()
        return _markdown_table(header, rows)

    def confusion_matrix_markdown(self, strategy):
        """One strategy's summed out-of-fold confusion matrix as a Markdown table.

        Parameters
        ----------
        strategy : str
            One of ``strategies``.

        Returns
        -------
        text : str
            Rows are true classes, columns predicted ones.
        """
        cm = self.confusion_matrices[self._check_strategy(strategy)]
        header = ["true \\ predicted", *map(str, self.classes_)]
        rows = [[str(c), *map(str, row.tolist())] for c, row in zip(self.classes_, cm)]
        return _markdown_table(header, rows)

    def classification_reports(self):
        """imbalanced-learn's classification report of each strategy.

        Computed on the out-of-fold predictions of all folds together.

        Returns
        -------
        reports : dict of str to str
            The text of :func:`imblearn.metrics.classification_report_imbalanced`.
        """
        return {
            s: classification_report_imbalanced(
                p["y_true"],
                p["y_pred"],
                labels=self.classes_,
                target_names=[str(c) for c in self.classes_],
                zero_division=0,
            )
            for s, p in self.predictions.items()
        }

    def _check_strategy(self, strategy):
        if strategy not in self.strategies:
            raise KeyError(
                f"{strategy!r} was not compared; the strategies are "
                f"{list(self.strategies)!r}."
            )
        return strategy

    # --------------------------------------------------------------- plots

    def plot_confusion_matrices(self, path=None):
        """A grid of row-normalised confusion matrices, one per strategy.

        Each cell is the fraction of a true class (row) predicted as a class
        (column), over the out-of-fold predictions, so the diagonal is the
        per-class recall.

        Parameters
        ----------
        path : str, path-like or None, default=None
            If given, the figure is also saved there as PNG.

        Returns
        -------
        figure : matplotlib.figure.Figure
        """
        from sklearn.metrics import ConfusionMatrixDisplay

        Figure = _require_matplotlib("plot_confusion_matrices")
        n = len(self.strategies)
        ncols = math.ceil(math.sqrt(n))
        nrows = math.ceil(n / ncols)
        size = 1.6 + 0.6 * len(self.classes_)
        fig = Figure(figsize=(ncols * (size + 0.6), nrows * (size + 0.9)))
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        summary = self.summary()
        for ax, strategy in zip(axes, self.strategies):
            p = self.predictions[strategy]
            ConfusionMatrixDisplay.from_predictions(
                p["y_true"],
                p["y_pred"],
                labels=self.classes_,
                display_labels=[str(c) for c in self.classes_],
                normalize="true",
                values_format=".2f",
                colorbar=False,
                cmap="Blues",
                im_kw={"vmin": 0.0, "vmax": 1.0},
                ax=ax,
            )
            bacc = summary[strategy]["balanced_accuracy"][0]
            ax.set_title(f"{strategy}\nbalanced accuracy {bacc:.3f}", fontsize=10)
        for ax in axes[n:]:
            ax.set_visible(False)
        fig.suptitle("Out-of-fold confusion matrices (rows normalised)")
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, format="png", dpi=100)
        return fig

    def plot_precision_recall(self, path=None):
        """Precision-recall curves of all strategies on one axes (binary only).

        The curves and the average precision in the legend are computed from
        the out-of-fold probabilities of ``pos_label`` pooled over the folds
        (the table's PR-AUC is the mean of the per-fold values).

        Parameters
        ----------
        path : str, path-like or None, default=None
            If given, the figure is also saved there as PNG.

        Returns
        -------
        figure : matplotlib.figure.Figure

        Raises
        ------
        ValueError
            If the target has more than two classes.
        """
        from sklearn.metrics import PrecisionRecallDisplay

        if self.pos_label is None:
            raise ValueError(
                "plot_precision_recall is for binary targets only; this comparison "
                f"has {len(self.classes_)} classes {self.classes_.tolist()!r}. Use "
                "plot_confusion_matrices instead."
            )
        Figure = _require_matplotlib("plot_precision_recall")
        fig = Figure(figsize=(6.0, 5.0))
        ax = fig.subplots()
        column = self.classes_.tolist().index(self.pos_label)
        for i, strategy in enumerate(self.strategies):
            p = self.predictions[strategy]
            PrecisionRecallDisplay.from_predictions(
                p["y_true"],
                p["proba"][:, column],
                pos_label=self.pos_label,
                name=strategy,
                plot_chance_level=i == len(self.strategies) - 1,
                ax=ax,
            )
        ax.set_title(
            f"Out-of-fold precision-recall, positive class {_plain(self.pos_label)!r}"
        )
        ax.legend(loc="lower left", fontsize=9)
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, format="png", dpi=100)
        return fig

    # -------------------------------------------------------------- report

    def write_report(self, directory):
        """Write ``report.md`` and its PNG figures into ``directory``.

        The report holds the summary table, links to
        ``confusion_matrices.png`` (and, for binary targets,
        ``precision_recall.png``), each strategy's summed confusion matrix and
        its :func:`~imblearn.metrics.classification_report_imbalanced`.

        Parameters
        ----------
        directory : str or path-like
            Created if missing; existing files of the same names are replaced.

        Returns
        -------
        path : pathlib.Path
            The path of ``report.md``.
        """
        _require_matplotlib("write_report")
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.plot_confusion_matrices(directory / "confusion_matrices.png")
        images = [("Confusion matrices", "confusion_matrices.png")]
        if self.pos_label is not None:
            self.plot_precision_recall(directory / "precision_recall.png")
            images.append(("Precision-recall curves", "precision_recall.png"))
        lines = [
            "# skimbal strategy comparison",
            "",
            self._description() + ".",
            "",
            self.to_markdown(),
            "",
        ]
        for title, name in images:
            lines += [f"## {title}", "", f"![{title}]({name})", ""]
        lines += ["## Out-of-fold confusion matrices", ""]
        lines += ["Rows are true classes, columns predicted ones.", ""]
        for strategy in self.strategies:
            lines += [f"### {strategy}", "", self.confusion_matrix_markdown(strategy)]
            lines.append("")
        lines += ["## Classification reports (imbalanced-learn)", ""]
        for strategy, report in self.classification_reports().items():
            lines += [f"### {strategy}", "", "```", report.rstrip("\n"), "```", ""]
        path = directory / "report.md"
        path.write_text("\n".join(lines), encoding="utf-8")
        return path


def _plain(label):
    """A numpy scalar label as the Python value (for readable reprs)."""
    return label.item() if isinstance(label, np.generic) else label


def _markdown_table(header, rows):
    def line(cells):
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    separator = (
        "|"
        + "|".join(" :--- " if i == 0 else " ---: " for i in range(len(header)))
        + "|"
    )
    return "\n".join([line(header), separator, *map(line, rows)])
