"""nn.functional: attention (``scaled_dot_product_attention``, ``multi_head_attention_forward``).

The attention weights ``softmax(q k^T * scale + mask)`` are one fused node: forward on arrays,
backward ``dS = P * (dP - sum(dP * P))`` then two products. Everything else (projections,
dropout, the product with the values) is ordinary ember ops, so the graph shows PyTorch's
visible nodes (``UnsafeViewBackward0`` from the final matmul, ``ViewBackward0`` out of
multi-head attention).

``scaled_dot_product_attention`` follows PyTorch's CPU "math" implementation: a row whose
every position is masked gives zeros (a "safe" softmax). ``multi_head_attention_forward``
with ``need_weights=True`` uses the plain softmax, as PyTorch does, so such rows are NaN.
"""
import math
import warnings

import numpy as np

from ... import _dtype as dt
from ...autograd import grad_mode
from ...autograd.function import Op
from ..._tensor import Tensor, make_tensor
from .distance import is_half

# The private helpers are part of PyTorch's functional namespace too (code that copies
# PyTorch's transformer layers calls F._canonical_mask).
__all__ = ['scaled_dot_product_attention', 'multi_head_attention_forward', '_canonical_mask',
           '_none_or_dtype', '_mha_shape_check', '_in_projection_packed', '_in_projection']

_grad_state = grad_mode.state


def _xp_of(array):
    if type(array) is np.ndarray:
        return np
    import importlib
    return importlib.import_module(type(array).__module__.split('.')[0])


def _t(a):
    """Swap the last two axes of an array."""
    return a.swapaxes(-1, -2)


class _AttentionWeights(Op):
    """``softmax(q @ k^T * scale + mask, -1)``: forward(ctx, q, k, mask, scale) where mask is
    None, an additive float tensor (differentiable) or an additive array."""
    node_name = 'SoftmaxBackward0'
    save_args = (0, 1)
    save_output = True
    safe = False

    @classmethod
    def forward(cls, ctx, q, k, mask, scale):
        xp = _xp_of(q)
        s = xp.matmul(q, _t(k))
        s *= s.dtype.type(scale)
        if mask is not None:
            s = s + mask if s.shape != np.broadcast_shapes(s.shape, mask.shape) else \
                xp.add(s, mask, out=s)
        m = s.max(axis=-1, keepdims=True)
        if cls.safe and mask is not None:
            m[xp.isneginf(m)] = 0
        s -= m
        xp.exp(s, out=s)
        total = s.sum(axis=-1, keepdims=True)
        s /= total
        if cls.safe and mask is not None:
            empty = total == 0
            if empty.any():
                s[xp.broadcast_to(empty, s.shape)] = 0
        return s

    def backward(self, grad):
        q, k = self.saved
        scale = self.args[3]
        p = self.output
        need_q = self.next_functions[0][0] is not None
        need_k = self.next_functions[1][0] is not None
        need_mask = len(self.next_functions) > 2 and self.next_functions[2][0] is not None
        if not _grad_state.enabled:
            pd, gd = p._data, grad._data
            xp = _xp_of(pd)
            ds = gd * pd
            ds -= pd * ds.sum(axis=-1, keepdims=True)
            dtype = pd.dtype.type
            gq = gk = None
            if need_q:
                gq = xp.matmul(ds, k._data)
                gq *= dtype(scale)
                gq = make_tensor(gq, q._dtype, q._device)
            if need_k:
                gk = xp.matmul(_t(ds), q._data)
                gk *= dtype(scale)
                gk = make_tensor(gk, k._dtype, k._device)
            gm = make_tensor(ds, p._dtype, p._device) if need_mask else None
        else:
            gp = grad * p
            ds = gp - p * gp.sum(-1, keepdim=True)
            gq = ds.matmul(k) * scale if need_q else None
            gk = ds.transpose(-2, -1).matmul(q) * scale if need_k else None
            gm = ds if need_mask else None
        if len(self.next_functions) > 2:
            return gq, gk, gm
        return gq, gk


class _SafeAttentionWeights(_AttentionWeights):
    """The same, with fully masked rows giving zeros instead of NaN."""
    node_name = 'SafeSoftmaxBackward0'
    safe = True


def _type_name(d):
    return {'float32': 'float', 'float64': 'double', 'float16': 'c10::Half',
            'bfloat16': 'c10::BFloat16', 'int64': 'long int', 'int32': 'int',
            'int16': 'short int', 'int8': 'signed char', 'uint8': 'unsigned char',
            'bool': 'bool'}.get(d.name, d.name)


def _additive_mask(mask, dtype):
    """A boolean mask (True = attend) as an additive array of 0 and -inf."""
    data = mask._data
    xp = _xp_of(data)
    out = xp.zeros(data.shape, dtype=dtype.numpy_dtype)
    out[~data] = -np.inf
    return out


def _check_shapes(query, key):
    """PyTorch's errors for query/key batch dims that do not broadcast or widths that
    differ (raised by its batched products)."""
    qb, kb = tuple(query.shape[:-2]), tuple(key.shape[:-2])
    ndim = max(len(qb), len(kb))
    qf, kf = (1,) * (ndim - len(qb)) + qb, (1,) * (ndim - len(kb)) + kb
    batch = 1
    for d, (a, b) in enumerate(zip(qf, kf)):
        if a != b and a != 1 and b != 1:
            raise RuntimeError(f'The size of tensor a ({a}) must match the size of tensor b '
                               f'({b}) at non-singleton dimension {d}')
        batch *= max(a, b)
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(f'Expected size for first two dimensions of batch2 tensor to be: '
                           f'[{batch}, {query.shape[-1]}] but got: [{batch}, '
                           f'{key.shape[-1]}].')


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """``softmax(query @ key^T * scale + mask) @ value`` over the last two dims.

    ``attn_mask`` is boolean (True = take part in attention) or a float mask added to the
    scores; ``is_causal`` masks out keys after each query (upper-left aligned); ``scale``
    defaults to ``1 / sqrt(E)``; ``dropout_p`` drops attention weights (always, as in
    PyTorch: pass 0.0 in evaluation); ``enable_gqa`` lets key/value have fewer heads (dim -3)
    than the query, each shared by a group of query heads.
    """
    from ..._ops.linalg import matmul
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError('Expected query, key, and value to all be  at least 2 dimensional, '
                           f'but got query.dim: {query.dim()} key.dim: {key.dim()} and '
                           f'value.dim: {value.dim()} instead.')
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError('Expected query, key, and value to have the same dtype, but got '
                           f'query.dtype: {_type_name(query.dtype)} key.dtype: '
                           f'{_type_name(key.dtype)} and value.dtype: {_type_name(value.dtype)}'
                           ' instead.')
    if attn_mask is not None and attn_mask.dtype is not dt.bool and \
            attn_mask.dtype != query.dtype:
        raise RuntimeError('Expected attn_mask dtype to be bool or float or to match query '
                           f'dtype, but got attn_mask.dtype: {_type_name(attn_mask.dtype)} and '
                           f' query.dtype: {_type_name(query.dtype)} instead.')
    if is_causal and attn_mask is not None:
        raise RuntimeError('_scaled_dot_product_attention: Explicit attn_mask should not be set '
                           'when is_causal=True')
    if not 0.0 <= dropout_p <= 1.0:
        raise RuntimeError(f'dropout probability has to be between 0 and 1, but got '
                           f'{dropout_p}')
    if is_half(query._data.dtype):
        # PyTorch's math kernel keeps half-precision intermediates in float32.
        out = scaled_dot_product_attention(
            query.float(), key.float(), value.float(),
            attn_mask.float() if attn_mask is not None and attn_mask.dtype is not dt.bool
            else attn_mask, dropout_p, is_causal, scale, enable_gqa)
        return out.to(query.dtype)
    if enable_gqa and key.dim() >= 3 and query.size(-3) != key.size(-3):
        hq, hk, hv = query.size(-3), key.size(-3), value.size(-3)
        if hk != hv or hq % hk:
            raise RuntimeError('Number of heads in key and value must divide the number of '
                               'heads in ')
        key = key.repeat_interleave(hq // hk, dim=-3)
        value = value.repeat_interleave(hq // hv, dim=-3)
    _check_shapes(query, key)
    L, S = query.size(-2), key.size(-2)
    if scale is None:
        scale = 1.0 / math.sqrt(query.size(-1))
    mask = None
    if is_causal:
        xp = _xp_of(query._data)
        mask = xp.zeros((L, S), dtype=query._data.dtype)
        mask[xp.triu(xp.ones((L, S), dtype=bool), 1)] = -np.inf
    elif attn_mask is not None:
        mask = _additive_mask(attn_mask, query.dtype) if attn_mask.dtype is dt.bool \
            else attn_mask
    weights = _SafeAttentionWeights.apply(query, key, mask, scale)
    if dropout_p > 0.0:
        from .dropout import dropout
        weights = dropout(weights, dropout_p, True)
    return matmul(weights, value)


# ---------------------------------------------------------------------------------------
# multi-head attention
# ---------------------------------------------------------------------------------------
def _none_or_dtype(input):
    if input is None:
        return None
    if isinstance(input, Tensor):
        return input.dtype
    raise RuntimeError('input to _none_or_dtype() must be None or torch.Tensor')


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A boolean mask (True = masked out) as a float mask of ``target_type`` with ``-inf``
    where masked; float masks pass through."""
    if mask is None:
        return None
    is_float = mask.dtype.is_floating_point
    if mask.dtype is not dt.bool and not is_float:
        raise AssertionError(f'only bool and floating types of {mask_name} are supported')
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f'Support for mismatched {mask_name} and {other_name} is deprecated. Use '
                      'same type for both instead.', stacklevel=2)
    if not is_float:
        data = mask._data
        xp = _xp_of(data)
        out = xp.zeros(data.shape, dtype=target_type.numpy_dtype)
        out[data] = -np.inf
        mask = make_tensor(out, target_type, mask.device)
    return mask


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """Whether the input is batched, checking the dims of every argument."""
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError('For batched (3-D) `query`, expected `key` and `value` to be '
                                 f'3-D but found {key.dim()}-D and {value.dim()}-D tensors '
                                 'respectively')
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError('For batched (3-D) `query`, expected `key_padding_mask` to be '
                                 f'`None` or 2-D but found {key_padding_mask.dim()}-D tensor '
                                 'instead')
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError('For batched (3-D) `query`, expected `attn_mask` to be `None`, '
                                 f'2-D or 3-D but found {attn_mask.dim()}-D tensor instead')
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError('For unbatched (2-D) `query`, expected `key` and `value` to '
                                 f'be 2-D but found {key.dim()}-D and {value.dim()}-D tensors '
                                 'respectively')
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError('For unbatched (2-D) `query`, expected `key_padding_mask` to '
                                 f'be `None` or 1-D but found {key_padding_mask.dim()}-D tensor '
                                 'instead')
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError('For unbatched (2-D) `query`, expected `attn_mask` to be '
                                     f'`None`, 2-D or 3-D but found {attn_mask.dim()}-D tensor '
                                     'instead')
            if attn_mask.dim() == 3:
                expected = (num_heads, query.shape[0], key.shape[0])
                if tuple(attn_mask.shape) != expected:
                    raise AssertionError(f'Expected `attn_mask` shape to be {expected} but got '
                                         f'{attn_mask.shape}')
        return False
    raise AssertionError('query should be unbatched 2D or batched 3D tensor but received '
                         f'{query.dim()}-D query tensor')


def _in_projection_packed(q, k, v, w, b=None):
    """Project query/key/value with the packed ``(3E, E)`` weight (one product when they
    are the same tensor)."""
    from .linear import linear
    E = q.size(-1)
    if k is v:
        if q is k:
            return linear(q, w, b).chunk(3, -1)
        w_q, w_kv = w.split([E, E * 2])
        b_q, b_kv = (None, None) if b is None else b.split([E, E * 2])
        k_proj, v_proj = linear(k, w_kv, b_kv).chunk(2, -1)
        return linear(q, w_q, b_q), k_proj, v_proj
    w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def _in_projection(q, k, v, w_q, w_k, w_v, b_q=None, b_k=None, b_v=None):
    """Project query/key/value with separate weights (key/value dims may differ)."""
    from .linear import linear
    Eq, Ek, Ev = q.size(-1), k.size(-1), v.size(-1)
    for name, w, shape in (('query', w_q, (Eq, Eq)), ('key', w_k, (Eq, Ek)),
                           ('value', w_v, (Eq, Ev))):
        if tuple(w.shape) != shape:
            raise AssertionError(f'expecting {name} weights shape of {shape}, but got '
                                 f'{w.shape}')
    for name, b in (('query', b_q), ('key', b_k), ('value', b_v)):
        if b is not None and tuple(b.shape) != (Eq,):
            raise AssertionError(f'expecting {name} bias shape of {(Eq,)}, but got {b.shape}')
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def _pad_last(mask):
    """Append one zero column to a float mask (for the extra key of bias_k/add_zero_attn)."""
    from .vision import pad
    return pad(mask, (0, 1))


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """Multi-head attention of sequence-first ``query (L, N, E)``, ``key (S, N, Ek)``,
    ``value (S, N, Ev)`` (or unbatched 2-D): project, split into ``num_heads`` heads, attend,
    merge and project out. Returns ``(output (L, N, E), weights)`` where weights are
    ``(N, L, S)`` averaged over heads (``(N, num_heads, L, S)`` without
    ``average_attn_weights``) or None without ``need_weights``."""
    from ..._ops.creation import zeros
    from ..._ops.joining import cat
    from .linear import linear
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query = query.unsqueeze(1)
        key = key.unsqueeze(1)
        value = value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, 'key_padding_mask',
                                       _none_or_dtype(attn_mask), 'attn_mask', query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError('Need attn_mask if specifying the is_causal hint. You may use the '
                           'Transformer module method `generate_square_subsequent_mask` to '
                           'create this mask.')
    if is_causal and key_padding_mask is None and not need_weights:
        # The mask is causal: let scaled_dot_product_attention build it.
        attn_mask = None
    else:
        attn_mask = _canonical_mask(attn_mask, 'attn_mask', None, '', query.dtype,
                                    check_other=False)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f'was expecting embedding dimension of {embed_dim_to_check}, but '
                             f'got {embed_dim}')
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f'embed_dim {embed_dim} not divisible by num_heads {num_heads}')
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match "
                                 f"value's {value.shape[:2]}")
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f'key shape {key.shape} does not match value shape {value.shape}')

    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise AssertionError('use_separate_proj_weight is False but in_proj_weight is None')
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)
    else:
        for name, w in (('q', q_proj_weight), ('k', k_proj_weight), ('v', v_proj_weight)):
            if w is None:
                raise AssertionError(f'use_separate_proj_weight is True but {name}_proj_weight '
                                     'is None')
        b_q, b_k, b_v = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = _in_projection(query, key, value, q_proj_weight, k_proj_weight,
                                 v_proj_weight, b_q, b_k, b_v)

    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f'The shape of the 2D attn_mask is {attn_mask.shape}, but '
                                   f'should be {(tgt_len, src_len)}.')
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f'The shape of the 3D attn_mask is {attn_mask.shape}, but '
                                   f'should be {(bsz * num_heads, tgt_len, src_len)}.')
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")

    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError('bias cannot be added to static key.')
        if static_v is not None:
            raise AssertionError('bias cannot be added to static value.')
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = _pad_last(attn_mask)
        if key_padding_mask is not None:
            key_padding_mask = _pad_last(key_padding_mask)
    elif bias_k is not None:
        raise AssertionError('bias_k is set but bias_v is None')
    elif bias_v is not None:
        raise AssertionError('bias_v is set but bias_k is None')

    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    if static_k is None:
        k = k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    else:
        if static_k.size(0) != bsz * num_heads:
            raise AssertionError(f'expecting static_k.size(0) of {bsz * num_heads}, but got '
                                 f'{static_k.size(0)}')
        if static_k.size(2) != head_dim:
            raise AssertionError(f'expecting static_k.size(2) of {head_dim}, but got '
                                 f'{static_k.size(2)}')
        k = static_k
    if static_v is None:
        v = v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    else:
        if static_v.size(0) != bsz * num_heads:
            raise AssertionError(f'expecting static_v.size(0) of {bsz * num_heads}, but got '
                                 f'{static_v.size(0)}')
        if static_v.size(2) != head_dim:
            raise AssertionError(f'expecting static_v.size(2) of {head_dim}, but got '
                                 f'{static_v.size(2)}')
        v = static_v

    if add_zero_attn:
        zero_shape = (bsz * num_heads, 1, head_dim)
        k = cat([k, zeros(zero_shape, dtype=k.dtype, device=k.device)], dim=1)
        v = cat([v, zeros(zero_shape, dtype=v.dtype, device=v.device)], dim=1)
        if attn_mask is not None:
            attn_mask = _pad_last(attn_mask)
        if key_padding_mask is not None:
            key_padding_mask = _pad_last(key_padding_mask)

    src_len = k.size(1)
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f'Expected key_padded_mask.shape[0] to be {bsz}, but got '
                                 f'{key_padding_mask.shape[0]}')
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(f'Expected key_padded_mask.shape[1] to be {src_len}, but got '
                                 f'{key_padding_mask.shape[1]}')
        key_padding_mask = key_padding_mask.view(bsz, 1, 1, src_len).expand(
            -1, num_heads, -1, -1).reshape(bsz * num_heads, 1, src_len)
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask

    if not training:
        dropout_p = 0.0

    if need_weights:
        if attn_mask is not None and attn_mask.dtype != q.dtype:
            raise RuntimeError(f'Input dtypes must be the same, got: input '
                               f'{_type_name(attn_mask.dtype)}, batch1: {_type_name(q.dtype)}, '
                               f'batch2: {_type_name(k.dtype)}')
        weights = _AttentionWeights.apply(q, k, attn_mask, 1.0 / math.sqrt(q.shape[-1]))
        if dropout_p > 0.0:
            from .dropout import dropout
            weights = dropout(weights, p=dropout_p)
        out = weights.bmm(v)
        out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias)
        out = out.view(tgt_len, bsz, out.size(1))
        weights = weights.view(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not is_batched:
            out = out.squeeze(1)
            weights = weights.squeeze(0)
        return out, weights

    if attn_mask is not None:
        if attn_mask.size(0) == 1 and attn_mask.dim() == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.view(bsz, num_heads, -1, src_len)
    q = q.view(bsz, num_heads, tgt_len, head_dim)
    k = k.view(bsz, num_heads, src_len, head_dim)
    v = v.view(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias)
    out = out.view(tgt_len, bsz, out.size(1))
    if not is_batched:
        out = out.squeeze(1)
    return out, None
