"""safetensors: a dict of tensors in a flat, pickle-free file.

The format (https://huggingface.co/docs/safetensors)::

    8 bytes         N, the header length (unsigned little-endian)
    N bytes         a JSON object {"name": {"dtype": "F32", "shape": [2, 3],
                    "data_offsets": [begin, end]}, ..., "__metadata__": {str: str}},
                    padded with spaces so the data starts on an 8-byte boundary
    the rest        each tensor's bytes, C-contiguous and little-endian, back to back

The functions follow ``safetensors.torch``: ``save``/``load`` work on bytes,
``save_file``/``load_file`` on files, and ``safe_open`` reads tensors one at a time.
Tensors are laid out as the reference writer does (by dtype size, largest first, then by
name), so files are interchangeable with the ``safetensors`` package.
"""
import json
import os
import struct
import sys

import numpy as np

from . import _dtype as dt
from ._device import CPU, backend_of, to_device
from ._tensor import Tensor, make_tensor

__all__ = ['save', 'load', 'save_file', 'load_file', 'safe_open']

_MAX_HEADER = 100_000_000
# safetensors' dtype names, in the reference implementation's order (the writer places
# tensors of later dtypes first).
_ORDER = ['BOOL', 'U8', 'I8', 'I16', 'F16', 'BF16', 'I32', 'F32', 'C64', 'F64', 'I64']
_TO_EMBER = {'BOOL': dt.bool, 'U8': dt.uint8, 'I8': dt.int8, 'I16': dt.int16,
             'F16': dt.float16, 'BF16': dt.bfloat16, 'I32': dt.int32, 'F32': dt.float32,
             'C64': dt.complex64, 'F64': dt.float64, 'I64': dt.int64}
_FROM_EMBER = {d: name for name, d in _TO_EMBER.items()}
_RANK = {name: i for i, name in enumerate(_ORDER)}


class SafetensorError(ValueError):
    """A file or buffer that is not valid safetensors."""


# ---------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------
def _check(tensors, metadata):
    if not isinstance(tensors, dict):
        raise ValueError(f'Expected a dict of [str, ember.Tensor] but received '
                         f'{type(tensors).__name__}')
    for name, tensor in tensors.items():
        if not isinstance(name, str):
            raise ValueError(f'Key `{name!r}` is invalid, expected str but received '
                             f'{type(name).__name__}')
        if not isinstance(tensor, Tensor):
            raise ValueError(f'Key `{name}` is invalid, expected ember.Tensor but received '
                             f'{type(tensor).__name__}')
        if tensor._dtype not in _FROM_EMBER:
            raise ValueError(f'Tensor `{name}` has dtype {tensor._dtype}, which safetensors '
                             'cannot store')
        if not tensor.is_contiguous():
            raise ValueError(
                f'You are trying to save a non contiguous tensor: `{name}` which is not '
                'allowed. It either means you are trying to save tensors which are reference '
                "of each other in which case it's recommended to save only the full tensors, "
                'and reslice at load time, or simply call `.contiguous()` on your tensor to '
                'pack it before saving.')
    if metadata is not None:
        if not isinstance(metadata, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise ValueError('metadata must be a dict of str to str')
    _check_shared(tensors)


def _check_shared(tensors):
    """Refuse tensors whose memory overlaps (safetensors would store it twice)."""
    by_storage = {}
    for name, tensor in tensors.items():
        if tensor.numel() == 0:
            continue
        storage = tensor.untyped_storage()
        start = tensor.storage_offset() * tensor.element_size()
        by_storage.setdefault(id(storage), []).append(
            (start, start + tensor.nbytes, name))
    failing = []
    for spans in by_storage.values():
        spans.sort()
        group = [spans[0]]
        for span in spans[1:]:
            if span[0] < max(end for _, end, _ in group):
                group.append(span)
            else:
                if len(group) > 1:
                    failing.append({n for _, _, n in group})
                group = [span]
        if len(group) > 1:
            failing.append({n for _, _, n in group})
    if failing:
        raise RuntimeError(
            f'Some tensors share memory, this will lead to duplicate memory on disk and '
            f'potential differences when loading them again: {failing}.\nA potential way to '
            'correctly save your model is to use `save_model`.\nMore information at '
            'https://huggingface.co/docs/safetensors/torch_shared_tensors')


def _little_endian_bytes(tensor):
    data = tensor._host_array()
    if sys.byteorder == 'big' and data.dtype.itemsize > 1:
        data = data.byteswap()
    return np.ascontiguousarray(data).reshape(-1).view(np.uint8)


def _prepare(tensors, metadata):
    _check(tensors, metadata)
    names = sorted(tensors, key=lambda n: (-_RANK[_FROM_EMBER[tensors[n]._dtype]], n))
    header = {}
    if metadata is not None:
        header['__metadata__'] = dict(sorted(metadata.items()))
    offset = 0
    chunks = []
    for name in names:
        tensor = tensors[name]
        data = _little_endian_bytes(tensor)
        header[name] = {'dtype': _FROM_EMBER[tensor._dtype], 'shape': list(tensor.shape),
                        'data_offsets': [offset, offset + data.nbytes]}
        offset += data.nbytes
        chunks.append(data)
    text = json.dumps(header, separators=(',', ':'), ensure_ascii=False).encode('utf-8')
    text += b' ' * (-len(text) % 8)
    return [struct.pack('<Q', len(text)), text] + chunks


def save(tensors, metadata=None):
    """The safetensors bytes of a dict ``{name: tensor}`` (with optional str metadata)."""
    return b''.join(bytes(chunk) for chunk in _prepare(tensors, metadata))


def save_file(tensors, filename, metadata=None):
    """Write a dict ``{name: tensor}`` to a ``.safetensors`` file."""
    chunks = _prepare(tensors, metadata)
    with open(filename, 'wb') as file:
        for chunk in chunks:
            file.write(chunk)


# ---------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------
def _parse_header(head, total):
    """(header dict without metadata, metadata, data start) after validating the layout."""
    if total < 8:
        raise SafetensorError('Error while deserializing header: HeaderTooSmall')
    (n,) = struct.unpack('<Q', head[:8])
    if n > _MAX_HEADER:
        raise SafetensorError('Error while deserializing header: HeaderTooLarge')
    if 8 + n > total or len(head) < 8 + n:
        raise SafetensorError('Error while deserializing header: InvalidHeaderLength')
    try:
        header = json.loads(bytes(head[8:8 + n]).decode('utf-8'))
    except (UnicodeDecodeError, ValueError) as error:
        raise SafetensorError(f'Error while deserializing header: {error}') from None
    if not isinstance(header, dict):
        raise SafetensorError('Error while deserializing header: the header is not a JSON '
                              'object')
    metadata = header.pop('__metadata__', None)
    if metadata is not None and not (isinstance(metadata, dict) and all(
            isinstance(v, str) for v in metadata.values())):
        raise SafetensorError('Error while deserializing header: invalid __metadata__')
    entries = []
    for name, info in header.items():
        try:
            dtype = _TO_EMBER[info['dtype']] if info['dtype'] in _TO_EMBER else None
            shape = [int(s) for s in info['shape']]
            begin, end = (int(x) for x in info['data_offsets'])
        except (KeyError, TypeError, ValueError):
            raise SafetensorError(f'Error while deserializing header: invalid entry for '
                                  f'tensor `{name}`') from None
        if dtype is None:
            raise SafetensorError(f'Tensor `{name}` has dtype {info["dtype"]}, which ember '
                                  'does not support')
        if any(s < 0 for s in shape):
            raise SafetensorError(f'Error while deserializing header: invalid shape for '
                                  f'tensor `{name}`')
        entries.append((begin, end, name, dtype, shape))
    entries.sort(key=lambda e: (e[0], e[1]))
    position = 0
    for begin, end, name, dtype, shape in entries:
        if begin != position or end < begin:
            raise SafetensorError(f'Error while deserializing header: invalid offset for '
                                  f'tensor `{name}`')
        numel = 1
        for s in shape:
            numel *= s
        if end - begin != numel * dtype.itemsize:
            raise SafetensorError(f'Error while deserializing header: invalid shape, data '
                                  f'type, or offset for tensor `{name}`')
        position = end
    if 8 + n + position != total:
        raise SafetensorError('Error while deserializing header: MetadataIncompleteBuffer')
    return {e[2]: e for e in entries}, metadata, 8 + n


def _to_tensor(raw, dtype, shape, device):
    array = np.frombuffer(raw, dtype=dtype.numpy_dtype).copy().reshape(shape)
    if sys.byteorder == 'big' and dtype.itemsize > 1:
        array = array.byteswap()
    device = to_device(device)
    if device is not CPU:
        array = backend_of(device).from_host(array, device.index)
    return make_tensor(array, dtype, device)


def load(data, device='cpu'):
    """The dict of tensors stored in safetensors bytes."""
    view = memoryview(data).cast('B')
    entries, _, start = _parse_header(view, len(view))
    return {name: _to_tensor(view[start + begin:start + end], dtype, shape, device)
            for name, (begin, end, _, dtype, shape) in sorted(entries.items())}


class safe_open:  # noqa: N801 - the safetensors name
    """Open a ``.safetensors`` file and read tensors lazily: ``keys()``, ``get_tensor(name)``,
    ``metadata()``. Use as a context manager. ``framework`` is accepted for compatibility
    (``'pt'``, ``'torch'``, ``'ember'`` or ``'numpy'``)."""

    def __init__(self, filename, framework='pt', device='cpu'):
        if framework not in ('pt', 'torch', 'ember', 'numpy', 'np'):
            raise ValueError(f'framework {framework!r} is not supported')
        self._numpy = framework in ('numpy', 'np')
        self._device = device
        self._file = open(filename, 'rb')
        try:
            total = os.fstat(self._file.fileno()).st_size
            head = self._file.read(8)
            n = struct.unpack('<Q', head)[0] if len(head) == 8 else 0
            if n <= _MAX_HEADER:
                head += self._file.read(n)
            self._entries, self._metadata, self._start = _parse_header(head, total)
        except BaseException:
            self._file.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._file.close()
        return False

    def keys(self):
        return sorted(self._entries)

    def metadata(self):
        return None if self._metadata is None else dict(self._metadata)

    def get_tensor(self, name):
        try:
            begin, end, _, dtype, shape = self._entries[name]
        except KeyError:
            raise SafetensorError(f'File does not contain tensor {name}') from None
        self._file.seek(self._start + begin)
        raw = self._file.read(end - begin)
        if len(raw) != end - begin:
            raise SafetensorError(f'File ends inside tensor {name}')
        tensor = _to_tensor(raw, dtype, shape, 'cpu' if self._numpy else self._device)
        return tensor._data if self._numpy else tensor


def load_file(filename, device='cpu'):
    """The dict of tensors stored in a ``.safetensors`` file (names in sorted order)."""
    with safe_open(filename, 'pt', device) as f:
        return {name: f.get_tensor(name) for name in f.keys()}
