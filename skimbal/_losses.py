"""Loss functions for imbalanced classification."""

from numbers import Real

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["FocalLoss", "LogitAdjustedLoss"]

_REDUCTIONS = ("mean", "sum", "none")


class _CrossEntropyLoss(nn.CrossEntropyLoss):
    """Cross-entropy that evaluates half-precision logits in float32.

    torch refuses bfloat16 or float16 logits next to a float32 ``weight``;
    like :class:`FocalLoss`, compute in float32 and return the logits' dtype.
    """

    def forward(self, input, target):
        if input.dtype in (torch.float16, torch.bfloat16):
            return super().forward(input.float(), target).to(input.dtype)
        return super().forward(input, target)


class FocalLoss(nn.Module):
    r"""Multi-class softmax focal loss on logits.

    For a sample of true class :math:`t` with predicted probability
    :math:`p_t = \mathrm{softmax}(z)_t`, the loss is

    .. math:: \mathrm{FL} = -\alpha_t \, (1 - p_t)^\gamma \, \log p_t ,

    a cross-entropy whose easy, well-classified samples (``p_t`` near 1) are
    down-weighted by the modulating factor ``(1 - p_t) ** gamma`` [1]_. It is
    computed from the log-softmax (torch's fused cross-entropy), so it stays
    finite for extreme logits and for ``0 < gamma < 1``; float16 and bfloat16
    logits are evaluated in float32.

    Parameters
    ----------
    alpha : None, float or sequence of float, default=None
        Class weighting :math:`\alpha_t`.

        - ``None``: no class weighting (:math:`\alpha_t = 1`).
        - float in [0, 1]: for two classes, the weight of class 1 (the
          positive class), ``1 - alpha`` being the weight of class 0, as in
          [1]_ (there ``alpha=0.25`` *down*-weights the positive class); for
          more classes, the same factor for every class.
        - sequence or 1-D tensor of length ``n_classes``: one weight per class,
          indexed by the integer target.

        The weights are stored in the ``alpha`` buffer, so they follow the
        module to its device.
    gamma : float, default=2.0
        Focusing parameter, ``gamma >= 0``. ``gamma=0`` gives the (alpha
        weighted) cross-entropy.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` averages the per-sample losses over the batch (a plain mean:
        unlike :class:`torch.nn.CrossEntropyLoss` with ``weight``, it does not
        divide by the sum of the weights), ``"sum"`` adds them, ``"none"``
        returns them.

    Notes
    -----
    The input is the raw, unnormalised output of the network, of shape
    ``(n_samples, n_classes)``; the target holds class indices in
    ``[0, n_classes)``, of shape ``(n_samples,)``. With ``gamma=0`` and
    ``alpha=None`` the loss equals :func:`torch.nn.functional.cross_entropy`,
    values and gradients.

    References
    ----------
    .. [1] T.-Y. Lin, P. Goyal, R. Girshick, K. He and P. Dollár, "Focal Loss for
       Dense Object Detection", ICCV 2017.

    Examples
    --------
    >>> import torch
    >>> from skimbal import FocalLoss
    >>> logits = torch.tensor([[2.0, -1.0], [0.5, 0.2]])
    >>> target = torch.tensor([0, 1])
    >>> loss = FocalLoss(alpha=[0.25, 0.75], gamma=2.0)
    >>> round(loss(logits, target).item(), 4)
    0.1057
    """

    def __init__(self, alpha=None, gamma=2.0, reduction="mean"):
        super().__init__()
        if isinstance(gamma, bool) or not isinstance(gamma, Real) or not gamma >= 0:
            raise ValueError(
                f"FocalLoss: gamma must be a float >= 0. Got {gamma!r} instead."
            )
        if reduction not in _REDUCTIONS:
            raise ValueError(
                f"FocalLoss: reduction must be one of {_REDUCTIONS}. "
                f"Got {reduction!r} instead."
            )
        self.gamma = float(gamma)
        self.reduction = reduction
        self.register_buffer("alpha", _alpha_tensor(alpha))

    def forward(self, input, target):
        """Compute the focal loss.

        Parameters
        ----------
        input : torch.Tensor of shape (n_samples, n_classes)
            Logits.
        target : torch.Tensor of shape (n_samples,)
            Integer class indices.

        Returns
        -------
        loss : torch.Tensor
            A scalar, or the per-sample losses of shape ``(n_samples,)`` for
            ``reduction="none"``.
        """
        dtype = input.dtype
        loss = self.unreduced(input, target)
        if self.reduction == "mean":
            loss = loss.mean()
        elif self.reduction == "sum":
            loss = loss.sum()
        return loss.to(dtype)

    def unreduced(self, input, target):
        """The per-sample losses, in float32 for half-precision input.

        Parameters
        ----------
        input : torch.Tensor of shape (n_samples, n_classes)
            Logits.
        target : torch.Tensor of shape (n_samples,)
            Integer class indices.

        Returns
        -------
        loss : torch.Tensor of shape (n_samples,)
        """
        if input.ndim != 2 or target.shape != input.shape[:1]:
            raise ValueError(
                "FocalLoss expects logits of shape (n_samples, n_classes) and "
                "targets of shape (n_samples,); got "
                f"{tuple(input.shape)} and {tuple(target.shape)}."
            )
        alpha = self.alpha
        if alpha is not None and alpha.ndim == 1 and len(alpha) != input.shape[1]:
            raise ValueError(
                f"FocalLoss has {len(alpha)} per-class alpha weights but the logits "
                f"have {input.shape[1]} classes."
            )
        target = target.long()
        if input.dtype in (torch.float16, torch.bfloat16):
            input = input.float()
        # -log p_t; torch's fused kernel (a log_softmax inside) is stable for
        # any logits, and faster than log_softmax + gather
        loss = F.cross_entropy(input, target, reduction="none")
        if self.gamma > 0:
            # 1 - p_t = -expm1(log p_t), accurate also when p_t is close to 1
            one_minus_pt = -torch.expm1(-loss)
            if self.gamma < 1:
                # d/dx x**gamma is infinite at 0 for gamma < 1
                one_minus_pt = one_minus_pt.clamp(min=torch.finfo(loss.dtype).tiny)
            loss = one_minus_pt.pow(self.gamma) * loss
        if alpha is not None:
            alpha = alpha.to(loss.dtype)
            if alpha.ndim == 0 and input.shape[1] == 2:
                alpha = torch.stack([1 - alpha, alpha])
            loss = (alpha.index_select(0, target) if alpha.ndim else alpha) * loss
        return loss

    def extra_repr(self):
        return f"gamma={self.gamma}, reduction={self.reduction!r}"


def _alpha_tensor(alpha):
    """Validate ``alpha`` and return it as a float32 tensor, or None."""
    if alpha is None:
        return None
    if isinstance(alpha, Real) and not isinstance(alpha, bool):
        if not 0 <= alpha <= 1:
            raise ValueError(
                f"FocalLoss: a float alpha must be in [0, 1]. Got {alpha!r} instead."
            )
        return torch.tensor(float(alpha))
    try:
        tensor = torch.as_tensor(alpha, dtype=torch.float32)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise TypeError(
            "FocalLoss: alpha must be None, a float in [0, 1] or a sequence of "
            f"per-class weights. Got {alpha!r} instead."
        ) from exc
    tensor = tensor.detach().clone()
    if tensor.ndim != 1 or len(tensor) == 0:
        raise ValueError(
            "FocalLoss: alpha as per-class weights must be 1-D and non-empty. "
            f"Got shape {tuple(tensor.shape)} instead."
        )
    if not torch.isfinite(tensor).all() or (tensor < 0).any():
        raise ValueError(
            "FocalLoss: per-class alpha weights must be finite and >= 0. "
            f"Got {tensor.tolist()} instead."
        )
    return tensor


class LogitAdjustedLoss(nn.Module):
    r"""Logit-adjusted loss: a loss on logits shifted by the log class prior.

    For logits :math:`z` and training class prior :math:`\pi`, the loss is
    that of the shifted logits

    .. math:: \ell(z + \tau \log \pi, t) ,

    by default the cross-entropy, the logit-adjusted softmax cross-entropy of
    Menon et al. [1]_. Rare classes get a handicap during training (their
    logits are lowered by ``tau * log(1 / prior)``), so the network must give
    them larger logits to fit them; at prediction the raw logits are used,
    whose argmax then approximates the balanced-error-optimal classifier
    (exactly so for ``tau=1`` and a well-specified model).

    The adjustment belongs to training only: the network, not this loss,
    produces the predictions, so nothing has to be removed at prediction.

    Parameters
    ----------
    prior : sequence of float or 1-D tensor
        Class prior of the training data, one positive entry per class;
        normalised to sum 1. Stored, as its logarithm, in the ``log_prior``
        buffer, so it follows the module to its device.
    tau : float, default=1.0
        Strength of the adjustment, ``>= 0``; ``0`` gives ``loss`` itself.
    loss : torch.nn.Module or None, default=None
        The loss of the adjusted logits and the targets, e.g. a
        :class:`skimbal.FocalLoss`; ``None`` is
        :class:`torch.nn.CrossEntropyLoss`.

    References
    ----------
    .. [1] A. K. Menon, S. Jayasumana, A. S. Rawat, H. Jain, A. Veit and
       S. Kumar, "Long-tail learning via logit adjustment", ICLR 2021.

    Examples
    --------
    >>> import torch
    >>> from skimbal import LogitAdjustedLoss
    >>> loss = LogitAdjustedLoss(prior=[0.9, 0.1], tau=1.0)
    >>> logits = torch.tensor([[1.0, 1.0]])
    >>> round(loss(logits, torch.tensor([1])).item(), 4)  # rare class: larger
    2.3026
    >>> round(loss(logits, torch.tensor([0])).item(), 4)
    0.1054
    """

    def __init__(self, prior, tau=1.0, loss=None):
        super().__init__()
        if isinstance(tau, bool) or not isinstance(tau, Real) or not tau >= 0:
            raise ValueError(
                f"LogitAdjustedLoss: tau must be a float >= 0. Got {tau!r} instead."
            )
        try:
            prior = torch.as_tensor(prior, dtype=torch.float64)
        except (TypeError, ValueError, RuntimeError) as exc:
            raise TypeError(
                "LogitAdjustedLoss: prior must be a sequence of class "
                f"frequencies. Got {prior!r} instead."
            ) from exc
        prior = prior.detach().cpu()
        if prior.ndim != 1 or len(prior) < 2:
            raise ValueError(
                "LogitAdjustedLoss: prior must be 1-D with one entry per class "
                f"(at least 2). Got shape {tuple(prior.shape)} instead."
            )
        if not torch.isfinite(prior).all() or not (prior > 0).all():
            raise ValueError(
                "LogitAdjustedLoss: the prior must be finite and > 0 for every "
                f"class. Got {prior.tolist()} instead."
            )
        self.tau = float(tau)
        self.loss = nn.CrossEntropyLoss() if loss is None else loss
        self.register_buffer("log_prior", torch.log(prior / prior.sum()).float())

    def adjust(self, input):
        """The logits plus ``tau * log(prior)``, in the dtype of ``input``."""
        if input.ndim != 2 or input.shape[1] != len(self.log_prior):
            raise ValueError(
                f"LogitAdjustedLoss has a prior of {len(self.log_prior)} classes, "
                f"but got logits of shape {tuple(input.shape)}."
            )
        if self.tau == 0:
            return input
        return input + (self.tau * self.log_prior).to(input.dtype)

    def forward(self, input, target):
        """Compute ``loss(input + tau * log(prior), target)``.

        Parameters
        ----------
        input : torch.Tensor of shape (n_samples, n_classes)
            Logits.
        target : torch.Tensor of shape (n_samples,)
            Integer class indices.

        Returns
        -------
        loss : torch.Tensor
            What ``loss`` returns.
        """
        return self.loss(self.adjust(input), target)

    def extra_repr(self):
        return f"tau={self.tau}"


def sample_weighted_loss(criterion, input, target, sample_weight):
    """``criterion(input, target)`` with a weight per sample.

    Each sample's loss is multiplied by its weight, and ``"mean"`` divides by
    what the unweighted mean divides by, with every sample counted
    ``sample_weight`` times: the summed weights for :class:`FocalLoss`, the
    summed ``sample_weight * class weight`` for
    :class:`torch.nn.CrossEntropyLoss` with ``weight``. So equal weights give
    the unweighted loss, and integer weights the loss of repeated samples.

    Parameters
    ----------
    criterion : FocalLoss, LogitAdjustedLoss or torch.nn.CrossEntropyLoss
        The loss, with its ``reduction``.
    input : torch.Tensor of shape (n_samples, n_classes)
        Logits.
    target : torch.Tensor of shape (n_samples,)
        Integer class indices.
    sample_weight : torch.Tensor of shape (n_samples,)
        Weights ``>= 0``.

    Returns
    -------
    loss : torch.Tensor
        A scalar, or the weighted per-sample losses for ``reduction="none"``.
    """
    if isinstance(criterion, LogitAdjustedLoss):
        return sample_weighted_loss(
            criterion.loss, criterion.adjust(input), target, sample_weight
        )
    dtype = input.dtype
    target = target.long()
    if isinstance(criterion, FocalLoss):
        loss = criterion.unreduced(input, target)
        norm = sample_weight
    elif isinstance(criterion, nn.CrossEntropyLoss):
        if dtype in (torch.float16, torch.bfloat16):  # as _CrossEntropyLoss does
            input = input.float()
        loss = F.cross_entropy(
            input,
            target,
            weight=criterion.weight,
            ignore_index=criterion.ignore_index,
            reduction="none",
            label_smoothing=criterion.label_smoothing,
        )
        counted = target != criterion.ignore_index
        norm = sample_weight * counted
        if criterion.weight is not None:
            norm = norm * criterion.weight[target.masked_fill(~counted, 0)]
    else:
        raise TypeError(
            "sample weights need a FocalLoss, LogitAdjustedLoss or "
            f"CrossEntropyLoss; got {type(criterion).__name__}."
        )
    sample_weight = sample_weight.to(loss.dtype)
    loss = sample_weight * loss
    reduction = criterion.reduction
    if reduction == "mean":
        # a batch of zero-weight rows has a zero loss (and gradient), not 0 / 0
        total = norm.sum().to(loss.dtype)
        loss = loss.sum() / total.clamp(min=torch.finfo(loss.dtype).tiny)
    elif reduction == "sum":
        loss = loss.sum()
    return loss.to(dtype)
