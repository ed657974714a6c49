"""Rprop: resilient backpropagation (sign-based steps with adaptive sizes)."""
import numpy as np

from .._tensor import Tensor
from .._ops.creation import full_like
from ._kernels import arr, addcmul_, real_view
from .optimizer import (Optimizer, _check_differentiable, _get_scalar_dtype, _scalar_tensor,
                        _to_scalar, _use_grad_for_differentiable, _zeros_state)

__all__ = ['Rprop', 'rprop']


class Rprop(Optimizer):
    """Implements the resilient backpropagation algorithm.

    Each coordinate's step size grows by ``etas[1]`` while the gradient keeps its sign and
    shrinks by ``etas[0]`` when it flips (clamped to ``step_sizes``); the parameter moves by
    the step size against the gradient's sign.

    Args:
        params (iterable): parameters, named parameters or parameter groups to optimize.
        lr (float, Tensor, optional): initial step size (default: 1e-2).
        etas (tuple[float, float], optional): decrease and increase factors
            (default: (0.5, 1.2)).
        step_sizes (tuple[float, float], optional): minimal and maximal step sizes
            (default: (1e-6, 50)).
        maximize (bool, optional): maximize the objective instead of minimizing it.
        foreach, capturable (bool, optional): accepted for compatibility.
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError('Tensor lr must be 1-element')
        if not 0.0 <= lr:
            raise ValueError(f'Invalid learning rate: {lr}')
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f'Invalid eta values: {etas[0]}, {etas[1]}')
        _check_differentiable(differentiable)
        defaults = {'lr': lr, 'etas': etas, 'step_sizes': step_sizes, 'foreach': foreach,
                    'maximize': maximize, 'differentiable': differentiable,
                    'capturable': capturable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._setdefault_groups(
            foreach=None,
            maximize=False,
            differentiable=False,
            capturable=False)
        self._tensorize_state()

    def _init_group(self, group, params, grads, prevs, step_sizes, state_steps):
        has_complex = False
        for p in group['params']:
            if p.grad is None:
                continue
            has_complex |= p.is_complex()
            params.append(p)
            grads.append(p.grad)
            state = self.state[p]
            if len(state) == 0:
                state['step'] = _scalar_tensor(0.0, _get_scalar_dtype(),
                                               p.device if group['capturable'] else None)
                state['prev'] = _zeros_state(p)
                lr = _to_scalar(group['lr'])
                state['step_size'] = full_like(p.grad, complex(lr, lr) if p.is_complex()
                                               else lr)
            prevs.append(state['prev'])
            step_sizes.append(state['step_size'])
            state_steps.append(state['step'])
        return has_complex

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step (``closure`` re-evaluates the model and returns
        the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params, grads, prevs, step_sizes, state_steps = [], [], [], [], []
            etaminus, etaplus = group['etas']
            step_size_min, step_size_max = group['step_sizes']
            has_complex = self._init_group(group, params, grads, prevs, step_sizes,
                                           state_steps)
            rprop(params, grads, prevs, step_sizes, state_steps,
                  step_size_min=step_size_min, step_size_max=step_size_max,
                  etaminus=etaminus, etaplus=etaplus, foreach=group['foreach'],
                  maximize=group['maximize'], differentiable=group['differentiable'],
                  capturable=group['capturable'], has_complex=has_complex)
        return loss


def rprop(params, grads, prevs, step_sizes, state_steps, foreach=None, capturable=False,
          maximize=False, differentiable=False, has_complex=False, *, step_size_min,
          step_size_max, etaminus, etaplus):
    """Functional Rprop: updates ``params`` and the state tensors in place."""
    for i, param in enumerate(params):
        p = arr(param)
        grad = arr(grads[i])
        if maximize:
            grad = np.negative(grad)
        prev, step_size = arr(prevs[i]), arr(step_sizes[i])
        state_steps[i]._data += 1
        if p.dtype.kind == 'c':
            p, grad = real_view(p), real_view(grad)
            prev, step_size = real_view(prev), real_view(step_size)
        sign = np.multiply(grad, prev)
        np.sign(sign, out=sign)
        sign[sign > 0] = etaplus
        sign[sign < 0] = etaminus
        sign[sign == 0] = 1
        step_size *= sign
        np.clip(step_size, step_size_min, step_size_max, out=step_size)
        # where the sign flipped, the gradient counts as zero (no step, no next flip)
        grad = grad.copy(order='K')
        grad[sign == etaminus] = 0
        addcmul_(p, np.sign(grad), step_size, -1)
        prev[...] = grad
        param._bump_version()
