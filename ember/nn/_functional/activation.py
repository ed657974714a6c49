"""nn.functional: activations, softmax and friends, ``one_hot`` and ``normalize``.

Every activation PyTorch shows with its own grad_fn (``EluBackward0``, ``GeluBackward0``,
``SoftmaxBackward0``...) is one fused ``Op``: forward on arrays, backward written in ember
tensor ops so that double backward works. float16/bfloat16 inputs compute in float32 and
round back, as PyTorch's CPU kernels do.
"""
import math
import warnings

import numpy as np

from ... import _dtype as dt
from ... import _args
from ... import _layout
from ..._tensor import Tensor, make_tensor
from ...autograd import grad_mode
from ...autograd.function import Op
from ..._ops import elementwise as _ew
from ..._ops.elementwise import (check_inplace, apply_inplace, _history_snapshot, sigmoid,
                                 tanh, relu as _relu, _type_name)
from ..._ops.indexing import where
from .distance import vector_norm, is_half

__all__ = ['relu', 'relu_', 'relu6', 'leaky_relu', 'leaky_relu_', 'prelu', 'elu', 'elu_',
           'selu', 'selu_', 'celu', 'celu_', 'gelu', 'silu', 'mish', 'sigmoid', 'tanh',
           'hardtanh', 'hardtanh_', 'hardsigmoid', 'hardswish', 'softplus', 'softsign',
           'softmax', 'log_softmax', 'softmin', 'threshold', 'threshold_', 'glu',
           'tanhshrink', 'softshrink', 'hardshrink', 'logsigmoid', 'one_hot', 'normalize',
           'gumbel_softmax', 'rrelu', 'rrelu_']

_grad_state = grad_mode.state
_ndarray = np.ndarray
_F32 = np.float32


def _arr(x):
    return x if type(x) is _ndarray else np.asarray(x)


def _check_tensor(input, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{_args.type_name(input)}")


def _check_float(input, kernel):
    """PyTorch's error for an activation kernel that has no integer version."""
    _check_tensor(input, kernel.replace('_cpu', ''))
    if not input._dtype.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{_type_name(input._dtype)}'")


# ---------------------------------------------------------------------------------------
# erf (NumPy has none; SciPy is not allowed)
# ---------------------------------------------------------------------------------------
def _chebyshev_fit(f, n):
    """Coefficients of the degree ``n - 1`` Chebyshev interpolant of ``f`` on [-1, 1]."""
    k = np.arange(n) + 0.5
    values = np.array([f(float(u)) for u in np.cos(np.pi * k / n)])
    coef = (2.0 / n) * (np.cos(np.pi * np.outer(np.arange(n), k) / n) @ values)
    coef[0] /= 2
    return coef


# For x >= 0.5, erf(x) = 1 - exp(-x^2) * erfcx(x), where erfcx(x) = exp(x^2) erfc(x) is smooth
# in t = 1 / (1 + x): one Chebyshev interpolant in t over [0.5, 6] (beyond 6, erf is 1 in
# double precision). Below 0.5 the Taylor series converges fast and keeps relative accuracy.
_ERF_SPLIT, _ERF_TOP = 0.5, 6.0
_T_HI, _T_LO = 1 / (1 + _ERF_SPLIT), 1 / (1 + _ERF_TOP)


def _erfcx_of_u(u):
    x = 1 / ((u + 1) * (_T_HI - _T_LO) / 2 + _T_LO) - 1
    return math.erfc(x) * math.exp(x * x)


_ERFCX64 = _chebyshev_fit(_erfcx_of_u, 22)
# Taylor coefficients of erf(x) / x in powers of x^2: 2/sqrt(pi) * (-1)^n / (n! (2n + 1)).
_TAYLOR64 = np.array([2 / math.sqrt(math.pi) * (-1) ** n / (math.factorial(n) * (2 * n + 1))
                      for n in range(13)])


# float32 takes a cheaper route: linear interpolation in a table of g(x) = erf(x) / x, smooth
# and even, on [0, 4] (float32's erf rounds to +-1 beyond 3.92). With 16384 steps the
# interpolation error is below 0.4 ulp, and erf = x * g(|x|) keeps relative accuracy near 0:
# a dozen passes over the array instead of some sixty for the polynomials.
_ERF_STEPS, _ERF_END = 16384, 4.0
_erf_pairs = []


def _erf_table():
    """(value, slope) float32 pairs of g at each step, packed in one 8-byte word per step
    so that one gather fetches both."""
    if not _erf_pairs:
        x = np.arange(1, _ERF_STEPS + 2) * (_ERF_END / _ERF_STEPS)
        g = np.empty(_ERF_STEPS + 2)
        g[0] = 2 / math.sqrt(math.pi)
        g[1:] = erf_array(x) / x
        pairs = np.empty((_ERF_STEPS + 1, 2), _F32)
        pairs[:, 0] = g[:-1]
        pairs[:, 1] = np.diff(g)
        _erf_pairs.append(pairs.view(np.uint64).reshape(-1))
    return _erf_pairs[0]


def _erf_float32(x):
    s = np.abs(x)
    np.minimum(s, _F32(_ERF_END), out=s)
    s *= _F32(_ERF_STEPS / _ERF_END)          # a power of two: exact
    with np.errstate(invalid='ignore'):       # NaN's index is garbage, clipped below
        step = s.astype(np.int32)
    s -= step.astype(_F32)                    # the fraction of the step, exact
    pairs = np.take(_erf_table(), step, mode='clip').view(_F32)
    s *= pairs[..., 1::2]                     # in place: the result keeps x's layout
    s += pairs[..., 0::2]
    s *= x                                    # NaN stays NaN; -0.0 stays -0.0
    return np.clip(s, _F32(-1), _F32(1), out=s)


def erf_array(x):
    """The error function of a float array, accurate to a few ulp (float32 or float64).

    float32 (and half precision, computed in float32) interpolates a table; float64 evaluates
    both polynomial branches on the whole array with in-place arithmetic and one select at
    the end: boolean gathers and scatters cost more than the extra polynomial terms."""
    x = _arr(x)
    half = is_half(x.dtype)
    work = x.astype(_F32) if half else x
    if work.ndim == 0:   # in-place arithmetic needs arrays, not NumPy scalars
        return erf_array(work.reshape(1)).reshape(()).astype(x.dtype)
    if work.dtype == _F32:
        out = _erf_float32(work)
        return out.astype(x.dtype) if half else out
    ft = work.dtype.type          # float64 from here on
    cheb, taylor = _ERFCX64, _TAYLOR64
    # |x| < 0.5: x * P(x^2), the Taylor series
    x2 = work * work
    small = np.full_like(work, taylor[-1])
    for c in taylor[-2::-1]:
        small *= x2
        small += c
    small *= work
    # |x| >= 0.5: 1 - exp(-x^2) * erfcx(x), erfcx by Clenshaw in u, an affine map of 1/(1+|x|)
    a = np.abs(work)
    ab = np.clip(a, ft(_ERF_SPLIT), ft(_ERF_TOP))
    u = ab + ft(1)
    np.divide(ft(2 / (_T_HI - _T_LO)), u, out=u)
    u -= ft(_T_LO * 2 / (_T_HI - _T_LO) + 1)
    two_u = u + u
    b1, b2, scratch = np.zeros_like(work), np.zeros_like(work), x2
    for c in cheb[:0:-1]:
        np.multiply(two_u, b1, out=scratch)
        scratch -= b2
        scratch += c
        b1, b2, scratch = scratch, b1, b2
    np.multiply(u, b1, out=scratch)
    scratch -= b2
    scratch += cheb[0]
    np.multiply(ab, ab, out=b1)
    np.negative(b1, out=b1)
    with np.errstate(under='ignore'):
        np.exp(b1, out=b1)
    b1 *= scratch
    np.subtract(ft(1), b1, out=b1)
    np.copysign(b1, work, out=b1)
    out = np.where(a < ft(_ERF_SPLIT), small, b1)   # NaN falls in the second branch: NaN
    return out.astype(x.dtype) if half else out


class Erf(Op):
    node_name = 'ErfBackward0'
    save_args = (0,)

    @staticmethod
    def forward(ctx, x):
        return erf_array(x)

    def backward(self, grad):
        x = self.saved[0]
        return (grad * (2 / math.sqrt(math.pi)) * (-(x * x)).exp(),)


def _erf(x):
    """erf as a differentiable tensor op: ember.erf where the op library has it."""
    public = getattr(_ew, 'erf', None)
    return public(x) if public is not None else Erf.apply(x)


# ---------------------------------------------------------------------------------------
# elementwise activations
# ---------------------------------------------------------------------------------------
class Activation(Op):
    """An elementwise activation. Subclasses give ``compute(x, *params)`` on float arrays and
    ``derivative(x, *params)``, d(out)/d(in) as an ember tensor, for backward."""
    save_args = (0,)
    kernel = ''

    @classmethod
    def forward(cls, ctx, x, *params):
        if is_half(x.dtype):
            return _arr(cls.compute(x.astype(_F32), *params)).astype(x.dtype)
        return _arr(cls.compute(x, *params))

    def backward(self, grad):
        return (grad * self.derivative(self.saved[0], *self.args[1:]),)

    @classmethod
    def run(cls, input, *params):
        _check_float(input, cls.kernel)
        return cls.apply(input, *params)

    @classmethod
    def run_(cls, input, *params):
        """The in-place form: PyTorch records it as ``<Name>Backward1`` for some ops."""
        _check_float(input, cls.kernel)
        return _inplace(cls.inplace_cls or cls, input, *params)

    inplace_cls = None


def _inplace(cls, input, *params):
    check_inplace(input)
    recording = _grad_state.enabled and input._requires_grad
    source = _history_snapshot(input) if recording else input
    return apply_inplace(input, cls.apply(source, *params))


def _backward1(cls):
    """The class PyTorch shows for the in-place form of ``cls`` (``EluBackward1``)."""
    name = cls.node_name[:-1] + '1'
    cls.inplace_cls = type(name, (cls,), {'node_name': name})
    return cls


@_backward1
class Elu(Activation):
    """``scale * x`` for x > 0, ``alpha * scale * (exp(x * input_scale) - 1)`` otherwise."""
    node_name = 'EluBackward0'
    kernel = 'elu_cpu'

    @staticmethod
    def compute(x, alpha, scale, input_scale):
        neg = np.expm1(np.minimum(x, 0) * x.dtype.type(input_scale)) * \
            x.dtype.type(alpha * scale)
        return np.where(x > 0, x * x.dtype.type(scale), neg)

    @staticmethod
    def derivative(x, alpha, scale, input_scale):
        negative = (x * input_scale).exp() * (alpha * scale * input_scale)
        return where(x > 0, float(scale), negative)


@_backward1
class Celu(Elu):
    node_name = 'CeluBackward0'


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def elu(input, alpha=1.0, inplace=False):
    """``x`` for x > 0, ``alpha * (exp(x) - 1)`` otherwise."""
    if inplace:
        return Elu.run_(input, alpha, 1.0, 1.0)
    return Elu.run(input, alpha, 1.0, 1.0)


def elu_(input, alpha=1.0):
    return Elu.run_(input, alpha, 1.0, 1.0)


def selu(input, inplace=False):
    """``scale * elu(x, alpha)`` with the self-normalising constants."""
    if inplace:
        return Elu.run_(input, _SELU_ALPHA, _SELU_SCALE, 1.0)
    return Elu.run(input, _SELU_ALPHA, _SELU_SCALE, 1.0)


def selu_(input):
    return selu(input, True)


def celu(input, alpha=1.0, inplace=False):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    if alpha == 0:
        raise RuntimeError('ZeroDivisionError')
    if inplace:
        return Celu.run_(input, alpha, 1.0, 1.0 / alpha)
    return Celu.run(input, alpha, 1.0, 1.0 / alpha)


def celu_(input, alpha=1.0):
    return celu(input, alpha, True)


@_backward1
class LeakyRelu(Activation):
    node_name = 'LeakyReluBackward0'
    kernel = 'leaky_relu_cpu'

    @staticmethod
    def compute(x, slope):
        return np.where(x > 0, x, x * x.dtype.type(slope))

    @staticmethod
    def derivative(x, slope):
        return where(x > 0, 1.0, float(slope))


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """``x`` for x > 0, ``negative_slope * x`` otherwise."""
    if not isinstance(negative_slope, (int, float)) and not hasattr(negative_slope, 'item'):
        raise TypeError("leaky_relu(): argument 'negative_slope' (position 2) must be Number, "
                        f'not {_args.type_name(negative_slope)}')
    if inplace:
        return LeakyRelu.run_(input, negative_slope)
    return LeakyRelu.run(input, negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


class Gelu(Activation):
    node_name = 'GeluBackward0'
    kernel = 'GeluKernelImpl'
    _released_arrays = ('_erf',)

    @classmethod
    def forward(cls, ctx, x, approximate):
        if ctx is None or approximate != 'none' or is_half(x.dtype):
            return Activation.forward.__func__(cls, ctx, x, approximate)
        # Keep erf(x / sqrt 2) for the first-order backward, which would recompute it.
        t = x.dtype.type
        erf = erf_array(x * t(math.sqrt(0.5)))
        ctx._erf = erf
        out = x * t(0.5)
        out *= erf + t(1)
        return _arr(out)

    @staticmethod
    def compute(x, approximate):
        t = x.dtype.type
        if approximate == 'tanh':
            inner = t(math.sqrt(2 / math.pi)) * (x + t(0.044715) * x * x * x)
            return t(0.5) * x * (1 + np.tanh(inner))
        return x * t(0.5) * (1 + erf_array(x * t(math.sqrt(0.5))))

    @staticmethod
    def derivative(x, approximate):
        if approximate == 'tanh':
            k = math.sqrt(2 / math.pi)
            x2 = x * x
            th = (k * (x + 0.044715 * x2 * x)).tanh()
            return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * (k * (1 + 3 * 0.044715 * x2))
        cdf = 0.5 * (1 + _erf(x * math.sqrt(0.5)))
        pdf = (-0.5 * x * x).exp() * (1 / math.sqrt(2 * math.pi))
        return cdf + x * pdf

    def backward(self, grad):
        x = self.saved[0]
        approximate = self.args[1]
        if _grad_state.enabled or approximate != 'none':
            return (grad * self.derivative(x, approximate),)
        # first-order fast path on arrays
        xd = x._data.astype(_F32) if is_half(x._data.dtype) else x._data
        t = xd.dtype.type
        erf = self.__dict__.get('_erf')
        if erf is None:
            erf = erf_array(xd * t(math.sqrt(0.5)))
        # grad * (cdf + x * pdf), in place on two temporaries
        out = np.add(erf, t(1))
        out *= t(0.5)
        pdf = np.multiply(xd, t(-0.5))
        pdf *= xd
        np.exp(pdf, out=pdf)
        pdf *= t(1 / math.sqrt(2 * math.pi))
        pdf *= xd
        out += pdf
        out *= grad._data
        out = _arr(out).astype(x._data.dtype, copy=False)
        return (make_tensor(out, x._dtype, x._device),)


def gelu(input, approximate='none'):
    """``x * Phi(x)`` (``approximate='tanh'``: PyTorch's tanh estimate of it)."""
    if approximate not in ('none', 'tanh'):
        raise RuntimeError('approximate argument must be either none or tanh.')
    return Gelu.run(input, approximate)


class Silu(Activation):
    node_name = 'SiluBackward0'
    kernel = 'silu_cpu'

    @staticmethod
    def compute(x):
        return x * _ew._sigmoid(x)

    @staticmethod
    def derivative(x):
        s = x.sigmoid()
        return s * (1 + x * (1 - s))


def silu(input, inplace=False):
    """``x * sigmoid(x)``."""
    return Silu.run_(input) if inplace else Silu.run(input)


def _softplus_array(x):
    # log(1 + exp(x)) without overflow: max(x, 0) + log1p(exp(-|x|))
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


class Mish(Activation):
    node_name = 'MishBackward0'
    kernel = 'mish_cpu'

    @staticmethod
    def compute(x):
        return x * np.tanh(_softplus_array(x))

    @staticmethod
    def derivative(x):
        s = x.sigmoid()
        t = softplus(x).tanh()
        return t + x * s * (1 - t * t)


def mish(input, inplace=False):
    """``x * tanh(softplus(x))``."""
    return Mish.run_(input) if inplace else Mish.run(input)


class Hardtanh(Activation):
    node_name = 'HardtanhBackward0'

    @staticmethod
    def forward(ctx, x, low, high):
        if x.dtype.kind in 'iu':
            return _arr(np.clip(x, int(math.ceil(low)), int(math.floor(high))).astype(x.dtype))
        t = x.dtype.type
        return _arr(np.minimum(np.maximum(x, t(low)), t(high)))

    def backward(self, grad):
        x = self.saved[0]
        low, high = self.args[1:]
        return (grad.masked_fill((x <= low) | (x >= high), 0),)


def _hardtanh_check(input, min_val, max_val):
    _check_tensor(input, 'hardtanh')
    if input._dtype is dt.bool:
        raise RuntimeError('Bool inputs not supported for hardtanh')
    if input._dtype is dt.uint8 and (min_val < 0 or max_val < 0):
        raise RuntimeError('cannot do hardtanh on an unsigned type with negative limits')


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """Clamp to ``[min_val, max_val]``."""
    if min_val > max_val:
        raise ValueError('min_val cannot be greater than max_val')
    _hardtanh_check(input, min_val, max_val)
    if inplace:
        return _inplace(Hardtanh, input, min_val, max_val)
    return Hardtanh.apply(input, min_val, max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, True)


def relu6(input, inplace=False):
    """``min(max(0, x), 6)``."""
    return hardtanh(input, 0.0, 6.0, inplace)


class Hardsigmoid(Activation):
    node_name = 'HardsigmoidBackward0'
    kernel = 'hardsigmoid_cpu'

    @staticmethod
    def compute(x):
        t = x.dtype.type
        return np.minimum(np.maximum(x + t(3), t(0)), t(6)) / t(6)

    def backward(self, grad):
        x = self.saved[0]
        return ((grad / 6).masked_fill((x <= -3) | (x >= 3), 0),)


def hardsigmoid(input, inplace=False):
    """``relu6(x + 3) / 6``."""
    return Hardsigmoid.run_(input) if inplace else Hardsigmoid.run(input)


class Hardswish(Activation):
    node_name = 'HardswishBackward0'
    kernel = 'hardswish_cpu'

    @staticmethod
    def compute(x):
        t = x.dtype.type
        return x * np.minimum(np.maximum(x + t(3), t(0)), t(6)) / t(6)

    def backward(self, grad):
        x = self.saved[0]
        middle = (grad * (x / 3 + 0.5)).masked_fill(x <= -3, 0)
        return (where(x >= 3, grad, middle),)


def hardswish(input, inplace=False):
    """``x * relu6(x + 3) / 6``."""
    return Hardswish.run_(input) if inplace else Hardswish.run(input)


class Softplus(Activation):
    node_name = 'SoftplusBackward0'
    kernel = 'softplus_cpu'

    @staticmethod
    def compute(x, beta, threshold):
        t = x.dtype.type
        bx = x * t(beta)
        with np.errstate(over='ignore'):
            soft = np.log1p(np.exp(np.minimum(bx, t(threshold)))) / t(beta)
        return np.where(bx > t(threshold), x, soft)

    @staticmethod
    def derivative(x, beta, threshold):
        bx = x * beta
        return where(bx > threshold, 1.0, bx.sigmoid())


def softplus(input, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta * x)) / beta``, linear where ``beta * x > threshold``."""
    return Softplus.run(input, beta, threshold)


class Softshrink(Activation):
    node_name = 'SoftshrinkBackward0'
    kernel = 'softshrink_check'

    @staticmethod
    def compute(x, lambd):
        t = x.dtype.type(lambd)
        return np.where(x > t, x - t, np.where(x < -t, x + t, x.dtype.type(0)))

    def backward(self, grad):
        return (grad.masked_fill(self.saved[0].abs() <= self.args[1], 0),)


def softshrink(input, lambd=0.5):
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0."""
    _check_float(input, 'softshrink_check')
    if lambd < 0:
        raise RuntimeError(f'lambda must be greater or equal to 0, but found to be {lambd}.')
    return Softshrink.apply(input, lambd)


class Hardshrink(Activation):
    node_name = 'HardshrinkBackward0'
    kernel = 'hardshrink_cpu'

    @staticmethod
    def compute(x, lambd):
        t = x.dtype.type(lambd)
        return np.where((x >= -t) & (x <= t), x.dtype.type(0), x)

    def backward(self, grad):
        x, lambd = self.saved[0], self.args[1]
        return (grad.masked_fill((x >= -lambd) & (x <= lambd), 0),)


def hardshrink(input, lambd=0.5):
    """``x`` where ``|x| > lambd``, else 0."""
    return Hardshrink.run(input, lambd)


# Unsigned integers of each float width: a mask of all-ones / all-zeros words selects
# elements bit-exactly (NaN, -0.0 and infinities pass through unchanged), several times
# faster than np.where, whose per-element branch mispredicts on random masks.
_BITS = {2: np.uint16, 4: np.uint32, 8: np.uint64}


def select_bits(keep_not, values, out=None, scratch=None):
    """``values`` where ``keep_not`` is False, +0.0 where it is True (``keep_not``: a bool
    array broadcastable to ``values``); bit-exact, laid out like ``keep_not`` (K order).
    Writes into ``out`` when given; ``scratch``: a reusable array shaped like ``values``
    of the unsigned type of its width."""
    bits = _BITS.get(values.dtype.itemsize) if values.dtype.kind in 'fV' else None
    if bits is None or keep_not.shape != values.shape:
        result = np.where(keep_not, values.dtype.type(0), values)
        if out is None:
            return _arr(result)
        out[...] = result
        return out
    # False - 1 wraps to all ones, True - 1 is 0: the mask of the kept elements.
    mask = np.subtract(keep_not, bits(1), dtype=bits, out=scratch)
    np.bitwise_and(values.view(bits), mask, out=mask if out is None else out.view(bits))
    return mask.view(values.dtype) if out is None else out


class ThresholdBackward(Op):
    """PyTorch's ``threshold_backward(grad, x, threshold)``: ``grad`` where ``x >
    threshold`` (or x is NaN), 0 elsewhere; the input gradient of ``relu`` and
    ``threshold``. Linear in ``grad``, so its own gradient is itself."""
    node_name = 'ThresholdBackwardBackward0'
    save_args = (1,)

    @staticmethod
    def forward(ctx, grad, x, threshold):
        out = select_bits(x <= threshold, grad)
        return out if out.dtype == grad.dtype else out.astype(grad.dtype)

    def backward(self, ggrad):
        # The mask is piecewise constant in x: PyTorch gives x a zero gradient, not none.
        gx = None if self.next_functions[1][0] is None else \
            ggrad.new_zeros(tuple(ggrad.shape))
        return ThresholdBackward.apply(ggrad, self.saved[0], self.args[2]), gx


def threshold_backward(grad, x, threshold):
    """The gradient of ``threshold(x, threshold, value)`` (and of ``relu(x)`` with ``x``
    its output and threshold 0) given the output gradient ``grad``."""
    return ThresholdBackward.apply(grad, x, threshold)


@_backward1
class Threshold(Activation):
    node_name = 'ThresholdBackward0'

    @staticmethod
    def forward(ctx, x, threshold, value):
        if x.dtype.kind in 'iu':
            return _arr(np.where(x <= threshold, np.asarray(value).astype(x.dtype), x))
        return Activation.forward.__func__(Threshold, ctx, x, threshold, value)

    @staticmethod
    def compute(x, threshold, value):
        return np.where(x <= x.dtype.type(threshold), x.dtype.type(value), x)

    def backward(self, grad):
        return (ThresholdBackward.apply(grad, self.saved[0], self.args[1]),)


def _threshold_check(input):
    _check_tensor(input, 'threshold')
    if input._dtype is dt.bool:
        raise NotImplementedError('"threshold_cpu" not implemented for \'Bool\'')


def threshold(input, threshold, value, inplace=False):
    """``value`` where ``x <= threshold``, else ``x``."""
    _threshold_check(input)
    if inplace:
        return _inplace(Threshold.inplace_cls, input, threshold, value)
    return Threshold.apply(input, threshold, value)


def threshold_(input, threshold, value):
    _threshold_check(input)
    return _inplace(Threshold.inplace_cls, input, threshold, value)


class LogSigmoid(Activation):
    node_name = 'LogSigmoidBackward0'
    kernel = 'log_sigmoid_cpu'

    @staticmethod
    def compute(x):
        # contiguous like PyTorch's log_sigmoid_forward output
        out = _arr(np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x))))
        return out if out.flags.c_contiguous else out.copy(order='C')

    @staticmethod
    def derivative(x):
        return (-x).sigmoid()


def logsigmoid(input):
    """``log(sigmoid(x))``, computed stably."""
    return LogSigmoid.run(input)


def softsign(input):
    """``x / (1 + |x|)``."""
    return input / (input.abs() + 1)


def tanhshrink(input):
    """``x - tanh(x)``."""
    return input - input.tanh()


def relu(input, inplace=False):
    """``max(0, x)``."""
    if inplace:
        return input.relu_()
    return _relu(input)


def relu_(input):
    return input.relu_()


# ---------------------------------------------------------------------------------------
# PReLU, RReLU, GLU
# ---------------------------------------------------------------------------------------
class Prelu(Op):
    node_name = 'PreluKernelBackward0'
    save_args = (0, 1)

    @staticmethod
    def forward(ctx, x, w, wshape):
        wb = w.reshape(wshape)
        if is_half(x.dtype):
            xf = x.astype(_F32)
            return _arr(np.where(xf > 0, xf, xf * wb.astype(_F32)).astype(x.dtype))
        return _arr(np.where(x > 0, x, x * wb))

    def backward(self, grad):
        x, w = self.saved
        wshape = self.args[2]
        wb = w.reshape(wshape)
        positive = x > 0
        grad_x = grad * where(positive, 1.0, wb) \
            if self.next_functions[0][0] is not None else None
        grad_w = None
        if self.next_functions[1][0] is not None:
            full = grad * where(positive, 0.0, x)
            dims = [d for d, s in enumerate(wshape) if s == 1 or w.numel() == 1]
            if w.numel() == 1:
                dims = list(range(x.dim()))
            grad_w = (full.sum(dims, keepdim=True) if dims else full).reshape(w.shape)
        return grad_x, grad_w


def prelu(input, weight):
    """``max(0, x) + weight * min(0, x)``, ``weight`` per channel (dim 1) or shared."""
    _check_tensor(input, 'prelu')
    if input._dtype is not weight._dtype:
        raise RuntimeError(f'prelu: Type promoting not supported. Got {_type_name(input._dtype)} '
                           f'and {_type_name(weight._dtype)}')
    if not input._dtype.is_floating_point:
        raise NotImplementedError(f'"prelu_cpu" not implemented for '
                                  f"'{_type_name(input._dtype)}'")
    ndim = input.dim()
    n = weight.numel()
    if weight.dim() > 1:
        raise RuntimeError(f'prelu: Expected `weight` to be a scalar or 1D tensor, but got: '
                           f'ndim = {weight.dim()}')
    if n != 1:
        channels = input._data.shape[1] if ndim >= 2 else 1
        if channels != n:
            raise RuntimeError('Mismatch of parameter numbers and input channel size. Found '
                               f'parameter numbers = {n} and channel size = {channels}.')
        wshape = [1] * ndim
        wshape[1] = n
        wshape = tuple(wshape)
    else:
        wshape = (1,) * ndim
    return Prelu.apply(input, weight, wshape)


class Rrelu(Op):
    """Leaky ReLU with a given slope per element (``noise``: 1 where x > 0)."""
    node_name = 'RreluWithNoiseBackward0'

    @staticmethod
    def forward(ctx, x, noise):
        return _arr((x.astype(np.float64) * noise).astype(x.dtype))

    def backward(self, grad):
        noise = self.args[1]
        return (grad * make_tensor(noise.astype(grad._data.dtype), grad._dtype, grad._device),)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Leaky ReLU with a slope drawn from ``U(lower, upper)`` for each non-positive element
    while training (in order, from the default generator), the mean slope otherwise."""
    _check_float(input, 'rrelu_with_noise_cpu')
    data = input._data
    negative = data <= 0
    if training:
        from ..._ops.random import default_generator
        count = int(np.count_nonzero(negative))
        draws = default_generator.uniform((count,), lower, upper, np.float64)
        noise = np.ones(data.shape, dtype=np.float64)
        noise[negative] = draws.astype(data.dtype).astype(np.float64) \
            if data.dtype != np.float64 else draws
    else:
        slope = data.dtype.type((lower + upper) / 2)
        noise = np.where(negative, np.float64(slope), 1.0)
    if inplace:
        return _inplace(Rrelu, input, noise)
    return Rrelu.apply(input, noise)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, True)


class Glu(Op):
    node_name = 'GluBackward0'
    save_args = (0,)

    @staticmethod
    def forward(ctx, x, dim):
        a, b = np.split(x, 2, axis=dim)
        if is_half(x.dtype):
            return _arr((a.astype(_F32) * _ew._sigmoid(b.astype(_F32))).astype(x.dtype))
        return _arr(a * _ew._sigmoid(b))

    def backward(self, grad):
        from ..._ops.joining import cat
        x = self.saved[0]
        dim = self.args[1]
        a, b = x.chunk(2, dim)
        s = b.sigmoid()
        return (cat([grad * s, grad * a * s * (1 - s)], dim),)


def glu(input, dim=-1):
    """Gated linear unit: the first half of ``input`` along ``dim`` times the sigmoid of the
    second half."""
    _check_tensor(input, 'glu')
    if input.dim() == 0:
        raise RuntimeError('glu does not support scalars because halving size must be even')
    d = _layout.normalize_dim(dim, input.dim())
    _check_float(input, 'glu_cpu')
    size = input._data.shape[d]
    if size % 2:
        raise RuntimeError(f'Halving dimension must be even, but dimension {d} is size {size}')
    return Glu.apply(input, d)


# ---------------------------------------------------------------------------------------
# softmax family
# ---------------------------------------------------------------------------------------
def _softmax_forward(x, dim, log):
    # (IEEE warnings from NumPy, e.g. rows of -inf, are silenced for ember's modules)
    work = x.astype(_F32) if is_half(x.dtype) else x
    if not work.size:
        out = work.copy()
    elif work.ndim == 0:
        zero = work - work
        out = _arr(zero - np.log(np.exp(zero)) if log else np.exp(zero) / np.exp(zero))
    else:
        # ``shifted`` is a fresh array: the result is formed in it, saving two 4 MB-scale
        # allocations per call on a vocabulary-sized input.
        shifted = work - work.max(axis=dim, keepdims=True)
        if log:
            shifted -= np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
        else:
            np.exp(shifted, out=shifted)
            shifted /= shifted.sum(axis=dim, keepdims=True)
        out = shifted
    # PyTorch's softmax kernels write a contiguous result whatever the input's layout
    if not out.flags.c_contiguous:
        out = out.copy(order='C')
    return out.astype(x.dtype) if out.dtype != x.dtype else out


class Softmax(Op):
    node_name = 'SoftmaxBackward0'
    save_output = True

    @staticmethod
    def forward(ctx, x, dim):
        return _softmax_forward(x, dim, False)

    def backward(self, grad):
        y = self.output
        dim = self.args[1]
        if not _grad_state.enabled:
            yd, gd = y._data, grad._data
            gy = _arr(gd * yd)
            total = _arr(yd * (gy.sum(axis=dim, keepdims=True) if yd.ndim else gy))
            np.subtract(gy, total, out=gy)
            return (make_tensor(gy, y._dtype, y._device),)
        gy = grad * y
        return (gy - y * (gy.sum(dim, keepdim=True) if y.dim() else gy),)


class LogSoftmax(Op):
    node_name = 'LogSoftmaxBackward0'
    save_output = True

    @staticmethod
    def forward(ctx, x, dim):
        return _softmax_forward(x, dim, True)

    def backward(self, grad):
        y = self.output
        dim = self.args[1]
        if not _grad_state.enabled:
            yd, gd = y._data, grad._data
            total = gd.sum(axis=dim, keepdims=True) if yd.ndim else gd
            out = _arr(np.exp(yd))
            out *= total
            np.subtract(gd, out, out=out)
            return (make_tensor(out.astype(yd.dtype, copy=False), y._dtype, y._device),)
        return (grad - y.exp() * (grad.sum(dim, keepdim=True) if y.dim() else grad),)


def _softmax_dim(name, ndim, stacklevel):
    warnings.warn(f'Implicit dimension choice for {name} has been deprecated. Change the call '
                  'to include dim=X as an argument.', UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_run(cls, input, dim, dtype, kernel):
    _check_tensor(input, kernel)
    if dtype is not None and dtype is not input._dtype:
        input = input.to(dtype)
    d = input._dtype
    if not d.is_floating_point:
        ndim = input._data.ndim
        last = ndim == 0 or _layout.normalize_dim(dim, ndim) == ndim - 1
        raise NotImplementedError(f'"{kernel}_{"lastdim_" if last else ""}kernel_impl" not '
                                  f"implemented for '{_type_name(d)}'")
    ndim = input._data.ndim
    axis = _layout.normalize_dim(dim, ndim)
    return cls.apply(input, axis)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``exp(x) / sum(exp(x))`` along ``dim`` (computed stably); ``dtype`` casts first."""
    if dim is None:
        dim = _softmax_dim('softmax', input.dim(), _stacklevel)
    return _softmax_run(Softmax, input, dim, dtype, 'softmax')


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``log(softmax(x))`` along ``dim``, computed stably."""
    if dim is None:
        dim = _softmax_dim('log_softmax', input.dim(), _stacklevel)
    return _softmax_run(LogSoftmax, input, dim, dtype, 'log_softmax')


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """``softmax(-x)`` along ``dim``."""
    if dim is None:
        dim = _softmax_dim('softmin', input.dim(), _stacklevel)
    return _softmax_run(Softmax, -input, dim, dtype, 'softmax')


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """Samples from the Gumbel-softmax distribution (one-hot when ``hard``, with the soft
    sample's gradient)."""
    from ..._ops.creation import empty_like, zeros_like
    if eps != 1e-10:
        warnings.warn('`eps` parameter is deprecated and has no effect.', stacklevel=2)
    gumbels = -empty_like(logits).exponential_().log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if hard:
        index = y_soft.max(dim, keepdim=True)[1]
        y_hard = zeros_like(logits).scatter_(dim, index, 1.0)
        return y_hard - y_soft.detach() + y_soft
    return y_soft


# ---------------------------------------------------------------------------------------
# one_hot, normalize
# ---------------------------------------------------------------------------------------
def one_hot(tensor, num_classes=-1):
    """Class indices (int64) to one-hot vectors along a new last dim (int64)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"one_hot(): argument 'input' (position 1) must be Tensor, not "
                        f"{_args.type_name(tensor)}")
    if tensor._dtype is not dt.int64:
        raise RuntimeError('one_hot is only applicable to index tensor of type LongTensor.')
    data = tensor._data
    if data.size == 0:
        if num_classes == -1:
            raise RuntimeError('Can not infer total number of classes from empty tensor.')
    else:
        if data.min() < 0:
            raise RuntimeError('Class values must be non-negative.')
        if num_classes == -1:
            num_classes = int(data.max()) + 1
        elif data.max() >= num_classes:
            raise RuntimeError('Class values must be smaller than num_classes.')
    if num_classes < -1:
        raise RuntimeError('num_classes should be positive')
    out = np.zeros(data.shape + (num_classes,), dtype=np.int64)
    if data.size:
        np.put_along_axis(out, data[..., None], 1, axis=-1)
    return make_tensor(out, dt.int64, tensor._device)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``input`` divided by its ``p``-norm along ``dim`` (at least ``eps``)."""
    from ..._ops.elementwise import div
    denom = vector_norm(input, p, dim, True).clamp_min(eps).expand_as(input)
    return div(input, denom, out=out)


# ---------------------------------------------------------------------------------------
# Tensor methods PyTorch's functional calls on the input (added only where missing)
# ---------------------------------------------------------------------------------------
def _tensor_softmax(self, dim=None, dtype=None, *, axis=_args.NO_AXIS):
    """``Tensor.softmax`` and ``torch.softmax``: ``dim`` is required there (``axis`` is
    NumPy's name for it), unlike in ``nn.functional.softmax``."""
    if axis is not _args.NO_AXIS:   # NumPy's name for dim, accepted by PyTorch too
        dim = _args.numpy_axis(axis, 'softmax')
    if dim is None:
        raise TypeError('softmax() missing 1 required positional arguments: "dim"')
    return _softmax_run(Softmax, self, dim, dtype, 'softmax')


def _tensor_log_softmax(self, dim=None, dtype=None, *, axis=_args.NO_AXIS):
    if axis is not _args.NO_AXIS:   # NumPy's name for dim, accepted by PyTorch too
        dim = _args.numpy_axis(axis, 'log_softmax')
    if dim is None:
        raise TypeError('log_softmax() missing 1 required positional arguments: "dim"')
    return _softmax_run(LogSoftmax, self, dim, dtype, 'log_softmax')


for _name, _fn in (('softmax', _tensor_softmax), ('log_softmax', _tensor_log_softmax)):
    setattr(Tensor, _name, _fn)  # replaces the stub that loads this module on first use
