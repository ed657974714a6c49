"""Moving tensors between dtypes and devices: ``to``, ``type``, ``float()``, ``cpu()``..."""
import numpy as np

from .. import _dtype as dt
from .._device import CPU, device as _device_cls, to_device, backend_of
from .._tensor import Tensor, make_tensor
from ..autograd.function import Op

_LEGACY_NAMES = {d._tensor_type: d for d in dt.ALL_DTYPES}
_F32 = np.dtype(np.float32)


class ToCopy(Op):
    node_name = 'ToCopyBackward0'

    @staticmethod
    def forward(ctx, data, source_device, target_device, np_dtype):
        if np_dtype is not None and np_dtype.itemsize == 2 and np_dtype.kind in 'fV' and \
                data.dtype.itemsize != 2 and data.dtype != _F32:
            # PyTorch converts to float16/bfloat16 through float32 (two roundings)
            data = data.astype(_F32)
        if source_device is not target_device:
            if source_device is not CPU:
                data = backend_of(source_device).to_host(data)
            if np_dtype is not None:
                data = data.astype(np_dtype)
                np_dtype = None
            if target_device is not CPU:
                return backend_of(target_device).from_host(np.ascontiguousarray(data),
                                                           target_device.index)
            return np.array(data, copy=True) if data is not None else data
        if np_dtype is None:
            return data.copy(order='K')
        if data.dtype.kind == 'f' and np_dtype.kind in 'iub':
            with np.errstate(invalid='ignore', over='ignore'):
                return data.astype(np_dtype, order='K')
        return data.astype(np_dtype, order='K')

    def backward(self, grad):
        shape, dtype, device = self._metas[0]
        if grad._dtype.is_complex and not dtype.is_complex:
            grad = grad.real    # the input was real: its gradient is the real part (no warning)
        return grad.to(device=device, dtype=dtype)


def _convert(input, dtype, device, copy):
    target_device = input._device if device is None else device
    target_dtype = input._dtype if dtype is None else dtype
    if target_device is input._device and target_dtype is input._dtype and not copy:
        return input
    if target_dtype is dt.bfloat16 or input._dtype is dt.bfloat16:
        target_dtype.numpy_dtype  # raises the clear 'install ml_dtypes' error when missing
    if target_dtype.category < 3 and input._dtype.is_complex:
        import warnings
        warnings.warn('Casting complex values to real discards the imaginary part',
                      UserWarning, stacklevel=3)
        data = input._data.real
        input = make_tensor(data, input._dtype.to_real(), input._device) if not \
            input._requires_grad else input.real
    np_dtype = None if target_dtype is input._dtype else target_dtype.numpy_dtype
    result = ToCopy.apply(input, input._device, target_device, np_dtype)
    result._device = target_device  # Op.apply labels outputs with the input's device
    if result._dtype is not target_dtype:
        result._dtype = target_dtype
    if not (target_dtype.is_floating_point or target_dtype.is_complex) and \
            result._grad_fn is not None:
        result._grad_fn = None
        result._requires_grad = False
    return result


def _parse_to_args(args, kwargs):
    dtype = kwargs.pop('dtype', None)
    device = kwargs.pop('device', None)
    copy = kwargs.pop('copy', False)
    kwargs.pop('non_blocking', None)
    kwargs.pop('memory_format', None)
    if kwargs:
        raise TypeError(f'to() got an unexpected keyword argument \'{next(iter(kwargs))}\'')
    if dtype is not None and not isinstance(dtype, dt.dtype):
        raise TypeError(f'to() received an invalid combination of arguments - got '
                        f'(dtype={type(dtype).__name__}), but expected a dtype')
    for arg in args:
        if isinstance(arg, dt.dtype):
            dtype = arg
        elif isinstance(arg, Tensor):
            dtype, device = arg._dtype, arg._device
        elif isinstance(arg, (str, _device_cls, int)) and not isinstance(arg, bool):
            device = arg
        elif isinstance(arg, bool):
            copy = arg if dtype is not None else copy
        elif arg is None:
            continue
        else:
            raise TypeError(f'to() received an invalid combination of arguments - got '
                            f'({type(arg).__name__})')
    return dtype, (None if device is None else to_device(device)), copy


def to(self, *args, **kwargs):
    """Convert dtype and/or move device: ``to(dtype)``, ``to(device)``, ``to(device,
    dtype)``, ``to(other)``. Returns ``self`` when nothing changes (unless ``copy=True``)."""
    memory_format = kwargs.pop('memory_format', None)
    dtype, device, copy = _parse_to_args(args, kwargs)
    result = _convert(self, dtype, device, copy)
    if memory_format is not None and not result.is_contiguous(memory_format=memory_format):
        from .views import clone
        from .._memory_format import preserve_format
        if memory_format is not preserve_format:
            result = clone(result, memory_format=memory_format)
    return result


def type_(self, dtype=None, non_blocking=False, **kwargs):
    """With no argument, the legacy type name (``'ember.FloatTensor'``); else convert."""
    if dtype is None:
        prefix = 'ember.' if self._device.type == 'cpu' else f'ember.{self._device.type}.'
        return prefix + self._dtype._tensor_type
    if isinstance(dtype, str):
        # 'torch.DoubleTensor' or 'ember.DoubleTensor'; '<prefix>.cuda.FloatTensor' for cuda
        parts = dtype.split('.')
        if len(parts) not in (2, 3) or parts[0] not in ('torch', 'ember') or \
                parts[-1] not in _LEGACY_NAMES or (len(parts) == 3 and parts[1] != 'cuda'):
            raise ValueError(f'invalid type: \'{dtype}\'')
        device = CPU if len(parts) == 2 else to_device('cuda')
        return _convert(self, _LEGACY_NAMES[parts[-1]], device, False)
    if isinstance(dtype, type) and hasattr(dtype, 'dtype'):
        dtype = dtype.dtype
    return _convert(self, dtype, None, False)


def type_as(self, other):
    return _convert(self, other._dtype, other._device, False)


def cpu(self, memory_format=None):
    """A copy in cpu memory (``self`` when already there)."""
    return _convert(self, None, CPU, False)


def cuda(self, device=None, non_blocking=False, memory_format=None):
    """A copy on a cuda device (``self`` when already there)."""
    if device is None:
        target = to_device('cuda')
    elif isinstance(device, int):
        target = to_device(_device_cls('cuda', device))
    else:
        target = to_device(device)
    return _convert(self, None, target, False)


def _caster(dtype):
    def method(self, memory_format=None):
        return _convert(self, dtype, None, False)
    method.__name__ = dtype.name
    method.__doc__ = f'``self.to({dtype})``'
    return method


for _name, _dtype in [('float', dt.float32), ('double', dt.float64), ('half', dt.float16),
                      ('bfloat16', dt.bfloat16), ('int', dt.int32), ('long', dt.int64),
                      ('short', dt.int16), ('char', dt.int8), ('byte', dt.uint8),
                      ('bool', dt.bool), ('cfloat', dt.complex64),
                      ('cdouble', dt.complex128)]:
    setattr(Tensor, _name, _caster(_dtype))

Tensor.to = to
Tensor.type = type_
Tensor.type_as = type_as
Tensor.cpu = cpu
Tensor.cuda = cuda
Tensor.pin_memory = lambda self, device=None: self.clone()
