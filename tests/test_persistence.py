"""Saving and loading fitted models: pickle, skops, safetensors, CUDA to CPU."""

import io
import pickle
import zipfile

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from skorch.callbacks import Callback
from skorch.exceptions import DeviceWarning
from torch import nn

import skimbal
from skimbal import ImbalancedNetClassifier, StratifiedValidSplit
from skimbal._persistence import TRUSTED_TYPES

sio = pytest.importorskip("skops.io")
pytest.importorskip("safetensors")
from skops.io.exceptions import UntrustedTypesFoundException  # noqa: E402

FAST = {"max_epochs": 3, "random_state": 0, "module__hidden_units": (8,)}
CUDA_FALLBACK = r"no CUDA devices|requested device \(cuda\) is not available"
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 5)).astype(np.float32)
    y = np.where(X[:, 0] + 0.3 * rng.normal(size=120) > 1.0, "fraud", "ok")
    return X, y


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    return ImbalancedNetClassifier(strategy="focal", **FAST).fit(X, y)


def _round_trip(model, **load_kwargs):
    buffer = io.BytesIO()
    skimbal.dump(model, buffer)
    buffer.seek(0)
    return skimbal.load(buffer, **load_kwargs)


def _assert_same_predictions(restored, model, X):
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))


class LogitsNet(nn.Module):
    """A user module, which a file must name in ``trusted`` to load."""

    def __init__(self, n_in=5, n_out=2):
        super().__init__()
        self.linear = nn.Linear(n_in, n_out)

    def forward(self, X):
        return self.linear(X)


class RecordsUnpickling(Callback):
    """A callback that records whether a loader ever rebuilt it."""

    rebuilt = []

    def __init__(self, note="made by the test"):
        self.note = note

    def __setstate__(self, state):
        type(self).rebuilt.append(state)
        vars(self).update(state)


# ---------------------------------------------------------- pickle and joblib


def test_pickle_keeps_classes_weights_and_history(data, fitted):
    X, _ = data
    restored = pickle.loads(pickle.dumps(fitted))
    _assert_same_predictions(restored, fitted, X)
    assert restored.classes_.tolist() == ["fraud", "ok"]
    np.testing.assert_array_equal(restored.class_weight_, fitted.class_weight_)
    assert len(restored.history) == 3


# ------------------------------------------------- skops on its own: unsafe here


def test_plain_skops_hides_the_torch_modules_in_an_embedded_pickle(fitted):
    """Why skimbal.dump exists: skops audits the net but not its weights.

    skorch's ``__getstate__`` pickles ``module_``, ``criterion_`` and
    ``optimizer_`` into one bytes value; skops stores those bytes as data, so
    its list of types to trust names neither torch.nn nor TabularMLP.
    """
    data = sio.dumps(fitted)
    untrusted = sio.get_untrusted_types(data=data)
    assert "skimbal._classifier.ImbalancedNetClassifier" in untrusted
    assert not any("TabularMLP" in t or t.startswith("torch.nn") for t in untrusted)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "__cuda_dependent_attributes__" in archive.read("schema.json").decode()


class _Touch:
    """A pickle payload: unpickling it creates a file."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (type(self.path).touch, (self.path,))


def test_plain_skops_load_of_a_skorch_net_runs_an_embedded_pickle(
    fitted, tmp_path, monkeypatch
):
    """Trusting the net's type in skops.io.load trusts an arbitrary pickle."""
    marker = tmp_path / "payload-ran"
    state = fitted.__getstate__()
    state["__cuda_dependent_attributes__"] = pickle.dumps(_Touch(marker))
    monkeypatch.setattr(type(fitted), "__getstate__", lambda self: state)
    data = sio.dumps(fitted)
    monkeypatch.undo()
    trusted = sio.get_untrusted_types(data=data)
    assert not any("Touch" in t or "pathlib" in t for t in trusted)

    with pytest.raises(TypeError):  # skorch then fails on the payload's result
        sio.loads(data, trusted=trusted)
    assert marker.exists()  # ... but the payload had already run


# ------------------------------------------------------------- skimbal.dump/load


def test_dump_load_round_trip_predicts_identically(data, fitted, tmp_path):
    X, _ = data
    path = tmp_path / "model.skops"
    skimbal.dump(fitted, path)
    restored = skimbal.load(path)
    assert type(restored) is ImbalancedNetClassifier
    _assert_same_predictions(restored, fitted, X)
    assert restored.classes_.tolist() == fitted.classes_.tolist()
    np.testing.assert_array_equal(restored.class_weight_, fitted.class_weight_)
    assert restored.n_features_in_ == fitted.n_features_in_
    assert restored.seed_ == fitted.seed_
    assert restored.get_params().keys() == fitted.get_params().keys()
    assert restored.history[:, "train_loss"] == fitted.history[:, "train_loss"]
    torch.testing.assert_close(restored.criterion_.alpha, fitted.criterion_.alpha)
    for key, value in fitted.module_.state_dict().items():
        assert torch.equal(restored.module_.state_dict()[key], value), key


def test_the_file_holds_no_pickle_and_only_the_default_trusted_types(fitted):
    buffer = io.BytesIO()
    skimbal.dump(fitted, buffer)
    untrusted = sio.get_untrusted_types(data=buffer.getvalue())
    assert set(untrusted) <= set(TRUSTED_TYPES)
    with zipfile.ZipFile(buffer) as archive:
        schema = archive.read("schema.json").decode()
    assert "__cuda_dependent_attributes__" not in schema
    assert '"module_"' not in schema and '"optimizer_"' not in schema


@pytest.mark.parametrize(
    "params",
    [
        {"strategy": "none"},
        {"strategy": "class_weight", "alpha": {"fraud": 5.0}},
        {"strategy": "sampler+focal", "gamma": 0.5},
        {"strategy": "focal", "alpha": 0.3, "early_stopping": True},
        {"strategy": "class_weight", "train_split": StratifiedValidSplit(0.25)},
        {"strategy": "none", "classes": ["fraud", "ok", "unseen"]},
    ],
    ids=["none", "dict-alpha", "sampler+focal", "early-stopping", "split", "classes"],
)
def test_round_trip_for_each_strategy(data, params):
    X, y = data
    model = ImbalancedNetClassifier(**{**FAST, **params}).fit(X, y)
    restored = _round_trip(model)
    _assert_same_predictions(restored, model, X)
    assert restored.early_stopping_ == model.early_stopping_
    assert [name for name, _ in restored.callbacks_] == [
        name for name, _ in model.callbacks_
    ]


def test_round_trip_keeps_what_predict_uses_beyond_the_weights(data):
    """Fitted attributes are saved generically, e.g. a prior correction."""
    X, y = data
    model = ImbalancedNetClassifier(
        strategy="focal", prior_correction=True, **FAST
    ).fit(X, y)
    restored = _round_trip(model)
    _assert_same_predictions(restored, model, X)
    for name, value in vars(model).items():
        if name.endswith("_") and isinstance(value, np.ndarray):
            np.testing.assert_array_equal(getattr(restored, name), value)


def test_dataframe_feature_names_survive(data):
    pd = pytest.importorskip("pandas")
    X, y = data
    df = pd.DataFrame(X, columns=list("abcde"))
    model = ImbalancedNetClassifier(**FAST).fit(df, y)
    restored = _round_trip(model)
    assert restored.feature_names_in_.tolist() == list("abcde")
    np.testing.assert_array_equal(restored.predict_proba(df), model.predict_proba(df))


def test_a_loaded_model_trains_on(data, fitted):
    X, y = data
    restored = _round_trip(fitted)
    restored.partial_fit(X, y)
    assert len(restored.history) == 6
    assert restored.predict(X).shape == y.shape


def test_load_leaves_torch_global_random_state_alone(fitted):
    buffer = io.BytesIO()
    skimbal.dump(fitted, buffer)
    state = torch.get_rng_state()
    skimbal.load(io.BytesIO(buffer.getvalue()))
    assert torch.equal(torch.get_rng_state(), state)


def test_untrusted_type_is_refused_before_anything_is_built(data):
    X, y = data
    RecordsUnpickling.rebuilt.clear()
    model = ImbalancedNetClassifier(callbacks=[RecordsUnpickling()], **FAST)
    buffer = io.BytesIO()
    skimbal.dump(model.fit(X, y), buffer)
    name = f"{__name__}.RecordsUnpickling"
    with pytest.raises(UntrustedTypesFoundException, match=name):
        skimbal.load(io.BytesIO(buffer.getvalue()))
    assert RecordsUnpickling.rebuilt == []
    # the owner of the file can vouch for the type
    restored = skimbal.load(io.BytesIO(buffer.getvalue()), trusted=[name])
    assert len(RecordsUnpickling.rebuilt) == 1
    _assert_same_predictions(restored, model, X)


def test_user_module_and_optimizer_must_be_trusted(data):
    X, y = data
    model = ImbalancedNetClassifier(
        LogitsNet, optimizer=torch.optim.SGD, lr=0.1, max_epochs=2, random_state=0
    ).fit(X, y)
    buffer = io.BytesIO()
    skimbal.dump(model, buffer)
    expected = [f"{__name__}.LogitsNet", "torch.optim.sgd.SGD"]
    with pytest.raises(UntrustedTypesFoundException) as info:
        skimbal.load(io.BytesIO(buffer.getvalue()))
    assert all(name in str(info.value) for name in expected)
    restored = skimbal.load(io.BytesIO(buffer.getvalue()), trusted=expected)
    assert isinstance(restored.module_, LogitsNet)
    _assert_same_predictions(restored, model, X)


def test_a_crafted_file_naming_a_function_is_refused(fitted, tmp_path):
    """A hand-made file cannot smuggle in a callable as the estimator."""
    import os

    state = {"format": "skimbal.dump/1", "estimator": os.system, "params": {}}
    sio.dump(state, tmp_path / "evil.skops")
    with pytest.raises(UntrustedTypesFoundException, match="system"):
        skimbal.load(tmp_path / "evil.skops")


def test_other_skops_files_are_refused_clearly(tmp_path):
    sio.dump({"weights": np.ones(3)}, tmp_path / "other.skops")
    with pytest.raises(ValueError, match="not written by skimbal.dump"):
        skimbal.load(tmp_path / "other.skops")


def test_dump_refuses_what_it_cannot_store_safely(data):
    X, y = data
    with pytest.raises(TypeError, match="saves an ImbalancedNetClassifier"):
        skimbal.dump(object(), io.BytesIO())
    with pytest.raises(NotFittedError):
        skimbal.dump(ImbalancedNetClassifier(), io.BytesIO())
    model = ImbalancedNetClassifier(LogitsNet(), max_epochs=2, random_state=0)
    model.fit(X, y)
    with pytest.raises(TypeError, match="hyperparameter module=LogitsNet"):
        skimbal.dump(model, io.BytesIO())


# --------------------------------------------------- skorch's save/load_params


@pytest.mark.parametrize("use_safetensors", [True, False])
def test_save_params_into_a_fresh_initialized_net(
    data, fitted, tmp_path, use_safetensors
):
    """The default module is sized at fit: a fresh net needs the sizes."""
    X, _ = data
    f_params = tmp_path / ("params.safetensors" if use_safetensors else "params.pt")
    fitted.save_params(f_params=f_params, use_safetensors=use_safetensors)
    fresh = ImbalancedNetClassifier(
        module__hidden_units=(8,),
        module__n_features=fitted.n_features_in_,
        module__n_classes=len(fitted.classes_),
        classes=fitted.classes_,
    ).initialize()
    fresh.load_params(f_params=f_params, use_safetensors=use_safetensors)
    # the standardisation statistics are buffers: they travel with the weights
    torch.testing.assert_close(fresh.module_.input_mean, fitted.module_.input_mean)
    torch.testing.assert_close(fresh.module_.input_scale, fitted.module_.input_scale)
    _assert_same_predictions(fresh, fitted, X)
    assert fresh.classes_.tolist() == ["fraud", "ok"]


def test_safetensors_file_holds_only_tensors(fitted, tmp_path):
    from safetensors import safe_open

    fitted.save_params(f_params=tmp_path / "p.safetensors", use_safetensors=True)
    with safe_open(tmp_path / "p.safetensors", framework="pt") as f:
        keys = set(f.keys())
    assert keys == set(fitted.module_.state_dict())
    assert {"input_mean", "input_scale"} <= keys


# ---------------------------------------------------------------- CUDA to CPU


@pytest.fixture
def cpu_only(monkeypatch):
    """Pretend that no GPU is available, as on a CPU-only scoring machine."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


def test_pickled_cuda_model_falls_back_to_cpu(data, fitted, cpu_only):
    """skorch's ``__setstate__`` maps the weights with ``map_location``.

    A CPU-fitted net whose ``device`` says "cuda" takes the same path as one
    trained on a GPU: the device is replaced, with a DeviceWarning.
    """
    X, _ = data
    state = pickle.dumps(fitted)
    fitted.device = "cuda"
    try:
        as_if_cuda = pickle.dumps(fitted)
    finally:
        fitted.device = "cpu"
    # one warning from the weights' map_location, one for the device parameter
    with pytest.warns(DeviceWarning, match=CUDA_FALLBACK):
        restored = pickle.loads(as_if_cuda)
    assert str(restored.device) == "cpu"
    _assert_same_predictions(restored, pickle.loads(state), X)


def test_skimbal_load_of_a_cuda_model_falls_back_to_cpu(data, fitted, cpu_only):
    X, _ = data
    fitted.device = "cuda"
    try:
        buffer = io.BytesIO()
        skimbal.dump(fitted, buffer)
    finally:
        fitted.device = "cpu"
    with pytest.warns(DeviceWarning, match="no CUDA devices"):
        restored = skimbal.load(io.BytesIO(buffer.getvalue()))
    assert restored.device == "cpu"
    assert next(restored.module_.parameters()).device.type == "cpu"
    _assert_same_predictions(restored, fitted, X)
    explicit = skimbal.load(io.BytesIO(buffer.getvalue()), device="cpu")
    assert explicit.device == "cpu"


def test_load_params_maps_the_tensors_to_the_nets_device(fitted, tmp_path, monkeypatch):
    """torch.save files remember the device; skorch loads with map_location."""
    f_params = tmp_path / "params.pt"
    fitted.save_params(f_params=f_params)
    fresh = ImbalancedNetClassifier(
        module__hidden_units=(8,),
        module__n_features=fitted.n_features_in_,
        module__n_classes=2,
        classes=fitted.classes_,
        device="cpu",
    ).initialize()
    seen = {}
    original = torch.load

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    fresh.load_params(f_params=f_params)
    assert seen["map_location"] == torch.device("cpu")


@cuda
def test_cuda_trained_model_predicts_on_a_cpu_only_machine(data, monkeypatch):
    X, y = data
    model = ImbalancedNetClassifier(strategy="focal", device="cuda", **FAST).fit(X, y)
    assert next(model.module_.parameters()).device.type == "cuda"
    expected = model.predict_proba(X)
    pickled = pickle.dumps(model)
    buffer = io.BytesIO()
    skimbal.dump(model, buffer)

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(DeviceWarning, match=CUDA_FALLBACK):
        from_pickle = pickle.loads(pickled)
    with pytest.warns(DeviceWarning, match=CUDA_FALLBACK):
        from_skops = skimbal.load(io.BytesIO(buffer.getvalue()))
    for restored in (from_pickle, from_skops):
        assert restored.device == "cpu"
        assert next(restored.module_.parameters()).device.type == "cpu"
        assert all(b.device.type == "cpu" for b in restored.criterion_.buffers())
        np.testing.assert_allclose(restored.predict_proba(X), expected, atol=1e-5)


@cuda
def test_cuda_safetensors_params_load_into_a_cpu_net(data, tmp_path):
    X, y = data
    model = ImbalancedNetClassifier(device="cuda", **FAST).fit(X, y)
    model.save_params(f_params=tmp_path / "p.safetensors", use_safetensors=True)
    fresh = ImbalancedNetClassifier(
        module__hidden_units=(8,),
        module__n_features=5,
        module__n_classes=2,
        classes=model.classes_,
        device="cpu",
    ).initialize()
    fresh.load_params(f_params=tmp_path / "p.safetensors", use_safetensors=True)
    np.testing.assert_allclose(
        fresh.predict_proba(X), model.predict_proba(X), atol=1e-5
    )
