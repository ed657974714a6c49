"""ASGD: averaged stochastic gradient descent."""
import numpy as np

from .._tensor import Tensor
from ._kernels import arr, add_, real_view
from .optimizer import (Optimizer, _check_differentiable, _get_scalar_dtype, _scalar_tensor,
                        _to_scalar, _use_grad_for_differentiable, _zeros_state)

__all__ = ['ASGD', 'asgd']


class ASGD(Optimizer):
    """Implements averaged stochastic gradient descent.

    Args:
        params (iterable): parameters, named parameters or parameter groups to optimize.
        lr (float, Tensor, optional): learning rate (default: 1e-2).
        lambd (float, optional): decay term (default: 1e-4).
        alpha (float, optional): power for the eta update (default: 0.75).
        t0 (float, optional): point at which to start averaging (default: 1e6).
        weight_decay (float, optional): weight decay (L2 penalty) (default: 0).
        maximize (bool, optional): maximize the objective instead of minimizing it.
        foreach, capturable (bool, optional): accepted for compatibility.
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError('Tensor lr must be 1-element')
        if not 0.0 <= lr:
            raise ValueError(f'Invalid learning rate: {lr}')
        if not 0.0 <= weight_decay:
            raise ValueError(f'Invalid weight_decay value: {weight_decay}')
        _check_differentiable(differentiable)
        defaults = {'lr': lr, 'lambd': lambd, 'alpha': alpha, 't0': t0,
                    'weight_decay': weight_decay, 'foreach': foreach, 'maximize': maximize,
                    'differentiable': differentiable, 'capturable': capturable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._setdefault_groups(
            foreach=None,
            maximize=False,
            differentiable=False,
            capturable=False)
        self._tensorize_state(keys=('step', 'eta', 'mu'))

    def _init_group(self, group, params_with_grad, grads, mus, axs, etas, state_steps):
        has_complex = False
        for p in group['params']:
            if p.grad is None:
                continue
            has_complex |= p.is_complex()
            params_with_grad.append(p)
            grads.append(p.grad)
            state = self.state[p]
            if len(state) == 0:
                dtype = _get_scalar_dtype()
                state['step'] = _scalar_tensor(0.0, dtype, p.device)
                state['eta'] = _scalar_tensor(_to_scalar(group['lr']), dtype, p.device)
                state['mu'] = _scalar_tensor(1.0, dtype, p.device)
                state['ax'] = _zeros_state(p)
            mus.append(state['mu'])
            axs.append(state['ax'])
            etas.append(state['eta'])
            state_steps.append(state['step'])
        return has_complex

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step (``closure`` re-evaluates the model and returns
        the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params_with_grad, grads, mus, axs, etas, state_steps = [], [], [], [], [], []
            has_complex = self._init_group(group, params_with_grad, grads, mus, axs, etas,
                                           state_steps)
            asgd(params_with_grad, grads, axs, mus, etas, state_steps, lambd=group['lambd'],
                 lr=group['lr'], t0=group['t0'], alpha=group['alpha'],
                 weight_decay=group['weight_decay'], foreach=group['foreach'],
                 maximize=group['maximize'], differentiable=group['differentiable'],
                 capturable=group['capturable'], has_complex=has_complex)
        return loss


def asgd(params, grads, axs, mus, etas, state_steps, foreach=None, maximize=False,
         differentiable=False, capturable=False, has_complex=False, *, lambd, lr, t0, alpha,
         weight_decay):
    """Functional ASGD: updates ``params`` and the state tensors in place."""
    lr, lambd, t0 = _to_scalar(lr), _to_scalar(lambd), _to_scalar(t0)
    alpha, weight_decay = _to_scalar(alpha), _to_scalar(weight_decay)
    for i, param in enumerate(params):
        p = arr(param)
        grad = arr(grads[i])
        if maximize:
            grad = np.negative(grad)
        ax = arr(axs[i])
        if p.dtype.kind == 'c':
            p, grad, ax = real_view(p), real_view(grad), real_view(ax)
        step_t = state_steps[i]
        step_t._data += 1
        if weight_decay != 0:
            g = np.multiply(p, weight_decay)
            g += grad
            grad = g
        eta, mu = arr(etas[i]), arr(mus[i])
        eta_value = float(eta[0])
        p *= 1 - lambd * eta_value
        add_(p, grad, -eta_value)
        if float(mu[0]) != 1:
            t = np.subtract(p, ax)
            t *= mu
            ax += t
        else:
            ax[...] = p
        step = float(step_t._data)
        # PyTorch makes these through a default-dtype tensor before copying them in.
        default = _get_scalar_dtype().numpy_dtype
        eta[...] = default.type(lr / ((1 + lambd * lr * step) ** alpha))
        mu[...] = default.type(1 / max(1, step - t0))
        param._bump_version()
