"""Adam (and, with decoupled weight decay, AdamW)."""
import numpy as np

from .._tensor import Tensor
from ._kernels import arr, addcdiv_, addcmul_, lerp_, real_view
from .optimizer import (Optimizer, _check_differentiable, _get_scalar_dtype, _scalar_tensor,
                        _to_scalar, _use_grad_for_differentiable, _zeros_state)

__all__ = ['Adam', 'adam']


def _check_adam_args(lr, betas, eps, weight_decay, foreach, capturable):
    if isinstance(lr, Tensor):
        if foreach and not capturable:
            raise ValueError('lr as a Tensor is not supported for capturable=False and '
                             'foreach=True')
        if lr.numel() != 1:
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
    if not ((isinstance(betas[0], float) and isinstance(betas[1], float)) or
            (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
        raise ValueError('betas must be either both floats or both Tensors')
    for i, beta in enumerate(betas):
        if isinstance(beta, Tensor) and beta.numel() != 1:
            raise ValueError(f'Tensor betas[{i}] must be 1-element')


class Adam(Optimizer):
    """Implements the Adam algorithm.

    With ``m``, ``v`` the running averages of the gradient and its square (``betas``), the
    update is ``p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)``.

    Args:
        params (iterable): parameters, named parameters or parameter groups to optimize.
        lr (float, Tensor, optional): learning rate (default: 1e-3).
        betas (tuple[float, float], optional): coefficients of the running averages of the
            gradient and its square (default: (0.9, 0.999)).
        eps (float, optional): term added to the denominator (default: 1e-8).
        weight_decay (float, optional): weight decay (L2 penalty) (default: 0).
        decoupled_weight_decay (bool, optional): decay the weights directly instead of
            through the gradient; makes this AdamW (default: False).
        amsgrad (bool, optional): use the AMSGrad variant (default: False).
        maximize (bool, optional): maximize the objective instead of minimizing it.
        foreach, capturable, fused (bool, optional): accepted for compatibility.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        _check_adam_args(lr, betas, eps, weight_decay, foreach, capturable)
        _check_differentiable(differentiable)
        betas = tuple(betas)
        defaults = {'lr': lr, 'betas': betas, 'eps': eps, 'weight_decay': weight_decay,
                    'amsgrad': amsgrad, 'maximize': maximize, 'foreach': foreach,
                    'capturable': capturable, 'differentiable': differentiable,
                    'fused': fused, 'decoupled_weight_decay': decoupled_weight_decay}
        super().__init__(params, defaults)
        if fused and foreach:
            raise RuntimeError('`fused` and `foreach` cannot be `True` together.')

    def __setstate__(self, state):
        super().__setstate__(state)
        self._setdefault_groups(
            amsgrad=False,
            maximize=False,
            foreach=None,
            capturable=False,
            differentiable=False,
            decoupled_weight_decay=False,
            fused=None)
        self._tensorize_state()

    def _init_group(self, group, params_with_grad, grads, exp_avgs, exp_avg_sqs,
                    max_exp_avg_sqs, state_steps):
        has_complex = False
        for p in group['params']:
            if p.grad is None:
                continue
            has_complex |= p.is_complex()
            params_with_grad.append(p)
            grads.append(p.grad)
            state = self.state[p]
            if len(state) == 0:
                on_device = group['capturable'] or group['fused']
                state['step'] = _scalar_tensor(0.0, _get_scalar_dtype(group['fused']),
                                               p.device if on_device else None)
                state['exp_avg'] = _zeros_state(p)
                state['exp_avg_sq'] = _zeros_state(p)
                if group['amsgrad']:
                    state['max_exp_avg_sq'] = _zeros_state(p)
            exp_avgs.append(state['exp_avg'])
            exp_avg_sqs.append(state['exp_avg_sq'])
            if group['amsgrad']:
                max_exp_avg_sqs.append(state['max_exp_avg_sq'])
            state_steps.append(state['step'])
        return has_complex

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step (``closure`` re-evaluates the model and returns
        the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params_with_grad, grads, exp_avgs, exp_avg_sqs = [], [], [], []
            max_exp_avg_sqs, state_steps = [], []
            beta1, beta2 = group['betas']
            has_complex = self._init_group(group, params_with_grad, grads, exp_avgs,
                                           exp_avg_sqs, max_exp_avg_sqs, state_steps)
            adam(params_with_grad, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs,
                 state_steps, amsgrad=group['amsgrad'], has_complex=has_complex,
                 beta1=beta1, beta2=beta2, lr=group['lr'],
                 weight_decay=group['weight_decay'], eps=group['eps'],
                 maximize=group['maximize'], foreach=group['foreach'],
                 capturable=group['capturable'], differentiable=group['differentiable'],
                 fused=group['fused'],
                 decoupled_weight_decay=group['decoupled_weight_decay'])
        return loss


def adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, foreach=None,
         capturable=False, differentiable=False, fused=None, grad_scale=None, found_inf=None,
         has_complex=False, decoupled_weight_decay=False, *, amsgrad, beta1, beta2, lr,
         weight_decay, eps, maximize):
    """Functional Adam: updates ``params`` and the state tensors in place."""
    lr, beta1, beta2 = _to_scalar(lr), _to_scalar(beta1), _to_scalar(beta2)
    weight_decay, eps = _to_scalar(weight_decay), _to_scalar(eps)
    for i, param in enumerate(params):
        p = arr(param)
        grad = arr(grads[i])
        if maximize:
            grad = np.negative(grad)
        step_t = state_steps[i]
        step_t._data += 1

        if weight_decay != 0:
            if decoupled_weight_decay:
                p *= 1 - lr * weight_decay
            else:
                g = np.multiply(p, weight_decay)
                g += grad
                grad = g

        exp_avg = arr(exp_avgs[i])
        exp_avg_sq = arr(exp_avg_sqs[i])
        if has_complex and p.dtype.kind == 'c':
            p, grad = real_view(p), real_view(grad)
            exp_avg, exp_avg_sq = real_view(exp_avg), real_view(exp_avg_sq)

        # one temporary for the three formulas below (they would allocate one each)
        scratch = np.empty_like(exp_avg) if exp_avg.shape == grad.shape and \
            exp_avg.dtype == grad.dtype else None
        lerp_(exp_avg, grad, 1 - beta1, scratch)
        exp_avg_sq *= beta2
        addcmul_(exp_avg_sq, grad, grad, 1 - beta2, scratch)

        step = float(step_t._data)
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2 ** 0.5

        if amsgrad:
            max_sq = real_view(arr(max_exp_avg_sqs[i]))
            np.maximum(max_sq, exp_avg_sq, out=max_sq)
            denom = np.sqrt(max_sq)
        else:
            denom = np.sqrt(exp_avg_sq)
        denom /= bias_correction2_sqrt
        denom += eps
        addcdiv_(p, exp_avg, denom, -step_size, scratch)
        param._bump_version()
