"""The default network: a multi-layer perceptron for tabular data."""

import torch
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
    standardize : bool, default=True
        Subtract ``input_mean`` and divide by ``input_scale`` (buffers, 0 and 1
        until :meth:`fit_input_scaling` sets them; ``ImbalancedNetClassifier``
        does at ``fit``), so that unscaled features do not spoil the training.

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
        standardize=True,
    ):
        super().__init__()
        self.standardize = standardize
        self.register_buffer("input_mean", torch.zeros(n_features))
        self.register_buffer("input_scale", torch.ones(n_features))
        layers = []
        width = n_features
        for units in hidden_units:
            layers += [nn.Linear(width, units), activation()]
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = units
        layers.append(nn.Linear(width, n_classes))
        self.layers = nn.Sequential(*layers)

    @torch.no_grad()
    def fit_input_scaling(self, X, sample_weight=None):
        """Set ``input_mean`` and ``input_scale`` to the columns' mean and std.

        Parameters
        ----------
        X : torch.Tensor of shape (n_samples, n_features)
            Training rows; constant columns get scale 1.
        sample_weight : torch.Tensor of shape (n_samples,) or None, default=None
            Row weights of a weighted mean and std (integer weights give those
            of repeated rows).
        """
        X = X.to(self.input_mean.dtype)
        if sample_weight is None:
            std, mean = torch.std_mean(X, dim=0, correction=0)
        else:
            weight = (sample_weight / sample_weight.sum()).to(X.dtype)[:, None]
            mean = (weight * X).sum(dim=0)
            std = (weight * (X - mean) ** 2).sum(dim=0).sqrt()
            # a constant column can leave rounding noise: treat it as constant
            std = std.masked_fill(std <= 1e-6 * mean.abs().clamp(min=1), 0)
        self.input_mean.copy_(mean)
        self.input_scale.copy_(torch.where(std > 0, std, torch.ones_like(std)))
        return self

    def forward(self, X):
        """Return the logits, of shape ``(n_samples, n_classes)``."""
        if self.standardize:
            X = (X - self.input_mean) / self.input_scale
        return self.layers(X)
