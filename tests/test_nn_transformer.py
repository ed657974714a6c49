"""Attention and transformers: F.scaled_dot_product_attention, F.multi_head_attention_forward,
nn.MultiheadAttention and the Transformer layers/stacks, against PyTorch with its weights
loaded (outputs, gradients, reprs, state_dict keys, grad_fn names, seeded dropout, errors), by
hand with NumPy, and by finite differences in float64."""
import math
import warnings

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
from oracle import check, requires_torch

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

# PyTorch warns when a sequence-first encoder layer cannot use its nested-tensor fast path.
pytestmark = pytest.mark.filterwarnings('ignore:enable_nested_tensor is True')

TOL = dict(rtol=2e-4, atol=2e-5, check_repr=False)   # printed digits may differ in the last place


def _values(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _tensor(lib, value, requires_grad=False):
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        return lib.tensor(value, requires_grad=requires_grad and value.dtype != bool)
    return value


def _cotangent_loss(lib, outputs):
    loss = 0
    for k, out in enumerate(outputs):
        if out is None:
            continue
        w = lib.tensor(np.sin(np.arange(out.numel()) + k).reshape(tuple(out.shape)),
                       dtype=out.dtype)
        loss = loss + (out * w).sum()
    return loss


def _activation(lib, value):
    """Snippets name callables by string; 'F.gelu' is the function, 'GELU()' the module."""
    if value == 'F.gelu':
        return lib.nn.functional.gelu
    if value == 'GELU()':
        return lib.nn.GELU(approximate='tanh')
    return value


def _module(lib, name, *args, seed=0, **kwargs):
    """PyTorch's seeded module; for ember the same class with PyTorch's weights loaded."""
    if 'activation' in kwargs:
        kwargs_t = dict(kwargs, activation=_activation(torch, kwargs['activation']))
        kwargs_e = dict(kwargs, activation=_activation(ember, kwargs['activation']))
    else:
        kwargs_t = kwargs_e = kwargs
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        torch.manual_seed(seed)
        tm = getattr(torch.nn, name)(*args, **kwargs_t)
        if lib is torch:
            return tm
        em = getattr(ember.nn, name)(*args, **kwargs_e)
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in
                        tm.state_dict().items()})
    return em


# ---------------------------------------------------------------------------------------
# scaled_dot_product_attention
# ---------------------------------------------------------------------------------------
_BOOL_MASK = np.random.default_rng(9).random((4, 6)) > 0.3
_BOOL_MASK[1] = False    # a query that may attend to nothing: zeros, not NaN

# (id, shapes of q, k, v, attn_mask (array or None), kwargs)
SDPA = [
    ('4d', [(2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)], None, {}),
    ('2d', [(4, 5), (6, 5), (6, 7)], None, {}),
    ('3d_causal', [(3, 4, 5), (3, 6, 5), (3, 6, 7)], None, dict(is_causal=True)),
    ('causal_square', [(2, 5, 3), (2, 5, 3), (2, 5, 3)], None, dict(is_causal=True)),
    ('scale', [(2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)], None, dict(scale=0.3)),
    ('bool_mask', [(2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)], _BOOL_MASK, {}),
    ('float_mask_broadcast', [(2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)],
     _values((3, 1, 6), 5), {}),
    ('float_mask_full', [(2, 4, 5), (2, 6, 5), (2, 6, 2)], _values((2, 4, 6), 6), {}),
    ('gqa', [(2, 6, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)], None, dict(enable_gqa=True)),
    ('broadcast_batch', [(2, 3, 4, 5), (1, 3, 6, 5), (1, 3, 6, 7)], None, {}),
    ('dropout', [(2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)], None, dict(dropout_p=0.5)),
]


@requires_torch
@pytest.mark.parametrize('case', SDPA, ids=[c[0] for c in SDPA])
def test_sdpa_matches_pytorch(case):
    _, shapes, mask, kwargs = case

    def snippet(lib):
        q, k, v = (lib.tensor(_values(s, i), requires_grad=True) for i, s in enumerate(shapes))
        m = _tensor(lib, mask, requires_grad=True)
        lib.manual_seed(3)
        out = lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m, **kwargs)
        _cotangent_loss(lib, [out]).backward()
        grads = [q.grad, k.grad, v.grad] + ([m.grad] if m is not None and m.requires_grad
                                            else [])
        return [out] + grads
    check(snippet, **TOL)


@requires_torch
def test_sdpa_float64_and_half():
    def snippet(lib):
        F = lib.nn.functional
        outs = []
        for dtype in (lib.float64, lib.float16):
            q, k, v = (lib.tensor(_values((2, 3, 4), i), dtype=dtype) for i in range(3))
            outs.append(F.scaled_dot_product_attention(q, k, v, is_causal=True))
        return outs
    check(snippet, rtol=2e-3, atol=2e-3, check_repr=False)


SDPA_ERRORS = [
    ('dtype', lambda F, lib: F.scaled_dot_product_attention(
        lib.ones(2, 3, 4), lib.ones(2, 3, 4, dtype=lib.float64), lib.ones(2, 3, 4))),
    ('mask_and_causal', lambda F, lib: F.scaled_dot_product_attention(
        lib.ones(2, 3, 4), lib.ones(2, 3, 4), lib.ones(2, 3, 4),
        attn_mask=lib.ones(3, 3, dtype=lib.bool), is_causal=True)),
    ('int_mask', lambda F, lib: F.scaled_dot_product_attention(
        lib.ones(2, 3, 4), lib.ones(2, 3, 4), lib.ones(2, 3, 4),
        attn_mask=lib.ones(3, 3, dtype=lib.long))),
    ('double_mask', lambda F, lib: F.scaled_dot_product_attention(
        lib.ones(2, 3, 4), lib.ones(2, 3, 4), lib.ones(2, 3, 4),
        attn_mask=lib.ones(3, 3, dtype=lib.float64))),
    ('1d', lambda F, lib: F.scaled_dot_product_attention(lib.ones(4), lib.ones(4),
                                                         lib.ones(4))),
    ('bad_dropout', lambda F, lib: F.scaled_dot_product_attention(
        lib.ones(2, 3, 4), lib.ones(2, 3, 4), lib.ones(2, 3, 4), dropout_p=1.5)),
    ('heads_mismatch', lambda F, lib: F.scaled_dot_product_attention(
        lib.ones(2, 6, 3, 4), lib.ones(2, 3, 3, 4), lib.ones(2, 3, 3, 4))),
    ('key_width', lambda F, lib: F.scaled_dot_product_attention(
        lib.ones(2, 3, 4), lib.ones(2, 3, 5), lib.ones(2, 3, 4))),
]


@requires_torch
@pytest.mark.parametrize('case', SDPA_ERRORS, ids=[c[0] for c in SDPA_ERRORS])
def test_sdpa_errors(case):
    check(lambda lib: case[1](lib.nn.functional, lib))


@requires_torch
@pytest.mark.parametrize('case', SDPA_ERRORS, ids=[c[0] for c in SDPA_ERRORS])
def test_sdpa_error_messages(case):
    check(lambda lib: case[1](lib.nn.functional, lib), match_message=True)


def test_sdpa_by_hand():
    rng = np.random.default_rng(0)
    q, k, v = rng.standard_normal((3, 5)), rng.standard_normal((4, 5)), \
        rng.standard_normal((4, 2))
    mask = np.array([[True, True, False, True]] * 2 + [[False] * 4])
    F = ember.nn.functional
    out = F.scaled_dot_product_attention(ember.tensor(q), ember.tensor(k), ember.tensor(v),
                                         attn_mask=ember.tensor(mask)).numpy()
    s = q @ k.T / math.sqrt(5)
    s = np.where(mask, s, -np.inf)
    expected = np.zeros((3, 2))
    for i in range(2):
        p = np.exp(s[i] - s[i].max())
        expected[i] = (p / p.sum()) @ v
    np.testing.assert_allclose(out, expected, rtol=1e-12)    # the masked-out row gives 0


def test_sdpa_gradcheck():
    ember.manual_seed(0)
    F = ember.nn.functional
    q = ember.randn(2, 3, 4, dtype=ember.float64, requires_grad=True)
    k = ember.randn(2, 5, 4, dtype=ember.float64, requires_grad=True)
    v = ember.randn(2, 5, 3, dtype=ember.float64, requires_grad=True)
    mask = ember.randn(3, 5, dtype=ember.float64, requires_grad=True)
    bool_mask = ember.tensor([[True, False, True, True, False]] * 3)

    def fn(q, k, v, mask):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert gradcheck(fn, (q, k, v, mask))
    assert gradgradcheck(fn, (q, k, v, mask))
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(
        q, k, v, attn_mask=bool_mask, scale=0.7), (q, k, v))
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
                     (q, k, v))


# ---------------------------------------------------------------------------------------
# MultiheadAttention
# ---------------------------------------------------------------------------------------
E = 8
_KPM = np.zeros((3, 4), bool)
_KPM[0, 2:] = True
_KPM[2, 3] = True
_CAUSAL_BOOL = np.triu(np.ones((5, 4), bool), 1)

# (id, constructor kwargs, input shapes (1: self-attention, 2: key is value, 3), masks,
#  forward kwargs)
MHA = [
    ('self', {}, [(5, 3, E)], {}, {}),
    ('self_no_weights', {}, [(5, 3, E)], {}, dict(need_weights=False)),
    ('kv_same', {}, [(5, 3, E), (4, 3, E)], {}, dict(average_attn_weights=False)),
    ('batch_first', dict(batch_first=True), [(3, 5, E), (3, 4, E), (3, 4, E)], {}, {}),
    ('kdim_vdim_nobias', dict(kdim=3, vdim=6, bias=False, num_heads=4),
     [(5, 3, E), (4, 3, 3), (4, 3, 6)], {}, {}),
    ('bias_kv_zero_attn', dict(add_bias_kv=True, add_zero_attn=True),
     [(5, 3, E), (4, 3, E), (4, 3, E)], {}, {}),
    ('unbatched', {}, [(5, E), (4, E)], dict(key_padding_mask=_KPM[0]), {}),
    ('unbatched_3d_mask', {}, [(5, E), (4, E)],
     dict(attn_mask=_values((2, 5, 4), 3)), dict(need_weights=False)),
    ('causal_hint', dict(batch_first=True), [(3, 5, E)],
     dict(attn_mask=np.triu(np.ones((5, 5), bool), 1)), dict(is_causal=True,
                                                              need_weights=False)),
]
for _nw in (True, False):
    _tag = '' if _nw else '_sdpa'
    MHA += [
        ('padding' + _tag, {}, [(5, 3, E), (4, 3, E)], dict(key_padding_mask=_KPM),
         dict(need_weights=_nw)),
        ('bool_attn_mask' + _tag, {}, [(5, 3, E), (4, 3, E)], dict(attn_mask=_CAUSAL_BOOL),
         dict(need_weights=_nw)),
        ('float_masks' + _tag, {}, [(5, 3, E), (4, 3, E)],
         dict(attn_mask=np.where(_CAUSAL_BOOL, -1e9, 0.5).astype(np.float32),
              key_padding_mask=np.where(_KPM, -np.inf, 0).astype(np.float32)),
         dict(need_weights=_nw)),
        ('3d_mask' + _tag, {}, [(5, 3, E), (4, 3, E)], dict(attn_mask=_values((6, 5, 4), 4)),
         dict(need_weights=_nw)),
        ('bias_kv_masks' + _tag, dict(add_bias_kv=True), [(5, 3, E), (4, 3, E)],
         dict(attn_mask=_CAUSAL_BOOL, key_padding_mask=_KPM), dict(need_weights=_nw)),
    ]


def _mha_snippet(kwargs, shapes, masks, fkwargs, train):
    def snippet(lib):
        kw = dict(dict(embed_dim=E, num_heads=2), **kwargs)
        m = _module(lib, 'MultiheadAttention', **kw)
        m.train(train)
        ins = [lib.tensor(_values(s, i), requires_grad=True) for i, s in enumerate(shapes)]
        q = ins[0]
        k = ins[1] if len(ins) > 1 else q
        v = ins[2] if len(ins) > 2 else k
        mk = {n: _tensor(lib, a) for n, a in masks.items()}
        out, weights = m(q, k, v, **mk, **fkwargs)
        _cotangent_loss(lib, [out, weights]).backward()
        return [out, weights] + [t.grad for t in ins] + [p.grad for p in m.parameters()] + \
            [repr(m), list(m.state_dict().keys())]
    return snippet


@requires_torch
@pytest.mark.parametrize('train', [False, True], ids=['eval', 'train'])
@pytest.mark.parametrize('case', MHA, ids=[c[0] for c in MHA])
def test_mha_matches_pytorch(case, train):
    _, kwargs, shapes, masks, fkwargs = case
    check(_mha_snippet(kwargs, shapes, masks, fkwargs, train), **TOL)


@requires_torch
@pytest.mark.parametrize('need_weights', [True, False])
def test_mha_dropout_matches_pytorch_rng(need_weights):
    def snippet(lib):
        lib.manual_seed(0)
        m = lib.nn.MultiheadAttention(E, 2, dropout=0.5, add_bias_kv=True)
        x = lib.tensor(_values((4, 2, E), 1), requires_grad=True)
        lib.manual_seed(5)
        out, weights = m(x, x, x, need_weights=need_weights)
        _cotangent_loss(lib, [out]).backward()
        return [out, weights, x.grad] + [p.grad for p in m.parameters()]
    check(snippet, **TOL)


@requires_torch
@pytest.mark.parametrize('kwargs', [{}, dict(kdim=3, vdim=5), dict(add_bias_kv=True),
                                    dict(bias=False)])
def test_mha_seeded_construction_equals_pytorch(kwargs):
    def snippet(lib):
        lib.manual_seed(11)
        m = lib.nn.MultiheadAttention(E, 4, **kwargs)
        return [(n, p.detach()) for n, p in m.named_parameters()] + [repr(m)]
    check(snippet)


def test_mha_fully_masked_rows():
    """With need_weights (plain softmax) a query that sees no key gives NaN as in PyTorch;
    the fused path (need_weights=False) gives zeros before the output projection."""
    ember.manual_seed(0)
    m = ember.nn.MultiheadAttention(4, 2, bias=False)
    x = ember.randn(3, 1, 4)
    mask = ember.tensor([[False, False, False], [True, True, True], [False, False, True]])
    out, weights = m(x, x, x, attn_mask=mask)
    out, weights = out.detach().numpy(), weights.detach().numpy()
    assert np.isnan(out[1]).all() and np.isnan(weights[0, 1]).all()
    assert np.isfinite(out[0]).all() and np.isfinite(out[2]).all()
    with ember.no_grad():
        out, _ = m(x, x, x, attn_mask=mask, need_weights=False)
    assert (out[1].numpy() == 0).all() and np.isfinite(out.numpy()).all()


def test_mha_functional_form():
    ember.manual_seed(0)
    m = ember.nn.MultiheadAttention(E, 2)
    x = ember.randn(5, 3, E)
    F = ember.nn.functional
    out, weights = F.multi_head_attention_forward(
        x, x, x, E, 2, m.in_proj_weight, m.in_proj_bias, None, None, False, 0.0,
        m.out_proj.weight, m.out_proj.bias, training=False)
    expected, expected_w = m(x, x, x)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy())
    np.testing.assert_allclose(weights.detach().numpy(), expected_w.detach().numpy())


def test_mha_gradcheck():
    ember.manual_seed(0)
    m = ember.nn.MultiheadAttention(4, 2, add_bias_kv=True).double()
    q = ember.randn(3, 2, 4, dtype=ember.float64, requires_grad=True)
    kv = ember.randn(2, 2, 4, dtype=ember.float64, requires_grad=True)
    pad = ember.tensor([[False, True], [False, False]])
    assert gradcheck(lambda q, kv: m(q, kv, kv, key_padding_mask=pad), (q, kv))
    assert gradcheck(lambda q, kv: m(q, kv, kv, need_weights=False)[0], (q, kv))


MHA_ERRORS = [
    ('embed_not_divisible', lambda lib: lib.nn.MultiheadAttention(6, 4)),
    ('zero_heads', lambda lib: lib.nn.MultiheadAttention(6, 0)),
    ('4d_query', lambda lib: lib.nn.MultiheadAttention(4, 2)(
        lib.ones(1, 2, 3, 4), lib.ones(1, 2, 3, 4), lib.ones(1, 2, 3, 4))),
    ('key_2d', lambda lib: lib.nn.MultiheadAttention(4, 2)(
        lib.ones(3, 2, 4), lib.ones(3, 4), lib.ones(3, 4))),
    ('embed_mismatch', lambda lib: lib.nn.MultiheadAttention(4, 2)(
        lib.ones(3, 2, 6), lib.ones(3, 2, 6), lib.ones(3, 2, 6))),
    ('key_value_mismatch', lambda lib: lib.nn.MultiheadAttention(4, 2)(
        lib.ones(3, 2, 4), lib.ones(3, 2, 4), lib.ones(5, 2, 4))),
    ('mask_2d_shape', lambda lib: lib.nn.MultiheadAttention(4, 2)(
        lib.ones(3, 2, 4), lib.ones(3, 2, 4), lib.ones(3, 2, 4), attn_mask=lib.ones(3, 4))),
    ('mask_3d_shape', lambda lib: lib.nn.MultiheadAttention(4, 2)(
        lib.ones(3, 2, 4), lib.ones(3, 2, 4), lib.ones(3, 2, 4), attn_mask=lib.ones(2, 3, 3))),
    ('int_mask', lambda lib: lib.nn.MultiheadAttention(4, 2)(
        lib.ones(3, 2, 4), lib.ones(3, 2, 4), lib.ones(3, 2, 4),
        attn_mask=lib.ones(3, 3, dtype=lib.long))),
    ('padding_shape', lambda lib: lib.nn.MultiheadAttention(4, 2)(
        lib.ones(3, 2, 4), lib.ones(3, 2, 4), lib.ones(3, 2, 4),
        key_padding_mask=lib.ones(2, 4, dtype=lib.bool))),
    ('padding_3d', lambda lib: lib.nn.MultiheadAttention(4, 2)(
        lib.ones(3, 2, 4), lib.ones(3, 2, 4), lib.ones(3, 2, 4),
        key_padding_mask=lib.ones(2, 3, 1, dtype=lib.bool))),
    ('double_mask_weights', lambda lib: lib.nn.MultiheadAttention(4, 2)(
        lib.ones(3, 2, 4), lib.ones(3, 2, 4), lib.ones(3, 2, 4),
        attn_mask=lib.zeros(3, 3, dtype=lib.float64))),
    ('double_padding_sdpa', lambda lib: lib.nn.MultiheadAttention(4, 2)(
        lib.ones(3, 2, 4), lib.ones(3, 2, 4), lib.ones(3, 2, 4), need_weights=False,
        key_padding_mask=lib.zeros(2, 3, dtype=lib.float64))),
    ('causal_without_mask', lambda lib: lib.nn.MultiheadAttention(4, 2)(
        lib.ones(3, 2, 4), lib.ones(3, 2, 4), lib.ones(3, 2, 4), is_causal=True)),
]


@requires_torch
@pytest.mark.parametrize('case', MHA_ERRORS, ids=[c[0] for c in MHA_ERRORS])
def test_mha_errors_match_pytorch(case):
    check(case[1], match_message=True)


# ---------------------------------------------------------------------------------------
# transformer layers and stacks
# ---------------------------------------------------------------------------------------
_X = _values((5, 3, E), 1)
_MEM = _values((4, 3, E), 2)
_CAUSAL = np.triu(np.full((5, 5), -np.inf, np.float32), 1)
_SRC_KPM = np.zeros((3, 5), bool)
_SRC_KPM[0, 3:] = True
_SRC_KPM[2, 4] = True

_FF = dict(dim_feedforward=16, dropout=0.0)
# (id, class, constructor kwargs, inputs, forward kwargs)
LAYERS = [
    ('enc', 'TransformerEncoderLayer', _FF, [_X], {}),
    ('enc_norm_first', 'TransformerEncoderLayer', dict(_FF, norm_first=True), [_X],
     dict(src_mask=_CAUSAL)),
    ('enc_gelu', 'TransformerEncoderLayer', dict(_FF, activation='gelu'), [_X], {}),
    ('enc_gelu_fn', 'TransformerEncoderLayer', dict(_FF, activation='F.gelu'), [_X], {}),
    ('enc_gelu_module', 'TransformerEncoderLayer', dict(_FF, activation='GELU()'), [_X], {}),
    ('enc_nobias', 'TransformerEncoderLayer', dict(_FF, bias=False, layer_norm_eps=1e-3),
     [_X], {}),
    ('enc_batch_first_masks', 'TransformerEncoderLayer', dict(_FF, batch_first=True),
     [_X.transpose(1, 0, 2).copy()], dict(src_mask=_CAUSAL, src_key_padding_mask=_SRC_KPM)),
    ('enc_causal_hint', 'TransformerEncoderLayer', dict(_FF, batch_first=True),
     [_X.transpose(1, 0, 2).copy()], dict(src_mask=_CAUSAL, is_causal=True)),
    ('enc_unbatched', 'TransformerEncoderLayer', _FF, [_X[:, 0].copy()], {}),
    ('dec', 'TransformerDecoderLayer', _FF, [_X, _MEM], dict(tgt_mask=_CAUSAL)),
    ('dec_norm_first', 'TransformerDecoderLayer', dict(_FF, norm_first=True), [_X, _MEM],
     dict(tgt_mask=_CAUSAL, tgt_is_causal=True)),
    ('dec_masks', 'TransformerDecoderLayer', dict(_FF, activation='gelu', batch_first=True),
     [_X.transpose(1, 0, 2).copy(), _MEM.transpose(1, 0, 2).copy()],
     dict(tgt_key_padding_mask=_SRC_KPM, memory_key_padding_mask=_SRC_KPM[:, :4])),
    ('transformer', 'Transformer', dict(_FF, d_model=E, nhead=2, num_encoder_layers=2,
                                        num_decoder_layers=2), [_X, _MEM[:, :, :]],
     dict(tgt_mask=_CAUSAL[:4, :4])),
    ('transformer_batch_first', 'Transformer',
     dict(_FF, d_model=E, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
          batch_first=True, norm_first=True),
     [_X.transpose(1, 0, 2).copy(), _MEM.transpose(1, 0, 2).copy()],
     dict(src_key_padding_mask=_SRC_KPM, memory_key_padding_mask=_SRC_KPM,
          tgt_mask=_CAUSAL[:4, :4], tgt_is_causal=True)),
]


def _layer_snippet(name, kwargs, inputs, fkwargs, train, no_grad=False):
    def snippet(lib):
        args = (E, 2) if name != 'Transformer' else ()
        m = _module(lib, name, *args, **kwargs)
        m.train(train)
        ins = [lib.tensor(a, requires_grad=not no_grad) for a in inputs]
        fk = {n: _tensor(lib, a) for n, a in fkwargs.items()}
        if no_grad:
            with lib.no_grad():
                return [m(*ins, **fk)]
        out = m(*ins, **fk)
        _cotangent_loss(lib, [out]).backward()
        return [out] + [t.grad for t in ins] + [p.grad for p in m.parameters()] + \
            [repr(m), list(m.state_dict().keys())]
    return snippet


@requires_torch
@pytest.mark.parametrize('train', [False, True], ids=['eval', 'train'])
@pytest.mark.parametrize('case', LAYERS, ids=[c[0] for c in LAYERS])
def test_transformer_layers_match_pytorch(case, train):
    _, name, kwargs, inputs, fkwargs = case
    check(_layer_snippet(name, kwargs, inputs, fkwargs, train), **TOL)


STACKS = [
    ('encoder', dict(batch_first=False), 2, True, dict(mask=_CAUSAL)),
    ('encoder_padding', dict(batch_first=True), 3, False,
     dict(src_key_padding_mask=_SRC_KPM)),
    ('encoder_causal_detect', dict(batch_first=True), 2, True, dict(mask=_CAUSAL)),
]


@requires_torch
@pytest.mark.parametrize('train', [False, True], ids=['eval', 'train'])
@pytest.mark.parametrize('case', STACKS, ids=[c[0] for c in STACKS])
def test_encoder_stack_matches_pytorch(case, train):
    _, layer_kwargs, num_layers, with_norm, fkwargs = case

    def snippet(lib):
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            lib.manual_seed(0)
            layer = lib.nn.TransformerEncoderLayer(E, 2, 16, 0.0, **layer_kwargs)
            norm = lib.nn.LayerNorm(E) if with_norm else None
            m = lib.nn.TransformerEncoder(layer, num_layers, norm)
        m.train(train)
        x = _X.transpose(1, 0, 2).copy() if layer_kwargs['batch_first'] else _X
        x = lib.tensor(x, requires_grad=True)
        out = m(x, **{n: _tensor(lib, a) for n, a in fkwargs.items()})
        _cotangent_loss(lib, [out]).backward()
        return [out, x.grad] + [p.grad for p in m.parameters()] + [repr(m)]
    check(snippet, **TOL)


@requires_torch
@pytest.mark.parametrize('mask', [_SRC_KPM, np.roll(_SRC_KPM, 1, axis=1)],
                         ids=['left_aligned', 'not_left_aligned'])
def test_encoder_inference_padding_as_pytorch_fast_path(mask):
    """In inference PyTorch runs padded batches as nested tensors: padded positions of a
    left-aligned batch come out as zeros."""

    def snippet(lib):
        lib.manual_seed(0)
        layer = lib.nn.TransformerEncoderLayer(E, 2, 16, batch_first=True)
        m = lib.nn.TransformerEncoder(layer, 2).eval()
        x = lib.tensor(_X.transpose(1, 0, 2).copy())
        with lib.no_grad():
            return m(x, src_key_padding_mask=lib.tensor(mask))
    check(snippet, **TOL)


@requires_torch
def test_layers_seeded_dropout_matches_pytorch_rng():
    def snippet(lib):
        lib.manual_seed(0)
        m = lib.nn.Transformer(E, 2, 1, 1, 16, dropout=0.3)
        src = lib.tensor(_X, requires_grad=True)
        tgt = lib.tensor(_MEM, requires_grad=True)
        lib.manual_seed(4)
        out = m(src, tgt, tgt_mask=lib.nn.Transformer.generate_square_subsequent_mask(4))
        _cotangent_loss(lib, [out]).backward()
        return [out, src.grad, tgt.grad] + [p.grad for p in m.parameters()]
    check(snippet, **TOL)


@requires_torch
def test_transformer_seeded_construction_equals_pytorch():
    def snippet(lib):
        lib.manual_seed(1)
        m = lib.nn.Transformer(E, 2, 2, 1, 16)
        return [(n, p.detach()) for n, p in m.named_parameters()] + [repr(m)]
    check(snippet)


@requires_torch
def test_generate_square_subsequent_mask():
    check(lambda lib: [lib.nn.Transformer.generate_square_subsequent_mask(4),
                       lib.nn.Transformer.generate_square_subsequent_mask(
                           3, dtype=lib.float64)])


def test_clones_are_independent():
    layer = ember.nn.TransformerEncoderLayer(E, 2, 16)
    enc = ember.nn.TransformerEncoder(layer, 3, enable_nested_tensor=False)
    ps = [m.linear1.weight for m in enc.layers]
    assert ps[0] is not ps[1] and ps[0] is not layer.linear1.weight
    assert all(np.array_equal(p.detach().numpy(), layer.linear1.weight.detach().numpy())
               for p in ps)
    with ember.no_grad():
        ps[0].add_(1)
    assert not np.array_equal(ps[0].detach().numpy(), ps[1].detach().numpy())


def test_encoder_nested_tensor_warning():
    layer = ember.nn.TransformerEncoderLayer(E, 2, 16)
    with pytest.warns(UserWarning, match='enable_nested_tensor is True, but '
                                         'self.use_nested_tensor is False because '
                                         r'encoder_layer.self_attn.batch_first was not True'):
        enc = ember.nn.TransformerEncoder(layer, 1)
    assert enc.use_nested_tensor is False


def test_transformer_gradcheck():
    ember.manual_seed(0)
    m = ember.nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0).double()
    x = ember.randn(3, 2, 4, dtype=ember.float64, requires_grad=True)
    mask = ember.nn.Transformer.generate_square_subsequent_mask(3, dtype=ember.float64)
    assert gradcheck(lambda x: m(x, src_mask=mask), (x,))


TRANSFORMER_ERRORS = [
    ('batch_mismatch', lambda lib: lib.nn.Transformer(4, 2, 1, 1, 8)(
        lib.ones(3, 2, 4), lib.ones(3, 3, 4))),
    ('feature_mismatch', lambda lib: lib.nn.Transformer(4, 2, 1, 1, 8)(
        lib.ones(3, 2, 4), lib.ones(3, 2, 5))),
    ('bad_activation', lambda lib: lib.nn.TransformerEncoderLayer(4, 2, 8,
                                                                  activation='tanh')),
    ('int_padding_mask', lambda lib: lib.nn.TransformerEncoderLayer(4, 2, 8)(
        lib.ones(3, 2, 4), src_key_padding_mask=lib.ones(2, 3, dtype=lib.long))),
]


@requires_torch
@pytest.mark.parametrize('case', TRANSFORMER_ERRORS, ids=[c[0] for c in TRANSFORMER_ERRORS])
def test_transformer_errors_match_pytorch(case):
    check(case[1], match_message=True)
