"""Every differentiable op, checked in float64: gradcheck, gradgradcheck, grad_fn, PyTorch.

The op registry is ``Op.__subclasses__()`` (walked recursively after importing every ops
module). ``SAMPLES`` gives each differentiable op class one or more small, well-conditioned
samples; ``EXCLUDED`` names the classes that have none, each with its reason. A new Op
class fails ``test_every_op_has_a_sample`` until it gets a row here.

A sample is ``(fn, make)``: ``make()`` returns the inputs (NumPy float64 arrays become
tensors that require grad, ``C(array)`` a constant tensor, integer/bool arrays index
tensors, anything else is passed as is) and ``fn(T, *inputs)`` runs the op with library
``T`` (ember, or torch for the comparison), returning a tensor or a tuple of tensors.

Keys are the node name (PyTorch's grad_fn name); where several classes share one name the
key adds ``:module.ClassName``. Classes that factories create at run time (one per RNN mode,
one per interpolation mode) are folded into their family's base class.
"""
import sys
import zlib

import numpy as np
import pytest

import ember
import ember.linalg  # noqa: F401 - registers its ops
import ember.nn.functional  # noqa: F401
import ember.nn.utils.rnn  # noqa: F401
from ember.autograd.function import Op
from ember.nn._functional.rnn import _RecurrentLayer
from ember.nn._functional.vision import SeparableGather

from oracle import check

pytestmark = [
    pytest.mark.filterwarnings('ignore:torch.cholesky is deprecated'),
    # ember's engine casts a complex gradient of a real input with .to() (which warns);
    # PyTorch takes its real part silently.
    pytest.mark.filterwarnings('ignore:Casting complex values to real:UserWarning'),
]

try:  # pragma: no cover - optional
    import ember.fft  # noqa: F401
except ImportError:
    pass

# Families whose subclasses are made at run time by a factory (one class per node name).
FAMILIES = (_RecurrentLayer, SeparableGather)


# ---------------------------------------------------------------------------------------
# the registry
# ---------------------------------------------------------------------------------------
def _global_name(cls):
    module = sys.modules.get(cls.__module__)
    for name, value in vars(module).items():
        if value is cls:
            return name
    return None


def collect_ops():
    """{key: class} for every differentiable Op class."""
    classes = []
    stack = list(Op.__subclasses__())
    while stack:
        cls = stack.pop()
        if cls in classes:
            continue
        classes.append(cls)
        stack.extend(cls.__subclasses__())
    by_name = {}
    for cls in classes:
        if not cls.differentiable:
            continue
        family = next((f for f in FAMILIES if issubclass(cls, f)), None)
        if family is not None and cls is not family:
            continue
        by_name.setdefault(cls.node_name or cls.__name__, []).append(cls)
    ops = {}
    for name, group in by_name.items():
        if len(group) == 1:
            ops[name] = group[0]
            continue
        for cls in group:
            ops[f'{name}:{cls.__module__.rsplit(".", 1)[-1]}.{_global_name(cls)}'] = cls
    return ops


OPS = collect_ops()


# ---------------------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------------------
_rng = np.random.default_rng(0)


class C:
    """A constant (non-differentiable) float input."""

    def __init__(self, array):
        self.array = np.asarray(array, dtype=np.float64)


def rand(*shape, lo=-1.0, hi=1.0):
    return _rng.uniform(lo, hi, shape)


def away(*shape):
    """Values in +-[0.2, 1]: away from the kinks at 0 (abs, relu, sign...)."""
    return _rng.uniform(0.2, 1.0, shape) * _rng.choice([-1.0, 1.0], shape)


def pos(*shape):
    return _rng.uniform(0.5, 1.5, shape)


def unit(*shape):
    """Values in (0.1, 0.9) (probabilities, asin, atanh...)."""
    return _rng.uniform(0.1, 0.9, shape)


def distinct(*shape):
    """A permutation of evenly spaced values: no ties, gaps of 0.2 (max, sort, median)."""
    n = int(np.prod(shape))
    return (_rng.permutation(n) * 0.2 - 0.1 * n).reshape(shape)


def well(n, batch=()):
    """A well-conditioned (diagonally dominant) matrix."""
    return np.eye(n) * 2 + rand(*batch, n, n) * 0.3


def idx(values):
    return np.asarray(values, dtype=np.int64)


def mask(values):
    return np.asarray(values, dtype=bool)


def make_inputs(T, key, which):
    """The inputs of sample ``which`` of ``key`` as tensors of library ``T`` (the same
    values every call)."""
    global _rng
    _rng = np.random.default_rng(zlib.crc32(f'{key}#{which}'.encode()))
    raw = _samples(key)[which][1]()
    out = []
    for v in raw:
        if isinstance(v, C):
            out.append(T.tensor(v.array))
        elif isinstance(v, np.ndarray) and v.dtype == np.float64:
            out.append(T.tensor(v, requires_grad=True))
        elif isinstance(v, np.ndarray):
            out.append(T.tensor(v))
        else:
            out.append(v)
    return out


# ---------------------------------------------------------------------------------------
# helpers used by samples
# ---------------------------------------------------------------------------------------
def vjp(T, f, *xs, g):
    """The vector-Jacobian product of ``f`` at ``xs`` with ``g``, itself differentiable (its
    graph holds the backward nodes of ``f``'s ops)."""
    out = f(*xs)
    wrt = [x for x in xs if hasattr(x, 'requires_grad')]
    grads = T.autograd.grad(out, wrt, g, create_graph=True, allow_unused=True)
    return tuple(x for x in grads if x is not None)


def leaf(T, array):
    """A fresh leaf that requires grad (constant inside a sample)."""
    return T.tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


def const_grid(*shape):
    return np.linspace(-0.9, 0.8, int(np.prod(shape))).reshape(shape)


def swap_params(T, module, params):
    """Replace a module's parameters by (differentiable) input tensors."""
    for name, value in params.items():
        delattr(module, name)
        setattr(module, name, value)
    return module


def rnn_cell(kind, nonlinearity=None):
    def fn(T, x, h, w_ih, w_hh, b_ih, b_hh, *c):
        kwargs = {} if nonlinearity is None else {'nonlinearity': nonlinearity}
        cell = getattr(T.nn, kind)(3, 2, dtype=T.float64, **kwargs)
        swap_params(T, cell, {'weight_ih': w_ih, 'weight_hh': w_hh, 'bias_ih': b_ih,
                              'bias_hh': b_hh})
        out = cell(x, (h, c[0]) if c else h)
        return out
    gates = {'RNNCell': 1, 'GRUCell': 3, 'LSTMCell': 4}[kind]

    def make():
        extra = (rand(2, 2),) if kind == 'LSTMCell' else ()
        return (rand(2, 3), rand(2, 2), rand(gates * 2, 3) * 0.5, rand(gates * 2, 2) * 0.5,
                rand(gates * 2) * 0.5, rand(gates * 2) * 0.5) + extra
    return fn, make


def rnn_layer(mode):
    """A 3-step layer through ember's internal entry point (no PyTorch twin: ember's nn.RNN
    reads its weights from ``_parameters``, so ``swap_params`` does not reach it)."""
    gates = {'RNN_TANH': 1, 'RNN_RELU': 1, 'GRU': 3, 'LSTM': 4}[mode]

    def fn(T, x, w_ih, w_hh, b_ih, b_hh, h0, *c0):
        from ember.nn._functional import rnn
        steps = rnn.padded_steps(3, 2)
        return rnn.run_layer(mode, 'StackBackward0', x, (w_ih, w_hh, b_ih, b_hh, None), h0,
                             c0[0] if c0 else None, steps, False, (3, 2, 2))

    def make():
        extra = (rand(2, 2),) if mode == 'LSTM' else ()
        return (rand(3, 2, 3), rand(gates * 2, 3) * 0.5, rand(gates * 2, 2) * 0.5,
                rand(gates * 2) * 0.5, rand(gates * 2) * 0.5, rand(2, 2)) + extra
    return fn, make


def inplace_act(name, *args):
    return lambda T, x: getattr(T.nn.functional, name)(x * 1, *args, inplace=True)


def f(T):
    return T.nn.functional


# ---------------------------------------------------------------------------------------
# the samples
# ---------------------------------------------------------------------------------------
def S(fn, make, torch=True, label=None):
    """One sample. ``torch=False``: ``fn`` reaches ember internals (no PyTorch twin)."""
    return (fn, make, torch, label)


X23 = lambda: (rand(2, 3),)  # noqa: E731
A23 = lambda: (away(2, 3),)  # noqa: E731
P23 = lambda: (pos(2, 3),)  # noqa: E731
U23 = lambda: (unit(2, 3),)  # noqa: E731
D23 = lambda: (distinct(2, 3),)  # noqa: E731
XY = lambda: (rand(2, 3), rand(3))  # noqa: E731
D05 = lambda: (distinct(2, 3) + .05,)  # noqa: E731 - no value on a kink (0, +-0.5)


def _prod_samples(fn):
    def zeros(n):
        def make():
            x = pos(2, 3)
            flat = x.reshape(-1)
            flat[[1, 4, 2][:n]] = 0.0
            return (x,)
        return make

    def zeros_row(n):
        def make():
            x = pos(2, 3)
            x[0, :n] = 0.0
            return (x,)
        return make
    return [S(fn, X23, label='plain'), S(fn, zeros(1), label='one-zero'),
            S(fn, zeros(2), label='two-zeros'), S(fn, zeros_row(2), label='two-zeros-row'),
            S(fn, zeros_row(3), label='all-zeros-row')]


SAMPLES = {
    # ------------------------------------------------------------------ conversion
    'ToCopyBackward0': S(lambda T, x: x.to(T.float64, copy=True), X23),
    # ------------------------------------------------------------------ elementwise
    'AbsBackward0': S(lambda T, x: T.abs(x), A23),
    'AcosBackward0': S(lambda T, x: T.acos(x), lambda: (rand(2, 3, lo=-0.8, hi=0.8),)),
    'AcoshBackward0': S(lambda T, x: T.acosh(x), lambda: (rand(2, 3, lo=1.5, hi=3),)),
    'AddBackward0': S(lambda T, x, y: T.add(x, y, alpha=2), XY),
    'AddcdivBackward0': S(lambda T, x, a, b: T.addcdiv(x, a, b, value=0.5),
                          lambda: (rand(2, 3), rand(2, 3), pos(3))),
    'AddcmulBackward0': S(lambda T, x, a, b: T.addcmul(x, a, b, value=0.5),
                          lambda: (rand(2, 3), rand(2, 1), rand(3))),
    'AsinBackward0': S(lambda T, x: T.asin(x), lambda: (rand(2, 3, lo=-0.8, hi=0.8),)),
    'AsinhBackward0': S(lambda T, x: T.asinh(x), X23),
    'Atan2Backward0': S(lambda T, x, y: T.atan2(x, y), lambda: (away(2, 3), away(2, 3))),
    'AtanBackward0': S(lambda T, x: T.atan(x), X23),
    'AtanhBackward0': S(lambda T, x: T.atanh(x), lambda: (rand(2, 3, lo=-0.8, hi=0.8),)),
    'CeilBackward0': S(lambda T, x: T.ceil(x), lambda: (rand(2, 3) + 0.05,)),
    'ClampBackward0': S(lambda T, x, lo, hi: T.clamp(x, lo, hi),
                        lambda: (distinct(2, 3) * 2, rand(3, lo=-0.5, hi=-0.3),
                                 rand(2, 1, lo=0.3, hi=0.5))),
    'ClampBackward1': S(lambda T, x: T.clamp(x, -0.5, 0.5), lambda: (distinct(2, 3) * 2 + .05,)),
    'ClampMaxBackward0': S(lambda T, x: T.clamp_max(x, 0.3), D05),
    'ClampMaxBackward1': S(lambda T, x, hi: T.clamp_max(x, hi),
                           lambda: (distinct(2, 3) + .05, rand(3, lo=-0.05, hi=0.05))),
    'ClampMinBackward0:elementwise.ClampMinScalar': S(lambda T, x: T.clamp_min(x, -0.3),
                                                      D05),
    'ClampMinBackward1': S(lambda T, x, lo: T.clamp_min(x, lo),
                           lambda: (distinct(2, 3) + .05, rand(3, lo=-0.05, hi=0.05))),
    'ConjBackward0': S(lambda T, x: T.abs(x.to(T.complex128).conj() + 1j), X23),
    'CosBackward0': S(lambda T, x: T.cos(x), X23),
    'CoshBackward0': S(lambda T, x: T.cosh(x), X23),
    'DivBackward0': S(lambda T, x, y: x / y, lambda: (rand(2, 3), pos(3))),
    'DivBackward2:elementwise.DivFloor': S(lambda T, x, y: T.div(x, y, rounding_mode='floor'),
                                           lambda: (rand(2, 3) + 0.013, pos(3))),
    'DivBackward2:elementwise.DivTrunc': S(lambda T, x, y: T.div(x, y, rounding_mode='trunc'),
                                           lambda: (rand(2, 3) + 0.013, pos(3))),
    'ErfBackward0:elementwise.Erf': S(lambda T, x: T.erf(x), X23),
    'ErfcBackward0': S(lambda T, x: T.erfc(x), X23),
    'ErfinvBackward0': S(lambda T, x: T.erfinv(x), lambda: (rand(2, 3, lo=-0.8, hi=0.8),)),
    'Exp2Backward0': S(lambda T, x: T.exp2(x), X23),
    'ExpBackward0': S(lambda T, x: T.exp(x), X23),
    'Expm1Backward0': S(lambda T, x: T.expm1(x), X23),
    'FloorBackward0': S(lambda T, x: T.floor(x), lambda: (rand(2, 3) + 0.05,)),
    'FmaxBackward0': S(lambda T, x, y: T.fmax(x, y), lambda: (distinct(2, 3), distinct(3) + .05)),
    'FminBackward0': S(lambda T, x, y: T.fmin(x, y), lambda: (distinct(2, 3), distinct(3) + .05)),
    'FmodBackward0': S(lambda T, x: T.fmod(x, 0.7), lambda: (rand(2, 3) * 2 + 0.013,)),
    'FmodBackward1': S(lambda T, x, y: T.fmod(x, y), lambda: (rand(2, 3) * 2, pos(3) * 0.7)),
    'FracBackward0': S(lambda T, x: T.frac(x), lambda: (rand(2, 3) * 3 + 0.05,)),
    'HypotBackward0': S(lambda T, x, y: T.hypot(x, y), lambda: (away(2, 3), away(3))),
    'LerpBackward0': S(lambda T, x, y: T.lerp(x, y, 0.3), XY),
    'LerpBackward1': S(lambda T, x, y, w: T.lerp(x, y, w), lambda: (rand(2, 3), rand(3),
                                                                    unit(2, 1))),
    'Log10Backward0': S(lambda T, x: T.log10(x), P23),
    'Log1PBackward0': S(lambda T, x: T.log1p(x), P23),
    'Log2Backward0': S(lambda T, x: T.log2(x), P23),
    'LogBackward0': S(lambda T, x: T.log(x), P23),
    'LogitBackward0': [S(lambda T, x: T.logit(x), U23),
                       S(lambda T, x: T.logit(x, eps=0.2), U23, label='eps')],
    'MaximumBackward0': S(lambda T, x, y: T.maximum(x, y),
                          lambda: (distinct(2, 3), distinct(3) + .05)),
    'MinimumBackward0': S(lambda T, x, y: T.minimum(x, y),
                          lambda: (distinct(2, 3), distinct(3) + .05)),
    'MulBackward0:elementwise.Mul': S(lambda T, x, y: x * y, XY),
    'NanToNumBackward0': S(lambda T, x: T.nan_to_num(x), X23),
    'NegBackward0': S(lambda T, x: -x, X23),
    'PowBackward0:elementwise.Pow': S(lambda T, x: x ** 2.5, P23),
    'PowBackward0:elementwise.Square': S(lambda T, x: T.square(x), X23),
    'PowBackward1': S(lambda T, x, y: T.pow(x, y), lambda: (pos(2, 3), rand(3))),
    'PowBackward2': S(lambda T, x: T.pow(2.0, x), X23),
    'ReciprocalBackward0': S(lambda T, x: T.reciprocal(x), P23),
    'ReluBackward0': S(lambda T, x: T.relu(x), A23),
    'RemainderBackward0': S(lambda T, x: T.remainder(x, 0.7), lambda: (rand(2, 3) * 2 + .013,)),
    'RemainderBackward1': S(lambda T, x, y: T.remainder(x, y),
                            lambda: (rand(2, 3) * 2 + .013, pos(3) * 0.7)),
    'RoundBackward0': S(lambda T, x: T.round(x), lambda: (rand(2, 3) * 3 + 0.013,)),
    'RoundBackward1': S(lambda T, x: T.round(x, decimals=1), lambda: (rand(2, 3) + 0.013,)),
    'RsqrtBackward0': S(lambda T, x: T.rsqrt(x), P23),
    'RsubBackward0': S(lambda T, x, y: T.rsub(x, y, alpha=2), XY),
    'RsubBackward1': S(lambda T, x: 2 - x, X23),
    'SgnBackward0': S(lambda T, x: T.sgn(x), A23),
    'SigmoidBackward0': S(lambda T, x: T.sigmoid(x), X23),
    'SignBackward0': S(lambda T, x: T.sign(x), A23),
    'SinBackward0': S(lambda T, x: T.sin(x), X23),
    'SinhBackward0': S(lambda T, x: T.sinh(x), X23),
    'SqrtBackward0': S(lambda T, x: T.sqrt(x), P23),
    'SubBackward0': S(lambda T, x, y: T.sub(x, y, alpha=3), XY),
    'TanBackward0': S(lambda T, x: T.tan(x), X23),
    'TanhBackward0': S(lambda T, x: T.tanh(x), X23),
    'TruncBackward0': S(lambda T, x: T.trunc(x), lambda: (rand(2, 3) * 3 + 0.05,)),
    # ------------------------------------------------------------------ indexing
    'AliasBackward0': S(lambda T, x: x[...], X23),
    'GatherBackward0': S(lambda T, x, i: T.gather(x, 1, i),
                         lambda: (rand(2, 3), idx([[0, 2, 0], [1, 1, 2]]))),
    'IndexAddBackward0': S(lambda T, x, i, s: T.index_add(x, 0, i, s, alpha=2),
                           lambda: (rand(3, 2), idx([0, 2, 0]), rand(3, 2))),
    'IndexBackward0:indexing.Index': [
        S(lambda T, x, i: x[i], lambda: (rand(3, 2), idx([0, 2, 0]))),
        S(lambda T, x, m: x[m], lambda: (rand(2, 3), mask([[1, 0, 1], [0, 1, 1]])),
          label='mask')],
    'IndexBackward0:indexing._TakeAt': S(
        lambda T, g: vjp(T, lambda v: _put(T, v), leaf(T, [1., 2.]), g=g),
        lambda: (rand(2, 3),)),
    'IndexCopyBackward0': S(lambda T, x, i, s: T.index_copy(x, 0, i, s),
                            lambda: (rand(3, 2), idx([2, 0]), rand(2, 2))),
    'IndexFillBackward0': S(lambda T, x, i: T.index_fill(x, 1, i, -1.0),
                            lambda: (rand(2, 3), idx([0, 2]))),
    'IndexFillBackward1': S(lambda T, x, i, v: T.index_fill(x, 1, i, v),
                            lambda: (rand(2, 3), idx([0, 2]), rand())),
    'IndexPutBackward0:indexing.IndexPutAccumulate': S(
        lambda T, g: vjp(T, lambda x: x[T.tensor([0, 2, 0])], leaf(T, const_grid(3, 2)), g=g),
        lambda: (rand(3, 2),)),
    'IndexPutBackward0:indexing._PutAt': S(
        lambda T, h: vjp(T, lambda g: vjp(T, lambda v: _put(T, v), leaf(T, [1., 2.]), g=g),
                         leaf(T, const_grid(2, 3)), g=h),
        lambda: (rand(2),)),
    'IndexPutBackward0:indexing._ZeroAt': S(
        lambda T, g: vjp(T, lambda x: _put(T, x=x), leaf(T, const_grid(2, 3)), g=g),
        lambda: (rand(2, 3),)),
    'IndexSelectBackward0': S(lambda T, x, i: T.index_select(x, 1, i),
                              lambda: (rand(2, 3), idx([2, 0, 2]))),
    'MaskedFillBackward0': S(lambda T, x, m: x.masked_fill(m, 0.5),
                             lambda: (rand(2, 3), mask([[1, 0, 1], [0, 0, 1]]))),
    'MaskedFillBackward1': S(lambda T, x, m, v: x.masked_fill(m, v),
                             lambda: (rand(2, 3), mask([1, 0, 1]), rand())),
    'MaskedScatterBackward0': S(lambda T, x, m, s: x.masked_scatter(m, s),
                                lambda: (rand(2, 3), mask([[1, 0, 1], [0, 1, 0]]), rand(2, 3))),
    'MaskedSelectBackward0': S(lambda T, x, m: T.masked_select(x, m),
                               lambda: (rand(2, 3), mask([1, 0, 1]))),
    'PutBackward0': [S(lambda T, x, i, s: T.put(x, i, s), lambda: (rand(2, 3), idx([0, 4]),
                                                                   rand(2))),
                     S(lambda T, x, i, s: T.put(x, i, s, accumulate=True),
                       lambda: (rand(2, 3), idx([0, 4, 0]), rand(3)), label='accumulate')],
    'ScatterAddBackward0': S(lambda T, x, i, s: T.scatter_add(x, 1, i, s),
                             lambda: (rand(2, 3), idx([[0, 2, 0], [1, 1, 2]]), rand(2, 3))),
    'ScatterBackward0': S(lambda T, x, i, s: T.scatter(x, 1, i, s),
                          lambda: (rand(2, 3), idx([[0, 2], [1, 0]]), rand(2, 2))),
    'ScatterBackward1': S(lambda T, x, i: T.scatter(x, 1, i, 0.5),
                          lambda: (rand(2, 3), idx([[0, 2], [1, 0]]))),
    'ScatterReduceBackward0': [
        S(lambda T, x, i, s, r=r: T.scatter_reduce(x, 1, i, s, r), lambda: (
            distinct(2, 3), idx([[0, 2, 0], [1, 1, 2]]), distinct(2, 3) + 0.05), label=r)
        for r in ('sum', 'prod', 'mean', 'amax', 'amin')] + [
        S(lambda T, x, i, s: T.scatter_reduce(x, 1, i, s, 'mean', include_self=False),
          lambda: (rand(2, 3), idx([[0, 2, 0], [1, 1, 2]]), rand(2, 3)), label='exclude')],
    'SelectBackward0:indexing.SelectView': S(lambda T, x: x[1], X23),
    'SliceBackward0:indexing.SliceView': S(lambda T, x: x[:, 1:], X23),
    'SliceBackward0:indexing._BasicCopy': S(
        lambda T, h: vjp(T, lambda g: vjp(T, lambda x: x[:, 1:], leaf(T, const_grid(2, 3)), g=g),
                         leaf(T, const_grid(2, 2)), g=h),
        X23),
    'SliceBackwardBackward0': S(
        lambda T, g: vjp(T, lambda x: x[:, 1:], leaf(T, const_grid(2, 3)), g=g),
        lambda: (rand(2, 2),)),
    'TakeBackward0': S(lambda T, x, i: T.take(x, i), lambda: (rand(2, 3), idx([0, 5, 0]))),
    'UnsqueezeBackward0:indexing.UnsqueezeView': S(lambda T, x: x[:, None], X23),
    'WhereBackward0': S(lambda T, c, x, y: T.where(c, x, y),
                        lambda: (mask([[1, 0, 1], [0, 1, 1]]), rand(2, 3), rand(3))),
    # ------------------------------------------------------------------ joining
    'CatBackward0': S(lambda T, x, y: T.cat([x, y], 1), lambda: (rand(2, 3), rand(2, 2))),
    'SplitBackward0': S(lambda T, x: T.split(x, 2, 1), X23),
    'SplitWithSizesBackward0': S(lambda T, x: T.split(x, [1, 2], 1), X23),
    'StackBackward0': S(lambda T, x, y: T.stack([x, y], 1), lambda: (rand(2, 3), rand(2, 3))),
    # ------------------------------------------------------------------ linear algebra
    'AddbmmBackward0': S(lambda T, x, a, b: T.addbmm(x, a, b, beta=0.5, alpha=2),
                         lambda: (rand(2, 2), rand(2, 2, 3), rand(2, 3, 2))),
    'AddmmBackward0': S(lambda T, x, a, b: T.addmm(x, a, b, beta=0.5, alpha=2),
                        lambda: (rand(2), rand(2, 3), rand(3, 2))),
    'AddmvBackward0': S(lambda T, x, a, b: T.addmv(x, a, b, beta=0.5, alpha=2),
                        lambda: (rand(2), rand(2, 3), rand(3))),
    'BaddbmmBackward0': S(lambda T, x, a, b: T.baddbmm(x, a, b, beta=0.5, alpha=2),
                          lambda: (rand(2, 2), rand(2, 2, 3), rand(2, 3, 2))),
    'BmmBackward0': S(lambda T, a, b: T.bmm(a, b), lambda: (rand(2, 2, 3), rand(2, 3, 2))),
    'CdistBackward0': [S(lambda T, a, b, p=p: T.cdist(a, b, p=p), lambda: (rand(2, 3), rand(3, 3)),
                         label=str(p)) for p in (1.0, 2.0, 3.0)],
    'CloneBackward0:linalg.MatmulClone': S(lambda T, a, b: T.matmul(a, b),
                                           lambda: (rand(2, 3), rand(2, 3, 2))),
    'DotBackward0': S(lambda T, a, b: T.dot(a, b), lambda: (rand(3), rand(3))),
    'LinalgCrossBackward0': S(lambda T, a, b: T.linalg.cross(a, b),
                              lambda: (rand(2, 3), rand(2, 3))),
    'MmBackward0': S(lambda T, a, b: T.mm(a, b), lambda: (rand(2, 3), rand(3, 2))),
    'MulBackward0:linalg.ContractionMul': S(lambda T, a, b: T.einsum('i,j->ij', a, b),
                                            lambda: (rand(2), rand(3))),
    'MvBackward0': S(lambda T, a, b: T.mv(a, b), lambda: (rand(2, 3), rand(3))),
    'PermuteBackward0:linalg.ContractionPermute': S(lambda T, a: T.einsum('ij->ji', a), X23),
    'SqueezeBackward4:linalg.MatmulSqueeze': S(lambda T, a, b: T.matmul(a, b),
                                               lambda: (rand(3), rand(3, 2))),
    'SumBackward1:linalg.ContractionSum': S(lambda T, a: T.einsum('ij->i', a), X23),
    'TransposeBackward0:linalg.MatmulTranspose': S(lambda T, a, b: T.matmul(a, b),
                                                   lambda: (rand(1, 3), rand(2, 3, 2))),
    'UnsafeViewBackward0:linalg.Kron': S(lambda T, a, b: T.kron(a, b),
                                         lambda: (rand(2, 2), rand(2, 3))),
    'UnsafeViewBackward0:linalg.Matmul': S(lambda T, a, b: T.matmul(a, b),
                                           lambda: (rand(2, 2, 3), rand(3, 2))),
    'VdotBackward0': S(lambda T, a, b: T.vdot(a, b), lambda: (rand(3), rand(3))),
    'ViewBackward0:linalg.CdistMM': S(
        lambda T, a, b: T.cdist(a, b, compute_mode='use_mm_for_euclid_dist'),
        lambda: (rand(2, 3), rand(3, 3))),
    'ViewBackward0:linalg.Contraction': S(lambda T, a, b: T.einsum('ij,jk->ik', a, b),
                                          lambda: (rand(2, 3), rand(3, 2))),
    # ------------------------------------------------------------------ rearranging
    'DiagEmbedBackward0': S(lambda T, x: T.diag_embed(x, 1), X23),
    'DiagonalBackward0': S(lambda T, x: T.diagonal(x, 1), lambda: (rand(3, 4),)),
    'DiagonalBackward0_copy': S(lambda T, x: T.diag(x, 1), lambda: (rand(3, 4),)),
    'DiagonalBackwardBackward0': S(
        lambda T, g: vjp(T, lambda x: T.diagonal(x, 1), leaf(T, const_grid(3, 4)), g=g),
        lambda: (rand(3),)),
    'FlipBackward0': S(lambda T, x: T.flip(x, (0, 1)), X23),
    'RepeatBackward0': S(lambda T, x: x.repeat(2, 1, 2), X23),
    'RollBackward0': S(lambda T, x: T.roll(x, (1, -1), (0, 1)), X23),
    'Rot90Backward0': S(lambda T, x: T.rot90(x, 1, (0, 1)), X23),
    'TraceBackward0': S(lambda T, x: T.trace(x), lambda: (rand(3, 3),)),
    'TrilBackward0': S(lambda T, x: T.tril(x), X23),
    'TriuBackward0': S(lambda T, x: T.triu(x, 1), X23),
    'ViewBackward0:rearrange.RepeatInterleaveView': S(
        lambda T, x: T.repeat_interleave(x, 2, dim=0), X23),
    # ------------------------------------------------------------------ reductions
    'AmaxBackward0': S(lambda T, x: T.amax(x, 1), D23),
    'AminBackward0': S(lambda T, x: T.amin(x, 0), D23),
    'AminmaxBackward0': S(lambda T, x: tuple(T.aminmax(x, dim=1)), D23),
    'CummaxBackward0': S(lambda T, x: T.cummax(x, 1)[0], D23),
    'CumminBackward0': S(lambda T, x: T.cummin(x, 1)[0], D23),
    'CumprodBackward0': _prod_samples(lambda T, x: T.cumprod(x, 1)),
    'CumsumBackward0': S(lambda T, x: T.cumsum(x, 1), X23),
    'KthvalueBackward0': S(lambda T, x: T.kthvalue(x, 2, 1)[0], D23),
    'LinalgVectorNormBackward0:reduction.VectorNorm': [
        S(lambda T, x, p=p: T.norm(x, p=p, dim=1), A23, label=str(p))
        for p in (1, 2, 3, float('inf'))],
    'LogsumexpBackward0': S(lambda T, x: T.logsumexp(x, 1), X23),
    'MaxBackward0': S(lambda T, x: T.max(x, 1)[0], D23),
    'MaxBackward1': S(lambda T, x: T.max(x), D23),
    'MeanBackward0': S(lambda T, x: T.mean(x), X23),
    'MeanBackward1': S(lambda T, x: T.mean(x, (0, 1), keepdim=True), X23),
    'MedianBackward0': S(lambda T, x: T.median(x), D23),
    'MedianBackward1': S(lambda T, x: T.median(x, 1)[0], D23),
    'MinBackward0': S(lambda T, x: T.min(x, 0)[0], D23),
    'MinBackward1': S(lambda T, x: T.min(x), D23),
    'ModeBackward0': S(lambda T, x: T.mode(x, 1)[0], D23),
    'NanmedianBackward0': S(lambda T, x: T.nanmedian(x), D23),
    'NanmedianBackward1': S(lambda T, x: T.nanmedian(x, 0)[0], D23),
    'NansumBackward0': S(lambda T, x: T.nansum(x, 1), X23),
    'ProdBackward0': _prod_samples(lambda T, x: T.prod(x)),
    'ProdBackward1': _prod_samples(lambda T, x: T.prod(x, 1)),
    'SqueezeBackward4:reduction.Quantile': [
        S(lambda T, x: T.quantile(x, 0.3, dim=1), D23, label='linear'),
        S(lambda T, x: T.quantile(x, T.tensor([0.25, 0.5, 0.75], dtype=T.float64)), D23,
          label='q-tensor'),
        S(lambda T, x: T.quantile(x, 0.4, dim=0, keepdim=True, interpolation='midpoint'),
          D23, label='midpoint'),
        S(lambda T, x: T.nanquantile(x, 0.6, dim=1, interpolation='nearest'), D23,
          label='nan-nearest')],
    'StdBackward0': S(lambda T, x: T.std(x, 1), X23),
    'StdMeanBackward0': S(lambda T, x: tuple(T.std_mean(x, 1)), X23),
    'SumBackward0': S(lambda T, x: T.sum(x), X23),
    'SumBackward1:reduction.SumDim': S(lambda T, x: T.sum(x, -1, keepdim=True), X23),
    'VarBackward0': S(lambda T, x: T.var(x, 0, correction=0), X23),
    'VarMeanBackward0': S(lambda T, x: tuple(T.var_mean(x, 1)), X23),
    # ------------------------------------------------------------------ sorting
    'SortBackward0': S(lambda T, x: T.sort(x, 1, descending=True)[0], D23),
    'TopkBackward0': S(lambda T, x: T.topk(x, 2, 1)[0], D23),
    # ------------------------------------------------------------------ views
    'AsStridedBackward0': S(lambda T, x: T.as_strided(x, (2, 2), (1, 2), 1), X23),
    'AsStridedScatterBackward0': S(
        lambda T, g: vjp(T, lambda x: T.as_strided(x, (2, 2), (1, 2), 1),
                         leaf(T, const_grid(2, 3)), g=g),
        lambda: (rand(2, 2),)),
    'CloneBackward0:views.Clone': S(lambda T, x: T.clone(x), X23),
    'ExpandBackward0': S(lambda T, x: x.expand(2, 2, 3), lambda: (rand(1, 3),)),
    'PermuteBackward0:views.Permute': S(lambda T, x: x.permute(1, 0), X23),
    'SelectBackward0:views.Select': S(lambda T, x: T.select(x, 1, 2), X23),
    'SliceBackward0:views.Slice': S(lambda T, x: T.narrow(x, 1, 1, 2), X23),
    'SelectBackward0:views.RealView': S(lambda T, x: (x.to(T.complex128) * (1 + 2j)).real, X23),
    'SelectBackward0:views.ImagView': S(lambda T, x: (x.to(T.complex128) * (1 + 2j)).imag, X23),
    'SqueezeBackward0': S(lambda T, x: T.squeeze(x), lambda: (rand(2, 1, 3),)),
    'SqueezeBackward1': S(lambda T, x: T.squeeze(x, 1), lambda: (rand(2, 1, 3),)),
    'SqueezeBackward2': S(lambda T, x: T.squeeze(x, (1, 2)), lambda: (rand(2, 1, 1),)),
    'TBackward0': S(lambda T, x: x.t(), X23),
    'TransposeBackward0:views.Transpose': S(lambda T, x: x.transpose(0, 1), X23),
    'UnbindBackward0': S(lambda T, x: T.unbind(x, 1), X23),
    'UnsafeViewBackward0:views.UnsafeView': S(lambda T, x: x.t().reshape(6), X23),
    'UnsqueezeBackward0:views.IndexUnsqueeze': S(lambda T, x: _index_unsqueeze(x), X23,
                                                 torch=False),
    'UnsqueezeBackward0:views.Unsqueeze': S(lambda T, x: T.unsqueeze(x, 1), X23),
    'ViewBackward0:views.View': S(lambda T, x: x.view(3, 2), X23),
    # ------------------------------------------------------------------ ember.linalg
    'CholeskyBackward0': S(lambda T, x: T.cholesky(x @ x.mT + T.eye(3, dtype=T.float64)),
                           lambda: (rand(3, 3),)),
    'LinalgCholeskyExBackward0': S(
        lambda T, x: T.linalg.cholesky(x @ x.mT + T.eye(3, dtype=T.float64), upper=True),
        lambda: (rand(3, 3),)),
    'LinalgDetBackward0': S(lambda T, x: T.linalg.det(x), lambda: (well(3),)),
    'LinalgEighBackward0': S(lambda T, x: _eigh(T, x), lambda: (rand(3, 3),)),
    'LinalgInvExBackward0': S(lambda T, x: T.linalg.inv(x), lambda: (well(3),)),
    'LinalgLstsqBackward0': S(lambda T, a, b: T.linalg.lstsq(a, b).solution,
                              lambda: (well(3)[:, :2].copy(), rand(3, 2))),
    'LinalgPinvBackward0': S(lambda T, x: T.linalg.pinv(x), lambda: (well(3)[:, :2].copy(),)),
    'LinalgQrBackward0': S(lambda T, x: tuple(T.linalg.qr(x)), lambda: (well(3),)),
    'LinalgSlogdetBackward0': S(lambda T, x: T.linalg.slogdet(x)[1], lambda: (well(3),)),
    'LinalgSolveExBackward0': S(lambda T, a, b: T.linalg.solve(a, b),
                                lambda: (well(3), rand(3, 2))),
    'LinalgSvdBackward0': S(lambda T, x: _svd(T, x), lambda: (well(3)[:, :2].copy(),)),
    'LinalgVectorNormBackward0:linalg.LinalgVectorNorm': [
        S(lambda T, x, o=o: T.linalg.vector_norm(x, ord=o, dim=-1), A23, label=str(o))
        for o in (2, 1, 3.5, float('inf'))],
    # ------------------------------------------------------------------ nn: activations
    'CeluBackward0': S(lambda T, x: f(T).celu(x, 0.7), A23),
    'CeluBackward1': S(inplace_act('celu', 0.7), A23),
    'EluBackward0': S(lambda T, x: f(T).elu(x, 0.7), A23),
    'EluBackward1': S(inplace_act('elu', 0.7), A23),
    'ErfBackward0:activation.Erf': S(lambda T, x: _activation_erf(x), X23, torch=False),
    'GeluBackward0': [S(lambda T, x: f(T).gelu(x), X23),
                      S(lambda T, x: f(T).gelu(x, approximate='tanh'), X23, label='tanh')],
    'GluBackward0': S(lambda T, x: f(T).glu(x, 0), lambda: (rand(4, 3),)),
    'HardshrinkBackward0': S(lambda T, x: f(T).hardshrink(x, 0.5), D05),
    'HardsigmoidBackward0': S(lambda T, x: f(T).hardsigmoid(x * 4), A23),
    'HardswishBackward0': S(lambda T, x: f(T).hardswish(x * 4), A23),
    'HardtanhBackward0': S(lambda T, x: f(T).hardtanh(x, -0.5, 0.5), D05),
    'LeakyReluBackward0': S(lambda T, x: f(T).leaky_relu(x, 0.2), A23),
    'LeakyReluBackward1': S(inplace_act('leaky_relu', 0.2), A23),
    'LogSigmoidBackward0': S(lambda T, x: f(T).logsigmoid(x), X23),
    'LogSoftmaxBackward0': S(lambda T, x: f(T).log_softmax(x, 1), X23),
    'MishBackward0': S(lambda T, x: f(T).mish(x), X23),
    'PreluKernelBackward0': S(lambda T, x, w: f(T).prelu(x, w), lambda: (away(2, 3), rand(3))),
    'RreluWithNoiseBackward0': [
        S(lambda T, x: f(T).rrelu(x, training=False), A23),
        S(lambda T, x: _seeded(T, lambda: f(T).rrelu(x, training=True)), A23,
          label='training', torch=False)],
    'SiluBackward0': S(lambda T, x: f(T).silu(x), X23),
    'SoftmaxBackward0:activation.Softmax': S(lambda T, x: f(T).softmax(x, 0), X23),
    'SoftplusBackward0': S(lambda T, x: f(T).softplus(x, beta=2, threshold=1.5), A23),
    'SoftshrinkBackward0': S(lambda T, x: f(T).softshrink(x, 0.5), D05),
    'ThresholdBackward0': S(lambda T, x: f(T).threshold(x, 0.1, 2.0), D05),
    'ThresholdBackwardBackward0': S(
        lambda T, g: vjp(T, lambda x: f(T).threshold(x, 0.1, 2.0), leaf(T, const_grid(2, 3)),
                         g=g), X23),
    'ThresholdBackward1': S(inplace_act('threshold', 0.1, 2.0), D05),
    # ------------------------------------------------------------------ nn: attention
    'SafeSoftmaxBackward0': S(
        lambda T, q, k, v: f(T).scaled_dot_product_attention(q, k, v),
        lambda: (rand(1, 2, 3), rand(1, 2, 3), rand(1, 2, 3))),
    'SoftmaxBackward0:attention._AttentionWeights': S(
        lambda T, x, w, b: f(T).multi_head_attention_forward(
            x, x, x, 2, 1, w, b, None, None, False, 0.0, w[:2], None, training=False)[0],
        lambda: (rand(2, 1, 2), rand(6, 2), C(rand(6)))),
    # ------------------------------------------------------------------ nn: conv
    'ConvolutionBackward0': [
        S(lambda T, x, w, b: f(T).conv2d(x, w, b, padding=1), lambda: (
            rand(1, 2, 3, 3), rand(2, 2, 2, 2), rand(2))),
        S(lambda T, x, w: f(T).conv_transpose1d(x, w, stride=2), lambda: (
            rand(1, 2, 3), rand(2, 1, 2)), label='transpose')],
    'ConvolutionBackwardBackward0': S(
        lambda T, x, g: vjp(T, lambda x, w: f(T).conv1d(x, w), x,
                            leaf(T, const_grid(2, 2, 2)), g=g),
        lambda: (rand(1, 2, 4), rand(1, 2, 3))),
    # ------------------------------------------------------------------ nn: distance
    'LinalgVectorNormBackward0:distance.VectorNorm': S(
        lambda T, a, b: f(T).cosine_similarity(a, b), lambda: (rand(2, 3), rand(2, 3))),
    'NormBackward1': S(lambda T, a, b: f(T).pairwise_distance(a, b, p=3),
                       lambda: (rand(2, 3), rand(2, 3))),
    'PdistBackward0': [S(lambda T, x, p=p: f(T).pdist(x, p), lambda: (rand(3, 2),), label=str(p))
                       for p in (2, 1, 3)],
    # ------------------------------------------------------------------ nn: losses
    'BinaryCrossEntropyBackward0': S(
        lambda T, x, y, w: f(T).binary_cross_entropy(x, y, w), lambda: (unit(2, 3), unit(2, 3),
                                                                        C(pos(3)))),
    'BinaryCrossEntropyWithLogitsBackward0': S(
        lambda T, x, y, w, p: f(T).binary_cross_entropy_with_logits(x, y, w, pos_weight=p),
        lambda: (rand(2, 3), unit(2, 3), C(pos(3)), C(pos(3)))),
    'ClampMinBackward0:loss.ClampMin': S(
        lambda T, a, b: f(T).margin_ranking_loss(a, b, T.tensor([1., -1, 1], dtype=T.float64),
                                                 margin=0.1), lambda: (distinct(3), distinct(3))),
    'CtcLossBackward0': [
        S(lambda T, x, t: f(T).ctc_loss(x.log_softmax(2), t, (4, 3), (2, 1)),
          lambda: (rand(4, 2, 3), idx([[1, 2], [1, 0]]))),
        S(lambda T, x, t: f(T).ctc_loss(x.log_softmax(2), t, (4, 4), (2, 2), reduction='sum'),
          lambda: (rand(4, 2, 3), idx([[1, 1], [2, 1]])), label='repeat')],
    'DivBackward1': S(lambda T, x, y: f(T).cross_entropy(x, y), lambda: (rand(2, 3),
                                                                         unit(2, 3))),
    'HuberLossBackward0': S(lambda T, x, y: f(T).huber_loss(x, y, delta=0.5),
                            lambda: (distinct(2, 3), rand(2, 3) * 0.05)),
    'MseLossBackward0': S(lambda T, x, y: f(T).mse_loss(x, y), lambda: (rand(2, 3), rand(2, 3))),
    'MultiMarginLossBackward0': [
        S(lambda T, x, w, p=p: f(T).multi_margin_loss(x, T.tensor([0, 2]), p=p, weight=w),
          lambda: (distinct(2, 3) * 0.3, C(pos(3))), label=str(p)) for p in (1, 2)],
    'MultilabelMarginLossBackward0': S(
        lambda T, x, t: f(T).multilabel_margin_loss(x, t),
        lambda: (distinct(2, 3) * 0.3, idx([[0, 2, -1], [1, -1, 0]]))),
    'NllLoss2DBackward0': S(lambda T, x, t: f(T).nll_loss(x, t, weight=T.tensor(
        [1., 2, 0.5], dtype=T.float64)), lambda: (rand(1, 3, 2, 2), idx([[[0, 2], [1, 2]]]))),
    'NllLossBackward0': S(lambda T, x, t: f(T).nll_loss(x, t, ignore_index=1),
                          lambda: (rand(3, 3), idx([0, 1, 2]))),
    'SmoothL1LossBackward0': S(lambda T, x, y: f(T).smooth_l1_loss(x, y, beta=0.5),
                               lambda: (distinct(2, 3), rand(2, 3) * 0.05)),
    'SoftMarginLossBackward0': S(lambda T, x, y: f(T).soft_margin_loss(x, y),
                                 lambda: (rand(2, 3), C([[1., -1, 1], [-1, -1, 1]]))),
    'XlogyBackward0': S(lambda T, x, y: f(T).kl_div(x, y, reduction='batchmean'),
                        lambda: (rand(2, 3), unit(2, 3))),
    # ------------------------------------------------------------------ nn: normalization
    'NativeBatchNormBackward0': S(
        lambda T, x, w, b: f(T).batch_norm(x, None, None, w, b, training=True),
        lambda: (rand(3, 2), pos(2), rand(2))),
    'NativeGroupNormBackward0': S(lambda T, x, w, b: f(T).group_norm(x, 2, w, b),
                                  lambda: (rand(1, 4, 2), pos(4), rand(4))),
    'NativeLayerNormBackward0': S(lambda T, x, w, b: f(T).layer_norm(x, (3,), w, b),
                                  lambda: (rand(2, 3), pos(3), rand(3))),
    # ------------------------------------------------------------------ nn: pooling
    'AdaptiveAvgPool2DBackward0': S(lambda T, x: f(T).adaptive_avg_pool2d(x, (2, 2)),
                                    lambda: (rand(1, 1, 3, 3),)),
    'AdaptiveAvgPool3DBackward0': S(lambda T, x: f(T).adaptive_avg_pool3d(x, (1, 2, 2)),
                                    lambda: (rand(1, 1, 2, 2, 3),)),
    'AdaptiveMaxPool2DBackward0': S(lambda T, x: f(T).adaptive_max_pool2d(x, (2, 2)),
                                    lambda: (distinct(1, 1, 3, 3),)),
    'AdaptiveMaxPool3DBackward0': S(lambda T, x: f(T).adaptive_max_pool3d(x, (1, 2, 2)),
                                    lambda: (distinct(1, 1, 2, 2, 3),)),
    'AvgPool2DBackward0': S(lambda T, x: f(T).avg_pool2d(x, 2, 1, padding=1,
                                                         count_include_pad=False),
                            lambda: (rand(1, 1, 2, 3),)),
    'AvgPool2DBackwardBackward0': S(
        lambda T, g: vjp(T, lambda x: f(T).avg_pool2d(x, 2, 1), leaf(T, const_grid(1, 1, 3, 3)),
                         g=g), lambda: (rand(1, 1, 2, 2),)),
    'AvgPool3DBackward0': S(lambda T, x: f(T).avg_pool3d(x, 2, 1),
                            lambda: (rand(1, 1, 2, 2, 3),)),
    'MaxPool2DWithIndicesBackward0': S(lambda T, x: f(T).max_pool2d(x, 2, 1, padding=1),
                                       lambda: (distinct(1, 1, 2, 3),)),
    'MaxPool2DWithIndicesBackwardBackward0': S(
        lambda T, g: vjp(T, lambda x: f(T).max_pool2d(x, 2, 1), leaf(T, const_grid(1, 1, 3, 3)),
                         g=g), lambda: (rand(1, 1, 2, 2),)),
    'MaxPool3DWithIndicesBackward0': S(lambda T, x: f(T).max_pool3d(x, 2, 1),
                                       lambda: (distinct(1, 1, 2, 2, 3),)),
    'MaxUnpool2DBackward0': S(lambda T, x: f(T).max_unpool2d(x, T.tensor([[[[0, 3], [5, 6]]]]),
                                                             2), lambda: (rand(1, 1, 2, 2),)),
    'MaxUnpool3DBackward0': S(
        lambda T, x: f(T).max_unpool3d(x, T.tensor([[[[[0, 3]]]]]), (1, 1, 2)),
        lambda: (rand(1, 1, 1, 1, 2),)),
    # ------------------------------------------------------------------ nn: recurrent
    '_RecurrentLayer': [S(*rnn_cell('RNNCell'), label='rnn-tanh-cell'),
                        S(*rnn_cell('RNNCell', 'relu'), label='rnn-relu-cell'),
                        S(*rnn_cell('GRUCell'), label='gru-cell'),
                        S(*rnn_cell('LSTMCell'), label='lstm-cell')] + [
        S(*rnn_layer(mode), torch=False, label=mode.lower())
        for mode in ('RNN_TANH', 'GRU', 'LSTM')],
    # ------------------------------------------------------------------ nn: embeddings
    'EmbeddingBackward0': S(lambda T, w, i: f(T).embedding(i, w),
                            lambda: (rand(3, 2), idx([[0, 2], [1, 0]]))),
    'EmbeddingBagBackward0': [
        S(lambda T, w, i, o, m=m: f(T).embedding_bag(i, w, o, mode=m), lambda: (
            distinct(3, 2), idx([0, 2, 1, 0]), idx([0, 1])), label=m)
        for m in ('sum', 'mean', 'max')],
    'EmbeddingDenseBackwardBackward0': S(
        lambda T, g: vjp(T, lambda w: f(T).embedding(T.tensor([[0, 2], [0, 0]]), w),
                         leaf(T, const_grid(3, 2)), g=g), lambda: (rand(2, 2, 2),)),
    # ------------------------------------------------------------------ nn: vision
    'AffineGridGeneratorBackward0': S(
        lambda T, t: f(T).affine_grid(t, (1, 1, 2, 3), align_corners=False),
        lambda: (rand(1, 2, 3),)),
    'ChannelShuffleBackward0': S(lambda T, x: f(T).channel_shuffle(x, 2),
                                 lambda: (rand(1, 4, 1, 2),)),
    'Col2ImBackward0': S(lambda T, x: f(T).fold(x, (3, 3), 2), lambda: (rand(1, 4, 4),)),
    'ConstantPadNdBackward0': S(lambda T, x: f(T).pad(x, (1, 2, 0, 1), value=0.5), X23),
    'GridSampler2DBackward0': [
        S(lambda T, x, g, m=m, p=p, a=a: f(T).grid_sample(x, g, mode=m, padding_mode=p,
                                                          align_corners=a),
          lambda: (rand(1, 2, 3, 3), rand(1, 2, 2, 2) * 0.9 + 0.013), label=f'{m}-{p}-{a}')
        for m, p, a in (('bilinear', 'zeros', False), ('bilinear', 'border', True),
                        ('bilinear', 'reflection', False), ('nearest', 'zeros', False))],
    'Im2ColBackward0': S(lambda T, x: f(T).unfold(x, 2, padding=1, stride=2),
                         lambda: (rand(1, 2, 3, 3),)),
    'PixelShuffleBackward0': S(lambda T, x: f(T).pixel_shuffle(x, 2), lambda: (rand(1, 4, 1, 2),)),
    'PixelUnshuffleBackward0': S(lambda T, x: f(T).pixel_unshuffle(x, 2),
                                 lambda: (rand(1, 1, 2, 4),)),
    'SeparableGatherBackward0': [
        S(lambda T, x, m=m, kw=kw: f(T).interpolate(x, size=(3, 4), mode=m, **kw), lambda: (
            rand(1, 1, 2, 3),), label=m) for m, kw in (
            ('bilinear', {'align_corners': False}), ('bicubic', {'align_corners': True}),
            ('nearest', {}))],
    'SeparableGatherBackwardBackward0': S(
        lambda T, g: vjp(T, lambda x: f(T).interpolate(x, size=(3, 4), mode='bilinear'),
                         leaf(T, const_grid(1, 1, 2, 3)), g=g), lambda: (rand(1, 1, 3, 4),)),
    # ------------------------------------------------------------------ nn.utils.rnn
    'CopySlices': S(lambda T, x: T.nn.utils.rnn.pad_packed_sequence(
        T.nn.utils.rnn.pack_padded_sequence(x, [3, 2], batch_first=True),
        batch_first=True)[0], lambda: (rand(2, 3, 2),)),
    'PackPaddedSequenceBackward0': S(
        lambda T, x: T.nn.utils.rnn.pack_padded_sequence(x, [3, 1], enforce_sorted=True).data,
        lambda: (rand(3, 2, 2),)),
}

EXCLUDED = {
    'BinaryOp': 'abstract base class (no node of its own)',
    'UnaryOp': 'abstract base class (no node of its own)',
    'ElementwiseOp': 'abstract base class (no node of its own)',
    '_BasicIndexView': 'abstract base class (no node of its own)',
    '_AddProduct': 'abstract base class (no node of its own)',
    '_NoDerivative': 'abstract base class (no node of its own)',
    'ViewOp': 'abstract base class (no node of its own)',
    '_EmbedOp': 'abstract base class (no node of its own)',
    'Activation': 'abstract base class (no node of its own)',
    'PointwiseLoss': 'abstract base class (no node of its own)',
    'torch::autograd::NotImplemented:elementwise.NotImplementedBackward':
        'abstract base class of the nodes below',
    'torch::autograd::NotImplemented:elementwise.FloorDivide':
        'not differentiable in PyTorch either (floor_divide; see test_no_derivative)',
    'torch::autograd::NotImplemented:elementwise.FloorDivideScalarTensor':
        'not differentiable in PyTorch either (number // tensor; see test_no_derivative)',
    'torch::autograd::NotImplemented:elementwise.RemainderScalarTensor':
        'not differentiable in PyTorch either (remainder(number, tensor); see '
        'test_no_derivative)',
    'Unique2Backward0': 'not differentiable in PyTorch either (see test_no_derivative)',
    'UniqueDimBackward0': 'not differentiable in PyTorch either (see test_no_derivative)',
    'UniqueConsecutiveBackward0': 'not differentiable in PyTorch either (see '
                                  'test_no_derivative)',
    'torch::autograd::NotImplemented:loss.CtcLossGrad':
        'the gradient of ctc_loss: PyTorch cannot differentiate it either (see '
        'NO_DOUBLE_BACKWARD)',
}


# ---------------------------------------------------------------------------------------
# sample helpers that need ember internals or several steps
# ---------------------------------------------------------------------------------------
def _put(T, v=None, x=None):
    """``y = x.clone(); y[0, [0, 2]] = v`` (CopySlices: its backward uses _TakeAt/_ZeroAt)."""
    if x is None:
        x = T.tensor(const_grid(2, 3))
    if v is None:
        v = T.tensor([1., 2.], dtype=T.float64)
    y = x.clone()
    y[0, T.tensor([0, 2])] = v
    return y


def _eigh(T, x):
    values, vectors = T.linalg.eigh(x + x.mT)
    # Eigenvectors are defined up to sign: compare v v^T.
    return values, vectors * vectors[..., :1, :].sign()


def _svd(T, x):
    u, s, vh = T.linalg.svd(x, full_matrices=False)
    signs = u[..., :1, :].sign()
    return u * signs, s, vh * signs.mT


def _activation_erf(x):
    from ember.nn._functional.activation import Erf
    return Erf.apply(x)


def _index_unsqueeze(x):
    # No public function makes this node today; drive it directly (x[:, None]).
    from ember._ops.views import IndexUnsqueeze
    return IndexUnsqueeze.apply(x, (slice(None), None), (3, 3, 1))


def _seeded(T, fn):
    T.manual_seed(0)
    return fn()


def _inplace_on_view(T, x, v):
    y = x * 1
    y[0].mul_(v[0])
    return y


def _view_after_inplace(T, x, v):
    y = x * 1
    row = y[1]
    row.mul_(v[0])
    return row * x[0]


def _index_assign(T, x, v):
    y = x * 1
    y[T.tensor([0, 1]), T.tensor([2, 0])] = v
    return y * y


def _copy_into(T, x, v):
    y = x * 1
    y.copy_(v)          # broadcast: the gradient goes to v only, summed over rows
    return y * x


# History nodes that are plain ``Node``s, not ``Op``s (writes into tensors): same checks.
NODE_SAMPLES = {
    'CopySlices:indexing.CopySlices': S(
        lambda T, x, v: _assign_column(T, x, v), lambda: (rand(2, 3), rand(2))),
    'IndexPutBackward0:indexing.IndexPutNode': [
        S(_index_assign, lambda: (rand(2, 3), rand(2))),
        S(lambda T, x, v: T.index_put(x * 1, (T.tensor([0, 1, 0]), T.tensor([1, 2, 1])), v,
                                      accumulate=True) ** 2,
          lambda: (rand(2, 3), rand(3)), label='accumulate')],
    'CopySlices:indexing._ViewCopySlices': S(_inplace_on_view, lambda: (rand(2, 3), rand(2))),
    'AsStridedBackward0:indexing._ViewOfBase': S(_view_after_inplace,
                                                 lambda: (rand(2, 3), rand(2))),
    'CopyBackwards:copy.CopyBackwards': [
        S(_copy_into, lambda: (rand(2, 3), rand(3))),
        S(lambda T, x: _copy_into(T, x, T.tensor([0.5, -1., 2.], dtype=T.float64)), X23,
          label='constant-source')],
}


def _assign_column(T, x, v):
    y = x * 1
    y[:, 1] = v
    return y * y


def _node_classes():
    classes = {}
    for key in NODE_SAMPLES:
        module, name = key.split(':')[1].split('.')
        classes[key] = getattr(sys.modules[f'ember._ops.{module}'], name)
    return classes


NODES = _node_classes()


def _samples(key):
    entry = SAMPLES[key] if key in SAMPLES else NODE_SAMPLES[key]
    return entry if isinstance(entry, list) else [entry]


def _cases():
    cases = []
    for key in list(SAMPLES) + list(NODE_SAMPLES):
        for i, sample in enumerate(_samples(key)):
            label = sample[3]
            cases.append(pytest.param(key, i, id=key if label is None else f'{key}[{label}]'))
    return cases


CASES = _cases()


# ---------------------------------------------------------------------------------------
# tests
# ---------------------------------------------------------------------------------------
def test_every_op_has_a_sample():
    missing = sorted(k for k in OPS if k not in SAMPLES and k not in EXCLUDED)
    assert not missing, f'differentiable ops without a gradcheck sample: {missing}'
    stale = sorted(k for k in list(SAMPLES) + list(EXCLUDED) if k not in OPS)
    assert not stale, f'samples/exclusions for ops that no longer exist: {stale}'
    both = sorted(set(SAMPLES) & set(EXCLUDED))
    assert not both, f'ops both sampled and excluded: {both}'


def _run(key, which, T=ember):
    fn = _samples(key)[which][0]
    inputs = make_inputs(T, key, which)
    return fn, inputs


def _outputs(out):
    return [o for o in (out if isinstance(out, (tuple, list)) else (out,))
            if isinstance(o, ember.Tensor)]


def _graph_nodes(roots):
    seen, stack = [], list(roots)
    while stack:
        node = stack.pop()
        if node is None or any(node is s for s in seen):
            continue
        seen.append(node)
        stack.extend(fn for fn, _ in getattr(node, 'next_functions', ()))
    return seen


@pytest.mark.parametrize('key,which', CASES)
def test_sample_records_its_node(key, which):
    fn, inputs = _run(key, which)
    outs = [o for o in _outputs(fn(ember, *inputs)) if o.grad_fn is not None]
    assert outs, f'{key}: the sample records no graph'
    cls = OPS[key] if key in OPS else NODES[key]

    def made_by(node):
        return type(node) is cls or (cls in FAMILIES and isinstance(node, cls))
    root = outs[0].grad_fn
    if made_by(root):
        assert key not in DEEP, f'{key}: the node is the root: remove it from DEEP'
        assert root.name().rsplit('::', 1)[-1] == key.split(':')[0].rsplit('::', 1)[-1] or \
            cls in FAMILIES
        return
    nodes = _graph_nodes([o.grad_fn for o in outs])
    assert any(made_by(n) for n in nodes), \
        f'{key}: {cls.__module__}.{cls.__name__} is not in the graph (root: {root.name()})'
    assert key in DEEP, f'{key}: the node is in the graph but not at its root ' \
                        f'({root.name()}); list the key in DEEP if that is expected'


# Samples whose node sits inside a composite graph, not at its root.
DEEP = {
    'ClampMinBackward0:loss.ClampMin',   # margin_ranking_loss = mean(clamp_min(...))
    'LinalgVectorNormBackward0:distance.VectorNorm',   # cosine_similarity divides by norms
    'XlogyBackward0',                    # kl_div
    'SafeSoftmaxBackward0',              # attention = weights @ value
    'SoftmaxBackward0:attention._AttentionWeights',
    'ConjBackward0',                     # abs(conj(z) + 1j): a real output
    'LinalgSvdBackward0',                # sign-normalised factors
    'ConvolutionBackwardBackward0',      # (grad_input, grad_weight): the latter
    'CtcLossBackward0',                  # mean over the batch
    'CopySlices',                        # pad_packed_sequence transposes
    'CopySlices:indexing.CopySlices', 'IndexPutBackward0:indexing.IndexPutNode',
    'AsStridedBackward0:indexing._ViewOfBase',   # a product follows the write
    'CopyBackwards:copy.CopyBackwards',
}


@pytest.mark.parametrize('key,which', CASES)
def test_gradcheck(key, which):
    fn, inputs = _run(key, which)
    assert ember.autograd.gradcheck(lambda *xs: fn(ember, *xs), tuple(inputs))


# Ops whose gradient PyTorch cannot differentiate: ember raises PyTorch's error instead.
NO_DOUBLE_BACKWARD = {
    'CtcLossBackward0': 'derivative for aten::_ctc_loss_backward is not implemented',
}

# Ops that PyTorch cannot differentiate twice but ember can (ember's backward is written in
# differentiable ops): the second-order comparison with PyTorch skips them.
TORCH_NO_DOUBLE_BACKWARD = {
    'CdistBackward0': "PyTorch: the derivative for '_cdist_backward' is not implemented",
    'PdistBackward0': "PyTorch: the derivative for '_pdist_backward' is not implemented",
    'HardsigmoidBackward0': 'PyTorch: derivative for aten::hardsigmoid_backward is not '
                            'implemented',
    'MultiMarginLossBackward0': 'PyTorch: derivative for aten::multi_margin_loss_backward is '
                                'not implemented',
    'MultilabelMarginLossBackward0': 'PyTorch: derivative for '
                                     'aten::multilabel_margin_loss_backward is not implemented',
    'EmbeddingBagBackward0': "PyTorch: the derivative for '_embedding_bag_backward' is not "
                             'implemented',
}


# Known failures: (kind, key) -> reason; marked xfail, not skipped, so a fix shows up.
KNOWN_FAILURES = {}


def _known_failure(request, kind, key):
    reason = KNOWN_FAILURES.get((kind, key))
    if reason is not None:
        request.applymarker(pytest.mark.xfail(reason=reason, strict=False))


@pytest.mark.parametrize('key,which', CASES)
def test_gradgradcheck(key, which, request):
    _known_failure(request, 'gradgrad', key)
    fn, inputs = _run(key, which)
    if key in NO_DOUBLE_BACKWARD:
        with pytest.raises(RuntimeError, match=NO_DOUBLE_BACKWARD[key]):
            ember.autograd.gradgradcheck(lambda *xs: fn(ember, *xs), tuple(inputs))
        return
    assert ember.autograd.gradgradcheck(lambda *xs: fn(ember, *xs), tuple(inputs))


def _first_order_grads(T, key, which):
    fn = _samples(key)[which][0]
    inputs = make_inputs(T, key, which)
    outs = [o for o in _outputs_any(fn(T, *inputs)) if o.requires_grad]
    rng = np.random.default_rng(1)
    total = sum((o * T.tensor(rng.standard_normal(tuple(o.shape)))).sum() for o in outs)
    total.backward()
    grads = [x.grad for x in inputs if hasattr(x, 'requires_grad') and x.requires_grad]
    return [_dense(g) for g in grads]


def _dense(g):
    """PyTorch gives some constant-zero gradients (sgn, floor) as a ZeroTensor, which its
    NumPy conversion refuses: materialise it."""
    return g + 0 if getattr(g, '_is_zerotensor', lambda: False)() else g


def _outputs_any(out):
    return [o for o in (out if isinstance(out, (tuple, list)) else (out,))
            if hasattr(o, 'requires_grad')]


TORCH_CASES = [c for c in CASES if _samples(c.values[0])[c.values[1]][2]]


@pytest.mark.parametrize('key,which', TORCH_CASES)
def test_grads_match_torch(key, which):
    check(lambda T: _first_order_grads(T, key, which), rtol=1e-6, atol=1e-8)


def _second_order_grads(T, key, which):
    """Gradients of <v, grad f> with respect to the inputs (a Hessian-vector product)."""
    fn = _samples(key)[which][0]
    inputs = make_inputs(T, key, which)
    wrt = [x for x in inputs if hasattr(x, 'requires_grad') and x.requires_grad]
    outs = [o for o in _outputs_any(fn(T, *inputs)) if o.requires_grad]
    rng = np.random.default_rng(1)
    total = sum((o * T.tensor(rng.standard_normal(tuple(o.shape)))).sum() for o in outs)
    grads = T.autograd.grad(total, wrt, create_graph=True, allow_unused=True)
    inner = [(g * T.tensor(rng.standard_normal(tuple(g.shape)))).sum()
             for g in grads if g is not None]
    inner = [t for t in inner if t.requires_grad]
    # A gradient that is piecewise constant in the inputs may or may not keep a graph.
    second = T.autograd.grad(sum(inner), wrt, allow_unused=True) if inner else [None] * len(wrt)
    return [T.zeros_like(x) if g is None else _dense(g) for x, g in zip(wrt, second)]


SECOND_ORDER_CASES = [c for c in TORCH_CASES if c.values[0] not in NO_DOUBLE_BACKWARD and
                      c.values[0] not in TORCH_NO_DOUBLE_BACKWARD]


@pytest.mark.parametrize('key,which', SECOND_ORDER_CASES)
def test_second_order_grads_match_torch(key, which, request):
    _known_failure(request, 'second_order', key)
    check(lambda T: _second_order_grads(T, key, which), rtol=1e-6, atol=1e-8,
          check_stride=False, check_repr=False)


def test_no_double_backward_raises_like_torch():
    def ctc(T):
        x = T.tensor(const_grid(4, 1, 3)).log_softmax(2).detach().requires_grad_()
        loss = T.nn.functional.ctc_loss(x, T.tensor([[1, 2]]), (4,), (2,))
        (g,) = T.autograd.grad(loss, x, create_graph=True)
        name = g.grad_fn.name()
        g.sum().backward()
        return name
    check(ctc, match_message=True)


@pytest.mark.parametrize('snippet', [
    lambda T: T.floor_divide(T.tensor([3., 4.], requires_grad=True), 2.0),
    lambda T: 5.0 // T.tensor([3., 4.], requires_grad=True),
    lambda T: T.remainder(5.0, T.tensor([3., 4.], requires_grad=True)),
    lambda T: T.unique(T.tensor([3., 1., 3.], requires_grad=True)),
    lambda T: T.unique(T.tensor([[3., 1.], [3., 1.]], requires_grad=True), dim=0),
    lambda T: T.unique_consecutive(T.tensor([3., 3., 1.], requires_grad=True)),
    lambda T: T.scatter(T.ones(2, 3, requires_grad=True) * 1, 1, T.tensor([[0, 1], [1, 2]]),
                        T.ones(2, 2), reduce='add'),
], ids=['floor_divide', 'rfloordiv', 'remainder-number', 'unique', 'unique-dim',
        'unique-consecutive', 'scatter-reduce'])
@pytest.mark.filterwarnings('ignore:The reduce argument of torch.scatter')
def test_no_derivative(snippet):
    """Ops PyTorch records but cannot differentiate: the same node name and error."""
    def run(T):
        out = snippet(T)
        name = out.grad_fn.name()
        out.sum().backward()
        return name
    check(run, match_message=True)


# First-order comparisons for cases gradcheck cannot judge (a gradient by convention).
CONVENTION_CASES = [
    ('embedding-padding-idx', lambda T, w: T.nn.functional.embedding(
        T.tensor([[0, 2], [1, 0]]), w, padding_idx=1), lambda: (rand(3, 2),)),
    ('embedding-scale-grad', lambda T, w: T.nn.functional.embedding(
        T.tensor([[0, 2], [1, 0]]), w, scale_grad_by_freq=True), lambda: (rand(3, 2),)),
    ('amax-ties', lambda T, x: T.amax(x, 1), lambda: (np.array([[1., 1, 0], [2, 0, 2]]),)),
    ('max-ties', lambda T, x: T.max(x), lambda: (np.array([[1., 2, 0], [2, 0, 2]]),)),
    ('median-ties', lambda T, x: T.median(x, 1)[0],
     lambda: (np.array([[1., 1, 0], [2, 0, 2]]),)),
    ('quantile-nan', lambda T, x: T.quantile(x, 0.5, dim=1),
     lambda: (np.array([[1., np.nan, 0], [2, 0, 3]]),)),
    ('nanquantile-nan', lambda T, x: T.nanquantile(x, 0.5, dim=1),
     lambda: (np.array([[1., np.nan, 0], [2, 0, 3]]),)),
    ('abs-zero', lambda T, x: T.abs(x), lambda: (np.array([0., -1, 2]),)),
    ('relu-zero', lambda T, x: T.relu(x), lambda: (np.array([0., -1, 2]),)),
    ('clamp-at-bound', lambda T, x: T.clamp(x, -1, 1), lambda: (np.array([-1., 0, 1, 2]),)),
    ('prod-zero-3d', lambda T, x: T.prod(x, 1), lambda: (np.array(
        [[[1., 0], [2, 3]], [[0, 0], [4, 0.5]]]),)),
    ('cumprod-zeros-dim0', lambda T, x: T.cumprod(x, 0), lambda: (np.array(
        [[1., 0, 2], [0, 3, 0], [2, 2, 0]]),)),
]


@pytest.mark.parametrize('name,fn,make', CONVENTION_CASES, ids=[c[0] for c in CONVENTION_CASES])
def test_convention_grads_match_torch(name, fn, make):
    def run(T):
        (x,) = [T.tensor(a, requires_grad=True) for a in make()]
        out = fn(T, x)
        rng = np.random.default_rng(1)
        weights = T.tensor(rng.standard_normal(tuple(out.shape)))
        (g,) = T.autograd.grad((out * weights).nansum(), x, create_graph=True)
        (h,) = T.autograd.grad((g * weights.sum()).sum(), x, allow_unused=True) \
            if g.requires_grad else (None,)
        return _dense(g.detach()), (T.zeros_like(x) if h is None else _dense(h))
    check(run, rtol=1e-6, atol=1e-8, check_stride=False, check_repr=False)


# Complex inputs: PyTorch's convention (the gradient of a product is grad times the other
# factor's conjugate) through the ops whose backward handles complex values.
COMPLEX_CASES = [
    ('mul', lambda T, z, w: z * w),
    ('div', lambda T, z, w: z / w),
    ('mul-number', lambda T, z, w: z * (2 - 3j)),
    ('rdiv-number', lambda T, z, w: (2 - 3j) / w),
    ('sgn', lambda T, z, w: T.sgn(z) * w),
    ('abs', lambda T, z, w: T.abs(z) * w),
    ('real-imag', lambda T, z, w: z.real * w + z.imag),
    ('conj', lambda T, z, w: z.conj() * w),
]


@pytest.mark.parametrize('fn', [c[1] for c in COMPLEX_CASES], ids=[c[0] for c in COMPLEX_CASES])
def test_complex_grads_match_torch(fn):
    def run(T):
        z = T.tensor(np.array([1 + 2j, -0.5 + 0.3j, 0.2 - 1j]), requires_grad=True)
        w = T.tensor(np.array([0.3 - 1j, 2 + 0.5j, -1 + 0.1j]), requires_grad=True)
        out = fn(T, z, w)
        g = T.tensor(np.array([1 + 1j, 2 - 1j, -0.5 + 0.5j]))
        grads = T.autograd.grad(out, (z, w), g, create_graph=True, allow_unused=True)
        first = [T.zeros_like(z) if x is None else x.detach() for x in grads]
        live = [(x * g.conj()).real.sum() for x in grads if x is not None and x.requires_grad]
        second = T.autograd.grad(sum(live), (z, w), allow_unused=True) if live else (None,) * 2
        return first + [T.zeros_like(z) if x is None else _dense(x) for x in second]
    check(run, rtol=1e-6, atol=1e-8, check_stride=False, check_repr=False)


def _hessian(f, x0):
    x = ember.tensor(np.asarray(x0, dtype=np.float64), requires_grad=True)
    (g,) = ember.autograd.grad(f(x), x, create_graph=True)
    rows = [ember.autograd.grad(g[i], x, retain_graph=True)[0]._data for i in range(len(x0))]
    return g.detach()._data, np.stack(rows)


def test_prod_with_zeros_by_hand():
    # prod(x) at x = (2, 0, 0): every gradient entry has a zero factor; d2/dx1dx2 = x0.
    g, h = _hessian(lambda x: x.prod(), [2., 0., 0.])
    np.testing.assert_array_equal(g, [0., 0., 0.])
    np.testing.assert_array_equal(h, [[0., 0., 0.], [0., 0., 2.], [0., 2., 0.]])
    # One zero: only its own entry of the gradient survives.
    g, h = _hessian(lambda x: x.prod(0), [2., 0., 3.])
    np.testing.assert_array_equal(g, [0., 6., 0.])
    np.testing.assert_array_equal(h, [[0., 3., 0.], [3., 0., 2.], [0., 2., 0.]])


def test_cumprod_with_zeros_by_hand():
    # sum(cumprod(x)) = x0 + x0 x1 + x0 x1 x2 at x = (0, 3, 0.5).
    g, h = _hessian(lambda x: x.cumprod(0).sum(), [0., 3., 0.5])
    np.testing.assert_allclose(g, [1 + 3 + 1.5, 0., 0.])
    np.testing.assert_allclose(h, [[0., 1.5, 3.], [1.5, 0., 0.], [3., 0., 0.]])


def test_quantile_gradient_by_hand():
    # The 0.25-quantile of (4, 1, 3, 2) has rank 0.25 * 3 = 0.75 among the sorted values:
    # 1 + 0.75 * (2 - 1), so elements 1 and 3 get weights 0.25 and 0.75.
    x = ember.tensor([4., 1., 3., 2.], dtype=ember.float64, requires_grad=True)
    v = ember.tensor(2., dtype=ember.float64, requires_grad=True)
    (g,) = ember.autograd.grad(ember.quantile(x, 0.25), x, v, create_graph=True)
    np.testing.assert_allclose(g._data, [0., 0.5, 0., 1.5])
    # Linear in the output gradient v: d(g . w)/dv = w . (0, 0.25, 0, 0.75).
    (dv,) = ember.autograd.grad((g * ember.tensor([1., 2., 3., 4.])).sum(), v)
    assert dv.item() == 0.25 * 2 + 0.75 * 4
