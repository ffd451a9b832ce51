"""The default network: a multi-layer perceptron for tabular data."""

from torch import nn


class TabularMLP(nn.Module):
    """Fully connected network that maps feature rows to class logits.

    ``ImbalancedNetClassifier`` uses it when no ``module`` is given and fills
    in ``n_features`` and ``n_classes`` from the data at ``fit``; every other
    argument is set through ``module__<name>``.

    Parameters
    ----------
    n_features : int
        Number of input features.
    n_classes : int
        Number of classes (output logits).
    hidden_units : tuple of int, default=(64, 64)
        Width of each hidden layer; ``()`` gives a linear model.
    dropout : float, default=0.1
        Dropout probability after each hidden activation; ``0`` adds no
        dropout layer.
    activation : type of torch.nn.Module, default=torch.nn.ReLU
        Activation after each hidden layer.

    Examples
    --------
    >>> import torch
    >>> from skimbal import TabularMLP
    >>> net = TabularMLP(n_features=4, n_classes=3, hidden_units=(8,))
    >>> net(torch.zeros(5, 4)).shape
    torch.Size([5, 3])
    """

    def __init__(
        self,
        n_features,
        n_classes,
        hidden_units=(64, 64),
        dropout=0.1,
        activation=nn.ReLU,
    ):
        super().__init__()
        layers = []
        width = n_features
        for units in hidden_units:
            layers += [nn.Linear(width, units), activation()]
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = units
        layers.append(nn.Linear(width, n_classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, X):
        """Return the logits, of shape ``(n_samples, n_classes)``."""
        return self.layers(X)
