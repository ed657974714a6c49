"""dtypes: PyTorch's names, their NumPy storage types, and PyTorch's type promotion.

A dtype is an interned object (one per kind), so identity comparison `a is b` is the fast
check used on the hot path. Promotion follows PyTorch, not NumPy: categories
bool < integer < floating < complex, and a Python scalar or a 0-d tensor only changes the
result when it belongs to a higher category than every dimensioned operand.
"""
import numpy as np

__all__ = [
    'dtype', 'bool', 'uint8', 'int8', 'int16', 'int32', 'int64', 'float16', 'bfloat16',
    'float32', 'float64', 'complex64', 'complex128', 'get_default_dtype', 'set_default_dtype',
    'promote_types', 'result_type', 'can_cast', 'finfo', 'iinfo',
]

_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3


# NumPy dtypes of 16-bit floats, which ops compute in float32; bfloat16's joins once loaded.
HALF_NUMPY_DTYPES = {np.dtype(np.float16)}


def _load_bfloat16():
    """Import ml_dtypes on first use of bfloat16 (it costs ~10 ms at startup otherwise)."""
    if bfloat16._numpy is None and not _bfloat16_state['tried']:
        _bfloat16_state['tried'] = True
        try:
            import ml_dtypes
        except ImportError:
            return None
        np_dtype = np.dtype(ml_dtypes.bfloat16)
        bfloat16._numpy = np_dtype
        _FROM_NUMPY[np_dtype] = bfloat16
        HALF_NUMPY_DTYPES.add(np_dtype)
    return bfloat16._numpy


_bfloat16_state = {'tried': False}


class dtype:
    """A tensor element type, printed as ``ember.float32``.

    Attributes mirror PyTorch's: ``is_floating_point``, ``is_complex``, ``is_signed`` and
    ``itemsize`` (bytes per element).
    """
    __slots__ = ('name', 'itemsize', 'is_floating_point', 'is_complex', 'is_signed',
                 'category', 'abbr', '_numpy', '_tensor_type', '__weakref__')

    def __init__(self, name, numpy_type, itemsize, category, is_signed, tensor_type, abbr):
        self.name = name
        self.abbr = abbr
        self._numpy = numpy_type
        self.itemsize = itemsize
        self.category = category
        self.is_floating_point = category == _FLOAT
        self.is_complex = category == _COMPLEX
        self.is_signed = is_signed
        self._tensor_type = tensor_type

    @property
    def numpy_dtype(self):
        """The NumPy dtype that stores this type (bfloat16 needs the `ml_dtypes` package)."""
        if self._numpy is None and (self is not bfloat16 or _load_bfloat16() is None):
            raise RuntimeError(
                "bfloat16 needs the ml_dtypes package: install it with "
                "`pip install ember[bfloat16]` (or `pip install ml_dtypes`)")
        return self._numpy

    def to_real(self):
        """The real counterpart of a complex dtype (other dtypes are returned as they are)."""
        return _TO_REAL.get(self, self)

    def to_complex(self):
        """The complex dtype whose parts are this floating point dtype."""
        if self is float16:
            raise RuntimeError('ember has no complex32 (PyTorch\'s complex of float16)')
        try:
            return _TO_COMPLEX[self]
        except KeyError:
            raise RuntimeError(f'Unknown Complex ScalarType for {self._tensor_type[:-6]}') \
                from None

    def __repr__(self):
        return 'ember.' + self.name

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))


_DEFS = [
    # name, numpy type, itemsize, category, signed, legacy tensor type name, abbreviation
    ('bool', np.dtype(np.bool_), 1, _BOOL, False, 'BoolTensor', 'b8'),
    ('uint8', np.dtype(np.uint8), 1, _INT, False, 'ByteTensor', 'u8'),
    ('int8', np.dtype(np.int8), 1, _INT, True, 'CharTensor', 'i8'),
    ('int16', np.dtype(np.int16), 2, _INT, True, 'ShortTensor', 'i16'),
    ('int32', np.dtype(np.int32), 4, _INT, True, 'IntTensor', 'i32'),
    ('int64', np.dtype(np.int64), 8, _INT, True, 'LongTensor', 'i64'),
    ('float16', np.dtype(np.float16), 2, _FLOAT, True, 'HalfTensor', 'f16'),
    ('bfloat16', None, 2, _FLOAT, True, 'BFloat16Tensor', 'bf16'),
    ('float32', np.dtype(np.float32), 4, _FLOAT, True, 'FloatTensor', 'f32'),
    ('float64', np.dtype(np.float64), 8, _FLOAT, True, 'DoubleTensor', 'f64'),
    ('complex64', np.dtype(np.complex64), 8, _COMPLEX, True, 'ComplexFloatTensor', 'c64'),
    ('complex128', np.dtype(np.complex128), 16, _COMPLEX, True, 'ComplexDoubleTensor',
     'c128'),
]
_BY_NAME = {d[0]: dtype(*d) for d in _DEFS}
bool = _BY_NAME['bool']  # noqa: A001 - PyTorch's name
uint8 = _BY_NAME['uint8']
int8 = _BY_NAME['int8']
int16 = _BY_NAME['int16']
int32 = _BY_NAME['int32']
int64 = _BY_NAME['int64']
float16 = _BY_NAME['float16']
bfloat16 = _BY_NAME['bfloat16']
float32 = _BY_NAME['float32']
float64 = _BY_NAME['float64']
complex64 = _BY_NAME['complex64']
complex128 = _BY_NAME['complex128']
ALL_DTYPES = tuple(_BY_NAME.values())
_TO_REAL = {complex64: float32, complex128: float64}
_TO_COMPLEX = {bfloat16: complex64, float32: complex64, float64: complex128,
               complex64: complex64, complex128: complex128}

# PyTorch's aliases, exported from the package namespace.
ALIASES = {
    'half': float16, 'float': float32, 'double': float64, 'short': int16, 'int': int32,
    'long': int64, 'cfloat': complex64, 'cdouble': complex128, 'chalf': None,
}
del ALIASES['chalf']


def _dtype_by_name(name):
    return _BY_NAME[name]


_FROM_NUMPY = {d._numpy: d for d in ALL_DTYPES if d._numpy is not None}


def from_numpy_dtype(np_dtype):
    """The ember dtype that a NumPy dtype maps to; TypeError for types PyTorch lacks."""
    try:
        return _FROM_NUMPY[np_dtype]
    except KeyError:
        pass
    except TypeError:  # unhashable or not a dtype at all
        pass
    np_dtype = np.dtype(np_dtype)
    if np_dtype.name == 'bfloat16':
        _load_bfloat16()
    if np_dtype in _FROM_NUMPY:
        return _FROM_NUMPY[np_dtype]
    raise TypeError(
        f"can't convert np.ndarray of type numpy.{np_dtype.name}. The only supported types "
        "are: float64, float32, float16, complex64, complex128, int64, int32, int16, int8, "
        "uint8, and bool.")


# ---------------------------------------------------------------------------------------
# Default dtype
# ---------------------------------------------------------------------------------------
_default = {'float': float32}


def get_default_dtype():
    """The floating point dtype that Python floats and factory functions produce."""
    return _default['float']


def set_default_dtype(d):
    """Set the default floating point dtype; only floating point dtypes are accepted."""
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError(
            f"only floating-point types are supported as the default type, got {d}")
    if d is bfloat16 or d is float16:
        # PyTorch accepts these too; keep the same rule.
        pass
    _default['float'] = d


def default_complex_dtype():
    return complex128 if _default['float'] is float64 else complex64


# ---------------------------------------------------------------------------------------
# Promotion
# ---------------------------------------------------------------------------------------
def _promote_pair(a, b):
    if a is b:
        return a
    ca, cb = a.category, b.category
    if ca == _COMPLEX or cb == _COMPLEX:
        # Complex result wide enough for the widest float part of either side.
        real_a = a.to_real() if ca == _COMPLEX else a
        real_b = b.to_real() if cb == _COMPLEX else b
        if ca != _COMPLEX and ca != _FLOAT:
            real_a = real_b
        if cb != _COMPLEX and cb != _FLOAT:
            real_b = real_a
        return complex128 if _promote_pair(real_a, real_b) is float64 else complex64
    if ca != cb:
        return a if ca > cb else b
    if ca == _FLOAT:
        if {a, b} == {float16, bfloat16}:
            return float32
        return a if a.itemsize > b.itemsize else b
    if ca == _INT:
        if a is uint8 or b is uint8:
            other = b if a is uint8 else a
            # uint8 with a signed type needs a wider signed type to hold 0..255.
            return int16 if other is int8 else other
        return a if a.itemsize > b.itemsize else b
    return a


_PROMOTE = {(a, b): _promote_pair(a, b) for a in ALL_DTYPES for b in ALL_DTYPES}


def promote_types(type1, type2):
    """The smallest dtype to which both dtypes can be converted (PyTorch's table)."""
    return _PROMOTE[type1, type2]


def scalar_dtype(value):
    """dtype PyTorch gives a Python scalar standing alone (`tensor(2.5)` is float32)."""
    t = type(value)
    if t is float:
        return _default['float']
    if t is int:
        return int64
    if t is builtins_bool:
        return bool
    if t is complex:
        return default_complex_dtype()
    if isinstance(value, (np.bool_,)):
        return bool
    if isinstance(value, np.integer):
        return int64
    if isinstance(value, np.floating):
        return float64
    if isinstance(value, np.complexfloating):
        return complex128
    raise TypeError(f"expected a number, got {type(value).__name__}")


import builtins as _builtins  # noqa: E402
builtins_bool = _builtins.bool


def _combine(higher, lower):
    """PyTorch's rule for letting a lower tier (0-d tensors, then scalars) raise a result."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.category == _COMPLEX:
        return higher
    if lower.category == _COMPLEX:
        # PyTorch gives complex32 for float16; ember's nearest is complex64.
        return _TO_COMPLEX.get(higher, complex64) if higher.category == _FLOAT else lower
    if higher.category == _FLOAT:
        return higher
    if higher is bool or lower.category == _FLOAT:
        return _PROMOTE[higher, lower]
    return higher


def _scalar_tier_dtype(value):
    t = type(value)
    if t is float:
        return _default['float']
    if t is int:
        return int64
    if t is builtins_bool:
        return bool
    if t is complex:
        return default_complex_dtype()
    d = scalar_dtype(value)
    if d.category == _FLOAT:
        return _default['float']
    if d.category == _COMPLEX:
        return default_complex_dtype()
    return d


def result_type_of(dims, zero_dims, scalars):
    """PyTorch's three-tier promotion.

    ``dims``: dtypes of tensors with at least one dimension; ``zero_dims``: dtypes of 0-d
    tensors; ``scalars``: Python numbers. A lower tier only counts when its category is
    above every higher tier's.
    """
    dim_result = zero_result = scalar_result = None
    for d in dims:
        dim_result = d if dim_result is None else _PROMOTE[dim_result, d]
    for d in zero_dims:
        zero_result = d if zero_result is None else _PROMOTE[zero_result, d]
    for s in scalars:
        d = _scalar_tier_dtype(s)
        scalar_result = d if scalar_result is None else _PROMOTE[scalar_result, d]
    return _combine(dim_result, _combine(zero_result, scalar_result))


def result_type(tensor1, tensor2):
    """The dtype an arithmetic op on the two operands (tensors or numbers) produces."""
    dims, zero_dims, scalars = [], [], []
    for x in (tensor1, tensor2):
        if hasattr(x, '_data') and hasattr(x, 'dtype'):
            (dims if x.dim() else zero_dims).append(x.dtype)
        else:
            scalars.append(x)
    return result_type_of(dims, zero_dims, scalars)


def can_cast(from_, to):
    """Whether PyTorch's casting rules allow an in-place result of ``from_`` into ``to``:
    no cast to a lower category (complex -> float, float -> int, int -> bool)."""
    return from_.category <= to.category


# ---------------------------------------------------------------------------------------
# finfo / iinfo
# ---------------------------------------------------------------------------------------
def _fmt(x):
    return f'{x:.6g}'


# Floating point formats: (stored mantissa bits, exponent bits). Limits follow from them,
# so bfloat16 needs no NumPy support.
_FLOAT_FORMATS = {'float16': (10, 5), 'bfloat16': (7, 8), 'float32': (23, 8),
                  'float64': (52, 11)}


class finfo:
    """Machine limits of a floating point dtype (default: the default dtype); a complex
    dtype gives its parts' limits. Fields: bits, eps, max, min, tiny (= smallest_normal),
    resolution and dtype (a name such as ``'float32'``)."""

    def __init__(self, type=None):  # noqa: A002 - PyTorch's keyword
        d = type if type is not None else get_default_dtype()
        if not isinstance(d, dtype) or not (d.is_floating_point or d.is_complex):
            raise TypeError('torch.finfo() requires a floating point input type. '
                            'Use torch.iinfo to handle \'torch.finfo\'')
        d = d.to_real()
        mant, exp = _FLOAT_FORMATS[d.name]
        bias = 2 ** (exp - 1) - 1
        self.dtype = d.name
        self.bits = d.itemsize * 8
        self.eps = 2.0 ** -mant
        self.max = (2.0 - 2.0 ** -mant) * 2.0 ** bias
        self.min = -self.max
        self.tiny = self.smallest_normal = 2.0 ** (1 - bias)
        # decimal digits of precision, as 10 ** -digits
        self.resolution = 10.0 ** -int(mant * 0.30102999566398120)

    def __eq__(self, other):
        return isinstance(other, finfo) and self.dtype == other.dtype

    def __hash__(self):
        return hash(('finfo', self.dtype))

    def __repr__(self):
        return (f'finfo(resolution={_fmt(self.resolution)}, min={_fmt(self.min)}, '
                f'max={_fmt(self.max)}, eps={_fmt(self.eps)}, '
                f'smallest_normal={_fmt(self.smallest_normal)}, tiny={_fmt(self.tiny)}, '
                f'dtype={self.dtype})')


class iinfo:
    """Machine limits of an integer dtype: bits, min, max and dtype (a name such as
    ``'int32'``)."""

    def __init__(self, type):  # noqa: A002
        if type is bool:
            raise TypeError('torch.bool is not supported by torch.iinfo')
        if not isinstance(type, dtype) or type.is_floating_point or type.is_complex:
            raise TypeError("torch.iinfo() requires an integer input type. "
                            "Use torch.finfo to handle 'torch.iinfo'")
        self.dtype = type.name
        self.bits = type.itemsize * 8
        if type.is_signed:
            self.min, self.max = -2 ** (self.bits - 1), 2 ** (self.bits - 1) - 1
        else:
            self.min, self.max = 0, 2 ** self.bits - 1

    def __eq__(self, other):
        return isinstance(other, iinfo) and self.dtype == other.dtype

    def __hash__(self):
        return hash(('iinfo', self.dtype))

    def __repr__(self):
        return f'iinfo(min={_fmt(self.min)}, max={_fmt(self.max)}, dtype={self.dtype})'
