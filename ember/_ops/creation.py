"""Factory functions: tensors from data, filled tensors, ranges, and the legacy constructors.

Values follow PyTorch's CPU kernels, not NumPy's: ``arange`` and ``linspace`` reproduce the
order of floating point operations PyTorch uses (so float32 results agree to the bit), and
Python data is converted with PyTorch's dtype inference and overflow checks.
"""
import math
import numbers
import warnings

import numpy as np

from .. import _dtype as dt
from .. import _args
from .._device import CPU, to_device, backend_of
from .._tensor import Tensor, make_tensor, make_view, require_grad

__all__ = ['tensor', 'as_tensor', 'from_numpy', 'zeros', 'ones', 'empty', 'full',
           'zeros_like', 'ones_like', 'empty_like', 'full_like', 'arange', 'range',
           'linspace', 'logspace', 'eye', 'empty_strided', 'scalar_tensor', 'asarray']

_builtin_range = range
_INT, _FLOAT, _COMPLEX = 1, 2, 3


# ---------------------------------------------------------------------------------------
# argument checking shared by the factories
# ---------------------------------------------------------------------------------------
def parse_size(size, name='size'):
    """Sizes given as ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` or ``f(Size)`` -> tuple."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    out = []
    for s in size:
        if type(s) is not int:
            if isinstance(s, bool) or not isinstance(s, numbers.Integral):
                if isinstance(s, Tensor) and s._dtype.category == _INT and s._data.size == 1:
                    s = s.item()
                elif len(size) == 1:
                    raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of "
                                    f'ints, not {_args.type_name(s)}')
                else:
                    raise TypeError(f"{name}(): argument 'size' failed to unpack the object at "
                                    f'pos {len(out) + 1} with error "type must be tuple of '
                                    f'ints,but got {_args.type_name(s)}"')
            s = int(s)
        if s < 0:
            raise RuntimeError(f'Trying to create tensor with negative dimension {s}: '
                               f'{[int(x) for x in size]}')
        out.append(s)
    return tuple(out)


def _sizes(sizes, size, name):
    """The size of a factory called as ``f(2, 3)``, ``f((2, 3))`` or ``f(size=(2, 3))``."""
    if size is not None:
        if sizes:
            raise TypeError(f"{name}() got multiple values for argument 'size'")
        if not isinstance(size, (tuple, list)):
            raise TypeError(f"{name}(): argument 'size' must be tuple of ints, not "
                            f"{type(size).__name__}")
        return parse_size((size,), name)
    if not sizes:
        raise TypeError(f'{name}() missing 1 required positional arguments: "size"')
    return parse_size(sizes, name)


def _check_dtype(dtype, name):
    if dtype is not None and not isinstance(dtype, dt.dtype):
        raise TypeError(f"{name}(): argument 'dtype' must be ember.dtype, not "
                        f"{type(dtype).__name__}")
    return dtype


def _on_device(array, device):
    """Move a freshly made NumPy array to ``device`` (a no-op for cpu)."""
    if device is CPU:
        return array
    return backend_of(device).from_host(array, device.index)


def _finish(array, dtype, device, requires_grad):
    t = make_tensor(_on_device(array, device), dtype, device)
    if requires_grad:
        require_grad(t)
    return t


def _out_dtype(dtype, out, name):
    """The dtype of a factory writing into ``out``: ``out``'s unless ``dtype`` disagrees."""
    if out is None:
        return dtype
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {_args.type_name(out)}")
    if dtype is not None and dtype is not out._dtype:
        raise RuntimeError(f'dtype {dtype._tensor_type[:-6]} does not match dtype of out '
                           f'parameter ({out._dtype._tensor_type[:-6]})')
    return out._dtype


def _result(array, dtype, device, requires_grad, out, name):
    """Wrap a factory's array, or write it into ``out`` (resizing it like PyTorch)."""
    if out is None:
        return _finish(array, dtype, device, requires_grad)
    from .elementwise import copy_into_out
    copy_into_out(make_tensor(_on_device(array, out._device), dtype, out._device), out, name)
    if requires_grad:
        require_grad(out)
    return out


# PyTorch's names of C++ types in its 'value cannot be converted' errors
_CTYPE = {'bool': 'bool', 'uint8': 'uint8_t', 'int8': 'int8_t', 'int16': 'int16_t',
          'int32': 'int', 'int64': 'int64_t', 'float16': 'c10::Half',
          'bfloat16': 'c10::BFloat16', 'float32': 'float', 'float64': 'double',
          'complex64': 'c10::complex<float>', 'complex128': 'c10::complex<double>'}


# The largest finite float16 and bfloat16 values.
_HALF_MAX = {'float16': 65504.0, 'bfloat16': 3.3895313892515355e38}


def _check_scalar(value, d, type_name=None, check_half=False):
    """PyTorch's checked conversion of a Python number to dtype ``d``: RuntimeError when
    the value cannot be represented (unsigned types also take negatives down to -max,
    which wrap; infinities are never checked). float16/bfloat16 are checked against their
    largest finite value only with ``check_half``: PyTorch's fill kernel checks them, its
    one-element fill and its indexed writes do not."""
    name = _CTYPE[d.name] if type_name is None else type_name
    message = f'value cannot be converted to type {name} without overflow'
    if isinstance(value, complex):
        if d.category < _COMPLEX and value.imag != 0 and d is not dt.bool:
            raise RuntimeError(message)
        value = value.real if d.category < _COMPLEX else value
    if d is dt.bool or d.category == _COMPLEX or isinstance(value, bool):
        return
    if d.category == _INT:
        if value != value:  # NaN
            raise RuntimeError(message)
        info = np.iinfo(d.numpy_dtype)
        low = -int(info.max) if info.min == 0 else int(info.min)
        if isinstance(value, float):
            if math.isinf(value) or not float(low) <= value <= float(info.max):
                raise RuntimeError(message)
        elif not low <= value <= info.max:
            raise RuntimeError(message)
    elif d is dt.float32 and isinstance(value, (int, float)) and not math.isinf(value) and \
            abs(value) > 3.4028234663852886e38:
        raise RuntimeError(message)
    elif check_half and d.name in _HALF_MAX and isinstance(value, (int, float)) and \
            not math.isinf(value) and abs(value) > _HALF_MAX[d.name]:
        raise RuntimeError(message)


# ---------------------------------------------------------------------------------------
# dtype inference for Python data (PyTorch's rules)
# ---------------------------------------------------------------------------------------
_PY_DTYPES = {bool: dt.bool, int: dt.int64}


def _leaf_dtype(leaf):
    """dtype PyTorch infers for one element of nested data; errors like PyTorch's."""
    kind = type(leaf)
    d = _PY_DTYPES.get(kind)
    if d is not None:
        return d
    if kind is float:
        return dt.get_default_dtype()
    if kind is complex:
        return dt.default_complex_dtype()
    if isinstance(leaf, Tensor):
        return leaf._dtype
    if isinstance(leaf, (np.generic, np.ndarray)):
        return dt.from_numpy_dtype(leaf.dtype)
    if isinstance(leaf, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{kind.__name__}'")
    raise RuntimeError(f'Could not infer dtype of {kind.__name__}')


def _is_sequence(x):
    return isinstance(x, (list, tuple, _builtin_range)) or \
        (isinstance(x, np.ndarray) and x.ndim > 0)


def _sizes_of(data):
    """The shape PyTorch reads from nested sequences: lengths along the first elements."""
    sizes = []
    x = data
    while _is_sequence(x) or isinstance(x, str):
        if isinstance(x, str):
            raise ValueError("too many dimensions 'str'")
        if isinstance(x, np.ndarray):
            sizes.extend(x.shape)
            break
        sizes.append(len(x))
        if not len(x):
            break
        x = x[0]
    return sizes


class _Scan:
    """One walk over nested data: checks it is rectangular (PyTorch's messages) and
    collects the element types; tensors among the elements are noted for conversion."""

    def __init__(self, sizes):
        self.sizes = sizes
        self.types = set()
        self.special = []   # tensors / arrays whose dtype each need a look
        self.has_tensors = False

    def walk(self, seq, dim):
        sizes = self.sizes
        if isinstance(seq, np.ndarray):
            if list(seq.shape) != sizes[dim:]:
                got = seq.shape[0] if seq.ndim else 0
                raise ValueError(f'expected sequence of length {sizes[dim]} at dim {dim} '
                                 f'(got {got})')
            self.special.append(seq)
            return
        if not _is_sequence(seq):
            raise TypeError('not a sequence')
        if len(seq) != sizes[dim]:
            raise ValueError(f'expected sequence of length {sizes[dim]} at dim {dim} '
                             f'(got {len(seq)})')
        if dim == len(sizes) - 1:
            types = set(map(type, seq))
            self.types |= types
            if not types <= {float, int, bool, complex}:
                for item in seq:
                    if isinstance(item, (list, tuple, _builtin_range)):
                        self.types.discard(type(item))
                        self.leaf_sequence = item
                    elif isinstance(item, Tensor):
                        if item._data.size != 1:
                            raise ValueError('only one element tensors can be converted to '
                                             'Python scalars')
                        self.has_tensors = True
                        self.special.append(item)
                    elif isinstance(item, np.ndarray):
                        self.special.append(item)
            return
        for item in seq:
            self.walk(item, dim + 1)

    leaf_sequence = None


def _with_items(seq):
    """Nested lists with tensors replaced by their Python values."""
    if isinstance(seq, Tensor):
        return seq.item()
    if isinstance(seq, (list, tuple)):
        return [_with_items(x) for x in seq]
    return seq


_NUMBER_TYPES = frozenset((float, int, bool, complex))
_ROW_TYPES = frozenset((list, tuple))


def _simple_scan(data):
    """Shape and element types of a flat list, or of a rectangular list of flat lists, of
    Python numbers (the common cases, scanned quickly); None for anything else."""
    kinds = set(map(type, data))
    if kinds <= _NUMBER_TYPES:
        return [len(data)], kinds
    if not kinds <= _ROW_TYPES:
        return None
    n = len(data[0])
    leaves = set()
    for row in data:
        if len(row) != n:
            return None
        leaves.update(map(type, row))
    if not leaves or leaves <= _NUMBER_TYPES:
        return [len(data), n], leaves
    return None


def _sequence_array(data):
    """(NumPy array, inferred dtype) for nested Python data."""
    simple = _simple_scan(data) if data else None
    if simple is not None:
        sizes, kinds = simple
        inferred = None
        for kind in kinds:
            d = _leaf_dtype_of_type(kind)
            inferred = d if inferred is None else dt.promote_types(inferred, d)
        if inferred is None:
            inferred = dt.get_default_dtype()
        return _build(data, sizes, inferred), inferred
    sizes = _sizes_of(data)
    scan = _Scan(sizes)
    if sizes:
        scan.walk(data, 0)
    inferred = None
    for kind in scan.types:
        if kind in (Tensor, np.ndarray) or issubclass(kind, (Tensor, np.ndarray)):
            continue
        if kind is float:
            d = dt.get_default_dtype()
        elif kind in _PY_DTYPES:
            d = _PY_DTYPES[kind]
        elif kind is complex:
            d = dt.default_complex_dtype()
        elif issubclass(kind, np.generic):
            d = dt.from_numpy_dtype(np.dtype(kind))
        else:
            raise _leaf_error(kind)
        inferred = d if inferred is None else dt.promote_types(inferred, d)
    for item in scan.special:
        d = _leaf_dtype(item)
        inferred = d if inferred is None else dt.promote_types(inferred, d)
    if inferred is None:
        inferred = dt.get_default_dtype()
    if scan.leaf_sequence is not None:
        kind = type(scan.leaf_sequence).__name__
        if inferred.category == _INT or inferred is dt.bool:
            raise TypeError(f"'{kind}' object cannot be interpreted as an integer")
        raise TypeError(f'must be real number, not {kind}')
    if scan.has_tensors:
        data = _with_items(data)
    return _build(data, sizes, inferred), inferred


def _leaf_dtype_of_type(kind):
    if kind is float:
        return dt.get_default_dtype()
    if kind is complex:
        return dt.default_complex_dtype()
    return _PY_DTYPES[kind]


def _build(data, sizes, inferred):
    """The NumPy array of checked nested data in the inferred dtype."""
    # Python floats are doubles: parse them exactly and let the final cast round once (to
    # float, then to half types, as PyTorch does), whatever dtype the caller asks for.
    np_type = np.dtype(np.float64) if inferred.category == _FLOAT else \
        np.dtype(np.complex128) if inferred.category == _COMPLEX else inferred.numpy_dtype
    try:
        array = np.array(data, dtype=np_type)
    except OverflowError:
        raise ValueError('Overflow when unpacking long long') from None
    if array.shape != tuple(sizes):
        array = array.reshape(sizes)
    return array


def _leaf_error(kind):
    if issubclass(kind, (str, bytes)):
        return TypeError(f"new(): invalid data type '{kind.__name__}'")
    return RuntimeError(f'Could not infer dtype of {kind.__name__}')


def _check_numpy(array):
    dt.from_numpy_dtype(array.dtype)
    if any(s < 0 for s in array.strides):
        raise ValueError('At least one stride in the given numpy array is negative, and tensors '
                         'with negative strides are not currently supported. (You can probably '
                         'work around this by making a copy of your array  with array.copy().) ')


def _infer_array(data):
    """A NumPy array and its ember dtype for ``data``, with PyTorch's inference; the third
    value says whether the data were Python numbers (whose conversion PyTorch checks)."""
    if isinstance(data, Tensor):
        return data._host_array(), data._dtype, False
    if isinstance(data, np.ndarray):
        _check_numpy(data)
        return data, dt.from_numpy_dtype(data.dtype), False
    if isinstance(data, np.generic):
        array = np.asarray(data)
        return array, dt.from_numpy_dtype(array.dtype), False
    kind = type(data)
    if kind is float or kind is int or kind is bool or kind is complex:
        d = _leaf_dtype(data)
        if d is dt.int64 and not -2 ** 63 <= data < 2 ** 63:
            raise ValueError('Overflow when unpacking long long')
        np_type = np.float64 if kind is float else np.complex128 if kind is complex \
            else d.numpy_dtype
        return np.asarray(data, dtype=np_type), d, True
    if isinstance(data, (list, tuple, _builtin_range)):
        array, d = _sequence_array(data)
        return array, d, True
    if isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{kind.__name__}'")
    if hasattr(data, '__array__') or hasattr(data, '__array_interface__'):
        array = np.asarray(data)
        _check_numpy(array)
        return array, dt.from_numpy_dtype(array.dtype), False
    raise RuntimeError(f'Could not infer dtype of {kind.__name__}')


def _check_python_values(array, target):
    """PyTorch checks Python numbers against an integer target dtype (and refuses complex
    numbers for a real one)."""
    if array.dtype.kind == 'c' and target.category < _COMPLEX:
        raise TypeError('must be real number, not complex')
    if target.category != _INT or not array.size:
        return
    if array.dtype.kind in 'iuf':
        info = np.iinfo(target.numpy_dtype)
        low = -int(info.max) if info.min == 0 else int(info.min)
        bad = (array < low) | (array > info.max)
        if array.dtype.kind == 'f':
            bad |= np.isnan(array)
        if bad.any():
            raise RuntimeError(f'value cannot be converted to type {target.name} without '
                               'overflow')


def _cast(array, target, copy=True):
    """``array`` in ``target``'s NumPy type (a copy unless ``copy=False`` and no cast is
    needed), keeping a dense layout's strides as PyTorch's copies do."""
    np_type = target.numpy_dtype
    if array.dtype.kind == 'c' and target.category < _COMPLEX:
        warnings.warn('Casting complex values to real discards the imaginary part',
                      UserWarning, stacklevel=4)
        array = array.real
    if (target is dt.float16 or target is dt.bfloat16) and array.dtype.itemsize == 8 and \
            array.dtype.kind == 'f':
        array = array.astype(np.float32)   # PyTorch narrows double through float
    if not copy and array.dtype == np_type:
        return array
    if array.ndim > 1 and not array.flags.c_contiguous and not _dense(array):
        return np.ascontiguousarray(array, dtype=np_type)
    return np.array(array, dtype=np_type, order='K', copy=True)


def _dense(array):
    """Whether an array's elements fill its memory span exactly (PyTorch's
    non-overlapping-and-dense), so a copy may keep its strides."""
    item = array.itemsize
    dims = sorted((abs(s), n) for n, s in zip(array.shape, array.strides) if n != 1)
    expected = item
    for stride, n in dims:
        if stride != expected:
            return False
        expected *= n
    return True


def _strides_of(array, source):
    """PyTorch's strides for a copy of ``source`` (None when NumPy reports them already)."""
    if source.ndim < 2 or source.flags.c_contiguous or not _dense(source):
        return None
    return tuple(s // source.itemsize for s in source.strides)


# ---------------------------------------------------------------------------------------
# tensors from data
# ---------------------------------------------------------------------------------------
def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (a number, nested sequences, an array, a tensor).

    Floats become the default dtype, ints int64 and bools bool unless ``dtype`` says
    otherwise; mixed data takes the promoted type. Ragged data raise ValueError.
    """
    _check_dtype(dtype, 'tensor')
    if isinstance(data, Tensor):
        warnings.warn('To copy construct from a tensor, it is recommended to use '
                      'sourceTensor.detach().clone() or '
                      'sourceTensor.detach().clone().requires_grad_(True), rather than '
                      'torch.tensor(sourceTensor).', UserWarning, stacklevel=2)
    array, inferred, python = _infer_array(data)
    target = inferred if dtype is None else dtype
    if python and dtype is not None:
        _check_python_values(array, dtype)
    device = to_device(device) if device is not None else (
        data._device if isinstance(data, Tensor) else to_device(None))
    copy = _cast(array, target, copy=not python)
    t = _finish(copy, target, device, requires_grad)
    if not python:
        t._stride = _strides_of(copy, array)
    return t


def as_tensor(data, *, dtype=None, device=None):
    """``data`` as a tensor, sharing memory when it already is a cpu array or tensor of the
    requested dtype and device; otherwise a copy like ``tensor``."""
    _check_dtype(dtype, 'as_tensor')
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype)
    if isinstance(data, np.ndarray) and (device is None or to_device(device) is CPU):
        t = from_numpy(data)
        return t if dtype is None or dtype is t._dtype else t.to(dtype)
    return tensor(data, dtype=dtype, device=device)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """``obj`` as a tensor, sharing memory when possible (``copy=True`` forces a copy)."""
    if copy:
        result = tensor(obj, dtype=dtype, device=device) if not isinstance(obj, Tensor) \
            else obj.detach().to(device=device, dtype=dtype, copy=True)
    else:
        result = as_tensor(obj, dtype=dtype, device=device)
    if requires_grad:
        require_grad(result)
    return result


def from_numpy(ndarray):
    """A cpu tensor sharing memory with a NumPy array (changes show in both)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f'expected np.ndarray (got {type(ndarray).__name__})')
    d = dt.from_numpy_dtype(ndarray.dtype)
    _check_numpy(ndarray)
    item = ndarray.itemsize
    if any(s % item for s in ndarray.strides):
        raise ValueError('given numpy array strides not a multiple of the element byte size. '
                         'Copy the numpy array to reallocate the memory.')
    if not ndarray.flags.writeable and not _warned_read_only:
        _warned_read_only.append(True)   # once per program, as PyTorch
        warnings.warn('The given NumPy array is not writable, and PyTorch does not support '
                      'non-writable tensors. This means writing to this tensor will result in '
                      'undefined behavior. You may want to copy the array to protect its data '
                      'or make it writable before converting it to a tensor. This type of '
                      'warning will be suppressed for the rest of this program.', UserWarning,
                      stacklevel=2)
    return make_tensor(ndarray, d, CPU)


_warned_read_only = []


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False, layout=None,
                  pin_memory=False):
    """A 0-d tensor holding the number ``s`` (default dtype unless ``dtype``)."""
    d = _check_dtype(dtype, 'scalar_tensor') or dt.get_default_dtype()
    s = _number(s, 'scalar_tensor')
    if isinstance(s, complex) and d.category < _COMPLEX:
        raise RuntimeError('value cannot be converted to type double without overflow')
    return _finish(np.asarray(s).astype(d.numpy_dtype), d, to_device(device), requires_grad)


# ---------------------------------------------------------------------------------------
# filled tensors
# ---------------------------------------------------------------------------------------
def _filled(shape, fill, dtype, device, requires_grad, out, name, memory_format=None):
    d = _out_dtype(_check_dtype(dtype, name), out, name) or dt.get_default_dtype()
    np_type = d.numpy_dtype
    if fill is None:
        array = _empty_in_format(shape, np_type, memory_format)
    elif fill == 0:
        array = np.zeros(shape, dtype=np_type)
    else:
        array = np.full(shape, fill, dtype=np_type)
    return _result(array, d, to_device(device), requires_grad, out, name)


def _empty_in_format(shape, np_type, memory_format):
    from .. import _memory_format as mf
    if memory_format is None or memory_format is mf.contiguous_format or \
            memory_format is mf.preserve_format:
        return np.empty(shape, dtype=np_type)
    rank = {mf.channels_last: 4, mf.channels_last_3d: 5}[memory_format]
    if len(shape) != rank:
        raise RuntimeError(f'required rank {rank} tensor to use {memory_format.name} format')
    # channels last: N, spatial dims..., C in memory
    order = (0,) + tuple(_builtin_range(2, rank)) + (1,)
    inverse = (0, rank - 1) + tuple(_builtin_range(1, rank - 1))
    return np.empty(tuple(shape[i] for i in order), dtype=np_type).transpose(inverse)


def zeros(*sizes, size=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False, names=None):
    """A tensor filled with 0: ``zeros(2, 3)``, ``zeros((2, 3))`` or ``zeros(size=(2, 3))``
    (default dtype unless ``dtype``)."""
    return _filled(_sizes(sizes, size, 'zeros'), 0, dtype, device, requires_grad, out,
                   'zeros')


def ones(*sizes, size=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False, names=None):
    """A tensor filled with 1."""
    return _filled(_sizes(sizes, size, 'ones'), 1, dtype, device, requires_grad, out, 'ones')


def empty(*sizes, size=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False, memory_format=None, names=None):
    """An uninitialised tensor (its values are whatever memory held);
    ``memory_format=channels_last`` lays out 4-d tensors channels-last."""
    return _filled(_sizes(sizes, size, 'empty'), None, dtype, device, requires_grad, out,
                   'empty', memory_format)


def _fill_number(value, name):
    """A fill value as a Python number (0-d tensors and NumPy scalars included)."""
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise TypeError(f"{name}(): argument 'fill_value' (position 2) must be Number, "
                            f"not Tensor")
        return value.item()
    if isinstance(value, np.generic):
        return value.item()
    if not isinstance(value, (int, float, complex)):
        raise TypeError(f"{name}(): argument 'fill_value' (position 2) must be Number, not "
                        f"{type(value).__name__}")
    return value


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False, names=None):
    """A tensor of shape ``size`` filled with ``fill_value``; its dtype follows the value
    (bool, int64, default float or complex) unless ``dtype`` is given."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    fill_value = _fill_number(fill_value, 'full')
    d = _out_dtype(_check_dtype(dtype, 'full'), out, 'full') or dt.scalar_dtype(fill_value)
    shape = parse_size((size,), 'full')
    _check_scalar(fill_value, d, check_half=math.prod(shape) != 1)
    array = np.full(shape, _as_fill(fill_value, d), dtype=d.numpy_dtype)
    return _result(array, d, to_device(device), requires_grad, out, 'full')


def _as_fill(value, d):
    """A checked fill value in a form NumPy stores the way PyTorch converts it."""
    if isinstance(value, complex) and d.category < _COMPLEX:
        value = value.real
    if d.category == _INT and not isinstance(value, bool):
        return np.array(value).astype(np.float64 if isinstance(value, float) else np.int64) \
            .astype(d.numpy_dtype)   # truncation, and wrapping for unsigned types
    if d.name in _HALF_MAX and isinstance(value, float):
        with np.errstate(over='ignore'):   # a checked value may still round to infinity
            return np.array(value).astype(d.numpy_dtype)
    return value


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False):
    """An uninitialised tensor with the given strides (in elements)."""
    from numpy.lib.stride_tricks import as_strided
    d = _check_dtype(dtype, 'empty_strided') or dt.get_default_dtype()
    size = parse_size((tuple(size),), 'empty_strided')
    stride = tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError(f'dimensionality of sizes ({len(size)}) must match dimensionality '
                           f'of strides ({len(stride)})')
    extent = 1 + sum((s - 1) * st for s, st in zip(size, stride)) if all(size) else 0
    buffer = np.empty(max(extent, 0), dtype=d.numpy_dtype)
    array = as_strided(buffer, size, tuple(s * d.itemsize for s in stride))
    base = make_tensor(buffer, d, to_device(device))
    t = make_view(base, _on_device(array, base._device), stride, keep_base=False)
    if requires_grad:
        require_grad(t)
    return t


def _like(input, fill, dtype, device, requires_grad, memory_format, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{_args.type_name(input)}")
    d = _check_dtype(dtype, name) or input._dtype
    device = to_device(device) if device is not None else input._device
    src = input._data
    np_type = d.numpy_dtype
    preserve = memory_format is None or getattr(memory_format, 'name', '') == \
        'preserve_format'
    if preserve and src.ndim > 1 and not src.flags.c_contiguous and device is CPU and \
            type(src) is np.ndarray:
        # keep the input's layout (its dim order) as PyTorch's preserve_format does
        array = np.empty_like(src, dtype=np_type, order='K')
        if fill is not None:
            array[...] = fill
        t = _finish(array, d, device, requires_grad)
        t._stride = _strides_of(array, src) if _dense(src) else None
        return t
    if fill is None:
        array = _empty_in_format(src.shape, np_type, None if preserve else memory_format)
    else:
        array = np.full(src.shape, fill, dtype=np_type)
    return _finish(array, d, device, requires_grad)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    """Zeros with the shape (and by default dtype, device and layout) of ``input``."""
    return _like(input, 0, dtype, device, requires_grad, memory_format, 'zeros_like')


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    """Ones with the shape (and by default dtype, device and layout) of ``input``."""
    return _like(input, 1, dtype, device, requires_grad, memory_format, 'ones_like')


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    """An uninitialised tensor shaped like ``input``."""
    return _like(input, None, dtype, device, requires_grad, memory_format, 'empty_like')


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    """``fill_value`` in the shape (and by default dtype and device) of ``input``."""
    fill_value = _fill_number(fill_value, 'full_like')
    d = _check_dtype(dtype, 'full_like') or (input._dtype if isinstance(input, Tensor)
                                             else None)
    if d is not None:
        _check_scalar(fill_value, d)
        fill_value = _as_fill(fill_value, d)
    return _like(input, fill_value, dtype, device, requires_grad, memory_format, 'full_like')


# ---------------------------------------------------------------------------------------
# exact floating point helpers (PyTorch's kernels use fused multiply-adds)
# ---------------------------------------------------------------------------------------
def _fma32(a, b, c):
    """float32 ``a * b + c`` rounded once: the product is exact in float64, and the sum is
    rounded to odd there so that the final rounding to float32 is correct."""
    p = np.asarray(a, np.float64) * np.asarray(b, np.float64)
    c = np.asarray(c, np.float64)
    s = p + c
    back = s - p
    err = (p - (s - back)) + (c - back)
    even = (np.asarray(s).view(np.uint64) & np.uint64(1)) == 0
    s = np.where((err != 0) & even, np.nextafter(s, np.where(err > 0, np.inf, -np.inf)), s)
    return s.astype(np.float32)


def _fma64(a, b, c):
    """float64 ``a * b + c`` with one rounding (error-free product and sum)."""
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    c = np.asarray(c, np.float64)
    p = a * b

    def split(x):
        t = x * 134217729.0
        hi = t - (t - x)
        return hi, x - hi
    ah, al = split(a)
    bh, bl = split(b)
    p_err = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    back = s - p
    s_err = (p - (s - back)) + (c - back)
    return s + (s_err + p_err)


# ---------------------------------------------------------------------------------------
# ranges
# ---------------------------------------------------------------------------------------
def _number(x, name):
    """A range argument as a Python number (0-d tensors and NumPy scalars included)."""
    if isinstance(x, Tensor):
        x = x.item()
    elif isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, bool):
        return int(x)
    if not isinstance(x, (int, float, complex)):
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        f"({type(x).__name__}), but expected numbers")
    return x


def _real(x):
    if isinstance(x, complex):
        raise RuntimeError('value cannot be converted to type double without overflow')
    return x


# PyTorch's CPU kernels fill 32-byte vectors: a block of 32 / itemsize values starts from a
# base rounded to the output type (its vectorised loop runs over pairs of blocks, the rest
# element by element).
_VECTOR_BYTES = 32


def _arange_float(start, step, n, d):
    """PyTorch's arange values for a floating dtype, bit for bit: ``start + step * i``
    as one fused multiply-add in the accumulate type (double; float for 16-bit types)."""
    fma = _fma64 if d.itemsize >= 4 else _fma32
    acc = np.float64 if d.itemsize >= 4 else np.float32
    out_type = d.numpy_dtype
    a, s = acc(start), acc(step)
    values = np.asarray(fma(s, np.arange(n, dtype=acc), a))
    block = _VECTOR_BYTES // d.itemsize
    blocked = n // (2 * block) * (2 * block)
    if blocked:
        # each block starts from its first value rounded to the output type
        bases = np.asarray(fma(s, np.arange(0, blocked, block, dtype=acc), a))
        bases = _narrow(bases, out_type).astype(acc)
        within = np.arange(block, dtype=acc)
        values[:blocked] = np.asarray(fma(s, within[None, :], bases[:, None])).reshape(-1)
    return _narrow(values, out_type)


def _narrow(values, out_type):
    """float64/float32 values rounded to ``out_type`` (16-bit types through float32, as
    PyTorch converts)."""
    if np.dtype(out_type).itemsize == 2 and values.dtype.itemsize == 8:
        values = values.astype(np.float32)
    return values.astype(out_type)


def arange(start=None, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False, pin_memory=False):
    """Values from ``start`` to ``end`` (exclusive) by ``step``: int64 for integer arguments,
    the default dtype when any is a float. ``arange(n)`` counts from 0."""
    if end is None:
        if start is None:
            raise TypeError("arange() missing 1 required positional argument: 'end'")
        start, end = 0, start
    elif start is None:
        start = 0
    start = _real(_number(start, 'arange'))
    end = _real(_number(end, 'arange'))
    step = _real(_number(step, 'arange'))
    is_float = isinstance(start, float) or isinstance(end, float) or isinstance(step, float)
    d = _out_dtype(_check_dtype(dtype, 'arange'), out, 'arange') or (
        dt.get_default_dtype() if is_float else dt.int64)
    if d is dt.bool or d.is_complex:
        raise NotImplementedError(f'"arange_cpu" not implemented for '
                                  f'\'{d._tensor_type[:-6]}\'')
    integral = d.category == _INT
    if integral:
        # PyTorch reads the arguments in its accumulate type (int64), truncating floats
        for v in (start, end, step):
            if isinstance(v, float) and not math.isfinite(v):
                raise RuntimeError(f'unsupported range: {start} -> {end}')
        xstart, xend, xstep = int(start), int(end), int(step)
        if xstep == 0 and step != 0:
            raise ValueError('step must be nonzero')   # PyTorch's message for a step < 1
    else:
        xstart, xend, xstep = float(start), float(end), float(step)
    if xstep == 0:
        raise RuntimeError('step must be nonzero')
    if not (math.isfinite(xstart) and math.isfinite(xend)):
        raise RuntimeError(f'unsupported range: {xstart} -> {xend}')
    if not ((xstep > 0 and xend >= xstart) or (xstep < 0 and xend <= xstart)):
        raise RuntimeError('upper bound and lower bound inconsistent with step sign')
    if d is dt.int64:
        sign = 1 if xstep > 0 else -1
        num = xend - xstart + xstep - sign
        size = abs(num) // abs(xstep) * (1 if (num >= 0) == (xstep > 0) else -1)
    else:
        size_d = math.ceil((float(end) - float(start)) / float(step)) \
            if math.isfinite((float(end) - float(start)) / float(step)) else math.inf
        if not 0 <= size_d <= 2 ** 63 - 1:
            raise RuntimeError('invalid size, possible overflow?')
        size = int(size_d)
    if size > 2 ** 40:
        raise RuntimeError('invalid size, possible overflow?')
    if integral:
        values = (xstart + xstep * np.arange(size, dtype=np.int64)).astype(d.numpy_dtype)
    else:
        values = _arange_float(xstart, xstep, size, d)
    return _result(values, d, to_device(device), requires_grad, out, 'arange')


def range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None,  # noqa: A001
          device=None, requires_grad=False):
    """Deprecated in PyTorch: like ``arange`` but including ``end``; default dtype."""
    warnings.warn('torch.range is deprecated and will be removed in a future release because '
                  'its behavior is inconsistent with Python\'s range builtin. Instead, use '
                  'torch.arange, which produces values in [start, end).', UserWarning,
                  stacklevel=2)
    if end is None:
        start, end = 0, start
    start, end, step = (_real(_number(v, 'range')) for v in (start, end, step))
    d = _out_dtype(_check_dtype(dtype, 'range'), out, 'range') or dt.get_default_dtype()
    if step == 0:
        raise RuntimeError('step must be nonzero')
    if not ((step > 0 and end >= start) or (step < 0 and end <= start)):
        raise RuntimeError('upper bound and lower bound inconsistent with step sign')
    n = int((end - start) / step) + 1
    values = start + step * np.arange(n, dtype=np.float64)
    return _result(values.astype(d.numpy_dtype), d, to_device(device), requires_grad, out,
                   'range')


def _steps_arg(steps, name):
    if isinstance(steps, Tensor):
        steps = steps.__index__()
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral):
        raise TypeError(f"{name}(): argument 'steps' must be int, not {type(steps).__name__}")
    steps = int(steps)
    if steps < 0:
        raise RuntimeError('number of steps must be non-negative')
    return steps


def _to_scalar_type(value, d):
    """PyTorch's ``Scalar.to<T>()`` of a range end: checked, truncating, wrapping."""
    if d.category == _INT:
        _check_scalar(value, d)
        return int(np.array(int(value) if isinstance(value, float) else value)
                   .astype(d.numpy_dtype))
    return value


def _halves(steps):
    idx = np.arange(steps, dtype=np.int64)
    half = steps // 2
    return idx[:half], steps - idx[half:] - 1


def _linspace_real(start, end, steps, d):
    """PyTorch's linspace for one real dtype: from the start for the first half, from the
    end for the second, each value one fused multiply-add in the output's precision."""
    low, high = _halves(steps)
    out = np.empty(steps, dtype=np.float64 if d.category == _INT else d.numpy_dtype)
    if d.category == _INT:
        s, e = float(start), float(end)
        step = (e - s) / (steps - 1)
        out[:len(low)] = _fma64(step, low, s)
        out[len(low):] = _fma64(-step, high, e)
        return np.trunc(out).astype(d.numpy_dtype)
    if d is dt.float64:
        s, e = np.float64(start), np.float64(end)
        step = (e - s) / np.float64(steps - 1)
        out[:len(low)] = _fma64(step, low, s)
        out[len(low):] = _fma64(-step, high, e)
    elif d is dt.float32:
        s, e = np.float32(start), np.float32(end)
        step = (e - s) / np.float32(steps - 1)
        out[:len(low)] = _fma32(step, low.astype(np.float32), s)
        out[len(low):] = _fma32(-step, high.astype(np.float32), e)
    else:
        # float16 / bfloat16: every operation rounds to the 16-bit type
        t, f = d.numpy_dtype, np.float32
        s = np.asarray(np.float32(start)).astype(t)
        e = np.asarray(np.float32(end)).astype(t)
        diff = np.asarray(e.astype(f) - s.astype(f)).astype(t)
        step = np.asarray(diff.astype(f) / np.asarray(f(steps - 1)).astype(t).astype(f)) \
            .astype(t).astype(f)
        lo = (step * low.astype(t).astype(f)).astype(t).astype(f)
        hi = (step * high.astype(t).astype(f)).astype(t).astype(f)
        out[:len(low)] = (s.astype(f) + lo).astype(t)
        out[len(low):] = (e.astype(f) - hi).astype(t)
    return out


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive (default dtype, or
    the default complex dtype for complex ends)."""
    start, end = _number(start, 'linspace'), _number(end, 'linspace')
    steps = _steps_arg(steps, 'linspace')
    is_complex = isinstance(start, complex) or isinstance(end, complex)
    d = _out_dtype(_check_dtype(dtype, 'linspace'), out, 'linspace') or (
        dt.default_complex_dtype() if is_complex else dt.get_default_dtype())
    if d is dt.bool:
        raise NotImplementedError('"linspace_cpu" not implemented for \'Bool\'')
    if steps == 0:
        values = np.empty(0, dtype=d.numpy_dtype)
    elif steps == 1:
        values = np.array([_as_fill(_real(start) if d.category < _COMPLEX else start, d)],
                          dtype=d.numpy_dtype)
    elif d.is_complex:
        part = d.to_real()
        start, end = complex(start), complex(end)
        values = (_linspace_real(start.real, end.real, steps, part) +
                  1j * _linspace_real(start.imag, end.imag, steps, part)).astype(d.numpy_dtype)
    else:
        start, end = _real(start), _real(end)
        if d.category == _INT:
            start, end = _to_scalar_type(start, d), _to_scalar_type(end, d)
        values = _linspace_real(start, end, steps, d)
    return _result(values, d, to_device(device), requires_grad, out, 'linspace')


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    """``base ** linspace(start, end, steps)``, computed as PyTorch does (exponents in
    double precision from both ends)."""
    start, end = _number(start, 'logspace'), _number(end, 'logspace')
    base = float(_real(_number(base, 'logspace')))
    steps = _steps_arg(steps, 'logspace')
    d = _out_dtype(_check_dtype(dtype, 'logspace'), out, 'logspace') or (
        dt.default_complex_dtype() if isinstance(start, complex) or isinstance(end, complex)
        else dt.get_default_dtype())
    narrow = np.float32 if d.itemsize == 2 and d.is_floating_point else None
    with np.errstate(invalid='ignore', over='ignore', divide='ignore'):
        if steps == 0:
            values = np.empty(0, dtype=np.float64)
        elif d.is_complex:
            exps = np.linspace(complex(start), complex(end), steps)
            values = np.power(complex(base), exps) if steps > 1 else \
                np.array([complex(base) ** complex(start)])
        elif steps == 1:
            values = _c_pow(base, np.array([float(_real(start))]))
        else:
            s = _linspace_end(_real(start), d)
            e = _linspace_end(_real(end), d)
            step = float(_subtract_in(e, s, d)) / (steps - 1)
            low, high = _halves(steps)
            exps = np.concatenate([float(s) + step * low, float(e) - step * high])
            values = _c_pow(base, exps)
        if narrow is not None:
            values = values.astype(narrow)
        if d.category == _INT:
            values = np.trunc(values)
        values = values.astype(d.numpy_dtype)
    return _result(values, d, to_device(device), requires_grad, out, 'logspace')


def _c_pow(base, exps):
    """``base ** exps`` with the C library's pow (NumPy's own float64 pow can differ from it
    in the last bit; PyTorch calls the C library)."""
    out = np.power(np.float64(base), exps)
    pow_ = math.pow
    for i, x in enumerate(exps.tolist()):
        try:
            out[i] = pow_(base, x)
        except (ValueError, OverflowError):
            pass   # NumPy's nan/inf stand
    return out


def _linspace_end(value, d):
    """A logspace end read in the output dtype (as PyTorch's ``Scalar.to<T>()``)."""
    if d.category == _INT:
        return _to_scalar_type(value, d)
    return np.asarray(np.float64(value)).astype(np.float32 if d.itemsize == 2 else
                                                d.numpy_dtype).astype(d.numpy_dtype)[()]


def _subtract_in(e, s, d):
    if d.category == _INT:
        return e - s
    return np.asarray(np.asarray(e) - np.asarray(s)).astype(
        np.float32 if d.itemsize == 2 else d.numpy_dtype).astype(d.numpy_dtype)[()]


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
        pin_memory=False):
    """A 2-D tensor with ones on the diagonal (``n`` rows, ``m`` columns, default ``n``)."""
    for name, v in (('n', n), ('m', m)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, numbers.Integral)):
            raise TypeError(f"eye(): argument '{name}' must be int, not {type(v).__name__}")
    if n < 0:
        raise RuntimeError(f'n must be greater or equal to 0, got {n}')
    if m is None:
        m = n
    elif m < 0:
        raise RuntimeError(f'm must be greater or equal to 0, got {m}')
    d = _out_dtype(_check_dtype(dtype, 'eye'), out, 'eye') or dt.get_default_dtype()
    return _result(np.eye(int(n), int(m), dtype=d.numpy_dtype), d, to_device(device),
                   requires_grad, out, 'eye')


# ---------------------------------------------------------------------------------------
# legacy constructors: ember.Tensor(...), ember.FloatTensor(...)
# ---------------------------------------------------------------------------------------
def legacy_new(dtype, args, device, exact_dtype=True):
    """``Tensor(sizes...)`` makes an uninitialised tensor; ``Tensor(data)`` copies data;
    ``Tensor(tensor)`` aliases it (``FloatTensor(tensor)`` only of its own dtype)."""
    device = to_device(device)
    if not args:
        return _finish(np.empty((0,), dtype=dtype.numpy_dtype), dtype, device, False)
    if len(args) == 1 and not isinstance(args[0], numbers.Integral):
        data = args[0]
        if isinstance(data, Tensor):
            if exact_dtype and data._dtype is not dtype:
                raise TypeError(f'expected {dtype} (got {data._dtype})')
            return make_view(data, data._data, data._stride, keep_base=False)
        from .._tensor import Size
        if isinstance(data, Size):
            return _finish(np.empty(tuple(data), dtype=dtype.numpy_dtype), dtype, device,
                           False)
        if isinstance(data, (float, complex)):
            raise TypeError(f'new(): data must be a sequence (got {type(data).__name__})')
        array, _, python = _infer_array(data)
        if python:
            _check_python_values(array, dtype)
        return _finish(_cast(array, dtype), dtype, device, False)
    shape = parse_size(args, 'Tensor')
    return _finish(np.zeros(shape, dtype=dtype.numpy_dtype), dtype, device, False)


def _legacy_type(name, dtype):
    def __new__(cls, *args, device=None):
        return legacy_new(dtype, args, device)

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj._dtype is dtype

    meta = type(name + 'Meta', (type,), {'__instancecheck__': __instancecheck__})
    return meta(name, (), {'__new__': __new__, 'dtype': dtype,
                           '__doc__': f'Legacy constructor of {dtype} tensors.'})


FloatTensor = _legacy_type('FloatTensor', dt.float32)
DoubleTensor = _legacy_type('DoubleTensor', dt.float64)
HalfTensor = _legacy_type('HalfTensor', dt.float16)
BFloat16Tensor = _legacy_type('BFloat16Tensor', dt.bfloat16)
IntTensor = _legacy_type('IntTensor', dt.int32)
LongTensor = _legacy_type('LongTensor', dt.int64)
ShortTensor = _legacy_type('ShortTensor', dt.int16)
CharTensor = _legacy_type('CharTensor', dt.int8)
ByteTensor = _legacy_type('ByteTensor', dt.uint8)
BoolTensor = _legacy_type('BoolTensor', dt.bool)


# ---------------------------------------------------------------------------------------
# new_* methods: factories taking dtype and device from ``self``
# ---------------------------------------------------------------------------------------
def _new_factory(fill, name):
    def method(self, *sizes, size=None, dtype=None, device=None, requires_grad=False,
               layout=None, pin_memory=False):
        d = _check_dtype(dtype, name) or self._dtype
        dev = self._device if device is None else to_device(device)
        return _filled(_sizes(sizes, size, name), fill, d, dev, requires_grad, None, name)
    method.__name__ = name
    method.__doc__ = f'``{name.replace("new_", "")}`` with ``self``\'s dtype and device.'
    return method


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False,
             layout=None, pin_memory=False):
    """``full`` with ``self``'s dtype and device."""
    return full(size, fill_value, dtype=dtype or self._dtype,
                device=self._device if device is None else device,
                requires_grad=requires_grad)


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, layout=None,
               pin_memory=False):
    """A copy of ``data`` with ``self``'s dtype and device (unless given)."""
    d = _check_dtype(dtype, 'new_tensor') or self._dtype
    dev = self._device if device is None else to_device(device)
    if isinstance(data, Tensor):
        warnings.warn('To copy construct from a tensor, it is recommended to use '
                      'sourceTensor.detach().clone() or '
                      'sourceTensor.detach().clone().requires_grad_(True), rather than '
                      'tensor.new_tensor(sourceTensor).', UserWarning, stacklevel=2)
        result = data.detach().to(device=dev, dtype=d, copy=True)
    else:
        array, _, python = _infer_array(data)
        if python:
            _check_python_values(array, d)
        result = _finish(_cast(array, d), d, dev, False)
    if requires_grad:
        require_grad(result)
    return result


def _new(self, *args, device=None):
    """Legacy ``self.new(...)``: ``Tensor(...)`` with ``self``'s dtype and device."""
    return legacy_new(self._dtype, args, device or self._device)


Tensor.new_zeros = _new_factory(0, 'new_zeros')
Tensor.new_ones = _new_factory(1, 'new_ones')
Tensor.new_empty = _new_factory(None, 'new_empty')
Tensor.new_full = new_full
Tensor.new_tensor = new_tensor
Tensor.new = _new
