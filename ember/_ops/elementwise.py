"""Elementwise ops: arithmetic with PyTorch's broadcasting and type promotion, unary math,
comparisons, and their in-place forms.

Every op is an ``Op`` class (forward on arrays, backward in tensor ops) run by one of two
runners, ``binary`` and ``unary``, which do the shared work once: pick the result dtype,
cast operands, check devices, wrap the result, and record the node only when an input
requires grad.
"""

__all__ = ['add', 'sub', 'subtract', 'rsub', 'mul', 'multiply', 'div', 'divide', 'true_divide',
           'floor_divide', 'remainder', 'fmod', 'pow', 'float_power', 'maximum',
           'minimum', 'atan2', 'arctan2', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'greater',
           'greater_equal', 'less', 'less_equal', 'not_equal', 'logical_and',
           'logical_or', 'logical_xor', 'logical_not', 'bitwise_and', 'bitwise_or',
           'bitwise_xor', 'bitwise_not', 'bitwise_left_shift', 'bitwise_right_shift',
           'neg', 'negative', 'exp', 'exp2', 'expm1', 'log', 'log2', 'log10', 'log1p',
           'sqrt', 'rsqrt', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh',
           'tanh', 'asinh', 'acosh', 'atanh', 'arcsin', 'arccos', 'arctan', 'arcsinh',
           'arccosh', 'arctanh', 'sigmoid', 'abs', 'absolute', 'sign', 'sgn', 'floor',
           'ceil', 'trunc', 'fix', 'frac', 'reciprocal', 'square', 'relu', 'isnan',
           'isinf', 'isfinite', 'signbit', 'round', 'clamp', 'clip', 'clamp_min',
           'clamp_max', 'positive']

import builtins

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, make_tensor
from ..autograd import grad_mode
from ..autograd.function import Op, attach, check_same_device

_grad_state = grad_mode.state
_ndarray = np.ndarray
_SCALARS = (int, float, bool, complex)
_FLOAT = 2
_WIDE_INTS = (dt.int32, dt.int64)

# Promotion rules an op declares.
PROMOTE = 0        # result dtype = promoted operand dtype (add, mul, ...)
INT_TO_FLOAT = 1   # like PROMOTE, but integers compute in the default float dtype (div)
COMPARE = 2        # compute in the promoted dtype, result is bool
LOGICAL = 3        # result is bool, operands read as truth values


class ElementwiseOp(Op):
    """An elementwise op over its tensor inputs and plain numbers."""

    def needs(self, i):
        """Whether input ``i`` wants a gradient (skip computing the others)."""
        return self.next_functions[i][0] is not None

    def operands(self):
        """Inputs for backward: saved tensors, with plain numbers where they were numbers."""
        saved = self.saved
        return tuple(a if s is None else s for s, a in zip(saved, self.args))


# ---------------------------------------------------------------------------------------
# operand preparation
# ---------------------------------------------------------------------------------------
def _scalar_array(value, np_dtype):
    """A Python number as a NumPy scalar of ``np_dtype``, wrapping like PyTorch's casts."""
    try:
        return np_dtype.type(value)
    except (OverflowError, ValueError):
        return np.array(value).astype(np_dtype)[()]


def _check_number(value, name='other'):
    if isinstance(value, _SCALARS) or isinstance(value, np.generic):
        return value
    raise TypeError(f'unsupported operand type: expected a Tensor or a number for {name}, '
                    f'got {type(value).__name__}')


def _promote(a, b):
    """Result dtype of a binary op on tensors/numbers (PyTorch's three tiers)."""
    dims, zero_dims, scalars = [], [], []
    for x in (a, b):
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
            compute = _promote(a, b)
            if rule == INT_TO_FLOAT and compute.category < _FLOAT:
                compute = dt.get_default_dtype()
            x, y = _cast(a, compute), _cast(b, compute)
    elif a_is_tensor:
        device = a._device
        _check_number(b)
        category = a._dtype.category
        kind = type(b)
        if (kind is float and category >= _FLOAT) or (kind is int and (
                category >= _FLOAT or (a._dtype in _WIDE_INTS and rule != INT_TO_FLOAT and
                                       -2**31 <= b < 2**31))):
            # NumPy's weak handling of Python numbers already gives PyTorch's result here.
            compute = a._dtype
            x, y = a._data, b
        else:
            compute = _promote(a, b)
            if rule == INT_TO_FLOAT and compute.category < _FLOAT:
                compute = dt.get_default_dtype()
            x, y = _cast(a, compute), _cast(b, compute)
    else:
        if not b_is_tensor:
            raise TypeError(f'expected a Tensor operand, got {type(a).__name__} and '
                            f'{type(b).__name__}')
        device = b._device
        _check_number(a)
        compute = _promote(a, b)
        if rule == INT_TO_FLOAT and compute.category < _FLOAT:
            compute = dt.get_default_dtype()
        x, y = _cast(a, compute), _cast(b, compute)
    if alpha is not None and alpha != 1:
        _check_alpha(alpha, compute)
        y = y * _scalar_array(alpha, compute.numpy_dtype)
    cls.check(compute, a, b)
    out = cls.forward(None, x, y)
    if type(out) is not _ndarray:
        out = _as_array(out)
    result_dtype = dt.bool if rule >= COMPARE else compute
    if out.dtype is not result_dtype._numpy:
        out = out.astype(result_dtype.numpy_dtype)
    result = make_tensor(out, result_dtype, device)
    if ((a_is_tensor and a._requires_grad) or (b_is_tensor and b._requires_grad)) and \
            _grad_state.enabled and cls.differentiable and rule < COMPARE:
        node = cls.__new__(cls)
        node._connect((a if a_is_tensor else None, b if b_is_tensor else None))
        node.args = (None if a_is_tensor else a, None if b_is_tensor else b, alpha)
        if cls.save_args:
            node.save(a if a_is_tensor else None, b if b_is_tensor else None)
        attach(node, result, cls.save_output)
    return result


def _as_array(out):
    if isinstance(out, np.generic):
        return np.asarray(out)
    return out


def _check_alpha(alpha, compute):
    if isinstance(alpha, float) and compute.category < _FLOAT:
        raise RuntimeError('For integral input tensors, argument alpha must not be a '
                           'floating point number.')
    if isinstance(alpha, bool) is False and compute is dt.bool:
        raise RuntimeError('Boolean alpha only supported for Boolean results.')


def unary(cls, a, int_to_float=False):
    """Run unary op ``cls`` on a tensor."""
    if not isinstance(a, Tensor):
        raise TypeError(f'{cls.public_name}(): argument \'input\' (position 1) must be '
                        f'Tensor, not {type(a).__name__}')
    data = a._data
    dtype = a._dtype
    if int_to_float and dtype.category < _FLOAT:
        dtype = dt.get_default_dtype()
        data = data.astype(dtype.numpy_dtype)
    cls.check(dtype, a, None)
    out = cls.forward(None, data)
    if type(out) is not _ndarray:
        out = _as_array(out)
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


class BinaryOp(ElementwiseOp):
    public_name = ''

    @staticmethod
    def check(compute, a, b):
        pass


# ---------------------------------------------------------------------------------------
# arithmetic
# ---------------------------------------------------------------------------------------
class Add(BinaryOp):
    node_name = 'AddBackward0'

    @staticmethod
    def forward(ctx, x, y):
        return np.add(x, y)

    def backward(self, grad):
        alpha = self.args[2]
        return grad, (grad if alpha is None or alpha == 1 else grad * alpha) \
            if self.needs(1) else None


class Sub(BinaryOp):
    node_name = 'SubBackward0'

    @staticmethod
    def check(compute, a, b):
        if compute is dt.bool:
            raise RuntimeError('Subtraction, the `-` operator, with two bool tensors is not '
                               'supported. Use the `^` or `logical_xor()` operator instead.'
                               if isinstance(a, Tensor) and isinstance(b, Tensor) else
                               'Subtraction, the `-` operator, with a bool tensor is not '
                               'supported. If you are trying to invert a mask, use the `~` or '
                               '`logical_not()` operator instead.')

    @staticmethod
    def forward(ctx, x, y):
        return np.subtract(x, y)

    def backward(self, grad):
        alpha = self.args[2]
        if not self.needs(1):
            return grad, None
        return grad, -grad if alpha is None or alpha == 1 else grad * (-alpha)


class Rsub(Sub):
    """``other - input``: run as a subtraction with the operands swapped."""
    node_name = 'RsubBackward1'


class Mul(BinaryOp):
    node_name = 'MulBackward0'
    save_args = (0, 1)

    @staticmethod
    def forward(ctx, x, y):
        return np.multiply(x, y)

    def backward(self, grad):
        a, b = self.operands()[:2]
        return (grad * b if self.needs(0) else None,
                grad * a if self.needs(1) else None)


class Div(BinaryOp):
    node_name = 'DivBackward0'
    save_args = (0, 1)

    @staticmethod
    def forward(ctx, x, y):
        return np.true_divide(x, y)

    def backward(self, grad):
        a, b = self.operands()[:2]
        grad_a = grad / b if self.needs(0) else None
        grad_b = -grad * a / (b * b) if self.needs(1) else None
        return grad_a, grad_b


class FloorDivide(BinaryOp):
    node_name = 'FloorDivideBackward0'
    differentiable = False

    @staticmethod
    def forward(ctx, x, y):
        return np.floor_divide(x, y)


class Remainder(BinaryOp):
    node_name = 'RemainderBackward0'
    save_args = (0, 1)

    @staticmethod
    def forward(ctx, x, y):
        return np.remainder(x, y)

    def backward(self, grad):
        a, b = self.operands()[:2]
        grad_b = None
        if self.needs(1):
            grad_b = -grad * (a / b).floor()
        return grad, grad_b


class Fmod(BinaryOp):
    node_name = 'FmodBackward0'
    save_args = (0, 1)

    @staticmethod
    def forward(ctx, x, y):
        return np.fmod(x, y)

    def backward(self, grad):
        a, b = self.operands()[:2]
        return grad, (-grad * (a / b).trunc()) if self.needs(1) else None


class Pow(BinaryOp):
    node_name = 'PowBackward0'
    save_args = (0, 1)

    @staticmethod
    def check(compute, a, b):
        if compute.category == 1 and not isinstance(b, Tensor) and b < 0:
            raise RuntimeError('Integers to negative integer powers are not allowed.')

    @staticmethod
    def forward(ctx, x, y):
        return np.power(x, y)

    def backward(self, grad):
        a, b = self.operands()[:2]
        grad_a = grad_b = None
        if self.needs(0):
            if isinstance(b, Tensor):
                grad_a = grad * b * a.pow(b - 1)
            elif b == 0:
                grad_a = grad * 0
            else:
                grad_a = grad * b * a.pow(b - 1)
        if self.needs(1):
            result = a.pow(b) if isinstance(a, Tensor) else pow_(a, b)
            log_a = a.log() if isinstance(a, Tensor) else _log_scalar(a, b)
            grad_b = grad * result * log_a
            if isinstance(a, Tensor):
                grad_b = grad_b.masked_fill((a == 0) & (b >= 0), 0.0)
        return grad_a, grad_b


class PowTensorTensor(Pow):
    node_name = 'PowBackward1'


class PowScalarTensor(Pow):
    node_name = 'PowBackward2'


def _log_scalar(a, like):
    import math
    return math.log(a) if a > 0 else float('nan') if a < 0 else float('-inf')


class Maximum(BinaryOp):
    node_name = 'MaximumBackward0'
    save_args = (0, 1)

    @staticmethod
    def forward(ctx, x, y):
        return np.maximum(x, y)

    def backward(self, grad):
        a, b = self.operands()[:2]
        return _minmax_backward(grad, a, b, a > b)


class Minimum(BinaryOp):
    node_name = 'MinimumBackward0'
    save_args = (0, 1)

    @staticmethod
    def forward(ctx, x, y):
        return np.minimum(x, y)

    def backward(self, grad):
        a, b = self.operands()[:2]
        return _minmax_backward(grad, a, b, a < b)


def _minmax_backward(grad, a, b, a_wins):
    # Ties split the gradient evenly, as PyTorch does.
    tie = (a == b)
    half = grad / 2
    from .indexing import where
    grad_a = where(a_wins, grad, where(tie, half, grad * 0))
    grad_b = where(a_wins, grad * 0, where(tie, half, grad))
    return grad_a, grad_b


class Atan2(BinaryOp):
    node_name = 'Atan2Backward0'
    save_args = (0, 1)

    @staticmethod
    def forward(ctx, x, y):
        return np.arctan2(x, y)

    def backward(self, grad):
        a, b = self.operands()[:2]
        denom = a * a + b * b
        return grad * b / denom, grad * -a / denom


# ---------------------------------------------------------------------------------------
# comparison and logic (not differentiable; results are bool)
# ---------------------------------------------------------------------------------------
def _comparison(name, ufunc):
    cls = type(name, (BinaryOp,), {
        'node_name': None, 'differentiable': False,
        'forward': staticmethod(lambda ctx, x, y: ufunc(x, y))})
    return cls


Eq = _comparison('Eq', np.equal)
Ne = _comparison('Ne', np.not_equal)
Lt = _comparison('Lt', np.less)
Le = _comparison('Le', np.less_equal)
Gt = _comparison('Gt', np.greater)
Ge = _comparison('Ge', np.greater_equal)
LogicalAnd = _comparison('LogicalAnd', lambda x, y: np.logical_and(x, y))
LogicalOr = _comparison('LogicalOr', lambda x, y: np.logical_or(x, y))
LogicalXor = _comparison('LogicalXor', lambda x, y: np.logical_xor(x, y))


class _Bitwise(BinaryOp):
    differentiable = False

    @staticmethod
    def check(compute, a, b):
        if compute.category >= _FLOAT:
            raise RuntimeError(f'"bitwise_cpu" not implemented for \'{_type_name(compute)}\'')


def _type_name(d):
    return {'float32': 'Float', 'float64': 'Double', 'float16': 'Half', 'bfloat16': 'BFloat16',
            'complex64': 'ComplexFloat', 'complex128': 'ComplexDouble', 'int64': 'Long',
            'int32': 'Int', 'int16': 'Short', 'int8': 'Char', 'uint8': 'Byte',
            'bool': 'Bool'}[d.name]


def _bitwise(name, ufunc):
    return type(name, (_Bitwise,), {'node_name': None,
                                    'forward': staticmethod(lambda ctx, x, y: ufunc(x, y))})


BitwiseAnd = _bitwise('BitwiseAnd', np.bitwise_and)
BitwiseOr = _bitwise('BitwiseOr', np.bitwise_or)
BitwiseXor = _bitwise('BitwiseXor', np.bitwise_xor)
LeftShift = _bitwise('LeftShift', np.left_shift)
RightShift = _bitwise('RightShift', np.right_shift)


# ---------------------------------------------------------------------------------------
# public binary functions
# ---------------------------------------------------------------------------------------
def copy_into_out(result, out):
    """Write an op's result into ``out=`` (resizing an empty ``out`` like PyTorch)."""
    if not isinstance(out, Tensor):
        raise TypeError(f'argument \'out\' must be Tensor, not {type(out).__name__}')
    if out._requires_grad and _grad_state.enabled:
        raise RuntimeError(f'{result._grad_fn.name() if result._grad_fn else "op"}(): '
                           'functions with out=... arguments don\'t support automatic '
                           'differentiation, but one of the arguments requires grad.')
    if not dt.can_cast(result._dtype, out._dtype):
        raise RuntimeError(f'result type {_type_name(result._dtype)} can\'t be cast to the '
                           f'desired output type {_type_name(out._dtype)}')
    if out._data.shape != result._data.shape:
        if out._data.size != 0:
            import warnings
            warnings.warn(f'An output with one or more elements was resized since it had shape '
                          f'{list(out._data.shape)}, which does not match the required output '
                          f'shape {list(result._data.shape)}. This behavior is deprecated, and '
                          'in a future PyTorch release outputs will not be resized unless they '
                          'have zero elements. You can explicitly reuse an out tensor t by '
                          'resizing it, inplace, to zero elements with t.resize_(0).',
                          UserWarning, stacklevel=3)
        out._data = result._data.astype(out._dtype.numpy_dtype)
        out._storage = None
        out._stride = None
    else:
        out._data[...] = result._data
    out._bump_version()
    return out


def _with_out(result, out):
    return result if out is None else copy_into_out(result, out)


def add(input, other, *, alpha=1, out=None):
    """``input + alpha * other`` with broadcasting and type promotion."""
    return _with_out(binary(Add, input, other, PROMOTE, alpha if alpha != 1 else None), out)


def sub(input, other, *, alpha=1, out=None):
    """``input - alpha * other``."""
    return _with_out(binary(Sub, input, other, PROMOTE, alpha if alpha != 1 else None), out)


subtract = sub


def rsub(input, other, *, alpha=1):
    """``other - alpha * input``."""
    if alpha != 1:
        return sub(other, input * alpha)
    return binary(Rsub, other, input)


def mul(input, other, *, out=None):
    """Elementwise product."""
    return _with_out(binary(Mul, input, other), out)


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):
    """Elementwise division; integers give the default float dtype unless ``rounding_mode``
    is ``'trunc'`` or ``'floor'``."""
    if rounding_mode is None:
        return _with_out(binary(Div, input, other, INT_TO_FLOAT), out)
    if rounding_mode == 'floor':
        return _with_out(binary(FloorDivide, input, other), out)
    if rounding_mode == 'trunc':
        result = binary(Div, input, other, PROMOTE)
        if result._dtype.category >= _FLOAT:
            return _with_out(result.trunc(), out)
        a = input._data if isinstance(input, Tensor) else input
        b = other._data if isinstance(other, Tensor) else other
        q = np.trunc(np.true_divide(a, b)).astype(result._dtype.numpy_dtype)
        return _with_out(make_tensor(np.asarray(q), result._dtype, result._device), out)
    raise RuntimeError(f'div expected rounding_mode to be one of None, \'trunc\', or \'floor\' '
                       f'but found \'{rounding_mode}\'')


divide = div


def true_divide(input, other, *, out=None):
    return div(input, other, out=out)


def floor_divide(input, other, *, out=None):
    return _with_out(binary(FloorDivide, input, other), out)


def remainder(input, other, *, out=None):
    return _with_out(binary(Remainder, input, other), out)


def fmod(input, other, *, out=None):
    return _with_out(binary(Fmod, input, other), out)


def pow(input, exponent, *, out=None):  # noqa: A001 - PyTorch's name
    """``input ** exponent`` elementwise (either may be a number)."""
    if isinstance(input, Tensor):
        cls = PowTensorTensor if isinstance(exponent, Tensor) else Pow
    else:
        cls = PowScalarTensor
    try:
        return _with_out(binary(cls, input, exponent), out)
    except ValueError as error:
        if 'negative integer powers' in str(error):
            raise RuntimeError('Integers to negative integer powers are not allowed.') from None
        raise


pow_ = pow


def float_power(input, exponent, *, out=None):
    a = input.double() if isinstance(input, Tensor) else float(input)
    b = exponent.double() if isinstance(exponent, Tensor) else float(exponent)
    return pow(a, b, out=out)


def maximum(input, other, *, out=None):
    return _with_out(binary(Maximum, input, other), out)


def minimum(input, other, *, out=None):
    return _with_out(binary(Minimum, input, other), out)


def atan2(input, other, *, out=None):
    return _with_out(binary(Atan2, input, other, INT_TO_FLOAT), out)


arctan2 = atan2


def eq(input, other, *, out=None):
    return _with_out(binary(Eq, input, other, COMPARE), out)


def ne(input, other, *, out=None):
    return _with_out(binary(Ne, input, other, COMPARE), out)


def lt(input, other, *, out=None):
    return _with_out(binary(Lt, input, other, COMPARE), out)


def le(input, other, *, out=None):
    return _with_out(binary(Le, input, other, COMPARE), out)


def gt(input, other, *, out=None):
    return _with_out(binary(Gt, input, other, COMPARE), out)


def ge(input, other, *, out=None):
    return _with_out(binary(Ge, input, other, COMPARE), out)


greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def logical_and(input, other, *, out=None):
    return _with_out(binary(LogicalAnd, input, other, LOGICAL), out)


def logical_or(input, other, *, out=None):
    return _with_out(binary(LogicalOr, input, other, LOGICAL), out)


def logical_xor(input, other, *, out=None):
    return _with_out(binary(LogicalXor, input, other, LOGICAL), out)


def bitwise_and(input, other, *, out=None):
    return _with_out(binary(BitwiseAnd, input, other), out)


def bitwise_or(input, other, *, out=None):
    return _with_out(binary(BitwiseOr, input, other), out)


def bitwise_xor(input, other, *, out=None):
    return _with_out(binary(BitwiseXor, input, other), out)


def bitwise_left_shift(input, other, *, out=None):
    return _with_out(binary(LeftShift, input, other), out)


def bitwise_right_shift(input, other, *, out=None):
    return _with_out(binary(RightShift, input, other), out)


# ---------------------------------------------------------------------------------------
# unary math
# ---------------------------------------------------------------------------------------
class UnaryOp(ElementwiseOp):
    int_to_float = False
    public_name = ''

    @staticmethod
    def check(dtype, a, b):
        pass


def _unary_op(name, node_name, fn, backward=None, int_to_float=False, save='input',
              check=None):
    attrs = {'node_name': node_name, 'public_name': name,
             'forward': staticmethod(lambda ctx, x: fn(x)),
             'int_to_float': int_to_float}
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
    op.__doc__ = f'Elementwise ``{name}`` of the input.'
    return cls, op


def _x(node):
    return node.saved[0]


def _no_bool_neg(dtype, a, b):
    if dtype is dt.bool:
        raise RuntimeError('Negation, the `-` operator, on a bool tensor is not supported. If '
                           'you are trying to invert a mask, use the `~` or `logical_not()` '
                           'operator instead.')


Neg, neg = _unary_op('neg', 'NegBackward0', np.negative, lambda s, g: -g, save=None,
                     check=_no_bool_neg)
negative = neg
Exp, exp = _unary_op('exp', 'ExpBackward0', np.exp, lambda s, g: g * s.output.conj(),
                     True, 'output')
Exp2, exp2 = _unary_op('exp2', 'Exp2Backward0', np.exp2,
                       lambda s, g: g * s.output * 0.6931471805599453, True, 'output')
Expm1, expm1 = _unary_op('expm1', 'Expm1Backward0', np.expm1,
                         lambda s, g: g * (s.output + 1), True, 'output')
Log, log = _unary_op('log', 'LogBackward0', np.log, lambda s, g: g / _x(s), True)
Log2, log2 = _unary_op('log2', 'Log2Backward0', np.log2,
                       lambda s, g: g / (_x(s) * 0.6931471805599453), True)
Log10, log10 = _unary_op('log10', 'Log10Backward0', np.log10,
                         lambda s, g: g / (_x(s) * 2.302585092994046), True)
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
                         lambda s, g: g / (_x(s) * _x(s) + 1).sqrt(), True)
Acosh, acosh = _unary_op('acosh', 'AcoshBackward0', np.arccosh,
                         lambda s, g: g / (_x(s) * _x(s) - 1).sqrt(), True)
Atanh, atanh = _unary_op('atanh', 'AtanhBackward0', np.arctanh,
                         lambda s, g: g / (1 - _x(s) * _x(s)), True)
arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh


def _sigmoid(x):
    # exp(-|x|) never overflows; pick the stable form per sign.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


Sigmoid, sigmoid = _unary_op('sigmoid', 'SigmoidBackward0', _sigmoid,
                             lambda s, g: g * s.output * (1 - s.output), True, 'output')
Abs, abs = _unary_op('abs', 'AbsBackward0', np.abs, lambda s, g: g * _x(s).sgn())  # noqa: A001
absolute = abs
Sign, sign = _unary_op('sign', 'SignBackward0', np.sign, lambda s, g: g * 0, save=None)
Sgn = Sign
sgn = sign
Floor, floor = _unary_op('floor', 'FloorBackward0', np.floor, lambda s, g: g * 0, save=None)
Ceil, ceil = _unary_op('ceil', 'CeilBackward0', np.ceil, lambda s, g: g * 0, save=None)
Trunc, trunc = _unary_op('trunc', 'TruncBackward0', np.trunc, lambda s, g: g * 0, save=None)
fix = trunc
Frac, frac = _unary_op('frac', 'FracBackward0', lambda x: x - np.trunc(x), lambda s, g: g,
                       save=None)
Reciprocal, reciprocal = _unary_op('reciprocal', 'ReciprocalBackward0', lambda x: 1 / x,
                                   lambda s, g: -g * s.output * s.output, True, 'output')
Square, _square = _unary_op('square', 'PowBackward0', np.square, lambda s, g: 2 * g * _x(s))
Relu, relu = _unary_op('relu', 'ReluBackward0', lambda x: np.maximum(x, 0),
                       lambda s, g: g * (s.output > 0), save='output')
Isnan, isnan = _unary_op('isnan', None, np.isnan)
Isinf, isinf = _unary_op('isinf', None, np.isinf)
Isfinite, isfinite = _unary_op('isfinite', None, np.isfinite)
Signbit, signbit = _unary_op('signbit', None, np.signbit)
LogicalNot, logical_not = _unary_op('logical_not', None, np.logical_not)


def _invert_check(dtype, a, b):
    if dtype.category >= _FLOAT:
        raise RuntimeError(f'"bitwise_not_cpu" not implemented for \'{_type_name(dtype)}\'')


BitwiseNot, bitwise_not = _unary_op('bitwise_not', None,
                                    lambda x: np.logical_not(x) if x.dtype == np.bool_
                                    else np.invert(x), check=_invert_check)


def square(input, *, out=None):
    """``input * input``; integers stay integers (bool becomes int64)."""
    if isinstance(input, Tensor) and input._dtype is dt.bool:
        input = input.long()
    return _square(input, out=out)


def positive(input):
    if input._dtype is dt.bool:
        raise RuntimeError('The `+` operator, on a bool tensor is not supported.')
    return input


def round(input, *, decimals=0, out=None):  # noqa: A001
    """Round half to even, optionally to ``decimals`` places."""
    if decimals == 0:
        return _with_out(unary(Round, input), out)
    scale = 10.0 ** decimals
    return _with_out((input * scale).round() / scale, out)


class Round(UnaryOp):
    node_name = 'RoundBackward0'
    public_name = 'round'

    @staticmethod
    def forward(ctx, x):
        return np.round(x)

    def backward(self, grad):
        return grad * 0


# ---------------------------------------------------------------------------------------
# clamp
# ---------------------------------------------------------------------------------------
class Clamp(ElementwiseOp):
    node_name = 'ClampBackward1'
    save_args = (0,)

    def backward(self, grad):
        x = self.saved[0]
        low, high = self.args[1], self.args[2]
        mask = None
        if low is not None:
            mask = x >= low
        if high is not None:
            upper = x <= high
            mask = upper if mask is None else mask & upper
        return (grad * mask,)


def clamp(input, min=None, max=None, *, out=None):  # noqa: A002
    """Limit values to ``[min, max]`` (numbers or tensors; either bound may be None)."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        result = input
        if min is not None:
            result = maximum(result, min)
        if max is not None:
            result = minimum(result, max)
        return _with_out(result, out)
    bounds = [b for b in (min, max) if b is not None]
    compute = input._dtype
    for b in bounds:
        compute = dt.result_type_of([compute], [], [b]) if input._data.ndim else \
            dt.result_type_of([], [compute], [b])
    data = input._data if compute is input._dtype else input._data.astype(compute.numpy_dtype)
    lo = None if min is None else _scalar_array(min, compute.numpy_dtype)
    hi = None if max is None else _scalar_array(max, compute.numpy_dtype)
    if lo is not None and hi is not None:
        result_data = np.minimum(np.maximum(data, lo), hi)
    elif lo is not None:
        result_data = np.maximum(data, lo)
    else:
        result_data = np.minimum(data, hi)
    result = make_tensor(_as_array(result_data), compute, input._device)
    if input._requires_grad and _grad_state.enabled:
        node = Clamp.__new__(Clamp)
        node._connect((input,))
        node.args = (None, min, max)
        node.save(input)
        attach(node, result)
    return _with_out(result, out)


clip = clamp


def clamp_min(input, min):  # noqa: A002
    return clamp(input, min=min)


def clamp_max(input, max):  # noqa: A002
    return clamp(input, max=max)


# ---------------------------------------------------------------------------------------
# in-place variants
# ---------------------------------------------------------------------------------------
def check_inplace(target, name=''):
    """PyTorch's guards before writing into ``target``."""
    if target._requires_grad and target._grad_fn is None and _grad_state.enabled:
        raise RuntimeError('a leaf Variable that requires grad is being used in an in-place '
                           'operation.')
    data = target._data
    if data.ndim and 0 in target.stride() and data.size > 1:
        shape = data.shape
        if any(st == 0 and s > 1 for s, st in zip(shape, target.stride())):
            raise RuntimeError('unsupported operation: more than one element of the written-to '
                               'tensor refers to a single memory location. Please clone() the '
                               'tensor before performing the operation.')


def apply_inplace(target, result):
    """Write an out-of-place result into ``target`` and give it the result's history."""
    if not dt.can_cast(result._dtype, target._dtype):
        raise RuntimeError(f'result type {_type_name(result._dtype)} can\'t be cast to the '
                           f'desired output type {_type_name(target._dtype)}')
    if result._data.shape != target._data.shape:
        raise RuntimeError(f'output with shape {list(target._data.shape)} doesn\'t match the '
                           f'broadcast shape {list(result._data.shape)}')
    np.copyto(target._data, result._data, casting='unsafe') if type(target._data) is \
        _ndarray else target._data.__setitem__(Ellipsis, result._data)
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
    if base is None or not target._is_view:
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
        recording = _grad_state.enabled and (self._requires_grad or any(
            isinstance(a, Tensor) and a._requires_grad for a in args))
        source = _history_snapshot(self) if recording else self
        if not recording and type(self._data) is _ndarray and fn in _FAST_INPLACE:
            result = fn(source, *args, **kwargs)
        else:
            result = fn(source, *args, **kwargs)
        return apply_inplace(self, result)
    method.__name__ = fn.__name__ + '_'
    method.__doc__ = f'In-place version of :func:`{fn.__name__}`.'
    return method


_FAST_INPLACE = set()


# ---------------------------------------------------------------------------------------
# methods and operators
# ---------------------------------------------------------------------------------------
def _reflected(fn):
    def method(self, other):
        return fn(other, self)
    return method


_FUNCTIONS = ['add', 'sub', 'subtract', 'mul', 'multiply', 'div', 'divide', 'true_divide',
              'floor_divide', 'remainder', 'fmod', 'pow', 'float_power', 'maximum', 'minimum',
              'atan2', 'arctan2', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'greater',
              'greater_equal', 'less', 'less_equal', 'not_equal', 'logical_and', 'logical_or',
              'logical_xor', 'logical_not', 'bitwise_and', 'bitwise_or', 'bitwise_xor',
              'bitwise_not', 'bitwise_left_shift', 'bitwise_right_shift', 'neg', 'negative',
              'exp', 'exp2', 'expm1', 'log', 'log2', 'log10', 'log1p', 'sqrt', 'rsqrt', 'sin',
              'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh',
              'atanh', 'arcsin', 'arccos', 'arctan', 'arcsinh', 'arccosh', 'arctanh',
              'sigmoid', 'abs', 'absolute', 'sign', 'sgn', 'floor', 'ceil', 'trunc', 'fix',
              'frac', 'reciprocal', 'square', 'relu', 'isnan', 'isinf', 'isfinite', 'signbit',
              'round', 'clamp', 'clip', 'clamp_min', 'clamp_max', 'positive']
_INPLACE = ['add', 'sub', 'subtract', 'mul', 'multiply', 'div', 'divide', 'true_divide',
            'floor_divide', 'remainder', 'fmod', 'pow', 'float_power', 'atan2', 'arctan2', 'eq', 'ne',
            'lt', 'le', 'gt', 'ge', 'logical_and', 'logical_or', 'logical_xor', 'logical_not',
            'bitwise_and', 'bitwise_or', 'bitwise_xor', 'bitwise_not', 'neg', 'negative',
            'exp', 'exp2', 'expm1', 'log', 'log2', 'log10', 'log1p', 'sqrt', 'rsqrt', 'sin',
            'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh',
            'atanh', 'sigmoid', 'abs', 'sign', 'sgn', 'floor', 'ceil', 'trunc', 'fix', 'frac',
            'reciprocal', 'square', 'relu', 'round', 'clamp', 'clip', 'clamp_min', 'clamp_max']

for _name in _FUNCTIONS:
    setattr(Tensor, _name, globals()[_name])
for _name in _INPLACE:
    setattr(Tensor, _name + '_', inplace(globals()[_name]))

Tensor.__add__ = add
Tensor.__radd__ = _reflected(add)
Tensor.__iadd__ = Tensor.add_
Tensor.__sub__ = sub
Tensor.__rsub__ = lambda self, other: rsub(self, other)
Tensor.__isub__ = Tensor.sub_
Tensor.__mul__ = mul
Tensor.__rmul__ = _reflected(mul)
Tensor.__imul__ = Tensor.mul_
Tensor.__truediv__ = div
Tensor.__rtruediv__ = _reflected(div)
Tensor.__itruediv__ = Tensor.div_
Tensor.__floordiv__ = floor_divide
Tensor.__rfloordiv__ = _reflected(floor_divide)
Tensor.__ifloordiv__ = Tensor.floor_divide_
Tensor.__mod__ = remainder
Tensor.__rmod__ = _reflected(remainder)
Tensor.__imod__ = Tensor.remainder_
Tensor.__pow__ = pow
Tensor.__rpow__ = _reflected(pow)
Tensor.__ipow__ = Tensor.pow_
Tensor.__neg__ = neg
Tensor.__pos__ = positive
Tensor.__abs__ = abs
Tensor.__invert__ = bitwise_not
Tensor.__and__ = bitwise_and
Tensor.__rand__ = _reflected(bitwise_and)
Tensor.__iand__ = Tensor.bitwise_and_
Tensor.__or__ = bitwise_or
Tensor.__ror__ = _reflected(bitwise_or)
Tensor.__ior__ = Tensor.bitwise_or_
Tensor.__xor__ = bitwise_xor
Tensor.__rxor__ = _reflected(bitwise_xor)
Tensor.__ixor__ = Tensor.bitwise_xor_
Tensor.__lshift__ = bitwise_left_shift
Tensor.__rshift__ = bitwise_right_shift
Tensor.__eq__ = eq
Tensor.__ne__ = ne
Tensor.__lt__ = lt
Tensor.__le__ = le
Tensor.__gt__ = gt
Tensor.__ge__ = ge
Tensor.__hash__ = lambda self: id(self)
del builtins


class Conj(UnaryOp):
    node_name = 'ConjBackward0'
    public_name = 'conj'

    @staticmethod
    def forward(ctx, x):
        return np.conj(x)

    def backward(self, grad):
        return grad.conj()


def conj(input):
    """Complex conjugate (the tensor itself for real dtypes)."""
    if not input._dtype.is_complex:
        return input
    return unary(Conj, input)


Tensor.conj = conj
Tensor.conj_physical = conj
__all__.append('conj')
