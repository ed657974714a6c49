"""Autograd: graph objects, backward/grad semantics, grad modes, hooks, custom Functions,
in-place safety, higher-order gradients — against PyTorch and by hand."""
import threading

import numpy as np
import pytest

import ember
from oracle import check, requires_torch


def _leaf(lib, values, dtype='float64'):
    return lib.tensor(values, dtype=getattr(lib, dtype), requires_grad=True)


# ---------------------------------------------------------------------------------------
# the seed examples, by hand
# ---------------------------------------------------------------------------------------
def test_seed_mean_of_squares():
    x = ember.ones(2, 2, requires_grad=True)
    y = x + 2
    z = y * y * 3
    out = z.mean()
    out.backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((2, 2), 4.5))
    assert y.grad_fn.name() == 'AddBackward0' and z.grad_fn.name() == 'MulBackward0'
    assert out.grad_fn.name() == 'MeanBackward0'


def test_seed_20w():
    w = ember.tensor([1.0, -2.0, 3.0], requires_grad=True)
    z = 10 * w ** 2 + 25
    z.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 20 * np.array([1.0, -2.0, 3.0]))


def test_deep_chain_has_no_recursion_limit():
    x = ember.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(10000):
        y = y * 1.0001
    y.backward()
    assert abs(x.grad.item() - 1.0001 ** 10000) < 1e-2


# ---------------------------------------------------------------------------------------
# oracle: graph objects and flags
# ---------------------------------------------------------------------------------------
def _graph(torch):
    x = torch.ones(2, 3, requires_grad=True)
    w = torch.ones(3, 4, requires_grad=True)
    y = (x @ w).relu().sum()
    names = []
    node = y.grad_fn
    while node is not None:
        names.append(node.name())
        nxt = [f for f, _ in node.next_functions if f is not None]
        node = nxt[0] if nxt else None
    return names, y.requires_grad, y.is_leaf, x.is_leaf, \
        type(y.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0]).__name__


def _flags(torch):
    a = torch.ones(2)
    b = torch.ones(2, requires_grad=True)
    c = a + b
    d = c.detach()
    with torch.no_grad():
        e = b * 2
    return [t.requires_grad for t in (a, b, c, d, e)] + [t.is_leaf for t in (a, b, c, d, e)]


def _backward_values(torch):
    x = _leaf(torch, [[1.0, 2.0], [3.0, 4.0]])
    y = _leaf(torch, [0.5, -1.0])
    z = ((x * y).exp() + x.t() @ y.unsqueeze(1) - (x / (y + 3)).sum(0)).tanh().sum()
    z.backward()
    return x.grad, y.grad


def _backward_with_gradient(torch):
    x = _leaf(torch, [1.0, 2.0, 3.0])
    y = x * x
    y.backward(torch.tensor([0.1, 1.0, 10.0], dtype=torch.float64))
    return x.grad


def _accumulation(torch):
    x = _leaf(torch, [1.0, 2.0])
    (x * 3).sum().backward()
    (x * x).sum().backward()
    return x.grad


def _retain_graph(torch):
    x = _leaf(torch, [1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    return x.grad


def _second_backward_raises(torch):
    x = _leaf(torch, [1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    y.backward()


def _second_backward_without_saved_is_fine(torch):
    x = _leaf(torch, [1.0, 2.0])
    y = (x + 1).sum()
    y.backward()
    y.backward()
    return x.grad


def _no_grad_root(torch):
    torch.ones(2).sum().backward()


def _non_scalar(torch):
    (_leaf(torch, [1.0, 2.0]) * 2).backward()


def _wrong_gradient_shape(torch):
    (_leaf(torch, [1.0, 2.0]) * 2).backward(torch.ones(3, dtype=torch.float64))


def _int_requires_grad(torch):
    torch.ones(2, dtype=torch.int64).requires_grad_()


def _int_factory_requires_grad(torch):
    torch.tensor([1, 2], requires_grad=True)


def _nonleaf_requires_grad_false(torch):
    (_leaf(torch, [1.0]) * 2).requires_grad_(False)


def _numpy_of_grad_tensor(torch):
    _leaf(torch, [1.0]).numpy()


def _inplace_on_leaf(torch):
    _leaf(torch, [1.0]).add_(1)


def _inplace_saved_input(torch):
    a = _leaf(torch, [1.0, 2.0])
    b = a * 2
    c = b * b
    b.add_(1)
    c.sum().backward()


def _inplace_saved_output(torch):
    a = _leaf(torch, [1.0, 2.0])
    b = a.exp()
    b.add_(1)
    b.sum().backward()


def _inplace_unsaved_is_fine(torch):
    a = _leaf(torch, [1.0, 2.0])
    b = a * 2
    c = b.exp()
    b.add_(1)
    c.sum().backward()
    return a.grad


def _inplace_on_nonleaf(torch):
    a = _leaf(torch, [1.0, 2.0, 3.0])
    b = a * 2
    b.mul_(b)
    b.sum().backward()
    return a.grad, b.grad_fn.name()


def _setitem_history(torch):
    a = _leaf(torch, [1.0, 2.0, 3.0])
    v = _leaf(torch, [5.0])
    b = a * 2
    b[0] = v * 3
    b.sum().backward()
    return a.grad, v.grad, b.grad_fn.name()


def _inplace_through_view(torch):
    a = _leaf(torch, [1.0, 2.0, 3.0])
    b = a * 2
    view = b[:2]
    view.mul_(3)
    b.sum().backward()
    return a.grad, b.grad_fn.name(), view.grad_fn.name()


def _grad_api(torch):
    x = _leaf(torch, [1.0, 2.0])
    y = _leaf(torch, [3.0, 4.0])
    out = (x * y).sum() + (x ** 3).sum()
    gx, gy = torch.autograd.grad(out, (x, y))
    return gx, gy, x.grad is None


def _grad_unused(torch):
    x = _leaf(torch, [1.0])
    y = _leaf(torch, [2.0])
    torch.autograd.grad((x * 2).sum(), [x, y])


def _grad_allow_unused(torch):
    x = _leaf(torch, [1.0])
    y = _leaf(torch, [2.0])
    return torch.autograd.grad((x * 2).sum(), [x, y], allow_unused=True)


def _grad_of_nonleaf(torch):
    x = _leaf(torch, [1.0, 2.0])
    h = x * 3
    out = (h * h).sum()
    return torch.autograd.grad(out, h)


def _second_order(torch):
    x = _leaf(torch, [1.0, 2.0, 3.0])
    y = (x ** 3).sum()
    (g,) = torch.autograd.grad(y, x, create_graph=True)
    g.sum().backward()
    return g.detach(), x.grad


def _gradient_penalty(torch):
    w = _leaf(torch, [[0.5, -1.0], [2.0, 0.3]])
    x = _leaf(torch, [[1.0, 2.0]])
    out = (x @ w).sigmoid().sum()
    (gx,) = torch.autograd.grad(out, x, create_graph=True)
    penalty = (gx.norm() - 1) ** 2 if hasattr(gx, 'norm') else None
    penalty = ((gx * gx).sum().sqrt() - 1) ** 2
    penalty.backward()
    return w.grad


def _backward_inputs(torch):
    x = _leaf(torch, [1.0, 2.0])
    y = _leaf(torch, [3.0, 4.0])
    (x * y).sum().backward(inputs=[x])
    return x.grad, y.grad is None


def _retain_grad(torch):
    x = _leaf(torch, [1.0, 2.0])
    h = x * 2
    h.retain_grad()
    (h * h).sum().backward()
    return h.grad, h.retains_grad, x.grad


def _tensor_hooks(torch):
    x = _leaf(torch, [1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.clone()))
    h = x * 2
    h.register_hook(lambda g: g * 10)
    (h * h).sum().backward()
    return x.grad, seen[0]


def _node_hooks(torch):
    x = _leaf(torch, [1.0, 2.0])
    h = x * 3
    calls = []
    h.grad_fn.register_prehook(lambda grad_outputs: calls.append('pre'))
    h.grad_fn.register_hook(lambda grad_inputs, grad_outputs: calls.append('post'))
    h.sum().backward()
    return calls, x.grad


def _hook_remove(torch):
    x = _leaf(torch, [1.0, 2.0])
    handle = x.register_hook(lambda g: g * 100)
    handle.remove()
    (x * 2).sum().backward()
    return x.grad


def _detach_shares(torch):
    x = _leaf(torch, [1.0, 2.0])
    d = x.detach()
    d[0] = 5
    return x.detach().clone(), d.requires_grad, d.is_leaf


def _data_attribute(torch):
    x = _leaf(torch, [1.0, 2.0])
    x.data.mul_(2)
    y = (x * x).sum()
    y.backward()
    return x.grad, x.data.requires_grad


def _clone_is_differentiable(torch):
    x = _leaf(torch, [1.0, 2.0])
    c = x.clone()
    (c * c).sum().backward()
    return x.grad, c.grad_fn.name()


def _grad_setter_checks(torch):
    x = _leaf(torch, [1.0, 2.0])
    x.grad = torch.ones(3, dtype=torch.float64)


def _grad_setter_dtype(torch):
    x = _leaf(torch, [1.0, 2.0])
    x.grad = torch.ones(2, dtype=torch.float32)


def _broadcast_grads(torch):
    a = _leaf(torch, [[1.0], [2.0]])
    b = _leaf(torch, [3.0, 4.0, 5.0])
    ((a * b) + a - b).sum().backward()
    return a.grad, b.grad


def _mixed_dtype_grads(torch):
    a = torch.tensor([1.0, 2.0], dtype=torch.float32, requires_grad=True)
    b = torch.tensor([3.0, 4.0], dtype=torch.float64, requires_grad=True)
    (a * b).sum().backward()
    return a.grad, b.grad


def _no_grad_decorator(torch):
    @torch.no_grad()
    def f(x):
        return x * 2
    x = _leaf(torch, [1.0])
    with torch.set_grad_enabled(False):
        inner = torch.is_grad_enabled()
        with torch.enable_grad():
            enabled = (x * 2).requires_grad
    with torch.inference_mode():
        inference = (x * 2).requires_grad
    return f(x).requires_grad, inner, enabled, inference, torch.is_grad_enabled()


def _custom_function(torch):
    class Cube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.save_for_backward(x)
            ctx.k = k
            return x ** 3 * k

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2 * ctx.k, None

    x = _leaf(torch, [1.0, 2.0])
    y = Cube.apply(x, 2.0)
    y.sum().backward()
    return y, x.grad, y.grad_fn.name(), Cube.apply(x.detach(), 1.0).requires_grad


def _custom_function_setup_context(torch):
    class Scale(torch.autograd.Function):
        @staticmethod
        def forward(x, factor):
            return x * factor

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.factor = inputs[1]

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.factor, None

    x = _leaf(torch, [1.0, 2.0])
    Scale.apply(x, 5.0).sum().backward()
    return x.grad


def _custom_non_differentiable(torch):
    class SortLike(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            idx = torch.argsort(x) if hasattr(torch, 'argsort') else None
            idx = torch.tensor([1, 0])
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            return x * 2, idx

        @staticmethod
        def backward(ctx, grad, grad_idx):
            return grad * 2

    x = _leaf(torch, [1.0, 2.0])
    y, idx = SortLike.apply(x)
    y.sum().backward()
    return x.grad, idx.requires_grad, ctx_needs(torch)


def ctx_needs(torch):
    seen = []

    class F(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, grad):
            seen.append(ctx.needs_input_grad)
            return grad, grad

    F.apply(_leaf(torch, [1.0]), torch.ones(1, dtype=torch.float64)).sum().backward()
    return seen[0]


@requires_torch
@pytest.mark.parametrize('snippet', [
    _graph, _flags, _backward_values, _backward_with_gradient, _accumulation, _retain_graph,
    _second_backward_raises, _second_backward_without_saved_is_fine, _no_grad_root,
    _non_scalar, _wrong_gradient_shape, _int_requires_grad, _int_factory_requires_grad,
    _nonleaf_requires_grad_false, _numpy_of_grad_tensor, _inplace_on_leaf,
    _inplace_saved_input, _inplace_saved_output, _inplace_unsaved_is_fine,
    _inplace_on_nonleaf, _setitem_history, _inplace_through_view, _grad_api, _grad_unused,
    _grad_allow_unused, _grad_of_nonleaf, _second_order, _gradient_penalty, _backward_inputs,
    _retain_grad, _tensor_hooks, _node_hooks, _hook_remove, _detach_shares, _data_attribute,
    _clone_is_differentiable, _grad_setter_checks, _grad_setter_dtype, _broadcast_grads,
    _mixed_dtype_grads, _no_grad_decorator, _custom_function, _custom_function_setup_context,
    _custom_non_differentiable,
], ids=lambda f: f.__name__.strip('_'))
def test_autograd_matches_pytorch(snippet):
    check(snippet, check_repr=False, check_stride=False)


@requires_torch
@pytest.mark.parametrize('snippet', [_second_backward_raises, _no_grad_root, _non_scalar,
                                     _wrong_gradient_shape, _int_requires_grad,
                                     _nonleaf_requires_grad_false, _numpy_of_grad_tensor,
                                     _inplace_on_leaf, _grad_unused],
                         ids=lambda f: f.__name__.strip('_'))
def test_autograd_error_messages_match(snippet):
    check(snippet, match_message=True)


# ---------------------------------------------------------------------------------------
# gradcheck and the functional API
# ---------------------------------------------------------------------------------------
def _rand(*shape, seed=0):
    rng = np.random.default_rng(seed)
    return ember.tensor(rng.standard_normal(shape), requires_grad=True)


def test_gradcheck_passes_and_catches_wrong_gradients():
    x = _rand(3, 4)
    assert ember.autograd.gradcheck(lambda a: (a.sin() * a).sum(1), (x,))

    class Wrong(ember.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 3

    with pytest.raises(ember.autograd.GradcheckError):
        ember.autograd.gradcheck(Wrong.apply, (x,))
    assert not ember.autograd.gradcheck(Wrong.apply, (x,), raise_exception=False)


def test_gradgradcheck_through_a_small_network():
    x, w = _rand(2, 3, seed=1), _rand(3, 2, seed=2)
    assert ember.autograd.gradgradcheck(lambda a, b: (a @ b).tanh().exp(), (x, w))


def test_functional_jacobian_and_hessian_by_hand():
    from ember.autograd.functional import jacobian, hessian, vjp, jvp, hvp
    x = ember.tensor([1.0, 2.0, 3.0], dtype=ember.float64)
    jac = jacobian(lambda a: a ** 2, x)
    np.testing.assert_allclose(jac.numpy(), np.diag([2.0, 4.0, 6.0]))
    hess = hessian(lambda a: (a ** 3).sum(), x)
    np.testing.assert_allclose(hess.numpy(), np.diag([6.0, 12.0, 18.0]))
    v = ember.tensor([1.0, 0.0, -1.0], dtype=ember.float64)
    _, vjp_value = vjp(lambda a: a ** 2, x, v)
    np.testing.assert_allclose(vjp_value.numpy(), [2.0, 0.0, -6.0])
    _, jvp_value = jvp(lambda a: a ** 2, x, v)
    np.testing.assert_allclose(jvp_value.numpy(), [2.0, 0.0, -6.0])
    _, hvp_value = hvp(lambda a: (a ** 3).sum(), x, v)
    np.testing.assert_allclose(hvp_value.numpy(), [6.0, 0.0, -18.0])


@requires_torch
def test_functional_against_pytorch():
    def snippet(torch):
        from_f = torch.autograd.functional
        x = torch.tensor([[0.5, -1.0], [2.0, 0.25]], dtype=torch.float64)
        jac = from_f.jacobian(lambda a: (a @ a).sin(), x)
        hess = from_f.hessian(lambda a: (a.exp() * a).sum(), x)
        return jac, hess
    check(snippet, check_stride=False, check_repr=False)


@pytest.mark.skipif(__import__('sys').platform == 'emscripten',
                    reason='WebAssembly has no threads')
def test_grad_mode_is_thread_local():
    results = {}

    def worker():
        results['worker'] = ember.is_grad_enabled()

    with ember.no_grad():
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        results['main'] = ember.is_grad_enabled()
    assert results == {'worker': True, 'main': False}


def test_nothing_recorded_without_grad():
    a = ember.ones(3)
    b = ember.ones(3)
    c = a * b + a
    assert c.grad_fn is None and not c.requires_grad
    x = ember.ones(3, requires_grad=True)
    with ember.no_grad():
        y = x * 2
    assert y.grad_fn is None and not y.requires_grad


def test_saved_tensors_are_released_after_backward():
    import gc
    import weakref
    x = ember.ones(1000, requires_grad=True)
    h = x * 2
    ref = weakref.ref(h)
    out = (h * h).sum()
    del h
    gc.collect()
    assert ref() is not None  # kept for backward by MulBackward0
    out.backward()
    gc.collect()
    assert ref() is None


# ---------------------------------------------------------------------------------------
# AccumulateGrad takes an unshared gradient without copying it, and copies otherwise
# ---------------------------------------------------------------------------------------
def _shares(a, b):
    return np.shares_memory(a.detach().numpy(), b.detach().numpy())


def test_leaf_grad_is_not_shared_between_leaves_fed_by_one_gradient():
    a = ember.ones(3, requires_grad=True)
    b = ember.ones(3, requires_grad=True)
    (a + b).backward(ember.tensor([1.0, 2.0, 3.0]))   # AddBackward0 sends one grad to both
    assert not _shares(a.grad, b.grad)
    a.grad.add_(10)
    assert b.grad.tolist() == [1.0, 2.0, 3.0]


def test_leaf_grad_copies_what_a_hook_kept_or_the_caller_passed():
    kept = []
    x = ember.ones(3, requires_grad=True)
    x.register_hook(lambda g: kept.append(g))
    (x * 2).sum().backward()
    assert not _shares(x.grad, kept[0])
    given = ember.tensor([1.0, 2.0, 3.0])
    y = ember.ones(3, requires_grad=True)
    y.backward(given)          # the root gradient itself reaches the leaf
    assert not _shares(y.grad, given)
    y.grad.add_(1)
    assert given.tolist() == [1.0, 2.0, 3.0]


def test_leaf_grad_never_aliases_saved_or_viewed_memory():
    class PassSaved(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x, w):
            ctx.save_for_backward(w)
            return x.clone()

        @staticmethod
        def backward(ctx, grad):
            (w,) = ctx.saved_tensors
            return w, None          # a gradient that is someone else's tensor
    w = ember.tensor([5.0, 6.0])
    x = ember.ones(2, requires_grad=True)
    PassSaved.apply(x, w).sum().backward()
    assert not _shares(x.grad, w)
    base = ember.ones(2, 3, requires_grad=True)
    (base * ember.arange(6.0).view(2, 3)).t().sum().backward()   # grads arrive through views
    assert base.grad.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert base.grad.is_contiguous()


def test_unshared_gradient_is_taken_without_a_copy():
    # The weight gradient of a matmul is a fresh array no one else holds: the leaf keeps it.
    w = ember.randn(4, 3, requires_grad=True)
    x = ember.randn(5, 4)
    seen = {}

    def grab(node_grads, _):
        seen['grad'] = node_grads   # what MmBackward0 produced (a tuple: no extra ref kept)
    out = x @ w
    out.grad_fn.register_hook(lambda gi, go: seen.update(ptr=gi[1].data_ptr()))
    out.sum().backward()
    assert w.grad.data_ptr() == seen['ptr']
    np.testing.assert_allclose(w.grad.numpy(), x.numpy().T @ np.ones((5, 3), np.float32),
                               rtol=1e-6)


def test_linear_weight_gradient_is_taken_through_the_transpose():
    # AddmmBackward0 lays the weight's gradient out so that after TBackward0 it is contiguous
    # in the weight's layout, and AccumulateGrad keeps it (no copy), as in PyTorch.
    lin = ember.nn.Linear(4, 3)
    seen = {}
    out = lin(ember.randn(5, 4))
    t_node = out.grad_fn.next_functions[2][0]
    assert t_node.name() == 'TBackward0'
    t_node.register_hook(lambda gi, go: seen.update(ptr=gi[0].data_ptr()))
    out.sum().backward()
    assert lin.weight.grad.data_ptr() == seen['ptr']
    assert lin.weight.grad.stride() == lin.weight.stride()


def test_a_kept_view_gradient_is_copied():
    lin = ember.nn.Linear(4, 3)
    kept = []
    out = lin(ember.randn(5, 4))
    out.grad_fn.next_functions[2][0].register_hook(lambda gi, go: kept.append(gi[0]))
    out.sum().backward()
    assert not _shares(lin.weight.grad, kept[0])
