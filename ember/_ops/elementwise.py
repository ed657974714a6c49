"""Elementwise ops: arithmetic with PyTorch's broadcasting and type promotion, unary math,
comparisons and logic, and their in-place and ``out=`` forms.

Every op is an ``Op`` class (forward on arrays, backward in tensor ops) run by one of two
runners, ``binary`` and ``unary``, which do the shared work once: pick the result dtype,
cast operands, check devices, wrap the result, and record the node only when an input
requires grad. Ops that take more tensors (``lerp``, ``addcmul``, ``clamp`` with tensor
bounds) promote all their operands together and record through ``_record``.

The fast paths of ``binary`` and ``unary`` are what ``a + b`` costs: keep new checks on the
slow paths (an op's ``check`` hook runs only for ops that declare one).
"""

__all__ = ['add', 'sub', 'subtract', 'rsub', 'mul', 'multiply', 'div', 'divide', 'true_divide',
           'floor_divide', 'remainder', 'fmod', 'pow', 'float_power', 'maximum',
           'minimum', 'fmax', 'fmin', 'hypot', 'atan2', 'arctan2', 'eq', 'ne', 'lt', 'le',
           'gt', 'ge', 'greater', 'greater_equal', 'less', 'less_equal', 'not_equal',
           'logical_and', 'logical_or', 'logical_xor', 'logical_not', 'bitwise_and',
           'bitwise_or', 'bitwise_xor', 'bitwise_not', 'bitwise_left_shift',
           'bitwise_right_shift', 'neg', 'negative', 'exp', 'exp2', 'expm1', 'log', 'log2',
           'log10', 'log1p', 'sqrt', 'rsqrt', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan',
           'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh', 'arcsin', 'arccos', 'arctan',
           'arcsinh', 'arccosh', 'arctanh', 'sigmoid', 'logit', 'erf', 'erfc', 'erfinv',
           'abs', 'absolute', 'sign', 'sgn', 'floor', 'ceil', 'trunc', 'fix', 'frac',
           'reciprocal', 'square', 'relu', 'isnan', 'isinf', 'isposinf', 'isneginf',
           'isfinite', 'isreal', 'signbit', 'round', 'nan_to_num', 'clamp', 'clip',
           'clamp_min', 'clamp_max', 'positive', 'lerp', 'addcmul', 'addcdiv', 'equal',
           'allclose', 'isclose', 'conj']

import builtins
import math
import warnings

import numpy as np

from .. import _dtype as dt
from .. import _args
from .. import _layout
from .._tensor import Tensor, make_tensor
from ..autograd import grad_mode
from ..autograd.function import Op, attach, check_same_device

# NumPy reports IEEE exceptions (x / 0, log(0), overflow, NaN casts) as RuntimeWarnings;
# PyTorch computes the IEEE result silently. Silence them for calls made from ember only
# (a warnings filter costs nothing per call, unlike ``np.errstate``).
warnings.filterwarnings('ignore', r'(divide by zero|invalid value|overflow|underflow) '
                        r'encountered', RuntimeWarning, r'ember\.')

_grad_state = grad_mode.state
_ndarray = np.ndarray
_SCALARS = (int, float, bool, complex)
_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3
_WIDE_INTS = (dt.int32, dt.int64)

# Promotion rules an op declares.
PROMOTE = 0        # result dtype = promoted operand dtype (add, mul, ...)
INT_TO_FLOAT = 1   # like PROMOTE, but integers compute in the default float dtype (div)
COMPARE = 2        # compute in the promoted dtype, result is bool
LOGICAL = 3        # result is bool, operands read as truth values


def _type_name(d):
    """PyTorch's C++ name of a dtype, as its error messages print it."""
    return {'float32': 'Float', 'float64': 'Double', 'float16': 'Half', 'bfloat16': 'BFloat16',
            'complex64': 'ComplexFloat', 'complex128': 'ComplexDouble', 'int64': 'Long',
            'int32': 'Int', 'int16': 'Short', 'int8': 'Char', 'uint8': 'Byte',
            'bool': 'Bool'}[d.name]


def _not_implemented(kernel, dtype):
    return NotImplementedError(f'"{kernel}" not implemented for \'{_type_name(dtype)}\'')


class _NotANumber(TypeError):
    """An operand that is neither a tensor nor a number (operators return NotImplemented)."""


class ElementwiseOp(Op):
    """An elementwise op over its tensor inputs and plain numbers."""
    # ``check(compute_dtype, a, b)`` raises for operands the op does not support; None for
    # ops that support everything (so the runners skip the call).
    check = None
    # True when PyTorch's node has an edge for the tensor operand only (``x ** 2``).
    single_edge = False

    def needs(self, i):
        """Whether input ``i`` wants a gradient (skip computing the others)."""
        return self.next_functions[i][0] is not None

    def operands(self):
        """Inputs for backward: saved tensors, with plain numbers where they were numbers."""
        saved = self.saved
        return tuple(a if s is None else s for s, a in zip(saved, self.args))


class BinaryOp(ElementwiseOp):
    public_name = ''
    save_only_for_other = None   # per operand: saved only when the other one requires grad


class UnaryOp(ElementwiseOp):
    public_name = ''


class NotImplementedBackward(ElementwiseOp):
    """PyTorch records this node for ops it cannot differentiate (``x // y``)."""
    node_name = 'torch::autograd::NotImplemented'
    aten_name = ''

    def backward(self, *grads):
        raise RuntimeError(f'derivative for aten::{self.aten_name} is not implemented')


# ---------------------------------------------------------------------------------------
# operand preparation
# ---------------------------------------------------------------------------------------
def _scalar_array(value, np_dtype):
    """A Python number as a NumPy scalar of ``np_dtype``, wrapping like PyTorch's casts."""
    try:
        return np_dtype.type(value)
    except (OverflowError, ValueError):
        return np.array(value).astype(np_dtype)[()]


def _check_number(value, name=None):
    """``value`` if it is a number; otherwise the TypeError that operators turn into
    NotImplemented."""
    if isinstance(value, _SCALARS) or isinstance(value, np.generic):
        return value
    prefix = f'{name}(): ' if name else ''
    raise _NotANumber(f'{prefix}expected a Tensor or a number, got {type(value).__name__}')


def _promote(a, b):
    """Result dtype of a binary op on tensors/numbers (PyTorch's three tiers)."""
    dims, zero_dims, scalars = [], [], []
    for x in (a, b):
        if isinstance(x, Tensor):
            (dims if x._data.ndim else zero_dims).append(x._dtype)
        else:
            scalars.append(x)
    return dt.result_type_of(dims, zero_dims, scalars)


def _promote_all(*operands):
    """Result dtype of an op over several tensors and numbers (None entries skipped)."""
    dims, zero_dims, scalars = [], [], []
    for x in operands:
        if x is None:
            continue
        if isinstance(x, Tensor):
            (dims if x._data.ndim else zero_dims).append(x._dtype)
        else:
            scalars.append(x)
    return dt.result_type_of(dims, zero_dims, scalars)


def _cast(x, compute):
    """Operand data in the compute dtype: arrays are cast, numbers become NumPy scalars."""
    if isinstance(x, Tensor):
        data = x._data
        return data if x._dtype is compute else data.astype(compute.numpy_dtype)
    return _scalar_array(x, compute.numpy_dtype)


def _slow_compute(a, b, rule):
    """The compute dtype when the fast paths of ``binary`` do not apply."""
    if not isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            raise _NotANumber(f'expected a Tensor operand, got {type(a).__name__} and '
                              f'{type(b).__name__}')
        _check_number(a)
    elif not isinstance(b, Tensor):
        _check_number(b)
    compute = _promote(a, b)
    if rule == INT_TO_FLOAT and compute.category < _FLOAT:
        compute = dt.get_default_dtype()
    return compute


def _shape(x):
    return x._data.shape if isinstance(x, Tensor) else ()


def _broadcast_error(*operands):
    """PyTorch's error for shapes that do not broadcast (dims counted in the result)."""
    _layout.broadcast_shapes(*[_shape(x) for x in operands])


def _device_of(*tensors):
    """The device of an op's result (0-d cpu tensors may join tensors on other devices)."""
    device = None
    for t in tensors:
        if isinstance(t, Tensor):
            if device is None:
                device = t._device
            elif t._device is not device:
                check_same_device([x for x in tensors if isinstance(x, Tensor)])
                if not (t._device.type == 'cpu' and t._data.ndim == 0):
                    device = t._device
    return device


# ---------------------------------------------------------------------------------------
# result layout
# ---------------------------------------------------------------------------------------
def torch_output_order(shape, operands):
    """PyTorch's innermost-to-outermost dim order for an elementwise result (see
    ``_layout.iteration_order``); numbers among ``operands`` are ignored."""
    return _layout.iteration_order(shape, [(t._data.shape, t.stride()) for t in operands
                                           if isinstance(t, Tensor)])


_non_overlapping_and_dense = _layout.is_non_overlapping_and_dense


def _fast_setup_strides(shape, tensors):
    """PyTorch's shortcut layouts when every operand has the result's shape: contiguous,
    channels_last, or (all operands dense with equal strides) the operands' strides."""
    if not tensors or builtins.any(t._data.shape != shape for t in tensors):
        return None
    strides = [t.stride() for t in tensors]
    if builtins.all(_layout.is_contiguous(shape, st) for st in strides):
        return _layout.contiguous_strides(shape)
    if len(shape) == 4 and builtins.all(_layout.is_channels_last(shape, st) for st in strides):
        result = [0] * 4
        step = 1
        for d in (1, 3, 2, 0):
            result[d] = step
            step *= shape[d]
        return tuple(result)
    first = strides[0]
    if _non_overlapping_and_dense(shape, first) and builtins.all(
            st == first for st in strides):
        return tuple(first)
    return None


def torch_layout(out, *operands):
    """``out`` laid out in memory as PyTorch would allocate an elementwise result of these
    operands (a copy only when NumPy chose another layout)."""
    shape = out.shape
    if out.size == 0:
        return out
    elements = _fast_setup_strides(shape, [t for t in operands if isinstance(t, Tensor)])
    if elements is None:
        perm = torch_output_order(shape, operands)
        elements = [0] * len(shape)
        step = 1
        for d in perm:
            elements[d] = step
            step *= shape[d]
    expected = tuple(st * out.itemsize for st in elements)
    if out.strides == expected:
        return out
    from numpy.lib.stride_tricks import as_strided
    span = 1 + builtins.sum((size - 1) * st for size, st in zip(shape, elements))
    result = as_strided(np.empty(span, dtype=out.dtype), shape, expected)
    result[...] = out
    return result


# ---------------------------------------------------------------------------------------
# runners
# ---------------------------------------------------------------------------------------
def binary(cls, a, b, rule=PROMOTE, alpha=None):
    """Run binary op ``cls`` on two operands, at least one of them a tensor."""
    a_is_tensor = isinstance(a, Tensor)
    b_is_tensor = isinstance(b, Tensor)
    if a_is_tensor and b_is_tensor:
        device = a._device
        if b._device is not device:
            check_same_device((a, b))
            if a._data.ndim == 0 and a._device.type == 'cpu':
                device = b._device
        if a._dtype is b._dtype and (rule != INT_TO_FLOAT or a._dtype.category >= _FLOAT):
            compute = a._dtype
            x, y = a._data, b._data
        else:
            compute = _slow_compute(a, b, rule)
            x, y = _cast(a, compute), _cast(b, compute)
    elif a_is_tensor:
        device = a._device
        category = a._dtype.category
        kind = type(b)
        if (kind is float and category >= _FLOAT) or (kind is int and (
                category >= _FLOAT or (a._dtype in _WIDE_INTS and rule != INT_TO_FLOAT and
                                       -2**31 <= b < 2**31))):
            # NumPy's weak handling of Python numbers already gives PyTorch's result here.
            compute = a._dtype
            x, y = a._data, b
        else:
            compute = _slow_compute(a, b, rule)
            x, y = _cast(a, compute), _cast(b, compute)
    else:
        if not b_is_tensor and isinstance(a, _SCALARS) and isinstance(b, _SCALARS):
            # ``ember.add(1, 2)``: the first number acts as a 0-d tensor.
            from .creation import scalar_tensor
            return binary(cls, scalar_tensor(a, dtype=dt.scalar_dtype(a)), b, rule, alpha)
        compute = _slow_compute(a, b, rule)
        device = b._device
        x, y = _cast(a, compute), _cast(b, compute)
    if alpha is not None:
        y = _apply_alpha(y, alpha, compute)
    check = cls.check
    if check is not None:
        check(compute, a, b)
    try:
        out = cls.forward(None, x, y)
    except ValueError:
        _broadcast_error(a, b)
        raise
    if type(out) is not _ndarray:
        out = _as_array(out)
    elif out.ndim > 1 and not (
            (not a_is_tensor or a._data.flags.c_contiguous) and
            (not b_is_tensor or b._data.flags.c_contiguous)):
        out = torch_layout(out, a, b)
    result_dtype = dt.bool if rule >= COMPARE else compute
    if out.dtype is not result_dtype._numpy:
        out = out.astype(result_dtype.numpy_dtype)
    result = make_tensor(out, result_dtype, device)
    if ((a_is_tensor and a._requires_grad) or (b_is_tensor and b._requires_grad)) and \
            _grad_state.enabled and cls.differentiable and rule < COMPARE:
        _record_binary(cls, result, a if a_is_tensor else None, b if b_is_tensor else None,
                       a, b, alpha)
    return result


def _record_binary(cls, result, ta, tb, a, b, alpha):
    node = cls.__new__(cls)
    if cls.single_edge:
        node._connect((ta if ta is not None else tb,))
    else:
        node._connect((ta, tb))
    node.args = (None if ta is not None else a, None if tb is not None else b, alpha)
    if cls.save_args:
        only = cls.save_only_for_other
        if only is not None:
            # Keep an operand only when the other one's gradient needs it (``x * 0.5`` need
            # not keep ``x`` alive), as PyTorch's MulBackward0/DivBackward0 do.
            a_grad = ta is not None and ta._requires_grad
            if only[0] and (tb is None or not tb._requires_grad):
                ta = None
            if only[1] and not a_grad:
                tb = None
        node.save(ta, tb)
    attach(node, result, cls.save_output)


def _as_array(out):
    if isinstance(out, np.generic):
        return np.asarray(out)
    return out


def _apply_alpha(y, alpha, compute):
    if isinstance(alpha, Tensor):
        alpha = alpha.item()
    if isinstance(alpha, bool):
        if compute is not dt.bool:
            raise RuntimeError('Boolean alpha only supported for Boolean results.')
    elif isinstance(alpha, float) and compute.category < _FLOAT:
        raise RuntimeError('For integral input tensors, argument alpha must not be a '
                           'floating point number.')
    if type(y) is _ndarray or isinstance(y, np.generic):
        return y * _scalar_array(alpha, compute.numpy_dtype)
    return _scalar_array(y, compute.numpy_dtype) * _scalar_array(alpha, compute.numpy_dtype)


def unary(cls, a, int_to_float=False):
    """Run unary op ``cls`` on a tensor."""
    if not isinstance(a, Tensor):
        raise TypeError(f'{cls.public_name}(): argument \'input\' (position 1) must be '
                        f'Tensor, not {_args.type_name(a)}')
    data = a._data
    dtype = a._dtype
    if int_to_float and dtype.category < _FLOAT:
        dtype = dt.get_default_dtype()
        data = data.astype(dtype.numpy_dtype)
    check = cls.check
    if check is not None:
        check(dtype, a)
    out = cls.forward(None, data)
    if type(out) is not _ndarray:
        out = _as_array(out)
    elif out.ndim > 1 and not a._data.flags.c_contiguous:
        out = torch_layout(out, a)
    result_dtype = dt.from_numpy_dtype(out.dtype) if out.dtype is not dtype._numpy else dtype
    result = make_tensor(out, result_dtype, a._device)
    if a._requires_grad and _grad_state.enabled and cls.differentiable:
        node = cls.__new__(cls)
        node._connect((a,))
        node.args = (None,)
        if cls.save_args:
            node.save(a)
        attach(node, result, cls.save_output)
    return result


def unary_with(cls, a, params, int_to_float=False):
    """``unary`` for ops with extra plain arguments: ``forward(ctx, x, *params)``; backward
    finds them in ``self.args[1:]``."""
    if not isinstance(a, Tensor):
        raise TypeError(f'{cls.public_name}(): argument \'input\' (position 1) must be '
                        f'Tensor, not {_args.type_name(a)}')
    data = a._data
    dtype = a._dtype
    if int_to_float and dtype.category < _FLOAT:
        dtype = dt.get_default_dtype()
        data = data.astype(dtype.numpy_dtype)
    if cls.check is not None:
        cls.check(dtype, a, *params)
    out = _as_array(cls.forward(None, data, *params))
    if out.ndim > 1 and not a._data.flags.c_contiguous:
        out = torch_layout(out, a)
    result = make_tensor(out, dt.from_numpy_dtype(out.dtype), a._device)
    if a._requires_grad and _grad_state.enabled and cls.differentiable:
        node = cls.__new__(cls)
        node._connect((a,))
        node.args = (None,) + tuple(params)
        if cls.save_args:
            node.save(a)
        attach(node, result, cls.save_output)
    return result


def _record(cls, result, inputs, args, save=True, save_output=False):
    """Record ``cls`` for an op over several tensors (None for non-tensor inputs)."""
    if not (_grad_state.enabled and cls.differentiable and
            builtins.any(t is not None and t._requires_grad for t in inputs)):
        return result
    node = cls.__new__(cls)
    node._connect(inputs)
    node.args = tuple(args)
    if save:
        node.save(*inputs)
    return attach(node, result, save_output)


def _layout_of(out, *operands):
    """``torch_layout`` for results of ops that compute through ``np.where`` & co."""
    if type(out) is _ndarray and out.ndim > 1:
        return torch_layout(out, *operands)
    return out


def _compute_array(out, dtype, device):
    """Wrap a forward result of dtype ``dtype`` (re-wrapping NumPy scalars)."""
    out = _as_array(out)
    if out.dtype != dtype.numpy_dtype:
        out = out.astype(dtype.numpy_dtype)
    return make_tensor(out, dtype, device)


_HALF = dt.HALF_NUMPY_DTYPES  # a live set: bfloat16 joins when ml_dtypes loads


def _opmath(data):
    """Half precision computes in float32 as PyTorch's CPU kernels do."""
    if data.dtype in _HALF:
        return data.astype(np.float32)
    return data


def _where(condition, x, y):
    from .indexing import where
    return where(condition, x, y)


# ---------------------------------------------------------------------------------------
# arithmetic
# ---------------------------------------------------------------------------------------
def _is_bool(x):
    return x._dtype is dt.bool if isinstance(x, Tensor) else type(x) is bool


def _sub_check(compute, a, b):
    if compute is dt.bool or _is_bool(a) or _is_bool(b):
        both = isinstance(a, Tensor) and isinstance(b, Tensor) and _is_bool(a) and _is_bool(b)
        raise RuntimeError('Subtraction, the `-` operator, with two bool tensors is not '
                           'supported. Use the `^` or `logical_xor()` operator instead.'
                           if both else
                           'Subtraction, the `-` operator, with a bool tensor is not '
                           'supported. If you are trying to invert a mask, use the `~` or '
                           '`logical_not()` operator instead.')


def _zero_divisor(b):
    if isinstance(b, Tensor):
        return bool((b._data == 0).any())
    return b == 0


def _conj(value):
    """The conjugate of a saved operand, tensor or number (complex gradients follow PyTorch's
    convention: the gradient of a product is grad times the other factor's conjugate)."""
    if isinstance(value, Tensor):
        return value.conj()
    return None if value is None else value.conjugate()   # None: an operand not saved


def _zero_grad(grad):
    """The gradient of a piecewise-constant op: zeros, as PyTorch gives (``grad * 0`` would
    keep NaN/inf and print -0)."""
    return grad.new_zeros(grad.shape)


def _integer_division_check(kernel):
    """Bool is unsupported; an integer division by zero raises like PyTorch."""
    def check(compute, a, b):
        if compute is dt.bool:
            raise _not_implemented(kernel, compute)
        if compute.category == _INT and _zero_divisor(b):
            raise RuntimeError('ZeroDivisionError')
        if compute.category == _COMPLEX:
            raise _not_implemented(kernel, compute)
    return staticmethod(check)


class Add(BinaryOp):
    node_name = 'AddBackward0'

    @staticmethod
    def forward(ctx, x, y):
        return np.add(x, y)

    def backward(self, grad):
        alpha = self.args[2]
        if not self.needs(1):
            return grad, None
        return grad, grad if alpha is None else grad * alpha


class Sub(BinaryOp):
    node_name = 'SubBackward0'
    check = staticmethod(_sub_check)

    @staticmethod
    def forward(ctx, x, y):
        return np.subtract(x, y)

    def backward(self, grad):
        alpha = self.args[2]
        if not self.needs(1):
            return grad, None
        return grad, -grad if alpha is None else grad * (-alpha)


class Rsub(Sub):
    """``other - alpha * input``: run as ``binary(Rsub, other, input)``."""
    node_name = 'RsubBackward0'

    def backward(self, grad):
        alpha = self.args[2]
        return (grad if self.needs(0) else None,
                (-grad if alpha is None else grad * (-alpha)) if self.needs(1) else None)


class RsubScalar(Sub):
    """``number - alpha * input``: PyTorch's node has one edge, to ``input``."""
    node_name = 'RsubBackward1'
    single_edge = True

    def backward(self, grad):
        alpha = self.args[2]
        return (-grad if alpha is None else grad * (-alpha),)


class Mul(BinaryOp):
    node_name = 'MulBackward0'
    save_args = (0, 1)
    save_only_for_other = (True, True)

    @staticmethod
    def forward(ctx, x, y):
        return np.multiply(x, y)

    def backward(self, grad):
        a, b = self.operands()[:2]
        if grad._dtype.is_complex:
            a, b = _conj(a), _conj(b)
        return (grad * b if self.needs(0) else None,
                grad * a if self.needs(1) else None)


class Div(BinaryOp):
    node_name = 'DivBackward0'
    save_args = (0, 1)
    save_only_for_other = (True, False)

    @staticmethod
    def forward(ctx, x, y):
        return np.true_divide(x, y)

    def backward(self, grad):
        a, b = self.operands()[:2]
        if grad._dtype.is_complex:
            a, b = _conj(a), _conj(b)
        grad_a = grad / b if self.needs(0) else None
        grad_b = -grad * a / (b * b) if self.needs(1) else None
        return grad_a, grad_b


def _trunc_divide(x, y):
    if np.asarray(x).dtype.kind in 'fc':
        return np.trunc(np.true_divide(x, y))
    # C's truncating integer division, exactly: the remainder takes the dividend's sign.
    return np.floor_divide(np.subtract(x, np.fmod(x, y)), y)


class DivFloor(BinaryOp):
    """``div(..., rounding_mode='floor')``: piecewise constant, so the gradient is zero."""
    node_name = 'DivBackward2'
    check = _integer_division_check('div_floor_cpu')

    @staticmethod
    def forward(ctx, x, y):
        return np.floor_divide(x, y)

    def backward(self, grad):
        return (_zero_grad(grad) if self.needs(0) else None,
                _zero_grad(grad) if self.needs(1) else None)


class DivTrunc(DivFloor):
    node_name = 'DivBackward2'
    check = _integer_division_check('div_trunc_cpu')

    @staticmethod
    def forward(ctx, x, y):
        return _trunc_divide(x, y)


class FloorDivide(NotImplementedBackward, BinaryOp):
    aten_name = 'floor_divide'
    check = _integer_division_check('div_floor_cpu')

    @staticmethod
    def forward(ctx, x, y):
        return np.floor_divide(x, y)


def _remainder(x, y):
    if np.asarray(x).dtype.kind in 'iub':
        return np.remainder(x, y)
    # C's fmod, moved into the divisor's sign; a zero result stays +0 (NumPy gives -0).
    mod = np.fmod(x, y)
    return np.where((mod != 0) & ((y < 0) != (mod < 0)), mod + y, mod)


class Remainder(BinaryOp):
    node_name = 'RemainderBackward1'
    save_args = (0, 1)
    check = _integer_division_check('remainder_cpu')

    @staticmethod
    def forward(ctx, x, y):
        return _remainder(x, y)

    def backward(self, grad):
        a, b = self.operands()[:2]
        grad_b = -grad * a.div(b, rounding_mode='floor') if self.needs(1) else None
        return grad if self.needs(0) else None, grad_b


class RemainderScalar(Remainder):
    node_name = 'RemainderBackward0'
    single_edge = True
    save_args = ()

    def backward(self, grad):
        return (grad,)


class RemainderScalarTensor(NotImplementedBackward, Remainder):
    single_edge = True
    aten_name = 'remainder'
    save_args = ()


class Fmod(BinaryOp):
    node_name = 'FmodBackward1'
    save_args = (0, 1)
    check = _integer_division_check('fmod_cpu')

    @staticmethod
    def forward(ctx, x, y):
        return np.fmod(x, y)

    def backward(self, grad):
        a, b = self.operands()[:2]
        grad_b = -grad * a.div(b, rounding_mode='trunc') if self.needs(1) else None
        return grad if self.needs(0) else None, grad_b


class FmodScalar(Fmod):
    node_name = 'FmodBackward0'
    single_edge = True
    save_args = ()

    def backward(self, grad):
        return (grad,)


class FloorDivideScalarTensor(NotImplementedBackward, BinaryOp):
    single_edge = True
    aten_name = 'floor_divide'
    check = _integer_division_check('div_floor_cpu')

    @staticmethod
    def forward(ctx, x, y):
        return np.floor_divide(x, y)


def _pow_check(compute, a, b):
    if compute is dt.bool and isinstance(b, Tensor):
        raise _not_implemented('pow', compute)
    if compute.category == _INT and not isinstance(b, Tensor) and b < 0:
        raise RuntimeError('Integers to negative integer powers are not allowed.')


def _power(x, y):
    """``x ** y``; integers to negative integer powers give 0 (or +-1 for bases +-1) as in
    PyTorch instead of NumPy's error."""
    if np.asarray(x).dtype.kind in 'iu' and np.asarray(y).dtype.kind == 'i':
        y = np.asarray(y)
        negative = y < 0
        if negative.any():
            x, y = np.broadcast_arrays(np.asarray(x), y)
            out = np.power(x, np.where(negative, 0, y).astype(y.dtype))
            odd = (np.abs(y) % 2).astype(bool)
            special = np.where(x == 1, 1, np.where(x == -1, np.where(odd, -1, 1), 0))
            return np.where(negative, special, out).astype(out.dtype)
    return np.power(x, y)


class Pow(BinaryOp):
    """``tensor ** number``."""
    node_name = 'PowBackward0'
    save_args = (0, 1)
    single_edge = True
    check = staticmethod(_pow_check)

    @staticmethod
    def forward(ctx, x, y):
        return _power(x, y)

    def backward(self, grad):
        a, b = self.operands()[:2]
        if b == 0:
            return (_zero_grad(grad),)
        return (grad * b * a.pow(b - 1),)


class PowTensorTensor(BinaryOp):
    node_name = 'PowBackward1'
    save_args = (0, 1)
    save_output = True
    check = staticmethod(_pow_check)

    @staticmethod
    def forward(ctx, x, y):
        return _power(x, y)

    def backward(self, grad):
        a, b = self.operands()[:2]
        grad_a = grad_b = None
        if self.needs(0):
            grad_a = _where(b == 0, 0.0, grad * b * a.pow(b - 1))
        if self.needs(1):
            grad_b = _where((a == 0) & (b >= 0), 0.0, grad * self.output * a.log())
        return grad_a, grad_b


class PowScalarTensor(BinaryOp):
    """``number ** tensor``."""
    node_name = 'PowBackward2'
    save_args = (0, 1)
    save_output = True
    single_edge = True
    check = staticmethod(_pow_check)

    @staticmethod
    def forward(ctx, x, y):
        return _power(x, y)

    def backward(self, grad):
        base, exponent = self.operands()[:2]
        if base == 0:
            return (_where(exponent >= 0, 0.0, grad * self.output * -math.inf),)
        log_base = math.log(base) if base > 0 else math.nan
        return (grad * self.output * log_base,)


def _minmax_check(name):
    def check(compute, a, b):
        if compute.category == _COMPLEX:
            raise RuntimeError(f'{name} not implemented for complex tensors.')
    return staticmethod(check)


class Maximum(BinaryOp):
    node_name = 'MaximumBackward0'
    save_args = (0, 1)
    check = _minmax_check('maximum')

    @staticmethod
    def forward(ctx, x, y):
        return np.maximum(x, y)

    def backward(self, grad):
        a, b = self.operands()[:2]
        return _minmax_backward(self, grad, a, b, a < b, a > b)


class Minimum(Maximum):
    node_name = 'MinimumBackward0'
    check = _minmax_check('minimum')

    @staticmethod
    def forward(ctx, x, y):
        return np.minimum(x, y)

    def backward(self, grad):
        a, b = self.operands()[:2]
        return _minmax_backward(self, grad, a, b, a > b, a < b)


def _minmax_backward(node, grad, a, b, a_loses, b_loses):
    # Ties split the gradient evenly between the two inputs, as in PyTorch.
    shared = _where(a == b, grad / 2, grad)
    return (shared.masked_fill(a_loses, 0) if node.needs(0) else None,
            shared.masked_fill(b_loses, 0) if node.needs(1) else None)


class Fmax(BinaryOp):
    node_name = 'FmaxBackward0'
    save_args = (0, 1)
    check = _minmax_check('fmax')

    @staticmethod
    def forward(ctx, x, y):
        return np.fmax(x, y)

    def backward(self, grad):
        a, b = self.operands()[:2]
        # Ties and a NaN ``other`` send everything to ``input``.
        a_wins = (a >= b).logical_or(b.isnan())
        return (grad.masked_fill(a_wins.logical_not(), 0) if self.needs(0) else None,
                grad.masked_fill(a_wins, 0) if self.needs(1) else None)


class Fmin(Fmax):
    node_name = 'FminBackward0'
    check = _minmax_check('fmin')

    @staticmethod
    def forward(ctx, x, y):
        return np.fmin(x, y)

    def backward(self, grad):
        a, b = self.operands()[:2]
        a_wins = (a <= b).logical_or(b.isnan())
        return (grad.masked_fill(a_wins.logical_not(), 0) if self.needs(0) else None,
                grad.masked_fill(a_wins, 0) if self.needs(1) else None)


class Atan2(BinaryOp):
    node_name = 'Atan2Backward0'
    save_args = (0, 1)

    @staticmethod
    def forward(ctx, x, y):
        return np.arctan2(x, y)

    def backward(self, grad):
        a, b = self.operands()[:2]
        scale = grad / (a * a + b * b)
        return (scale * b if self.needs(0) else None, scale * -a if self.needs(1) else None)


def _float_only(kernel):
    def check(compute, a, b):
        if compute.category < _FLOAT:
            raise _not_implemented(kernel, compute)
    return staticmethod(check)


class Hypot(BinaryOp):
    node_name = 'HypotBackward0'
    save_args = (0, 1)
    save_output = True
    check = _float_only('hypot_cpu')

    @staticmethod
    def forward(ctx, x, y):
        return np.hypot(x, y)

    def backward(self, grad):
        a, b = self.operands()[:2]
        scale = grad / self.output
        return (scale * a if self.needs(0) else None, scale * b if self.needs(1) else None)


# ---------------------------------------------------------------------------------------
# comparison and logic (not differentiable; results are bool)
# ---------------------------------------------------------------------------------------
def _ordered_check(kernel):
    def check(compute, a, b):
        if compute.category == _COMPLEX:
            raise _not_implemented(kernel, compute)
    return staticmethod(check)


def _comparison(name, ufunc, kernel=None):
    attrs = {'node_name': None, 'differentiable': False,
             'forward': staticmethod(lambda ctx, x, y: ufunc(x, y))}
    if kernel:
        attrs['check'] = _ordered_check(kernel)
    return type(name, (BinaryOp,), attrs)


Eq = _comparison('Eq', np.equal)
Ne = _comparison('Ne', np.not_equal)
Lt = _comparison('Lt', np.less, 'lt_cpu')
Le = _comparison('Le', np.less_equal, 'le_cpu')
Gt = _comparison('Gt', np.greater, 'gt_cpu')
Ge = _comparison('Ge', np.greater_equal, 'ge_cpu')
LogicalAnd = _comparison('LogicalAnd', np.logical_and)
LogicalOr = _comparison('LogicalOr', np.logical_or)
LogicalXor = _comparison('LogicalXor', np.logical_xor)


def _bitwise(name, ufunc, kernel, shift=False):
    def check(compute, a, b):
        if compute.category >= _FLOAT or (shift and compute is dt.bool):
            raise _not_implemented(kernel, compute)
    return type(name, (BinaryOp,), {'node_name': None, 'differentiable': False,
                                    'check': staticmethod(check),
                                    'forward': staticmethod(lambda ctx, x, y: ufunc(x, y))})


BitwiseAnd = _bitwise('BitwiseAnd', np.bitwise_and, 'bitwise_and_cpu')
BitwiseOr = _bitwise('BitwiseOr', np.bitwise_or, 'bitwise_or_cpu')
BitwiseXor = _bitwise('BitwiseXor', np.bitwise_xor, 'bitwise_xor_cpu')
LeftShift = _bitwise('LeftShift', np.left_shift, 'lshift_cpu', shift=True)
RightShift = _bitwise('RightShift', np.right_shift, 'rshift_cpu', shift=True)


# ---------------------------------------------------------------------------------------
# out= and in-place
# ---------------------------------------------------------------------------------------
def copy_into_out(result, out, name=None):
    """Write an op's result into ``out=`` (resizing ``out`` like PyTorch when its shape
    differs: silently when it is empty, with PyTorch's deprecation warning otherwise). An
    ``out`` whose elements share memory (expanded) is refused, as PyTorch's elementwise ops
    do."""
    if not isinstance(out, Tensor):
        raise TypeError(f'argument \'out\' must be Tensor, not {_args.type_name(out)}')
    if _grad_state.enabled and (out._requires_grad or result._requires_grad):
        if name is None:
            name = result._grad_fn.name() if result._grad_fn is not None else 'op'
            name = name.split('Backward')[0].lower()
        raise RuntimeError(f'{name}(): functions with out=... arguments don\'t support '
                           'automatic differentiation, but one of the arguments requires '
                           'grad.')
    if not dt.can_cast(result._dtype, out._dtype):
        raise RuntimeError(f'result type {_type_name(result._dtype)} can\'t be cast to the '
                           f'desired output type {_type_name(out._dtype)}')
    if result._device is not out._device:
        raise RuntimeError(f'Expected out tensor to have device {result._device}, but got '
                           f'out tensor with device {out._device}')
    if out._data.shape != result._data.shape:
        if out._data.size != 0:
            warnings.warn(f'An output with one or more elements was resized since it had '
                          f'shape {list(out._data.shape)}, which does not match the required '
                          f'output shape {list(result._data.shape)}. This behavior is '
                          'deprecated, and in a future PyTorch release outputs will not be '
                          'resized unless they have zero elements. You can explicitly reuse '
                          'an out tensor t by resizing it, inplace, to zero elements with '
                          't.resize_(0).', UserWarning, stacklevel=3)
        out._data = result._data.astype(out._dtype.numpy_dtype)
        out._storage = None
        out._stride = None
    elif _overlaps_itself(out._data):
        _refuse_overlap()
    elif type(out._data) is _ndarray:
        np.copyto(out._data, result._data, casting='unsafe')
    else:
        out._data[...] = result._data
    out._bump_version()
    return out


def _with_out(result, out):
    return result if out is None else copy_into_out(result, out)


def check_inplace(target, name='', written=None, aliasing_ok=False):
    """PyTorch's guards before writing into ``target`` (whose array ``written``, by default
    all of it, is the region written: it must not alias itself, as expanded dims do)."""
    if target._requires_grad and target._grad_fn is None and _grad_state.enabled:
        if target._no_grad_view:
            raise RuntimeError(
                'A view was created in no_grad mode and is being modified inplace with grad '
                'mode enabled. Given that this use case is ambiguous and error-prone, it is '
                "forbidden. You can clarify your code by moving both the view and the inplace "
                "either both inside the no_grad block (if you don't want the inplace to be "
                'tracked) or both outside (if you want the inplace to be tracked).')
        raise RuntimeError('a leaf Variable that requires grad is being used in an in-place '
                           'operation.')
    data = target._data if written is None else written
    if not aliasing_ok and _overlaps_itself(data):
        _refuse_overlap()


def _overlaps_itself(data):
    """Whether elements of the array share memory (a broadcast, expanded dim)."""
    return data.ndim and data.size > 1 and builtins.any(
        st == 0 and s > 1 for s, st in zip(data.shape, data.strides))


def _refuse_overlap():
    raise RuntimeError('unsupported operation: more than one element of the written-to tensor '
                       'refers to a single memory location. Please clone() the tensor before '
                       'performing the operation.')


def check_inplace_result(target, result):
    """PyTorch's errors when an op's result cannot be written back into ``target``."""
    if not dt.can_cast(result._dtype, target._dtype):
        raise RuntimeError(f'result type {_type_name(result._dtype)} can\'t be cast to the '
                           f'desired output type {_type_name(target._dtype)}')
    if result._data.shape != target._data.shape:
        raise RuntimeError(f'output with shape {list(target._data.shape)} doesn\'t match the '
                           f'broadcast shape {list(result._data.shape)}')


def apply_inplace(target, result):
    """Write an out-of-place result into ``target`` and give it the result's history."""
    check_inplace_result(target, result)
    if type(target._data) is _ndarray:
        np.copyto(target._data, result._data, casting='unsafe')
    else:
        target._data[...] = result._data
    target._bump_version()
    if result._grad_fn is not None:
        target._grad_fn = result._grad_fn
        target._requires_grad = True
        target.__dict__.pop('_output_nr', None)
        _rebase_view(target)
    return target


def _rebase_view(target):
    """An in-place write into a view changes its base: record that in the base's history."""
    base = target._base
    if base is None:
        return
    from .indexing import rebase_base_history
    rebase_base_history(base, target)


def _history_snapshot(target):
    """A tensor object standing for ``target`` before an in-place write (same history,
    copied values), so backward formulas that saved it still see the old values."""
    snap = make_tensor(target._data.copy(), target._dtype, target._device)
    snap._requires_grad = target._requires_grad
    snap._grad_fn = target._grad_fn
    if target._output_nr:
        snap._output_nr = target._output_nr
    if target._grad_fn is None and target._requires_grad:
        snap._accumulator = target._accumulator
    return snap


def inplace(fn):
    """The in-place method ``op_`` built from out-of-place ``fn`` (same broadcasting rules,
    result cast back into the tensor's dtype)."""
    def method(self, *args, **kwargs):
        check_inplace(self)
        if _grad_state.enabled and (self._requires_grad or builtins.any(
                isinstance(a, Tensor) and a._requires_grad for a in args)):
            # The recorded op must see the old values even after the write.
            result = fn(_history_snapshot(self), *args, **kwargs)
        else:
            result = fn(self, *args, **kwargs)
        return apply_inplace(self, result)
    method.__name__ = fn.__name__ + '_'
    method.__doc__ = f'In-place version of :func:`{fn.__name__}`.'
    return method


# ---------------------------------------------------------------------------------------
# public binary functions
# ---------------------------------------------------------------------------------------
def _require_tensor(x, name, arg='other', position=2):
    if not isinstance(x, Tensor):
        raise TypeError(f'{name}(): argument \'{arg}\' (position {position}) must be Tensor, '
                        f'not {type(x).__name__}')


def add(input, other, *, alpha=1, out=None):
    """``input + alpha * other`` with broadcasting and type promotion."""
    return _with_out(binary(Add, input, other, PROMOTE, None if alpha == 1 else alpha), out)


def sub(input, other, *, alpha=1, out=None):
    """``input - alpha * other``; bool operands are refused as in PyTorch."""
    return _with_out(binary(Sub, input, other, PROMOTE, None if alpha == 1 else alpha), out)


subtract = sub


def rsub(input, other, *, alpha=1):
    """``other - alpha * input`` (the reflected subtraction)."""
    _require_tensor(input, 'rsub', 'input', 1)
    cls = Rsub if isinstance(other, Tensor) else RsubScalar
    return binary(cls, other, input, PROMOTE, None if alpha == 1 else alpha)


def mul(input, other, *, out=None):
    """Elementwise product."""
    return _with_out(binary(Mul, input, other), out)


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):
    """Elementwise division. Without ``rounding_mode`` integers divide to the default float
    dtype; ``'trunc'`` rounds toward zero and ``'floor'`` down, keeping integer dtypes."""
    if rounding_mode is None:
        return _with_out(binary(Div, input, other, INT_TO_FLOAT), out)
    if rounding_mode == 'floor':
        return _with_out(binary(DivFloor, input, other), out)
    if rounding_mode == 'trunc':
        return _with_out(binary(DivTrunc, input, other), out)
    raise RuntimeError(f'div expected rounding_mode to be one of None, \'trunc\', or \'floor\' '
                       f'but found \'{rounding_mode}\'')


divide = div


def true_divide(input, other, *, out=None):
    """``div`` without rounding: integers give the default float dtype."""
    return _with_out(binary(Div, input, other, INT_TO_FLOAT), out)


def _rtruediv(self, other):
    # PyTorch computes ``number / tensor`` as ``reciprocal(tensor) * number``.
    try:
        _check_number(other)
    except _NotANumber:
        return NotImplemented
    return binary(Mul, reciprocal(self), other)


def floor_divide(input, other, *, out=None):
    """Division rounded down (``//``); integer division by zero raises."""
    cls = FloorDivide if isinstance(input, Tensor) else FloorDivideScalarTensor
    return _with_out(binary(cls, input, other), out)


def remainder(input, other, *, out=None):
    """Python's modulus: the result has the sign of the divisor."""
    if not isinstance(input, Tensor):
        cls = RemainderScalarTensor
    else:
        cls = Remainder if isinstance(other, Tensor) else RemainderScalar
    return _with_out(binary(cls, input, other), out)


def fmod(input, other, *, out=None):
    """C's remainder: the result has the sign of the dividend."""
    _require_tensor(input, 'fmod', 'input', 1)
    return _with_out(binary(Fmod if isinstance(other, Tensor) else FmodScalar, input, other),
                     out)


def pow(input, exponent, *, out=None):  # noqa: A001 - PyTorch's name
    """``input ** exponent`` elementwise (either may be a number)."""
    if isinstance(input, Tensor):
        cls = PowTensorTensor if isinstance(exponent, Tensor) else Pow
    elif isinstance(exponent, Tensor):
        cls = PowScalarTensor
    else:
        raise TypeError(f'pow() received an invalid combination of arguments - got '
                        f'({type(input).__name__}, {type(exponent).__name__})')
    return _with_out(binary(cls, input, exponent), out)


def float_power(input, exponent, *, out=None):
    """``pow`` computed in double precision (complex128 for complex operands)."""
    def widen(x):
        if isinstance(x, Tensor):
            return x.to(dt.complex128 if x._dtype.is_complex else dt.float64)
        return complex(x) if isinstance(x, complex) else float(x)
    return pow(widen(input), widen(exponent), out=out)


def maximum(input, other, *, out=None):
    """Elementwise maximum of two tensors (NaN propagates)."""
    _require_tensor(input, 'maximum', 'input', 1)
    _require_tensor(other, 'maximum')
    return _with_out(binary(Maximum, input, other), out)


def minimum(input, other, *, out=None):
    """Elementwise minimum of two tensors (NaN propagates)."""
    _require_tensor(input, 'minimum', 'input', 1)
    _require_tensor(other, 'minimum')
    return _with_out(binary(Minimum, input, other), out)


def fmax(input, other, *, out=None):
    """Elementwise maximum ignoring NaN (NaN only where both are NaN)."""
    _require_tensor(input, 'fmax', 'input', 1)
    _require_tensor(other, 'fmax')
    return _with_out(binary(Fmax, input, other), out)


def fmin(input, other, *, out=None):
    """Elementwise minimum ignoring NaN."""
    _require_tensor(input, 'fmin', 'input', 1)
    _require_tensor(other, 'fmin')
    return _with_out(binary(Fmin, input, other), out)


def atan2(input, other, *, out=None):
    """Angle of the point ``(other, input)``; integers give the default float dtype."""
    _require_tensor(input, 'atan2', 'input', 1)
    _require_tensor(other, 'atan2')
    return _with_out(binary(Atan2, input, other, INT_TO_FLOAT), out)


arctan2 = atan2


def hypot(input, other, *, out=None):
    """``sqrt(input**2 + other**2)`` without intermediate overflow; floating point only."""
    _require_tensor(input, 'hypot', 'input', 1)
    _require_tensor(other, 'hypot')
    return _with_out(binary(Hypot, input, other), out)


def eq(input, other, *, out=None):
    """Elementwise ``==`` as a bool tensor."""
    _require_tensor(input, 'eq', 'input', 1)
    return _with_out(binary(Eq, input, other, COMPARE), out)


def ne(input, other, *, out=None):
    """Elementwise ``!=``."""
    _require_tensor(input, 'ne', 'input', 1)
    return _with_out(binary(Ne, input, other, COMPARE), out)


def lt(input, other, *, out=None):
    """Elementwise ``<``."""
    _require_tensor(input, 'lt', 'input', 1)
    return _with_out(binary(Lt, input, other, COMPARE), out)


def le(input, other, *, out=None):
    """Elementwise ``<=``."""
    _require_tensor(input, 'le', 'input', 1)
    return _with_out(binary(Le, input, other, COMPARE), out)


def gt(input, other, *, out=None):
    """Elementwise ``>``."""
    _require_tensor(input, 'gt', 'input', 1)
    return _with_out(binary(Gt, input, other, COMPARE), out)


def ge(input, other, *, out=None):
    """Elementwise ``>=``."""
    _require_tensor(input, 'ge', 'input', 1)
    return _with_out(binary(Ge, input, other, COMPARE), out)


greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def logical_and(input, other, *, out=None):
    """Elementwise AND of truth values (non-zero is True); result is bool."""
    _require_tensor(input, 'logical_and', 'input', 1)
    _require_tensor(other, 'logical_and')
    return _with_out(binary(LogicalAnd, input, other, LOGICAL), out)


def logical_or(input, other, *, out=None):
    """Elementwise OR of truth values."""
    _require_tensor(input, 'logical_or', 'input', 1)
    _require_tensor(other, 'logical_or')
    return _with_out(binary(LogicalOr, input, other, LOGICAL), out)


def logical_xor(input, other, *, out=None):
    """Elementwise XOR of truth values."""
    _require_tensor(input, 'logical_xor', 'input', 1)
    _require_tensor(other, 'logical_xor')
    return _with_out(binary(LogicalXor, input, other, LOGICAL), out)


def bitwise_and(input, other, *, out=None):
    """Bitwise AND of integer or bool tensors."""
    return _with_out(binary(BitwiseAnd, input, other), out)


def bitwise_or(input, other, *, out=None):
    """Bitwise OR of integer or bool tensors."""
    return _with_out(binary(BitwiseOr, input, other), out)


def bitwise_xor(input, other, *, out=None):
    """Bitwise XOR of integer or bool tensors."""
    return _with_out(binary(BitwiseXor, input, other), out)


def bitwise_left_shift(input, other, *, out=None):
    """``input << other`` for integers (shifting past the width gives 0)."""
    return _with_out(binary(LeftShift, input, other), out)


def bitwise_right_shift(input, other, *, out=None):
    """``input >> other`` for integers (arithmetic shift for signed types)."""
    return _with_out(binary(RightShift, input, other), out)


# ---------------------------------------------------------------------------------------
# unary math
# ---------------------------------------------------------------------------------------
def _unary_op(name, node_name, fn, backward=None, int_to_float=False, save='input',
              check=None):
    attrs = {'node_name': node_name, 'public_name': name,
             'forward': staticmethod(lambda ctx, x: fn(x))}
    if backward is None:
        attrs['differentiable'] = False
    else:
        attrs['backward'] = backward
        if save == 'input':
            attrs['save_args'] = (0,)
        elif save == 'output':
            attrs['save_output'] = True
    if check is not None:
        attrs['check'] = staticmethod(check)
    cls = type(name.capitalize(), (UnaryOp,), attrs)

    def op(input, *, out=None):
        return _with_out(unary(cls, input, int_to_float), out)
    op.__name__ = name
    op.__doc__ = f'Elementwise ``{name}`` of the input' + (
        ' (integers give the default float dtype).' if int_to_float else '.')
    return cls, op


def _x(node):
    return node.saved[0]


def _refuse(kernel, dtypes=(_BOOL,)):
    """A unary check raising PyTorch's NotImplementedError for the given categories."""
    def check(dtype, a):
        if dtype.category in dtypes:
            raise _not_implemented(kernel, dtype)
    return check


def _no_bool_neg(dtype, a):
    if dtype is dt.bool:
        raise RuntimeError('Negation, the `-` operator, on a bool tensor is not supported. If '
                           'you are trying to invert a mask, use the `~` or `logical_not()` '
                           'operator instead.')


def _float_kernel(fn):
    """Run ``fn`` in float32 for half precision inputs and cast back."""
    def run(x):
        if x.dtype in _HALF:
            return fn(x.astype(np.float32)).astype(x.dtype)
        return fn(x)
    return run


def _keep_integers(fn):
    """Rounding functions leave integer tensors as they are (a copy)."""
    def run(x):
        if x.dtype.kind in 'iub':
            return x.copy()
        return fn(x)
    return run


_LN2 = 0.6931471805599453
_LN10 = 2.302585092994046

Neg, neg = _unary_op('neg', 'NegBackward0', np.negative, lambda s, g: -g, save=None,
                     check=_no_bool_neg)
negative = neg
Exp, exp = _unary_op('exp', 'ExpBackward0', np.exp, lambda s, g: g * s.output.conj(),
                     True, 'output')
Exp2, exp2 = _unary_op('exp2', 'Exp2Backward0', np.exp2,
                       lambda s, g: g * s.output * _LN2, True, 'output')
Expm1, expm1 = _unary_op('expm1', 'Expm1Backward0', np.expm1,
                         lambda s, g: g * (s.output + 1), True, 'output')
Log, log = _unary_op('log', 'LogBackward0', np.log, lambda s, g: g / _x(s), True)
Log2, log2 = _unary_op('log2', 'Log2Backward0', np.log2,
                       lambda s, g: g / (_x(s) * _LN2), True)
Log10, log10 = _unary_op('log10', 'Log10Backward0', np.log10,
                         lambda s, g: g / (_x(s) * _LN10), True)
Log1p, log1p = _unary_op('log1p', 'Log1PBackward0', np.log1p,
                         lambda s, g: g / (_x(s) + 1), True)
Sqrt, sqrt = _unary_op('sqrt', 'SqrtBackward0', np.sqrt,
                       lambda s, g: g / (2 * s.output), True, 'output')
Rsqrt, rsqrt = _unary_op('rsqrt', 'RsqrtBackward0', lambda x: 1 / np.sqrt(x),
                         lambda s, g: -0.5 * g * s.output.pow(3), True, 'output')
Sin, sin = _unary_op('sin', 'SinBackward0', np.sin, lambda s, g: g * _x(s).cos(), True)
Cos, cos = _unary_op('cos', 'CosBackward0', np.cos, lambda s, g: -g * _x(s).sin(), True)
Tan, tan = _unary_op('tan', 'TanBackward0', np.tan,
                     lambda s, g: g * (1 + s.output * s.output), True, 'output')
Asin, asin = _unary_op('asin', 'AsinBackward0', np.arcsin,
                       lambda s, g: g / (1 - _x(s) * _x(s)).sqrt(), True)
Acos, acos = _unary_op('acos', 'AcosBackward0', np.arccos,
                       lambda s, g: -g / (1 - _x(s) * _x(s)).sqrt(), True)
Atan, atan = _unary_op('atan', 'AtanBackward0', np.arctan,
                       lambda s, g: g / (1 + _x(s) * _x(s)), True)
Sinh, sinh = _unary_op('sinh', 'SinhBackward0', np.sinh, lambda s, g: g * _x(s).cosh(), True)
Cosh, cosh = _unary_op('cosh', 'CoshBackward0', np.cosh, lambda s, g: g * _x(s).sinh(), True)
Tanh, tanh = _unary_op('tanh', 'TanhBackward0', np.tanh,
                       lambda s, g: g * (1 - s.output * s.output), True, 'output')
Asinh, asinh = _unary_op('asinh', 'AsinhBackward0', np.arcsinh,
                         lambda s, g: g * (_x(s) * _x(s) + 1).rsqrt(), True)
Acosh, acosh = _unary_op('acosh', 'AcoshBackward0', np.arccosh,
                         lambda s, g: g * (_x(s) * _x(s) - 1).rsqrt(), True)
Atanh, atanh = _unary_op('atanh', 'AtanhBackward0', np.arctanh,
                         lambda s, g: g / (1 - _x(s) * _x(s)), True)
arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh


def _sigmoid(x):
    # exp(-|x|) never overflows; pick the stable form per sign.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


Sigmoid, sigmoid = _unary_op('sigmoid', 'SigmoidBackward0', _float_kernel(_sigmoid),
                             lambda s, g: g * s.output * (1 - s.output), True, 'output')


def _abs(x):
    return np.abs(x)


Abs, abs = _unary_op('abs', 'AbsBackward0', _abs, lambda s, g: g * _x(s).sgn(),  # noqa: A001
                     check=_refuse('abs_cpu'))
absolute = abs


def _sign(x):
    if x.dtype.kind == 'b':
        return x.copy()
    # sign(NaN) is 0 and the sign of -0.0 is +0 in PyTorch.
    return (np.greater(x, 0).astype(x.dtype) - np.less(x, 0).astype(x.dtype)).astype(x.dtype)


def _sign_check(dtype, a):
    if dtype.category == _COMPLEX:
        raise NotImplementedError('Unlike NumPy, torch.sign is not intended to support complex '
                           'numbers. Please use torch.sgn instead.')


def _sgn(x):
    if x.dtype.kind == 'c':
        magnitude = np.abs(x)
        return np.where(magnitude == 0, 0, x / np.where(magnitude == 0, 1, magnitude)
                        ).astype(x.dtype)
    return _sign(x)


Sign, sign = _unary_op('sign', 'SignBackward0', _sign, lambda s, g: _zero_grad(g), save=None,
                       check=_sign_check)
def _sgn_backward(node, grad):
    x = _x(node)
    if not x._dtype.is_complex:
        return _zero_grad(grad)
    # sgn(x) = x / |x| moves only along the unit circle: the part of grad tangent to it at
    # sgn(x), divided by |x| (0 where x == 0, as in PyTorch).
    direction = x.sgn()
    magnitude = x.abs()
    radial = (grad.conj() * direction + grad * direction.conj()) / 2   # Re(conj(g) sgn(x))
    return _where(magnitude == 0, 0.0, (grad - direction * radial) / magnitude)


Sgn, sgn = _unary_op('sgn', 'SgnBackward0', _sgn, _sgn_backward)
Floor, floor = _unary_op('floor', 'FloorBackward0', _keep_integers(np.floor),
                         lambda s, g: _zero_grad(g), save=None, check=_refuse('floor_vml_cpu'))
Ceil, ceil = _unary_op('ceil', 'CeilBackward0', _keep_integers(np.ceil),
                       lambda s, g: _zero_grad(g),
                       save=None, check=_refuse('ceil_vml_cpu'))
Trunc, trunc = _unary_op('trunc', 'TruncBackward0', _keep_integers(np.trunc),
                         lambda s, g: _zero_grad(g), save=None, check=_refuse('trunc_vml_cpu'))
fix = trunc
Frac, frac = _unary_op('frac', 'FracBackward0', lambda x: x - np.trunc(x), lambda s, g: g,
                       save=None, check=_refuse('frac_cpu', (_BOOL, _INT)))
Reciprocal, reciprocal = _unary_op('reciprocal', 'ReciprocalBackward0', lambda x: 1 / x,
                                   lambda s, g: -g * (s.output * s.output).conj(), True,
                                   'output')
Square, _square = _unary_op('square', 'PowBackward0', np.square, lambda s, g: 2 * g * _x(s))


def _relu_check(dtype, a):
    if dtype is dt.bool:
        raise RuntimeError('Boolean inputs not supported for relu')


def _relu_backward(node, grad):
    # PyTorch's threshold_backward (grad where the output is above 0, else 0.; NaN passes);
    # its fast mask kernel lives with nn's threshold, loaded by the first backward.
    from ..nn._functional.activation import threshold_backward
    return threshold_backward(grad, node.output, 0)


# NumPy's maximum runs its vector loop only when both operands are contiguous arrays (with a
# scalar operand it is 2-3x slower), so ReLU takes its zeros from a cached read-only buffer.
# PyTorch keeps -0.0 (it is not below 0). Which operand maximum returns when the two compare
# equal differs between NumPy's vector and scalar loops, so the order that keeps -0.0 is
# found once per dtype; where none does, an exact select is used.
_zero_buffers = {}
_ZERO_BUFFER_LIMIT = 1 << 23   # elements; larger arrays get fresh (lazily mapped) zeros
_relu_orders = {}


def _zeros_shaped_like(x):
    n = x.size
    if n > _ZERO_BUFFER_LIMIT:
        return np.zeros(x.shape, x.dtype)
    buffer = _zero_buffers.get(x.dtype)
    if buffer is None or buffer.size < n:
        buffer = np.zeros(n, x.dtype)
        buffer.flags.writeable = False
        _zero_buffers[x.dtype] = buffer
    return buffer[:n].reshape(x.shape)


def _relu_order(dtype):
    """True: ``maximum(zeros, x)`` keeps -0.0; False: ``maximum(x, zeros)`` does; None:
    neither does for every size."""
    if dtype in _relu_orders:
        return _relu_orders[dtype]
    probes = [np.full(n, -0.0, dtype) for n in (1, 3, 8, 17, 100, 1027)]
    order = None
    for zeros_first in (True, False):
        if builtins.all(np.signbit(np.maximum(np.zeros_like(p), p) if zeros_first else
                                   np.maximum(p, np.zeros_like(p))).all() for p in probes):
            order = zeros_first
            break
    _relu_orders[dtype] = order
    return order


def _relu_array(x):
    if x.dtype.kind != 'f':
        return np.maximum(x, 0)
    order = _relu_order(x.dtype)
    if order is not None and not x.flags.c_contiguous:
        # The probe holds for contiguous loops: run on the memory order of a dense layout
        # (channels_last, transposed) and permute back, which keeps the layout too.
        perm = sorted(range(x.ndim), key=lambda d: -x.strides[d])
        dense = x.transpose(perm)
        if dense.flags.c_contiguous:
            return _relu_array(dense).transpose(np.argsort(perm))
        order = None
    if order is None:
        return np.where(x < 0, x.dtype.type(0), x)
    zeros = _zeros_shaped_like(x)
    return np.maximum(zeros, x) if order else np.maximum(x, zeros)


Relu, relu = _unary_op('relu', 'ReluBackward0', _relu_array, _relu_backward,
                       save='output', check=_relu_check)


def _nonfloat(fn, value):
    """Predicates that are constant for integers (NumPy refuses some of them on ints)."""
    def run(x):
        if x.dtype.kind in 'iub':
            return np.full(x.shape, value, dtype=np.bool_)
        return fn(x)
    return run


Isnan, isnan = _unary_op('isnan', None, _nonfloat(np.isnan, False))
Isinf, isinf = _unary_op('isinf', None, _nonfloat(np.isinf, False))
Isposinf, isposinf = _unary_op('isposinf', None, _nonfloat(np.isposinf, False))
Isneginf, isneginf = _unary_op('isneginf', None, _nonfloat(np.isneginf, False))
Isfinite, isfinite = _unary_op('isfinite', None, _nonfloat(np.isfinite, True))
Isreal, isreal = _unary_op('isreal', None, lambda x: np.isreal(x) if x.dtype.kind == 'c'
                           else np.ones(x.shape, dtype=np.bool_))


def _signbit(x):
    if x.dtype.kind == 'f':
        return np.signbit(x)
    if x.dtype.kind == 'i':
        return np.less(x, 0)
    return np.zeros(x.shape, dtype=np.bool_)


Signbit, signbit = _unary_op('signbit', None, _signbit)
LogicalNot, logical_not = _unary_op('logical_not', None, np.logical_not)


def _invert_check(dtype, a):
    if dtype.category >= _FLOAT:
        raise _not_implemented('bitwise_not_cpu', dtype)


BitwiseNot, bitwise_not = _unary_op('bitwise_not', None,
                                    lambda x: np.logical_not(x) if x.dtype == np.bool_
                                    else np.invert(x), check=_invert_check)


def _invert(self):
    if self._dtype.category >= _FLOAT:
        raise TypeError('~ (operator.invert) is only implemented on integer and Boolean-type '
                        'tensors')
    return unary(BitwiseNot, self)


def square(input, *, out=None):
    """``input * input``; integers stay integers (bool becomes int64)."""
    if isinstance(input, Tensor) and input._dtype is dt.bool:
        input = input.long()
    return _square(input, out=out)


def positive(input):
    """The input itself; refused for bool tensors as in PyTorch."""
    if input._dtype is dt.bool:
        raise RuntimeError('The `+` operator, on a bool tensor is not supported.')
    return input


class Round(UnaryOp):
    node_name = 'RoundBackward0'
    public_name = 'round'
    check = staticmethod(_refuse('round_vml_cpu'))

    @staticmethod
    def forward(ctx, x):
        return _keep_integers(np.round)(x)

    def backward(self, grad):
        return (_zero_grad(grad),)


class RoundDecimals(UnaryOp):
    node_name = 'RoundBackward1'
    public_name = 'round'
    check = staticmethod(lambda dtype, a, decimals: _refuse('round_cpu', (_BOOL, _INT))(
        dtype, a))

    @staticmethod
    def forward(ctx, x, decimals):
        # Scale, round half to even, unscale, in the kernel's working precision.
        work = _opmath(x)
        if decimals >= 0:
            scale = work.dtype.type(10.0 ** decimals)
            out = np.round(work * scale) / scale
        else:
            scale = work.dtype.type(10.0 ** -decimals)
            out = np.round(work / scale) * scale
        return out.astype(x.dtype, copy=False)

    def backward(self, grad):
        return (_zero_grad(grad),)


def round(input, *, decimals=None, out=None):  # noqa: A001
    """Round half to even, optionally to ``decimals`` places (negative: tens, hundreds...)."""
    if decimals is None:
        return _with_out(unary(Round, input), out)
    return _with_out(unary_with(RoundDecimals, input, (int(decimals),)), out)


# ---------------------------------------------------------------------------------------
# logit, nan_to_num
# ---------------------------------------------------------------------------------------
class Logit(UnaryOp):
    node_name = 'LogitBackward0'
    public_name = 'logit'
    save_args = (0,)

    @staticmethod
    def forward(ctx, x, eps):
        # Half precision rounds after every step here, as PyTorch's kernel does.
        if eps is not None:
            x = np.clip(x, x.dtype.type(eps), x.dtype.type(1 - eps))
        return np.log(x / (x.dtype.type(1) - x))

    def backward(self, grad):
        x = self.saved[0]
        eps = self.args[1]
        scaled = grad / (x * (1 - x))
        if eps is None:
            outside = (x < 0) | (x > 1)
            return (scaled.masked_fill(outside, math.nan),)
        outside = (x < eps) | (x > 1 - eps)
        return (scaled.masked_fill(outside, 0),)


def logit(input, eps=None, *, out=None):
    """``log(p / (1 - p))``; with ``eps`` the input is first clamped to ``[eps, 1 - eps]``."""
    return _with_out(unary_with(Logit, input, (eps,), int_to_float=True), out)


class NanToNum(UnaryOp):
    node_name = 'NanToNumBackward0'
    public_name = 'nan_to_num'
    save_args = (0,)

    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        if x.dtype.kind in 'iub':
            return x.copy()
        info = np.finfo(x.dtype) if x.dtype.kind == 'f' else np.finfo(np.float32)
        big = float(info.max)
        return np.nan_to_num(x, nan=nan, posinf=big if posinf is None else posinf,
                             neginf=-big if neginf is None else neginf)

    def backward(self, grad):
        return (grad * self.saved[0].isfinite(),)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    """Replace NaN by ``nan`` and infinities by ``posinf``/``neginf`` (default: the dtype's
    largest and smallest finite values)."""
    return _with_out(unary_with(NanToNum, input, (nan, posinf, neginf)), out)


# ---------------------------------------------------------------------------------------
# erf, erfc, erfinv: computed in float64 with NumPy only
# ---------------------------------------------------------------------------------------
# erf(x) = 2/sqrt(pi) exp(-x^2) sum_n (2x^2)^n x / (1*3*...*(2n+1)) has only positive terms,
# so it is accurate near the origin; for larger x the continued fraction of erfc,
# exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), converges quickly. erfinv
# starts from Winitzki's closed-form approximation and refines with Halley steps, measuring
# the residual against erfc where the argument is close to +-1.
_TWO_OVER_SQRT_PI = 1.1283791670955126
_SQRT_PI = 1.7724538509055159


def _exp_neg_square(a):
    """exp(-a*a) without the rounding error of a*a (which large a would amplify)."""
    hi = np.round(a * 4096.0) / 4096.0     # few bits, so hi*hi is exact
    lo = a - hi
    return np.exp(-hi * hi) * np.exp(-lo * (2 * hi + lo))


def _erf_series(a):
    a2x2 = 2 * a * a
    term = a.copy()
    total = a.copy()
    for n in range(1, 200):
        term *= a2x2
        term /= 2 * n + 1
        total += term
        if n % 4 == 0 and not (term > total * 1e-17).any():
            break
    return _TWO_OVER_SQRT_PI * _exp_neg_square(a) * total


def _erfc_fraction(a, terms):
    f = a.copy()
    for k in range(terms, 0, -1):
        f = a + (k / 2) / f
    return _exp_neg_square(a) / (_SQRT_PI * f)


def _erf_positive(a):
    """erf of finite non-negative values."""
    out = np.empty_like(a)
    small = a < 2.0
    if small.any():
        out[small] = _erf_series(a[small])
    if not small.all():
        big = ~small
        out[big] = 1.0 - _erfc_fraction(a[big], 100)
    return out


def _erfc_positive(a):
    """erfc of finite non-negative values."""
    out = np.empty_like(a)
    small = a < 1.0
    if small.any():
        out[small] = 1.0 - _erf_series(a[small])
    if not small.all():
        big = ~small
        out[big] = _erfc_fraction(a[big], 200)
    return out


def _magnitude(x):
    """|x| as float64, NaN read as 0 and clipped where erf/erfc are constant."""
    a = np.abs(np.asarray(x, dtype=np.float64))
    return np.minimum(np.where(np.isnan(a), 0.0, a), 40.0)


def erf_array(x):
    """erf of a NumPy array (float64 accuracy)."""
    x = np.asarray(x)
    out = np.copysign(_erf_positive(_magnitude(x)), x)
    return np.where(np.isnan(x), np.nan, out)


def erfc_array(x):
    """erfc of a NumPy array (float64 accuracy, also far in the tail)."""
    x = np.asarray(x)
    out = _erfc_positive(_magnitude(x))
    out = np.where(x < 0, 2.0 - out, out)
    return np.where(np.isnan(x), np.nan, out)


def erfinv_array(y):
    """The inverse of erf on ``[-1, 1]`` (+-inf at +-1, NaN outside)."""
    y = np.asarray(y, dtype=np.float64)
    a = np.abs(y)
    inside = a < 1
    a = np.where(inside, a, 0.5)
    complement = 1.0 - a                     # exact where a >= 0.5
    log_term = np.log(complement * (1.0 + a))
    t = 2.0 / (np.pi * 0.147) + 0.5 * log_term
    x = np.sqrt(np.sqrt(t * t - log_term / 0.147) - t)
    near_one = a > 0.5
    for _ in range(4):
        if near_one.any():
            f = np.where(near_one, complement - _erfc_positive(x), 0.0)
            f = np.where(near_one, f, _erf_positive(x) - a)
        else:
            f = _erf_positive(x) - a
        step = f / (_TWO_OVER_SQRT_PI * _exp_neg_square(x))
        x = x - step / (1.0 + x * step)
    out = np.where(inside, x, np.where(np.abs(y) == 1, np.inf, np.nan))
    return np.copysign(out, y)


def _in_float64(fn):
    def run(x):
        return fn(x.astype(np.float64)).astype(x.dtype)
    return run


Erf, erf = _unary_op('erf', 'ErfBackward0', _in_float64(erf_array),
                     lambda s, g: g * _TWO_OVER_SQRT_PI * (-_x(s) * _x(s)).exp(), True)
Erfc, erfc = _unary_op('erfc', 'ErfcBackward0', _in_float64(erfc_array),
                       lambda s, g: g * -_TWO_OVER_SQRT_PI * (-_x(s) * _x(s)).exp(), True)
Erfinv, erfinv = _unary_op('erfinv', 'ErfinvBackward0', _in_float64(erfinv_array),
                           lambda s, g: g * (_SQRT_PI / 2) * (s.output * s.output).exp(),
                           True, 'output')


# ---------------------------------------------------------------------------------------
# clamp
# ---------------------------------------------------------------------------------------
def _c_type_name(dtype):
    return {'uint8': 'uint8_t', 'int8': 'int8_t', 'int16': 'int16_t', 'int32': 'int',
            'int64': 'int64_t', 'bool': 'bool', 'float16': 'c10::Half',
            'bfloat16': 'c10::BFloat16', 'float32': 'float', 'float64': 'double'
            }.get(dtype.name, dtype.name)


def _bound(value, compute):
    """A clamp bound as a NumPy scalar of the compute dtype; PyTorch refuses overflow."""
    if isinstance(value, Tensor):
        value = value.item()
    if compute.category == _INT and isinstance(value, int):
        info = np.iinfo(compute.numpy_dtype)
        # Unsigned types accept negative numbers that wrap (down to -max), as in PyTorch.
        low = -info.max if info.min == 0 else info.min
        if not low <= value <= info.max:
            raise RuntimeError(f'value cannot be converted to type '
                               f'{_c_type_name(compute)} without overflow')
    return _scalar_array(value, compute.numpy_dtype)


def _clamp_forward(x, lo, hi):
    if lo is not None:
        x = np.maximum(x, lo)
    if hi is not None:
        x = np.minimum(x, hi)
    return x


class ClampScalar(ElementwiseOp):
    """clamp with number bounds: one edge, to the input."""
    node_name = 'ClampBackward1'

    def backward(self, grad):
        x = self.saved[0]
        low, high = self.args[1], self.args[2]
        mask = None
        if low is not None:
            mask = x >= low
        if high is not None:
            upper = x <= high
            mask = upper if mask is None else mask & upper
        return (_where(mask, grad, 0.0),)


class ClampMinScalar(ClampScalar):
    node_name = 'ClampMinBackward0'


class ClampMaxScalar(ClampScalar):
    node_name = 'ClampMaxBackward0'


class ClampTensor(ElementwiseOp):
    """clamp with tensor bounds: edges to the input and both bounds."""
    node_name = 'ClampBackward0'

    def backward(self, grad):
        x, low, high = self.saved
        grads = [None, None, None]
        if low is not None and high is not None:
            if self.needs(0):
                grads[0] = _where((x >= low) & (x <= high), grad, 0.0)
            if self.needs(1):
                grads[1] = _where((x < low) & (low < high), grad, 0.0)
            if self.needs(2):
                grads[2] = _where((x > high) | (high < low), grad, 0.0)
        elif low is not None:
            if self.needs(0):
                grads[0] = _where(x >= low, grad, 0.0)
            if self.needs(1):
                grads[1] = _where(x < low, grad, 0.0)
        else:
            if self.needs(0):
                grads[0] = _where(x <= high, grad, 0.0)
            if self.needs(2):
                grads[2] = _where(x > high, grad, 0.0)
        return tuple(grads)


class ClampMinTensor(ElementwiseOp):
    node_name = 'ClampMinBackward1'

    def backward(self, grad):
        x, low = self.saved
        return (_where(x >= low, grad, 0.0) if self.needs(0) else None,
                _where(x < low, grad, 0.0) if self.needs(1) else None)


class ClampMaxTensor(ElementwiseOp):
    node_name = 'ClampMaxBackward1'

    def backward(self, grad):
        x, high = self.saved
        return (_where(x <= high, grad, 0.0) if self.needs(0) else None,
                _where(x > high, grad, 0.0) if self.needs(1) else None)


def _clamp_scalar(cls, input, min, max):  # noqa: A002
    _require_tensor(input, 'clamp', 'input', 1)
    for b in (min, max):
        if b is not None:
            _check_number(b, 'clamp')
    compute = _promote_all(input, min, max)
    if compute.category == _COMPLEX:
        raise _not_implemented('clamp_cpu', compute)
    x = input._data if compute is input._dtype else input._data.astype(compute.numpy_dtype)
    lo = None if min is None else _bound(min, compute)
    hi = None if max is None else _bound(max, compute)
    result = _compute_array(_layout_of(_clamp_forward(x, lo, hi), input), compute,
                            input._device)
    if input._requires_grad and _grad_state.enabled:
        node = cls.__new__(cls)
        node._connect((input,))
        node.args = (None, min, max)
        node.save(input)
        attach(node, result)
    return result


def _clamp_tensor(cls, input, min, max):  # noqa: A002
    _require_tensor(input, 'clamp', 'input', 1)
    compute = _promote_all(input, min, max)
    if compute.category == _COMPLEX:
        raise _not_implemented('clamp_cpu', compute)
    device = _device_of(input, min, max)
    lo = None if min is None else _cast(min, compute)
    hi = None if max is None else _cast(max, compute)
    try:
        data = _clamp_forward(_cast(input, compute), lo, hi)
    except ValueError:
        _broadcast_error(*[t for t in (input, min, max) if t is not None])
        raise
    result = _compute_array(_layout_of(data, input, min, max), compute, device)
    if cls is ClampTensor:
        inputs, args = (input, min, max), (None, None, None)
    else:
        inputs, args = (input, min if min is not None else max), (None, None)
    return _record(cls, result, inputs, args)


def clamp(input, min=None, max=None, *, out=None):  # noqa: A002
    """Limit values to ``[min, max]``; bounds are numbers or tensors (broadcast), either may
    be None. Where ``min > max`` the result is ``max``; NaN stays NaN."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    tensors = isinstance(min, Tensor), isinstance(max, Tensor)
    if builtins.any(tensors):
        if (min is not None and not tensors[0]) or (max is not None and not tensors[1]):
            raise TypeError('clamp() received an invalid combination of arguments - got '
                            f'(min={type(min).__name__}, max={type(max).__name__}), but '
                            'expected both bounds to be Tensors or both numbers')
        return _with_out(_clamp_tensor(ClampTensor, input, min, max), out)
    return _with_out(_clamp_scalar(ClampScalar, input, min, max), out)


clip = clamp


def clamp_min(input, min, *, out=None):  # noqa: A002
    """``max(input, min)`` elementwise (``min`` a number or a tensor)."""
    if isinstance(min, Tensor):
        return _with_out(_clamp_tensor(ClampMinTensor, input, min, None), out)
    return _with_out(_clamp_scalar(ClampMinScalar, input, min, None), out)


def clamp_max(input, max, *, out=None):  # noqa: A002
    """``min(input, max)`` elementwise (``max`` a number or a tensor)."""
    if isinstance(max, Tensor):
        return _with_out(_clamp_tensor(ClampMaxTensor, input, None, max), out)
    return _with_out(_clamp_scalar(ClampMaxScalar, input, None, max), out)


# ---------------------------------------------------------------------------------------
# lerp, addcmul, addcdiv
# ---------------------------------------------------------------------------------------
class Lerp(ElementwiseOp):
    """``lerp`` with a number weight: edges to ``input`` and ``end``."""
    node_name = 'LerpBackward0'

    def backward(self, grad):
        w = self.args[2]
        return (grad * (1 - w) if self.needs(0) else None,
                grad * w if self.needs(1) else None)


class LerpTensor(ElementwiseOp):
    node_name = 'LerpBackward1'

    def backward(self, grad):
        start, end, w = self.saved
        return (grad * (1 - w) if self.needs(0) else None,
                grad * w if self.needs(1) else None,
                grad * (end - start) if self.needs(2) else None)


def _lerp_kernel(x, y, w):
    # Two formulas so that weight 0 gives ``start`` and weight 1 gives ``end`` exactly.
    diff = y - x
    return np.where(np.abs(w) < 0.5, x + w * diff, y - diff * (1 - w))


def lerp(input, end, weight, *, out=None):
    """``input + weight * (end - input)``; ``input`` and ``end`` share a floating dtype,
    ``weight`` is a number or a tensor of that dtype (a 0-d one may differ)."""
    _require_tensor(input, 'lerp', 'input', 1)
    _require_tensor(end, 'lerp', 'end', 2)
    dtype = input._dtype
    if end._dtype is not dtype:
        raise RuntimeError(f'expected dtype {_long_name(dtype)} for `end` but got dtype '
                           f'{_long_name(end._dtype)}')
    weight_is_tensor = isinstance(weight, Tensor)
    if weight_is_tensor and weight._data.ndim and weight._dtype is not dtype:
        raise RuntimeError(f'expected dtype {_long_name(dtype)} for `weight` but got dtype '
                           f'{_long_name(weight._dtype)}')
    if dtype.category < _FLOAT:
        raise _not_implemented('lerp_kernel_tensor' if weight_is_tensor
                               else 'lerp_kernel_scalar', dtype)
    x, y = _opmath(input._data), _opmath(end._data)
    w = _opmath(weight._data.astype(dtype.numpy_dtype)) if weight_is_tensor else \
        x.dtype.type(_check_number(weight, 'lerp'))
    try:
        data = _lerp_kernel(x, y, w)
    except ValueError:
        _broadcast_error(input, end, weight)
        raise
    result = _compute_array(_layout_of(data, input, end, weight), dtype,
                            _device_of(input, end, weight))
    if weight_is_tensor:
        return _with_out(_record(LerpTensor, result, (input, end, weight),
                                 (None, None, None)), out)
    return _with_out(_record(Lerp, result, (input, end), (None, None, weight), save=False),
                     out)


def _long_name(dtype):
    return {'float32': 'float', 'float64': 'double', 'float16': 'c10::Half',
            'bfloat16': 'c10::BFloat16', 'int64': 'long int', 'int32': 'int',
            'int16': 'short int', 'int8': 'signed char', 'uint8': 'unsigned char',
            'bool': 'bool', 'complex64': 'c10::complex<float>',
            'complex128': 'c10::complex<double>'}[dtype.name]


class Addcmul(ElementwiseOp):
    node_name = 'AddcmulBackward0'

    def backward(self, grad):
        _, t1, t2 = self.saved
        value = self.args[3]
        return (grad if self.needs(0) else None,
                grad * value * t2 if self.needs(1) else None,
                grad * value * t1 if self.needs(2) else None)


class Addcdiv(ElementwiseOp):
    node_name = 'AddcdivBackward0'

    def backward(self, grad):
        _, t1, t2 = self.saved
        value = self.args[3]
        return (grad if self.needs(0) else None,
                grad * value / t2 if self.needs(1) else None,
                -grad * value * t1 / (t2 * t2) if self.needs(2) else None)


def _pointwise3(cls, name, input, tensor1, tensor2, value, out):
    _require_tensor(input, name, 'input', 1)
    _require_tensor(tensor1, name, 'tensor1', 2)
    _require_tensor(tensor2, name, 'tensor2', 3)
    if isinstance(value, Tensor):
        value = value.item()
    compute = _promote_all(input, tensor1, tensor2)
    if cls is Addcdiv and tensor1._dtype.category < _FLOAT and \
            tensor2._dtype.category < _FLOAT:
        raise RuntimeError('Integer division with addcdiv is no longer supported, and in a '
                           'future  release addcdiv will perform a true division of tensor1 '
                           'and tensor2. The historic addcdiv behavior can be implemented as '
                           '(input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) '
                           'for integer inputs and as (input + value * tensor1 / tensor2) for '
                           'float inputs. The future addcdiv behavior is just the latter '
                           'implementation: (input + value * tensor1 / tensor2), for all '
                           'dtypes.')
    if compute is dt.bool:
        raise _not_implemented(f'{name}_cpu_out', compute)
    x, y, z = (_opmath(_cast(t, compute)) for t in (input, tensor1, tensor2))
    if compute.category == _INT:
        v = x.dtype.type(int(value))
    else:
        v = x.dtype.type(value)
    try:
        data = x + v * y * z if cls is Addcmul else x + v * y / z
    except ValueError:
        _broadcast_error(input, tensor1, tensor2)
        raise
    result = _compute_array(_layout_of(data, input, tensor1, tensor2), compute,
                            _device_of(input, tensor1, tensor2))
    return _with_out(_record(cls, result, (input, tensor1, tensor2),
                             (None, None, None, value)), out)


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    """``input + value * tensor1 * tensor2`` with broadcasting over all three."""
    return _pointwise3(Addcmul, 'addcmul', input, tensor1, tensor2, value, out)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    """``input + value * tensor1 / tensor2`` (integer ``tensor1``/``tensor2`` refused)."""
    return _pointwise3(Addcdiv, 'addcdiv', input, tensor1, tensor2, value, out)


# ---------------------------------------------------------------------------------------
# equal, isclose, allclose
# ---------------------------------------------------------------------------------------
def equal(input, other):
    """True when both tensors have the same shape and the same values (NaN != NaN)."""
    _require_tensor(input, 'equal', 'input', 1)
    _require_tensor(other, 'equal')
    if input._data.shape != other._data.shape:
        return False
    compute = dt.promote_types(input._dtype, other._dtype)
    return bool(np.array_equal(_cast(input, compute), _cast(other, compute)))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """``|input - other| <= atol + rtol * |other|`` elementwise (equal values, infinities
    included, are always close; NaNs only with ``equal_nan``)."""
    _require_tensor(input, 'isclose', 'input', 1)
    _require_tensor(other, 'isclose')
    if input._dtype is not other._dtype:
        raise RuntimeError(f'{_type_name(input._dtype)} did not match '
                           f'{_type_name(other._dtype)}')
    if rtol < 0:
        raise RuntimeError(f'rtol must be greater than or equal to zero, but got {rtol}')
    if atol < 0:
        raise RuntimeError(f'atol must be greater than or equal to zero, but got {atol}')
    a, b = input._data, other._data
    try:
        close = np.equal(a, b)
    except ValueError:
        _broadcast_error(input, other)
        raise
    floating = input._dtype.category >= _FLOAT
    if equal_nan and floating:
        close = close | (np.isnan(a) & np.isnan(b))
    if rtol != 0 or atol != 0:
        if input._dtype is dt.bool:
            a = a.astype(dt.get_default_dtype().numpy_dtype)
            b = b.astype(dt.get_default_dtype().numpy_dtype)
        if floating or input._dtype is dt.bool:
            allowed = atol + np.abs(rtol * b)
            actual = np.abs(a - b)
        else:
            # Integers: the tolerance is computed in the default float dtype.
            work = dt.get_default_dtype().numpy_dtype
            allowed = (work.type(atol) + np.abs(work.type(rtol) * b.astype(work)))
            actual = np.abs(a - b).astype(work)
        close = close | (np.isfinite(actual) & (actual <= allowed))
    return make_tensor(_as_array(close), dt.bool, _device_of(input, other))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when ``isclose`` holds for every element (a Python bool)."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


# ---------------------------------------------------------------------------------------
# conj
# ---------------------------------------------------------------------------------------
class Conj(UnaryOp):
    node_name = 'ConjBackward0'
    public_name = 'conj'

    @staticmethod
    def forward(ctx, x):
        return np.conj(x)

    def backward(self, grad):
        return (grad.conj(),)


def conj(input):
    """Complex conjugate (the tensor itself for real dtypes)."""
    if not input._dtype.is_complex:
        return input
    return unary(Conj, input)


# ---------------------------------------------------------------------------------------
# methods and operators
# ---------------------------------------------------------------------------------------
def _operator(cls, rule=PROMOTE, swap=False):
    """A Python operator: NotImplemented (so Python tries the other operand) for operands
    that are neither tensors nor numbers."""
    if swap:
        def method(self, other):
            try:
                return binary(cls, other, self, rule)
            except _NotANumber:
                if isinstance(other, np.ndarray):
                    return binary(cls, _from_numpy(other, self), self, rule)
                return NotImplemented
    else:
        def method(self, other):
            try:
                return binary(cls, self, other, rule)
            except _NotANumber:
                if isinstance(other, np.ndarray):
                    return binary(cls, self, _from_numpy(other, self), rule)
                return NotImplemented
    return method


def _from_numpy(array, like):
    """Operators take NumPy arrays as tensors, as PyTorch does (``t + np.ones(2)``)."""
    from .creation import as_tensor
    return as_tensor(array, device=like._device)


def _operator_fn(fn, swap=False):
    def method(self, other):
        if not isinstance(other, Tensor):
            try:
                _check_number(other)
            except _NotANumber:
                if not isinstance(other, np.ndarray):
                    return NotImplemented
                other = _from_numpy(other, self)
        return fn(other, self) if swap else fn(self, other)
    return method


_FUNCTIONS = ['add', 'sub', 'subtract', 'mul', 'multiply', 'div', 'divide', 'true_divide',
              'floor_divide', 'remainder', 'fmod', 'pow', 'float_power', 'maximum', 'minimum',
              'fmax', 'fmin', 'hypot', 'atan2', 'arctan2', 'eq', 'ne', 'lt', 'le', 'gt', 'ge',
              'greater', 'greater_equal', 'less', 'less_equal', 'not_equal', 'logical_and',
              'logical_or', 'logical_xor', 'logical_not', 'bitwise_and', 'bitwise_or',
              'bitwise_xor', 'bitwise_not', 'bitwise_left_shift', 'bitwise_right_shift',
              'neg', 'negative', 'exp', 'exp2', 'expm1', 'log', 'log2', 'log10', 'log1p',
              'sqrt', 'rsqrt', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh',
              'tanh', 'asinh', 'acosh', 'atanh', 'arcsin', 'arccos', 'arctan', 'arcsinh',
              'arccosh', 'arctanh', 'sigmoid', 'logit', 'erf', 'erfc', 'erfinv', 'abs',
              'absolute', 'sign', 'sgn', 'floor', 'ceil', 'trunc', 'fix', 'frac',
              'reciprocal', 'square', 'relu', 'isnan', 'isinf', 'isposinf', 'isneginf',
              'isfinite', 'isreal', 'signbit', 'round', 'nan_to_num', 'clamp', 'clip',
              'clamp_min', 'clamp_max', 'positive', 'lerp', 'addcmul', 'addcdiv', 'equal',
              'allclose', 'isclose']
_INPLACE = ['add', 'sub', 'subtract', 'mul', 'multiply', 'div', 'divide', 'true_divide',
            'floor_divide', 'remainder', 'fmod', 'pow', 'float_power', 'hypot', 'atan2',
            'arctan2', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'greater', 'greater_equal', 'less',
            'less_equal', 'not_equal', 'logical_and', 'logical_or', 'logical_xor',
            'logical_not', 'bitwise_and', 'bitwise_or', 'bitwise_xor', 'bitwise_not',
            'bitwise_left_shift', 'bitwise_right_shift', 'neg', 'negative', 'exp', 'exp2',
            'expm1', 'log', 'log2', 'log10', 'log1p', 'sqrt', 'rsqrt', 'sin', 'cos', 'tan',
            'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh',
            'arcsin', 'arccos', 'arctan', 'arcsinh', 'arccosh', 'arctanh', 'sigmoid', 'logit',
            'erf', 'erfc', 'erfinv', 'abs', 'absolute', 'sign', 'sgn', 'floor', 'ceil',
            'trunc', 'fix', 'frac', 'reciprocal', 'square', 'relu', 'round', 'nan_to_num',
            'clamp', 'clip', 'clamp_min', 'clamp_max', 'lerp', 'addcmul', 'addcdiv']

for _name in _FUNCTIONS:
    setattr(Tensor, _name, globals()[_name])


def _float_power_(self, exponent):
    wide = dt.complex128 if self._dtype.is_complex or (
        isinstance(exponent, Tensor) and exponent._dtype.is_complex) or \
        isinstance(exponent, complex) else dt.float64
    if self._dtype is not wide:
        raise RuntimeError(f'the base given to float_power_ has dtype {_type_name(self._dtype)} '
                           f'but the operation\'s result requires dtype {_type_name(wide)}')
    return _float_power_inplace(self, exponent)


_float_power_inplace = inplace(float_power)
for _name in _INPLACE:
    setattr(Tensor, _name + '_', inplace(globals()[_name]))


def _fast_inplace(cls, ufunc, slow, float_only=False):
    """``add_``/``sub_``/``mul_``/``div_`` (the optimizer's hot loop): when nothing is
    recorded and the operand needs no promotion, NumPy writes straight into the tensor's
    memory; anything else (errors included) takes the general path."""
    def method(self, other, *args, **kwargs):
        if args or type(self._data) is not _ndarray or (_grad_state.enabled and (
                self._requires_grad or (isinstance(other, Tensor) and other._requires_grad))):
            return slow(self, other, *args, **kwargs)
        dtype = self._dtype
        if kwargs:
            # ``p.add_(grad, alpha=-lr)``: scale a same-dtype floating tensor first.
            alpha = kwargs.get('alpha')
            if len(kwargs) != 1 or alpha is None or type(alpha) not in (int, float) or \
                    not isinstance(other, Tensor) or other._dtype is not dtype or \
                    dtype.category < _FLOAT or ufunc not in (np.add, np.subtract) or \
                    other._device is not self._device:
                return slow(self, other, **kwargs)
            y = np.multiply(other._data, alpha)
        elif isinstance(other, Tensor):
            if other._dtype is not dtype or other._device is not self._device:
                return slow(self, other)
            y = other._data
        else:
            kind = type(other)
            category = dtype.category
            if not ((kind is float and category >= _FLOAT) or (kind is int and (
                    category >= _FLOAT or (dtype in _WIDE_INTS and -2**31 <= other < 2**31)))):
                return slow(self, other)
            y = other
        data = self._data
        if (float_only and dtype.category < _FLOAT) or not data.flags.c_contiguous or \
                not data.flags.writeable:
            return slow(self, other, **kwargs)
        if cls.check is not None:
            cls.check(dtype, self, other)
        try:
            ufunc(data, y, out=data)
        except ValueError:
            return slow(self, other, **kwargs)
        self._bump_version()
        return self
    method.__name__ = slow.__name__
    method.__doc__ = slow.__doc__
    return method


Tensor.add_ = _fast_inplace(Add, np.add, Tensor.add_)
Tensor.sub_ = _fast_inplace(Sub, np.subtract, Tensor.sub_)
Tensor.mul_ = _fast_inplace(Mul, np.multiply, Tensor.mul_)
Tensor.div_ = _fast_inplace(Div, np.true_divide, Tensor.div_, float_only=True)
Tensor.float_power_ = _float_power_
Tensor.conj = conj
Tensor.conj_physical = conj


def _rsub_method(self, other):
    try:
        _check_number(other)
    except _NotANumber:
        return NotImplemented
    return binary(RsubScalar, other, self)


def _rpow(self, other):
    try:
        _check_number(other)
    except _NotANumber:
        return NotImplemented
    return binary(PowScalarTensor, other, self)


def _pow_operator(self, other):
    cls = PowTensorTensor if isinstance(other, Tensor) else Pow
    try:
        return binary(cls, self, other)
    except _NotANumber:
        if isinstance(other, np.ndarray):
            return binary(PowTensorTensor, self, _from_numpy(other, self))
        return NotImplemented


Tensor.__add__ = _operator(Add)
Tensor.__radd__ = _operator(Add, swap=True)
Tensor.__iadd__ = Tensor.add_
Tensor.__sub__ = _operator(Sub)
Tensor.__rsub__ = _rsub_method
Tensor.__isub__ = Tensor.sub_
Tensor.__mul__ = _operator(Mul)
Tensor.__rmul__ = _operator(Mul, swap=True)
Tensor.__imul__ = Tensor.mul_
Tensor.__truediv__ = _operator(Div, INT_TO_FLOAT)
Tensor.__rtruediv__ = _rtruediv
Tensor.__itruediv__ = Tensor.div_
Tensor.__floordiv__ = _operator_fn(floor_divide)
Tensor.__rfloordiv__ = _operator_fn(floor_divide, swap=True)
Tensor.__ifloordiv__ = Tensor.floor_divide_
Tensor.__mod__ = _operator_fn(remainder)
Tensor.__rmod__ = _operator_fn(remainder, swap=True)
Tensor.__imod__ = Tensor.remainder_
Tensor.__pow__ = _pow_operator
Tensor.__rpow__ = _rpow
Tensor.__ipow__ = Tensor.pow_
Tensor.__neg__ = neg
Tensor.__pos__ = positive
Tensor.__abs__ = abs
Tensor.__invert__ = _invert
Tensor.__and__ = _operator(BitwiseAnd)
Tensor.__rand__ = _operator(BitwiseAnd, swap=True)
Tensor.__iand__ = Tensor.bitwise_and_
Tensor.__or__ = _operator(BitwiseOr)
Tensor.__ror__ = _operator(BitwiseOr, swap=True)
Tensor.__ior__ = Tensor.bitwise_or_
Tensor.__xor__ = _operator(BitwiseXor)
Tensor.__rxor__ = _operator(BitwiseXor, swap=True)
Tensor.__ixor__ = Tensor.bitwise_xor_
Tensor.__lshift__ = _operator(LeftShift)
Tensor.__rlshift__ = _operator(LeftShift, swap=True)
Tensor.__ilshift__ = Tensor.bitwise_left_shift_
Tensor.__rshift__ = _operator(RightShift)
Tensor.__rrshift__ = _operator(RightShift, swap=True)
Tensor.__irshift__ = Tensor.bitwise_right_shift_
Tensor.__eq__ = _operator(Eq, COMPARE)
Tensor.__ne__ = _operator(Ne, COMPARE)
Tensor.__lt__ = _operator(Lt, COMPARE)
Tensor.__le__ = _operator(Le, COMPARE)
Tensor.__gt__ = _operator(Gt, COMPARE)
Tensor.__ge__ = _operator(Ge, COMPARE)
Tensor.__hash__ = lambda self: id(self)
