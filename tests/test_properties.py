"""Property-based tests (hypothesis) of the losses and the class weights.

The losses under test are the ones ``ImbalancedNetClassifier`` trains with:
``initialize_criterion`` builds them from ``strategy``, ``class_weight_`` and
``gamma`` (a weighted ``CrossEntropyLoss`` or a ``FocalLoss``), so the tests ask
the classifier for its criterion instead of building one by hand.
"""

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from torch import nn
from torch.nn import functional as F

from skimbal import FocalLoss, ImbalancedNetClassifier
from skimbal._validation import balanced_weights

FAST = settings(max_examples=40, deadline=None)
REDUCTIONS = ("mean", "sum", "none")
EXTREME = 1e4


# ------------------------------------------------------------- strategies


@st.composite
def batches(draw, min_classes=2, max_classes=5, extreme=False):
    """Logits of shape (n, k) and integer targets in [0, k)."""
    n_classes = draw(st.integers(min_classes, max_classes))
    n = draw(st.integers(1, 12))
    if extreme:
        elements = st.sampled_from([-EXTREME, -1e3, -30.0, 0.0, 30.0, 1e3, EXTREME])
    else:
        elements = st.floats(-30, 30, allow_nan=False, width=32)
    logits = draw(hnp.arrays(np.float64, (n, n_classes), elements=elements))
    target = draw(hnp.arrays(np.int64, n, elements=st.integers(0, n_classes - 1)))
    return torch.from_numpy(logits), torch.from_numpy(target)


def class_weights(n_classes, min_value=0.05):
    """Positive per-class weights, as ``class_weight_`` holds them."""
    return hnp.arrays(np.float64, n_classes, elements=st.floats(min_value, 10.0))


@st.composite
def focal_alphas(draw, n_classes):
    """Every form FocalLoss takes: None, a float (binary) or per-class weights."""
    kinds = ["none", "per_class"] + (["float"] if n_classes == 2 else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "none":
        return None
    if kind == "float":
        return draw(st.floats(0.0, 1.0))
    return draw(class_weights(n_classes, min_value=0.0)).tolist()


gammas = st.floats(0.0, 5.0)


def alpha_vector(alpha, n_classes):
    """``alpha`` as the per-class weights FocalLoss applies."""
    if alpha is None:
        return torch.ones(n_classes, dtype=torch.float64)
    if isinstance(alpha, float):
        return torch.tensor([1.0 - alpha, alpha], dtype=torch.float64)
    return torch.tensor(alpha, dtype=torch.float64)


def classifier_criterion(strategy, weights=None, gamma=2.0, reduction="mean"):
    """The criterion ``ImbalancedNetClassifier`` builds for a fitted ``weights``."""
    clf = ImbalancedNetClassifier(
        strategy=strategy,
        gamma=gamma,
        criterion__reduction=reduction,
        module__n_features=1,
        module__n_classes=2,
        module__hidden_units=(),
    )
    clf.class_weight_ = None if weights is None else np.asarray(weights)
    return clf.initialize().criterion_


def value_and_grad(loss, logits, target):
    logits = logits.detach().clone().requires_grad_(True)
    value = loss(logits, target)
    value.sum().backward()
    return value.detach(), logits.grad


# ----------------------------------------------- the criterion is the one fit uses


@pytest.mark.parametrize(
    "strategy, loss_type",
    [
        ("none", nn.CrossEntropyLoss),
        ("class_weight", nn.CrossEntropyLoss),
        ("focal", FocalLoss),
        ("sampler+focal", FocalLoss),
    ],
)
def test_classifier_criterion_helper_builds_the_training_loss(strategy, loss_type):
    weights = None if strategy in ("none", "sampler+focal") else [0.5, 1.5]
    loss = classifier_criterion(strategy, weights, gamma=1.5, reduction="sum")
    assert isinstance(loss, loss_type)
    assert loss.reduction == "sum"
    buffer = loss.alpha if loss_type is FocalLoss else loss.weight
    if weights is None:
        assert buffer is None
    else:
        np.testing.assert_allclose(buffer.numpy(), weights)


# ------------------------------------------------------- finite for any logits


@FAST
@given(
    data=batches(extreme=True),
    gamma=gammas,
    reduction=st.sampled_from(REDUCTIONS),
    dtype=st.sampled_from([torch.float32, torch.bfloat16]),
    draw=st.data(),
)
def test_focal_finite_values_and_gradients_for_extreme_logits(
    data, gamma, reduction, dtype, draw
):
    logits, target = data
    alpha = draw.draw(focal_alphas(logits.shape[1]))
    loss = FocalLoss(alpha=alpha, gamma=gamma, reduction=reduction)
    value, grad = value_and_grad(loss, logits.to(dtype), target)
    assert value.dtype == grad.dtype == dtype
    assert torch.isfinite(value).all()
    assert torch.isfinite(grad).all()
    assert (value >= 0).all()


@FAST
@given(
    data=batches(extreme=True),
    reduction=st.sampled_from(REDUCTIONS),
    strategy=st.sampled_from(["none", "class_weight"]),
    draw=st.data(),
)
def test_classifier_cross_entropy_finite_for_extreme_float32_logits(
    data, reduction, strategy, draw
):
    logits, target = data
    weights = None
    if strategy == "class_weight":
        weights = draw.draw(class_weights(logits.shape[1]))
    loss = classifier_criterion(strategy, weights, reduction=reduction)
    value, grad = value_and_grad(loss, logits.float(), target)
    assert torch.isfinite(value).all()
    assert torch.isfinite(grad).all()
    assert (value >= 0).all()


@FAST
@given(data=batches(extreme=True), reduction=st.sampled_from(REDUCTIONS))
def test_unweighted_cross_entropy_finite_for_extreme_bfloat16_logits(data, reduction):
    logits, target = data
    loss = classifier_criterion("none", reduction=reduction)
    value, grad = value_and_grad(loss, logits.to(torch.bfloat16), target)
    assert value.dtype == torch.bfloat16
    assert torch.isfinite(value).all()
    assert torch.isfinite(grad).all()


def test_weighted_cross_entropy_takes_bfloat16_logits():
    logits = torch.tensor([[EXTREME, -EXTREME], [-EXTREME, EXTREME]])
    target = torch.tensor([0, 0])
    loss = classifier_criterion("class_weight", [0.2, 1.8])
    value, grad = value_and_grad(loss, logits.to(torch.bfloat16), target)
    assert value.dtype == torch.bfloat16
    assert torch.isfinite(value).all() and torch.isfinite(grad).all()
    # evaluated in float32: the same value as float32 logits, to bfloat16 precision
    expected, _ = value_and_grad(loss, logits, target)
    torch.testing.assert_close(value.float(), expected, rtol=1e-2, atol=1e-2)


# --------------------------------------------------------------- reductions


@FAST
@given(data=batches(), gamma=gammas, draw=st.data())
def test_focal_reductions_are_plain_mean_and_sum_of_none(data, gamma, draw):
    logits, target = data
    alpha = draw.draw(focal_alphas(logits.shape[1]))
    per_sample = FocalLoss(alpha=alpha, gamma=gamma, reduction="none")(logits, target)
    total = FocalLoss(alpha=alpha, gamma=gamma, reduction="sum")(logits, target)
    mean = FocalLoss(alpha=alpha, gamma=gamma, reduction="mean")(logits, target)
    assert per_sample.shape == target.shape
    torch.testing.assert_close(total, per_sample.sum())
    torch.testing.assert_close(mean, total / len(target))


@FAST
@given(data=batches(), draw=st.data())
def test_classifier_cross_entropy_reductions(data, draw):
    """Unweighted: mean == sum / n. Weighted: torch's weighted mean.

    ``CrossEntropyLoss(weight=w, reduction="mean")`` divides by the summed
    weights of the batch's targets, ``sum_i w[t_i] l_i / sum_i w[t_i]``, not by
    ``n`` as FocalLoss does.
    """
    logits, target = data
    n_classes = logits.shape[1]
    weights = draw.draw(st.none() | class_weights(n_classes))
    strategy = "none" if weights is None else "class_weight"
    out = {
        reduction: classifier_criterion(strategy, weights, reduction=reduction)(
            logits.float(), target
        )
        for reduction in REDUCTIONS
    }
    assert out["none"].shape == target.shape
    torch.testing.assert_close(out["sum"], out["none"].sum())
    if weights is None:
        torch.testing.assert_close(out["mean"], out["sum"] / len(target))
    else:
        w_t = torch.as_tensor(weights, dtype=torch.float32)[target]
        torch.testing.assert_close(out["mean"], out["sum"] / w_t.sum())
        # and the per-sample values are weight * plain cross-entropy
        plain = F.cross_entropy(logits.float(), target, reduction="none")
        torch.testing.assert_close(out["none"], w_t * plain)


# ------------------------------------------------------- focal vs cross-entropy


@FAST
@given(data=batches(extreme=False), gamma=gammas, draw=st.data())
def test_focal_is_non_negative_and_not_above_cross_entropy(data, gamma, draw):
    """Element-wise, for the same alpha: 0 <= FL <= alpha_t * CE."""
    logits, target = data
    alpha = draw.draw(focal_alphas(logits.shape[1]))
    focal = FocalLoss(alpha=alpha, gamma=gamma, reduction="none")(logits, target)
    # FocalLoss keeps alpha in a float32 buffer: compare with the same weights
    weight = alpha_vector(alpha, logits.shape[1]).float().double()
    ce = F.cross_entropy(logits, target, weight=weight, reduction="none")
    assert (focal >= 0).all()
    assert (focal <= ce * (1 + 1e-12) + 1e-300).all()


@FAST
@given(data=batches(extreme=True), gamma=gammas, draw=st.data())
def test_focal_not_above_the_classifiers_weighted_cross_entropy(data, gamma, draw):
    """strategy='focal' never trains on more than 'class_weight' would."""
    logits, target = data
    weights = draw.draw(class_weights(logits.shape[1]))
    focal = classifier_criterion("focal", weights, gamma=gamma, reduction="none")
    ce = classifier_criterion("class_weight", weights, reduction="none")
    got, expected = focal(logits.float(), target), ce(logits.float(), target)
    assert (got >= 0).all()
    assert (got <= expected * (1 + 1e-5) + 1e-30).all()


@FAST
@given(data=batches(), reduction=st.sampled_from(REDUCTIONS), draw=st.data())
def test_focal_at_gamma_zero_is_alpha_weighted_cross_entropy(data, reduction, draw):
    """Values and gradients; "mean" is the plain mean of the weighted terms."""
    logits, target = data
    alpha = draw.draw(focal_alphas(logits.shape[1]))
    weight = alpha_vector(alpha, logits.shape[1])

    def reference(x, t):
        per_sample = F.cross_entropy(x, t, weight=weight, reduction="none")
        if reduction == "none":
            return per_sample
        return per_sample.sum() if reduction == "sum" else per_sample.mean()

    loss = FocalLoss(alpha=alpha, gamma=0.0, reduction=reduction)
    got, got_grad = value_and_grad(loss, logits, target)
    expected, expected_grad = value_and_grad(reference, logits, target)
    torch.testing.assert_close(got, expected)
    torch.testing.assert_close(got_grad, expected_grad)


@FAST
@given(data=batches(), gamma=st.floats(0.01, 5.0))
def test_focal_ratio_to_cross_entropy_is_the_modulating_factor(data, gamma):
    logits, target = data
    ce = F.cross_entropy(logits, target, reduction="none")
    assume(bool((ce > 1e-6).all()))  # the ratio is 0/0 for perfect predictions
    focal = FocalLoss(gamma=gamma, reduction="none")(logits, target)
    p_t = torch.softmax(logits, dim=1)[torch.arange(len(target)), target]
    torch.testing.assert_close(focal / ce, (1 - p_t) ** gamma)


# ------------------------------------------------------------- class weights


@st.composite
def imbalanced_labels(draw):
    """Encoded labels in which every class occurs, with random counts."""
    counts = draw(st.lists(st.integers(1, 40), min_size=2, max_size=6))
    y = np.repeat(np.arange(len(counts)), counts)
    return y, np.array(counts)


@settings(max_examples=60, deadline=None)
@given(labels=imbalanced_labels())
def test_balanced_weights_mean_one_positive_inverse_to_counts(labels):
    y, counts = labels
    weights = balanced_weights(y, len(counts))
    assert weights.shape == (len(counts),)
    assert np.isfinite(weights).all() and (weights > 0).all()
    assert weights.mean() == pytest.approx(1.0)
    # ordered inversely to the counts: rarer classes weigh more, ties tie
    for i in range(len(counts)):
        for j in range(len(counts)):
            if counts[i] < counts[j]:
                assert weights[i] > weights[j]
            elif counts[i] == counts[j]:
                assert weights[i] == pytest.approx(weights[j])
    # and exactly proportional to 1 / count
    np.testing.assert_allclose(weights * counts, (weights * counts)[0])


@settings(max_examples=60, deadline=None)
@given(labels=imbalanced_labels(), seed=st.integers(0, 2**32 - 1))
def test_balanced_weights_ignore_the_order_of_the_samples(labels, seed):
    y, counts = labels
    permuted = np.random.default_rng(seed).permutation(y)
    np.testing.assert_array_equal(
        balanced_weights(permuted, len(counts)), balanced_weights(y, len(counts))
    )


@settings(max_examples=30, deadline=None)
@given(labels=imbalanced_labels(), factor=st.integers(2, 4))
def test_balanced_weights_depend_on_proportions_only(labels, factor):
    """Repeating every sample ``factor`` times leaves the weights unchanged."""
    y, counts = labels
    np.testing.assert_allclose(
        balanced_weights(np.repeat(y, factor), len(counts)),
        balanced_weights(y, len(counts)),
    )
