"""skimbal: a scikit-learn compatible neural-net classifier for imbalanced data."""

from ._classifier import ImbalancedNetClassifier
from ._losses import FocalLoss
from ._module import TabularMLP
from ._split import StratifiedValidSplit
from ._version import __version__

__all__ = [
    "FocalLoss",
    "ImbalancedNetClassifier",
    "StratifiedValidSplit",
    "TabularMLP",
    "__version__",
]
