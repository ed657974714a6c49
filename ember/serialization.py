"""Checkpoints: ``save`` and ``load`` in PyTorch's own file format, without importing PyTorch.

A file written by ``torch.save`` (and by ``ember.save``) is a ZIP archive of uncompressed
records under one folder named after the file (``archive`` for file objects)::

    model/data.pkl                  the pickled object (protocol 2)
    model/.format_version           b'1'  (storages are numbered in the order they appear)
    model/.storage_alignment        b'64'
    model/byteorder                 b'little'
    model/data/0, data/1, ...       the raw bytes of each storage, 64-byte aligned in the file
    model/version                   b'3\\n'
    model/.data/serialization_id    40 random digits

In ``data.pkl`` a tensor is a call ``torch._utils._rebuild_tensor_v2(storage, storage_offset,
size, stride, requires_grad, OrderedDict())`` whose storage is a persistent id
``('storage', torch.FloatStorage, '0', 'cpu', numel)`` naming its record. Tensors that view
one storage name the same record, so they share memory again after loading.

Writing uses Python's own pickler with two additions: tensors, sizes, devices and dtypes
reduce to stand-ins that print PyTorch's global names (``torch._utils _rebuild_tensor_v2``,
``torch FloatStorage``...) as GLOBAL opcodes, and storages become persistent ids. Reading
maps those names back to ember objects. With ``weights_only=True`` (the default, as in
PyTorch 2.6+) the pickle runs on a small interpreter that only builds tensors, containers
and plain data from an allow-list; anything else is refused with ``UnpicklingError``.

The older non-zip format (``_use_new_zipfile_serialization=False``) is read and written too.
``save_file``/``load_file`` (safetensors) live in :mod:`ember.safetensors`.
"""
import codecs
import collections
import contextlib
import io
import os
import pickle
import struct
import sys
import weakref
import zipfile
import zlib
from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING

import numpy as np

from . import _dtype as dt
from ._device import CPU, backend_of
from ._device import device as _Device
from ._memory_format import layout as _Layout
from ._memory_format import memory_format as _MemoryFormat
from ._storage import UntypedStorage
from ._tensor import Size, Tensor, make_tensor, make_view

__all__ = ['save', 'load', 'save_file', 'load_file', 'add_safe_globals', 'get_safe_globals',
           'clear_safe_globals', 'safe_globals', 'DEFAULT_PROTOCOL']

DEFAULT_PROTOCOL = 2
MAGIC_NUMBER = 0x1950a86a20f9469cfc6c       # first pickle of a legacy (non-zip) file
PROTOCOL_VERSION = 1001                     # second pickle of a legacy file
STORAGE_ALIGNMENT = 64
_FILE_FORMAT_VERSION = b'3\n'
_ZIP_MAGIC = b'PK\x03\x04'
_CPU_TAG = 'cpu'                           # one object, so the pickle memoizes it as torch's


# =======================================================================================
# PyTorch's names, written without importing PyTorch
# =======================================================================================
class _TorchGlobal:
    """A global of PyTorch's namespace: written into a pickle as ``GLOBAL module name``."""
    __slots__ = ('module', 'name')

    def __init__(self, module, name):
        self.module = module
        self.name = name

    def __call__(self, *args):  # the pickler only checks that reduce functions are callable
        raise TypeError(f'{self} is a name written into checkpoints, not a function')

    def __repr__(self):
        return f'{self.module}.{self.name}'


_REBUILD_TENSOR_V2 = _TorchGlobal('torch._utils', '_rebuild_tensor_v2')
_REBUILD_PARAMETER = _TorchGlobal('torch._utils', '_rebuild_parameter')
_REBUILD_PARAMETER_WITH_STATE = _TorchGlobal('torch._utils', '_rebuild_parameter_with_state')
_REBUILD_FROM_TYPE_V2 = _TorchGlobal('torch._tensor', '_rebuild_from_type_v2')
_TORCH_TENSOR = _TorchGlobal('torch', 'Tensor')
_TORCH_SIZE = _TorchGlobal('torch', 'Size')
_TORCH_DEVICE = _TorchGlobal('torch', 'device')
_TORCH_GET_LAYOUT = _TorchGlobal('torch.serialization', '_get_layout')
_TORCH_UNTYPED_STORAGE = _TorchGlobal('torch', 'UntypedStorage')


def _storage_name(d):
    return d._tensor_type.replace('Tensor', 'Storage')     # FloatTensor -> FloatStorage


_DTYPE_GLOBALS = {d: _TorchGlobal('torch', d.name) for d in dt.ALL_DTYPES}
_STORAGE_GLOBALS = {d: _TorchGlobal('torch', _storage_name(d)) for d in dt.ALL_DTYPES}


# =======================================================================================
# Storage bytes
# =======================================================================================
def _xp_of(array):
    if isinstance(array, np.ndarray):
        return np
    import importlib
    return importlib.import_module(type(array).__module__.split('.')[0])


def _span_bytes(storage):
    """A uint8 array viewing a storage's bytes (no copy), on the storage's device."""
    owner = storage._owner
    nbytes = storage.nbytes()
    xp = _xp_of(owner)
    if nbytes == 0:
        return xp.empty((0,), dtype=xp.uint8)
    as_strided = xp.lib.stride_tricks.as_strided
    # Walk from the owner's first element to the lowest byte of the span, then over it.
    first = as_strided(owner, shape=(1,), strides=(owner.itemsize,)).view(xp.uint8)
    first_ptr = first.__array_interface__['data'][0] if xp is np else int(first.data.ptr)
    shift = first_ptr - storage._ptr
    if shift:
        first = as_strided(first, shape=(shift + 1,), strides=(-1,))[-1:]
    return as_strided(first, shape=(nbytes,), strides=(1,))


def _host_bytes(storage):
    """The storage's bytes as a contiguous NumPy uint8 array (a view for cpu storages)."""
    span = _span_bytes(storage)
    if storage.device is not CPU:
        span = np.ascontiguousarray(backend_of(storage.device).to_host(span))
    return span


def _location_tag(device):
    if device is CPU:
        return _CPU_TAG
    return str(device)


class _LoadedStorage(UntypedStorage):
    """The bytes of a storage read back from a checkpoint (or a pickle): a uint8 array on
    its device plus the dtype it was saved with. Tensors rebuilt on it share this object, so
    they share memory and the version counter as the saved tensors did."""
    __slots__ = ('dtype', '_base')

    def __init__(self, data, device, dtype=dt.uint8):
        super().__init__(data, device)
        self.dtype = dtype
        self._base = None

    # ``map_location`` callables receive a storage and may move it.
    def cpu(self):
        if self.device is CPU:
            return self
        host = np.ascontiguousarray(backend_of(self.device).to_host(self._owner))
        return _LoadedStorage(host, CPU, self.dtype)

    def cuda(self, device=None, non_blocking=False):
        index = device if isinstance(device, int) or device is None else _Device(device).index
        return _restore_default(self, 'cuda' if index is None else f'cuda:{index}')

    def to(self, device=None, non_blocking=False):
        return _restore_default(self, str(_Device(device)))

    @property
    def is_cuda(self):
        return self.device.type == 'cuda'

    def base_tensor(self):
        """A uint8 tensor over all the bytes, whose views are the rebuilt tensors."""
        base = self._base
        if base is None:
            base = self._base = make_tensor(self._owner, dt.uint8, self.device)
            base._storage = self
        return base


def _tensor_on_storage(storage, dtype, offset, size, stride):
    """A tensor of ``dtype`` viewing ``storage`` with PyTorch's offset, sizes and strides
    (in elements); RuntimeError when the view reaches past the storage."""
    if isinstance(storage, _LoadedStorage):
        base = storage.base_tensor()
    else:   # a live storage (``copy.copy`` passes the tensor's own storage through)
        base = make_tensor(_span_bytes(storage), dt.uint8, storage.device)
        base._storage = storage
    size = tuple(int(s) for s in size)
    stride = tuple(int(s) for s in stride)
    offset = int(offset)
    item = dtype.itemsize
    nbytes = storage.nbytes()
    if len(size) != len(stride) or offset < 0 or any(s < 0 for s in size) or \
            any(s < 0 for s in stride):
        raise RuntimeError(f'invalid tensor layout in checkpoint: sizes {list(size)}, strides '
                           f'{list(stride)}, storage offset {offset}')
    numel = 1
    for s in size:
        numel *= s
    needed = 0 if numel == 0 else \
        (offset + sum((s - 1) * st for s, st in zip(size, stride)) + 1) * item
    if needed > nbytes:
        raise RuntimeError(f'setStorage: sizes {list(size)}, strides {list(stride)}, storage '
                           f'offset {offset}, and itemsize {item} requiring a storage size of '
                           f'{needed} are out of bounds for storage of size {nbytes}')
    u8 = base._data
    xp = _xp_of(u8)
    np_dtype = dtype.numpy_dtype
    if numel == 0:
        data = xp.empty(size, dtype=np_dtype)
    else:
        typed = u8[:nbytes // item * item].view(np_dtype)
        data = xp.lib.stride_tricks.as_strided(typed[offset:], shape=size,
                                               strides=tuple(s * item for s in stride))
    return make_view(base, data, stride, keep_base=False, dtype=dtype, offset=offset)


# =======================================================================================
# Plain pickle and copy of ember tensors (Tensor.__reduce_ex__)
# =======================================================================================
_boxes = weakref.WeakKeyDictionary()


class _StorageBox:
    """Stands for one storage in a plain pickle: every tensor on the storage reduces to the
    same box, so the pickle memo stores the bytes once and the tensors share them again."""
    __slots__ = ('_ref', '__weakref__')

    def __init__(self, storage):
        self._ref = weakref.ref(storage)

    def storage(self):
        return self._ref()

    def __reduce__(self):
        storage = self._ref()
        return (_unbox_storage, (_host_bytes(storage), str(storage.device)))


def _unbox_storage(data, device):
    storage = _LoadedStorage(np.ascontiguousarray(data, dtype=np.uint8), CPU)
    return storage if device == 'cpu' else _restore_default(storage, device)


def _user_state(tensor):
    """Attributes a user set on a tensor (ember keeps its own in ``_``-prefixed slots)."""
    extra = getattr(tensor, '__dict__', None)
    if not extra:
        return None
    state = {k: v for k, v in extra.items() if not k.startswith('_')}
    return state or None


def _fresh_stride(tensor):
    return tuple([*tensor.stride()])   # a new tuple: ember caches and shares stride tuples


def _plain_layout(tensor):
    """(tensor to save, its storage): a tensor whose strides PyTorch can express."""
    if any(s < 0 for s in tensor.stride()):
        tensor = make_tensor(np.ascontiguousarray(tensor._data), tensor._dtype,
                             tensor._device)
    return tensor, tensor.untyped_storage()


def reduce_tensor(tensor):
    """``Tensor.__reduce_ex__``: tensors pickle with their storage, offset and strides."""
    tensor, storage = _plain_layout(tensor)
    box = _boxes.get(storage)
    if box is None:
        box = _boxes[storage] = _StorageBox(storage)
    args = (box, tensor._dtype, tensor.storage_offset(), tuple(tensor._data.shape),
            _fresh_stride(tensor), tensor._requires_grad)
    state = _user_state(tensor)
    if type(tensor) is Tensor and state is None:
        return (_rebuild_pickled, args)
    return (_rebuild_pickled_with_type, (args, type(tensor), state))


def _rebuild_pickled(box, dtype, offset, size, stride, requires_grad):
    storage = box.storage() if isinstance(box, _StorageBox) else box
    tensor = _tensor_on_storage(storage, dtype, offset, size, stride)
    if requires_grad:
        tensor.requires_grad_(True)
    return tensor


def _rebuild_pickled_with_type(args, cls, state):
    tensor = _rebuild_pickled(*args)
    if cls is not Tensor:
        tensor = tensor.as_subclass(cls)
    _set_state(tensor, state)
    return tensor


def _set_state(obj, state):
    if not state:
        return obj
    if not isinstance(state, dict):
        raise pickle.UnpicklingError(f'tensor state must be a dict, got {type(state).__name__}')
    for key, value in state.items():
        if not isinstance(key, str) or (key.startswith('__') and key.endswith('__')):
            raise pickle.UnpicklingError(f'invalid tensor attribute name {key!r} in checkpoint')
        setattr(obj, key, value)
    return obj


# =======================================================================================
# Writing data.pkl: Python's pickler, printing PyTorch's names
# =======================================================================================
def _parameter_class():
    from .nn.parameter import Parameter
    return Parameter


def _buffer_class():
    from .nn.parameter import Buffer
    return Buffer


class _StorageRef:
    """One tensor's reference to its storage: becomes a persistent id in the pickle."""
    __slots__ = ('storage', 'dtype')

    def __init__(self, storage, dtype):
        self.storage = storage
        self.dtype = dtype


class _TorchPickler(pickle._Pickler):
    """Python's pickler (the pure-Python one, whose dispatch can be extended) writing ember
    tensors, sizes, devices, dtypes and layouts as the PyTorch objects they mirror."""
    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, protocol, legacy=False):
        super().__init__(file, protocol)
        self.legacy = legacy
        self.keys = {}          # id(storage) -> key (one string object per storage)
        self.storages = {}      # key -> (storage, dtype), in the order they were met
        self.dtypes = {}        # id(storage) -> dtype it was saved as
        self._parameter = _parameter_class()
        self._plain_types = (Tensor, _buffer_class())   # nn.Buffer is a plain tensor to torch

    # ---------------------------------------------------------------- storages
    def persistent_id(self, obj):
        cls = type(obj)
        if cls is _StorageRef:
            storage, dtype, storage_type = obj.storage, obj.dtype, _STORAGE_GLOBALS[obj.dtype]
        elif isinstance(obj, UntypedStorage):
            storage, dtype, storage_type = obj, dt.uint8, _TORCH_UNTYPED_STORAGE
        else:
            return None
        # storages are identified by the memory they own: ``Tensor.data`` makes another
        # storage object (its own version counter) over the same memory
        memory = id(storage._owner)
        seen = self.dtypes.setdefault(memory, dtype)
        if seen is not dtype:
            raise RuntimeError('Cannot save multiple tensors or storages that view the same '
                               'data as different types')
        if self.legacy:
            key = self.keys.setdefault(memory, str(id(storage)))
        else:
            key = self.keys.setdefault(memory, str(len(self.keys)))
        self.storages.setdefault(key, (storage, dtype))
        numel = storage.nbytes() // dtype.itemsize
        location = _location_tag(storage.device)
        if self.legacy:
            return ('storage', storage_type, key, location, numel, None)
        return ('storage', storage_type, key, location, numel)

    # ---------------------------------------------------------------- ember objects
    def reducer_override(self, obj):
        cls = type(obj)
        if isinstance(obj, Tensor):
            return self._reduce_tensor(obj)
        if cls is Size:
            return (_TORCH_SIZE, (tuple(obj),))
        if cls is _Device:
            return (_TORCH_DEVICE, (obj.type,) if obj.index is None else (obj.type, obj.index))
        if cls is _Layout:
            return (_TORCH_GET_LAYOUT, ('torch.' + obj.name,))
        if cls is _MemoryFormat:
            raise TypeError("cannot pickle 'ember.memory_format' object")
        return NotImplemented

    def _reduce_tensor(self, tensor):
        hooks = collections.OrderedDict()   # PyTorch never saves hooks: always empty
        state = _user_state(tensor)
        if isinstance(tensor, self._parameter):
            data = tensor.detach()
            if state is None:
                return (_REBUILD_PARAMETER, (data, tensor._requires_grad, hooks))
            return (_REBUILD_PARAMETER_WITH_STATE, (data, tensor._requires_grad, hooks, state))
        plain, storage = _plain_layout(tensor)
        args = (_StorageRef(storage, plain._dtype), plain.storage_offset(),
                tuple(plain._data.shape), _fresh_stride(plain), tensor._requires_grad, hooks)
        cls = type(tensor)
        if state is None and cls in self._plain_types:
            return (_REBUILD_TENSOR_V2, args)
        torch_cls = _TORCH_TENSOR if cls in self._plain_types else cls
        return (_REBUILD_FROM_TYPE_V2, (_REBUILD_TENSOR_V2, torch_cls, args, state or {}))

    # ---------------------------------------------------------------- names
    def _save_torch_global(self, obj):
        if self.proto >= 4:
            self.save(obj.module)
            self.save(obj.name)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + f'{obj.module}\n{obj.name}\n'.encode('utf-8'))
        self.memoize(obj)

    def _save_dtype(self, obj):
        self.save(_DTYPE_GLOBALS[obj])

    dispatch[_TorchGlobal] = _save_torch_global
    dispatch[dt.dtype] = _save_dtype


def _dump(obj, protocol, legacy=False, file=None):
    buffer = io.BytesIO() if file is None else file
    pickler = _TorchPickler(buffer, protocol, legacy)
    pickler.dump(obj)
    return (buffer.getvalue() if file is None else None), pickler.storages


# =======================================================================================
# Writing the ZIP archive (the layout PyTorch's writer produces, byte for byte)
# =======================================================================================
_U32_MAX = 0xFFFFFFFF


class _ZipWriter:
    """Stored (uncompressed) records, each record's data aligned to 64 bytes by padding the
    local header's extra field (``FB`` + length + ``Z``...), each followed by a data
    descriptor; then the central directory and the zip64 end records."""

    def __init__(self, file, archive_name):
        self._file = file
        self._prefix = archive_name + '/'
        self._pos = 0
        self._entries = []

    def _write(self, data):
        self._file.write(data)
        self._pos += len(data) if isinstance(data, bytes) else data.nbytes

    def write_record(self, name, data):
        if isinstance(data, str):
            data = data.encode('utf-8')
        name = (self._prefix + name).encode('utf-8')
        size = len(data) if isinstance(data, bytes) else data.nbytes
        offset = self._pos
        zip64 = b''
        if size >= _U32_MAX or offset >= _U32_MAX:
            fields = struct.pack('<QQ', size, size) if size >= _U32_MAX else b''
            if offset >= _U32_MAX:
                fields += struct.pack('<Q', offset)
            zip64 = struct.pack('<HH', 1, len(fields)) + fields
        start = offset + 30 + len(name) + len(zip64) + 4
        padding = -start % STORAGE_ALIGNMENT
        extra = zip64 + b'FB' + struct.pack('<H', padding) + b'Z' * padding
        flags = 0x0808 if size else 0x0800       # utf-8 names; data descriptor when nonempty
        self._write(struct.pack('<IHHHHHIIIHH', 0x04034b50, 0, flags, 0, 0, 0, 0, 0, 0,
                                len(name), len(extra)) + name + extra)
        crc = 0
        if size:
            crc = zlib.crc32(data)
            self._write(data)
            if zip64:
                self._write(struct.pack('<IIQQ', 0x08074b50, crc, size, size))
            else:
                self._write(struct.pack('<IIII', 0x08074b50, crc, size, size))
        self._entries.append((name, zip64, flags, crc, size, offset))

    def finish(self):
        directory_offset = self._pos
        for name, zip64, flags, crc, size, offset in self._entries:
            self._write(struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 0, 0, flags, 0, 0, 0,
                                    crc, min(size, _U32_MAX), min(size, _U32_MAX), len(name),
                                    len(zip64), 0, 0, 0, 0, min(offset, _U32_MAX))
                        + name + zip64)
        directory_size = self._pos - directory_offset
        count = len(self._entries)
        end64 = self._pos
        self._write(struct.pack('<IQHHIIQQQQ', 0x06064b50, 44, 0x031E, 0x002D, 0, 0, count,
                                count, directory_size, directory_offset))
        self._write(struct.pack('<IIQI', 0x07064b50, 0, end64, 1))
        self._write(struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, min(count, 0xFFFF),
                                min(count, 0xFFFF), min(directory_size, _U32_MAX),
                                min(directory_offset, _U32_MAX), 0))


def _serialization_id():
    high, low = struct.unpack('<QQ', os.urandom(16))
    return f'{high % 10 ** 20:020d}{low % 10 ** 20:020d}'


def _is_path(f):
    return isinstance(f, (str, os.PathLike))


def _archive_name(f):
    """The top folder PyTorch names after the file: its stem; ``archive`` for file objects
    and for names that are not ASCII."""
    if not _is_path(f):
        return 'archive'
    path = os.fspath(f)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    base = os.path.basename(path)
    if not base.isascii():
        return 'archive'
    dot = base.rfind('.')
    stem = base if dot < 0 else base[:dot]
    if not stem:
        raise RuntimeError(f'invalid file name: {path}')
    return stem


def save(obj, f, pickle_module=None, pickle_protocol=DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization=True, _disable_byteorder_record=False):
    """Save ``obj`` to ``f`` (a path, ``pathlib`` path or binary file object) in PyTorch's
    checkpoint format, so that ``torch.load`` reads it (with ``weights_only=True`` too when
    ``obj`` holds only tensors, containers and plain data).

    Tensors viewing the same storage are stored once and share memory again after loading.
    The object is pickled completely before the file is touched, so a pickling error leaves
    no half-written file.
    """
    if pickle_module is not None and pickle_module is not pickle:
        raise TypeError('ember.save supports only the standard pickle module')
    if not _is_path(f) and not callable(getattr(f, 'write', None)):
        message = f"Buffer of {str(type(f)).strip('<>')} has no callable attribute 'write'"
        if not hasattr(f, 'write'):
            raise AttributeError(message)
        raise TypeError(message)
    if not _use_new_zipfile_serialization:
        head, storages = _legacy_pickles(obj, pickle_protocol)
        with _open_for_writing(f) as file:
            file.write(head)
            for storage, dtype in storages:
                data = _host_bytes(storage)
                file.write(struct.pack('<q', data.nbytes // dtype.itemsize))
                file.write(data)
        return
    if _is_path(f):
        parent = os.path.dirname(os.fspath(f))
        if parent and not os.path.isdir(parent):
            raise RuntimeError(f'Parent directory {parent} does not exist.')
    archive = _archive_name(f)
    data_pkl, storages = _dump(obj, pickle_protocol)
    with _open_for_writing(f) as file:
        writer = _ZipWriter(file, archive)
        writer.write_record('data.pkl', data_pkl)
        writer.write_record('.format_version', '1')
        writer.write_record('.storage_alignment', str(STORAGE_ALIGNMENT))
        if not _disable_byteorder_record:
            writer.write_record('byteorder', sys.byteorder)
        for key, (storage, _) in storages.items():
            writer.write_record(f'data/{key}', _host_bytes(storage))
        writer.write_record('version', _FILE_FORMAT_VERSION)
        writer.write_record('.data/serialization_id', _serialization_id())
        writer.finish()


@contextlib.contextmanager
def _open_for_writing(f):
    if _is_path(f):
        with open(f, 'wb') as file:
            yield file
    else:
        yield f
        flush = getattr(f, 'flush', None)
        if callable(flush):
            flush()


def _legacy_pickles(obj, protocol):
    """The pickles of a legacy file and its storages, in the order their bytes follow."""
    sys_info = {'protocol_version': PROTOCOL_VERSION,
                'little_endian': sys.byteorder == 'little',
                'type_sizes': {'short': 2, 'int': 4, 'long': 4}}
    head = io.BytesIO()
    pickle.dump(MAGIC_NUMBER, head, protocol=protocol)
    pickle.dump(PROTOCOL_VERSION, head, protocol=protocol)
    pickle.dump(sys_info, head, protocol=protocol)
    _, storages = _dump(obj, protocol, legacy=True, file=head)
    keys = sorted(storages)
    pickle.dump(keys, head, protocol=protocol)
    return head.getvalue(), [storages[key] for key in keys]


# =======================================================================================
# Reading: PyTorch's names -> ember objects
# =======================================================================================
class _StorageType:
    """What ``torch.FloatStorage`` & co. load as: the dtype of a storage in a checkpoint."""
    __slots__ = ('dtype', 'name')

    def __init__(self, dtype, name):
        self.dtype = dtype
        self.name = name

    def __repr__(self):
        return f'StorageType(dtype={self.dtype})'


class _Unsupported:
    """A PyTorch global that ember knows but cannot represent (refused with its reason)."""
    __slots__ = ('message',)

    def __init__(self, message):
        self.message = message

    def __call__(self, *args, **kwargs):
        raise RuntimeError(self.message)


def _rebuild_tensor(storage, storage_offset, size, stride):
    if not isinstance(storage, _LoadedStorage):
        raise pickle.UnpicklingError(
            f'a tensor in the checkpoint is built on {type(storage).__name__}, not a storage')
    return _tensor_on_storage(storage, storage.dtype, storage_offset, size, stride)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       metadata=None):
    tensor = _rebuild_tensor(storage, storage_offset, size, stride)
    if requires_grad:
        tensor.requires_grad_(True)
    return tensor


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       dtype, metadata=None):
    if not isinstance(storage, _LoadedStorage):
        raise pickle.UnpicklingError('a tensor in the checkpoint is not built on a storage')
    if not isinstance(dtype, dt.dtype):
        raise pickle.UnpicklingError(f'invalid dtype {dtype!r} in checkpoint')
    tensor = _tensor_on_storage(storage, dtype, storage_offset, size, stride)
    if requires_grad:
        tensor.requires_grad_(True)
    return tensor


def _rebuild_parameter(data, requires_grad, backward_hooks):
    if not isinstance(data, Tensor):
        raise pickle.UnpicklingError('a Parameter in the checkpoint wraps no tensor')
    return _parameter_class()(data, requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _set_state(_rebuild_parameter(data, requires_grad, backward_hooks), state)


_REBUILDERS = (_rebuild_tensor, _rebuild_tensor_v2, _rebuild_tensor_v3, _rebuild_parameter,
               _rebuild_parameter_with_state)


def _rebuild_from_type_v2(func, new_type, args, state):
    if func not in _REBUILDERS or not isinstance(args, tuple):
        raise pickle.UnpicklingError(f'_rebuild_from_type_v2 cannot call {func!r}')
    if not (isinstance(new_type, type) and issubclass(new_type, Tensor)):
        raise pickle.UnpicklingError(f'_rebuild_from_type_v2: {new_type!r} is no tensor type')
    tensor = func(*args)
    if type(tensor) is not new_type:
        tensor = tensor.as_subclass(new_type)
    return _set_state(tensor, state)


def _rebuild_device_tensor_from_cpu_tensor(data, dtype, device, requires_grad):
    tensor = data.to(dtype=dtype, device=device)
    if requires_grad:
        tensor.requires_grad_(True)
    return tensor


def _get_layout(name):
    from . import _memory_format
    layout = getattr(_memory_format, name.replace('torch.', '', 1), None)
    if not isinstance(layout, _Layout):
        raise RuntimeError(f'ember has no layout {name}')
    return layout


def _latin1_encode(obj, encoding='utf-8', errors='strict'):
    """``_codecs.encode`` as pickles of bytes use it; only the latin-1 codec is allowed."""
    if codecs.lookup(encoding).name not in ('iso8859-1', 'latin-1') or \
            not isinstance(obj, str):
        raise pickle.UnpicklingError(f'_codecs.encode with encoding {encoding!r} is not '
                                     'allowed in a weights-only load')
    return codecs.encode(obj, encoding, errors)


_UNKNOWN_DTYPES = ('uint1', 'uint2', 'uint3', 'uint4', 'uint5', 'uint6', 'uint7', 'uint16',
                   'uint32', 'uint64', 'int1', 'int2', 'int3', 'int4', 'int5', 'int6', 'int7',
                   'complex32', 'float8_e4m3fn', 'float8_e4m3fnuz', 'float8_e5m2',
                   'float8_e5m2fnuz', 'float8_e8m0fnu', 'float4_e2m1fn_x2', 'bits8',
                   'bits16', 'bits1x8', 'bits2x4', 'bits4x2', 'qint8', 'quint8', 'qint32',
                   'quint4x2', 'quint2x4')
_UNSUPPORTED_REBUILDS = {
    '_rebuild_qtensor': 'quantized tensors', '_rebuild_sparse_tensor': 'sparse tensors',
    '_rebuild_meta_tensor_no_storage': 'meta tensors', '_rebuild_nested_tensor':
    'nested tensors', '_rebuild_wrapper_subclass': 'tensor wrapper subclasses',
    '_rebuild_device_tensor_from_numpy': 'tensors pickled through NumPy'}
_BLOCKED_MODULES = ('sys', 'os', 'posix', 'nt')

_torch_names_cache = {}


def _torch_names():
    """``module.name`` -> ember object for every PyTorch global a checkpoint may name (the
    allow-list of PyTorch's weights-only unpickler, mapped to ember)."""
    if _torch_names_cache:
        return _torch_names_cache
    from ._ops import creation
    Parameter = _parameter_class()
    names = {
        'collections.OrderedDict': collections.OrderedDict,
        'collections.Counter': collections.Counter,
        'torch.nn.parameter.Parameter': Parameter,
        'torch.serialization._get_layout': _get_layout,
        'torch.Size': Size,
        'torch.Tensor': Tensor,
        'torch.device': _Device,
        '_codecs.encode': _latin1_encode,
        'builtins.bytearray': bytearray,
        'builtins.set': set,
        'builtins.complex': complex,
        'torch._utils._rebuild_tensor': _rebuild_tensor,
        'torch._utils._rebuild_tensor_v2': _rebuild_tensor_v2,
        'torch._utils._rebuild_tensor_v3': _rebuild_tensor_v3,
        'torch._utils._rebuild_parameter': _rebuild_parameter,
        'torch._utils._rebuild_parameter_with_state': _rebuild_parameter_with_state,
        'torch._utils._rebuild_device_tensor_from_cpu_tensor':
            _rebuild_device_tensor_from_cpu_tensor,
        'torch._tensor._rebuild_from_type_v2': _rebuild_from_type_v2,
        'torch.UntypedStorage': _StorageType(dt.uint8, 'UntypedStorage'),
        'torch.storage.UntypedStorage': _StorageType(dt.uint8, 'UntypedStorage'),
    }
    for d in dt.ALL_DTYPES:
        names['torch.' + d.name] = d
        storage = _StorageType(d, _storage_name(d))
        names['torch.' + storage.name] = storage
        names['torch.cuda.' + storage.name] = storage
        legacy = getattr(creation, d._tensor_type, None)
        if legacy is not None:
            names['torch.' + d._tensor_type] = legacy
            names['torch.cuda.' + d._tensor_type] = legacy
    for name in _UNKNOWN_DTYPES:
        names['torch.' + name] = _Unsupported(f'ember has no dtype torch.{name}')
    for name in ('QUInt8Storage', 'QInt8Storage', 'QInt32Storage', 'QUInt4x2Storage',
                 'QUInt2x4Storage'):
        names['torch.' + name] = _Unsupported(f'ember cannot load quantized storages '
                                              f'(torch.{name})')
    for name, what in _UNSUPPORTED_REBUILDS.items():
        names['torch._utils.' + name] = _Unsupported(f'ember cannot load {what} '
                                                     f'(torch._utils.{name})')
    _torch_names_cache.update(names)
    return _torch_names_cache


# User allow-list, as torch.serialization.add_safe_globals.
_safe_globals = {}


def _global_key(entry):
    if isinstance(entry, tuple):
        if len(entry) != 2 or not isinstance(entry[1], str):
            raise TypeError('a safe global given as a tuple must be (object, "module.name")')
        return entry[1], entry[0]
    return f'{entry.__module__}.{entry.__qualname__}', entry


def add_safe_globals(safe_globals):
    """Allow ``weights_only`` loads to use these globals (objects, or ``(object,
    'module.name')`` pairs naming them as the file does)."""
    for entry in safe_globals:
        key, obj = _global_key(entry)
        _safe_globals[key] = obj


def get_safe_globals():
    return list(_safe_globals.values())


def clear_safe_globals():
    _safe_globals.clear()


@contextlib.contextmanager
def safe_globals(globals_list):
    """Within the block, ``weights_only`` loads may also use these globals."""
    saved = dict(_safe_globals)
    add_safe_globals(globals_list)
    try:
        yield
    finally:
        _safe_globals.clear()
        _safe_globals.update(saved)


def _fix_name(module, name):
    """Python 2 names that protocol-2 pickles use (``__builtin__.set``) -> Python 3 names."""
    if (module, name) in NAME_MAPPING:
        return NAME_MAPPING[(module, name)]
    if module in IMPORT_MAPPING:
        return IMPORT_MAPPING[module], name
    return module, name


# =======================================================================================
# The weights-only unpickler: an interpreter for the data-only opcodes
# =======================================================================================
_UNSAFE_MESSAGE = (
    "Re-running `ember.load` with `weights_only` set to `False` will likely succeed, but it "
    "can result in arbitrary code execution. Do it only if you got the file from a trusted "
    "source.")


def _weights_only_message(message):
    return f'Weights only load failed. {_UNSAFE_MESSAGE}\n\n{message}'


class _WeightsUnpickler:
    """Runs a pickle that may only build tensors, containers and plain data.

    GLOBAL names resolve through the allow-list (PyTorch's names mapped to ember, plus
    :func:`add_safe_globals`); REDUCE and NEWOBJ call only allow-listed objects; BUILD only
    sets state on OrderedDicts, tensors and allow-listed types; a persistent id must name a
    storage. Any other opcode is refused, so nothing outside the list is imported or run.
    """

    def __init__(self, file, persistent_load=None):
        self.read = file.read
        self.readline = file.readline
        self.persistent_load = persistent_load
        self.memo = {}
        self.allowed = dict(_torch_names())
        self.allowed.update(_safe_globals)
        self.callable_ids = {id(v) for v in self.allowed.values()}

    def load(self):
        self.stack = []
        self.metastack = []
        read = self.read
        ops = _OPS
        try:
            while True:
                key = read(1)
                if not key:
                    raise pickle.UnpicklingError('pickle data was truncated')
                op = ops.get(key[0])
                if op is None:
                    raise pickle.UnpicklingError(f'Unsupported operand {key[0]}')
                if op(self):
                    return self.stack.pop()
        except (IndexError, struct.error, EOFError):
            raise pickle.UnpicklingError('pickle data was truncated or is corrupted') from None

    # ---------------------------------------------------------------- helpers
    def _exactly(self, n):
        data = self.read(n)
        if len(data) != n:
            raise pickle.UnpicklingError('pickle data was truncated')
        return data

    def pop_mark(self):
        if not self.metastack:
            raise pickle.UnpicklingError('could not find MARK')
        items = self.stack
        self.stack = self.metastack.pop()
        return items

    def resolve(self, module, name):
        module, name = _fix_name(module, name)
        full = f'{module}.{name}'
        if module in _BLOCKED_MODULES:
            raise pickle.UnpicklingError(f'Trying to load unsupported GLOBAL {full} whose '
                                         f'module {module} is blocked.')
        obj = self.allowed.get(full, self)
        if obj is self:
            shown = full[len('builtins.'):] if full.startswith('builtins.') else full
            raise pickle.UnpicklingError(
                f'Unsupported global: GLOBAL {shown} was not an allowed global by default. '
                f'Please use `ember.serialization.add_safe_globals([{shown}])` or the '
                f'`ember.serialization.safe_globals([{shown}])` context manager to allowlist '
                'this global if you trust this class/function.')
        if isinstance(obj, _Unsupported):
            raise pickle.UnpicklingError(obj.message)
        return obj

    def check_callable(self, func):
        if id(func) not in self.callable_ids or not callable(func):
            raise pickle.UnpicklingError(
                f'Trying to call reduce for unrecognized function {func!r}')

    def set_item_target(self, opcode):
        target = self.stack[-1]
        if type(target) not in (dict, collections.OrderedDict, collections.Counter):
            raise pickle.UnpicklingError(
                f'Can only {opcode} for dict, collections.OrderedDict, collections.Counter, '
                f'but got {type(target)}')
        return target

    # ---------------------------------------------------------------- opcodes
    # Opcodes that only push a value are one-line entries of _PUSH (below the class).
    def _size(self, fmt):
        n = struct.unpack(fmt, self._exactly(struct.calcsize(fmt)))[0]
        if n < 0:
            raise pickle.UnpicklingError('negative byte count in pickle')
        return n

    def _string(self, n):   # Python 2 str: text when it decodes, else bytes
        data = self._exactly(n)
        try:
            return data.decode('utf-8')
        except UnicodeDecodeError:
            return data

    def _get(self, index):
        try:
            return self.memo[index]
        except KeyError:
            raise pickle.UnpicklingError(f'Memo value not found at index {index}') from None

    def op_proto(self):
        if self._exactly(1)[0] > pickle.HIGHEST_PROTOCOL:
            raise pickle.UnpicklingError('unsupported pickle protocol')

    def op_frame(self):
        self._exactly(8)

    def op_stop(self):
        return True

    def op_mark(self):
        self.metastack.append(self.stack)
        self.stack = []

    def op_pop(self):
        if self.stack:
            self.stack.pop()
        else:
            self.pop_mark()

    def op_pop_mark(self):
        self.pop_mark()

    def op_memo_put(self, index):
        self.memo[index] = self.stack[-1]

    def op_tuple(self):
        items = self.pop_mark()     # first: it replaces self.stack
        self.stack.append(tuple(items))

    def op_tuple_n(self, n):
        items = tuple(self.stack[-n:]) if n else ()
        if len(items) != n:
            raise pickle.UnpicklingError('pickle stack underflow')
        del self.stack[len(self.stack) - n:]
        self.stack.append(items)

    def op_list(self):
        items = self.pop_mark()
        self.stack.append(list(items))

    def op_dict(self):
        items = self.pop_mark()
        self.stack.append({items[i]: items[i + 1] for i in range(0, len(items), 2)})

    def op_frozenset(self):
        items = self.pop_mark()
        self.stack.append(frozenset(items))

    def _list_target(self):
        target = self.stack[-1]
        if type(target) is not list:
            raise pickle.UnpicklingError(f'Can only append to lists, but got {type(target)}')
        return target

    def op_append(self):
        item = self.stack.pop()
        self._list_target().append(item)

    def op_appends(self):
        items = self.pop_mark()
        self._list_target().extend(items)

    def op_setitem(self):
        value = self.stack.pop()
        key = self.stack.pop()
        self.set_item_target('SETITEM')[key] = value

    def op_setitems(self):
        items = self.pop_mark()
        target = self.set_item_target('SETITEMS')
        for i in range(0, len(items), 2):
            target[items[i]] = items[i + 1]

    def op_additems(self):
        items = self.pop_mark()
        target = self.stack[-1]
        if type(target) is not set:
            raise pickle.UnpicklingError(f'Can only add items to sets, but got {type(target)}')
        target.update(items)

    def op_global(self):
        module = self.readline()[:-1].decode('utf-8')
        name = self.readline()[:-1].decode('utf-8')
        self.stack.append(self.resolve(module, name))

    def op_stack_global(self):
        name = self.stack.pop()
        module = self.stack.pop()
        if type(name) is not str or type(module) is not str:
            raise pickle.UnpicklingError('STACK_GLOBAL requires str')
        self.stack.append(self.resolve(module, name))

    def op_reduce(self):
        args = self.stack.pop()
        func = self.stack[-1]
        self.check_callable(func)
        if not isinstance(args, tuple):
            raise pickle.UnpicklingError('REDUCE arguments must be a tuple')
        self.stack[-1] = func(*args)

    def _new(self, cls, args, kwargs):
        if cls is _parameter_class():
            return cls(*args, **kwargs)
        if id(cls) not in self.callable_ids or not isinstance(cls, type):
            raise pickle.UnpicklingError(
                'Can only create new object for nn.Parameter or classes allowlisted via '
                f'`add_safe_globals` but got {cls!r}')
        return cls.__new__(cls, *args, **kwargs)

    def op_newobj(self):
        args = self.stack.pop()
        cls = self.stack.pop()
        self.stack.append(self._new(cls, args, {}))

    def op_newobj_ex(self):
        kwargs = self.stack.pop()
        args = self.stack.pop()
        cls = self.stack.pop()
        self.stack.append(self._new(cls, args, kwargs))

    def op_build(self):
        state = self.stack.pop()
        inst = self.stack[-1]
        cls = type(inst)
        if cls in (collections.OrderedDict, collections.Counter):
            if not isinstance(state, dict):
                raise pickle.UnpicklingError(f'invalid state for {cls.__name__}')
            inst.__dict__.update(state)   # e.g. a state_dict's _metadata
        elif isinstance(inst, Tensor):
            _set_state(inst, state)
        elif id(cls) in self.callable_ids:
            setstate = getattr(inst, '__setstate__', None)
            if setstate is not None:
                setstate(state)
                return
            slots = None
            if isinstance(state, tuple) and len(state) == 2:
                state, slots = state
            if state:
                inst.__dict__.update(state)
            for key, value in (slots or {}).items():
                setattr(inst, key, value)
        else:
            raise pickle.UnpicklingError(
                'Can only build Tensor, Parameter, OrderedDict or types allowlisted via '
                f'`add_safe_globals`, but got {cls}')

    def op_binpersid(self):
        pid = self.stack.pop()
        if type(pid) is not tuple or not pid or _as_str(pid[0]) != 'storage' or \
                self.persistent_load is None:
            raise pickle.UnpicklingError('Only persistent_load of storage is allowed, but got '
                                         f'{pid!r}')
        self.stack.append(self.persistent_load(pid))


def _as_str(value):
    return value.decode('ascii') if isinstance(value, bytes) else value


def _push(make):
    """An opcode that pushes ``make(unpickler)``."""
    def op(self):
        self.stack.append(make(self))
    return op


_U = _WeightsUnpickler
_OPS = {code[0]: op for code, op in [
    # constants and numbers
    (pickle.NONE, _push(lambda u: None)), (pickle.NEWTRUE, _push(lambda u: True)),
    (pickle.NEWFALSE, _push(lambda u: False)),
    (pickle.BININT, _push(lambda u: struct.unpack('<i', u._exactly(4))[0])),
    (pickle.BININT1, _push(lambda u: u._exactly(1)[0])),
    (pickle.BININT2, _push(lambda u: struct.unpack('<H', u._exactly(2))[0])),
    (pickle.LONG1, _push(lambda u: pickle.decode_long(u._exactly(u._size('<B'))))),
    (pickle.LONG4, _push(lambda u: pickle.decode_long(u._exactly(u._size('<i'))))),
    (pickle.BINFLOAT, _push(lambda u: struct.unpack('>d', u._exactly(8))[0])),
    # text and bytes
    (pickle.BINUNICODE, _push(lambda u: str(u._exactly(u._size('<I')), 'utf-8',
                                            'surrogatepass'))),
    (pickle.SHORT_BINUNICODE, _push(lambda u: str(u._exactly(u._size('<B')), 'utf-8',
                                                  'surrogatepass'))),
    (pickle.BINUNICODE8, _push(lambda u: str(u._exactly(u._size('<Q')), 'utf-8',
                                             'surrogatepass'))),
    (pickle.SHORT_BINSTRING, _push(lambda u: u._string(u._size('<B')))),
    (pickle.BINSTRING, _push(lambda u: u._string(u._size('<i')))),
    (pickle.BINBYTES, _push(lambda u: u._exactly(u._size('<I')))),
    (pickle.SHORT_BINBYTES, _push(lambda u: u._exactly(u._size('<B')))),
    (pickle.BINBYTES8, _push(lambda u: u._exactly(u._size('<Q')))),
    (pickle.BYTEARRAY8, _push(lambda u: bytearray(u._exactly(u._size('<Q'))))),
    # empty containers
    (pickle.EMPTY_TUPLE, _push(lambda u: ())), (pickle.EMPTY_LIST, _push(lambda u: [])),
    (pickle.EMPTY_DICT, _push(lambda u: {})), (pickle.EMPTY_SET, _push(lambda u: set())),
    # the memo
    (pickle.BINGET, _push(lambda u: u._get(u._exactly(1)[0]))),
    (pickle.LONG_BINGET, _push(lambda u: u._get(struct.unpack('<I', u._exactly(4))[0]))),
    (pickle.BINPUT, lambda u: u.op_memo_put(u._exactly(1)[0])),
    (pickle.LONG_BINPUT, lambda u: u.op_memo_put(struct.unpack('<I', u._exactly(4))[0])),
    (pickle.MEMOIZE, lambda u: u.op_memo_put(len(u.memo))),
    (pickle.DUP, _push(lambda u: u.stack[-1])),
    # structure
    (pickle.PROTO, _U.op_proto), (pickle.FRAME, _U.op_frame), (pickle.STOP, _U.op_stop),
    (pickle.MARK, _U.op_mark), (pickle.POP, _U.op_pop), (pickle.POP_MARK, _U.op_pop_mark),
    (pickle.TUPLE, _U.op_tuple), (pickle.TUPLE1, lambda u: u.op_tuple_n(1)),
    (pickle.TUPLE2, lambda u: u.op_tuple_n(2)), (pickle.TUPLE3, lambda u: u.op_tuple_n(3)),
    (pickle.LIST, _U.op_list), (pickle.APPEND, _U.op_append),
    (pickle.APPENDS, _U.op_appends), (pickle.DICT, _U.op_dict),
    (pickle.SETITEM, _U.op_setitem), (pickle.SETITEMS, _U.op_setitems),
    (pickle.ADDITEMS, _U.op_additems), (pickle.FROZENSET, _U.op_frozenset),
    # the only opcodes that name or call anything: checked against the allow-list
    (pickle.GLOBAL, _U.op_global), (pickle.STACK_GLOBAL, _U.op_stack_global),
    (pickle.REDUCE, _U.op_reduce), (pickle.NEWOBJ, _U.op_newobj),
    (pickle.NEWOBJ_EX, _U.op_newobj_ex), (pickle.BUILD, _U.op_build),
    (pickle.BINPERSID, _U.op_binpersid)]}


# =======================================================================================
# The full unpickler (weights_only=False): any global, PyTorch's names mapped to ember
# =======================================================================================
_MODULE_RENAMES = {'torch.tensor': 'torch._tensor'}


def _find_torch_class(module, name):
    """The ember object for a global of PyTorch's namespace (None when not PyTorch's)."""
    if module != 'torch' and not module.startswith('torch.'):
        return None
    module = _MODULE_RENAMES.get(module, module)
    obj = _torch_names().get(f'{module}.{name}')
    if obj is not None:
        if isinstance(obj, _Unsupported):
            raise pickle.UnpicklingError(obj.message)
        return obj
    # ember mirrors PyTorch's module tree: torch.nn.modules.linear.Linear -> ember's.
    import importlib
    target = 'ember' + module[len('torch'):]
    try:
        obj = importlib.import_module(target)
        for part in name.split('.'):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        raise pickle.UnpicklingError(f'ember has no equivalent of {module}.{name} (looked '
                                     f'for {target}.{name})') from None
    return obj


def _full_unpickler_class(base):
    class _FullUnpickler(base):
        def __init__(self, file, persistent_load, **kwargs):
            super().__init__(file, **kwargs)
            self._persistent_load = persistent_load

        def persistent_load(self, pid):
            if self._persistent_load is None:
                raise pickle.UnpicklingError('unsupported persistent id encountered')
            if not isinstance(pid, tuple) or not pid:
                raise pickle.UnpicklingError(f'invalid persistent id {pid!r}')
            return self._persistent_load(pid)

        def find_class(self, module, name):
            obj = _find_torch_class(module, name)
            if obj is not None:
                return obj
            return super().find_class(module, name)
    return _FullUnpickler


_FullUnpickler = _full_unpickler_class(pickle.Unpickler)


# =======================================================================================
# map_location
# =======================================================================================
def _restore_default(storage, location):
    """Move a loaded storage to the device a location tag names (PyTorch's rules)."""
    location = _as_str(location)
    if location == 'cpu':
        return storage.cpu()
    if location == 'cuda' or location.startswith('cuda:') or \
            (location.startswith('cuda') and location[4:].isdigit()):
        from . import cuda as _cuda
        suffix = location[5:] if location.startswith('cuda:') else location[4:]
        if not _cuda.is_available():
            raise RuntimeError(
                'Attempting to deserialize object on a CUDA device but '
                'ember.cuda.is_available() is False. If you are running on a CPU-only '
                "machine, please use ember.load with map_location=ember.device('cpu') to map "
                'your storages to the CPU.')
        index = int(suffix) if suffix else _cuda.current_device()
        count = _cuda.device_count()
        if index >= count:
            raise RuntimeError(
                f'Attempting to deserialize object on CUDA device {index} but '
                f'ember.cuda.device_count() is {count}. Please use ember.load with '
                'map_location to map your storages to an existing device.')
        target = _Device('cuda', index)
        if storage.device is target:
            return storage
        host = storage.cpu()._owner
        return _LoadedStorage(backend_of(target).from_host(host, index), target, storage.dtype)
    raise RuntimeError(f"don't know how to restore data location of ember.UntypedStorage "
                       f'(tagged with {location})')


def _restorer(map_location):
    """A function (storage, location tag) -> storage on the device ``map_location`` asks."""
    if map_location is None:
        return _restore_default
    if isinstance(map_location, dict):
        table = {_as_str(k): (str(v) if isinstance(v, _Device) else _as_str(v))
                 for k, v in map_location.items()}
        return lambda storage, location: _restore_default(storage,
                                                          table.get(location, location))
    if isinstance(map_location, (str, bytes)):
        target = _as_str(map_location)
        return lambda storage, location: _restore_default(storage, target)
    if isinstance(map_location, _Device):
        target = str(map_location)
        return lambda storage, location: _restore_default(storage, target)
    if callable(map_location):
        def restore(storage, location):
            result = map_location(storage, location)
            if result is None:
                return _restore_default(storage, location)
            return _as_loaded(result, storage)
        return restore
    raise TypeError(f'map_location must be None, a string, a device, a dict or a callable, '
                    f'not {type(map_location).__name__}')


def _as_loaded(result, original):
    """What a ``map_location`` callable returned, as a loaded storage."""
    if isinstance(result, _LoadedStorage):
        return result
    if isinstance(result, UntypedStorage):
        data = _span_bytes(result)
        return _LoadedStorage(data, result.device, original.dtype)
    raise TypeError(f'map_location returned {type(result).__name__}, expected a storage')


# =======================================================================================
# Reading the ZIP archive
# =======================================================================================
def _corrupt(message):
    return RuntimeError(
        f'ember.load failed reading zip archive: {message}. The checkpoint file is likely '
        'corrupted: it may not have been saved completely, or was truncated or modified '
        'after saving.')


class _ZipReader:
    """Records of a checkpoint archive: the folder prefix is read from the archive; record
    data is read straight into aligned buffers (or mapped from the file) and CRC-checked."""

    def __init__(self, file, mmap_path=None):
        self._file = file
        try:
            self._zip = zipfile.ZipFile(file)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
                struct.error) as error:
            raise _corrupt(f'failed finding central directory ({error})') from None
        infos = self._zip.infolist()
        self._infos = {info.filename: info for info in infos}
        first = next((i.filename for i in infos if '/' in i.filename), None)
        prefix = None if first is None else first.split('/', 1)[0]
        if prefix is None or f'{prefix}/data.pkl' not in self._infos:
            candidates = sorted((n for n in self._infos if n.endswith('/data.pkl')), key=len)
            if not candidates:
                if f'{prefix}/constants.pkl' in self._infos:
                    raise RuntimeError('ember.load cannot load TorchScript archives')
                raise RuntimeError('ember.load: the zip archive has no data.pkl record, so it '
                                   'is not a PyTorch checkpoint')
            prefix = candidates[0][:-len('/data.pkl')]
        self.prefix = prefix
        self._mmap = None
        if mmap_path is not None:
            self._mmap = np.memmap(mmap_path, dtype=np.uint8, mode='c').view(np.ndarray)

    def has_record(self, name):
        return f'{self.prefix}/{name}' in self._infos

    def is_torchscript(self):
        return self.has_record('constants.pkl')

    def read(self, name):
        return bytes(self.read_array(name))

    def read_array(self, name, expected=None):
        """The record's bytes as a writable, aligned uint8 array."""
        info = self._infos.get(f'{self.prefix}/{name}')
        if info is None:
            raise RuntimeError(f"ember.load: the checkpoint has no record '{name}' (it is "
                               'truncated or corrupted)')
        if expected is not None and info.file_size != expected:
            raise RuntimeError(f"ember.load: record '{name}' holds {info.file_size} bytes but "
                               f'the checkpoint expects {expected}: the file is corrupted')
        if info.compress_type != zipfile.ZIP_STORED:
            try:
                return np.frombuffer(self._zip.read(info), dtype=np.uint8).copy()
            except (zipfile.BadZipFile, zlib.error, EOFError) as error:
                raise _corrupt(f"cannot read record '{name}' ({error})") from None
        start = self._data_offset(info, name)
        size = info.file_size
        if self._mmap is not None:
            if start + size > self._mmap.size:
                raise _corrupt(f"record '{name}' runs past the end of the file")
            return self._mmap[start:start + size]
        buffer = np.empty(size, dtype=np.uint8)
        self._file.seek(start)
        if not _read_into(self._file, buffer):
            raise _corrupt(f"record '{name}' is truncated")
        if zlib.crc32(buffer) != info.CRC:
            raise _corrupt(f"CRC-32 check failed for record '{name}'")
        return buffer

    def _data_offset(self, info, name):
        self._file.seek(info.header_offset)
        header = self._file.read(30)
        if len(header) != 30 or header[:4] != _ZIP_MAGIC:
            raise _corrupt(f"bad local header for record '{name}'")
        name_length, extra_length = struct.unpack('<HH', header[26:30])
        return info.header_offset + 30 + name_length + extra_length

    def close(self):
        self._zip.close()


def _read_into(file, buffer):
    """Fill a NumPy buffer from a file; False when the file ends first."""
    view = memoryview(buffer).cast('B')
    got = 0
    while got < len(view):
        n = file.readinto(view[got:])
        if not n:
            return False
        got += n
    return True


def _byteswap(array, dtype):
    """Swap the byte order of a storage in place (checkpoints written on the other order)."""
    item = dtype.itemsize // 2 if dtype.is_complex else dtype.itemsize
    if item > 1 and array.size:
        view = array.view(f'u{item}')
        view.byteswap(inplace=True)


def _load_zip(reader, map_location, unpickler):
    restore = _restorer(map_location)
    byteorder = 'little'        # what PyTorch assumes for files without the record
    if reader.has_record('byteorder'):
        byteorder = reader.read('byteorder').decode('ascii', 'replace')
        if byteorder not in ('little', 'big'):
            raise ValueError('Unknown endianness type: ' + byteorder)
    loaded = {}

    def persistent_load(pid):
        if _as_str(pid[0]) != 'storage' or len(pid) != 5:
            raise pickle.UnpicklingError(f'Unknown persistent id {pid!r}')
        storage_type, key, location, numel = pid[1:]
        if not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f'{storage_type!r} is not a storage type')
        key = _as_str(key)
        dtype = storage_type.dtype
        storage = loaded.get(key)
        if storage is None:
            if not isinstance(numel, int) or numel < 0:
                raise pickle.UnpicklingError(f'invalid storage size {numel!r}')
            data = reader.read_array(f'data/{key}', numel * dtype.itemsize)
            if byteorder != sys.byteorder:
                _byteswap(data, dtype)
            storage = restore(_LoadedStorage(data, CPU, dtype), _as_str(location))
            storage.dtype = dtype
            loaded[key] = storage
        return storage

    data = io.BytesIO(reader.read('data.pkl'))
    return unpickler(data, persistent_load).load()


# =======================================================================================
# Reading the legacy (non-zip) format
# =======================================================================================
def _load_legacy(f, map_location, unpickler):
    restore = _restorer(map_location)
    try:
        magic = unpickler(f, None).load()
    except (pickle.UnpicklingError, EOFError, ValueError, KeyError, IndexError, TypeError,
            AttributeError, ImportError, UnicodeDecodeError) as error:
        raise RuntimeError(f'Invalid magic number; corrupt file? ({error})') from None
    if magic != MAGIC_NUMBER:
        raise RuntimeError('Invalid magic number; corrupt file?')
    version = unpickler(f, None).load()
    if version != PROTOCOL_VERSION:
        raise RuntimeError(f'Invalid protocol version: {version}')
    sys_info = unpickler(f, None).load()
    little = sys_info.get('little_endian', True) if isinstance(sys_info, dict) else True
    swap = little != (sys.byteorder == 'little')

    # The storages' bytes follow the pickle, so the pickle runs first on empty cpu buffers
    # that are filled afterwards; when a storage must move to another device the pickle
    # runs again on the filled, moved storages.
    storages = {}
    views = {}

    def storage_for(pid, finished):
        typename = _as_str(pid[0])
        if typename == 'module':
            return pid[1]
        if typename != 'storage' or len(pid) != 6:
            raise RuntimeError(f'Unknown saved id type: {pid[0]!r}')
        storage_type, key, location, numel, view = pid[1:]
        if not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f'{storage_type!r} is not a storage type')
        key = _as_str(key)
        dtype = storage_type.dtype
        if key not in storages:
            if not isinstance(numel, int) or numel < 0:
                raise pickle.UnpicklingError(f'invalid storage size {numel!r}')
            storages[key] = [_LoadedStorage(np.empty(numel * dtype.itemsize, np.uint8), CPU,
                                            dtype), _as_str(location), None]
        entry = storages[key]
        root = entry[0] if not finished else entry[2]
        if view is None:
            return root
        view_key, offset, size = view
        if (view_key, finished) not in views:
            item = dtype.itemsize
            views[(view_key, finished)] = _LoadedStorage(
                root._owner[offset * item:(offset + size) * item], root.device, dtype)
        return views[(view_key, finished)]

    start = f.tell()
    result = unpickler(f, lambda pid: storage_for(pid, False)).load()
    end = f.tell()
    keys = unpickler(f, None).load()
    for key in keys:
        key = _as_str(key)
        if key not in storages:
            raise RuntimeError(f'ember.load: storage {key!r} is not used by the checkpoint')
        storage = storages[key][0]
        header = f.read(8)
        if len(header) != 8:
            raise RuntimeError('ember.load: the checkpoint is truncated (storage data missing)')
        numel = struct.unpack('<q', header)[0]
        buffer = storage._owner
        if numel * storage.dtype.itemsize != buffer.nbytes:
            raise RuntimeError(f'ember.load: storage {key} holds {numel} elements but the '
                               'checkpoint expects '
                               f'{buffer.nbytes // storage.dtype.itemsize}: corrupted file')
        if not _read_into(f, buffer):
            raise RuntimeError('ember.load: the checkpoint is truncated (storage data missing)')
        if swap:
            _byteswap(buffer, storage.dtype)
    moved = False
    for entry in storages.values():
        storage, location, _ = entry
        entry[2] = restore(storage, location)
        entry[2].dtype = storage.dtype
        moved = moved or entry[2] is not storage
    if not moved:
        f.seek(end)
        return result
    views.clear()
    f.seek(start)
    result = unpickler(f, lambda pid: storage_for(pid, True)).load()
    return result


# =======================================================================================
# load
# =======================================================================================
def _read_magic(f):
    position = f.tell()
    head = f.read(4)
    f.seek(position)
    return head


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Load an object saved by ``torch.save`` or ``ember.save`` from a path, ``pathlib`` path
    or binary file object; tensors come back as ember tensors, sharing storage as they did.

    ``weights_only`` (default True, as in PyTorch 2.6+) only builds tensors, containers and
    plain data: a file that names any other global is refused with ``UnpicklingError``.
    ``weights_only=False`` runs the full unpickler (only for files you trust).

    ``map_location``: None (each storage goes back where it was saved), a device or device
    string, a dict from saved location to new location (``{'cuda:0': 'cpu'}``), or a
    callable ``(storage, location) -> storage or None``. ``mmap=True`` maps the storages of a
    file path instead of reading them (copy-on-write).
    """
    if weights_only is None:
        weights_only = pickle_module is None
    if weights_only:
        if pickle_module is not None:
            raise RuntimeError('Can not safely load weights when explicit pickle_module is '
                               'specified')
        unpickler = _WeightsUnpickler
    else:
        base = getattr(pickle_module, 'Unpickler', pickle.Unpickler)
        cls = _FullUnpickler if base is pickle.Unpickler else _full_unpickler_class(base)
        options = dict(pickle_load_args)
        options.setdefault('encoding', 'utf-8')

        def unpickler(file, persistent_load):
            return cls(file, persistent_load, **options)

    if _is_path(f) and os.fsdecode(os.fspath(f)).endswith('.safetensors'):
        from . import safetensors as _safetensors
        device = 'cpu' if map_location is None else map_location
        if isinstance(device, dict) or (callable(device) and not isinstance(device, _Device)):
            raise RuntimeError('Loading safetensors file with dict or callable map_location '
                               'is not supported. Use a device string or ember.device '
                               'instead.')
        return _safetensors.load_file(f, device=str(device))
    if mmap and not _is_path(f):
        raise ValueError('f must be a file path in order to use the mmap argument')

    with _open_for_reading(f) as file:
        head = _read_magic(file)
        if head == _ZIP_MAGIC:
            reader = _ZipReader(file, os.fspath(f) if mmap else None)
            try:
                if reader.is_torchscript():
                    raise RuntimeError('ember.load cannot load TorchScript archives')
                return _with_weights_only_message(
                    weights_only, _load_zip, reader, map_location, unpickler)
            finally:
                reader.close()
        if not head:
            raise EOFError('Ran out of input: the checkpoint file is empty')
        if mmap:
            raise RuntimeError('mmap can only be used with files saved with '
                               '`ember.save(_use_new_zipfile_serialization=True)`, please '
                               'torch.save your checkpoint with this option in order to use '
                               'mmap.')
        return _with_weights_only_message(weights_only, _load_legacy, file, map_location,
                                          unpickler)


def _with_weights_only_message(weights_only, fn, *args):
    if not weights_only:
        return fn(*args)
    try:
        return fn(*args)
    except pickle.UnpicklingError as error:
        raise pickle.UnpicklingError(_weights_only_message(str(error))) from None


@contextlib.contextmanager
def _open_for_reading(f):
    if _is_path(f):
        with open(f, 'rb') as file:
            yield file
        return
    if not callable(getattr(f, 'read', None)):
        raise AttributeError(f"'{type(f).__name__}' object has no attribute 'read'")
    seekable = getattr(f, 'seekable', None)
    if callable(seekable) and seekable() and callable(getattr(f, 'readinto', None)):
        yield f
    else:   # pipes and minimal file objects: read it all
        yield io.BytesIO(f.read())


def save_file(tensors, filename, metadata=None):
    """Write a dict of tensors to a ``.safetensors`` file (see :mod:`ember.safetensors`)."""
    from . import safetensors as _safetensors
    return _safetensors.save_file(tensors, filename, metadata)


def load_file(filename, device='cpu'):
    """Read a ``.safetensors`` file into a dict of tensors (see :mod:`ember.safetensors`)."""
    from . import safetensors as _safetensors
    return _safetensors.load_file(filename, device)
