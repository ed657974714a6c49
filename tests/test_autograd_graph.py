"""``autograd.graph``: saved_tensors_hooks, save_on_cpu, disable_saved_tensors_hooks."""
import sys

import numpy as np
import pytest

import ember
from oracle import check, requires_torch

graph = ember.autograd.graph


def _inputs(lib):
    a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = lib.tensor([0.5, 1.5, 2.5], requires_grad=True)
    return a, b, a * 1, b * 1   # non-leaves made outside the hooks


# Ops whose tensors saved for backward are the same in ember and PyTorch (pack-hook calls).
SAVING_OPS = {
    'mul': lambda T, a, b: a * b,
    'mul_scalar': lambda T, a, b: a * 2.0,
    'add': lambda T, a, b: a + b,
    'div': lambda T, a, b: a / b,
    'div_scalar': lambda T, a, b: a / 2.0,
    'exp': lambda T, a, b: a.exp(),
    'log': lambda T, a, b: a.log(),
    'tanh': lambda T, a, b: a.tanh(),
    'sigmoid': lambda T, a, b: a.sigmoid(),
    'relu': lambda T, a, b: a.relu(),
    'pow_scalar': lambda T, a, b: a ** 2,
    'pow_tensor': lambda T, a, b: a ** b,
    'sqrt': lambda T, a, b: a.sqrt(),
    'matmul': lambda T, a, b: a.view(1, 3) @ b.view(3, 1),
    'sum': lambda T, a, b: a.sum(),
    'mean': lambda T, a, b: a.mean(),
    'max': lambda T, a, b: a.max(),
    'softmax': lambda T, a, b: a.softmax(0),
    'log_softmax': lambda T, a, b: a.log_softmax(0),
    'linear': lambda T, a, b: T.nn.functional.linear(a.view(1, 3), b.view(1, 3)),
    'mse_loss': lambda T, a, b: T.nn.functional.mse_loss(a, b),
    'gelu': lambda T, a, b: T.nn.functional.gelu(a),
    'abs': lambda T, a, b: a.abs(),
    'clamp': lambda T, a, b: a.clamp(0.5, 2.0),
    'cat': lambda T, a, b: T.cat([a, b]),
    'prod': lambda T, a, b: a.prod(),
    'mm': lambda T, a, b: a.view(3, 1).mm(b.view(1, 3)),
    'norm': lambda T, a, b: a.norm(),
    'silu': lambda T, a, b: T.nn.functional.silu(a),
}


@requires_torch
@pytest.mark.parametrize('name', sorted(SAVING_OPS))
def test_pack_hook_sees_what_pytorch_saves(name):
    def run(T):
        _, _, a, b = _inputs(T)
        shapes = []

        def pack(t):
            shapes.append(tuple(t.shape))
            return t
        with T.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            SAVING_OPS[name](T, a, b)
        return repr(sorted(shapes))
    check(run)


def _grads_with(lib, pack, unpack, fn=lambda a, b: ((a * b).exp() / b).sum()):
    a, b, _, _ = _inputs(lib)
    with lib.autograd.graph.saved_tensors_hooks(pack, unpack):
        out = fn(a, b)
    out.backward()
    return a.grad, b.grad


@requires_torch
def test_hooks_that_round_trip_through_numpy_keep_the_gradients():
    check(lambda T: _grads_with(T, lambda t: t.detach().numpy().copy(),
                                lambda arr: T.from_numpy(arr)), check_repr=False)


def test_unpack_runs_at_backward_once_per_saved_tensor():
    events = []

    def pack(t):
        events.append('pack')
        return t

    def unpack(t):
        events.append('unpack')
        return t
    a, b, _, _ = _inputs(ember)
    with graph.saved_tensors_hooks(pack, unpack):
        out = (a * b).exp().sum()
    assert events == ['pack'] * 3
    out.backward()
    assert events == ['pack'] * 3 + ['unpack'] * 3
    np.testing.assert_allclose(a.grad.numpy(), (b * (a * b).exp()).detach().numpy())


@requires_torch
def test_unpacked_clones_are_reattached_for_double_backward():
    # The unpacked tensor is a fresh clone; re-attaching it to the saved tensor's place in
    # the graph is what makes the second derivative of x**3 (6x) come out right.
    def run(T):
        x = T.tensor([1.0, -2.0, 3.0], requires_grad=True)
        with T.autograd.graph.saved_tensors_hooks(lambda t: t.detach().clone(), lambda t: t):
            y = (x ** 3).sum()
            (g,) = T.autograd.grad(y, x, create_graph=True)
        (gg,) = T.autograd.grad(g.sum(), x)
        return g, gg
    check(run)


@requires_torch
def test_saved_outputs_go_through_the_hooks_too():
    def run(T):
        x = T.tensor([0.5, 1.0], requires_grad=True)
        seen = []
        with T.autograd.graph.saved_tensors_hooks(lambda t: seen.append(t) or t.detach() * 1,
                                                  lambda t: t):
            y = x.exp()
        (g,) = T.autograd.grad(y.sum(), x, create_graph=True)
        (gg,) = T.autograd.grad(g.sum(), x)
        return len(seen), g, gg
    check(run)


def test_innermost_hooks_apply():
    outer, inner = [], []
    a, b, _, _ = _inputs(ember)
    with graph.saved_tensors_hooks(lambda t: outer.append(1) or t, lambda t: t):
        with graph.saved_tensors_hooks(lambda t: inner.append(1) or t, lambda t: t):
            a.exp()
        a.sin()
    assert (len(outer), len(inner)) == (1, 1)
    a.cos()   # outside every context: no hook
    assert (len(outer), len(inner)) == (1, 1)


@requires_torch
def test_custom_function_saved_tensors_go_through_the_hooks():
    def run(T):
        class Square(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def backward(ctx, grad):
                (x,) = ctx.saved_tensors
                return 2 * x * grad
        calls = []
        x = T.tensor([1.0, 3.0], requires_grad=True)
        with T.autograd.graph.saved_tensors_hooks(lambda t: calls.append('p') or t,
                                                  lambda t: calls.append('u') or t):
            y = Square.apply(x)
        y.sum().backward()
        return ''.join(calls), x.grad
    check(run)


@requires_torch
def test_retained_graph_unpacks_again_and_freed_graph_raises():
    def run(T):
        calls = []
        x = T.tensor([1.0, 2.0], requires_grad=True)
        with T.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: calls.append(1) or t):
            y = (x * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        return len(calls), x.grad
    check(run)

    def twice(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        with T.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            y = (x * x).sum()
        y.backward()
        y.backward()
    check(twice)


@requires_torch
def test_unpack_must_return_a_tensor():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        with T.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: 3):
            y = (x * x).sum()
        y.backward()
    check(run)


@requires_torch
def test_disable_saved_tensors_hooks():
    def run(T):
        with T.autograd.graph.disable_saved_tensors_hooks('no hooks in here'):
            with T.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                pass
    check(run, match_message=True)
    # Outside the disabled region, hooks work again.
    with graph.disable_saved_tensors_hooks('no'):
        pass
    with graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        pass


@requires_torch
def test_save_on_cpu_gives_the_same_gradients():
    def run(T):
        a, b, _, _ = _inputs(T)
        with T.autograd.graph.save_on_cpu():
            out = T.nn.functional.gelu(a @ b.view(3, 1) * b).sum()
        out.backward()
        return a.grad, b.grad
    check(run)


def test_save_on_cpu_moves_saved_cuda_tensors_to_the_cpu():
    with ember.testing.simulated_cuda():
        x = ember.tensor([1.0, 2.0], device='cuda', requires_grad=True)
        seen = []
        hooks = graph.save_on_cpu()
        pack = hooks.pack_hook
        hooks.pack_hook = lambda t: seen.append(pack(t)) or seen[-1]
        with hooks:
            y = (x * x).sum()
        assert [p[1].device.type for p in seen] == ['cpu', 'cpu']
        y.backward()
        assert x.grad.device.type == 'cuda'
        assert x.grad.tolist() == [2.0, 4.0]


@pytest.mark.skipif(sys.platform == 'emscripten', reason='Pyodide has no threads')
def test_hooks_are_per_thread():
    import threading
    calls = []
    result = {}

    def other():
        x = ember.ones(2, requires_grad=True)
        result['node'] = (x * x).grad_fn
    with graph.saved_tensors_hooks(lambda t: calls.append(1) or t, lambda t: t):
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert calls == []
    assert result['node'].name() == 'MulBackward0'


def test_graph_module_names():
    assert graph.Node is ember.autograd.Node
    assert ember.autograd.graph is graph
