"""RNN helpers: padding and packing variable-length sequences.

A ``PackedSequence`` stores a batch of sequences sorted by length (longest first) time step
by time step: ``data`` holds, for each step ``t``, the rows of the ``batch_sizes[t]``
sequences still running, so an RNN never computes on padding. ``pack_padded_sequence`` and
``pad_packed_sequence`` convert between that layout and a padded ``(T, B, *)`` tensor (one
gather / one scatter node each).
"""
from collections import namedtuple

import numpy as np

from ...autograd.function import Op
from ..._tensor import Tensor, make_tensor
from ... import _dtype as dt

__all__ = ['PackedSequence', 'invert_permutation', 'pack_padded_sequence',
           'pad_packed_sequence', 'pad_sequence', 'unpad_sequence', 'pack_sequence',
           'unpack_sequence']


# ---------------------------------------------------------------------------------------
# PackedSequence
# ---------------------------------------------------------------------------------------
PackedSequence_ = namedtuple('PackedSequence_',
                             ['data', 'batch_sizes', 'sorted_indices', 'unsorted_indices'])


class PackedSequence(PackedSequence_):
    """Packed sequences: ``data`` (all steps' rows, step after step), ``batch_sizes`` (rows per
    step, an int64 cpu tensor), and the permutations that sorted the batch by length
    (``sorted_indices``) and undo it (``unsorted_indices``), or None when it was sorted.

    Make these with ``pack_padded_sequence`` or ``pack_sequence``, not by hand.
    """
    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is not None:
            if batch_sizes.device.type != 'cpu':
                raise ValueError(
                    'batch_sizes should always be on CPU. Instances of PackedSequence should '
                    'never be created manually. They should be instantiated by functions like '
                    'pack_sequence and pack_padded_sequences in nn.utils.rnn. '
                    'https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence')
            return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)
        if not (isinstance(data, (list, tuple)) and len(data) == 2):
            raise AssertionError('Expected data to be a list or tuple of length 2')
        return super().__new__(cls, data[0], data[1], sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """``data.to(...)``; the index tensors follow ``data`` to its device."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        non_blocking = kwargs.get('non_blocking', False)

        def move(t):
            return None if t is None else t.to(data.device, non_blocking=non_blocking)
        return type(self)(data, self.batch_sizes, move(self.sorted_indices),
                          move(self.unsorted_indices))

    def cuda(self, *args, **kwargs):
        if 'device' not in kwargs and not args:
            kwargs['device'] = 'cuda'
        return self.to(*args, **kwargs)

    def cpu(self, *args, **kwargs):
        kwargs['device'] = 'cpu'
        return self.to(*args, **kwargs)

    def pin_memory(self):
        return self

    def double(self):
        return self.to(dtype=dt.float64)

    def float(self):
        return self.to(dtype=dt.float32)

    def half(self):
        return self.to(dtype=dt.float16)

    def long(self):
        return self.to(dtype=dt.int64)

    def int(self):
        return self.to(dtype=dt.int32)

    def short(self):
        return self.to(dtype=dt.int16)

    def char(self):
        return self.to(dtype=dt.int8)

    def byte(self):
        return self.to(dtype=dt.uint8)

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return self.data.is_pinned()


def invert_permutation(permutation):
    """The inverse of a 1-D permutation tensor (None stays None)."""
    if permutation is None:
        return None
    from ..._ops.creation import arange, empty_like
    output = empty_like(permutation)
    output.scatter_(0, permutation, arange(0, permutation.numel(), device=permutation.device))
    return output


# ---------------------------------------------------------------------------------------
# gather / scatter of the packed rows
# ---------------------------------------------------------------------------------------
def _row_indices(batch_sizes):
    """(time, batch) indices of the packed rows, step after step."""
    bs = np.asarray(batch_sizes, dtype=np.int64)
    T = bs.shape[0]
    t_idx = np.repeat(np.arange(T, dtype=np.int64), np.asarray(bs).astype(np.intp, copy=False))
    starts = np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(bs)[:-1]])
    b_idx = np.arange(t_idx.shape[0], dtype=np.int64) - np.repeat(
        starts, np.asarray(bs).astype(np.intp, copy=False))
    return t_idx, b_idx


class _PackRows(Op):
    """Gather the rows of a padded tensor into packed order."""
    node_name = 'PackPaddedSequenceBackward0'

    @staticmethod
    def forward(ctx, x, t_idx, b_idx, batch_first):
        if ctx is not None:
            ctx._shape = x.shape
        return x[b_idx, t_idx] if batch_first else x[t_idx, b_idx]

    def backward(self, grad):
        t_idx, b_idx, batch_first = self.args[1:]
        return (_PadRows.apply(grad, t_idx, b_idx, batch_first, self._shape, 0.0),)


class _PadRows(Op):
    """Scatter packed rows into a padded tensor filled with ``padding_value``.

    PyTorch fills the padded tensor by copying into slices, so its node is CopySlices."""

    def name(self):
        return 'torch::autograd::CopySlices'

    @staticmethod
    def forward(ctx, data, t_idx, b_idx, batch_first, shape, padding_value):
        out = np.full(shape, padding_value, dtype=data.dtype) if type(data) is np.ndarray \
            else _xp(data).full(shape, padding_value, dtype=data.dtype)
        if batch_first:
            out[b_idx, t_idx] = data
        else:
            out[t_idx, b_idx] = data
        return out

    def backward(self, grad):
        t_idx, b_idx, batch_first = self.args[1:4]
        return (_PackRows.apply(grad, t_idx, b_idx, batch_first),)


_PadRows.__name__ = _PadRows.__qualname__ = 'CopySlices'


def _xp(array):
    import importlib
    return importlib.import_module(type(array).__module__.split('.')[0])


# ---------------------------------------------------------------------------------------
# public functions
# ---------------------------------------------------------------------------------------
def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch of sequences (``(T, B, *)``, or ``(B, T, *)`` with
    ``batch_first``) whose true lengths are ``lengths``. With ``enforce_sorted`` the
    sequences must be sorted by decreasing length; otherwise they are sorted here and the
    permutation is kept in the result."""
    from ..._ops.creation import as_tensor
    if not isinstance(lengths, Tensor):
        lengths = as_tensor(lengths, dtype=dt.int64, device='cpu')
    else:
        lengths = lengths.to(dtype=dt.int64)
    sorted_indices = None
    if not enforce_sorted:
        from ..._ops.sorting import sort
        lengths, sorted_indices = sort(lengths, descending=True)
        sorted_indices = sorted_indices.to(input.device)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    lens = lengths.cpu()._data.reshape(-1).astype(np.int64)
    if input.dim() < 2:
        raise RuntimeError(f'pack_padded_sequence: expected input with at least 2 dims, got '
                           f'{input.dim()}')
    batch_size = input.shape[0] if batch_first else input.shape[1]
    if lens.shape[0] != batch_size:
        raise RuntimeError(f'Expected `len(lengths)` to be equal to batch_size, but got '
                           f'{lens.shape[0]} (batch_size={batch_size})')
    if lens.shape[0] and lens[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if np.any(lens[1:] > lens[:-1]):
        raise RuntimeError('`lengths` array must be sorted in decreasing order when '
                           '`enforce_sorted` is True. You can pass `enforce_sorted=False` to '
                           'pack_padded_sequence and/or pack_sequence to sidestep this '
                           'requirement if you do not need ONNX exportability.')
    if np.any(lens <= 0):
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    T = input.shape[1] if batch_first else input.shape[0]
    if lens.shape[0] and lens[0] > T:
        raise RuntimeError(f'pack_padded_sequence: a length ({int(lens[0])}) is larger than '
                           f'the padded sequence length ({T})')
    max_len = int(lens[0]) if lens.shape[0] else 0
    batch_sizes = (lens[None, :] > np.arange(max_len, dtype=np.int64)[:, None]).sum(1)
    batch_sizes = batch_sizes.astype(np.int64)
    t_idx, b_idx = _row_indices(batch_sizes)
    data = _PackRows.apply(input, t_idx, b_idx, bool(batch_first))
    bs_tensor = make_tensor(batch_sizes, dt.int64, lengths.cpu().device)
    return PackedSequence(data, bs_tensor, sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Unpack a ``PackedSequence`` into a padded tensor and the lengths of its sequences
    (in the original batch order)."""
    batch_sizes = sequence.batch_sizes._data.astype(np.int64).reshape(-1)
    max_seq_length = batch_sizes.shape[0]
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError('Expected total_length to be at least the length of the longest '
                             f'sequence in input, but got total_length={total_length} and max '
                             f'sequence length being {max_seq_length}')
        max_seq_length = total_length
    data = sequence.data
    B = int(batch_sizes[0]) if batch_sizes.shape[0] else 0
    trailing = tuple(data.shape[1:])
    t_idx, b_idx = _row_indices(batch_sizes)
    padded = _PadRows.apply(data, t_idx, b_idx, False, (max_seq_length, B) + trailing,
                            padding_value)
    if batch_first:
        padded = padded.transpose(0, 1)
    lengths = (batch_sizes[None, :] > np.arange(B, dtype=np.int64)[:, None]).sum(1)
    lengths = make_tensor(lengths.astype(np.int64), dt.int64, sequence.batch_sizes.device)
    unsorted_indices = sequence.unsorted_indices
    if unsorted_indices is not None:
        padded = padded.index_select(0 if batch_first else 1, unsorted_indices)
        lengths = lengths[unsorted_indices.cpu()]
    return padded, lengths


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side='right'):
    """Stack variable-length sequences (``(L_i, *)`` each) into one ``(T, B, *)`` tensor
    (``(B, T, *)`` with ``batch_first``), padding with ``padding_value`` on the right (or
    the left)."""
    from ..._ops.creation import full
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    try:
        sequences = tuple(sequences)
    except TypeError:
        raise RuntimeError('pad_sequence: Expected iterable for input sequences, but got arg '
                           f'of type: {type(sequences)}') from None
    if padding_side not in ('left', 'right'):
        raise RuntimeError(f'Expected padding_side to be one of left or right, but got '
                           f'{padding_side}.')
    if not sequences:
        raise RuntimeError('received an empty list of sequences')
    max_len = max(s.size(0) for s in sequences)
    trailing = tuple(sequences[0].shape[1:])
    for s in sequences[1:]:
        other = tuple(s.shape[1:])
        if other != trailing:
            for d, (a, b) in enumerate(zip(trailing, other)):
                if a != b:
                    raise RuntimeError(f'The size of tensor a ({a}) must match the size of '
                                       f'tensor b ({b}) at non-singleton dimension {d + 1}')
            raise RuntimeError('pad_sequence: all sequences must have the same number of '
                               'dimensions')
    B = len(sequences)
    shape = ((B, max_len) if batch_first else (max_len, B)) + trailing
    out = full(shape, padding_value, dtype=sequences[0].dtype, device=sequences[0].device)
    for i, s in enumerate(sequences):
        n = s.size(0)
        rows = slice(max_len - n, max_len) if padding_side == 'left' else slice(0, n)
        if batch_first:
            out[i, rows] = s
        else:
            out[rows, i] = s
    return out


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Split a padded batch back into a list of sequences of the given lengths."""
    from ..._ops.creation import arange
    if not batch_first:
        # PyTorch transposes the argument in place here; ember leaves it untouched.
        padded_sequences = padded_sequences.transpose(0, 1)
    max_length = padded_sequences.shape[1]
    idx = arange(max_length, device=lengths.device)
    return [seq[idx < length] for seq, length in zip(padded_sequences, lengths)]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of variable-length sequences (``pad_sequence`` then
    ``pack_padded_sequence``)."""
    from ..._ops.creation import as_tensor
    lengths = as_tensor([v.size(0) for v in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths,
                                enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences in a ``PackedSequence`` (the inverse of ``pack_sequence``)."""
    padded_sequences, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded_sequences, lengths, batch_first=True)
