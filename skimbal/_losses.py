"""Loss functions for imbalanced classification."""

from numbers import Real

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["FocalLoss"]

_REDUCTIONS = ("mean", "sum", "none")


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
        dtype = input.dtype
        if dtype in (torch.float16, torch.bfloat16):
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
        if self.reduction == "mean":
            loss = loss.mean()
        elif self.reduction == "sum":
            loss = loss.sum()
        return loss.to(dtype)

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
