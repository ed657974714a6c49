"""Embeddings: F.embedding, F.embedding_bag and the Embedding/EmbeddingBag layers against
PyTorch (values, weight and per-sample-weight gradients, in-place max_norm renormalization,
seeded initialisation, reprs, errors), by hand, by finite differences, and the segment
reductions behind them by property tests."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ember
import ember.nn.functional as EF
from ember.autograd import gradcheck, gradgradcheck
from ember.nn._functional.sparse import index_add_rows, segment_reduce
from oracle import check, requires_torch

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


def _weight(lib, shape=(10, 4), dtype='float32', seed=0, grad=True):
    values = np.random.default_rng(seed).standard_normal(shape)
    return lib.tensor(values, dtype=getattr(lib, dtype), requires_grad=grad)


def _cotangent(lib, out):
    return lib.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape)),
                      dtype=out.dtype)


# ---------------------------------------------------------------------------------------
# embedding against PyTorch
# ---------------------------------------------------------------------------------------
def _embedding_run(index, dtype='float32', index_dtype='int64', **kwargs):
    def snippet(lib):
        w = _weight(lib, dtype=dtype)
        idx = lib.tensor(index, dtype=getattr(lib, index_dtype))
        out = lib.nn.functional.embedding(idx, w, **kwargs)
        out.backward(_cotangent(lib, out))
        return [out, w.grad, w.detach()]
    return snippet


INDICES = [
    ('vector', [1, 2, 4, 5, 4, 3, 2, 9]),
    ('matrix', [[1, 2], [2, 1], [0, 0]]),
    ('scalar', 3),
    ('empty', []),
    ('repeated', [1] * 40 + list(range(10)) * 3 + [7] * 17),
]
OPTIONS = [
    ('plain', {}),
    ('padding_idx', dict(padding_idx=2)),
    ('negative_padding_idx', dict(padding_idx=-1)),
    ('scale_grad_by_freq', dict(scale_grad_by_freq=True)),
    ('padding_and_scale', dict(padding_idx=1, scale_grad_by_freq=True)),
    ('max_norm', dict(max_norm=1.0)),
    ('max_norm_l1', dict(max_norm=1.5, norm_type=1.0)),
    ('max_norm_inf', dict(max_norm=0.8, norm_type=float('inf'))),
]


@requires_torch
@pytest.mark.parametrize('opt_name,kwargs', OPTIONS, ids=[o[0] for o in OPTIONS])
@pytest.mark.parametrize('idx_name,index', INDICES, ids=[i[0] for i in INDICES])
def test_embedding_matches_torch(idx_name, index, opt_name, kwargs):
    check(_embedding_run(index, **kwargs), rtol=1e-5, atol=1e-6, check_repr=False)


@requires_torch
@pytest.mark.parametrize('dtype,index_dtype', [('float64', 'int64'), ('float32', 'int32'),
                                               ('float16', 'int64')])
def test_embedding_dtypes(dtype, index_dtype):
    check(_embedding_run([[1, 2, 2], [0, 9, 1]], dtype, index_dtype), rtol=1e-3, atol=1e-3,
          check_repr=False)


EMBEDDING_ROWS = [
    ('transposed_indices', lambda lib: lib.nn.functional.embedding(
        lib.tensor([[1, 2], [3, 4]]).t(), _weight(lib))),
    ('expanded_indices', lambda lib: lib.nn.functional.embedding(
        lib.tensor([[1, 2]]).expand(3, 2), _weight(lib))),
    ('transposed_weight', lambda lib: lib.nn.functional.embedding(
        lib.tensor([1, 2]), _weight(lib, (4, 10)).t())),
    ('integer_weight', lambda lib: lib.nn.functional.embedding(
        lib.tensor([1, 2]), lib.arange(20).reshape(10, 2))),
    ('bool_weight', lambda lib: lib.nn.functional.embedding(
        lib.tensor([1, 2]), lib.arange(20).reshape(10, 2) > 5)),
    ('no_grad_weight', lambda lib: lib.nn.functional.embedding(
        lib.tensor([1, 2]), _weight(lib, grad=False))),
    ('grad_fn', lambda lib: lib.nn.functional.embedding(
        lib.tensor([1, 2]), _weight(lib)).grad_fn.name()),
    ('edges', lambda lib: len(lib.nn.functional.embedding(
        lib.tensor([1, 2]), _weight(lib)).grad_fn.next_functions)),
]


@requires_torch
@pytest.mark.parametrize('name,fn', EMBEDDING_ROWS, ids=[r[0] for r in EMBEDDING_ROWS])
def test_embedding_layouts_and_dtypes(name, fn):
    check(fn, check_repr=False)


@requires_torch
def test_embedding_double_backward_matches_torch():
    def snippet(lib):
        w = _weight(lib, dtype='float64')
        idx = lib.tensor([[1, 2, 2], [0, 3, 1]])
        out = lib.nn.functional.embedding(idx, w, padding_idx=0, scale_grad_by_freq=True)
        (gw,) = lib.autograd.grad((out * out.sin()).sum(), (w,), create_graph=True)
        gw.pow(2).sum().backward()
        return gw.detach(), gw.grad_fn.name(), w.grad
    check(snippet, rtol=1e-10, atol=1e-12, check_repr=False)


@requires_torch
def test_max_norm_renormalizes_in_place_and_bumps_version():
    def snippet(lib):
        w = _weight(lib) * 3
        w = w.detach().requires_grad_()
        before = w._version
        out = lib.nn.functional.embedding(lib.tensor([1, 1, 3]), w, max_norm=2.0)
        return [out, w.detach(), w._version > before, w.detach().norm(dim=1)]
    check(snippet, rtol=1e-6, atol=1e-6, check_repr=False)


# ---------------------------------------------------------------------------------------
# embedding_bag against PyTorch
# ---------------------------------------------------------------------------------------
_BAG_INDEX = [1, 2, 4, 5, 4, 3, 2, 9] + [2] * 18 + [1]


def _bag_run(index, offsets=None, dtype='float32', psw=False, **kwargs):
    def snippet(lib):
        w = _weight(lib, dtype=dtype)
        idx = lib.tensor(index)
        weights = None
        if psw:
            weights = lib.tensor(np.random.default_rng(3).standard_normal(tuple(idx.shape)),
                                 dtype=getattr(lib, dtype), requires_grad=True)
        out = lib.nn.functional.embedding_bag(
            idx, w, None if offsets is None else lib.tensor(offsets),
            per_sample_weights=weights, **kwargs)
        out.backward(_cotangent(lib, out))
        return [out, w.grad] + ([weights.grad] if psw else [])
    return snippet


BAGS = [
    ('two_bags', [0, 3]),
    ('empty_bag', [0, 3, 3]),
    ('leading_empty_bag', [0, 0, 5, 27]),
    ('one_bag', [0]),
]
BAG_OPTIONS = [
    ('plain', {}),
    ('padding_idx', dict(padding_idx=2)),
    ('scale_grad_by_freq', dict(scale_grad_by_freq=True)),
    ('max_norm', dict(max_norm=1.0)),
    ('per_sample_weights', dict(psw=True)),
]


@requires_torch
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('opt_name,kwargs', BAG_OPTIONS, ids=[o[0] for o in BAG_OPTIONS])
@pytest.mark.parametrize('mode', ['sum', 'mean', 'max'])
@pytest.mark.parametrize('bag_name,offsets', BAGS, ids=[b[0] for b in BAGS])
def test_embedding_bag_matches_torch(bag_name, offsets, mode, opt_name, kwargs, dtype):
    if mode != 'sum' and opt_name == 'per_sample_weights':
        pytest.skip('per_sample_weights needs mode="sum"')
    if mode == 'max' and opt_name == 'scale_grad_by_freq':
        pytest.skip('max mode does not scale by frequency')
    tol = 1e-5 if dtype == 'float32' else 1e-10
    check(_bag_run(_BAG_INDEX, offsets, dtype, mode=mode, **kwargs), rtol=tol, atol=tol,
          check_repr=False)


@requires_torch
@pytest.mark.parametrize('mode', ['sum', 'mean', 'max'])
@pytest.mark.parametrize('offsets', [[0, 3, 27], [0, 27], [0, 0, 27, 27]],
                         ids=['two_bags', 'one_bag', 'empty_bags'])
def test_embedding_bag_include_last_offset(offsets, mode):
    check(_bag_run(_BAG_INDEX, offsets, mode=mode, include_last_offset=True), rtol=1e-5,
          atol=1e-6, check_repr=False)


@requires_torch
@pytest.mark.parametrize('mode', ['sum', 'mean', 'max'])
@pytest.mark.parametrize('kwargs', [{}, dict(padding_idx=2)], ids=['plain', 'padding_idx'])
def test_embedding_bag_2d_input(mode, kwargs):
    check(_bag_run([[1, 2, 3], [2, 2, 2], [4, 2, 9]], mode=mode, **kwargs), rtol=1e-5,
          atol=1e-6, check_repr=False)


@requires_torch
def test_embedding_bag_2d_per_sample_weights():
    check(_bag_run([[1, 2, 3], [2, 2, 5]], mode='sum', psw=True), rtol=1e-5, atol=1e-6,
          check_repr=False)


BAG_ROWS = [
    ('int32_indices', lambda lib: lib.nn.functional.embedding_bag(
        lib.tensor([1, 2, 3], dtype=lib.int32), _weight(lib), lib.tensor([0, 1]))),
    ('int32_offsets', lambda lib: lib.nn.functional.embedding_bag(
        lib.tensor([1, 2, 3]), _weight(lib), lib.tensor([0, 1], dtype=lib.int32))),
    ('half_weight', lambda lib: lib.nn.functional.embedding_bag(
        lib.tensor([1, 2, 3]), _weight(lib, dtype='float16'), lib.tensor([0, 1]))),
    ('empty_input', lambda lib: lib.nn.functional.embedding_bag(
        lib.tensor([], dtype=lib.int64), _weight(lib), lib.tensor([0, 0]))),
    ('grad_fn', lambda lib: lib.nn.functional.embedding_bag(
        lib.tensor([1, 2, 3]), _weight(lib), lib.tensor([0, 1])).grad_fn.name()),
    ('edges_with_weights', lambda lib: len(lib.nn.functional.embedding_bag(
        lib.tensor([1, 2, 3]), _weight(lib), lib.tensor([0, 1]), mode='sum',
        per_sample_weights=lib.ones(3, requires_grad=True)).grad_fn.next_functions)),
    ('no_grad', lambda lib: lib.nn.functional.embedding_bag(
        lib.tensor([1, 2, 3]), _weight(lib, grad=False), lib.tensor([0, 1]))),
]


@requires_torch
@pytest.mark.parametrize('name,fn', BAG_ROWS, ids=[r[0] for r in BAG_ROWS])
def test_embedding_bag_dtypes_and_edges(name, fn):
    check(fn, rtol=1e-3, atol=1e-3, check_repr=False)


# ---------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------
def _bag(lib, index=(1, 2, 3), offsets=(0, 1), **kwargs):
    return lib.nn.functional.embedding_bag(
        lib.tensor(list(index)), _weight(lib), None if offsets is None else
        lib.tensor(list(offsets)), **kwargs)


ERRORS = [
    ('float_indices', lambda lib: lib.nn.functional.embedding(lib.tensor([1.0]),
                                                              _weight(lib))),
    ('index_too_big', lambda lib: lib.nn.functional.embedding(lib.tensor([10]),
                                                              _weight(lib))),
    ('negative_index', lambda lib: lib.nn.functional.embedding(lib.tensor([-1]),
                                                               _weight(lib))),
    ('padding_idx_too_big', lambda lib: lib.nn.functional.embedding(
        lib.tensor([1]), _weight(lib), padding_idx=10)),
    ('padding_idx_too_small', lambda lib: lib.nn.functional.embedding(
        lib.tensor([1]), _weight(lib), padding_idx=-11)),
    ('weight_1d', lambda lib: lib.nn.functional.embedding(lib.tensor([1]), lib.ones(10))),
    ('weight_3d', lambda lib: lib.nn.functional.embedding(lib.tensor([1]),
                                                          lib.ones(10, 2, 2))),
    ('bag_offsets_start', lambda lib: _bag(lib, offsets=(1, 2))),
    ('bag_offsets_past_end', lambda lib: _bag(lib, offsets=(0, 4))),
    ('bag_bad_mode', lambda lib: _bag(lib, mode='median')),
    ('bag_no_offsets', lambda lib: _bag(lib, offsets=None)),
    ('bag_2d_offsets', lambda lib: lib.nn.functional.embedding_bag(
        lib.tensor([1, 2]), _weight(lib), lib.tensor([[0]]))),
    ('bag_2d_with_offsets', lambda lib: lib.nn.functional.embedding_bag(
        lib.tensor([[1, 2]]), _weight(lib), lib.tensor([0]))),
    ('bag_3d_input', lambda lib: lib.nn.functional.embedding_bag(
        lib.tensor([[[1, 2]]]), _weight(lib))),
    ('bag_weights_shape', lambda lib: _bag(lib, mode='sum', per_sample_weights=lib.ones(2))),
    ('bag_weights_mean', lambda lib: _bag(lib, per_sample_weights=lib.ones(3))),
    ('bag_weights_dtype', lambda lib: _bag(lib, mode='sum',
                                           per_sample_weights=lib.ones(3, dtype=lib.float64))),
    ('bag_max_scale', lambda lib: _bag(lib, mode='max', scale_grad_by_freq=True)),
    ('bag_float_indices', lambda lib: lib.nn.functional.embedding_bag(
        lib.tensor([1.0, 2.0]), _weight(lib), lib.tensor([0]))),
    ('bag_float_offsets', lambda lib: lib.nn.functional.embedding_bag(
        lib.tensor([1, 2]), _weight(lib), lib.tensor([0.0]))),
    ('bag_index_too_big', lambda lib: _bag(lib, index=(1, 2, 10))),
    ('bag_weight_1d', lambda lib: lib.nn.functional.embedding_bag(
        lib.tensor([1, 2]), lib.ones(10), lib.tensor([0]))),
    ('bag_padding_idx', lambda lib: _bag(lib, padding_idx=10)),
    ('module_padding_idx', lambda lib: lib.nn.Embedding(5, 2, padding_idx=5)),
    ('module_negative_padding_idx', lambda lib: lib.nn.Embedding(5, 2, padding_idx=-6)),
    ('module_weight_shape', lambda lib: lib.nn.Embedding(5, 2, _weight=lib.ones(5, 3))),
    ('from_pretrained_1d', lambda lib: lib.nn.Embedding.from_pretrained(lib.ones(5))),
    ('bag_module_padding_idx', lambda lib: lib.nn.EmbeddingBag(5, 2, padding_idx=7)),
    ('bag_from_pretrained_1d', lambda lib: lib.nn.EmbeddingBag.from_pretrained(lib.ones(5))),
]


@requires_torch
@pytest.mark.parametrize('name,fn', ERRORS, ids=[r[0] for r in ERRORS])
def test_errors(name, fn):
    check(fn)


@requires_torch
@pytest.mark.parametrize('name,fn', [r for r in ERRORS if r[0] not in (
    'bag_2d_with_offsets', 'bag_index_too_big', 'bag_float_offsets', 'bag_weights_dtype')],
    ids=[r[0] for r in ERRORS if r[0] not in (
        'bag_2d_with_offsets', 'bag_index_too_big', 'bag_float_offsets',
        'bag_weights_dtype')])
def test_error_messages(name, fn):
    check(fn, match_message=True)


# ---------------------------------------------------------------------------------------
# by hand
# ---------------------------------------------------------------------------------------
def test_embedding_by_hand():
    w = ember.arange(12.).reshape(4, 3).requires_grad_()
    out = EF.embedding(ember.tensor([[3, 0], [3, 3]]), w, padding_idx=0)
    assert out.tolist() == [[[9., 10., 11.], [0., 1., 2.]], [[9., 10., 11.], [9., 10., 11.]]]
    out.sum().backward()
    # Row 3 is used three times; row 0 is padding and gets nothing.
    assert w.grad.tolist() == [[0.] * 3, [0.] * 3, [0.] * 3, [3.] * 3]


def test_embedding_bag_by_hand():
    w = ember.arange(12.).reshape(4, 3)
    idx = ember.tensor([0, 1, 3, 2, 2])
    offsets = ember.tensor([0, 2, 2])
    assert EF.embedding_bag(idx, w, offsets, mode='sum').tolist() == \
        [[3., 5., 7.], [0., 0., 0.], [21., 24., 27.]]
    assert EF.embedding_bag(idx, w, offsets, mode='mean').tolist() == \
        [[1.5, 2.5, 3.5], [0., 0., 0.], [7., 8., 9.]]
    assert EF.embedding_bag(idx, w, offsets, mode='max').tolist() == \
        [[3., 4., 5.], [0., 0., 0.], [9., 10., 11.]]
    weights = ember.tensor([1., 2., 0.5, -1., 1.])
    assert EF.embedding_bag(idx, w, offsets, mode='sum',
                            per_sample_weights=weights).tolist() == \
        [[6., 9., 12.], [0., 0., 0.], [4.5, 5., 5.5]]


def test_max_norm_by_hand():
    w = ember.tensor([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]])
    EF.embedding(ember.tensor([0, 1, 0]), w, max_norm=1.0)
    np.testing.assert_allclose(w.numpy(), [[0.6, 0.8], [0.3, 0.4], [6.0, 8.0]], rtol=1e-6)


def test_scale_grad_by_freq_by_hand():
    w = ember.zeros(3, 2, requires_grad=True)
    EF.embedding(ember.tensor([2, 2, 2, 1]), w, scale_grad_by_freq=True).sum().backward()
    assert w.grad.tolist() == [[0., 0.], [1., 1.], [1., 1.]]


# ---------------------------------------------------------------------------------------
# finite differences
# ---------------------------------------------------------------------------------------
_IDX = [1, 2, 2, 5, 1, 0, 7, 7, 7]
GRADCHECK = [
    ('embedding', lambda w: EF.embedding(ember.tensor([[1, 2], [2, 5], [1, 1]]), w)),
    ('bag_sum', lambda w: EF.embedding_bag(ember.tensor(_IDX), w, ember.tensor([0, 2, 2]),
                                           mode='sum')),
    ('bag_mean', lambda w: EF.embedding_bag(ember.tensor(_IDX), w, ember.tensor([0, 2, 2]),
                                            mode='mean')),
    ('bag_max', lambda w: EF.embedding_bag(ember.tensor(_IDX), w, ember.tensor([0, 2, 5]),
                                           mode='max')),
    ('bag_mean_padding', lambda w: EF.embedding_bag(ember.tensor(_IDX), w,
                                                    ember.tensor([0, 3]), mode='mean',
                                                    padding_idx=7)),
]


@pytest.mark.parametrize('name,fn', GRADCHECK, ids=[r[0] for r in GRADCHECK])
def test_gradcheck(name, fn):
    w = _weight(ember, (8, 3), 'float64')
    assert gradcheck(fn, (w,))
    assert gradgradcheck(lambda w: fn(w) ** 2, (w,))


def test_gradcheck_per_sample_weights():
    w = _weight(ember, (8, 3), 'float64')
    p = ember.tensor(np.linspace(-1, 1, len(_IDX)), requires_grad=True)

    def fn(w, p):
        return EF.embedding_bag(ember.tensor(_IDX), w, ember.tensor([0, 4]), mode='sum',
                                per_sample_weights=p)
    assert gradcheck(fn, (w, p))
    assert gradgradcheck(fn, (w, p))


# ---------------------------------------------------------------------------------------
# segment reductions (the kernels behind the scatter-add and the bags)
# ---------------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 6), max_size=60), st.integers(1, 3))
def test_index_add_rows_matches_add_at(index, dim):
    index = np.array(index, dtype=np.int64)
    values = np.random.default_rng(len(index)).standard_normal((len(index), dim))
    expected = np.zeros((7, dim))
    np.add.at(expected, index, values)
    np.testing.assert_allclose(index_add_rows(values, index, 7), expected, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 40), max_size=80))
def test_segment_reduce_matches_loop(lengths):
    """Covers singletons, short segments (rank by rank) and long ones (one by one, or with
    one reduceat when there are many)."""
    lengths = np.array(lengths, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64) \
        if len(lengths) else np.zeros(0, np.int64)
    rows = np.random.default_rng(7).standard_normal((int(lengths.sum()), 2))
    for ufunc, fill in ((np.add, 0.0), (np.maximum, -np.inf), (np.minimum, np.inf)):
        got = segment_reduce(ufunc, rows, starts, lengths, fill)
        for i, (s, n) in enumerate(zip(starts, lengths)):
            expected = ufunc.reduce(rows[s:s + n], axis=0) if n else np.full(2, fill)
            np.testing.assert_allclose(got[i], expected, atol=1e-12)


def test_segment_reduce_many_long_segments():
    lengths = np.array([20] * 40 + [0, 1, 3, 17], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    rows = np.random.default_rng(1).standard_normal((int(lengths.sum()), 3))
    got = segment_reduce(np.add, rows, starts, lengths, 0.0)
    expected = [rows[s:s + n].sum(0) if n else np.zeros(3) for s, n in zip(starts, lengths)]
    np.testing.assert_allclose(got, expected, atol=1e-12)


# ---------------------------------------------------------------------------------------
# layers
# ---------------------------------------------------------------------------------------
LAYERS = [
    ('Embedding', lambda nn: nn.Embedding(10, 4), [[1, 2, 4], [9, 0, 1]]),
    ('Embedding_padding', lambda nn: nn.Embedding(10, 4, padding_idx=0), [[1, 0, 4], [0, 0, 1]]),
    ('Embedding_negative_padding', lambda nn: nn.Embedding(10, 4, padding_idx=-2), [8, 8, 1]),
    ('Embedding_max_norm', lambda nn: nn.Embedding(10, 4, max_norm=1.0, norm_type=1.5),
     [[1, 2, 4], [9, 0, 1]]),
    ('Embedding_scale', lambda nn: nn.Embedding(10, 4, scale_grad_by_freq=True), [1, 1, 2]),
    ('EmbeddingBag', lambda nn: nn.EmbeddingBag(10, 4), [[1, 2, 4], [9, 0, 1]]),
    ('EmbeddingBag_sum_padding', lambda nn: nn.EmbeddingBag(10, 4, mode='sum', padding_idx=1),
     [[1, 2, 4], [9, 1, 1]]),
    ('EmbeddingBag_max', lambda nn: nn.EmbeddingBag(10, 4, mode='max', max_norm=2.0),
     [[1, 2, 4], [9, 0, 1]]),
]


def _layer_run(make, index, train):
    torch.manual_seed(0)
    torch_layer = make(torch.nn)
    state = {k: v.detach().numpy().copy() for k, v in torch_layer.state_dict().items()}

    def snippet(lib):
        if lib is torch:
            layer = torch_layer
        else:
            layer = make(lib.nn)
            layer.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
        layer.train(train)
        out = layer(lib.tensor(index))
        out.backward(_cotangent(lib, out))
        return [out, layer.weight.grad, layer.weight.detach(), repr(layer),
                list(layer.state_dict().keys())]
    return snippet


@requires_torch
@pytest.mark.parametrize('name,make,index', LAYERS, ids=[r[0] for r in LAYERS])
@pytest.mark.parametrize('train', [True, False], ids=['train', 'eval'])
def test_layer_matches_torch(name, make, index, train):
    check(_layer_run(make, index, train), rtol=1e-5, atol=1e-6, check_repr=False)


@requires_torch
@pytest.mark.parametrize('name,make,index', LAYERS, ids=[r[0] for r in LAYERS])
def test_seeded_construction_gives_torch_weights(name, make, index):
    def snippet(lib):
        lib.manual_seed(1234)
        layer = make(lib.nn)
        return [dict(layer.state_dict()), repr(layer), lib.rand(2)]
    check(snippet, rtol=0, atol=0)


@requires_torch
def test_seeded_construction_float64_and_generator_stream():
    def snippet(lib):
        lib.manual_seed(7)
        a = lib.nn.Embedding(6, 3, dtype=lib.float64)
        b = lib.nn.EmbeddingBag(5, 2, padding_idx=1)
        return [a.weight, b.weight, lib.randn(3)]
    check(snippet, rtol=0, atol=0, check_repr=False)


@requires_torch
@pytest.mark.parametrize('freeze', [True, False])
def test_from_pretrained(freeze):
    def snippet(lib):
        table = lib.tensor(np.arange(12.).reshape(4, 3), dtype=lib.float32)
        emb = lib.nn.Embedding.from_pretrained(table, freeze=freeze, padding_idx=1)
        bag = lib.nn.EmbeddingBag.from_pretrained(table, freeze=freeze, mode='sum')
        out = emb(lib.tensor([1, 2]))
        return [out, emb.weight.requires_grad, bag.weight.requires_grad, repr(emb), repr(bag),
                bag(lib.tensor([[0, 1], [2, 3]])),
                emb.weight.untyped_storage().data_ptr() == table.untyped_storage().data_ptr()]
    check(snippet, check_repr=False)


@requires_torch
def test_embedding_layer_reprs():
    def snippet(lib):
        nn = lib.nn
        return [repr(nn.Embedding(10, 3, padding_idx=2, max_norm=1.0, norm_type=1,
                                  scale_grad_by_freq=True)),
                repr(nn.Embedding(10, 3, sparse=True)),
                repr(nn.EmbeddingBag(10, 3, max_norm=1.0, norm_type=1, scale_grad_by_freq=True,
                                     mode='sum', padding_idx=2)),
                repr(nn.EmbeddingBag(10, 3)), nn.Embedding(4, 2, padding_idx=-1).padding_idx]
    check(snippet)


@requires_torch
def test_language_model_step_like_torch():
    """Embedding -> LayerNorm -> Linear with Adam on random tokens: same losses."""
    def snippet(lib):
        lib.manual_seed(0)
        nn = lib.nn
        model = nn.Sequential(nn.Embedding(20, 8, padding_idx=0), nn.LayerNorm(8),
                              nn.Linear(8, 20))
        opt = lib.optim.Adam(model.parameters(), lr=0.01)
        tokens = lib.tensor(np.random.default_rng(0).integers(0, 20, (4, 6)))
        losses = []
        for _ in range(3):
            logits = model(tokens[:, :-1])
            loss = nn.functional.cross_entropy(logits.reshape(-1, 20), tokens[:, 1:].reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.detach())
        return losses + [model[0].weight.detach()]
    check(snippet, rtol=1e-4, atol=1e-5, check_repr=False)
