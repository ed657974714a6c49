"""Tensor: metadata around an array view of a shared storage.

A tensor keeps the NumPy (or CuPy) array that views its data, made once when the tensor is
made; NumPy's own slicing and transposes give correct views, so no op rebuilds arrays from
raw strides. The storage object (shared by all views, carrying the version counter) is
created lazily. Strides are reported in elements as PyTorch computes them: views record
PyTorch's strides explicitly where NumPy would report other values for size-1 dims.

The op families in ``ember/_ops`` attach their functions to this class as methods.
"""
import warnings

import numpy as np

from . import _dtype as dt
from . import _layout
from ._args import CPP_TYPE_NAMES
from ._device import CPU
from ._storage import UntypedStorage

__all__ = ['Tensor', 'Size', 'make_tensor', 'make_view']


class Size(tuple):
    """A tensor's shape: a tuple of ints printed as ``ember.Size([2, 3])``."""
    __slots__ = ()

    def __new__(cls, sizes=()):
        sizes = tuple(sizes)
        for i, s in enumerate(sizes):
            if type(s) is not int:
                if isinstance(s, bool) or not hasattr(s, '__index__') or (
                        hasattr(s, 'is_floating_point') and s.is_floating_point()):
                    raise TypeError(f"ember.Size() takes an iterable of 'int' (item {i} is "
                                    f"'{type(s).__name__}')")
                sizes = sizes[:i] + (s.__index__(),) + sizes[i + 1:]
        return tuple.__new__(cls, sizes)

    def __repr__(self):
        return f'ember.Size({list(self)})'

    __str__ = __repr__

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        result = tuple.__getitem__(self, item)
        return Size(result) if isinstance(item, slice) else result

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))

    def __mul__(self, times):
        return Size(tuple.__mul__(self, times))

    __rmul__ = __mul__

    def __reduce__(self):
        return (Size, (tuple(self),))


_new = object.__new__
_size = tuple.__new__   # Size from a tuple of ints known to be valid (the hot path)


_warned_once = []   # int()/float()/complex() of a tensor that requires grad has warned
_warned_typed_storage = []   # Tensor.storage()'s deprecation warning has been given


def _ambiguous(size):
    return (f'Boolean value of Tensor with {"no values" if size == 0 else "more than one value"}'
            ' is ambiguous')


def require_grad(t):
    """``requires_grad=True`` of a factory function or Parameter (PyTorch's message differs
    from ``requires_grad_``'s)."""
    if not (t._dtype.is_floating_point or t._dtype.is_complex):
        raise RuntimeError('Only Tensors of floating point and complex dtype can require '
                           'gradients')
    return t.requires_grad_(True)


_NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
    "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
    "instead. See github.com/pytorch/pytorch/pull/30531 for more information.")


class Tensor:
    """A multi-dimensional array with a dtype, a device and autograd history.

    ``ember.Tensor(data)`` and ``ember.Tensor(2, 3)`` are PyTorch's legacy constructors: they
    make a tensor of the default dtype from data or (uninitialised) sizes. Prefer
    ``ember.tensor``, ``ember.empty`` and friends.
    """
    __slots__ = ('_data', '_dtype', '_device', '_storage', '_stride', '_requires_grad',
                 '_grad_fn', '__dict__', '__weakref__')

    # Rarely set attributes live in the instance dict with these class-level defaults, so a
    # fresh tensor only pays for the slots above.
    _grad = None
    _base = None
    _output_nr = 0
    _accumulator = None
    _retains_grad = False
    _backward_hooks = None
    _post_accumulate_hooks = None
    _offset = None          # storage offset of an empty view (NumPy keeps no pointer for it)
    _no_grad_view = False   # a view made under no_grad of a tensor that requires grad

    def __new__(cls, *args, device=None):
        from ._ops.creation import legacy_new
        result = legacy_new(dt.get_default_dtype(), args, device, exact_dtype=False)
        if cls is not Tensor:
            result = result.as_subclass(cls)
        return result

    def __init__(self, *args, **kwargs):
        pass

    # ------------------------------------------------------------------ metadata
    @property
    def dtype(self):
        return self._dtype

    @property
    def device(self):
        return self._device

    @property
    def shape(self):
        return _size(Size, self._data.shape)

    def size(self, dim=None):
        """The shape as an ``ember.Size``, or the size of one dimension."""
        shape = self._data.shape
        if dim is None:
            return _size(Size, shape)
        if not shape:
            raise IndexError(f'Dimension specified as {dim} but tensor has no dimensions')
        return shape[_layout.normalize_dim(dim, len(shape))]

    def dim(self):
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self):
        return self._data.ndim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._dtype.itemsize

    @property
    def itemsize(self):
        return self._dtype.itemsize

    @property
    def nbytes(self):
        return self._data.size * self._dtype.itemsize

    def stride(self, dim=None):
        """Strides in elements, as PyTorch reports them."""
        strides = self._stride
        if strides is None:
            data = self._data
            if data.size == 0:
                strides = _layout.contiguous_strides(data.shape)
            else:
                item = data.itemsize
                strides = tuple(s // item for s in data.strides)
            self._stride = strides
        if dim is None:
            return strides
        return strides[_layout.normalize_dim(dim, len(strides))]

    def untyped_storage(self):
        storage = self._storage
        if storage is None:
            storage = self._storage = UntypedStorage(self._data, self._device)
        return storage

    def storage(self):
        """The storage as elements of this tensor's dtype (deprecated in PyTorch: prefer
        ``untyped_storage()``)."""
        if not _warned_typed_storage:
            _warned_typed_storage.append(True)
            warnings.warn('TypedStorage is deprecated. It will be removed in the future and '
                          'UntypedStorage will be the only storage class. This should only '
                          'matter to you if you are using storages directly.  To access '
                          'UntypedStorage directly, use tensor.untyped_storage() instead of '
                          'tensor.storage()', UserWarning, stacklevel=2)
        from ._storage import TypedStorage
        return TypedStorage(self.untyped_storage(), self._dtype)

    def storage_offset(self):
        """Where this tensor's first element sits in its storage, in elements."""
        if self._data.size == 0:
            # NumPy gives empty slices no meaningful pointer: views record it themselves.
            return self._offset or 0
        storage = self.untyped_storage()
        return (self.data_ptr() - storage._ptr) // self._dtype.itemsize

    @property
    def output_nr(self):
        """Which output of its grad_fn this tensor is."""
        return self._output_nr

    def is_same_size(self, other):
        return self._data.shape == other._data.shape

    def is_nonzero(self):
        if self._data.size != 1:
            raise RuntimeError(_ambiguous(self._data.size))
        return bool(self._data.reshape(()))

    def is_inference(self):
        return False

    def share_memory_(self):
        """A no-op: ember tensors are shared with worker processes by pickling."""
        return self

    @property
    def name(self):
        return None

    @property
    def names(self):
        return (None,) * self._data.ndim

    def _is_view(self):
        """Whether this tensor is a view of another (its ``_base``)."""
        return self._base is not None

    def data_ptr(self):
        """Address of the first element (0 for an empty tensor, as in PyTorch)."""
        data = self._data
        if data.size == 0:
            return 0
        if hasattr(data, '__array_interface__'):
            return data.__array_interface__['data'][0]
        return int(data.data.ptr)

    def is_contiguous(self, memory_format=None):
        from . import _memory_format
        if memory_format is _memory_format.channels_last:
            return _layout.is_channels_last(self._data.shape, self.stride())
        if memory_format is _memory_format.channels_last_3d:
            return _layout.is_channels_last(self._data.shape, self.stride(), 5)
        return _layout.is_contiguous(self._data.shape, self.stride())

    @property
    def is_cuda(self):
        return self._device.type == 'cuda'

    @property
    def is_cpu(self):
        return self._device.type == 'cpu'

    @property
    def is_sparse(self):
        return False

    @property
    def is_quantized(self):
        return False

    @property
    def is_meta(self):
        return False

    @property
    def layout(self):
        from . import _memory_format
        return _memory_format.strided

    def get_device(self):
        """The cuda device index, or -1 for cpu tensors."""
        return -1 if self._device.type == 'cpu' else self._device.index

    def is_floating_point(self):
        return self._dtype.is_floating_point

    def is_complex(self):
        return self._dtype.is_complex

    def is_signed(self):
        return self._dtype.is_signed

    @property
    def _version(self):
        storage = self._storage
        return 0 if storage is None else storage._version

    def _bump_version(self):
        """Record an in-place write (views share the counter through the storage)."""
        storage = self._storage
        if storage is None:
            storage = self._storage = UntypedStorage(self._data, self._device)
        storage._version += 1

    def is_shared(self):
        return False

    def is_pinned(self):
        return False

    # ------------------------------------------------------------------ autograd flags
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if type(value) is not bool:
            raise RuntimeError('requires_grad must be a bool')
        if value and not (self._dtype.is_floating_point or self._dtype.is_complex):
            raise RuntimeError('only Tensors of floating point and complex dtype can require '
                               'gradients')
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad=True):
        """Set whether autograd records operations on this (leaf) tensor, in place."""
        if self._grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want "
                    "to use a computed variable in a subgraph that doesn't require "
                    "differentiation use var_no_grad = var.detach().")
            return self
        if requires_grad and not (self._dtype.is_floating_point or self._dtype.is_complex):
            raise RuntimeError(
                'only Tensors of floating point dtype can require gradients')
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self):
        return self._grad_fn is None

    @property
    def grad_fn(self):
        return self._grad_fn

    @property
    def grad(self):
        if self._grad is None and self._grad_fn is not None and not self._retains_grad:
            warnings.warn(_NON_LEAF_GRAD, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f'assigned grad expected to be a Tensor or None but got grad '
                                f'of type {type(value).__name__}')
            if value._dtype is not self._dtype:
                given = CPP_TYPE_NAMES[value._dtype.name]
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{given}'"
                    f" to a tensor with grad_dtype '{self._dtype._tensor_type[:-6]}'. The "
                    "gradient must match the tensor's grad_dtype (defaults to the tensor's "
                    "dtype). You can set the tensor's grad_dtype attribute with a specific "
                    "dtype, or None to allow any dtype. Set grad_dtype with caution. Diverging "
                    "the dtypes of a tensor and its gradient may break downstream systems that "
                    "assume they match.")
            if value._device is not self._device:
                raise RuntimeError('assigned grad has data located on a different device')
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value._data.shape)}' to a "
                    f"tensor of size '{list(self._data.shape)}'. Please ensure that the "
                    "gradient and the tensor are the same size")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def retains_grad(self):
        return self._retains_grad

    @property
    def data(self):
        """A tensor sharing this one's data, outside autograd: unlike ``detach``, it does not
        share the version counter, so in-place changes through it escape autograd's checks
        (as in PyTorch)."""
        t = make_view(self, self._data, self._stride, keep_base=False)
        t._storage = t._storage._alias()
        return t

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f'data must be a Tensor, not {type(value).__name__}')
        self._data = value._data
        self._dtype = value._dtype
        self._device = value._device
        # the memory of ``value``, but this tensor's own version counter (as in PyTorch)
        version = self._version
        self._storage = (value._storage if value._storage is not None
                         else value.untyped_storage())._alias()
        self._storage._version = version
        self._stride = value._stride
        if value._offset is not None or self._offset is not None:
            self._offset = value._offset

    # ------------------------------------------------------------------ Python protocol
    def __repr__(self, *, tensor_contents=None):
        from ._printing import tensor_repr
        return tensor_repr(self, tensor_contents=tensor_contents)

    def __str__(self):
        return self.__repr__()

    def __format__(self, spec):
        # f'{loss}' of a 0-d tensor shows its number, as in PyTorch (subclasses such as
        # Parameter keep their printed form)
        if self._data.ndim == 0 and type(self) is Tensor:
            return format(self.detach().item(), spec)
        if spec:
            raise TypeError('unsupported format string passed to Tensor.__format__')
        return str(self)

    def __contains__(self, element):
        if isinstance(element, (Tensor, int, float, complex)):
            return bool((element == self).any())
        raise RuntimeError('Tensor.__contains__ only supports Tensor or scalar, but you passed '
                           f'in a {type(element)}.')

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError('len() of a 0-d tensor')
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError('iteration over a 0-d tensor')
        return iter(self.unbind(0))

    def __hash__(self):
        return id(self)

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(_ambiguous(self._data.size))
        return bool(self._data.reshape(()))

    def _scalar_or_raise(self):
        if self._data.size != 1:
            raise ValueError('only one element tensors can be converted to Python scalars')
        if self._requires_grad and not _warned_once:
            _warned_once.append(True)   # PyTorch warns once per process
            warnings.warn('Converting a tensor with requires_grad=True to a scalar may lead to '
                          'unexpected behavior.\nConsider using tensor.detach() first.',
                          UserWarning, stacklevel=3)
        return self.item()

    def __int__(self):
        if self._dtype.is_complex:
            raise RuntimeError('value cannot be converted to type int64_t without overflow')
        return int(self._scalar_or_raise())

    def __float__(self):
        if self._dtype.is_complex:
            raise RuntimeError('value cannot be converted to type double without overflow')
        return float(self._scalar_or_raise())

    def __complex__(self):
        return complex(self._scalar_or_raise())

    def __index__(self):
        if self._dtype.is_floating_point or self._dtype.is_complex or self._data.size != 1:
            raise TypeError(
                'only integer tensors of a single element can be converted to an index')
        return int(self.item())

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f'a Tensor with {self._data.size} elements cannot be '
                               'converted to Scalar')
        value = self._host_array().reshape(()).item()
        if self._dtype is dt.bfloat16:
            value = float(value)
        return value

    def tolist(self):
        """The data as (nested) Python lists of Python numbers."""
        host = self._host_array()
        if self._dtype is dt.bfloat16:
            host = host.astype(np.float32)
        return host.tolist()

    def _host_array(self):
        """The data as a NumPy array (copied from the device when not on cpu)."""
        if self._device is CPU:
            return self._data
        from ._device import backend_of
        return backend_of(self._device).to_host(self._data)

    def numpy(self, *, force=False):
        """A NumPy array sharing this tensor's memory (cpu tensors without grad only)."""
        if not force:
            if self._requires_grad:
                raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                                   "tensor.detach().numpy() instead.")
            if self._device is not CPU:
                raise TypeError(
                    f"can't convert {self._device.type}:{self._device.index} device type "
                    "tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory "
                    "first.")
            return self._data
        return self.detach().cpu().resolve_conj()._data

    def __array__(self, dtype=None, copy=None):
        """NumPy interop (``np.asarray(t)``): the shared array, with ``numpy()``'s errors."""
        array = self.numpy()
        if dtype is not None and array.dtype != dtype:
            return array.astype(dtype)
        if copy:
            return array.copy()
        return array

    __array_priority__ = 1000

    def __reduce_ex__(self, protocol):
        from .serialization import reduce_tensor
        return reduce_tensor(self)

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        if self._grad_fn is not None:
            raise RuntimeError('Only Tensors created explicitly by the user (graph leaves) '
                               'support the deepcopy protocol at the moment.  If you were '
                               'attempting to deepcopy a module, this may be because of a '
                               'torch.nn.utils.weight_norm usage, see '
                               'https://github.com/pytorch/pytorch/pull/103001')
        import copy
        result = make_tensor(self._data.copy(order='K'), self._dtype, self._device)
        if type(self) is not Tensor:
            result = result.as_subclass(type(self))
        result._requires_grad = self._requires_grad
        if self._grad is not None:
            result._grad = copy.deepcopy(self._grad, memo)
        if self.__dict__:
            for key, value in self.__dict__.items():
                if not key.startswith('_'):
                    setattr(result, key, copy.deepcopy(value, memo))
        memo[id(self)] = result
        return result

    def as_subclass(self, cls):
        """The same data and autograd state viewed as an instance of a Tensor subclass."""
        result = _new(cls)
        result._data = self._data
        result._dtype = self._dtype
        result._device = self._device
        result._storage = self.untyped_storage()
        result._stride = self._stride
        result._requires_grad = self._requires_grad
        result._grad_fn = self._grad_fn
        return result

    def resolve_conj(self):
        return self

    def resolve_neg(self):
        return self

    def is_conj(self):
        return False

    def is_neg(self):
        return False


def make_tensor(data, dtype, device=CPU):
    """Wrap a fresh array (owned by no other tensor) as a tensor."""
    t = _new(Tensor)
    t._data = data
    t._dtype = dtype
    t._device = device
    t._storage = None
    t._stride = None
    t._requires_grad = False
    t._grad_fn = None
    return t


def make_view(base, data, strides, keep_base=True, dtype=None, offset=None):
    """A tensor viewing ``base``'s storage through ``data``, with PyTorch's ``strides``.

    ``keep_base`` records ``_base`` (what PyTorch reports for views); ``strides`` may be None
    when NumPy's strides are already PyTorch's. ``offset`` is the storage offset of an empty
    view (by default the base's), which NumPy cannot tell.
    """
    t = _new(Tensor)
    t._data = data
    t._dtype = base._dtype if dtype is None else dtype
    t._device = base._device
    storage = base._storage
    if storage is None:
        storage = base._storage = UntypedStorage(base._data, base._device)
    t._storage = storage
    t._stride = strides
    t._requires_grad = False
    t._grad_fn = None
    if keep_base:
        t._base = base._base if base._base is not None else base
    if data.size == 0:
        offset = base.storage_offset() if offset is None else offset
        if offset:
            t._offset = offset
    return t
