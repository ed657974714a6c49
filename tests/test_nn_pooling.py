"""Pooling: max (with indices, ceil_mode, padding, dilation), average (count_include_pad,
divisor_override), adaptive average/max, max unpooling and Lp pooling, functional and
layers, against PyTorch, by hand and by finite differences."""
import numpy as np
import pytest

import ember
import ember.nn.functional as EF
from ember.autograd import gradcheck, gradgradcheck
from oracle import check, requires_torch

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


def _values(shape, seed, ties=False):
    values = np.random.default_rng(seed).standard_normal(shape)
    return np.round(values) if ties else values


def _with_grads(fn, shape, dtype='float32', ties=False):
    """Run ``fn(F, x)``; backprop a fixed cotangent through the first output; return all
    outputs and x.grad."""
    def snippet(lib):
        x = lib.tensor(_values(shape, 0, ties), dtype=getattr(lib, dtype), requires_grad=True)
        out = fn(lib.nn.functional, x)
        outs = list(out) if isinstance(out, tuple) else [out]
        first = outs[0]
        cot = lib.tensor(np.cos(np.arange(first.numel())).reshape(tuple(first.shape)),
                         dtype=first.dtype)
        first.backward(cot)
        return outs + [x.grad]
    return snippet


FUNCTIONAL = [
    ('max_pool2d', lambda F, x: F.max_pool2d(x, 2), (2, 3, 8, 8)),
    ('max_pool2d_odd_size', lambda F, x: F.max_pool2d(x, 2), (2, 3, 7, 9)),
    ('max_pool2d_indices', lambda F, x: F.max_pool2d(x, 2, return_indices=True), (2, 3, 8, 8)),
    ('max_pool2d_overlap', lambda F, x: F.max_pool2d(x, 3, 1, return_indices=True),
     (2, 3, 7, 6)),
    ('max_pool2d_full', lambda F, x: F.max_pool2d(x, (3, 2), (2, 1), 1, (1, 2), True, True),
     (2, 3, 9, 8)),
    ('max_pool2d_ceil', lambda F, x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True,
                                                 return_indices=True), (2, 3, 7, 7)),
    ('max_pool2d_unbatched', lambda F, x: F.max_pool2d(x, 2, return_indices=True), (3, 6, 7)),
    ('max_pool2d_channels_last', lambda F, x: F.max_pool2d(x.permute(0, 3, 1, 2), 2,
                                                          return_indices=True), (2, 6, 6, 3)),
    ('max_pool2d_transposed', lambda F, x: F.max_pool2d(x.transpose(2, 3), 2), (2, 3, 6, 8)),
    ('max_pool2d_kernel1', lambda F, x: F.max_pool2d(x, 1, 2), (1, 2, 5, 5)),
    ('max_pool1d', lambda F, x: F.max_pool1d(x, 3, 2, 1, return_indices=True), (2, 3, 9)),
    ('max_pool1d_unbatched', lambda F, x: F.max_pool1d(x, 2, ceil_mode=True), (3, 9)),
    ('max_pool3d', lambda F, x: F.max_pool3d(x, 2, (1, 2, 1), 1, return_indices=True),
     (2, 2, 4, 5, 4)),
    ('avg_pool2d', lambda F, x: F.avg_pool2d(x, 2), (2, 3, 8, 8)),
    ('avg_pool2d_full', lambda F, x: F.avg_pool2d(x, (3, 2), (2, 1), 1, True), (2, 3, 9, 8)),
    ('avg_pool2d_exclude_pad', lambda F, x: F.avg_pool2d(x, 3, 2, 1, True, False),
     (2, 3, 9, 8)),
    ('avg_pool2d_divisor', lambda F, x: F.avg_pool2d(x, 3, 2, 1, divisor_override=5),
     (2, 3, 9, 8)),
    ('avg_pool2d_unbatched', lambda F, x: F.avg_pool2d(x, 2, 1), (3, 5, 5)),
    ('avg_pool2d_channels_last', lambda F, x: F.avg_pool2d(x.permute(0, 3, 1, 2), 2),
     (2, 6, 6, 3)),
    ('avg_pool1d', lambda F, x: F.avg_pool1d(x, 3, 2, 1, True, False), (2, 3, 9)),
    ('avg_pool3d', lambda F, x: F.avg_pool3d(x, 2, (1, 2, 1), 1), (2, 2, 4, 5, 4)),
    ('adaptive_avg_pool2d', lambda F, x: F.adaptive_avg_pool2d(x, (4, 3)), (2, 3, 9, 8)),
    ('adaptive_avg_pool2d_1', lambda F, x: F.adaptive_avg_pool2d(x, 1), (2, 3, 9, 8)),
    ('adaptive_avg_pool2d_none', lambda F, x: F.adaptive_avg_pool2d(x, (None, 5)), (2, 3, 4, 8)),
    ('adaptive_avg_pool2d_up', lambda F, x: F.adaptive_avg_pool2d(x, (5, 7)), (2, 3, 3, 4)),
    ('adaptive_avg_pool2d_unbatched', lambda F, x: F.adaptive_avg_pool2d(x, 2), (3, 5, 5)),
    ('adaptive_avg_pool2d_channels_last',
     lambda F, x: F.adaptive_avg_pool2d(x.permute(0, 3, 1, 2), 2), (2, 5, 5, 3)),
    ('adaptive_avg_pool1d', lambda F, x: F.adaptive_avg_pool1d(x, 4), (2, 3, 9)),
    ('adaptive_avg_pool3d', lambda F, x: F.adaptive_avg_pool3d(x, (2, 4, 3)), (2, 2, 5, 6, 4)),
    ('adaptive_max_pool2d', lambda F, x: F.adaptive_max_pool2d(x, (4, 3), True), (2, 3, 9, 8)),
    ('adaptive_max_pool2d_plain', lambda F, x: F.adaptive_max_pool2d(x, 2), (2, 3, 5, 5)),
    ('adaptive_max_pool1d', lambda F, x: F.adaptive_max_pool1d(x, 4, True), (2, 3, 9)),
    ('adaptive_max_pool3d', lambda F, x: F.adaptive_max_pool3d(x, (2, 4, 3), True),
     (2, 2, 5, 6, 4)),
    ('lp_pool2d', lambda F, x: F.lp_pool2d(x.abs() + 0.1, 2, 2), (2, 3, 8, 8)),
    ('lp_pool2d_p3', lambda F, x: F.lp_pool2d(x.abs() + 0.1, 3, (2, 3), 1), (2, 3, 6, 8)),
    ('lp_pool1d', lambda F, x: F.lp_pool1d(x.abs() + 0.1, 2, 3, 2), (2, 3, 9)),
]


@requires_torch
@pytest.mark.parametrize('name,fn,shape', FUNCTIONAL, ids=[r[0] for r in FUNCTIONAL])
def test_functional_matches_torch(name, fn, shape):
    check(_with_grads(fn, shape), rtol=1e-5, atol=1e-6, check_repr=False)


TIES = [r for r in FUNCTIONAL if r[0] in (
    'max_pool2d_indices', 'max_pool2d_overlap', 'max_pool2d_full', 'max_pool1d', 'max_pool3d',
    'adaptive_max_pool2d')]


@requires_torch
@pytest.mark.parametrize('name,fn,shape', TIES, ids=[r[0] for r in TIES])
def test_ties_pick_first_maximum(name, fn, shape):
    check(_with_grads(fn, shape, ties=True), rtol=1e-5, atol=1e-6, check_repr=False)


@requires_torch
@pytest.mark.parametrize('name,fn,shape', FUNCTIONAL[:6] + FUNCTIONAL[13:17],
                         ids=[r[0] for r in FUNCTIONAL[:6] + FUNCTIONAL[13:17]])
def test_functional_float64_matches_torch(name, fn, shape):
    check(_with_grads(fn, shape, 'float64'), rtol=1e-12, atol=1e-12, check_repr=False)


def _special_values(lib):
    x = np.random.default_rng(1).standard_normal((2, 2, 6, 6))
    x[0, 0, 1, 1] = np.nan
    x[0, 0, 0, 1] = np.nan
    x[1, 1, :3, :3] = -np.inf
    x[0, 1, 0, 0] = np.inf
    return lib.tensor(x)


OTHER = [
    ('nan_and_inf', lambda lib: lib.nn.functional.max_pool2d(
        _special_values(lib), 3, 2, 1, return_indices=True)),
    ('nan_overlap', lambda lib: lib.nn.functional.max_pool2d(
        _special_values(lib), 3, 1, 1, ceil_mode=True, return_indices=True)),
    ('nan_adaptive', lambda lib: lib.nn.functional.adaptive_max_pool2d(
        _special_values(lib), (4, 3), True)),
    ('int_max', lambda lib: lib.nn.functional.max_pool2d(
        lib.tensor(np.random.default_rng(0).integers(-5, 5, (2, 2, 6, 6))), 3, 2, 1,
        return_indices=True)),
    ('int_avg', lambda lib: lib.nn.functional.avg_pool2d(
        lib.tensor(np.random.default_rng(0).integers(-9, 9, (2, 2, 6, 6))), 3, 2, 1)),
    ('float16_max', lambda lib: lib.nn.functional.max_pool2d(
        lib.tensor(_values((1, 2, 6, 6), 0), dtype=lib.float16), 2)),
    ('float16_avg', lambda lib: lib.nn.functional.avg_pool2d(
        lib.tensor(_values((1, 2, 6, 6), 0), dtype=lib.float16), 2)),
    ('empty_batch', lambda lib: lib.nn.functional.max_pool2d(lib.ones(0, 3, 4, 4), 2)),
    ('grad_fn_max1d', lambda lib: lib.nn.functional.max_pool1d(
        lib.ones(1, 2, 4, requires_grad=True), 2).grad_fn.name()),
    ('grad_fn_adaptive_1x1', lambda lib: lib.nn.functional.adaptive_avg_pool2d(
        lib.ones(1, 2, 4, 4, requires_grad=True), 1).grad_fn.name()),
    ('indices_dtype', lambda lib: lib.nn.functional.max_pool2d(
        lib.ones(1, 1, 4, 4), 2, return_indices=True)[1].dtype),
]


@requires_torch
@pytest.mark.parametrize('name,fn', OTHER, ids=[r[0] for r in OTHER])
def test_special_inputs(name, fn):
    check(fn, rtol=1e-3, atol=1e-3, check_repr=False)


ERRORS = [
    ('pad_too_big', lambda F: F.max_pool2d(torch_like_ones(F, 2, 3, 7, 7), 2, padding=2)),
    ('output_too_small', lambda F: F.max_pool2d(torch_like_ones(F, 1, 1, 1, 1), 2)),
    ('input_2d', lambda F: F.max_pool2d(torch_like_ones(F, 4, 4), 2)),
    ('input_5d', lambda F: F.max_pool2d(torch_like_ones(F, 1, 1, 1, 4, 4), 2)),
    ('zero_stride', lambda F: F.max_pool2d(torch_like_ones(F, 2, 3, 7, 7), 2, 0)),
    ('zero_dilation', lambda F: F.max_pool2d(torch_like_ones(F, 2, 3, 7, 7), 2, dilation=0)),
    ('empty_channels', lambda F: F.max_pool2d(torch_like_ones(F, 2, 0, 4, 4), 2)),
    ('avg_pad_too_big', lambda F: F.avg_pool2d(torch_like_ones(F, 2, 3, 7, 7), 2, padding=2)),
    ('avg_too_small', lambda F: F.avg_pool2d(torch_like_ones(F, 1, 1, 3, 3), 4)),
    ('adaptive_negative', lambda F: F.adaptive_avg_pool2d(torch_like_ones(F, 2, 3, 7, 7),
                                                          (-1, 2))),
    ('adaptive_2d_input', lambda F: F.adaptive_avg_pool2d(torch_like_ones(F, 7, 7), 2)),
    ('unpool_bad_size', lambda F: F.max_unpool2d(*F.max_pool2d(
        torch_like_ones(F, 1, 1, 4, 4), 2, return_indices=True), 2, output_size=(9, 9))),
]


def torch_like_ones(F, *shape):
    lib = torch if F is torch.nn.functional else ember
    return lib.ones(*shape)


@requires_torch
@pytest.mark.parametrize('name,fn', ERRORS, ids=[r[0] for r in ERRORS])
def test_errors(name, fn):
    check(lambda lib: fn(lib.nn.functional), match_message=name in (
        'pad_too_big', 'output_too_small', 'input_2d', 'zero_stride', 'empty_channels',
        'avg_too_small', 'adaptive_negative'))


def test_bool_input_raises():
    with pytest.raises(NotImplementedError):
        EF.max_pool2d(ember.ones(1, 1, 4, 4, dtype=ember.bool), 2)


# ---------------------------------------------------------------------------------------
# max unpooling
# ---------------------------------------------------------------------------------------
UNPOOL = [
    ('unpool2d', lambda F, x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2),
     (2, 3, 6, 6)),
    ('unpool2d_output_size', lambda F, x: F.max_unpool2d(
        *F.max_pool2d(x, 2, return_indices=True), 2, output_size=(7, 7)), (2, 3, 7, 7)),
    ('unpool2d_stride_pad', lambda F, x: F.max_unpool2d(
        *F.max_pool2d(x, 3, 2, 1, return_indices=True), 3, 2, 1), (1, 2, 7, 7)),
    ('unpool1d', lambda F, x: F.max_unpool1d(*F.max_pool1d(x, 2, return_indices=True), 2),
     (2, 3, 8)),
    ('unpool3d', lambda F, x: F.max_unpool3d(*F.max_pool3d(x, 2, return_indices=True), 2),
     (1, 2, 4, 4, 4)),
]


@requires_torch
@pytest.mark.parametrize('name,fn,shape', UNPOOL, ids=[r[0] for r in UNPOOL])
def test_unpool_matches_torch(name, fn, shape):
    check(_with_grads(fn, shape), rtol=1e-5, atol=1e-6, check_repr=False)


# ---------------------------------------------------------------------------------------
# by hand
# ---------------------------------------------------------------------------------------
def test_max_pool2d_by_hand():
    x = ember.tensor([[[[1., 5., 2., 0.],
                        [3., 4., 7., 7.],
                        [0., 0., -1., -2.],
                        [0., 1., -3., -1.]]]], requires_grad=True)
    out, idx = EF.max_pool2d(x, 2, return_indices=True)
    assert out.tolist() == [[[[5., 7.], [1., -1.]]]]
    assert idx.tolist() == [[[[1, 6], [13, 10]]]]
    out.sum().backward()
    assert x.grad.tolist() == [[[[0., 1., 0., 0.], [0., 0., 1., 0.], [0., 0., 1., 0.],
                                 [0., 1., 0., 0.]]]]


def test_avg_pool2d_by_hand():
    x = ember.arange(16.).reshape(1, 1, 4, 4)
    assert EF.avg_pool2d(x, 2).tolist() == [[[[2.5, 4.5], [10.5, 12.5]]]]
    # padded corners: count_include_pad divides by 4, the other way by the real count
    assert EF.avg_pool2d(x, 2, 2, 1).tolist()[0][0][0] == [0.0, 0.75, 0.75]
    assert EF.avg_pool2d(x, 2, 2, 1, count_include_pad=False).tolist()[0][0][0] == \
        [0.0, 1.5, 3.0]


def test_adaptive_avg_pool_by_hand():
    x = ember.arange(5.).reshape(1, 1, 5)
    # windows [0, 2), [1, 4), [3, 5) for 5 -> 3
    assert EF.adaptive_avg_pool1d(x, 3).tolist() == [[[0.5, 2.0, 3.5]]]


def test_max_pool_windows_against_numpy():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 11, 10))
    out, idx = EF.max_pool2d(ember.tensor(x), (3, 2), (2, 3), (1, 1), (2, 1),
                             return_indices=True)
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            window = padded[:, :, i * 2:i * 2 + 5:2, j * 3:j * 3 + 2]
            np.testing.assert_array_equal(out.numpy()[:, :, i, j], window.max(axis=(2, 3)))
    flat = x.reshape(2, 3, -1)
    np.testing.assert_array_equal(np.take_along_axis(flat, idx.numpy().reshape(2, 3, -1), 2),
                                  out.numpy().reshape(2, 3, -1))


# ---------------------------------------------------------------------------------------
# finite differences
# ---------------------------------------------------------------------------------------
def _distinct(shape, seed=0):
    """Well-separated values, so max pooling is differentiable at the sample point."""
    n = int(np.prod(shape))
    values = np.random.default_rng(seed).permutation(n).reshape(shape) * 0.1
    return ember.tensor(values, dtype=ember.float64, requires_grad=True)


GRADCHECK = [
    ('max_pool2d', lambda x: EF.max_pool2d(x, 3, 2, 1, ceil_mode=True)),
    ('max_pool2d_dilated', lambda x: EF.max_pool2d(x, 2, 1, 0, 2)),
    ('avg_pool2d', lambda x: EF.avg_pool2d(x, 3, 2, 1, True, False)),
    ('avg_pool2d_divisor', lambda x: EF.avg_pool2d(x, 2, 1, divisor_override=3)),
    ('adaptive_avg_pool2d', lambda x: EF.adaptive_avg_pool2d(x, (2, 3))),
    ('adaptive_max_pool2d', lambda x: EF.adaptive_max_pool2d(x, (2, 3))),
    ('lp_pool2d', lambda x: EF.lp_pool2d(x + 10, 2, 2)),
    ('max_unpool2d', lambda x: EF.max_unpool2d(*EF.max_pool2d(x, 2, return_indices=True), 2,
                                               output_size=(5, 5))),
]


@pytest.mark.parametrize('name,fn', GRADCHECK, ids=[r[0] for r in GRADCHECK])
def test_gradcheck(name, fn):
    assert gradcheck(fn, (_distinct((1, 2, 5, 5)),))


@pytest.mark.parametrize('name,fn', [GRADCHECK[0], GRADCHECK[2], GRADCHECK[4]],
                         ids=['max_pool2d', 'avg_pool2d', 'adaptive_avg_pool2d'])
def test_gradgradcheck(name, fn):
    assert gradgradcheck(fn, (_distinct((1, 2, 5, 5)),))


def test_gradcheck_3d_and_1d():
    x3 = _distinct((1, 1, 3, 4, 3))
    assert gradcheck(lambda x: EF.max_pool3d(x, 2, 1), (x3,))
    assert gradcheck(lambda x: EF.avg_pool3d(x, 2, 1, 1), (x3,))
    assert gradcheck(lambda x: EF.adaptive_avg_pool3d(x, 2), (x3,))
    x1 = _distinct((2, 2, 7))
    assert gradcheck(lambda x: EF.max_pool1d(x, 3, 2, 1), (x1,))
    assert gradcheck(lambda x: EF.avg_pool1d(x, 3, 2, 1), (x1,))
    assert gradcheck(lambda x: EF.adaptive_max_pool1d(x, 3), (x1,))


# ---------------------------------------------------------------------------------------
# layers
# ---------------------------------------------------------------------------------------
LAYERS = [
    ('MaxPool2d', lambda nn: nn.MaxPool2d(2), (2, 3, 8, 8)),
    ('MaxPool2d_full', lambda nn: nn.MaxPool2d((3, 2), (2, 1), 1, 1, False, True), (2, 3, 9, 8)),
    ('MaxPool1d', lambda nn: nn.MaxPool1d(3, 2, 1), (2, 3, 9)),
    ('MaxPool3d', lambda nn: nn.MaxPool3d(2), (1, 2, 4, 4, 4)),
    ('AvgPool2d', lambda nn: nn.AvgPool2d(2), (2, 3, 8, 8)),
    ('AvgPool2d_full', lambda nn: nn.AvgPool2d(3, 2, 1, True, False, None), (2, 3, 9, 8)),
    ('AvgPool1d', lambda nn: nn.AvgPool1d(3, 2, 1), (2, 3, 9)),
    ('AvgPool3d', lambda nn: nn.AvgPool3d(2, 1), (1, 2, 4, 4, 4)),
    ('AdaptiveAvgPool2d', lambda nn: nn.AdaptiveAvgPool2d((3, None)), (2, 3, 7, 5)),
    ('AdaptiveAvgPool2d_1', lambda nn: nn.AdaptiveAvgPool2d(1), (2, 3, 7, 5)),
    ('AdaptiveAvgPool1d', lambda nn: nn.AdaptiveAvgPool1d(3), (2, 3, 7)),
    ('AdaptiveAvgPool3d', lambda nn: nn.AdaptiveAvgPool3d(2), (1, 2, 3, 5, 4)),
    ('AdaptiveMaxPool2d', lambda nn: nn.AdaptiveMaxPool2d(3), (2, 3, 7, 5)),
    ('AdaptiveMaxPool1d', lambda nn: nn.AdaptiveMaxPool1d(3), (2, 3, 7)),
    ('AdaptiveMaxPool3d', lambda nn: nn.AdaptiveMaxPool3d(2), (1, 2, 3, 5, 4)),
    ('LPPool2d', lambda nn: nn.LPPool2d(2, 2), (2, 3, 6, 6)),
    ('LPPool1d', lambda nn: nn.LPPool1d(3, 2, 1), (2, 3, 6)),
]


@requires_torch
@pytest.mark.parametrize('name,make,shape', LAYERS, ids=[r[0] for r in LAYERS])
@pytest.mark.parametrize('train', [True, False], ids=['train', 'eval'])
def test_layer_matches_torch(name, make, shape, train):
    def snippet(lib):
        layer = make(lib.nn).train(train)
        x = lib.tensor(_values(shape, 3), dtype=lib.float32, requires_grad=True)
        inp = x.abs() + 0.5 if name.startswith('LP') else x
        out = layer(inp)
        cot = lib.tensor(np.sin(np.arange(out.numel())).reshape(tuple(out.shape)),
                         dtype=lib.float32)
        out.backward(cot)
        return [out, x.grad, repr(layer), list(layer.state_dict().keys())]
    check(snippet, rtol=1e-5, atol=1e-6, check_repr=False)


@requires_torch
def test_return_indices_layers_and_unpool_layer():
    def snippet(lib):
        x = lib.tensor(_values((2, 3, 6, 6), 1), dtype=lib.float32, requires_grad=True)
        pool = lib.nn.MaxPool2d(2, return_indices=True)
        unpool = lib.nn.MaxUnpool2d(2)
        out, idx = pool(x)
        back = unpool(out, idx)
        back.sum().backward()
        adaptive = lib.nn.AdaptiveMaxPool2d((2, 3), return_indices=True)(x)
        return [out, idx, back, x.grad, adaptive, repr(pool), repr(unpool),
                repr(lib.nn.MaxUnpool1d(2, 1)), repr(lib.nn.MaxUnpool3d(2))]
    check(snippet, check_repr=False)


def test_reprs_are_torchs():
    nn = ember.nn
    assert repr(nn.MaxPool2d(2)) == \
        'MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)'
    assert repr(nn.AvgPool1d(3)) == 'AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))'
    assert repr(nn.AdaptiveAvgPool2d((None, 3))) == 'AdaptiveAvgPool2d(output_size=(None, 3))'
    assert repr(nn.LPPool2d(2, 3)) == \
        'LPPool2d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)'
