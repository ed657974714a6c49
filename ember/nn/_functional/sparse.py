"""nn.functional: embeddings (``embedding``, ``embedding_bag``).

``embedding`` is a row lookup (``EmbeddingBackward0``); its backward adds the output
gradient's rows into a zero table at the looked-up indices. That scatter-add is the costly
part, and ``np.add.at`` is slow, so rows are sorted by index and summed per index group:
singletons are copied, short groups are added rank by rank (at most 16 vectorised steps),
and long groups are summed as contiguous blocks (never a loop over rows).
``embedding_bag`` reduces the looked-up rows of each bag (sum, mean or max) with the same
segment machinery.
"""
import numpy as np

from ... import _dtype as dt
from ... import _args
from ..._tensor import Tensor, make_tensor
from ...autograd import grad_mode
from ...autograd.function import Op, attach

__all__ = ['embedding', 'embedding_bag']

_grad_state = grad_mode.state
_NAMES = {'float32': 'Float', 'float64': 'Double', 'float16': 'Half', 'bfloat16': 'BFloat16',
          'int64': 'Long', 'int32': 'Int', 'int16': 'Short', 'int8': 'Char', 'uint8': 'Byte',
          'bool': 'Bool', 'complex64': 'ComplexFloat', 'complex128': 'ComplexDouble'}
_INDEX_DTYPES = (dt.int64, dt.int32)
# Segments longer than this are reduced as blocks (one by one, or with one reduceat when
# there are many); shorter ones rank by rank.
_LONG_SEGMENT = 16
_MANY_SEGMENTS = 32


def _check_tensor(x, name, arg, position):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be Tensor, not "
                        f"{_args.type_name(x)}")


def _compute(np_dtype):
    """float16/bfloat16 accumulate in float32."""
    return np.dtype(np.float32) if np_dtype.itemsize == 2 else np_dtype


# ---------------------------------------------------------------------------------------
# segment reductions
# ---------------------------------------------------------------------------------------
def segment_reduce(ufunc, rows, starts, lengths, fill):
    """``ufunc``-reduce consecutive segments of ``rows`` (P, D): segment i is
    ``rows[starts[i]:starts[i] + lengths[i]]``. Empty segments give ``fill``."""
    nseg = len(starts)
    out = np.full((nseg,) + rows.shape[1:], fill, rows.dtype)
    if nseg == 0 or rows.shape[0] == 0:
        return out
    nonempty = lengths > 0
    out[nonempty] = rows[starts[nonempty]]
    multi = np.flatnonzero(lengths > 1)
    if len(multi) == 0:
        return out
    long = multi[lengths[multi] > _LONG_SEGMENT]
    if len(long) > _MANY_SEGMENTS:
        # One reduceat over (start, end) pairs; every other result is a segment's.
        bounds = np.empty(2 * len(long), np.intp)   # reduceat wants intp (32-bit on wasm)
        bounds[0::2] = starts[long]
        bounds[1::2] = starts[long] + lengths[long]
        if bounds[-1] == rows.shape[0]:
            bounds = bounds[:-1]
        out[long] = ufunc.reduceat(rows, bounds, axis=0)[0::2]
    else:
        for i in long:
            s = starts[i]
            out[i] = ufunc.reduce(rows[s:s + lengths[i]], axis=0)
    short = multi[lengths[multi] <= _LONG_SEGMENT]
    if len(short):
        short_starts, short_lengths = starts[short], lengths[short]
        for rank in range(1, int(short_lengths.max())):
            alive = short_lengths > rank
            which = short[alive]
            out[which] = ufunc(out[which], rows[short_starts[alive] + rank])
    return out


def index_add_rows(values, index, num_rows):
    """A (num_rows, D) table with each row of ``values`` (P, D) added at ``index`` (P,)."""
    table = np.zeros((num_rows,) + values.shape[1:], values.dtype)
    if index.size == 0:
        return table
    order = np.argsort(index, kind='stable')
    sorted_index = index[order]
    first = np.empty(len(sorted_index), bool)
    first[0] = True
    np.not_equal(sorted_index[1:], sorted_index[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    if len(starts) == len(sorted_index):
        table[index] = values
        return table
    lengths = np.diff(np.append(starts, len(sorted_index)))
    table[sorted_index[starts]] = segment_reduce(np.add, values[order], starts, lengths, 0)
    return table


# ---------------------------------------------------------------------------------------
# embedding
# ---------------------------------------------------------------------------------------
def _check_indices(indices, name):
    if indices._dtype not in _INDEX_DTYPES:
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                           "following scalar types: Long, Int; but got "
                           f'{_legacy(indices._dtype)} instead (while checking arguments for '
                           f'{name})')


def _legacy(dtype):
    return f'torch.{_NAMES[dtype.name]}Tensor'


def _check_range(idx, num_rows, exc=IndexError, message='index out of range in self'):
    if idx.size and (idx.min() < 0 or idx.max() >= num_rows):
        raise exc(message)


def _row_factors(idx, num_rows, padding_idx, scale_grad_by_freq):
    """Per-row gradient factors: 0 at ``padding_idx``, 1 / count with
    ``scale_grad_by_freq`` (None when every factor is 1)."""
    factors = None
    if scale_grad_by_freq:
        counts = np.bincount(idx.astype(np.intp, copy=False), minlength=num_rows)
        factors = 1.0 / counts[idx]
    if padding_idx is not None:
        keep = idx != padding_idx
        factors = keep.astype(np.float64) if factors is None else factors * keep
    return factors


class Embedding(Op):
    """Rows of ``weight`` at ``indices``."""
    node_name = 'EmbeddingBackward0'

    @staticmethod
    def forward(ctx, weight, idx, out_shape, padding_idx, scale_grad_by_freq):
        return weight.take(idx.astype(np.intp, copy=False), axis=0).reshape(out_shape)

    def backward(self, grad):
        idx, out_shape, padding_idx, scale = self.args[1:]
        num_rows = self._metas[0][0][0]
        return (EmbeddingDenseBackward.apply(grad, idx, num_rows, padding_idx, scale),)


class EmbeddingDenseBackward(Op):
    """The weight gradient of ``embedding``: output-gradient rows added at their indices."""
    node_name = 'EmbeddingDenseBackwardBackward0'

    @staticmethod
    def forward(ctx, grad, idx, num_rows, padding_idx, scale_grad_by_freq):
        dim = grad.shape[-1]
        rows = grad.reshape(-1, dim)
        compute = _compute(rows.dtype)
        rows = rows.astype(compute) if rows.dtype != compute else rows
        factors = _row_factors(idx, num_rows, padding_idx, scale_grad_by_freq)
        if factors is not None:
            rows = rows * factors.astype(compute)[:, None]
        table = index_add_rows(rows, idx, num_rows)
        if padding_idx is not None:
            table[padding_idx] = 0
        return table.astype(grad.dtype) if table.dtype != grad.dtype else table

    def backward(self, grad):
        idx, num_rows, padding_idx, scale = self.args[1:]
        shape = self._metas[0][0]
        rows = Embedding.apply(grad, idx, (len(idx), grad._data.shape[-1]), None, False)
        # PyTorch's double backward masks the padding rows but does not scale by frequency.
        factors = _row_factors(idx, num_rows, padding_idx, False)
        if factors is not None:
            rows = rows * make_tensor(factors.astype(grad._data.dtype)[:, None], grad._dtype,
                                      grad._device)
        return (rows.reshape(shape),)


def _p_norms(rows, p):
    a = np.abs(rows.astype(np.float64))
    if p == float('inf'):
        return a.max(1)
    if p == float('-inf'):
        return a.min(1)
    if p == 0:
        return (a != 0).sum(1).astype(np.float64)
    if p == 1:
        return a.sum(1)
    if p == 2:
        return np.sqrt((a * a).sum(1))
    return (a ** p).sum(1) ** (1.0 / p)


def embedding_renorm_(weight, indices, max_norm, norm_type):
    """Rescale, in place, the rows of ``weight`` used by ``indices`` whose ``norm_type``-norm
    exceeds ``max_norm`` to norm ``max_norm`` (PyTorch's ``embedding_renorm_``)."""
    idx = np.unique(indices._data.reshape(-1).astype(np.int64))
    _check_range(idx, weight._data.shape[0])
    data = weight._data
    rows = data[idx]
    norms = _p_norms(rows, norm_type)
    big = norms > max_norm
    if big.any():
        scale = max_norm / (norms[big] + 1e-7)
        data[idx[big]] = (rows[big] * scale[:, None]).astype(data.dtype)
    weight._bump_version()
    return weight


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Look up the rows of ``weight`` at the integer indices ``input``: the result has shape
    ``input.shape + (embedding_dim,)``.

    ``padding_idx`` rows get no gradient; ``max_norm`` first renormalizes, in place, the
    looked-up rows whose norm exceeds it; ``scale_grad_by_freq`` divides each row's gradient
    by how often its index occurs in ``input``.
    """
    _check_tensor(input, 'embedding', 'input', 1)
    _check_tensor(weight, 'embedding', 'weight', 2)
    num_rows = weight.size(0) if weight.dim() else 0
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= num_rows:
                raise AssertionError('Padding_idx must be within num_embeddings')
        elif padding_idx < 0:
            if padding_idx < -num_rows:
                raise AssertionError('Padding_idx must be within num_embeddings')
            padding_idx = num_rows + padding_idx
    if sparse:
        raise NotImplementedError('ember does not support sparse gradients: use sparse=False')
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    _check_indices(input, 'embedding')
    idx = input._data.reshape(-1)
    if idx.dtype != np.int64:
        idx = idx.astype(np.int64)
    if not num_rows:
        raise RuntimeError('index_select(): self indexing axis dim should be positive')
    _check_range(idx, num_rows)
    if max_norm is not None:
        from ...autograd.grad_mode import no_grad
        with no_grad():
            embedding_renorm_(weight, input, max_norm, norm_type)
    out_shape = tuple(input.shape) + (weight._data.shape[1],)
    return Embedding.apply(weight, idx, out_shape, padding_idx, bool(scale_grad_by_freq))


# ---------------------------------------------------------------------------------------
# embedding bag
# ---------------------------------------------------------------------------------------
_MODES = {'sum': 0, 'mean': 1, 'max': 2}


class EmbeddingBag(Op):
    """Sum, mean or max of the looked-up rows of each bag, as one node."""
    node_name = 'EmbeddingBagBackward0'

    def _release(self):
        Op._release(self)
        self.__dict__.pop('arg_max', None)

    def backward(self, grad):
        weight, psw = self.saved
        (idx, seg, valid, counts, num_bags, mode, padding_idx, scale,
         total) = self.args
        num_rows, dim = weight._data.shape
        need_w = self.next_functions[0][0] is not None
        need_psw = len(self.next_functions) > 1 and self.next_functions[1][0] is not None
        if _grad_state.enabled:
            return self._backward_graph(grad, weight, psw, need_w, need_psw)
        compute = _compute(weight._data.dtype)
        g = grad._data.astype(compute) if grad._data.dtype != compute else grad._data
        gw = gpsw = None
        if mode == 2:
            if need_w:
                arg = self.arg_max
                has = counts > 0
                rows = idx[arg[has]]
                cols = np.broadcast_to(np.arange(dim), rows.shape)
                flat = (rows * dim + cols).reshape(-1)
                table = np.bincount(flat.astype(np.intp, copy=False), weights=g[has].reshape(-1),
                                    minlength=num_rows * dim).reshape(num_rows, dim)
                gw = table.astype(weight._data.dtype)
        else:
            rows = g[seg]
            factor = None
            if mode == 1:
                factor = 1.0 / np.maximum(counts, 1)[seg]
            if valid is not None:
                factor = valid.astype(np.float64) if factor is None else factor * valid
            if need_psw:
                looked = weight._data[idx[:total]].astype(compute)
                gp = np.einsum('pd,pd->p', rows, looked)
                if valid is not None:
                    gp = gp * valid
                gpsw = np.zeros(psw._data.shape[0], compute)
                gpsw[:total] = gp
                gpsw = make_tensor(gpsw.astype(psw._data.dtype), psw._dtype, psw._device)
            if need_w:
                if psw is not None:
                    p = psw._data[:total].astype(np.float64)
                    factor = p if factor is None else factor * p
                if scale:
                    f = _bag_frequency_scale(idx[:total], num_rows)
                    factor = f if factor is None else factor * f
                if factor is not None:
                    rows = rows * factor.astype(compute)[:, None]
                table = index_add_rows(rows, idx[:total], num_rows)
                gw = table.astype(weight._data.dtype)
        if gw is not None:
            gw = make_tensor(gw, weight._dtype, weight._device)
        return (gw, gpsw) if len(self.next_functions) > 1 else (gw,)

    def _backward_graph(self, grad, weight, psw, need_w, need_psw):
        from ..._ops.creation import zeros
        (idx, seg, valid, counts, num_bags, mode, padding_idx, scale, total) = self.args
        num_rows, dim = weight._data.shape
        device = weight._device

        def long(a):
            return make_tensor(np.ascontiguousarray(a, dtype=np.int64), dt.int64, device)

        def const(a):
            return make_tensor(np.asarray(a, dtype=weight._data.dtype), weight._dtype, device)
        gw = gpsw = None
        if mode == 2:
            if need_w:
                has = counts > 0
                arg = self.arg_max[has]
                flat = (idx[arg] * dim + np.arange(dim)).reshape(-1)
                picked = grad[long(np.flatnonzero(has))].reshape(-1)
                gw = zeros(num_rows * dim, dtype=grad.dtype, device=device).index_add(
                    0, long(flat), picked).view(num_rows, dim)
        else:
            rows = grad.index_select(0, long(seg))
            factor = np.ones(total)
            if mode == 1:
                factor = factor / np.maximum(counts, 1)[seg]
            if valid is not None:
                factor = factor * valid
            if need_psw:
                looked = weight.index_select(0, long(idx[:total]))
                gp = (rows * looked).sum(1) * const(factor if mode == 0 else valid
                                                    if valid is not None else np.ones(total))
                from ..._ops.joining import cat
                extra = psw._data.shape[0] - total
                gpsw = cat([gp, zeros(extra, dtype=gp.dtype, device=device)]) if extra else gp
            if need_w:
                if scale:
                    factor = factor * _bag_frequency_scale(idx[:total], num_rows)
                rows = rows * const(factor[:, None])
                if psw is not None:
                    rows = rows * psw[:total].view(-1, 1)
                gw = zeros(num_rows, dim, dtype=grad.dtype, device=device).index_add(
                    0, long(idx[:total]), rows)
        return (gw, gpsw) if len(self.next_functions) > 1 else (gw,)


def _bag_frequency_scale(idx, num_rows):
    """The ``scale_grad_by_freq`` factor of each looked-up row in ``embedding_bag``.

    PyTorch's CPU kernel walks the sorted indices group by group and divides the r-th group
    by the count of the r-th *sorted entry* (not of the group's own index); with repeated
    indices that differs from 1 / count. Reproduced so that gradients match PyTorch's.
    """
    if idx.size == 0:
        return np.ones(0)
    counts = np.bincount(idx.astype(np.intp, copy=False), minlength=num_rows)
    sorted_idx = np.sort(idx)
    groups = np.unique(sorted_idx)
    group_of = np.searchsorted(groups, idx)
    return 1.0 / counts[sorted_idx[group_of]]


def _bag_bounds(offsets, n, include_last_offset):
    """(starts, lengths) of the bags given their offsets into the flattened input."""
    if include_last_offset:
        if len(offsets) == 0:
            raise RuntimeError('include_last_offset: number of offsets should be at least 1')
        starts = offsets[:-1]
        ends = offsets[1:]
    else:
        starts = offsets
        ends = np.append(offsets[1:], n)
    if len(offsets):
        if offsets[0] != 0:
            kind = 'Int' if offsets.dtype == np.int32 else 'Long'
            raise RuntimeError('offsets[0] has to be 0, i.e., the first sequence in the '
                               'mini-batch has to start from position 0. However, got '
                               f'{int(offsets[0])}\n[ ember.{kind}Tensor{{}} ]')
        if offsets[-1] > n:
            raise RuntimeError(f"offsets[-1] can not be greater than input's length {n} but "
                               f'got offsets[-1] of {int(offsets[-1])}')
    lengths = ends - starts
    if len(lengths) and lengths.min() < 0:
        raise RuntimeError('offsets must be non-decreasing, but got '
                           f'{offsets.tolist()}')
    return starts.astype(np.int64), lengths.astype(np.int64)


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,
                  scale_grad_by_freq=False, mode='mean', sparse=False, per_sample_weights=None,
                  include_last_offset=False, padding_idx=None):
    """Sums, means or maxes of bags of embeddings, without materializing the lookups.

    A 2-D ``input`` is a batch of equal-length bags; a 1-D ``input`` is cut into bags at
    ``offsets``. ``per_sample_weights`` (mode ``'sum'`` only) scales each looked-up row;
    entries equal to ``padding_idx`` are left out of their bag (an empty bag gives zeros).
    """
    _check_tensor(input, 'embedding_bag', 'input', 1)
    _check_tensor(weight, 'embedding_bag', 'weight', 2)
    if weight._dtype is dt.int64 and input.is_floating_point():
        import warnings
        warnings.warn('Argument order of nn.functional.embedding_bag was changed. Usage '
                      '`embedding_bag(weight, input, ...)` is deprecated, and should now be '
                      '`embedding_bag(input, weight, ...)`.', stacklevel=2)
        weight, input = input, weight
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f'embedding_bag: If per_sample_weights ({per_sample_weights.shape}) '
                         'is not None, then it must have the same shape as the input '
                         f'({input.shape})')
    if weight.dim() != 2:
        raise ValueError(f'weight has to be a 2D Tensor, but got Tensor of dimension '
                         f'{weight.dim()}')
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError('if input is 2D, then offsets has to be None, as input is treated '
                             'is a mini-batch of fixed length sequences. However, found '
                             f"offsets of type <class 'ember.Tensor'>")
        b, length = input._data.shape
        offsets_arr = np.arange(0, b * length, length, dtype=np.int64) if length else \
            np.zeros(b, np.int64)
        include_last_offset = False
        idx_arr = input._data.reshape(-1)
        psw = per_sample_weights.reshape(-1) if per_sample_weights is not None else None
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError('offsets has to be a 1D Tensor but got None')
        if offsets.dim() != 1:
            raise ValueError('offsets has to be a 1D Tensor')
        offsets_arr = offsets._data
        idx_arr = input._data
        psw = per_sample_weights
    else:
        raise ValueError(f'input has to be 1D or 2D Tensor, but got Tensor of dimension '
                         f'{input.dim()}')
    if mode not in _MODES:
        raise ValueError('mode has to be one of sum, mean or max')
    mode_id = _MODES[mode]
    if mode_id == 2:
        if scale_grad_by_freq:
            raise ValueError('max mode does not support scaling the gradient by the frequency')
        if sparse:
            raise ValueError('max mode does not support sparse weights')
    if sparse:
        raise NotImplementedError('ember does not support sparse gradients: use sparse=False')
    if max_norm is not None:
        from ...autograd.grad_mode import no_grad
        with no_grad():
            embedding_renorm_(weight, input, max_norm, norm_type)
    if per_sample_weights is not None and mode != 'sum':
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. "
                                  "per_sample_weights is only supported for mode='sum' "
                                  f"(got mode='{mode}'). Please open a feature request on "
                                  "GitHub.")
    _check_indices(input, 'embedding_bag')
    if offsets is not None and offsets._dtype not in _INDEX_DTYPES:
        raise RuntimeError("Expected tensor for argument #1 'offsets' to have one of the "
                           "following scalar types: Long, Int; but got "
                           f"{_legacy(offsets._dtype)} instead (while checking arguments for "
                           "embedding_bag)")
    if psw is not None and psw._dtype is not weight._dtype:
        raise RuntimeError("Expected tensor for argument #1 'weight' to have the same type as "
                           "tensor for argument #1 'per_sample_weights'; but type "
                           f"{_legacy(weight._dtype)} does not equal {_legacy(psw._dtype)} "
                           "(while checking arguments for embedding_bag)")
    num_rows, dim = weight._data.shape
    if padding_idx is not None:
        if not -num_rows <= padding_idx < num_rows:
            raise RuntimeError('padding_idx must be within the number of embeddings, '
                               f'{-num_rows} through {num_rows - 1}, but got {padding_idx}')
        if padding_idx < 0:
            padding_idx += num_rows
    idx = idx_arr.astype(np.int64) if idx_arr.dtype != np.int64 else idx_arr
    n = len(idx)
    starts, lengths = _bag_bounds(offsets_arr, n, include_last_offset)
    num_bags = len(starts)
    total = int(starts[-1] + lengths[-1]) if num_bags else 0
    used = idx[:total]
    _check_range(used, num_rows, RuntimeError,
                 'Expected idx >= 0 && idx < num_embeddings to be true, but got false.')
    seg = np.repeat(np.arange(num_bags, dtype=np.int64), lengths.astype(np.intp, copy=False))
    valid = None if padding_idx is None else used != padding_idx
    counts = lengths if valid is None else np.bincount(seg[valid].astype(np.intp, copy=False), minlength=num_bags)
    w = weight._data
    compute = _compute(w.dtype)
    rows = w.take(used.astype(np.intp, copy=False), axis=0)
    rows = rows.astype(compute) if rows.dtype != compute else rows
    arg_max = None
    if mode_id == 2:
        if valid is not None:
            rows[~valid] = -np.inf
        out = segment_reduce(np.maximum, rows, starts, lengths, 0)
        out[counts == 0] = 0
        positions = np.where(rows == out[seg], np.arange(total)[:, None], total)
        arg_max = segment_reduce(np.minimum, positions, starts, lengths, 0)
    else:
        if psw is not None:
            rows = rows * psw._data[:total].astype(compute)[:, None]
        if valid is not None:
            rows[~valid] = 0
        out = segment_reduce(np.add, rows, starts, lengths, 0)
        if mode_id == 1:
            out /= np.maximum(counts, 1).astype(compute)[:, None]
    out = out.astype(w.dtype) if out.dtype != w.dtype else out
    result = make_tensor(np.ascontiguousarray(out), weight._dtype, weight._device)
    inputs = (weight,) if psw is None else (weight, psw)
    if not (_grad_state.enabled and any(t._requires_grad for t in inputs)):
        return result
    node = EmbeddingBag.__new__(EmbeddingBag)
    node._connect(inputs)
    node.args = (idx, seg, valid, counts, num_bags, mode_id, padding_idx,
                 bool(scale_grad_by_freq), total)
    node.save(weight, psw)
    node.arg_max = arg_max
    return attach(node, result)
