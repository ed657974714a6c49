"""RAdam: Adam with a rectified adaptive learning rate."""
import numpy as np

from .._tensor import Tensor
from ._kernels import arr, add_, addcmul_, lerp_, real_view
from .optimizer import (Optimizer, _check_differentiable, _get_scalar_dtype, _scalar_tensor,
                        _to_scalar, _use_grad_for_differentiable, _zeros_state)

__all__ = ['RAdam', 'radam']


class RAdam(Optimizer):
    """Implements the RAdam algorithm: Adam whose adaptive term is switched on, and
    rectified, once the variance estimate is reliable (``rho_t > 5``); before that the
    update is SGD with momentum.

    Args:
        params (iterable): parameters, named parameters or parameter groups to optimize.
        lr (float, Tensor, optional): learning rate (default: 1e-3).
        betas (tuple[float, float], optional): running average coefficients
            (default: (0.9, 0.999)).
        eps (float, optional): term added to the denominator (default: 1e-8).
        weight_decay (float, optional): weight decay (L2 penalty) (default: 0).
        decoupled_weight_decay (bool, optional): decay the weights directly, as AdamW does
            (default: False).
        maximize (bool, optional): maximize the objective instead of minimizing it.
        foreach, capturable (bool, optional): accepted for compatibility.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
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
                    'maximize': maximize, 'foreach': foreach, 'capturable': capturable,
                    'decoupled_weight_decay': decoupled_weight_decay,
                    'differentiable': differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._setdefault_groups(
            foreach=None,
            maximize=False,
            differentiable=False,
            decoupled_weight_decay=False,
            capturable=False)
        self._tensorize_state()

    def _init_group(self, group, params_with_grad, grads, exp_avgs, exp_avg_sqs,
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
                state['exp_avg'] = _zeros_state(p)
                state['exp_avg_sq'] = _zeros_state(p)
            exp_avgs.append(state['exp_avg'])
            exp_avg_sqs.append(state['exp_avg_sq'])
            state_steps.append(state['step'])
        return has_complex

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step (``closure`` re-evaluates the model and returns
        the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params_with_grad, grads, exp_avgs, exp_avg_sqs, state_steps = [], [], [], [], []
            beta1, beta2 = group['betas']
            has_complex = self._init_group(group, params_with_grad, grads, exp_avgs,
                                           exp_avg_sqs, state_steps)
            radam(params_with_grad, grads, exp_avgs, exp_avg_sqs, state_steps, beta1=beta1,
                  beta2=beta2, lr=group['lr'], weight_decay=group['weight_decay'],
                  eps=group['eps'], maximize=group['maximize'], foreach=group['foreach'],
                  capturable=group['capturable'], differentiable=group['differentiable'],
                  decoupled_weight_decay=group['decoupled_weight_decay'],
                  has_complex=has_complex)
        return loss


def radam(params, grads, exp_avgs, exp_avg_sqs, state_steps, decoupled_weight_decay=False,
          foreach=None, capturable=False, differentiable=False, has_complex=False,
          maximize=False, *, beta1, beta2, lr, weight_decay, eps):
    """Functional RAdam: updates ``params`` and the state tensors in place."""
    lr, beta1, beta2 = _to_scalar(lr), _to_scalar(beta1), _to_scalar(beta2)
    weight_decay, eps = _to_scalar(weight_decay), _to_scalar(eps)
    rho_inf = 2 / (1 - beta2) - 1
    for i, param in enumerate(params):
        p = arr(param)
        grad = arr(grads[i])
        if maximize:
            grad = np.negative(grad)
        exp_avg, exp_avg_sq = arr(exp_avgs[i]), arr(exp_avg_sqs[i])
        if p.dtype.kind == 'c':
            p, grad = real_view(p), real_view(grad)
            exp_avg, exp_avg_sq = real_view(exp_avg), real_view(exp_avg_sq)
        step_t = state_steps[i]
        step_t._data += 1
        step = float(step_t._data)
        if weight_decay != 0:
            if decoupled_weight_decay:
                p *= 1 - lr * weight_decay
            else:
                g = np.multiply(p, weight_decay)
                g += grad
                grad = g

        lerp_(exp_avg, grad, 1 - beta1)
        exp_avg_sq *= beta2
        addcmul_(exp_avg_sq, grad, grad, 1 - beta2)

        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        update = np.divide(exp_avg, bias_correction1)   # the bias-corrected first moment
        rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
        update *= lr
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf /
                    ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive_lr = np.sqrt(exp_avg_sq)
            adaptive_lr += eps
            # number / tensor is reciprocal(tensor) * number in PyTorch
            np.reciprocal(adaptive_lr, out=adaptive_lr)
            adaptive_lr *= bias_correction2 ** 0.5
            update *= adaptive_lr
            update *= rect
        add_(p, update, -1.0)
        param._bump_version()
