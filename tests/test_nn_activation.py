"""Activations: nn.functional forms and layers against PyTorch (values, dtypes, grad_fn,
gradients, reprs, errors), float64 gradcheck, and values by hand."""
import math
import warnings

import numpy as np
import pytest

import ember
import ember.nn.functional as EF
from ember.autograd import gradcheck, gradgradcheck
from oracle import check, requires_torch

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

_rng = np.random.default_rng(0)
X = (_rng.standard_normal((3, 4)) * 2.5).astype(np.float32)
X4 = (_rng.standard_normal((2, 3, 2, 2)) * 2).astype(np.float32)
EDGE = np.array([-4.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 4.0, 25.0], dtype=np.float32)


def F(lib):
    return lib.nn.functional


def t(lib, data, dtype='float32', grad=False):
    return lib.tensor(np.asarray(data), dtype=getattr(lib, dtype), requires_grad=grad)


# ---------------------------------------------------------------------------------------
# forward: one row per (op, input); every row runs on torch and ember
# ---------------------------------------------------------------------------------------
UNARY = ['relu', 'relu6', 'leaky_relu', 'elu', 'selu', 'celu', 'gelu', 'silu', 'mish',
         'sigmoid', 'tanh', 'hardtanh', 'hardsigmoid', 'hardswish', 'softplus', 'softsign',
         'tanhshrink', 'softshrink', 'hardshrink', 'logsigmoid']

# ops whose float results PyTorch and ember round identically (printed forms compared)
EXACT = {'relu', 'relu6', 'leaky_relu', 'hardtanh', 'hardsigmoid', 'hardswish', 'hardshrink',
         'threshold', 'prelu', 'one_hot', 'glu-int', 'tensor'}

FORWARD = []
for _name in UNARY:
    FORWARD += [
        (f'{_name}-f32', lambda L, n=_name: getattr(F(L), n)(t(L, X))),
        (f'{_name}-f64-edges', lambda L, n=_name: getattr(F(L), n)(t(L, EDGE, 'float64'))),
        (f'{_name}-f16', lambda L, n=_name: getattr(F(L), n)(t(L, X, 'float16'))),
        (f'{_name}-0d', lambda L, n=_name: getattr(F(L), n)(t(L, 0.75))),
        (f'{_name}-empty', lambda L, n=_name: getattr(F(L), n)(L.zeros(0, 3))),
        (f'{_name}-transposed', lambda L, n=_name: getattr(F(L), n)(t(L, X).t())),
        (f'{_name}-sliced', lambda L, n=_name: getattr(F(L), n)(t(L, X)[:, ::2])),
        (f'{_name}-int64', lambda L, n=_name: getattr(F(L), n)(L.arange(-3, 3))),
        (f'{_name}-bool', lambda L, n=_name: getattr(F(L), n)(L.tensor([True, False]))),
        (f'{_name}-grad', lambda L, n=_name: getattr(F(L), n)(t(L, X, grad=True))),
    ]

FORWARD += [
    ('leaky_relu-slope', lambda L: F(L).leaky_relu(t(L, X), 0.2)),
    ('elu-alpha', lambda L: F(L).elu(t(L, X), alpha=0.5)),
    ('celu-alpha', lambda L: F(L).celu(t(L, X), alpha=2.0)),
    ('gelu-tanh', lambda L: F(L).gelu(t(L, X), approximate='tanh')),
    ('gelu-tanh-f64', lambda L: F(L).gelu(t(L, EDGE, 'float64'), approximate='tanh')),
    ('gelu-bad-approximate', lambda L: F(L).gelu(t(L, X), approximate='fast')),
    ('gelu-bf16', lambda L: F(L).gelu(t(L, X, 'bfloat16'))),
    ('hardtanh-range', lambda L: F(L).hardtanh(t(L, X), -2.0, 0.5)),
    ('hardtanh-min>max', lambda L: F(L).hardtanh(t(L, X), 2.0, 1.0)),
    ('hardtanh-uint8-negative', lambda L: F(L).hardtanh(L.arange(4, dtype=L.uint8))),
    ('relu6-uint8', lambda L: F(L).relu6(L.tensor([0, 3, 9], dtype=L.uint8))),
    ('softplus-beta', lambda L: F(L).softplus(t(L, X), beta=2.0, threshold=3.0)),
    ('softshrink-lambd', lambda L: F(L).softshrink(t(L, X), 1.5)),
    ('softshrink-negative', lambda L: F(L).softshrink(t(L, X), -1.0)),
    ('hardshrink-lambd', lambda L: F(L).hardshrink(t(L, X), 1.5)),
    ('threshold', lambda L: F(L).threshold(t(L, X), 0.5, -2.0)),
    ('threshold-int', lambda L: F(L).threshold(L.arange(-3, 3), 0, 7)),
    ('threshold-bool', lambda L: F(L).threshold(L.tensor([True]), 0, 1)),
    ('threshold-grad', lambda L: F(L).threshold(t(L, X, grad=True), 0.1, 20.0)),
    ('glu', lambda L: F(L).glu(t(L, X))),
    ('glu-dim0', lambda L: F(L).glu(t(L, X4, grad=True), 1)),
    ('glu-neg-dim', lambda L: F(L).glu(t(L, X4), -3)),
    ('glu-odd', lambda L: F(L).glu(t(L, X), 0)),
    ('glu-0d', lambda L: F(L).glu(t(L, 1.0))),
    ('glu-int', lambda L: F(L).glu(L.arange(4))),
    ('prelu-shared', lambda L: F(L).prelu(t(L, X4, grad=True), t(L, [0.25]))),
    ('prelu-channels', lambda L: F(L).prelu(t(L, X4), t(L, [0.1, 0.2, 0.3]))),
    ('prelu-1d', lambda L: F(L).prelu(t(L, X[0]), t(L, [0.1, 0.2, 0.3, 0.4]))),
    ('prelu-mismatch', lambda L: F(L).prelu(t(L, X4), t(L, [0.1, 0.2]))),
    ('prelu-dtype', lambda L: F(L).prelu(t(L, X4), t(L, [0.1], 'float64'))),
    ('prelu-int', lambda L: F(L).prelu(L.arange(3), L.tensor([1]))),
    ('rrelu-eval', lambda L: F(L).rrelu(t(L, X))),
    ('sigmoid-int', lambda L: F(L).sigmoid(L.arange(3))),
    ('relu-notensor', lambda L: F(L).relu([1.0, 2.0])),
]

SOFTMAX = []
for _name in ('softmax', 'log_softmax', 'softmin'):
    SOFTMAX += [
        (f'{_name}-dim1', lambda L, n=_name: getattr(F(L), n)(t(L, X), 1)),
        (f'{_name}-dim0', lambda L, n=_name: getattr(F(L), n)(t(L, X), 0)),
        (f'{_name}-neg', lambda L, n=_name: getattr(F(L), n)(t(L, X4), -3)),
        (f'{_name}-4d-last', lambda L, n=_name: getattr(F(L), n)(t(L, X4), 3)),
        (f'{_name}-f64', lambda L, n=_name: getattr(F(L), n)(t(L, X, 'float64'), 1)),
        (f'{_name}-f16', lambda L, n=_name: getattr(F(L), n)(t(L, X, 'float16'), 1)),
        (f'{_name}-dtype', lambda L, n=_name: getattr(F(L), n)(t(L, X), 1, dtype=L.float64)),
        (f'{_name}-0d', lambda L, n=_name: getattr(F(L), n)(t(L, 3.0), 0)),
        (f'{_name}-empty', lambda L, n=_name: getattr(F(L), n)(L.zeros(0, 3), 1)),
        (f'{_name}-transposed', lambda L, n=_name: getattr(F(L), n)(t(L, X).t(), 1)),
        (f'{_name}-large', lambda L, n=_name: getattr(F(L), n)(t(L, [1000.0, 0.0, -1000.0]), 0)),
        (f'{_name}-inf', lambda L, n=_name: getattr(F(L), n)(
            t(L, [[-math.inf, 0.0], [-math.inf, -math.inf]]), 1)),
        (f'{_name}-bad-dim', lambda L, n=_name: getattr(F(L), n)(t(L, X), 2)),
        (f'{_name}-int', lambda L, n=_name: getattr(F(L), n)(L.arange(4), 0)),
        (f'{_name}-grad', lambda L, n=_name: getattr(F(L), n)(t(L, X, grad=True), 1)),
    ]
SOFTMAX += [
    ('tensor-softmax', lambda L: t(L, X).softmax(0)),
    ('tensor-log_softmax', lambda L: t(L, X).log_softmax(-1)),
    ('softmax2d', lambda L: L.nn.Softmax2d()(t(L, X4))),
    ('softmax2d-bad', lambda L: L.nn.Softmax2d()(t(L, X))),
]

OTHER = [
    ('one_hot', lambda L: F(L).one_hot(L.tensor([0, 2, 1]))),
    ('one_hot-classes', lambda L: F(L).one_hot(L.tensor([[0, 2], [1, 1]]), 4)),
    ('one_hot-0d', lambda L: F(L).one_hot(L.tensor(2), 3)),
    ('one_hot-empty', lambda L: F(L).one_hot(L.zeros(0, dtype=L.int64), 3)),
    ('one_hot-empty-infer', lambda L: F(L).one_hot(L.zeros(0, dtype=L.int64))),
    ('one_hot-negative', lambda L: F(L).one_hot(L.tensor([-1, 2]))),
    ('one_hot-too-big', lambda L: F(L).one_hot(L.tensor([3]), 3)),
    ('one_hot-int32', lambda L: F(L).one_hot(L.tensor([1], dtype=L.int32))),
    ('normalize', lambda L: F(L).normalize(t(L, X))),
    ('normalize-dim0-p1', lambda L: F(L).normalize(t(L, X), p=1.0, dim=0)),
    ('normalize-inf', lambda L: F(L).normalize(t(L, X4), p=math.inf, dim=-1)),
    ('normalize-zero-row', lambda L: F(L).normalize(t(L, [[0.0, 0.0], [3.0, 4.0]]))),
    ('normalize-grad', lambda L: F(L).normalize(t(L, X, grad=True), p=3.0)),
    ('normalize-int', lambda L: F(L).normalize(L.arange(4).view(2, 2))),
]


@requires_torch
@pytest.mark.parametrize('name,fn', FORWARD + SOFTMAX + OTHER,
                         ids=[r[0] for r in FORWARD + SOFTMAX + OTHER])
def test_forward_matches_torch(name, fn):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        half = '-f16' in name or '-bf16' in name
        # float32 transcendental results may differ from PyTorch's in the last printed digit
        check(fn, rtol=2e-3 if half else 1e-5, atol=2e-3 if half else 1e-6,
              check_repr=name.split('-')[0] in EXACT and not half)


@requires_torch
def test_implicit_softmax_dim_warns_like_torch():
    for ndim in (0, 1, 2, 3, 4):
        x = np.arange(float(2 ** ndim)).reshape((2,) * ndim) if ndim else np.array(1.0)
        for name in ('softmax', 'log_softmax', 'softmin'):
            with pytest.warns(UserWarning, match='Implicit dimension choice'):
                out = getattr(EF, name)(ember.tensor(x))
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                ref = getattr(torch.nn.functional, name)(torch.tensor(x))
            np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6)


# ---------------------------------------------------------------------------------------
# gradients against torch, and in-place forms
# ---------------------------------------------------------------------------------------
def _grad_of(fn, data, dtype='float32'):
    def run(L):
        x = t(L, data, dtype, grad=True)
        out = fn(L, x)
        g = L.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)),
                     dtype=out.dtype)
        out.backward(g)
        return x.grad
    return run


GRADS = [(n, lambda L, x, n=n: getattr(F(L), n)(x)) for n in UNARY] + [
    ('gelu-tanh', lambda L, x: F(L).gelu(x, approximate='tanh')),
    ('softplus-beta', lambda L, x: F(L).softplus(x, 0.5, 1.0)),
    ('celu-alpha', lambda L, x: F(L).celu(x, 0.7)),
    ('leaky', lambda L, x: F(L).leaky_relu(x, 0.3)),
    ('threshold', lambda L, x: F(L).threshold(x, 0.2, 5.0)),
    ('softmax', lambda L, x: F(L).softmax(x, 0)),
    ('log_softmax', lambda L, x: F(L).log_softmax(x, 1)),
    ('softmin', lambda L, x: F(L).softmin(x, 1)),
    ('glu', lambda L, x: F(L).glu(x, 1)),
    ('normalize', lambda L, x: F(L).normalize(x, dim=0)),
    ('prelu', lambda L, x: F(L).prelu(x, L.tensor([0.3, -0.2, 0.1, 0.5]))),
]


@requires_torch
@pytest.mark.parametrize('name,fn', GRADS, ids=[g[0] for g in GRADS])
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_grad_matches_torch(name, fn, dtype):
    exact = name in EXACT and name != 'relu'     # see test_relu_backward_gives_positive_zero
    check(_grad_of(fn, X, dtype), rtol=1e-5, atol=1e-6, check_repr=exact)
    # at the kinks (0, +-1, +-3, +-lambda) the subgradient chosen must be PyTorch's
    check(_grad_of(fn, EDGE.reshape(2, 5) if name not in ('prelu',) else X, dtype),
          rtol=1e-5, atol=1e-6, check_repr=exact)


INPLACE = [
    ('relu', lambda L, x: F(L).relu(x, inplace=True)),
    ('relu_', lambda L, x: F(L).relu_(x)),
    ('relu6', lambda L, x: F(L).relu6(x, inplace=True)),
    ('elu', lambda L, x: F(L).elu(x, inplace=True)),
    ('elu_', lambda L, x: F(L).elu_(x, 0.5)),
    ('selu', lambda L, x: F(L).selu(x, inplace=True)),
    ('celu', lambda L, x: F(L).celu(x, inplace=True)),
    ('leaky', lambda L, x: F(L).leaky_relu(x, 0.2, inplace=True)),
    ('leaky_', lambda L, x: F(L).leaky_relu_(x, 0.2)),
    ('hardtanh', lambda L, x: F(L).hardtanh(x, inplace=True)),
    ('hardtanh_', lambda L, x: F(L).hardtanh_(x, -0.5, 0.5)),
    ('threshold', lambda L, x: F(L).threshold(x, 0.5, 1.0, inplace=True)),
    ('threshold_', lambda L, x: F(L).threshold_(x, 0.5, 1.0)),
    ('silu', lambda L, x: F(L).silu(x, inplace=True)),
    ('mish', lambda L, x: F(L).mish(x, inplace=True)),
    ('hardsigmoid', lambda L, x: F(L).hardsigmoid(x, inplace=True)),
    ('hardswish', lambda L, x: F(L).hardswish(x, inplace=True)),
]


@requires_torch
@pytest.mark.parametrize('name,fn', INPLACE, ids=[r[0] for r in INPLACE])
def test_inplace_matches_torch(name, fn):
    def run(L):
        leaf = t(L, X, grad=True)
        x = leaf * 1.0
        out = fn(L, x)
        same = out is x
        version = x._version
        out.backward(L.ones_like(out))
        return out, same, version, leaf.grad

    def run_plain(L):
        x = t(L, X)
        out = fn(L, x)
        return out, out is x, x

    check(run, rtol=1e-5, atol=1e-6)
    check(run_plain, rtol=1e-5, atol=1e-6)


@requires_torch
def test_relu_backward_gives_positive_zero():
    check(_grad_of(lambda L, x: F(L).relu(x), [-1.0, 2.0]))


@requires_torch
def test_inplace_on_leaf_raises_like_torch():
    check(lambda L: F(L).relu(t(L, X, grad=True), inplace=True))
    check(lambda L: F(L).elu(t(L, X, grad=True), inplace=True))


# ---------------------------------------------------------------------------------------
# float64 gradcheck / gradgradcheck of every functional op
# ---------------------------------------------------------------------------------------
def _x64(shape=(2, 3), seed=1):
    data = np.random.default_rng(seed).standard_normal(shape) * 2
    data[np.abs(data) < 0.05] += 0.3          # keep away from kinks
    return ember.tensor(data, dtype=ember.float64, requires_grad=True)


GRADCHECK = [
    ('elu', lambda x: EF.elu(x, 0.7)),
    ('selu', EF.selu),
    ('celu', lambda x: EF.celu(x, 1.3)),
    ('gelu', EF.gelu),
    ('gelu-tanh', lambda x: EF.gelu(x, approximate='tanh')),
    ('silu', EF.silu),
    ('mish', EF.mish),
    ('softplus', lambda x: EF.softplus(x, 2.0, 3.0)),
    ('softsign', EF.softsign),
    ('tanhshrink', EF.tanhshrink),
    ('logsigmoid', EF.logsigmoid),
    ('softmax', lambda x: EF.softmax(x, 1)),
    ('log_softmax', lambda x: EF.log_softmax(x, 0)),
    ('softmin', lambda x: EF.softmin(x, -1)),
    ('glu', lambda x: EF.glu(x, 0)),
    ('normalize', lambda x: EF.normalize(x, dim=1)),
    ('normalize-p3', lambda x: EF.normalize(x, p=3, dim=0)),
    ('leaky_relu', lambda x: EF.leaky_relu(x, 0.1)),
    ('hardswish', EF.hardswish),
    ('hardsigmoid', EF.hardsigmoid),
    ('hardtanh', lambda x: EF.hardtanh(x, -1.5, 1.5)),
    ('relu6', EF.relu6),
    ('softshrink', lambda x: EF.softshrink(x, 0.2)),
    ('hardshrink', lambda x: EF.hardshrink(x, 0.2)),
    ('threshold', lambda x: EF.threshold(x, 0.1, 2.0)),
]


@pytest.mark.parametrize('name,fn', GRADCHECK, ids=[g[0] for g in GRADCHECK])
def test_gradcheck(name, fn):
    shape = (2, 4)
    assert gradcheck(fn, (_x64(shape),))
    assert gradgradcheck(fn, (_x64(shape),))


def test_gradcheck_prelu():
    x = _x64((2, 3, 2))
    w = ember.tensor([0.2, -0.4, 0.7], dtype=ember.float64, requires_grad=True)
    assert gradcheck(EF.prelu, (x, w))
    assert gradcheck(EF.prelu, (_x64((4,)), ember.tensor([0.3], dtype=ember.float64,
                                                          requires_grad=True)))


# ---------------------------------------------------------------------------------------
# layers
# ---------------------------------------------------------------------------------------
LAYERS = [
    ('ReLU', lambda nn: nn.ReLU()), ('ReLU-inplace', lambda nn: nn.ReLU(inplace=True)),
    ('ReLU6', lambda nn: nn.ReLU6()), ('ReLU6-inplace', lambda nn: nn.ReLU6(True)),
    ('LeakyReLU', lambda nn: nn.LeakyReLU(0.2)),
    ('LeakyReLU-inplace', lambda nn: nn.LeakyReLU(inplace=True)),
    ('PReLU', lambda nn: nn.PReLU()), ('PReLU-3', lambda nn: nn.PReLU(3, init=0.1)),
    ('ELU', lambda nn: nn.ELU(alpha=0.5)), ('ELU-inplace', lambda nn: nn.ELU(inplace=True)),
    ('SELU', lambda nn: nn.SELU()), ('CELU', lambda nn: nn.CELU(2.0)),
    ('GELU', lambda nn: nn.GELU()), ('GELU-tanh', lambda nn: nn.GELU('tanh')),
    ('SiLU', lambda nn: nn.SiLU()), ('Mish', lambda nn: nn.Mish()),
    ('Sigmoid', lambda nn: nn.Sigmoid()), ('Tanh', lambda nn: nn.Tanh()),
    ('Hardtanh', lambda nn: nn.Hardtanh(-2.0, 2.0)), ('Hardsigmoid', lambda nn: nn.Hardsigmoid()),
    ('Hardswish', lambda nn: nn.Hardswish()),
    ('Softplus', lambda nn: nn.Softplus(beta=2, threshold=10)),
    ('Softsign', lambda nn: nn.Softsign()), ('Softmax', lambda nn: nn.Softmax(dim=1)),
    ('LogSoftmax', lambda nn: nn.LogSoftmax(dim=-1)), ('Softmin', lambda nn: nn.Softmin(1)),
    ('Softmax2d', lambda nn: nn.Softmax2d()),
    ('Threshold', lambda nn: nn.Threshold(0.1, 20.0)),
    ('Threshold-inplace', lambda nn: nn.Threshold(0.1, 20, True)),
    ('GLU', lambda nn: nn.GLU(-1)), ('Tanhshrink', lambda nn: nn.Tanhshrink()),
    ('Softshrink', lambda nn: nn.Softshrink(0.3)), ('Hardshrink', lambda nn: nn.Hardshrink()),
    ('LogSigmoid', lambda nn: nn.LogSigmoid()), ('RReLU', lambda nn: nn.RReLU(0.1, 0.3)),
]


def _copy_state(module_t, module_e):
    state = {k: ember.tensor(v.detach().numpy()) for k, v in module_t.state_dict().items()}
    module_e.load_state_dict(state)


@requires_torch
@pytest.mark.parametrize('name,make', LAYERS, ids=[r[0] for r in LAYERS])
def test_layer_matches_torch(name, make):
    mt, me = make(torch.nn), make(ember.nn)
    assert repr(me) == repr(mt)
    assert list(me.state_dict().keys()) == list(mt.state_dict().keys())
    _copy_state(mt, me)
    for mode in ('train', 'eval'):
        if mode == 'eval' or name != 'RReLU':
            getattr(mt, mode)()
            getattr(me, mode)()
            xt = torch.tensor(X4, requires_grad=True)
            xe = ember.tensor(X4, requires_grad=True)
            ot, oe = mt(xt * 1), me(xe * 1)
            np.testing.assert_allclose(oe.detach().numpy(), ot.detach().numpy(),
                                       rtol=1e-4, atol=1e-5)
            g = np.linspace(-1, 1, ot.numel()).reshape(tuple(ot.shape)).astype(np.float32)
            ot.backward(torch.tensor(g))
            oe.backward(ember.tensor(g))
            np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)
            for (kt, pt), (ke, pe) in zip(mt.named_parameters(), me.named_parameters()):
                assert kt == ke
                np.testing.assert_allclose(pe.grad.numpy(), pt.grad.numpy(), rtol=1e-4,
                                           atol=1e-5)


@requires_torch
def test_rrelu_training_draws_like_torch():
    for dtype in ('float32', 'float64'):
        def run(L):
            L.manual_seed(5)
            x = t(L, X, dtype, grad=True)
            out = L.nn.RReLU(0.1, 0.4)(x)
            out.sum().backward()
            after = L.rand(2, dtype=L.float64)     # the stream advanced by as much
            return out, x.grad, after
        check(run, rtol=1e-6, atol=1e-7)
    check(lambda L: F(L).rrelu(t(L, X, grad=True)), check_repr=False)


@requires_torch
def test_layer_reprs_in_a_model():
    def build(nn):
        return nn.Sequential(nn.Linear(3, 4), nn.ReLU(inplace=True), nn.LeakyReLU(0.1, True),
                             nn.PReLU(4), nn.GELU(), nn.Softmax(dim=-1), nn.Hardtanh(),
                             nn.Threshold(0.5, 1.5, inplace=True), nn.Softplus(),
                             nn.Softshrink(), nn.Hardshrink(0.25), nn.ELU(1.5, True))
    assert repr(build(ember.nn)) == repr(build(torch.nn))


@requires_torch
def test_prelu_seeded_construction_and_dtype():
    for kw in ({}, {'num_parameters': 4, 'init': 0.5}, {'dtype': 'float64'}):
        args = {k: (getattr(torch, v) if k == 'dtype' else v) for k, v in kw.items()}
        eargs = {k: (getattr(ember, v) if k == 'dtype' else v) for k, v in kw.items()}
        torch.manual_seed(0)
        ember.manual_seed(0)
        mt, me = torch.nn.PReLU(**args), ember.nn.PReLU(**eargs)
        assert repr(me.weight) == repr(mt.weight).replace('torch.', 'ember.')


def test_layer_errors():
    with pytest.raises(AssertionError):
        ember.nn.Hardtanh(1.0, 0.0)
    with pytest.warns(FutureWarning):
        layer = ember.nn.Hardtanh(min_value=-2.0)
    assert layer.min_val == -2.0


# ---------------------------------------------------------------------------------------
# by hand
# ---------------------------------------------------------------------------------------
def test_values_by_hand():
    x = ember.tensor([-2.0, 0.0, 1.5], dtype=ember.float64)
    v = np.array([-2.0, 0.0, 1.5])
    np.testing.assert_allclose(EF.relu(x).numpy(), np.maximum(v, 0))
    np.testing.assert_allclose(EF.elu(x).numpy(), np.where(v > 0, v, np.expm1(v)))
    np.testing.assert_allclose(EF.silu(x).numpy(), v / (1 + np.exp(-v)))
    np.testing.assert_allclose(EF.softplus(x).numpy(), np.log1p(np.exp(v)))
    np.testing.assert_allclose(EF.hardswish(x).numpy(), v * np.clip(v + 3, 0, 6) / 6)
    np.testing.assert_allclose(EF.gelu(x).numpy(),
                               [0.5 * a * (1 + math.erf(a / math.sqrt(2))) for a in v],
                               rtol=1e-15)
    e = np.exp(v - v.max())
    np.testing.assert_allclose(EF.softmax(x, 0).numpy(), e / e.sum())
    np.testing.assert_allclose(EF.log_softmax(x, 0).numpy(), np.log(e / e.sum()))
    np.testing.assert_array_equal(EF.one_hot(ember.tensor([2, 0])).numpy(),
                                  [[0, 0, 1], [1, 0, 0]])


def test_erf_is_accurate():
    from ember.nn._functional.activation import erf_array
    xs = np.concatenate([np.linspace(-7, 7, 2001), [0.0, -0.0, 1e-300, 0.4999, 0.5, 6.0, 30.0,
                                                   np.inf, -np.inf]])
    want = np.array([math.erf(v) for v in xs])
    np.testing.assert_allclose(erf_array(xs), want, rtol=0, atol=4e-15)
    np.testing.assert_allclose(erf_array(xs.astype(np.float32)), want, rtol=0, atol=3e-7)
    assert np.isnan(erf_array(np.array([np.nan]))[0])
    assert erf_array(np.array(0.25)).shape == ()


def test_softmax_is_stable_and_normalised():
    x = ember.tensor([[1e4, 1e4 - 1.0, -1e4], [0.0, 0.0, 0.0]], dtype=ember.float64)
    p = EF.softmax(x, 1).numpy()
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p.sum(1), [1.0, 1.0])
    np.testing.assert_allclose(EF.log_softmax(x, 1).numpy()[0, :2],
                               [-math.log1p(math.exp(-1)), -1 - math.log1p(math.exp(-1))])


hypothesis = pytest.importorskip('hypothesis')
from hypothesis import given, settings, strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 5)),
              elements=st.floats(-50, 50)), st.integers(0, 1))
def test_softmax_properties(data, dim):
    x = ember.tensor(data)
    p = EF.softmax(x, dim).numpy()
    assert ((p >= 0) & (p <= 1)).all()
    np.testing.assert_allclose(p.sum(dim), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.exp(EF.log_softmax(x, dim).numpy()), p, rtol=1e-10,
                               atol=1e-300)


@requires_torch
@pytest.mark.parametrize('hard', [False, True])
def test_gumbel_softmax_seeded_matches_torch(hard):
    def run(L):
        L.manual_seed(0)
        x = t(L, X, grad=True)
        y = F(L).gumbel_softmax(x, tau=0.5, hard=hard)
        (y * L.arange(4.0).view(-1, 1)).sum().backward()
        return y, x.grad
    check(run, rtol=1e-5, atol=1e-6, check_repr=False)
