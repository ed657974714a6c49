"""Finite-difference checks of gradients (PyTorch's ``gradcheck`` and ``gradgradcheck``)."""
import numpy as np

from .._tensor import Tensor

__all__ = ['gradcheck', 'gradgradcheck', 'GradcheckError']


class GradcheckError(RuntimeError):
    """Raised when analytical and numerical gradients disagree."""


def _as_tuple(x):
    return x if isinstance(x, tuple) else tuple(x) if isinstance(x, list) else (x,)


def _differentiable_outputs(outputs):
    return [o for o in outputs if isinstance(o, Tensor) and o.requires_grad]


def _numerical_jacobian(func, inputs, wrt, eps):
    """d(flattened outputs)/d(input wrt[k]) by central differences, one column per element."""
    if True:  # grad stays on: gradgradcheck's func itself differentiates
        base = [o.detach().clone() for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor)]
        columns = []
        for index in wrt:
            x = inputs[index]
            flat = x._data.reshape(-1) if x._data.flags.c_contiguous else None
            if flat is None:
                raise GradcheckError('gradcheck expects contiguous inputs')
            jac = np.zeros((x._data.size, sum(b._data.size for b in base)), dtype=np.float64)
            for i in range(x._data.size):
                original = flat[i].copy()
                flat[i] = original + eps
                plus = [o._data.astype(np.float64).reshape(-1)
                        for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor)]
                flat[i] = original - eps
                minus = [o._data.astype(np.float64).reshape(-1)
                         for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor)]
                flat[i] = original
                jac[i] = np.concatenate([(p - m) / (2 * eps) for p, m in zip(plus, minus)]) \
                    if plus else 0
            columns.append(jac)
    return columns


def _analytical_jacobian(func, inputs, wrt):
    from . import grad as autograd_grad
    from .._ops.creation import zeros
    outputs = [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor)]
    sizes = [o._data.size for o in outputs]
    total = sum(sizes)
    jacs = [np.zeros((inputs[i]._data.size, total), dtype=np.float64) for i in wrt]
    column = 0
    for k, out in enumerate(outputs):
        for j in range(out._data.size):
            if not out.requires_grad:
                column += 1
                continue
            # A contiguous seed (zeros_like would copy a non-contiguous layout on reshape).
            grad_out = zeros(tuple(out.shape), dtype=out.dtype, device=out.device)
            grad_out._data.reshape(-1)[j] = 1
            grads = autograd_grad([out], [inputs[i] for i in wrt], [grad_out],
                                  retain_graph=True, allow_unused=True)
            for n, g in enumerate(grads):
                if g is not None:
                    jacs[n][:, column] = g._data.astype(np.float64).reshape(-1)
            column += 1
    return jacs


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              **kwargs):
    """Compare autograd's gradients of ``func`` at ``inputs`` with central differences.

    Inputs that require grad should be float64 (or complex128). Returns True, or raises
    ``GradcheckError`` (False with ``raise_exception=False``) naming the input that failed.
    """
    inputs = _as_tuple(inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    for i in wrt:
        if inputs[i].dtype.itemsize < 8 and not inputs[i].dtype.is_complex:
            import warnings
            warnings.warn('Input #%d requires gradient and is not a double precision floating '
                          'point. This check will likely fail if all the inputs are not of '
                          'double precision floating point. ' % i, UserWarning, stacklevel=2)
    numerical = _numerical_jacobian(func, inputs, wrt, eps)
    analytical = _analytical_jacobian(func, inputs, wrt)
    for n, (num, ana) in enumerate(zip(numerical, analytical)):
        if not np.allclose(ana, num, rtol=rtol, atol=atol):
            if not raise_exception:
                return False
            raise GradcheckError(f'Jacobian mismatch for output 0 with respect to input '
                                 f'{wrt[n]},\nnumerical:{num}\nanalytical:{ana}\n')
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, **kwargs):
    """``gradcheck`` of the backward pass: gradients of the gradients (``create_graph``)."""
    from . import grad as autograd_grad
    from .._ops.random import default_generator
    inputs = _as_tuple(inputs)
    outputs = [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor)]
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = []
        from .._ops.creation import tensor
        for o in outputs:
            # Contiguous seeds: the numerical Jacobian perturbs inputs through reshape(-1).
            g = tensor(rng.standard_normal(o._data.shape), dtype=o.dtype, device=o.device)
            g.requires_grad_(True)
            grad_outputs.append(g)
    grad_outputs = _as_tuple(grad_outputs)
    wrt = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    n_inputs = len(inputs)

    def first_grads(*args):
        ins, gouts = args[:n_inputs], args[n_inputs:]
        outs = [o for o in _as_tuple(func(*ins)) if isinstance(o, Tensor) and o.requires_grad]
        diff_ins = [x for x in ins if isinstance(x, Tensor) and x.requires_grad]
        grads = autograd_grad(outs, diff_ins, gouts, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    del default_generator, wrt
    return gradcheck(first_grads, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
