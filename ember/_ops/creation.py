"""Factory functions: tensors from data, filled tensors, ranges, and the legacy constructors."""
import math
import numbers

import numpy as np

from .. import _dtype as dt
from .._device import CPU, to_device, backend_of
from .._tensor import Tensor, make_tensor, make_view

__all__ = ['tensor', 'as_tensor', 'from_numpy', 'zeros', 'ones', 'empty', 'full',
           'zeros_like', 'ones_like', 'empty_like', 'full_like', 'arange', 'range',
           'linspace', 'logspace', 'eye', 'empty_strided', 'scalar_tensor', 'asarray']

_builtin_range = range


def parse_size(size, name='size'):
    """Sizes given as ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` or ``f(Size)`` -> tuple."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    out = []
    for s in size:
        if isinstance(s, bool) or not isinstance(s, numbers.Integral):
            if isinstance(s, Tensor) and not s._dtype.is_floating_point and s._data.size == 1:
                s = s.item()
            else:
                raise TypeError(f"{name}(): argument 'size' must be tuple of ints, but found "
                                f"element of type {type(s).__name__} at pos {len(out)}")
        s = int(s)
        if s < 0:
            raise RuntimeError(f'Trying to create tensor with negative dimension {s}: '
                               f'{list(int(x) for x in size)}')
        out.append(s)
    return tuple(out)


def _on_device(array, device):
    """Move a freshly made NumPy array to ``device`` (a no-op for cpu)."""
    if device is CPU:
        return array
    return backend_of(device).from_host(array, device.index)


def _finish(array, dtype, device, requires_grad):
    t = make_tensor(_on_device(array, device), dtype, device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _write_out(result, out):
    if out is None:
        return result
    from .elementwise import copy_into_out
    return copy_into_out(result, out)


# ---------------------------------------------------------------------------------------
# from data
# ---------------------------------------------------------------------------------------
def _ragged_error(data):
    """Walk nested sequences to report the first length mismatch like PyTorch."""
    def walk(seq, dim):
        if isinstance(seq, (list, tuple)):
            lengths = None
            for item in seq:
                if isinstance(item, (list, tuple)):
                    if lengths is None:
                        lengths = len(item)
                    elif len(item) != lengths:
                        raise ValueError(f'expected sequence of length {lengths} at dim '
                                         f'{dim + 1} (got {len(item)})')
                    walk(item, dim + 1)
                elif lengths is not None:
                    raise TypeError(f'not a sequence')
    walk(data, 0)


def _infer_array(data):
    """A NumPy array and its ember dtype for nested Python data, with PyTorch's inference."""
    if isinstance(data, Tensor):
        return data._host_array(), data._dtype
    if isinstance(data, np.ndarray):
        return data, dt.from_numpy_dtype(data.dtype)
    if isinstance(data, (np.generic,)):
        arr = np.asarray(data)
        return arr, dt.from_numpy_dtype(arr.dtype)
    if isinstance(data, str):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    if isinstance(data, (bool, int, float, complex)):
        d = dt.scalar_dtype(data)
        if d is dt.int64 and not -2**63 <= data < 2**63:
            raise RuntimeError(f'Overflow when unpacking long')
        return np.asarray(data, dtype=d.numpy_dtype), d
    if not hasattr(data, '__len__') and not hasattr(data, '__array__'):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    try:
        array = np.array(data)
    except ValueError:
        _ragged_error(data)
        raise
    kind = array.dtype.kind
    if kind == 'f':
        has_numpy_float = _contains_numpy_float(data)
        d = dt.from_numpy_dtype(array.dtype) if has_numpy_float else dt.get_default_dtype()
    elif kind in 'iu':
        d = dt.int64 if array.dtype.itemsize <= 8 or kind == 'i' else dt.int64
        if _contains_tensor(data):
            d = _tensor_elements_dtype(data) or d
    elif kind == 'b':
        d = dt.bool
    elif kind == 'c':
        d = dt.default_complex_dtype()
    elif kind in 'US':
        raise ValueError(f"too many dimensions 'str'")
    elif kind == 'O':
        _ragged_error(data)
        raise TypeError(f"Could not infer dtype of {type(_first_leaf(data)).__name__}")
    else:
        raise TypeError(f"can't convert data of NumPy type {array.dtype}")
    if kind == 'f' and _contains_tensor(data):
        d = _tensor_elements_dtype(data) or d
    return array, d


def _first_leaf(data):
    while isinstance(data, (list, tuple)) and data:
        data = data[0]
    return data


def _contains_tensor(data):
    return isinstance(data, (list, tuple)) and bool(data) and \
        isinstance(_first_leaf(data), Tensor)


def _tensor_elements_dtype(data):
    leaf = _first_leaf(data)
    return leaf._dtype if isinstance(leaf, Tensor) else None


def _contains_numpy_float(data):
    leaf = _first_leaf(data)
    return isinstance(leaf, (np.floating, np.ndarray))


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (a number, nested sequences, an array, a tensor).

    Floats become the default dtype, ints int64 and bools bool unless ``dtype`` says otherwise.
    """
    if isinstance(data, Tensor):
        import warnings
        warnings.warn('To copy construct from a tensor, it is recommended to use '
                      'sourceTensor.detach().clone() or '
                      'sourceTensor.detach().clone().requires_grad_(True), rather than '
                      'torch.tensor(sourceTensor).', UserWarning, stacklevel=2)
    array, inferred = _infer_array(data)
    target = inferred if dtype is None else dtype
    device = to_device(device) if device is not None else (
        data._device if isinstance(data, Tensor) else to_device(None))
    array = _cast_copy(array, target)
    return _finish(array, target, device, requires_grad)


def _cast_copy(array, target):
    np_dtype = target.numpy_dtype
    if array.dtype.kind == 'c' and target.category < 3:
        raise TypeError(f"can't convert complex to {target.name}")
    return np.array(array, dtype=np_dtype, copy=True, order='C')


def as_tensor(data, dtype=None, device=None):
    """``data`` as a tensor, sharing memory when dtype and device already match."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype)
    if isinstance(data, np.ndarray) and (device is None or to_device(device) is CPU) and \
            data.dtype.kind in 'biufc':
        t = from_numpy(data) if data.dtype in dt._FROM_NUMPY and min(data.strides, default=0) \
            >= 0 else None
        if t is not None:
            return t if dtype is None or dtype is t._dtype else t.to(dtype)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(ndarray):
    """A cpu tensor sharing memory with a NumPy array (changes show in both)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f'expected np.ndarray (got {type(ndarray).__name__})')
    d = dt.from_numpy_dtype(ndarray.dtype)
    if any(s < 0 for s in ndarray.strides):
        raise ValueError('At least one stride in the given numpy array is negative, and tensors '
                         'with negative strides are not currently supported. (You can probably '
                         'work around this by making a copy of your array  with array.copy().) ')
    item = ndarray.itemsize
    if any(s % item for s in ndarray.strides):
        raise ValueError('given numpy array strides not a multiple of the element byte size. '
                         'Copy the numpy array to reallocate the memory.')
    return make_tensor(ndarray, d, CPU)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    d = dtype or dt.get_default_dtype()
    return _finish(np.asarray(s, dtype=d.numpy_dtype), d, to_device(device), requires_grad)


# ---------------------------------------------------------------------------------------
# filled tensors
# ---------------------------------------------------------------------------------------
def _filled(size, fill, dtype, device, requires_grad, out, name):
    shape = parse_size(size, name)
    d = dtype or dt.get_default_dtype()
    device = to_device(device)
    if fill is None:
        array = np.empty(shape, dtype=d.numpy_dtype)
    elif fill == 0:
        array = np.zeros(shape, dtype=d.numpy_dtype)
    else:
        array = np.full(shape, fill, dtype=d.numpy_dtype)
    return _write_out(_finish(array, d, device, requires_grad), out)


def zeros(*sizes, size=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None, names=None):
    """A tensor filled with 0 (default dtype unless ``dtype``)."""
    return _filled(sizes or (size,), 0, dtype, device, requires_grad, out, 'zeros')


def ones(*sizes, size=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False, memory_format=None, names=None):
    """A tensor filled with 1."""
    return _filled(sizes or (size,), 1, dtype, device, requires_grad, out, 'ones')


def empty(*sizes, size=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None, names=None):
    """An uninitialised tensor (its values are whatever memory held)."""
    return _filled(sizes or (size,), None, dtype, device, requires_grad, out, 'empty')


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False, names=None):
    """A tensor filled with ``fill_value``; its dtype follows the value when not given."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    d = dtype or dt.scalar_dtype(fill_value)
    if d.category < 3 and isinstance(fill_value, complex):
        raise RuntimeError(f'value cannot be converted to type {d.name} without overflow')
    shape = parse_size((size,) if not isinstance(size, int) else (size,), 'full')
    array = np.full(shape, fill_value, dtype=d.numpy_dtype)
    return _write_out(_finish(array, d, to_device(device), requires_grad), out)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False):
    """An uninitialised tensor with the given strides (in elements)."""
    from numpy.lib.stride_tricks import as_strided
    d = dtype or dt.get_default_dtype()
    size, stride = tuple(size), tuple(stride)
    extent = 1 + sum((s - 1) * st for s, st in zip(size, stride)) if all(size) else 0
    buffer = np.empty(max(extent, 0), dtype=d.numpy_dtype)
    array = as_strided(buffer, size, tuple(s * d.itemsize for s in stride))
    base = make_tensor(buffer, d, to_device(device))
    t = make_view(base, _on_device(array, base._device), stride, keep_base=False)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _like(input, fill, dtype, device, requires_grad, memory_format):
    d = dtype or input._dtype
    device = to_device(device) if device is not None else input._device
    src = input._data
    preserve = memory_format is None or getattr(memory_format, 'name', '') == \
        'preserve_format'
    order = 'K' if preserve and device is input._device else 'C'
    if fill is None:
        array = np.empty(src.shape, dtype=d.numpy_dtype) if order == 'C' or \
            device is not CPU else np.empty_like(src, dtype=d.numpy_dtype, order='K')
    else:
        array = np.full(src.shape, fill, dtype=d.numpy_dtype) if order == 'C' or \
            device is not CPU else np.full_like(src, fill, dtype=d.numpy_dtype, order='K')
    return _finish(array if device is CPU or order == 'C' else array, d, device, requires_grad)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    """Zeros with the shape (and by default dtype and device) of ``input``."""
    return _like(input, 0, dtype, device, requires_grad, memory_format)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    return _like(input, 1, dtype, device, requires_grad, memory_format)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    return _like(input, None, dtype, device, requires_grad, memory_format)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _like(input, fill_value, dtype, device, requires_grad, memory_format)


# ---------------------------------------------------------------------------------------
# ranges
# ---------------------------------------------------------------------------------------
def _number(x):
    if isinstance(x, Tensor):
        return x.item()
    return x


def arange(start, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False, pin_memory=False):
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 unless a float is given."""
    if end is None:
        start, end = 0, start
    start, end, step = _number(start), _number(end), _number(step)
    if step == 0:
        raise RuntimeError('step must be nonzero')
    is_float = any(isinstance(v, float) for v in (start, end, step))
    d = dtype or (dt.get_default_dtype() if is_float else dt.int64)
    if not all(math.isfinite(v) for v in (start, end, step)):
        raise RuntimeError(f'unsupported range: {start} -> {end}')
    if (step > 0 and start > end) or (step < 0 and start < end):
        raise RuntimeError('upper bound and larger bound inconsistent with step sign')
    if d.is_floating_point or is_float:
        n = math.ceil((end - start) / step)
        values = start + step * np.arange(n, dtype=np.float64)
    else:
        n = -((start - end) // step) if step > 0 else -((end - start) // -step)
        n = max(n, 0)
        values = start + step * np.arange(n, dtype=np.int64)
    array = values.astype(d.numpy_dtype, copy=False)
    return _write_out(_finish(array, d, to_device(device), requires_grad), out)


def range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None,  # noqa: A001
          device=None, requires_grad=False):
    """Deprecated in PyTorch: like ``arange`` but including ``end``; default dtype."""
    import warnings
    warnings.warn('torch.range is deprecated and will be removed in a future release because '
                  'its behavior is inconsistent with Python\'s range builtin. Instead, use '
                  'torch.arange, which produces values in [start, end).', UserWarning,
                  stacklevel=2)
    if end is None:
        start, end = 0, start
    d = dtype or dt.get_default_dtype()
    n = int(math.floor((end - start) / step)) + 1
    values = start + step * np.arange(n, dtype=np.float64)
    return _write_out(_finish(values.astype(d.numpy_dtype), d, to_device(device),
                              requires_grad), out)


def _linspace_values(start, end, steps, d):
    """PyTorch's linspace: from both ends towards the middle, in the output's precision."""
    if d.is_floating_point:
        work = np.dtype(np.float64) if d.itemsize == 8 else np.dtype(np.float32) \
            if d.numpy_dtype.itemsize == 4 else np.dtype(np.float32)
        if d is dt.float16 or d is dt.bfloat16:
            work = np.dtype(np.float32)
        s = work.type(start)
        e = work.type(end)
    elif d.is_complex:
        work = np.dtype(d.numpy_dtype)
        s = work.type(start)
        e = work.type(end)
    else:
        work = np.dtype(np.float64)
        s, e = work.type(start), work.type(end)
    if steps == 1:
        return np.array([s], dtype=work)
    step = (e - s) / work.type(steps - 1)
    idx = np.arange(steps, dtype=np.int64)
    halfway = steps // 2
    out = np.empty(steps, dtype=work)
    out[:halfway] = s + step * idx[:halfway].astype(work)
    out[halfway:] = e - step * (steps - idx[halfway:] - 1).astype(work)
    return out


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    start, end = _number(start), _number(end)
    if not isinstance(steps, int) or steps < 0:
        raise RuntimeError('number of steps must be non-negative')
    d = dtype or (dt.default_complex_dtype() if isinstance(start, complex) or
                  isinstance(end, complex) else dt.get_default_dtype())
    if steps == 0:
        values = np.empty(0, dtype=d.numpy_dtype)
    else:
        values = _linspace_values(start, end, steps, d)
        if not (d.is_floating_point or d.is_complex):
            values = np.trunc(values)
    return _write_out(_finish(values.astype(d.numpy_dtype), d, to_device(device),
                              requires_grad), out)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    """``base ** linspace(start, end, steps)``."""
    d = dtype or dt.get_default_dtype()
    if steps == 0:
        values = np.empty(0, dtype=np.float64)
    else:
        exps = _linspace_values(_number(start), _number(end), steps,
                                d if d.is_floating_point else dt.float64)
        values = np.power(np.float64(base), exps.astype(np.float64))
    return _write_out(_finish(values.astype(d.numpy_dtype), d, to_device(device),
                              requires_grad), out)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
        pin_memory=False):
    """A 2-D tensor with ones on the diagonal."""
    if n < 0:
        raise RuntimeError(f'n must be greater or equal to 0, got {n}')
    if m is None:
        m = n
    elif m < 0:
        raise RuntimeError(f'm must be greater or equal to 0, got {m}')
    d = dtype or dt.get_default_dtype()
    return _write_out(_finish(np.eye(n, m, dtype=d.numpy_dtype), d, to_device(device),
                              requires_grad), out)


# ---------------------------------------------------------------------------------------
# legacy constructors: ember.Tensor(...), ember.FloatTensor(...)
# ---------------------------------------------------------------------------------------
def legacy_new(dtype, args, device):
    """``Tensor(sizes...)`` makes an uninitialised tensor; ``Tensor(data)`` copies data."""
    device = to_device(device)
    if not args:
        return _finish(np.empty((0,), dtype=dtype.numpy_dtype), dtype, device, False)
    if len(args) == 1 and not isinstance(args[0], int):
        data = args[0]
        if isinstance(data, Tensor):
            if data._dtype is not dtype:
                raise TypeError(f'expected {dtype} (got {data._dtype})')
            return data
        from .._tensor import Size
        if isinstance(data, Size):
            return _finish(np.empty(tuple(data), dtype=dtype.numpy_dtype), dtype, device,
                           False)
        array, _ = _infer_array(data)
        return _finish(_cast_copy(array, dtype), dtype, device, False)
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
# new_* methods
# ---------------------------------------------------------------------------------------
def _new_factory(fill):
    def method(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
               pin_memory=False):
        d = dtype or self._dtype
        dev = self._device if device is None else to_device(device)
        return _filled(size, fill, d, dev, requires_grad, None, 'new')
    return method


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False,
             layout=None, pin_memory=False):
    return full(size, fill_value, dtype=dtype or self._dtype,
                device=self._device if device is None else device,
                requires_grad=requires_grad)


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, layout=None,
               pin_memory=False):
    if isinstance(data, Tensor):
        result = data.detach().clone()
        if dtype is not None or device is not None:
            result = result.to(device=device, dtype=dtype)
    else:
        array, _ = _infer_array(data)
        d = dtype or self._dtype
        result = _finish(_cast_copy(array, d), d,
                         self._device if device is None else to_device(device), False)
    if requires_grad:
        result.requires_grad_(True)
    return result


Tensor.new_zeros = _new_factory(0)
Tensor.new_ones = _new_factory(1)
Tensor.new_empty = _new_factory(None)
Tensor.new_full = new_full
Tensor.new_tensor = new_tensor
Tensor.new = lambda self, *args, device=None: legacy_new(self._dtype, args, device or
                                                          self._device)
