"""Gradient clipping."""
import math
import warnings

from ...autograd.grad_mode import no_grad
from ..._tensor import Tensor

__all__ = ['clip_grad_norm_', 'clip_grad_norm', 'clip_grad_value_']


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Scale gradients in place so their total norm is at most ``max_norm``; returns the
    total norm (before clipping)."""
    from ..._ops.creation import tensor as make_tensor
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = [p.grad for p in parameters if p.grad is not None]
    max_norm = float(max_norm)
    norm_type = float(norm_type)
    if not grads:
        return make_tensor(0.0)
    with no_grad():
        if norm_type == math.inf:
            norms = [g.abs().max() for g in grads]
            total = norms[0] if len(norms) == 1 else max(norms, key=lambda t: t.item())
            total = make_tensor(max(n.item() for n in norms), dtype=grads[0].dtype)
        else:
            total_value = sum(float((g.abs() ** norm_type).sum().item()) for g in grads) \
                ** (1.0 / norm_type)
            total = make_tensor(total_value, dtype=grads[0].dtype)
        if error_if_nonfinite and not math.isfinite(total.item()):
            raise RuntimeError(f'The total norm of order {norm_type} for gradients from '
                               '`parameters` is non-finite, so it cannot be clipped. To disable '
                               'this error and scale the gradients by the non-finite norm '
                               'anyway, set `error_if_nonfinite=False`')
        coef = max_norm / (total.item() + 1e-6)
        if coef < 1:
            for g in grads:
                g.mul_(coef)
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element to ``[-clip_value, clip_value]`` in place."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    clip_value = float(clip_value)
    with no_grad():
        for p in parameters:
            if p.grad is not None:
                p.grad.clamp_(min=-clip_value, max=clip_value)


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                   foreach=None):
    """Deprecated alias of :func:`clip_grad_norm_` (PyTorch warns, then clips)."""
    warnings.warn('`torch.nn.utils.clip_grad_norm` is now deprecated in favor of '
                  '`torch.nn.utils.clip_grad_norm_`.', FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)
