"""The ``skimbal`` command: ``skimbal demo`` and ``skimbal compare DATA``.

Exit status: 0 on success; 2 for a bad command line, including a DATA file
that does not exist or has an unsupported suffix, an unknown ``--target``
column and an unknown strategy; 1 when the data cannot be read or used (a
corrupt file, a target with one class, no feature columns) or a fit fails.
Errors are printed as one line, ``skimbal: error: ...``, on standard error.
"""

import argparse
import os
import sys
import warnings
from pathlib import Path

import numpy as np

from ._version import __version__

__all__ = ["main"]

PROG = "skimbal"
CSV_SUFFIXES = (".csv",)
PARQUET_SUFFIXES = (".parquet", ".pq")
COMPRESSION_SUFFIXES = (".gz", ".bz2", ".zip", ".xz", ".zst")


class CommandError(Exception):
    """An error reported as one line, with an exit status."""

    def __init__(self, message, status=1):
        super().__init__(message)
        self.status = status


def build_parser():
    """The argument parser of the ``skimbal`` command.

    Returns
    -------
    parser : argparse.ArgumentParser
    """
    from .demo import STRATEGIES

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Neural-net classifiers for imbalanced tabular data.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    commands.add_parser(
        "demo",
        help="compare the four strategies on a synthetic 1000/100/10 problem",
        description="Run the demo of `python -m skimbal.demo`.",
    )

    compare = commands.add_parser(
        "compare",
        help="cross-validate rebalancing strategies on a CSV or Parquet file",
        description=(
            "Cross-validate ImbalancedNetClassifier strategies on the same "
            "stratified folds of a table. Numeric columns are median-imputed and "
            "standardised; text, categorical and boolean columns are one-hot "
            "encoded (missing values become their own category); other columns "
            "(dates, ...) are dropped with a warning, as are rows whose target is "
            "missing. Prints a table of the metrics and writes DIR/report.md "
            "with confusion-matrix (and, for two classes, precision-recall) PNGs."
        ),
    )
    compare.add_argument(
        "data", metavar="DATA", help="a CSV file with a header row, or Parquet"
    )
    compare.add_argument(
        "--target", required=True, metavar="COLUMN", help="the column to predict"
    )
    compare.add_argument(
        "--strategies",
        nargs="+",
        default=list(STRATEGIES),
        metavar="STRATEGY",
        help=f"strategies to compare (default: {' '.join(STRATEGIES)}); "
        "combinations such as sampler+focal too",
    )
    compare.add_argument(
        "--cv", type=_at_least(2), default=5, metavar="K", help="folds (default: 5)"
    )
    compare.add_argument(
        "--out",
        default="skimbal-report",
        metavar="DIR",
        help="report directory (default: skimbal-report)",
    )
    compare.add_argument(
        "--random-state",
        type=int,
        default=0,
        metavar="N",
        help="seed of the folds and the nets (default: 0)",
    )
    compare.add_argument(
        "--max-steps",
        type=_at_least(1),
        default=None,
        metavar="N",
        help="cap on the optimiser steps per fit (default: the classifier's)",
    )
    compare.add_argument(
        "--pos-label",
        default=None,
        metavar="LABEL",
        help="binary targets: the class of the PR curves (default: the rarer)",
    )
    compare.add_argument(
        "--n-jobs",
        type=int,
        default=None,
        metavar="N",
        help="fits to run in parallel (default: 1; -1: all cores)",
    )
    compare.add_argument(
        "--quiet", action="store_true", help="no progress bar and no warnings"
    )
    return parser


def _at_least(minimum):
    def convert(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return convert


def main(argv=None):
    """Run the ``skimbal`` command.

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments after the program name; None reads ``sys.argv``.

    Returns
    -------
    status : int
        The exit status: 0 on success, 1 for unusable data or a failed fit,
        2 for a bad command line.
    """
    try:
        return _run(argv)
    except BrokenPipeError:
        # the reader went away (``skimbal demo | head``): stop quietly, and keep
        # Python from reporting the same error again when it flushes at exit
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (AttributeError, OSError, ValueError):
            pass  # stdout is no file (captured)
        return 1


def _run(argv):
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error
        return exc.code if isinstance(exc.code, int) else 2
    try:
        if args.command == "demo":
            from .demo import main as demo_main

            demo_main()
            return 0
        return _compare(args)
    except CommandError as exc:
        _error(str(exc))
        return exc.status
    except KeyboardInterrupt:
        _error("interrupted")
        return 130


def _error(message):
    message = " ".join(str(message).split())  # one line, whatever the cause said
    print(f"{PROG}: error: {message}", file=sys.stderr)


def _warn(message):
    print(f"{PROG}: warning: {message}", file=sys.stderr)


def _compare(args):
    from ._compare import compare_strategies
    from ._validation import STRATEGY_COMPONENTS, parse_strategy

    for strategy in args.strategies:
        try:
            parse_strategy(strategy)
        except ValueError:
            raise CommandError(
                f"--strategies: unknown strategy {strategy!r}; use 'none' or one or "
                f"more of {', '.join(map(repr, STRATEGY_COMPONENTS))} joined by '+' "
                "(e.g. sampler+focal), each at most once",
                status=2,
            ) from None
    if len(set(args.strategies)) != len(args.strategies):
        raise CommandError("--strategies: each strategy at most once", status=2)

    frame = read_table(args.data)
    X, y = split_target(frame, args.target, warn=not args.quiet)
    pos_label = _match_label(args.pos_label, y)
    pipeline = make_pipeline(
        X, random_state=args.random_state, max_steps=args.max_steps
    )

    from sklearn.model_selection import StratifiedKFold

    cv = StratifiedKFold(args.cv, shuffle=True, random_state=args.random_state)
    with warnings.catch_warnings():
        if args.quiet:
            warnings.simplefilter("ignore")
        else:
            warnings.simplefilter("default")
            warnings.showwarning = _show_warning
        try:
            result = compare_strategies(
                pipeline,
                X,
                y,
                strategies=args.strategies,
                cv=cv,
                pos_label=pos_label,
                n_jobs=args.n_jobs,
                progress=not args.quiet,
            )
        except ImportError as exc:
            raise CommandError(exc) from None
        except ValueError as exc:
            raise CommandError(f"cannot compare the strategies: {exc}") from None
        print(result.to_string())
        try:
            report = result.write_report(args.out)
        except (ImportError, OSError) as exc:
            raise CommandError(f"cannot write the report: {exc}") from None
    written = ["report.md", "confusion_matrices.png"]
    if result.pos_label is not None:
        written.append("precision_recall.png")
    print(f"\nwrote {', '.join(str(report.parent / name) for name in written)}")
    return 0


def _show_warning(message, category, filename, lineno, file=None, line=None):
    _warn(f"{message} ({category.__name__})")


def read_table(path):
    """Read a CSV (with a header row) or Parquet file into a DataFrame.

    Parameters
    ----------
    path : str or path-like
        Chosen by suffix: ``.csv`` (optionally compressed, e.g. ``.csv.gz``),
        ``.parquet`` or ``.pq``.

    Returns
    -------
    frame : pandas.DataFrame

    Raises
    ------
    CommandError
        Status 2 for a missing file or unsupported suffix, 1 for a file that
        cannot be parsed.
    """
    try:
        import pandas as pd
    except ImportError:
        raise CommandError(
            "skimbal compare needs pandas: pip install 'skimbal[cli]'"
        ) from None
    path = Path(path)
    if not path.exists():
        raise CommandError(f"{str(path)!r}: no such file", status=2)
    if path.is_dir():
        raise CommandError(f"{str(path)!r} is a directory, not a data file", status=2)
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in COMPRESSION_SUFFIXES:
        suffixes = suffixes[:-1]
    suffix = suffixes[-1] if suffixes else ""
    if suffix in CSV_SUFFIXES:
        kind, reader = "CSV", pd.read_csv
    elif suffix in PARQUET_SUFFIXES:
        kind, reader = "Parquet", pd.read_parquet
    else:
        raise CommandError(
            f"{str(path)!r}: unsupported file type {suffix or '(no suffix)'!r}; "
            "give a .csv or .parquet file",
            status=2,
        )
    try:
        frame = reader(path)
    except ImportError as exc:
        raise CommandError(f"cannot read {kind}: {exc}") from None
    except Exception as exc:  # parsers raise many types for a corrupt file
        detail = str(exc) or type(exc).__name__
        raise CommandError(f"cannot read {str(path)!r} as {kind}: {detail}") from None
    if frame.shape[0] == 0:
        raise CommandError(f"{str(path)!r} has no data rows")
    return frame


def split_target(frame, target, warn=True):
    """Separate the target column and keep usable feature columns.

    Rows with a missing target are dropped (with a warning); so are feature
    columns that are neither numeric nor text, categorical or boolean.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.
    target : str
        Name of the target column.
    warn : bool, default=True
        Print warnings about dropped rows and columns on standard error.

    Returns
    -------
    X : pandas.DataFrame
        The feature columns.
    y : ndarray of shape (n_samples,)
        The target.
    """
    if target not in frame.columns:
        available = ", ".join(map(repr, map(str, frame.columns)))
        raise CommandError(
            f"--target {target!r} is not a column of the data; the columns are "
            f"{available}",
            status=2,
        )
    missing = frame[target].isna()
    if missing.all():
        raise CommandError(f"the target column {target!r} has no values")
    if missing.any():
        if warn:
            _warn(
                f"dropped {int(missing.sum())} rows whose target {target!r} is missing"
            )
        frame = frame.loc[~missing]
    y = frame[target].to_numpy()
    if y.dtype == object:
        kinds = {type(v) for v in y}
        if len(kinds) > 1:  # e.g. numbers and text in one CSV column
            y = y.astype(str)
    classes = np.unique(y)
    if len(classes) < 2:
        raise CommandError(
            f"the target column {target!r} has only one class ({_label(classes[0])}); "
            "at least two are needed"
        )
    X = frame.drop(columns=[target])
    numeric, categorical = feature_columns(X)
    other = [c for c in X.columns if c not in numeric and c not in categorical]
    if other and warn:
        kinds = ", ".join(f"{c!r} ({X[c].dtype})" for c in other)
        _warn(f"ignoring columns that are neither numbers nor categories: {kinds}")
    if not numeric and not categorical:
        raise CommandError(
            f"no feature columns: the data has only the target {target!r}"
            + (f" and unusable columns {other!r}" if other else "")
        )
    return X[numeric + categorical], y


def _label(value):
    return repr(value.item() if isinstance(value, np.generic) else value)


def _match_label(text, y):
    if text is None:
        return None
    for label in np.unique(y):
        if str(label) == text:
            return label
    raise CommandError(
        f"--pos-label {text!r} is not a class of the target; the classes are "
        f"{', '.join(_label(c) for c in np.unique(y))}",
        status=2,
    )


def feature_columns(X):
    """Split the columns of a DataFrame into numeric and categorical ones.

    Parameters
    ----------
    X : pandas.DataFrame

    Returns
    -------
    numeric, categorical : list, list
        Column names: numbers (not booleans); text, categorical, boolean.
    """
    import pandas as pd

    numeric, categorical = [], []
    for column in X.columns:
        dtype = X[column].dtype
        if pd.api.types.is_bool_dtype(dtype):
            categorical.append(column)
        elif pd.api.types.is_numeric_dtype(dtype):
            numeric.append(column)
        elif isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(
            dtype
        ):
            categorical.append(column)
        elif pd.api.types.is_object_dtype(dtype):  # mixed, e.g. bools and NaN
            categorical.append(column)
    return numeric, categorical


def _as_float32(X):
    return np.asarray(X, dtype=np.float32)


def _as_text(X):
    """Categorical columns as text, missing values as their own category."""
    import pandas as pd

    X = np.asarray(X, dtype=object)
    text = X.astype(str)
    text[pd.isna(X)] = "<missing>"
    return text


def make_pipeline(X, *, random_state=0, max_steps=None):
    """The model of ``skimbal compare``: encode the columns, then the net.

    Parameters
    ----------
    X : pandas.DataFrame
        The feature columns, to choose the encoders.
    random_state : int, default=0
        Seed of the net.
    max_steps : int or None, default=None
        The net's ``max_steps``; None keeps the classifier's default.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        ``ColumnTransformer`` (median imputation and ``StandardScaler`` for
        numbers, ``OneHotEncoder(handle_unknown="ignore")`` for categories),
        a cast to float32, then ``ImbalancedNetClassifier`` as step ``"net"``.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    from ._classifier import ImbalancedNetClassifier

    numeric, categorical = feature_columns(X)
    transformers = []
    if numeric:
        transformers.append(
            (
                "numeric",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                numeric,
            )
        )
    if categorical:
        transformers.append(
            (
                "categorical",
                make_pipeline(
                    FunctionTransformer(_as_text),
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ),
                categorical,
            )
        )
    net_params = {"random_state": random_state}
    if max_steps is not None:
        net_params["max_steps"] = max_steps
    return Pipeline(
        [
            ("features", ColumnTransformer(transformers, sparse_threshold=0.0)),
            ("float32", FunctionTransformer(_as_float32)),
            ("net", ImbalancedNetClassifier(**net_params)),
        ]
    )
