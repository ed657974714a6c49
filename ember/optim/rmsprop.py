"""RMSprop: scale the step by a running average of squared gradients."""
import numpy as np

from .._tensor import Tensor
from ._kernels import arr, add_, addcdiv_, addcmul_, lerp_, real_view
from .optimizer import (Optimizer, _check_differentiable, _get_scalar_dtype, _scalar_tensor,
                        _to_scalar, _use_grad_for_differentiable, _zeros_state)

__all__ = ['RMSprop', 'rmsprop']


class RMSprop(Optimizer):
    """Implements RMSprop.

    ``v = alpha * v + (1 - alpha) * g^2``; with ``centered`` the running mean of ``g`` is
    subtracted (``v - mean^2``); then ``p -= lr * g / (sqrt(v) + eps)``, through a momentum
    buffer when ``momentum > 0``.

    Args:
        params (iterable): parameters, named parameters or parameter groups to optimize.
        lr (float, Tensor, optional): learning rate (default: 1e-2).
        alpha (float, optional): smoothing constant (default: 0.99).
        eps (float, optional): term added to the denominator (default: 1e-8).
        weight_decay (float, optional): weight decay (L2 penalty) (default: 0).
        momentum (float, optional): momentum factor (default: 0).
        centered (bool, optional): normalize by the estimated variance of the gradient.
        maximize (bool, optional): maximize the objective instead of minimizing it.
        capturable, foreach (bool, optional): accepted for compatibility.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError('Tensor lr must be 1-element')
        if not 0.0 <= lr:
            raise ValueError(f'Invalid learning rate: {lr}')
        if not 0.0 <= eps:
            raise ValueError(f'Invalid epsilon value: {eps}')
        if not 0.0 <= momentum:
            raise ValueError(f'Invalid momentum value: {momentum}')
        if not 0.0 <= weight_decay:
            raise ValueError(f'Invalid weight_decay value: {weight_decay}')
        if not 0.0 <= alpha:
            raise ValueError(f'Invalid alpha value: {alpha}')
        _check_differentiable(differentiable)
        defaults = {'lr': lr, 'momentum': momentum, 'alpha': alpha, 'eps': eps,
                    'centered': centered, 'weight_decay': weight_decay,
                    'capturable': capturable, 'foreach': foreach, 'maximize': maximize,
                    'differentiable': differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._setdefault_groups(
            momentum=0,
            centered=False,
            foreach=None,
            maximize=False,
            differentiable=False,
            capturable=False)
        self._tensorize_state()

    def _init_group(self, group, params_with_grad, grads, square_avgs, momentum_buffer_list,
                    grad_avgs, state_steps):
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
                if group['momentum'] > 0:
                    state['momentum_buffer'] = _zeros_state(p)
                if group['centered']:
                    state['grad_avg'] = _zeros_state(p)
            square_avgs.append(state['square_avg'])
            state_steps.append(state['step'])
            if group['momentum'] > 0:
                momentum_buffer_list.append(state['momentum_buffer'])
            if group['centered']:
                grad_avgs.append(state['grad_avg'])
        return has_complex

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step (``closure`` re-evaluates the model and returns
        the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params_with_grad, grads, square_avgs, grad_avgs = [], [], [], []
            momentum_buffer_list, state_steps = [], []
            has_complex = self._init_group(group, params_with_grad, grads, square_avgs,
                                           momentum_buffer_list, grad_avgs, state_steps)
            rmsprop(params_with_grad, grads, square_avgs, grad_avgs, momentum_buffer_list,
                    state_steps, lr=group['lr'], alpha=group['alpha'], eps=group['eps'],
                    weight_decay=group['weight_decay'], momentum=group['momentum'],
                    centered=group['centered'], foreach=group['foreach'],
                    maximize=group['maximize'], differentiable=group['differentiable'],
                    capturable=group['capturable'], has_complex=has_complex)
        return loss


def rmsprop(params, grads, square_avgs, grad_avgs, momentum_buffer_list, state_steps,
            foreach=None, maximize=False, differentiable=False, capturable=False,
            has_complex=False, *, lr, alpha, eps, weight_decay, momentum, centered):
    """Functional RMSprop: updates ``params`` and the state tensors in place."""
    lr, alpha, eps = _to_scalar(lr), _to_scalar(alpha), _to_scalar(eps)
    weight_decay, momentum = _to_scalar(weight_decay), _to_scalar(momentum)
    for i, param in enumerate(params):
        p = arr(param)
        grad = arr(grads[i])
        if maximize:
            grad = np.negative(grad)
        state_steps[i]._data += 1
        if weight_decay != 0:
            g = np.multiply(p, weight_decay)
            g += grad
            grad = g
        square_avg = arr(square_avgs[i])
        is_complex = p.dtype.kind == 'c'
        if is_complex:
            p, grad, square_avg = real_view(p), real_view(grad), real_view(square_avg)

        square_avg *= alpha
        addcmul_(square_avg, grad, grad, 1 - alpha)
        if centered:
            grad_avg = arr(grad_avgs[i])
            if is_complex:
                grad_avg = real_view(grad_avg)
            lerp_(grad_avg, grad, 1 - alpha)
            avg = square_avg.copy()
            addcmul_(avg, grad_avg, grad_avg, -1)
            np.sqrt(avg, out=avg)
        else:
            avg = np.sqrt(square_avg)
        avg += eps

        if momentum > 0:
            buf = arr(momentum_buffer_list[i])
            if is_complex:
                buf = real_view(buf)
            buf *= momentum
            addcdiv_(buf, grad, avg)
            add_(p, buf, -lr)
        else:
            addcdiv_(p, grad, avg, -lr)
        param._bump_version()
