"""L-BFGS: a quasi-Newton method with a limited history, optionally with a strong-Wolfe
line search.

The arithmetic runs on flat NumPy arrays in host memory (parameters on another device are
copied over and written back). Where PyTorch's algorithm holds a 0-d tensor
(curvature products, step sizes derived from them) this module holds a NumPy scalar of the
same dtype, so mixed arithmetic with Python floats rounds as PyTorch's does; the state dict
stores such values as 0-d tensors and Python floats exactly where PyTorch does.
"""
import numpy as np

from .._device import CPU, backend_of
from .._tensor import Tensor, make_tensor
from ..autograd import grad_mode
from ._kernels import add_, real_view
from .optimizer import Optimizer, _to_scalar

__all__ = ['LBFGS']


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimizer of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to bounds."""
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square >= 0:
        d2 = np.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    """Line search along ``d`` for a step satisfying the strong Wolfe conditions.

    Returns ``(f_new, g_new, t, ls_func_evals)``.
    """
    d_norm = np.abs(d).max()
    g = g.copy()
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = g_new.dot(d)

    # bracket an interval containing a point satisfying the conditions
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        # extrapolate
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                               bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1

    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # zoom into the bracket until a point satisfies the conditions
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0],
                               bracket[1], bracket_f[1], bracket_gtd[1])
        # keep t away from the bracket's ends unless progress stalls
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False

        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1

        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new.copy(), gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos] = bracket[low_pos]
                bracket_f[high_pos] = bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new.copy(), gtd_new

    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


# ---------------------------------------------------------------------------------------
# state conversion: NumPy values inside the algorithm, tensors in ``state`` as PyTorch has
# ---------------------------------------------------------------------------------------
def _on_device(array, device):
    """A host array moved to ``device`` (the array itself for the cpu)."""
    if device is CPU:
        return array
    return backend_of(device).from_host(array, device.index)


def _to_state(value, device):
    if isinstance(value, (np.ndarray, np.generic)):
        value = np.asarray(value)
        return make_tensor(_on_device(value, device), _dtype_of(value), device)
    if isinstance(value, list):
        return [_to_state(v, device) for v in value]
    return value


def _from_state(value):
    if isinstance(value, Tensor):
        data = value._host_array()
        return data[()] if data.ndim == 0 else data
    if isinstance(value, list):
        return [_from_state(v) for v in value]
    return value


def _dtype_of(array):
    from .. import _dtype
    return _dtype.from_numpy_dtype(array.dtype)


class LBFGS(Optimizer):
    """Implements the L-BFGS algorithm (after minFunc).

    ``step`` needs a closure that clears the gradients, computes the loss, calls
    ``backward`` and returns the loss; it may call it several times. Only one parameter
    group is supported, and it needs ``param_bytes * (history_size + 1)`` extra memory.

    Args:
        params (iterable): parameters to optimize (real or complex).
        lr (float, optional): learning rate (default: 1).
        max_iter (int, optional): iterations per ``step`` (default: 20).
        max_eval (int, optional): function evaluations per ``step``
            (default: ``max_iter * 1.25``).
        tolerance_grad (float, optional): first-order optimality tolerance (default: 1e-7).
        tolerance_change (float, optional): tolerance on function value and parameter
            changes (default: 1e-9).
        history_size (int, optional): update history size (default: 100).
        line_search_fn (str, optional): ``'strong_wolfe'`` or None (default: None).
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError('Tensor lr must be 1-element')
        if not 0.0 <= lr:
            raise ValueError(f'Invalid learning rate: {lr}')
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {'lr': lr, 'max_iter': max_iter, 'max_eval': max_eval,
                    'tolerance_grad': tolerance_grad, 'tolerance_change': tolerance_change,
                    'history_size': history_size, 'line_search_fn': line_search_fn}
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]['params']
        self._numel_cache = None

    def _numel(self):
        if self._numel_cache is None:
            self._numel_cache = sum(2 * p.numel() if p.is_complex() else p.numel()
                                    for p in self._params)
        return self._numel_cache

    def _gather_flat_grad(self):
        views = []
        for p in self._params:
            if p.grad is None:
                view = np.zeros(p.numel(), dtype=p._data.dtype)
            else:
                view = p.grad._host_array().reshape(-1)
            views.append(real_view(view).reshape(-1))
        return np.concatenate(views)

    @staticmethod
    def _write(p, host):
        """Store a host array into parameter ``p`` (a no-op for cpu, where it is p's own)."""
        if p._device is not CPU:
            p._data[...] = _on_device(host, p._device)
        p._bump_version()

    def _add_grad(self, step_size, update):
        offset = 0
        for p in self._params:
            host = p._host_array()
            data = real_view(host)
            numel = data.size
            add_(data, update[offset:offset + numel].reshape(data.shape), step_size)
            self._write(p, host)
            offset += numel
        assert offset == self._numel()

    def _clone_param(self):
        return [p._host_array().copy() for p in self._params]

    def _set_param(self, params_data):
        for p, pdata in zip(self._params, params_data):
            if p._device is CPU:
                p._data[...] = pdata
            self._write(p, pdata)

    def _directional_evaluate(self, closure, x, t, d):
        self._add_grad(t, d)
        loss = float(closure())
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    @grad_mode.no_grad()
    def step(self, closure):
        """Perform a single optimization step.

        Args:
            closure (Callable): re-evaluates the model and returns the loss.
        """
        assert len(self.param_groups) == 1
        closure = grad_mode.enable_grad()(closure)

        group = self.param_groups[0]
        lr = _to_scalar(group['lr'])
        max_iter = group['max_iter']
        max_eval = group['max_eval']
        tolerance_grad = group['tolerance_grad']
        tolerance_change = group['tolerance_change']
        line_search_fn = group['line_search_fn']
        history_size = group['history_size']

        # all state lives with the first parameter
        state = self.state[self._params[0]]
        state.setdefault('func_evals', 0)
        state.setdefault('n_iter', 0)

        orig_loss = closure()
        loss = float(orig_loss)
        current_evals = 1
        state['func_evals'] += 1

        flat_grad = self._gather_flat_grad()
        if np.abs(flat_grad).max() <= tolerance_grad:
            return orig_loss

        d = _from_state(state.get('d'))
        t = _from_state(state.get('t'))
        old_dirs = _from_state(state.get('old_dirs'))
        old_stps = _from_state(state.get('old_stps'))
        ro = _from_state(state.get('ro'))
        H_diag = _from_state(state.get('H_diag'))
        prev_flat_grad = _from_state(state.get('prev_flat_grad'))
        prev_loss = state.get('prev_loss')
        al = None
        opt_cond = False

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state['n_iter'] += 1

            # the descent direction
            if state['n_iter'] == 1:
                d = np.negative(flat_grad)
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = y.dot(s)
                if ys > 1e-10:
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(_reciprocal(ys))
                    H_diag = ys / y.dot(y)
                num_old = len(old_dirs)
                if 'al' not in state:
                    state['al'] = [None] * history_size
                al = _from_state(state['al'])

                # two-loop recursion: apply the inverse Hessian estimate to -grad
                q = np.negative(flat_grad)
                for i in range(num_old - 1, -1, -1):
                    al[i] = old_stps[i].dot(q) * ro[i]
                    add_(q, old_dirs[i], -al[i])
                d = r = q * H_diag
                for i in range(num_old):
                    be_i = old_dirs[i].dot(r) * ro[i]
                    add_(r, old_stps[i], al[i] - be_i)
                state['al'] = _to_state(al, self._params[0].device)

            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                prev_flat_grad[...] = flat_grad
            prev_loss = loss

            # the step size
            if state['n_iter'] == 1:
                t = min(1.0, _reciprocal(np.abs(flat_grad).sum())) * lr
            else:
                t = lr

            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:
                break

            ls_func_evals = 0
            if line_search_fn is not None:
                if line_search_fn != 'strong_wolfe':
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x_init = self._clone_param()

                def obj_func(x, t, d):
                    return self._directional_evaluate(closure, x, t, d)

                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    obj_func, x_init, t, d, loss, flat_grad, gtd,
                    max_ls=max_eval - current_evals)
                self._add_grad(t, d)
                opt_cond = np.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_grad(t, d)
                if n_iter != max_iter:
                    # re-evaluate unless this was the last iteration
                    with grad_mode.enable_grad():
                        loss = float(closure())
                    flat_grad = self._gather_flat_grad()
                    opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1

            current_evals += ls_func_evals
            state['func_evals'] += ls_func_evals

            # stopping conditions
            if n_iter == max_iter:
                break
            if current_evals >= max_eval:
                break
            if opt_cond:
                break
            if np.abs(d * t).max() <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        device = self._params[0].device
        state['d'] = _to_state(d, device)
        state['t'] = _to_state(t, device)
        state['old_dirs'] = _to_state(old_dirs, device)
        state['old_stps'] = _to_state(old_stps, device)
        state['ro'] = _to_state(ro, device)
        state['H_diag'] = _to_state(H_diag, device)
        state['prev_flat_grad'] = _to_state(prev_flat_grad, device)
        state['prev_loss'] = prev_loss
        return orig_loss


def _reciprocal(x):
    """``1.0 / x`` for a 0-d value, computed as PyTorch does (reciprocal, then times 1.0)."""
    return np.reciprocal(x) * 1.0
