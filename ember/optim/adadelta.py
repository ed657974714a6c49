"""Adadelta: steps sized by the ratio of running averages of updates and gradients."""
import numpy as np

from .._tensor import Tensor
from ._kernels import arr, add_, addcmul_, real_view
from .optimizer import (Optimizer, _check_differentiable, _get_scalar_dtype, _scalar_tensor,
                        _to_scalar, _use_grad_for_differentiable, _zeros_state)

__all__ = ['Adadelta', 'adadelta']


class Adadelta(Optimizer):
    """Implements the Adadelta algorithm.

    ``v = rho * v + (1 - rho) * g^2``; ``delta = sqrt(u + eps) / sqrt(v + eps) * g``;
    ``u = rho * u + (1 - rho) * delta^2``; ``p -= lr * delta``.

    Args:
        params (iterable): parameters, named parameters or parameter groups to optimize.
        lr (float, Tensor, optional): coefficient scaling delta (default: 1.0).
        rho (float, optional): running average coefficient (default: 0.9).
        eps (float, optional): term added inside the square roots (default: 1e-6).
        weight_decay (float, optional): weight decay (L2 penalty) (default: 0).
        maximize (bool, optional): maximize the objective instead of minimizing it.
        foreach, capturable (bool, optional): accepted for compatibility.
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError('Tensor lr must be 1-element')
        if not 0.0 <= lr:
            raise ValueError(f'Invalid learning rate: {lr}')
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f'Invalid rho value: {rho}')
        if not 0.0 <= eps:
            raise ValueError(f'Invalid epsilon value: {eps}')
        if not 0.0 <= weight_decay:
            raise ValueError(f'Invalid weight_decay value: {weight_decay}')
        _check_differentiable(differentiable)
        defaults = {'lr': lr, 'rho': rho, 'eps': eps, 'weight_decay': weight_decay,
                    'maximize': maximize, 'capturable': capturable, 'foreach': foreach,
                    'differentiable': differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._setdefault_groups(
            foreach=None,
            maximize=False,
            differentiable=False,
            capturable=False)
        self._tensorize_state()

    def _init_group(self, group, params_with_grad, grads, square_avgs, acc_deltas,
                    state_steps):
        has_complex = False
        for p in group['params']:
            if p.grad is None:
                continue
            has_complex |= p.is_complex()
            params_with_grad.append(p)
            grads.append(p.grad)
            state = self.state[p]
            if len(state) == 0:
                state['step'] = _scalar_tensor(0.0, _get_scalar_dtype(),
                                               p.device if group['capturable'] else None)
                state['square_avg'] = _zeros_state(p)
                state['acc_delta'] = _zeros_state(p)
            square_avgs.append(state['square_avg'])
            acc_deltas.append(state['acc_delta'])
            state_steps.append(state['step'])
        return has_complex

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step (``closure`` re-evaluates the model and returns
        the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params_with_grad, grads, square_avgs, acc_deltas, state_steps = [], [], [], [], []
            has_complex = self._init_group(group, params_with_grad, grads, square_avgs,
                                           acc_deltas, state_steps)
            adadelta(params_with_grad, grads, square_avgs, acc_deltas, state_steps,
                     lr=group['lr'], rho=group['rho'], eps=group['eps'],
                     weight_decay=group['weight_decay'], foreach=group['foreach'],
                     maximize=group['maximize'], differentiable=group['differentiable'],
                     capturable=group['capturable'], has_complex=has_complex)
        return loss


def adadelta(params, grads, square_avgs, acc_deltas, state_steps, capturable=False,
             foreach=None, differentiable=False, has_complex=False, *, lr, rho, eps,
             weight_decay, maximize):
    """Functional Adadelta: updates ``params`` and the state tensors in place."""
    lr, rho = _to_scalar(lr), _to_scalar(rho)
    eps, weight_decay = _to_scalar(eps), _to_scalar(weight_decay)
    for param, g_t, sq_t, acc_t, step_t in zip(params, grads, square_avgs, acc_deltas,
                                               state_steps):
        step_t._data += 1
        p = arr(param)
        grad = arr(g_t)
        if maximize:
            grad = np.negative(grad)
        if weight_decay != 0:
            g = np.multiply(p, weight_decay)
            g += grad
            grad = g
        square_avg, acc_delta = arr(sq_t), arr(acc_t)
        if p.dtype.kind == 'c':
            p, grad = real_view(p), real_view(grad)
            square_avg, acc_delta = real_view(square_avg), real_view(acc_delta)
        square_avg *= rho
        addcmul_(square_avg, grad, grad, 1 - rho)
        std = np.add(square_avg, eps)
        np.sqrt(std, out=std)
        delta = np.add(acc_delta, eps)
        np.sqrt(delta, out=delta)
        delta /= std
        delta *= grad
        acc_delta *= rho
        addcmul_(acc_delta, delta, delta, 1 - rho)
        add_(p, delta, -lr)
        param._bump_version()
