"""Save and load a fitted ImbalancedNetClassifier without pickle.

``skops.io`` alone cannot do it safely: skorch's ``__getstate__`` packs the
module, criterion and optimizer into one opaque pickle, which skops stores as
bytes and skorch's ``__setstate__`` unpickles on load. Trusting the net's type
in ``skops.io.load`` therefore means trusting a pickle that the type audit never
sees (``tests/test_persistence.py`` shows such a pickle running). skops has no
support for torch tensors either. So :func:`dump` writes a skops file that holds
the hyperparameters, the fitted attributes and the history (plain data and a
few classes, which skops audits) and the weights as one safetensors blob (data
only), and :func:`load` rebuilds the net from them.
"""

from collections.abc import Mapping

import torch
from skorch.history import History
from skorch.utils import get_map_location
from torch import nn

from ._classifier import ImbalancedNetClassifier

__all__ = ["dump", "load"]

_FORMAT = "skimbal.dump/1"

# The types a skimbal model with its default components holds: the estimator
# class, and the classes skorch keeps as hyperparameters. Loading builds the net
# and calls them with arguments from the file, so only classes for which that is
# harmless belong here; :func:`load` takes the others through ``trusted``.
TRUSTED_TYPES = (
    "skimbal._classifier.ImbalancedNetClassifier",
    "skimbal._losses.FocalLoss",
    "skimbal._module.TabularMLP",
    "skimbal._split.StratifiedValidSplit",
    "skorch.dataset.Dataset",
    "torch.optim.adam.Adam",
    "torch.utils.data.dataloader.DataLoader",
)

# skorch's bookkeeping: rebuilt by ``initialize()``, never written to the file
_SKORCH_STATE = {
    "callbacks_",
    "cuda_dependent_attributes_",
    "history_",
    "init_context_",
    "initialized_",
    "prefixes_",
    "virtual_params_",
}


def dump(model, file):
    """Save a fitted :class:`ImbalancedNetClassifier` in a file free of pickle.

    The file is a ``skops.io`` archive: hyperparameters, fitted attributes
    (``classes_``, ``class_weight_``, ...) and ``history_`` as skops data, the
    weights of the module and the criterion as a safetensors blob inside it.
    Read it back with :func:`load`.

    Parameters
    ----------
    model : ImbalancedNetClassifier
        A fitted estimator. Its ``module``, ``criterion``, ``optimizer`` and
        the other components must be classes (with ``module__*``-style
        arguments), not instances: skops cannot store tensors.
    file : str, path or binary file object
        Where to write; ``.skops`` is the customary extension.

    Raises
    ------
    TypeError
        If ``model`` is not an ``ImbalancedNetClassifier``, or a
        hyperparameter holds a torch module, tensor or optimizer.
    sklearn.exceptions.NotFittedError
        If ``model`` is not fitted.

    See Also
    --------
    load : Read the file back.

    Notes
    -----
    The optimizer's state is not saved: a loaded model predicts as the saved
    one did, but further ``partial_fit`` calls start with fresh optimizer
    moments. Use ``save_params(f_optimizer=...)`` to resume training exactly.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> import skimbal
    >>> X = np.random.RandomState(0).normal(size=(60, 3)).astype(np.float32)
    >>> y = np.r_[np.zeros(50, int), np.ones(10, int)]
    >>> clf = skimbal.ImbalancedNetClassifier(max_epochs=2, random_state=0)
    >>> file = io.BytesIO()
    >>> skimbal.dump(clf.fit(X, y), file)
    >>> restored = skimbal.load(io.BytesIO(file.getvalue()))
    >>> bool((restored.predict_proba(X) == clf.predict_proba(X)).all())
    True
    """
    sio = _import_skops()
    from safetensors.torch import save

    if not isinstance(model, ImbalancedNetClassifier):
        raise TypeError(
            "skimbal.dump saves an ImbalancedNetClassifier; got a "
            f"{type(model).__name__}. Use skops.io.dump or joblib for other objects."
        )
    model.check_is_fitted()
    params = model.get_params(deep=False)
    for name, value in params.items():
        found = _torch_object(value)
        if found is not None:
            raise TypeError(
                f"skimbal.dump cannot store the hyperparameter {name}={found!r}: "
                "it holds torch tensors, which skops does not support. Pass a "
                "class and its arguments (e.g. module=MyNet, module__n_units=8) "
                "instead of an instance, or save with pickle/joblib."
            )
    components = [n + "_" for n in model._modules + model._criteria]
    skipped = _SKORCH_STATE | {n + "_" for n in model._optimizers} | set(components)
    attributes = {}
    tensors = {}
    for name, value in vars(model).items():
        if not name.endswith("_") or name.startswith("_") or name in skipped:
            continue
        if isinstance(value, torch.Tensor):
            tensors[f"attribute:{name}"] = _plain(value)
        else:
            attributes[name] = value
    for name in components:
        component = getattr(model, name)
        if isinstance(component, nn.Module):
            for key, value in component.state_dict().items():
                tensors[f"{name}:{key}"] = _plain(value)
    state = {
        "format": _FORMAT,
        "estimator": type(model),
        "params": params,
        "attributes": attributes,
        "history": [dict(row) for row in model.history_],
        "tensors": save(tensors),
    }
    sio.dump(state, file)


def load(file, trusted=None, device=None):
    """Load a model written by :func:`dump`, refusing types not trusted.

    Parameters
    ----------
    file : str, path or binary file object
        A file written by :func:`dump`.
    trusted : list of str or type, default=None
        Types to trust beyond the ones a model with skimbal's default
        components needs (``skimbal._persistence.TRUSTED_TYPES``), e.g. a
        custom module class or ``"torch.optim.sgd.SGD"``. Name only types you
        have reviewed: loading instantiates them with arguments from the file.
        ``skops.io.get_untrusted_types(file=...)`` lists the types a file holds.
    device : str, torch.device or None, default=None
        Device of the loaded net. ``None`` keeps the saved ``device``, or falls
        back to ``"cpu"`` with skorch's ``DeviceWarning`` when it was CUDA and
        no GPU is available.

    Returns
    -------
    model : ImbalancedNetClassifier
        The fitted estimator, ``classes_``, ``class_weight_``, ``history_`` and
        weights as saved.

    Raises
    ------
    skops.io.exceptions.UntrustedTypesFoundException
        If the file holds a type neither skimbal nor ``trusted`` trusts;
        nothing from the file is instantiated then.
    ValueError
        If the file was not written by :func:`dump`.
    """
    sio = _import_skops()
    from safetensors.torch import load as load_tensors

    if isinstance(trusted, (str, type)):
        trusted = [trusted]
    state = sio.load(file, trusted=[*TRUSTED_TYPES, *(trusted or [])])
    if not isinstance(state, Mapping) or state.get("format") != _FORMAT:
        raise ValueError(
            "The file was not written by skimbal.dump (no skimbal model in it); "
            "load other skops files with skops.io.load."
        )
    cls = state["estimator"]
    if not (isinstance(cls, type) and issubclass(cls, ImbalancedNetClassifier)):
        raise ValueError(
            f"The file names {cls!r} as its estimator, not an ImbalancedNetClassifier."
        )
    params = dict(state["params"])
    saved_device = params.get("device")
    if device is not None:
        params["device"] = device
    elif saved_device is not None:
        mapped = get_map_location(saved_device)  # warns when CUDA is missing
        if torch.device(saved_device).type != mapped.type:
            params["device"] = str(mapped)
    model = cls(**params)
    vars(model).update(state["attributes"])
    tensors = load_tensors(state["tensors"])
    for key, value in tensors.items():
        kind, _, name = key.partition(":")
        if kind == "attribute":
            setattr(model, name, value)
    # initialize() draws initial weights; leave torch's global generator alone
    with torch.random.fork_rng(devices=[]):
        model.initialize()
    for name in (n + "_" for n in model._modules + model._criteria):
        component = getattr(model, name)
        if isinstance(component, nn.Module):
            prefix = name + ":"
            component.load_state_dict(
                {
                    key[len(prefix) :]: value
                    for key, value in tensors.items()
                    if key.startswith(prefix)
                }
            )
    model.history_ = History(state["history"])
    return model


def _plain(tensor):
    """A detached, contiguous CPU copy, as safetensors stores it."""
    return tensor.detach().to("cpu").contiguous()


def _torch_object(value):
    """The first torch module, tensor or optimizer in ``value``, or None."""
    torch_types = (nn.Module, torch.Tensor, torch.optim.Optimizer)
    if isinstance(value, torch_types):
        return value
    if isinstance(value, Mapping):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        for item in value:
            found = _torch_object(item)
            if found is not None:
                return found
    if hasattr(value, "__dict__") and not isinstance(value, type):
        for item in vars(value).values():
            if isinstance(item, torch_types):
                return item
    return None


def _import_skops():
    try:
        import safetensors  # noqa: F401
        import skops.io as sio
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            "skimbal.dump and skimbal.load need skops and safetensors: "
            "pip install 'skimbal[persist]'."
        ) from exc
    return sio
