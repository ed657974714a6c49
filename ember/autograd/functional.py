"""Higher-level derivatives built on ``autograd.grad``: vjp, jvp, jacobian, hessian, hvp."""
from .._tensor import Tensor
from . import grad as _grad
from .grad_mode import enable_grad

__all__ = ['vjp', 'jvp', 'jacobian', 'hessian', 'hvp', 'vhp']


def _tuple(x):
    return (x, False) if isinstance(x, tuple) else ((x,), True)


def _prepare(inputs, create_graph):
    return tuple(x.detach().requires_grad_(True) if not create_graph or not x.requires_grad
                 else x for x in inputs)


def _zeros_for_none(grads, like):
    from .._ops.creation import zeros_like
    return tuple(zeros_like(x) if g is None else g for g, x in zip(grads, like))


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product at ``inputs``."""
    inputs, single = _tuple(inputs)
    with enable_grad():
        inputs = _prepare(inputs, create_graph)
        outputs = func(*inputs)
        outs, single_out = _tuple(outputs)
        if v is None:
            if any(o.numel() != 1 for o in outs):
                raise RuntimeError('The vector v can only be None if the user-provided function '
                                   'returns a single Tensor with a single element.')
            vs = (None,) * len(outs)
        else:
            vs, _ = _tuple(v)
        grads = _grad(outs, inputs, vs, create_graph=create_graph, allow_unused=True)
    grads = _zeros_for_none(grads, inputs)
    if not create_graph:
        outs = tuple(o.detach() for o in outs)
        grads = tuple(g.detach() for g in grads)
    return (outs[0] if single_out else outs), (grads[0] if single else grads)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)`` via the double-vjp trick."""
    from .._ops.creation import zeros_like
    inputs, single = _tuple(inputs)
    with enable_grad():
        inputs = _prepare(inputs, create_graph)
        outputs = func(*inputs)
        outs, single_out = _tuple(outputs)
        dummies = tuple(zeros_like(o).requires_grad_(True) for o in outs)
        grads = _grad(outs, inputs, dummies, create_graph=True, allow_unused=True)
        if v is None:
            if any(x.numel() != 1 for x in inputs):
                raise RuntimeError('The vector v can only be None if the input to the '
                                   'user-provided function is a single Tensor with a single '
                                   'element.')
            vs = tuple(None for _ in inputs)
        else:
            vs, _ = _tuple(v)
        used = [(g, vv) for g, vv in zip(grads, vs) if g is not None]
        result = _grad([g for g, _ in used], dummies, [vv for _, vv in used],
                       create_graph=create_graph, allow_unused=True)
    result = _zeros_for_none(result, outs)
    if not create_graph:
        outs = tuple(o.detach() for o in outs)
        result = tuple(r.detach() for r in result)
    return (outs[0] if single_out else outs), (result[0] if single_out else result)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy='reverse-mode'):
    """The Jacobian of ``func`` at ``inputs``: output shape + input shape per pair."""
    from .._ops.creation import zeros_like, zeros
    from .._ops.joining import stack
    inputs, single = _tuple(inputs)
    with enable_grad():
        inputs = _prepare(inputs, create_graph)
        outputs = func(*inputs)
        outs, single_out = _tuple(outputs)
        table = []
        for out in outs:
            rows = [[] for _ in inputs]
            flat = out.reshape(-1)
            for j in range(flat.numel()):
                grads = _grad((flat[j],), inputs, retain_graph=True, create_graph=create_graph,
                              allow_unused=True) if out.requires_grad else (None,) * len(inputs)
                for k, (g, x) in enumerate(zip(grads, inputs)):
                    rows[k].append(zeros_like(x) if g is None else g)
            per_input = []
            for k, x in enumerate(inputs):
                if rows[k]:
                    jac = stack(rows[k]).reshape(tuple(out.shape) + tuple(x.shape))
                else:
                    jac = zeros(tuple(out.shape) + tuple(x.shape), dtype=x.dtype)
                per_input.append(jac if create_graph else jac.detach())
            table.append(per_input[0] if single else tuple(per_input))
    return table[0] if single_out else tuple(table)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy='reverse-mode'):
    """The Hessian of a scalar ``func`` at ``inputs``."""
    inputs_t, single = _tuple(inputs)

    def gradient(*xs):
        with enable_grad():
            out = func(*xs)
            if out.numel() != 1:
                raise RuntimeError('The function given to hessian should return a single '
                                   'Tensor with a single element')
            grads = _grad((out.reshape(()),), xs, create_graph=True, allow_unused=True)
        grads = _zeros_for_none(grads, xs)
        return grads[0] if single else grads
    return jacobian(gradient, inputs_t[0] if single else inputs_t, create_graph=create_graph)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)`` for a scalar function."""
    return _hessian_product(func, inputs, v, create_graph)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)`` (equal to hvp for the symmetric Hessian)."""
    return _hessian_product(func, inputs, v, create_graph)


def _hessian_product(func, inputs, v, create_graph):
    inputs, single = _tuple(inputs)
    vs, _ = _tuple(v)
    with enable_grad():
        inputs = _prepare(inputs, create_graph)
        out = func(*inputs)
        grads = _grad((out,), inputs, create_graph=True, allow_unused=True)
        pairs = [(g, vv) for g, vv in zip(grads, vs) if g is not None]
        dot = sum((g * vv).sum() for g, vv in pairs)
        result = _grad((dot,), inputs, create_graph=create_graph, allow_unused=True)
    result = _zeros_for_none(result, inputs)
    if not create_graph:
        out = out.detach()
        result = tuple(r.detach() for r in result)
    return out, (result[0] if single else result)
