"""Adamax: Adam with the infinity norm in place of the second moment."""
import numpy as np

from .._tensor import Tensor
from ._kernels import arr, addcdiv_, lerp_, real_view
from .optimizer import (Optimizer, _check_differentiable, _get_scalar_dtype, _scalar_tensor,
                        _to_scalar, _use_grad_for_differentiable, _zeros_state)

__all__ = ['Adamax', 'adamax']


class Adamax(Optimizer):
    """Implements Adamax (a variant of Adam based on the infinity norm).

    ``m = lerp(m, g, 1 - beta1)``; ``u = max(beta2 * u, |g| + eps)``;
    ``p -= lr / (1 - beta1^t) * m / u``.

    Args:
        params (iterable): parameters, named parameters or parameter groups to optimize.
        lr (float, Tensor, optional): learning rate (default: 2e-3).
        betas (tuple[float, float], optional): coefficients of the running average and the
            infinity norm (default: (0.9, 0.999)).
        eps (float, optional): term added to the denominator (default: 1e-8).
        weight_decay (float, optional): weight decay (L2 penalty) (default: 0).
        maximize (bool, optional): maximize the objective instead of minimizing it.
        foreach, capturable (bool, optional): accepted for compatibility.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError('Tensor lr must be 1-element')
        if not 0.0 <= lr:
            raise ValueError(f'Invalid learning rate: {lr}')
        if not 0.0 <= eps:
            raise ValueError(f'Invalid epsilon value: {eps}')
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f'Invalid beta parameter at index 0: {betas[0]}')
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f'Invalid beta parameter at index 1: {betas[1]}')
        if not 0.0 <= weight_decay:
            raise ValueError(f'Invalid weight_decay value: {weight_decay}')
        _check_differentiable(differentiable)
        defaults = {'lr': lr, 'betas': betas, 'eps': eps, 'weight_decay': weight_decay,
                    'foreach': foreach, 'maximize': maximize,
                    'differentiable': differentiable, 'capturable': capturable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._setdefault_groups(
            foreach=None,
            maximize=False,
            differentiable=False,
            capturable=False)
        self._tensorize_state()

    def _init_group(self, group, params_with_grad, grads, exp_avgs, exp_infs, state_steps):
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
                state['exp_avg'] = _zeros_state(p)
                state['exp_inf'] = _zeros_state(p)
            exp_avgs.append(state['exp_avg'])
            exp_infs.append(state['exp_inf'])
            state_steps.append(state['step'])
        return has_complex

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step (``closure`` re-evaluates the model and returns
        the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params_with_grad, grads, exp_avgs, exp_infs, state_steps = [], [], [], [], []
            beta1, beta2 = group['betas']
            has_complex = self._init_group(group, params_with_grad, grads, exp_avgs,
                                           exp_infs, state_steps)
            adamax(params_with_grad, grads, exp_avgs, exp_infs, state_steps,
                   eps=group['eps'], beta1=beta1, beta2=beta2, lr=group['lr'],
                   weight_decay=group['weight_decay'], foreach=group['foreach'],
                   maximize=group['maximize'], differentiable=group['differentiable'],
                   capturable=group['capturable'], has_complex=has_complex)
        return loss


def adamax(params, grads, exp_avgs, exp_infs, state_steps, foreach=None, maximize=False,
           differentiable=False, capturable=False, has_complex=False, *, eps, beta1, beta2,
           lr, weight_decay):
    """Functional Adamax: updates ``params`` and the state tensors in place."""
    lr, beta1, beta2 = _to_scalar(lr), _to_scalar(beta1), _to_scalar(beta2)
    eps, weight_decay = _to_scalar(eps), _to_scalar(weight_decay)
    for i, param in enumerate(params):
        p = arr(param)
        grad = arr(grads[i])
        if maximize:
            grad = np.negative(grad)
        step_t = state_steps[i]
        step_t._data += 1
        if weight_decay != 0:
            g = np.multiply(p, weight_decay)
            g += grad
            grad = g
        exp_avg, exp_inf = arr(exp_avgs[i]), arr(exp_infs[i])
        if p.dtype.kind == 'c':
            p, grad = real_view(p), real_view(grad)
            exp_avg, exp_inf = real_view(exp_avg), real_view(exp_inf)
        lerp_(exp_avg, grad, 1 - beta1)
        exp_inf *= beta2
        norm = np.abs(grad)
        norm += eps
        np.maximum(exp_inf, norm, out=exp_inf)
        bias_correction = 1 - beta1 ** float(step_t._data)
        clr = lr / bias_correction
        addcdiv_(p, exp_avg, exp_inf, -clr)
        param._bump_version()
