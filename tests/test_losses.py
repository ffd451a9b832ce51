"""Property tests of skimbal's losses against independent references."""

import math
import re

import pytest
import torch
from torch.nn import functional as F

from skimbal import FocalLoss, LogitAdjustedLoss
from skimbal._losses import sample_weighted_loss

REDUCTIONS = ("mean", "sum", "none")


def _data(n=7, n_classes=3, dtype=torch.float64, seed=0, scale=2.0):
    """Small random logits and integer targets covering every class."""
    gen = torch.Generator().manual_seed(seed)
    logits = (scale * torch.randn(n, n_classes, generator=gen)).to(dtype)
    target = torch.arange(n) % n_classes
    target = target[torch.randperm(n, generator=gen)]
    return logits, target


def _reference(logits, target, gamma=0.0, weights=None):
    """Per-sample focal loss in float64, from softmax and F.cross_entropy."""
    logits = logits.detach().double()
    ce = F.cross_entropy(logits, target, reduction="none")
    p_t = torch.softmax(logits, dim=1)[torch.arange(len(target)), target]
    loss = (1 - p_t) ** gamma * ce
    if weights is not None:
        loss = torch.as_tensor(weights, dtype=torch.float64)[target] * loss
    return loss


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _value_and_grad(fn, logits, target):
    logits = logits.detach().clone().requires_grad_(True)
    value = fn(logits, target)
    value.sum().backward()
    return value.detach(), logits.grad


# 1. gamma=0, alpha=None is the cross-entropy, values and gradients


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gamma_zero_equals_cross_entropy(dtype, reduction):
    torch.manual_seed(0)
    logits, target = _data(n=9, n_classes=4, dtype=dtype)
    loss = FocalLoss(alpha=None, gamma=0.0, reduction=reduction)

    got, got_grad = _value_and_grad(loss, logits, target)
    expected, expected_grad = _value_and_grad(
        lambda x, t: F.cross_entropy(x, t, reduction=reduction), logits, target
    )

    assert got.dtype == dtype
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected)
    torch.testing.assert_close(got_grad, expected_grad)


# 2. the modulating factor (1 - p_t) ** gamma


@pytest.mark.parametrize("gamma", [0.5, 1.0, 2.0, 5.0])
def test_focal_not_above_cross_entropy(gamma):
    logits, target = _data(n=20, n_classes=3)
    focal = FocalLoss(gamma=gamma, reduction="none")(logits, target)
    ce = F.cross_entropy(logits, target, reduction="none")
    assert focal.shape == (20,)
    assert (focal >= 0).all()
    assert (focal <= ce).all()
    # and strictly below where the sample is not perfectly classified
    assert (focal < ce).all()


@pytest.mark.parametrize("gamma", [0.5, 1.0, 2.0, 5.0])
def test_ratio_to_cross_entropy_is_modulating_factor(gamma):
    logits, target = _data(n=20, n_classes=3)
    focal = FocalLoss(gamma=gamma, reduction="none")(logits, target)
    ce = F.cross_entropy(logits, target, reduction="none")

    p = torch.softmax(logits.double(), dim=1)
    p_t = p[torch.arange(len(target)), target]
    expected_ratio = (1 - p_t) ** gamma

    torch.testing.assert_close(focal / ce, expected_ratio)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_matches_reference_with_per_class_alpha(gamma, reduction):
    alpha = [0.2, 1.5, 0.7]
    logits, target = _data(n=11, n_classes=3)
    got = FocalLoss(alpha=alpha, gamma=gamma, reduction=reduction)(logits, target)
    expected = _reduce(_reference(logits, target, gamma, alpha), reduction)
    torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("gamma", [0.5, 2.0])
def test_gradcheck(gamma):
    logits, target = _data(n=5, n_classes=3, scale=1.0)
    logits.requires_grad_(True)
    loss = FocalLoss(alpha=[0.3, 1.0, 2.0], gamma=gamma, reduction="sum")
    assert torch.autograd.gradcheck(lambda x: loss(x, target), (logits,))


def test_gamma_reduces_loss_of_easy_samples_more():
    """Relative down-weighting grows with p_t: easy samples lose the most."""
    logits = torch.tensor([[4.0, 0.0], [0.5, 0.0], [0.0, 3.0]], dtype=torch.float64)
    target = torch.tensor([0, 0, 0])  # easy, borderline, hard
    ratio = FocalLoss(gamma=2.0, reduction="none")(logits, target) / F.cross_entropy(
        logits, target, reduction="none"
    )
    assert ratio[0] < ratio[1] < ratio[2]


# 3. per-class alpha


def test_per_class_alpha_none_reduction_equals_weighted_cross_entropy():
    alpha = torch.tensor([0.25, 2.0, 0.5, 1.0])
    logits, target = _data(n=10, n_classes=4, dtype=torch.float32)
    got = FocalLoss(alpha=alpha, gamma=0.0, reduction="none")(logits, target)
    expected = F.cross_entropy(logits, target, weight=alpha, reduction="none")
    torch.testing.assert_close(got, expected)


def test_per_class_alpha_mean_is_plain_mean_not_torch_weighted_mean():
    """reduction="mean" divides by n_samples, not by the sum of the weights.

    torch's CrossEntropyLoss(weight=..., reduction="mean") divides by
    sum(weight[target]); FocalLoss documents a plain mean instead.
    """
    alpha = torch.tensor([0.25, 2.0, 0.5, 1.0])
    logits, target = _data(n=10, n_classes=4, dtype=torch.float32)
    got = FocalLoss(alpha=alpha, gamma=0.0, reduction="mean")(logits, target)

    per_sample = F.cross_entropy(logits, target, weight=alpha, reduction="none")
    torch.testing.assert_close(got, per_sample.mean())
    # make sure the two conventions really differ on this data
    torch_weighted_mean = F.cross_entropy(logits, target, weight=alpha)
    assert not torch.allclose(got, torch_weighted_mean, rtol=1e-3)

    got_sum = FocalLoss(alpha=alpha, gamma=0.0, reduction="sum")(logits, target)
    torch.testing.assert_close(got_sum, per_sample.sum())


def test_zero_alpha_class_contributes_nothing():
    logits, target = _data(n=9, n_classes=3)
    loss = FocalLoss(alpha=[1.0, 0.0, 1.0], gamma=2.0, reduction="none")
    got = loss(logits, target)
    assert (got[target == 1] == 0).all()
    assert (got[target != 1] > 0).all()


# 4. scalar float alpha


@pytest.mark.parametrize("alpha", [0.0, 0.25, 0.5, 0.9, 1.0])
@pytest.mark.parametrize("gamma", [0.0, 2.0])
def test_scalar_alpha_binary_weights_classes(alpha, gamma):
    logits, target = _data(n=10, n_classes=2)
    got = FocalLoss(alpha=alpha, gamma=gamma, reduction="none")(logits, target)
    weights = torch.where(target == 1, alpha, 1 - alpha).double()
    expected = weights * _reference(logits, target, gamma)
    torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("n_classes", [3, 5])
@pytest.mark.parametrize("alpha", [0.0, 0.25, 1.0])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_scalar_alpha_multiclass_is_uniform_factor(n_classes, alpha, reduction):
    logits, target = _data(n=10, n_classes=n_classes)
    weighted = FocalLoss(alpha=alpha, gamma=2.0, reduction=reduction)(logits, target)
    unweighted = FocalLoss(gamma=2.0, reduction=reduction)(logits, target)
    torch.testing.assert_close(weighted, alpha * unweighted)
    expected = alpha * _reduce(_reference(logits, target, 2.0), reduction)
    torch.testing.assert_close(weighted, expected)


# 5. numerical stability and low-precision input

EXTREME_CASES = {
    "binary_right": ([[1e4, -1e4], [-1e4, 1e4]], [0, 1]),
    "binary_wrong": ([[1e4, -1e4], [-1e4, 1e4]], [1, 0]),
    "binary_mixed": ([[1e4, -1e4], [-1e4, 1e4]], [0, 0]),
    "three_class": ([[1e4, -1e4, 0.0], [-1e4, 0.0, 1e4], [0.0, 1e4, -1e4]], [0, 1, 1]),
}


@pytest.mark.parametrize("case", list(EXTREME_CASES))
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_extreme_logits_finite(case, dtype, gamma, reduction):
    values, target = EXTREME_CASES[case]
    logits = torch.tensor(values, dtype=dtype, requires_grad=True)
    target = torch.tensor(target)
    loss = FocalLoss(alpha=None, gamma=gamma, reduction=reduction)(logits, target)
    loss.sum().backward()

    assert loss.dtype == dtype
    assert torch.isfinite(loss).all()
    assert torch.isfinite(logits.grad).all()
    expected = _reduce(_reference(logits, target, gamma), reduction)
    torch.testing.assert_close(loss.double(), expected, rtol=1e-2, atol=1e-6)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
@pytest.mark.parametrize("gamma", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("margin", [1e4, 100.0, 40.0, 16.0, 8.0])
def test_gamma_below_one_finite_gradient_when_pt_near_one(dtype, gamma, margin):
    """d/dx x**gamma is infinite at x=0 for gamma<1: a classic NaN trap."""
    logits = torch.tensor([[margin, 0.0, -margin]], dtype=dtype, requires_grad=True)
    target = torch.tensor([0])
    loss = FocalLoss(gamma=gamma)(logits, target)
    loss.backward()

    assert torch.isfinite(loss).all()
    assert torch.isfinite(logits.grad).all()
    # the true gradient vanishes as p_t -> 1; it must be tiny, not huge
    p = torch.softmax(logits.detach().double(), dim=1)
    assert logits.grad.abs().max().item() <= 10 * (1 - p[0, 0].item()) ** gamma + 1e-6


def test_gamma_below_one_gradient_exactly_zero_when_pt_is_one():
    logits = torch.tensor([[1e4, -1e4], [-1e4, 1e4]], requires_grad=True)
    loss = FocalLoss(gamma=0.5)(logits, torch.tensor([0, 1]))
    loss.backward()
    assert loss.item() == 0.0
    torch.testing.assert_close(logits.grad, torch.zeros_like(logits))


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("alpha", [None, 0.25, [0.5, 1.0, 2.0]])
def test_low_precision_input_dtype_and_value(dtype, reduction, alpha):
    torch.manual_seed(0)
    n_classes = 2 if alpha == 0.25 else 3
    logits, target = _data(n=8, n_classes=n_classes, dtype=dtype)
    logits.requires_grad_(True)
    loss = FocalLoss(alpha=alpha, gamma=2.0, reduction=reduction)
    got = loss(logits, target)
    got.sum().backward()

    assert got.dtype == dtype
    assert logits.grad.dtype == dtype
    assert torch.isfinite(logits.grad).all()
    reference = loss(logits.detach().float(), target)
    assert reference.dtype == torch.float32
    torch.testing.assert_close(got.float(), reference, rtol=2e-2, atol=1e-3)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_low_precision_input_evaluated_in_float32(dtype, reduction):
    """The docstring promises float32 evaluation: only the result is rounded."""
    logits, target = _data(n=8, n_classes=3, dtype=dtype)
    loss = FocalLoss(alpha=[0.5, 1.0, 2.0], gamma=0.5, reduction=reduction)
    got = loss(logits, target)
    expected = loss(logits.float(), target).to(dtype)
    torch.testing.assert_close(got, expected, rtol=0, atol=0)


def test_int32_targets_match_int64():
    logits, target = _data(n=8, n_classes=3)
    loss = FocalLoss(alpha=[0.5, 1.0, 2.0], gamma=2.0, reduction="none")
    torch.testing.assert_close(
        loss(logits, target.to(torch.int32)), loss(logits, target)
    )


# 6. validation


@pytest.mark.parametrize("gamma", [-0.1, -1, float("nan"), True, "2", None])
def test_invalid_gamma(gamma):
    with pytest.raises(ValueError, match="gamma"):
        FocalLoss(gamma=gamma)


@pytest.mark.parametrize("gamma", [0, 0.0, 1, 2.5])
def test_valid_gamma_stored_as_float(gamma):
    loss = FocalLoss(gamma=gamma)
    assert isinstance(loss.gamma, float)
    assert loss.gamma == gamma


@pytest.mark.parametrize("reduction", ["avg", "MEAN", "", None, "batchmean"])
def test_invalid_reduction(reduction):
    with pytest.raises(ValueError, match="reduction"):
        FocalLoss(reduction=reduction)


@pytest.mark.parametrize("alpha", [-0.1, 1.5, float("nan"), float("inf")])
def test_invalid_float_alpha(alpha):
    with pytest.raises(ValueError, match=r"alpha must be in \[0, 1\]"):
        FocalLoss(alpha=alpha)


@pytest.mark.parametrize(
    "alpha", [[[0.5, 1.0]], torch.ones(2, 2), torch.tensor(0.5), [], torch.ones(0)]
)
def test_alpha_bad_shape(alpha):
    with pytest.raises(ValueError, match="1-D and non-empty"):
        FocalLoss(alpha=alpha)


@pytest.mark.parametrize(
    "alpha", [[1.0, -0.5], [float("nan"), 1.0], [1.0, float("inf")]]
)
def test_alpha_negative_or_non_finite(alpha):
    with pytest.raises(ValueError, match="finite and >= 0"):
        FocalLoss(alpha=alpha)


@pytest.mark.parametrize("alpha", ["abc", ["a", "b"], object(), {"a": 1.0}])
def test_alpha_non_numeric(alpha):
    with pytest.raises(TypeError, match="alpha must be None"):
        FocalLoss(alpha=alpha)


@pytest.mark.parametrize(
    "input_shape, target_shape",
    [((4,), (4,)), ((4, 3), (3,)), ((4, 3), (4, 1)), ((2, 4, 3), (2, 4))],
)
def test_forward_shape_errors(input_shape, target_shape):
    logits = torch.zeros(input_shape)
    target = torch.zeros(target_shape, dtype=torch.long)
    expected = re.escape(f"{tuple(input_shape)} and {tuple(target_shape)}")
    with pytest.raises(ValueError, match=expected):
        FocalLoss()(logits, target)


# 7. alpha is a buffer


def test_alpha_is_a_float32_buffer_copy():
    source = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    loss = FocalLoss(alpha=source)
    state = loss.state_dict()
    assert "alpha" in state
    assert "alpha" in dict(loss.named_buffers())
    assert list(loss.parameters()) == []
    assert state["alpha"].dtype == torch.float32
    torch.testing.assert_close(state["alpha"], source.float())
    # a copy: mutating the input afterwards does not change the loss
    source[0] = 100.0
    assert loss.alpha[0].item() == 1.0


def test_alpha_buffer_follows_dtype_and_device():
    loss = FocalLoss(alpha=[0.5, 1.0, 2.0], gamma=2.0, reduction="none")
    logits, target = _data(n=6, n_classes=3)
    expected = _reference(logits, target, 2.0, [0.5, 1.0, 2.0])

    assert loss.to(torch.float64) is loss
    assert loss.alpha.dtype == torch.float64
    got = loss(logits, target)
    assert got.dtype == torch.float64
    torch.testing.assert_close(got, expected)

    loss.to("meta")
    assert loss.alpha.device.type == "meta"
    assert loss.state_dict()["alpha"].device.type == "meta"


def test_alpha_state_dict_round_trip():
    src = FocalLoss(alpha=[0.1, 0.9])
    dst = FocalLoss(alpha=[1.0, 1.0])
    dst.load_state_dict(src.state_dict())
    torch.testing.assert_close(dst.alpha, torch.tensor([0.1, 0.9]))


def test_scalar_alpha_buffer():
    loss = FocalLoss(alpha=0.25)
    assert loss.alpha.ndim == 0
    assert "alpha" in loss.state_dict()
    assert loss.to(torch.float64).alpha.dtype == torch.float64


def test_alpha_none_leaves_no_buffer_value():
    loss = FocalLoss(alpha=None)
    assert loss.alpha is None
    assert "alpha" not in loss.state_dict()
    loss.to(torch.float64)
    assert loss.alpha is None


def test_extra_repr():
    text = repr(FocalLoss(gamma=0.5, reduction="sum"))
    assert "gamma=0.5" in text
    assert "reduction='sum'" in text


# 8. CUDA


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cuda_matches_cpu(reduction):
    torch.manual_seed(0)
    logits, target = _data(n=16, n_classes=3, dtype=torch.float32)
    cpu_loss = FocalLoss(alpha=[0.5, 1.0, 2.0], gamma=2.0, reduction=reduction)
    expected = cpu_loss(logits, target)

    cuda_loss = FocalLoss(alpha=[0.5, 1.0, 2.0], gamma=2.0, reduction=reduction)
    cuda_loss.to("cuda")
    assert cuda_loss.alpha.device.type == "cuda"
    got = cuda_loss(logits.cuda(), target.cuda())
    assert got.device.type == "cuda"
    torch.testing.assert_close(got.cpu(), expected)
    assert math.isfinite(got.sum().item())


@pytest.mark.parametrize("target_dtype", [torch.uint8, torch.int16, torch.int32])
@pytest.mark.parametrize("alpha", [[1.0, 2.0, 3.0], 0.3])
def test_small_integer_targets_weight_like_int64(target_dtype, alpha):
    # a uint8 index would otherwise be read as a boolean mask by alpha[target]
    torch.manual_seed(0)
    n_classes = 3 if isinstance(alpha, list) else 2
    logits = torch.randn(4, n_classes)
    target = torch.tensor([1, 1, 0, 1])
    loss = FocalLoss(alpha=alpha, gamma=0.0, reduction="none")
    expected = loss(logits, target)
    torch.testing.assert_close(loss(logits, target.to(target_dtype)), expected)


def test_alpha_length_must_match_the_classes():
    loss = FocalLoss(alpha=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="3 per-class alpha weights .* 2 classes"):
        loss(torch.zeros(4, 2), torch.zeros(4, dtype=torch.long))


# 9. LogitAdjustedLoss


PRIOR = [0.7, 0.2, 0.1]


@pytest.mark.parametrize("tau", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_logit_adjusted_equals_cross_entropy_of_adjusted_logits(tau, reduction):
    logits, target = _data(n=12, n_classes=3)
    loss = LogitAdjustedLoss(
        PRIOR, tau=tau, loss=torch.nn.CrossEntropyLoss(reduction=reduction)
    )
    shift = tau * torch.log(torch.tensor(PRIOR, dtype=torch.float64))
    got, got_grad = _value_and_grad(loss, logits, target)
    expected, expected_grad = _value_and_grad(
        lambda x, t: F.cross_entropy(x + shift, t, reduction=reduction),
        logits,
        target,
    )
    torch.testing.assert_close(got, expected, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(got_grad, expected_grad, rtol=1e-6, atol=1e-7)


def test_logit_adjusted_at_tau_zero_is_the_cross_entropy():
    logits, target = _data(n=12, n_classes=3, dtype=torch.float32)
    got, got_grad = _value_and_grad(LogitAdjustedLoss(PRIOR, tau=0.0), logits, target)
    expected, expected_grad = _value_and_grad(F.cross_entropy, logits, target)
    assert torch.equal(got, expected) and torch.equal(got_grad, expected_grad)


def test_logit_adjusted_wraps_the_focal_loss():
    logits, target = _data(n=12, n_classes=3)
    focal = FocalLoss(alpha=[1.0, 2.0, 3.0], gamma=2.0)
    loss = LogitAdjustedLoss([7, 2, 1], tau=1.0, loss=focal)  # normalised
    shift = torch.log(torch.tensor(PRIOR, dtype=torch.float64))
    torch.testing.assert_close(loss(logits, target), focal(logits + shift, target))


def test_logit_adjustment_favours_fitting_the_rare_class():
    # equal logits: the rare class's loss is larger, so training pushes its
    # logit up more than plain cross-entropy would
    logits = torch.zeros(1, 3)
    loss = LogitAdjustedLoss(PRIOR, tau=1.0, loss=torch.nn.CrossEntropyLoss())
    values = [loss(logits, torch.tensor([k])).item() for k in range(3)]
    assert values[2] > values[1] > math.log(3) > values[0]


def test_logit_adjusted_prior_is_a_buffer():
    loss = LogitAdjustedLoss(PRIOR, tau=1.0)
    assert dict(loss.named_buffers())["log_prior"].dtype == torch.float32
    torch.testing.assert_close(loss.log_prior.exp(), torch.tensor(PRIOR))
    assert "tau=1.0" in repr(loss)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"prior": PRIOR, "tau": -1.0}, "tau must be a float >= 0"),
        ({"prior": PRIOR, "tau": True}, "tau must be a float >= 0"),
        ({"prior": [0.5, 0.0, 0.5]}, r"finite and > 0 for every class"),
        ({"prior": [1.0, float("nan")]}, "finite and > 0"),
        ({"prior": [1.0]}, "at least 2"),
        ({"prior": [[0.5, 0.5]]}, "1-D"),
    ],
)
def test_logit_adjusted_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LogitAdjustedLoss(**kwargs)


def test_logit_adjusted_shape_mismatch():
    with pytest.raises(ValueError, match="prior of 3 classes.*shape \\(4, 2\\)"):
        LogitAdjustedLoss(PRIOR)(torch.zeros(4, 2), torch.zeros(4, dtype=torch.long))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_logit_adjusted_cuda_matches_cpu():
    logits, target = _data(n=16, n_classes=3, dtype=torch.float32)
    loss = LogitAdjustedLoss(PRIOR, loss=FocalLoss(alpha=[1.0, 2.0, 3.0]))
    expected = loss(logits, target)
    loss.to("cuda")
    assert loss.log_prior.device.type == "cuda"
    assert loss.loss.alpha.device.type == "cuda"
    torch.testing.assert_close(loss(logits.cuda(), target.cuda()).cpu(), expected)


# 10. per-sample weights


def _criteria(reduction):
    return {
        "ce": torch.nn.CrossEntropyLoss(reduction=reduction),
        "weighted-ce": torch.nn.CrossEntropyLoss(
            weight=torch.tensor([0.5, 1.0, 3.0]), reduction=reduction
        ),
        "smoothed-ce": torch.nn.CrossEntropyLoss(
            weight=torch.tensor([0.5, 1.0, 3.0]),
            label_smoothing=0.1,
            reduction=reduction,
        ),
        "focal": FocalLoss(alpha=[0.5, 1.0, 3.0], gamma=2.0, reduction=reduction),
        "logit-adjusted": LogitAdjustedLoss(
            PRIOR,
            loss=torch.nn.CrossEntropyLoss(
                weight=torch.tensor([0.5, 1.0, 3.0]), reduction=reduction
            ),
        ),
    }


@pytest.mark.parametrize("name", list(_criteria("mean")))
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_equal_sample_weights_give_the_unweighted_loss(name, reduction):
    criterion = _criteria(reduction)[name]
    logits, target = _data(n=12, n_classes=3, dtype=torch.float32)
    weight = torch.ones(12)
    expected = criterion(logits, target)
    torch.testing.assert_close(
        sample_weighted_loss(criterion, logits, target, weight), expected
    )
    if reduction == "mean":  # the mean does not depend on the weights' scale
        torch.testing.assert_close(
            sample_weighted_loss(criterion, logits, target, 2.5 * weight), expected
        )


@pytest.mark.parametrize("name", list(_criteria("mean")))
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_integer_sample_weights_equal_repeated_samples(name, reduction):
    criterion = _criteria(reduction)[name]
    logits, target = _data(n=12, n_classes=3)
    weight = torch.tensor([0, 1, 2, 3, 0, 1, 1, 4, 2, 0, 1, 1])
    rows = torch.arange(12).repeat_interleave(weight)
    logits = logits.float()
    got, got_grad = _value_and_grad(
        lambda x, t: sample_weighted_loss(criterion, x, t, weight.float()),
        logits,
        target,
    )
    expected, expected_grad = _value_and_grad(
        lambda x, t: criterion(x[rows], t[rows]), logits, target
    )
    torch.testing.assert_close(got, expected)
    torch.testing.assert_close(got_grad, expected_grad)


@pytest.mark.parametrize("name", list(_criteria("mean")))
def test_a_batch_of_zero_weights_has_zero_loss_and_gradient(name):
    criterion = _criteria("mean")[name]
    logits, target = _data(n=5, n_classes=3, dtype=torch.float32)
    value, grad = _value_and_grad(
        lambda x, t: sample_weighted_loss(criterion, x, t, torch.zeros(5)),
        logits,
        target,
    )
    assert value.item() == 0.0
    assert torch.equal(grad, torch.zeros_like(grad))


def test_sample_weights_need_a_known_loss():
    with pytest.raises(TypeError, match="got NLLLoss"):
        sample_weighted_loss(
            torch.nn.NLLLoss(), torch.zeros(2, 2), torch.zeros(2), torch.ones(2)
        )


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_sample_weighted_cross_entropy_takes_half_precision_logits(dtype):
    criterion = torch.nn.CrossEntropyLoss(weight=torch.tensor([0.2, 1.8]))
    logits = torch.tensor([[2.0, -1.0], [0.5, 0.5], [-3.0, 1.0]])
    target = torch.tensor([0, 1, 1])
    weight = torch.tensor([1.0, 2.0, 0.5])
    value = sample_weighted_loss(criterion, logits.to(dtype), target, weight)
    expected = sample_weighted_loss(criterion, logits, target, weight)
    assert value.dtype == dtype
    torch.testing.assert_close(value.float(), expected, rtol=1e-2, atol=1e-2)
