"""Turning lists of samples into batches: ``default_collate`` and ``default_convert``."""
import collections.abc
import re

import numpy as np

__all__ = ['default_collate', 'default_convert']

_BAD_NUMPY = re.compile(r'[SaUO]')
_COLLATE_ERROR = ('default_collate: batch must contain tensors, numpy arrays, numbers, dicts '
                  'or lists; found {}')


def _tensor_type():
    from ..._tensor import Tensor
    return Tensor


def _is_namedtuple(obj):
    return isinstance(obj, tuple) and hasattr(obj, '_fields')


def default_convert(data):
    """Convert NumPy arrays (recursively inside containers) to tensors, leaving the rest."""
    from ..._ops.creation import as_tensor
    if isinstance(data, _tensor_type()):
        return data
    if isinstance(data, np.ndarray) or isinstance(data, np.generic):
        if isinstance(data, np.ndarray) and _BAD_NUMPY.search(data.dtype.str):
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        try:
            return type(data)({k: default_convert(v) for k, v in data.items()})
        except TypeError:
            return {k: default_convert(v) for k, v in data.items()}
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def default_collate(batch):
    """Stack a list of samples into a batch, keeping their structure: tensors and arrays
    are stacked, Python floats become float64 tensors and ints int64, mappings and
    (named) tuples are collated field by field."""
    from ..._ops.creation import as_tensor, tensor
    from ..._ops.joining import stack
    from ... import _dtype
    elem = batch[0]
    Tensor = _tensor_type()
    if isinstance(elem, Tensor):
        return stack(batch, 0)
    if isinstance(elem, np.ndarray):
        if _BAD_NUMPY.search(elem.dtype.str):
            raise TypeError(_COLLATE_ERROR.format(elem.dtype))
        return default_collate([as_tensor(b) for b in batch])
    if isinstance(elem, np.generic):
        return as_tensor(np.array(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=_dtype.float64)
    if isinstance(elem, int):
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return type(elem)(collated)
        except TypeError:
            return collated
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError('each element in list of batch should be of equal size')
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [default_collate(samples) for samples in transposed]
        try:
            return type(elem)([default_collate(samples) for samples in transposed])
        except TypeError:
            return [default_collate(samples) for samples in transposed]
    raise TypeError(_COLLATE_ERROR.format(type(elem)))
