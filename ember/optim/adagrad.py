"""Adagrad: per-coordinate steps scaled by the accumulated squared gradients."""
import numpy as np

from .._tensor import Tensor
from .._ops.creation import full_like
from .. import _memory_format
from ._kernels import arr, addcdiv_, addcmul_, real_view
from .optimizer import (Optimizer, _check_differentiable, _get_scalar_dtype, _scalar_tensor,
                        _to_scalar, _use_grad_for_differentiable)

__all__ = ['Adagrad', 'adagrad']


def _sum_state(p, initial_accumulator_value):
    value = initial_accumulator_value
    if p.is_complex():
        value = complex(value, value)
    return full_like(p, value, memory_format=_memory_format.preserve_format)


class Adagrad(Optimizer):
    """Implements the Adagrad algorithm.

    ``sum += g^2``; ``p -= clr * g / (sqrt(sum) + eps)`` with
    ``clr = lr / (1 + (t - 1) * lr_decay)``.

    Args:
        params (iterable): parameters, named parameters or parameter groups to optimize.
        lr (float, Tensor, optional): learning rate (default: 1e-2).
        lr_decay (float, optional): learning rate decay (default: 0).
        weight_decay (float, optional): weight decay (L2 penalty) (default: 0).
        initial_accumulator_value (float, optional): starting value of the sums (default: 0).
        eps (float, optional): term added to the denominator (default: 1e-10).
        maximize (bool, optional): maximize the objective instead of minimizing it.
        foreach, fused (bool, optional): accepted for compatibility.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, foreach=None, *, maximize=False,
                 differentiable=False, fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError('Tensor lr must be 1-element')
        if not 0.0 <= lr:
            raise ValueError(f'Invalid learning rate: {lr}')
        if not 0.0 <= lr_decay:
            raise ValueError(f'Invalid lr_decay value: {lr_decay}')
        if not 0.0 <= weight_decay:
            raise ValueError(f'Invalid weight_decay value: {weight_decay}')
        if not 0.0 <= initial_accumulator_value:
            raise ValueError('Invalid initial_accumulator_value value: '
                             f'{initial_accumulator_value}')
        if not 0.0 <= eps:
            raise ValueError(f'Invalid epsilon value: {eps}')
        _check_differentiable(differentiable)
        defaults = {'lr': lr, 'lr_decay': lr_decay, 'eps': eps, 'weight_decay': weight_decay,
                    'initial_accumulator_value': initial_accumulator_value,
                    'foreach': foreach, 'maximize': maximize,
                    'differentiable': differentiable, 'fused': fused}
        super().__init__(params, defaults)
        if fused and foreach:
            raise RuntimeError('`fused` and `foreach` cannot be `True` together.')
        # Adagrad creates its state for every parameter up front.
        for group in self.param_groups:
            for p in group['params']:
                state = self.state[p]
                state['step'] = _scalar_tensor(0.0, _get_scalar_dtype(group['fused']),
                                               p.device if group['fused'] else None)
                state['sum'] = _sum_state(p, initial_accumulator_value)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._setdefault_groups(foreach=None, maximize=False, differentiable=False, fused=None)
        self._tensorize_state(capturable_key='fused')

    def share_memory(self):
        """Accepted for compatibility (ember does not share memory between processes)."""

    def _init_group(self, group, params_with_grad, grads, state_sums, state_steps):
        has_complex = False
        for p in group['params']:
            if p.grad is None:
                continue
            has_complex |= p.is_complex()
            params_with_grad.append(p)
            grads.append(p.grad)
            state = self.state[p]
            if len(state) == 0:
                state['step'] = _scalar_tensor(0.0, _get_scalar_dtype(group['fused']),
                                               p.device if group['fused'] else None)
                state['sum'] = _sum_state(p, self.defaults['initial_accumulator_value'])
            state_sums.append(state['sum'])
            state_steps.append(state['step'])
        return False, has_complex

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step (``closure`` re-evaluates the model and returns
        the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params_with_grad, grads, state_sums, state_steps = [], [], [], []
            has_sparse_grad, has_complex = self._init_group(group, params_with_grad, grads,
                                                            state_sums, state_steps)
            adagrad(params_with_grad, grads, state_sums, state_steps, lr=group['lr'],
                    weight_decay=group['weight_decay'], lr_decay=group['lr_decay'],
                    eps=group['eps'], has_sparse_grad=has_sparse_grad,
                    foreach=group['foreach'], maximize=group['maximize'],
                    differentiable=group['differentiable'], has_complex=has_complex,
                    fused=group['fused'])
        return loss


def adagrad(params, grads, state_sums, state_steps, fused=None, grad_scale=None,
            found_inf=None, has_sparse_grad=False, foreach=None, differentiable=False,
            has_complex=False, *, lr, weight_decay, lr_decay, eps, maximize):
    """Functional Adagrad: updates ``params`` and the sums in place."""
    lr, lr_decay = _to_scalar(lr), _to_scalar(lr_decay)
    weight_decay, eps = _to_scalar(weight_decay), _to_scalar(eps)
    for param, g_t, state_sum, step_t in zip(params, grads, state_sums, state_steps):
        step_t._data += 1
        step = float(step_t._data)
        p = arr(param)
        grad = arr(g_t)
        if maximize:
            grad = np.negative(grad)
        if weight_decay != 0:
            g = np.multiply(p, weight_decay)
            g += grad
            grad = g
        clr = lr / (1 + (step - 1) * lr_decay)
        acc = arr(state_sum)
        if p.dtype.kind == 'c':
            p, grad, acc = real_view(p), real_view(grad), real_view(acc)
        addcmul_(acc, grad, grad, 1)
        std = np.sqrt(acc)
        std += eps
        addcdiv_(p, grad, std, -clr)
        param._bump_version()
