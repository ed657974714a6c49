"""Vision ops: F.pad (all modes), F.interpolate / Upsample, pixel (un)shuffle, channel
shuffle, fold/unfold, affine_grid/grid_sample and the padding layers, against PyTorch, by
hand and by finite differences."""
import warnings

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


def _values(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


def _with_grads(fn, shapes, dtype='float32'):
    """Run ``fn(F, *inputs)``, backprop a fixed cotangent, return the output and input grads."""
    def snippet(lib):
        xs = [lib.tensor(_values(s, i), dtype=getattr(lib, dtype), requires_grad=True)
              for i, s in enumerate(shapes)]
        out = fn(lib.nn.functional, *xs)
        cot = lib.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape)),
                         dtype=out.dtype)
        out.backward(cot)
        return [out] + [x.grad for x in xs]
    return snippet


# ---------------------------------------------------------------------------------------
# pad
# ---------------------------------------------------------------------------------------
PAD = [
    ('constant', lambda F, x: F.pad(x, (1, 2)), (2, 3, 4)),
    ('constant_value', lambda F, x: F.pad(x, (1, 2, 0, 3), value=1.5), (2, 3, 4, 5)),
    ('constant_negative', lambda F, x: F.pad(x, (-1, 2, 3, -2)), (2, 3, 4, 5)),
    ('constant_all_dims', lambda F, x: F.pad(x, (1, 1, 2, 0, 0, 1, 1, 0)), (2, 3, 4, 5)),
    ('constant_empty_pad', lambda F, x: F.pad(x, ()), (2, 3)),
    ('constant_transposed', lambda F, x: F.pad(x.t(), (1, 1)), (4, 3)),
    ('constant_channels_last', lambda F, x: F.pad(x.permute(0, 3, 1, 2), (1, 1)), (1, 4, 4, 3)),
    ('reflect_1d', lambda F, x: F.pad(x, (2, 3), mode='reflect'), (2, 3, 5)),
    ('reflect_1d_2d_input', lambda F, x: F.pad(x, (1, 1), mode='reflect'), (2, 5)),
    ('reflect_negative', lambda F, x: F.pad(x, (-1, 2), mode='reflect'), (2, 3, 5)),
    ('reflect_2d', lambda F, x: F.pad(x, (1, 2, 3, 0), mode='reflect'), (2, 3, 4, 5)),
    ('reflect_2d_unbatched', lambda F, x: F.pad(x, (1, 1, 1, 1), mode='reflect'), (3, 4, 5)),
    ('reflect_2d_channels_last', lambda F, x: F.pad(x.permute(0, 3, 1, 2), (1, 1, 1, 1),
                                                   mode='reflect'), (1, 4, 4, 3)),
    ('reflect_3d', lambda F, x: F.pad(x, (1, 2, 2, 0, 1, 1), mode='reflect'), (1, 2, 3, 4, 5)),
    ('replicate_1d', lambda F, x: F.pad(x, (2, 7), mode='replicate'), (2, 3, 5)),
    ('replicate_negative', lambda F, x: F.pad(x, (-1, 2), mode='replicate'), (2, 3, 5)),
    ('replicate_2d', lambda F, x: F.pad(x, (1, 2, 3, 0), mode='replicate'), (2, 3, 4, 5)),
    ('replicate_3d', lambda F, x: F.pad(x, (1, 2, 3, 0, 1, 1), mode='replicate'),
     (2, 2, 3, 4, 5)),
    ('circular_1d', lambda F, x: F.pad(x, (2, 5), mode='circular'), (2, 3, 5)),
    ('circular_2d', lambda F, x: F.pad(x, (1, 2, 3, 0), mode='circular'), (2, 3, 4, 5)),
    ('circular_negative', lambda F, x: F.pad(x, (-1, 2, 3, -1), mode='circular'), (2, 3, 4, 5)),
    ('circular_3d', lambda F, x: F.pad(x, (1, 2, 2, 0, 1, 1), mode='circular'),
     (1, 2, 3, 4, 5)),
]


@requires_torch
@pytest.mark.parametrize('name,fn,shape', PAD, ids=[r[0] for r in PAD])
def test_pad_matches_torch(name, fn, shape):
    check(_with_grads(fn, [shape]), rtol=1e-6, atol=1e-6, check_repr=False)


PAD_OTHER = [
    ('int_constant', lambda lib: lib.nn.functional.pad(lib.ones(2, 2, dtype=lib.long), (1, 1),
                                                       value=2.5)),
    ('bool_constant', lambda lib: lib.nn.functional.pad(lib.ones(2, 2, dtype=lib.bool), (1, 1),
                                                        value=1)),
    ('int_reflect', lambda lib: lib.nn.functional.pad(lib.arange(6).reshape(1, 2, 3), (2, 2),
                                                      mode='reflect')),
    ('int_circular', lambda lib: lib.nn.functional.pad(lib.arange(6).reshape(1, 2, 3), (1, 1),
                                                       mode='circular')),
    ('zero_d', lambda lib: lib.nn.functional.pad(lib.tensor(1.), ())),
    ('reflect_zero_batch', lambda lib: lib.nn.functional.pad(lib.ones(0, 3, 4, 4),
                                                             (1, 1, 1, 1), mode='reflect')),
    ('float16', lambda lib: lib.nn.functional.pad(lib.ones(1, 2, 3, dtype=lib.float16),
                                                  (1, 1), mode='replicate')),
]


@requires_torch
@pytest.mark.parametrize('name,fn', PAD_OTHER, ids=[r[0] for r in PAD_OTHER])
def test_pad_dtypes_and_edges(name, fn):
    check(fn)


PAD_ERRORS = [
    ('odd_length', lambda F, x: F.pad(x, (1,))),
    ('too_long', lambda F, x: F.pad(x, (1, 1) * 5)),
    ('reflect_too_big', lambda F, x: F.pad(x[0], (3, 3), mode='reflect')),
    ('reflect_wrong_dims', lambda F, x: F.pad(x, (1, 1), mode='reflect')),
    ('circular_wraps_twice', lambda F, x: F.pad(x[0], (4, 4), mode='circular')),
    ('bad_mode', lambda F, x: F.pad(x, (1, 1), mode='foo')),
    ('value_with_reflect', lambda F, x: F.pad(x, (1, 1, 1, 1), mode='reflect', value=2.)),
    ('negative_size', lambda F, x: F.pad(x, (-3, -2))),
    ('reflect_empty_channels', lambda F, x: F.pad(x[:, :0], (1, 1, 1, 1), mode='reflect')),
]


@requires_torch
@pytest.mark.parametrize('name,fn', PAD_ERRORS, ids=[r[0] for r in PAD_ERRORS])
def test_pad_errors(name, fn):
    check(lambda lib: fn(lib.nn.functional, lib.ones(1, 2, 3, 4)),
          match_message=name not in ('negative_size',))


@requires_torch
def test_pad_crop_to_empty():
    # PyTorch keeps the input's strides on this empty result; only values and shape matter
    check(_with_grads(lambda F, x: F.pad(x, (-2, -3)), [(2, 3, 5)]), check_stride=False)


def test_pad_by_hand():
    x = ember.tensor([[[1., 2., 3.]]])
    assert EF.pad(x, (2, 2), mode='reflect').tolist() == [[[3., 2., 1., 2., 3., 2., 1.]]]
    assert EF.pad(x, (2, 1), mode='replicate').tolist() == [[[1., 1., 1., 2., 3., 3.]]]
    assert EF.pad(x, (2, 1), mode='circular').tolist() == [[[2., 3., 1., 2., 3., 1.]]]
    assert EF.pad(x, (1, -1), value=9.).tolist() == [[[9., 1., 2.]]]
    x.requires_grad_()
    EF.pad(x, (2, 2), mode='reflect').sum().backward()
    assert x.grad.tolist() == [[[2., 3., 2.]]]


# ---------------------------------------------------------------------------------------
# interpolate
# ---------------------------------------------------------------------------------------
INTERP = [
    ('nearest_2x', lambda F, x: F.interpolate(x, scale_factor=2), (2, 3, 4, 5)),
    ('nearest_size', lambda F, x: F.interpolate(x, size=(7, 3)), (2, 3, 4, 5)),
    ('nearest_fraction', lambda F, x: F.interpolate(x, scale_factor=1.7), (2, 3, 4, 5)),
    ('nearest_down', lambda F, x: F.interpolate(x, scale_factor=0.5), (2, 3, 8, 6)),
    ('nearest_1d', lambda F, x: F.interpolate(x, scale_factor=2.5), (2, 3, 5)),
    ('nearest_3d', lambda F, x: F.interpolate(x, scale_factor=(2, 1.5, 0.5)), (1, 2, 3, 4, 5)),
    ('nearest_exact', lambda F, x: F.interpolate(x, size=(7, 3), mode='nearest-exact'),
     (2, 3, 4, 5)),
    ('nearest_channels_last', lambda F, x: F.interpolate(x.permute(0, 3, 1, 2), scale_factor=2),
     (1, 4, 4, 3)),
    ('bilinear_2x', lambda F, x: F.interpolate(x, scale_factor=2, mode='bilinear'),
     (2, 3, 4, 5)),
    ('bilinear_align', lambda F, x: F.interpolate(x, size=(7, 3), mode='bilinear',
                                                  align_corners=True), (2, 3, 4, 5)),
    ('bilinear_fraction', lambda F, x: F.interpolate(x, scale_factor=1.7, mode='bilinear'),
     (2, 3, 4, 5)),
    ('bilinear_recompute', lambda F, x: F.interpolate(x, scale_factor=1.7, mode='bilinear',
                                                      recompute_scale_factor=True),
     (2, 3, 4, 5)),
    ('bilinear_down', lambda F, x: F.interpolate(x, size=(3, 4), mode='bilinear'),
     (2, 3, 8, 9)),
    ('bilinear_to_one', lambda F, x: F.interpolate(x, size=(1, 3), mode='bilinear',
                                                   align_corners=True), (2, 3, 4, 5)),
    ('linear', lambda F, x: F.interpolate(x, scale_factor=3, mode='linear'), (2, 3, 5)),
    ('trilinear', lambda F, x: F.interpolate(x, size=(4, 6, 3), mode='trilinear',
                                             align_corners=True), (1, 2, 3, 4, 5)),
    ('bicubic', lambda F, x: F.interpolate(x, scale_factor=2, mode='bicubic'), (2, 3, 4, 5)),
    ('bicubic_align', lambda F, x: F.interpolate(x, size=(7, 3), mode='bicubic',
                                                 align_corners=True), (2, 3, 4, 5)),
    ('area', lambda F, x: F.interpolate(x, size=(3, 4), mode='area'), (2, 3, 8, 9)),
    ('area_1d', lambda F, x: F.interpolate(x, size=4, mode='area'), (2, 3, 9)),
]


@requires_torch
@pytest.mark.parametrize('name,fn,shape', INTERP, ids=[r[0] for r in INTERP])
def test_interpolate_matches_torch(name, fn, shape):
    check(_with_grads(fn, [shape]), rtol=1e-5, atol=1e-5, check_repr=False)


@requires_torch
@pytest.mark.parametrize('name,fn,shape', [INTERP[1], INTERP[9], INTERP[16]],
                         ids=['nearest', 'bilinear', 'bicubic'])
def test_interpolate_float64_matches_torch(name, fn, shape):
    check(_with_grads(fn, [shape], 'float64'), rtol=1e-12, atol=1e-12, check_repr=False)


INTERP_ERRORS = [
    ('both', lambda F, x: F.interpolate(x, size=3, scale_factor=2)),
    ('neither', lambda F, x: F.interpolate(x)),
    ('align_nearest', lambda F, x: F.interpolate(x, scale_factor=2, align_corners=True)),
    ('linear_4d', lambda F, x: F.interpolate(x, scale_factor=2, mode='linear')),
    ('bilinear_3d', lambda F, x: F.interpolate(x[0], scale_factor=2, mode='bilinear')),
    ('size_length', lambda F, x: F.interpolate(x, size=(2, 3, 4))),
    ('bad_mode', lambda F, x: F.interpolate(x, scale_factor=2, mode='foo')),
    ('input_2d', lambda F, x: F.interpolate(x[0, 0], scale_factor=2)),
    ('int_input', lambda F, x: F.interpolate(x.long(), scale_factor=2, mode='bilinear')),
]


@requires_torch
@pytest.mark.parametrize('name,fn', INTERP_ERRORS, ids=[r[0] for r in INTERP_ERRORS])
def test_interpolate_errors(name, fn):
    check(lambda lib: fn(lib.nn.functional, lib.ones(1, 2, 3, 4)),
          match_message=name not in ('int_input',))


def test_interpolate_by_hand():
    x = ember.tensor([[[0., 10.]]])
    assert EF.interpolate(x, size=5, mode='linear', align_corners=True).tolist() == \
        [[[0., 2.5, 5., 7.5, 10.]]]
    assert EF.interpolate(x, scale_factor=2, mode='linear').tolist() == \
        [[[0., 2.5, 7.5, 10.]]]
    assert EF.interpolate(x, scale_factor=2).tolist() == [[[0., 0., 10., 10.]]]


# ---------------------------------------------------------------------------------------
# shuffles, fold/unfold, grids
# ---------------------------------------------------------------------------------------
REARRANGE = [
    ('pixel_shuffle', lambda F, x: F.pixel_shuffle(x, 2), [(2, 8, 3, 4)]),
    ('pixel_shuffle_3d', lambda F, x: F.pixel_shuffle(x, 3), [(9, 2, 2)]),
    ('pixel_shuffle_5d', lambda F, x: F.pixel_shuffle(x, 2), [(2, 3, 8, 3, 4)]),
    ('pixel_unshuffle', lambda F, x: F.pixel_unshuffle(x, 2), [(2, 2, 6, 4)]),
    ('channel_shuffle', lambda F, x: F.channel_shuffle(x, 3), [(2, 6, 3)]),
    ('channel_shuffle_4d', lambda F, x: F.channel_shuffle(x, 2), [(2, 6, 3, 4)]),
    ('unfold', lambda F, x: F.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
     [(2, 3, 6, 5)]),
    ('unfold_unbatched', lambda F, x: F.unfold(x, 2), [(3, 6, 5)]),
    ('fold', lambda F, x: F.fold(x, (5, 6), (2, 3), padding=1, stride=2), [(2, 12, 9)]),
    ('fold_overlapping', lambda F, x: F.fold(x, (4, 5), 2), [(2, 8, 12)]),
    ('fold_unbatched', lambda F, x: F.fold(x, (5, 6), (2, 3), padding=1, stride=2),
     [(12, 9)]),
    ('affine_grid', lambda F, t: F.affine_grid(t, (2, 3, 4, 5), align_corners=False),
     [(2, 2, 3)]),
    ('affine_grid_aligned', lambda F, t: F.affine_grid(t, (2, 3, 4, 5), align_corners=True),
     [(2, 2, 3)]),
    ('affine_grid_3d', lambda F, t: F.affine_grid(t, (1, 2, 3, 4, 2), align_corners=False),
     [(1, 3, 4)]),
]


@requires_torch
@pytest.mark.parametrize('name,fn,shapes', REARRANGE, ids=[r[0] for r in REARRANGE])
def test_rearrange_matches_torch(name, fn, shapes):
    check(_with_grads(fn, shapes), rtol=1e-6, atol=1e-6, check_repr=False)


def _grid(F, x, t, mode, padding_mode, align_corners):
    grid = F.affine_grid(t, (2, 3, 4, 7), align_corners=align_corners)
    return F.grid_sample(x, grid, mode=mode, padding_mode=padding_mode,
                         align_corners=align_corners)


GRID = [(m, p, a) for m in ('bilinear', 'nearest') for p in ('zeros', 'border', 'reflection')
        for a in (False, True)]


@requires_torch
@pytest.mark.parametrize('mode,padding_mode,align_corners', GRID)
def test_grid_sample_matches_torch(mode, padding_mode, align_corners):
    def fn(F, x, t):
        return _grid(F, x, t * 0.7, mode, padding_mode, align_corners)
    check(_with_grads(fn, [(2, 3, 5, 6), (2, 2, 3)], 'float64'), rtol=1e-9, atol=1e-9,
          check_repr=False)


REARRANGE_ERRORS = [
    ('pixel_shuffle_channels', lambda F: F.pixel_shuffle(ones(F, 2, 5, 2, 2), 2)),
    ('pixel_shuffle_2d', lambda F: F.pixel_shuffle(ones(F, 4, 2), 2)),
    ('pixel_unshuffle_height', lambda F: F.pixel_unshuffle(ones(F, 2, 5, 3, 2), 2)),
    ('channel_shuffle_groups', lambda F: F.channel_shuffle(ones(F, 2, 5, 3, 2), 2)),
    ('channel_shuffle_2d', lambda F: F.channel_shuffle(ones(F, 2, 4), 2)),
    ('unfold_too_big', lambda F: F.unfold(ones(F, 1, 3, 4, 4), 5)),
    ('fold_blocks', lambda F: F.fold(ones(F, 1, 12, 8), (4, 4), 2)),
    ('fold_channels', lambda F: F.fold(ones(F, 1, 13, 9), (4, 4), 2)),
]


def ones(F, *shape):
    return (torch if F is torch.nn.functional else ember).ones(*shape)


@requires_torch
@pytest.mark.parametrize('name,fn', REARRANGE_ERRORS, ids=[r[0] for r in REARRANGE_ERRORS])
def test_rearrange_errors(name, fn):
    check(lambda lib: fn(lib.nn.functional), match_message=True)


def test_unfold_fold_by_hand():
    x = ember.arange(9.).reshape(1, 1, 3, 3)
    cols = EF.unfold(x, 2)
    assert cols.tolist() == [[[0., 1., 3., 4.], [1., 2., 4., 5.], [3., 4., 6., 7.],
                              [4., 5., 7., 8.]]]
    # fold sums overlaps: each pixel times the number of windows covering it
    assert EF.fold(cols, (3, 3), 2).tolist() == [[[[0., 2., 2.], [6., 16., 10.],
                                                   [6., 14., 8.]]]]


def test_pixel_shuffle_roundtrip():
    x = ember.tensor(_values((2, 12, 3, 5), 0))
    assert np.array_equal(EF.pixel_unshuffle(EF.pixel_shuffle(x, 2), 2).numpy(), x.numpy())


# ---------------------------------------------------------------------------------------
# finite differences
# ---------------------------------------------------------------------------------------
def _x(shape, seed=0):
    return ember.tensor(_values(shape, seed), dtype=ember.float64, requires_grad=True)


GRADCHECK = [
    ('pad_constant', lambda x: EF.pad(x, (1, -1, 2, 0), value=0.5), (1, 2, 3, 4)),
    ('pad_reflect', lambda x: EF.pad(x, (2, 1, 1, 2), mode='reflect'), (1, 2, 3, 4)),
    ('pad_replicate', lambda x: EF.pad(x, (3, 1), mode='replicate'), (1, 2, 4)),
    ('pad_circular', lambda x: EF.pad(x, (2, 1, 1, 3), mode='circular'), (1, 2, 3, 4)),
    ('nearest', lambda x: EF.interpolate(x, scale_factor=1.5), (1, 2, 3, 4)),
    ('bilinear', lambda x: EF.interpolate(x, size=(4, 5), mode='bilinear'), (1, 2, 3, 3)),
    ('bicubic', lambda x: EF.interpolate(x, size=(4, 5), mode='bicubic', align_corners=True),
     (1, 1, 3, 3)),
    ('trilinear', lambda x: EF.interpolate(x, scale_factor=2, mode='trilinear'),
     (1, 1, 2, 2, 2)),
    ('pixel_shuffle', lambda x: EF.pixel_shuffle(x, 2), (1, 8, 2, 2)),
    ('channel_shuffle', lambda x: EF.channel_shuffle(x, 2), (1, 4, 2, 2)),
    ('unfold', lambda x: EF.unfold(x, 2, padding=1, stride=2), (1, 2, 3, 4)),
    ('fold', lambda x: EF.fold(x, (3, 4), 2), (1, 8, 6)),
]


@pytest.mark.parametrize('name,fn,shape', GRADCHECK, ids=[r[0] for r in GRADCHECK])
def test_gradcheck(name, fn, shape):
    assert gradcheck(fn, (_x(shape),))


@pytest.mark.parametrize('name,fn,shape', [GRADCHECK[1], GRADCHECK[5], GRADCHECK[10]],
                         ids=['pad_reflect', 'bilinear', 'unfold'])
def test_gradgradcheck(name, fn, shape):
    assert gradgradcheck(fn, (_x(shape),))


def test_gradcheck_grid_sample_and_affine_grid():
    theta = _x((1, 2, 3), 1) * 0.5
    theta = theta.detach().requires_grad_()
    x = _x((1, 2, 3, 4))
    assert gradcheck(lambda t: EF.affine_grid(t, (1, 2, 3, 4), align_corners=False), (theta,))
    assert gradcheck(lambda a, t: EF.grid_sample(
        a, EF.affine_grid(t, (1, 2, 3, 3), align_corners=False), align_corners=False),
        (x, theta))


# ---------------------------------------------------------------------------------------
# layers
# ---------------------------------------------------------------------------------------
LAYERS = [
    ('ZeroPad2d', lambda nn: nn.ZeroPad2d((1, 2, 0, 1)), (2, 3, 4, 4)),
    ('ZeroPad1d', lambda nn: nn.ZeroPad1d(2), (2, 3, 4)),
    ('ZeroPad3d', lambda nn: nn.ZeroPad3d(1), (1, 2, 2, 3, 2)),
    ('ConstantPad1d', lambda nn: nn.ConstantPad1d((1, 2), 3.5), (2, 3, 4)),
    ('ConstantPad2d', lambda nn: nn.ConstantPad2d(1, -1.0), (2, 3, 4, 4)),
    ('ConstantPad3d', lambda nn: nn.ConstantPad3d((1, 0, 0, 1, 1, 1), 2.0), (1, 2, 2, 3, 2)),
    ('ReflectionPad1d', lambda nn: nn.ReflectionPad1d(2), (2, 3, 4)),
    ('ReflectionPad2d', lambda nn: nn.ReflectionPad2d((1, 2, 0, 3)), (2, 3, 4, 4)),
    ('ReflectionPad3d', lambda nn: nn.ReflectionPad3d(1), (1, 2, 2, 3, 2)),
    ('ReplicationPad1d', lambda nn: nn.ReplicationPad1d((3, 1)), (2, 3, 4)),
    ('ReplicationPad2d', lambda nn: nn.ReplicationPad2d(2), (2, 3, 4, 4)),
    ('ReplicationPad3d', lambda nn: nn.ReplicationPad3d(1), (1, 2, 2, 3, 2)),
    ('CircularPad1d', lambda nn: nn.CircularPad1d(2), (2, 3, 4)),
    ('CircularPad2d', lambda nn: nn.CircularPad2d((1, 2, 0, 3)), (2, 3, 4, 4)),
    ('CircularPad3d', lambda nn: nn.CircularPad3d(1), (1, 2, 2, 3, 2)),
    ('Upsample', lambda nn: nn.Upsample(scale_factor=2), (2, 3, 4, 4)),
    ('Upsample_bilinear', lambda nn: nn.Upsample(size=(5, 7), mode='bilinear',
                                                 align_corners=True), (2, 3, 4, 4)),
    ('Upsample_tuple', lambda nn: nn.Upsample(scale_factor=(2, 3)), (2, 3, 4, 4)),
    ('UpsamplingNearest2d', lambda nn: nn.UpsamplingNearest2d(scale_factor=2), (2, 3, 4, 4)),
    ('UpsamplingBilinear2d', lambda nn: nn.UpsamplingBilinear2d(size=5), (2, 3, 4, 4)),
    ('PixelShuffle', lambda nn: nn.PixelShuffle(2), (2, 8, 3, 3)),
    ('PixelUnshuffle', lambda nn: nn.PixelUnshuffle(2), (2, 2, 4, 6)),
    ('ChannelShuffle', lambda nn: nn.ChannelShuffle(2), (2, 4, 3, 3)),
    ('Unfold', lambda nn: nn.Unfold((2, 3), dilation=1, padding=1, stride=2), (2, 3, 5, 5)),
    ('Fold', lambda nn: nn.Fold((4, 5), 2), (2, 8, 12)),
]


@requires_torch
@pytest.mark.parametrize('name,make,shape', LAYERS, ids=[r[0] for r in LAYERS])
@pytest.mark.parametrize('train', [True, False], ids=['train', 'eval'])
def test_layer_matches_torch(name, make, shape, train):
    def snippet(lib):
        layer = make(lib.nn).train(train)
        x = lib.tensor(_values(shape, 3), dtype=lib.float32, requires_grad=True)
        out = layer(x)
        cot = lib.tensor(np.sin(np.arange(out.numel())).reshape(tuple(out.shape)),
                         dtype=lib.float32)
        out.backward(cot)
        return [out, x.grad, repr(layer), list(layer.state_dict().keys())]
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        check(snippet, rtol=1e-5, atol=1e-6, check_repr=False)


def test_padding_layer_attributes():
    assert ember.nn.ZeroPad2d(1).padding == (1, 1, 1, 1)
    assert ember.nn.ReflectionPad1d((1, 2)).padding == (1, 2)
    assert ember.nn.ConstantPad2d(2, 1.5).value == 1.5
