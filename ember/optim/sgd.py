"""Stochastic gradient descent, optionally with (Nesterov) momentum."""
import numpy as np

from .._tensor import Tensor, make_tensor
from ._kernels import arr, add_
from .optimizer import (Optimizer, _check_differentiable, _to_scalar,
                        _use_grad_for_differentiable)

__all__ = ['SGD', 'sgd']


class SGD(Optimizer):
    """Implements stochastic gradient descent (optionally with momentum).

    For each parameter with gradient ``g`` (``-g`` with ``maximize``):
    ``g += weight_decay * p``; with momentum ``b = momentum * b + (1 - dampening) * g``
    (``b = g`` at the first step) and ``g = g + momentum * b`` (Nesterov) or ``g = b``;
    then ``p -= lr * g``.

    Args:
        params (iterable): parameters, named parameters or parameter groups to optimize.
        lr (float, Tensor, optional): learning rate (default: 1e-3).
        momentum (float, optional): momentum factor (default: 0).
        dampening (float, optional): dampening for momentum (default: 0).
        weight_decay (float, optional): weight decay (L2 penalty) (default: 0).
        nesterov (bool, optional): enables Nesterov momentum (default: False).
        maximize (bool, optional): maximize the objective instead of minimizing it.
        foreach, fused (bool, optional): accepted for compatibility; ember has one
            implementation.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError('Tensor lr must be 1-element')
        if lr < 0.0:
            raise ValueError(f'Invalid learning rate: {lr}')
        if momentum < 0.0:
            raise ValueError(f'Invalid momentum value: {momentum}')
        if weight_decay < 0.0:
            raise ValueError(f'Invalid weight_decay value: {weight_decay}')
        _check_differentiable(differentiable)
        defaults = {'lr': lr, 'momentum': momentum, 'dampening': dampening,
                    'weight_decay': weight_decay, 'nesterov': nesterov, 'maximize': maximize,
                    'foreach': foreach, 'differentiable': differentiable, 'fused': fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError('Nesterov momentum requires a momentum and zero dampening')
        super().__init__(params, defaults)
        if fused and foreach:
            raise RuntimeError('`fused` and `foreach` cannot be `True` together.')

    def __setstate__(self, state):
        super().__setstate__(state)
        self._setdefault_groups(
            nesterov=False,
            maximize=False,
            foreach=None,
            differentiable=False,
            fused=False)

    def _init_group(self, group, params, grads, momentum_buffer_list):
        for p in group['params']:
            if p.grad is not None:
                params.append(p)
                grads.append(p.grad)
                if group['momentum'] != 0:
                    momentum_buffer_list.append(self.state[p].get('momentum_buffer'))
        return False

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step (``closure`` re-evaluates the model and returns
        the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params, grads, momentum_buffer_list = [], [], []
            has_sparse_grad = self._init_group(group, params, grads, momentum_buffer_list)
            sgd(params, grads, momentum_buffer_list, weight_decay=group['weight_decay'],
                momentum=group['momentum'], lr=group['lr'], dampening=group['dampening'],
                nesterov=group['nesterov'], maximize=group['maximize'],
                has_sparse_grad=has_sparse_grad, foreach=group['foreach'],
                fused=group['fused'])
            if group['momentum'] != 0:
                for p, buf in zip(params, momentum_buffer_list):
                    self.state[p]['momentum_buffer'] = buf
        return loss


def sgd(params, d_p_list, momentum_buffer_list, has_sparse_grad=False, foreach=None,
        fused=None, grad_scale=None, found_inf=None, *, weight_decay, momentum, lr,
        dampening, nesterov, maximize):
    """Functional SGD: updates ``params`` in place; ``None`` entries of
    ``momentum_buffer_list`` are replaced by new buffers."""
    lr = _to_scalar(lr)
    weight_decay = _to_scalar(weight_decay)
    for i, param in enumerate(params):
        p = arr(param)
        grad = arr(d_p_list[i])
        if maximize:
            grad = np.negative(grad)
        if weight_decay != 0:
            g = np.multiply(p, weight_decay)
            g += grad
            grad = g
        if momentum != 0:
            buf = momentum_buffer_list[i]
            if buf is None:
                buf = make_tensor(grad.copy(order='K').reshape(param._data.shape), param._dtype,
                                  param._device)
                momentum_buffer_list[i] = buf
            else:
                b = arr(buf)
                b *= momentum
                add_(b, grad, 1 - dampening)
            if nesterov:
                g = np.multiply(arr(buf), momentum)
                g += grad
                grad = g
            else:
                grad = arr(buf)
        add_(p, grad, -lr)
        param._bump_version()
