"""skimbal: a scikit-learn compatible neural-net classifier for imbalanced data."""

from ._classifier import ImbalancedNetClassifier
from ._compare import StrategyComparison, compare_strategies
from ._losses import FocalLoss, LogitAdjustedLoss
from ._module import TabularMLP
from ._persistence import dump, load
from ._split import StratifiedValidSplit
from ._version import __version__

__all__ = [
    "FocalLoss",
    "ImbalancedNetClassifier",
    "LogitAdjustedLoss",
    "StrategyComparison",
    "StratifiedValidSplit",
    "TabularMLP",
    "__version__",
    "compare_strategies",
    "dump",
    "load",
]
