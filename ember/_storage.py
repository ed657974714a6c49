"""The flat buffer that a tensor and all its views share, with their version counter.

A fresh tensor gets its storage lazily (most op results never need one); a view created
from it forces the storage into existence first, so the two share one object and one
version counter. In-place ops bump the counter; autograd compares it with the version it
saw when it saved a tensor for backward.
"""

__all__ = ['UntypedStorage']


def _array_span(array):
    """(address of the lowest byte, bytes spanned) of an array, from its strides."""
    ptr = array.__array_interface__['data'][0] if hasattr(array, '__array_interface__') \
        else int(array.data.ptr)
    if array.size == 0:
        return ptr, 0
    low = high = 0
    for size, stride in zip(array.shape, array.strides):
        if stride > 0:
            high += (size - 1) * stride
        else:
            low += (size - 1) * stride
    return ptr + low, high - low + array.itemsize


class UntypedStorage:
    """A span of bytes on one device; enough of PyTorch's API for ``data_ptr`` and size."""
    __slots__ = ('_owner', '_span', 'device', '_version', '__weakref__')

    def __init__(self, owner, device):
        self._owner = owner     # keeps the memory alive; its span is measured on demand
        self._span = None
        self.device = device
        self._version = 0

    def _alias(self):
        """Another storage object over the same bytes, with a version counter of its own
        (``Tensor.data``: in-place changes through it are invisible to autograd)."""
        alias = UntypedStorage(self._owner, self.device)
        alias._span = self._span
        return alias

    @property
    def _ptr(self):
        if self._span is None:
            self._span = _array_span(self._owner)
        return self._span[0]

    @property
    def _nbytes(self):
        if self._span is None:
            self._span = _array_span(self._owner)
        return self._span[1]

    def data_ptr(self):
        """Address of the first byte (0 for an empty storage, as in PyTorch)."""
        return self._ptr if self._nbytes else 0

    def nbytes(self):
        return self._nbytes

    def size(self):
        return self._nbytes

    def __len__(self):
        return self._nbytes

    def element_size(self):
        return 1

    def _host_values(self, np_dtype):
        """The bytes of this storage on the host, viewed as ``np_dtype``."""
        from .serialization import _span_bytes
        from ._device import backend_of
        data = _span_bytes(self)
        if self.device.type != 'cpu':
            data = backend_of(self.device).to_host(data)
        return data.view(np_dtype)

    def tolist(self):
        return self._host_values('uint8').tolist()

    def __getitem__(self, index):
        return self._host_values('uint8')[index].item()

    def __repr__(self):
        return _storage_str(self.tolist(), f'[ember.storage.UntypedStorage(device='
                                           f'{self.device}) of size {self._nbytes}]')


def _storage_str(values, info):
    # PyTorch's form: one element per line, each after a space, then the description
    return ' ' + '\n '.join(str(v) for v in values) + '\n' + info


class TypedStorage:
    """``Tensor.storage()``: a tensor's storage seen as elements of its dtype (deprecated in
    PyTorch in favour of ``untyped_storage()``, but still common)."""
    __slots__ = ('_untyped', 'dtype')

    def __init__(self, untyped, dtype):
        self._untyped = untyped
        self.dtype = dtype

    @property
    def device(self):
        return self._untyped.device

    def untyped(self):
        return self._untyped

    def size(self):
        return self._untyped.nbytes() // self.dtype.itemsize

    __len__ = size

    def element_size(self):
        return self.dtype.itemsize

    def nbytes(self):
        return self._untyped.nbytes()

    def data_ptr(self):
        return self._untyped.data_ptr()

    def tolist(self):
        return self._untyped._host_values(self.dtype.numpy_dtype).tolist()

    def __getitem__(self, index):
        return self._untyped._host_values(self.dtype.numpy_dtype)[index].item()

    def __iter__(self):
        return iter(self.tolist())

    def __repr__(self):
        return _storage_str(self.tolist(), f'[ember.storage.TypedStorage(dtype={self.dtype}, '
                                           f'device={self.device}) of size {len(self)}]')
