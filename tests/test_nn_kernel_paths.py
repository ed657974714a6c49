"""Fast paths of the CNN and normalization kernels give PyTorch's results: wide-row
convolutions and the fused convolution backward, the bit-select ``threshold_backward``
(ReLU/threshold gradients), max pooling over disjoint windows, and the layer/group norm
kernels. Each path is forced on the op tables of the family tests, and the edge cases it
could get wrong (NaN, infinities, -0.0, ties, half precision, layouts) are checked."""
import numpy as np
import pytest

import ember
import ember.nn.functional as EF
from ember.autograd import gradcheck, gradgradcheck
from ember.nn._functional import conv as conv_module
from ember.nn._functional.activation import select_bits, threshold_backward
from oracle import check, requires_torch
from test_nn_conv import FUNCTIONAL, GRADCHECK, _tensors, _with_grads

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


def _cot(lib, out, seed=0, special=()):
    """A fixed cotangent shaped like ``out``; ``special`` puts (flat index, value) pairs."""
    values = np.cos(np.arange(out.numel()) + seed)
    for index, value in special:
        values[index] = value
    return lib.tensor(values.reshape(tuple(out.shape)), dtype=out.dtype)


# ---------------------------------------------------------------------------------------
# convolutions: the wide-row route and the fused backward
# ---------------------------------------------------------------------------------------
@pytest.fixture
def wide_everywhere(monkeypatch):
    """Every convolution that can take the wide-row route takes it."""
    monkeypatch.setattr(conv_module, '_WIDE_MIN_FILL', 0.0)
    monkeypatch.setattr(conv_module, '_THIN_GEMM', 0)


WIDE_EXTRA = [
    ('conv_transpose2d_dilated_outpad',
     lambda F, x, w: F.conv_transpose2d(x, w, stride=1, output_padding=1, dilation=2),
     [(2, 3, 4, 5), (3, 2, 3, 2)]),
    ('conv3d_pad', lambda F, x, w, b: F.conv3d(x, w, b, padding=(1, 0, 1)),
     [(2, 2, 3, 4, 5), (3, 2, 2, 2, 3), (3,)]),
    ('conv2d_wide_kernel', lambda F, x, w: F.conv2d(x, w, padding=(0, 2), dilation=(1, 2)),
     [(2, 2, 5, 4), (3, 2, 2, 3)]),
    ('conv2d_sliced_input', lambda F, x, w: F.conv2d(x[:, ::2, 1:, :-1], w, padding=1),
     [(2, 4, 7, 8), (3, 2, 3, 3)]),
    ('conv1d_groups_pad', lambda F, x, w, b: F.conv1d(x, w, b, padding=2, groups=2),
     [(3, 4, 9), (6, 2, 4), (6,)]),
]
WIDE_ROWS = FUNCTIONAL + WIDE_EXTRA


@requires_torch
@pytest.mark.parametrize('block_bytes', [1, 1 << 30], ids=['tiny_blocks', 'one_block'])
@pytest.mark.parametrize('name,fn,shapes', WIDE_ROWS, ids=[r[0] for r in WIDE_ROWS])
def test_wide_conv_matches_torch(wide_everywhere, monkeypatch, block_bytes, name, fn, shapes):
    monkeypatch.setattr(conv_module, '_BLOCK_BYTES', block_bytes)
    check(_with_grads(fn, shapes, 'float64'), rtol=1e-10, atol=1e-10, check_repr=False)


@requires_torch
@pytest.mark.parametrize('name,fn,shapes', WIDE_ROWS, ids=[r[0] for r in WIDE_ROWS])
def test_wide_conv_float32_matches_torch(wide_everywhere, name, fn, shapes):
    check(_with_grads(fn, shapes), rtol=1e-4, atol=1e-5, check_repr=False)


@pytest.mark.parametrize('name,fn,shapes', GRADCHECK, ids=[r[0] for r in GRADCHECK])
def test_wide_conv_gradcheck(wide_everywhere, name, fn, shapes):
    assert gradcheck(fn, _tensors(ember, shapes, 'float64'))


@pytest.mark.parametrize('name,fn,shapes', [GRADCHECK[1], GRADCHECK[3]],
                         ids=['conv2d_same', 'conv3d'])
def test_wide_conv_gradgradcheck(wide_everywhere, name, fn, shapes):
    assert gradgradcheck(fn, _tensors(ember, shapes, 'float64'))


def _conv_with_specials(lib, x_special=None, w_special=None, g_special=(), dtype='float64'):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 6, 7))
    w = rng.standard_normal((4, 3, 3, 3))
    if x_special is not None:
        x[0, 1, 2, 3] = x_special
    if w_special is not None:
        w[1, 0, 1, 1] = w_special
    xt = lib.tensor(x, dtype=getattr(lib, dtype), requires_grad=True)
    wt = lib.tensor(w, dtype=getattr(lib, dtype), requires_grad=True)
    y = lib.nn.functional.conv2d(xt, wt, padding=1)
    y.backward(_cot(lib, y, special=g_special))
    return y, xt.grad, wt.grad


SPECIALS = [
    ('finite', {}),
    ('inf_input', {'x_special': np.inf}),
    ('nan_input', {'x_special': np.nan}),
    ('nan_weight', {'w_special': np.nan}),
    ('inf_weight', {'w_special': -np.inf}),
    ('inf_grad', {'g_special': ((7, np.inf),)}),
    ('inf_input_and_grad', {'x_special': np.inf, 'g_special': ((100, -np.inf),)}),
    ('float32', {'dtype': 'float32'}),
    ('float16', {'dtype': 'float16'}),
]


@requires_torch
@pytest.mark.parametrize('name,kwargs', SPECIALS, ids=[r[0] for r in SPECIALS])
def test_wide_conv_non_finite_values(wide_everywhere, name, kwargs):
    """The garbage columns of the wide grid never leak: a 0 * inf there would be NaN."""
    tol = 2e-2 if kwargs.get('dtype') == 'float16' else 1e-5
    check(lambda lib: _conv_with_specials(lib, **kwargs), rtol=tol, atol=tol,
          check_repr=False)


@requires_torch
def test_default_settings_take_the_wide_route():
    """A layer big enough for the wide route by default (and its fused backward)."""
    calls = []
    wide = conv_module._conv_backward_wide

    def spy(*args):
        calls.append(args[0] is not None and args[2] is not None)
        return wide(*args)

    def snippet(lib):
        rng = np.random.default_rng(0)
        x = lib.tensor(rng.standard_normal((3, 8, 10, 11)), dtype=lib.float32,
                       requires_grad=True)
        w = lib.tensor(rng.standard_normal((5, 8, 3, 3)), dtype=lib.float32,
                       requires_grad=True)
        b = lib.tensor(rng.standard_normal(5), dtype=lib.float32, requires_grad=True)
        y = lib.nn.functional.conv2d(x, w, b)
        y.backward(_cot(lib, y))
        return y, x.grad, w.grad, b.grad
    conv_module._conv_backward_wide = spy
    try:
        check(snippet, rtol=1e-4, atol=1e-5, check_repr=False)
    finally:
        conv_module._conv_backward_wide = wide
    assert calls == [True]


def test_fused_backward_agrees_with_graph_backward():
    """create_graph=True takes the op-by-op backward: both give the same gradients."""
    rng = np.random.default_rng(1)
    x = ember.tensor(rng.standard_normal((4, 8, 9, 9)), requires_grad=True)
    w = ember.tensor(rng.standard_normal((6, 8, 3, 3)), requires_grad=True)
    y = EF.conv2d(x, w, padding=1)
    g = _cot(ember, y)
    fused = ember.autograd.grad(y, (x, w), g, retain_graph=True)
    graph = ember.autograd.grad(y, (x, w), g, create_graph=True)
    for a, b in zip(fused, graph):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_wide_conv_by_hand():
    """A 1x3 kernel [1, 2, 3] along rows of 0, 1, 2, ...: each output is a fixed sum."""
    x = ember.arange(2 * 10, dtype=ember.float64).reshape(1, 1, 2, 10)
    w = ember.tensor([[[[1.0, 2.0, 3.0]]]], dtype=ember.float64, requires_grad=True)
    xs = x.clone().requires_grad_()
    y = EF.conv2d(xs, w)
    row = np.arange(20.0).reshape(2, 10)
    expected = row[:, :-2] + 2 * row[:, 1:-1] + 3 * row[:, 2:]
    np.testing.assert_array_equal(y.detach().numpy()[0, 0], expected)
    y.sum().backward()
    # Each input column is read by up to three windows, with weights 1, 2, 3.
    np.testing.assert_array_equal(xs.grad.numpy()[0, 0, 0],
                                  [1, 3, 6, 6, 6, 6, 6, 6, 5, 3])
    np.testing.assert_array_equal(w.grad.numpy()[0, 0, 0],
                                  [expected.shape[1] * 0 + row[:, :-2].sum(),
                                   row[:, 1:-1].sum(), row[:, 2:].sum()])


# ---------------------------------------------------------------------------------------
# threshold_backward: ReLU and threshold gradients
# ---------------------------------------------------------------------------------------
def test_select_bits_is_bit_exact():
    values = np.array([1.5, -0.0, np.nan, -np.inf, 2.0, -3.0, 0.0], dtype=np.float32)
    drop = np.array([False, False, False, False, True, True, True])
    out = select_bits(drop, values)
    expected = np.where(drop, np.float32(0), values)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.view(np.uint32), expected.view(np.uint32))
    for dtype in (np.float16, np.float64):
        v = values.astype(dtype)
        bits = np.uint16 if dtype == np.float16 else np.uint64
        np.testing.assert_array_equal(select_bits(drop, v).view(bits),
                                      np.where(drop, dtype(0), v).view(bits))


def _threshold_grads(lib, dtype, transposed=False, threshold=0.5):
    x = np.array([[-1.0, 0.5, 0.25, 3.0], [np.nan, 2.0, -0.0, 0.75], [0.6, -2.0, 1.0, 0.0]])
    g = np.array([[1.0, -2.0, np.nan, -0.0], [5.0, -0.0, 3.0, np.inf], [-1.0, np.nan, 2.0, 4.0]])
    xt = lib.tensor(x, dtype=getattr(lib, dtype), requires_grad=True)
    inp = xt.t() if transposed else xt
    y = lib.nn.functional.threshold(inp, threshold, 7.0)
    gt = lib.tensor(g.T if transposed else g, dtype=getattr(lib, dtype))
    y.backward(gt)
    return y, xt.grad, [str(v) for v in xt.grad.flatten().tolist()]


THRESHOLD_ROWS = [(d, t) for d in ('float16', 'float32', 'float64') for t in (False, True)]


@requires_torch
@pytest.mark.parametrize('dtype,transposed', THRESHOLD_ROWS,
                         ids=[f'{d}-{"t" if t else "c"}' for d, t in THRESHOLD_ROWS])
def test_threshold_backward_matches_torch(dtype, transposed):
    """NaN inputs pass the gradient, masked NaN/inf gradients become +0.0, -0.0 survives."""
    check(lambda lib: _threshold_grads(lib, dtype, transposed), check_repr=False)


@requires_torch
def test_threshold_double_backward_matches_torch():
    def snippet(lib):
        x = lib.tensor([-1.0, 2.0, 0.5, 3.0], dtype=lib.float64, requires_grad=True)
        v = lib.tensor([1.0, -2.0, 3.0, -0.0], dtype=lib.float64, requires_grad=True)
        y = lib.nn.functional.threshold(x, 0.5, 2.0)
        g, = lib.autograd.grad(y, x, v, create_graph=True)
        (g * g).sum().backward()
        return g, g.grad_fn.name(), v.grad, x.grad
    check(snippet)


def test_threshold_backward_gradchecks():
    x = ember.tensor([-1.0, 2.0, 0.3, 3.0, -0.2], dtype=ember.float64)
    g = ember.tensor([0.5, -1.0, 2.0, 1.5, 3.0], dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda g: threshold_backward(g, x, 0.1), (g,))
    assert gradgradcheck(lambda g: threshold_backward(g, x, 0.1) ** 2, (g,))
    xs = ember.tensor([-1.0, 2.0, 0.3, 3.0, -0.2], dtype=ember.float64, requires_grad=True)
    assert gradgradcheck(lambda x: EF.threshold(x, 0.1, 5.0) * x, (xs,))


# ---------------------------------------------------------------------------------------
# max pooling over disjoint windows
# ---------------------------------------------------------------------------------------
def _pool_grads(lib, fn, shape, dtype='float32', nan=(), grad_special=()):
    rng = np.random.default_rng(0)
    # Halves plus a quarter: many ties, and no signed zeros in the input.
    x = np.round(rng.standard_normal(shape) * 2) / 2 + 0.25
    for index in nan:
        x.reshape(-1)[index] = np.nan
    xt = lib.tensor(x, dtype=getattr(lib, dtype), requires_grad=True)
    y = fn(lib.nn.functional, xt)
    y.backward(_cot(lib, y, special=((0, np.nan), (1, -0.0), (2, -0.0)) + tuple(grad_special)))
    return y, xt.grad, [str(v) for v in xt.grad.flatten().tolist()]


POOL_ROWS = [
    ('k2', lambda F, x: F.max_pool2d(x, 2), (2, 3, 6, 8), {}),
    ('k2_nan', lambda F, x: F.max_pool2d(x, 2), (2, 3, 6, 8), {'nan': (9, 10, 11, 50)}),
    ('k3_leftover', lambda F, x: F.max_pool2d(x, 3), (2, 2, 7, 8), {}),
    ('k2x3_stride3x4', lambda F, x: F.max_pool2d(x, (2, 3), (3, 4)), (2, 2, 8, 11), {}),
    ('unbatched', lambda F, x: F.max_pool2d(x, 2), (3, 7, 9), {}),
    ('float64', lambda F, x: F.max_pool2d(x, 2), (2, 3, 6, 8), {'dtype': 'float64'}),
    ('float16', lambda F, x: F.max_pool2d(x, 2), (2, 3, 6, 8), {'dtype': 'float16'}),
    ('transposed', lambda F, x: F.max_pool2d(x.transpose(2, 3), 2), (2, 3, 6, 8), {}),
    ('channels_last', lambda F, x: F.max_pool2d(x.permute(0, 3, 1, 2), 2), (2, 6, 8, 3), {}),
    ('ceil_partial', lambda F, x: F.max_pool2d(x, 2, ceil_mode=True), (2, 2, 5, 7), {}),
    ('max_pool1d', lambda F, x: F.max_pool1d(x, 3), (2, 3, 10), {}),
    ('max_pool3d', lambda F, x: F.max_pool3d(x, 2), (2, 2, 4, 4, 6), {}),
    ('overlapping', lambda F, x: F.max_pool2d(x, 3, 2), (2, 2, 7, 9), {}),
    ('with_indices', lambda F, x: F.max_pool2d(x, 2, return_indices=True)[0], (2, 3, 6, 8),
     {}),
]


@requires_torch
@pytest.mark.parametrize('name,fn,shape,kwargs', POOL_ROWS, ids=[r[0] for r in POOL_ROWS])
def test_max_pool_backward_matches_torch(name, fn, shape, kwargs):
    """PyTorch routes each window's gradient to ONE (the first) maximum, adds it into
    zeros (so -0.0 lands as +0.0) and keeps a NaN gradient at its window's maximum."""
    tol = 1e-2 if kwargs.get('dtype') == 'float16' else 1e-6
    check(lambda lib: _pool_grads(lib, fn, shape, **kwargs), rtol=tol, atol=tol,
          check_repr=False)


@requires_torch
def test_max_pool_double_backward_matches_torch():
    def snippet(lib):
        x = lib.tensor(np.random.default_rng(1).standard_normal((2, 2, 4, 6)),
                       requires_grad=True)
        y = lib.nn.functional.max_pool2d(x, 2)
        g, = lib.autograd.grad((y * y).sum(), x, create_graph=True)
        (g * g).sum().backward()
        return g, x.grad
    check(snippet)


def test_max_pool_disjoint_gradchecks():
    x = ember.tensor(np.random.default_rng(2).standard_normal((1, 2, 4, 6)),
                     requires_grad=True)
    assert gradcheck(lambda x: EF.max_pool2d(x, 2), (x,))
    assert gradgradcheck(lambda x: EF.max_pool2d(x, 2) ** 2, (x,))


def test_max_pool_backward_by_hand():
    x = ember.tensor([[[[1.0, 3.0, 2.0, 2.0],
                        [3.0, 0.0, 2.0, 1.0]]]], requires_grad=True)
    y = EF.max_pool2d(x, 2)
    np.testing.assert_array_equal(y.detach().numpy(), [[[[3.0, 2.0]]]])
    y.backward(ember.tensor([[[[10.0, 20.0]]]]))
    # Ties go to the first maximum in row-major window order.
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0.0, 10.0, 20.0, 0.0],
                                                     [0.0, 0.0, 0.0, 0.0]]]])


# ---------------------------------------------------------------------------------------
# layer norm and group norm
# ---------------------------------------------------------------------------------------
def _norm_grads(lib, fn, shape, param_shape, dtype='float32', affine=True, expand=False,
                channels_last=False):
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal(shape) * 3 + 1, dtype=getattr(lib, dtype),
                   requires_grad=True)
    inp = x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2) if channels_last else x
    w = b = None
    if affine:
        w = lib.tensor(rng.standard_normal(param_shape), dtype=getattr(lib, dtype),
                       requires_grad=True)
        b = lib.tensor(rng.standard_normal(param_shape), dtype=getattr(lib, dtype),
                       requires_grad=True)
    y = fn(lib.nn.functional, inp, w, b)
    if expand:
        y.sum().backward()
    else:
        y.backward(_cot(lib, y))
    return [y, x.grad] + ([w.grad, b.grad] if affine else [])


NORM_ROWS = [
    ('ln_last', lambda F, x, w, b: F.layer_norm(x, (5,), w, b), (4, 6, 5), (5,)),
    ('ln_two_dims', lambda F, x, w, b: F.layer_norm(x, (6, 5), w, b), (4, 6, 5), (6, 5)),
    ('ln_1d', lambda F, x, w, b: F.layer_norm(x, (7,), w, b), (7,), (7,)),
    ('ln_transposed', lambda F, x, w, b: F.layer_norm(x.transpose(0, 1), (4,), w, b),
     (4, 6), (4,)),
    ('gn', lambda F, x, w, b: F.group_norm(x, 3, w, b), (4, 6, 5, 3), (6,)),
    ('gn_one_group', lambda F, x, w, b: F.group_norm(x, 1, w, b), (4, 6, 5, 3), (6,)),
    ('gn_instance', lambda F, x, w, b: F.group_norm(x, 6, w, b), (4, 6, 5, 3), (6,)),
    ('gn_3d', lambda F, x, w, b: F.group_norm(x, 2, w, b), (2, 4, 7), (4,)),
    ('gn_2d', lambda F, x, w, b: F.group_norm(x, 2, w, b), (3, 4), (4,)),
]
NORM_VARIANTS = [('plain', {}), ('no_affine', {'affine': False}),
                 ('float64', {'dtype': 'float64'}), ('expanded_grad', {'expand': True}),
                 ('float16', {'dtype': 'float16'})]


@requires_torch
@pytest.mark.parametrize('variant,kwargs', NORM_VARIANTS, ids=[v[0] for v in NORM_VARIANTS])
@pytest.mark.parametrize('name,fn,shape,param_shape', NORM_ROWS,
                         ids=[r[0] for r in NORM_ROWS])
def test_norm_kernels_match_torch(name, fn, shape, param_shape, variant, kwargs):
    tol = 1e-2 if kwargs.get('dtype') == 'float16' else 1e-4
    check(lambda lib: _norm_grads(lib, fn, shape, param_shape, **kwargs), rtol=tol, atol=tol,
          check_repr=False)


@requires_torch
def test_group_norm_channels_last_matches_torch():
    check(lambda lib: _norm_grads(lib, NORM_ROWS[4][1], (4, 6, 5, 3), (6,),
                                  channels_last=True), rtol=1e-4, atol=1e-4, check_repr=False)


@pytest.mark.parametrize('name,fn,shape,param_shape', NORM_ROWS, ids=[r[0] for r in NORM_ROWS])
def test_norm_gradcheck(name, fn, shape, param_shape):
    rng = np.random.default_rng(4)
    x = ember.tensor(rng.standard_normal(shape), requires_grad=True)
    w = ember.tensor(rng.standard_normal(param_shape), requires_grad=True)
    b = ember.tensor(rng.standard_normal(param_shape), requires_grad=True)
    assert gradcheck(lambda x, w, b: fn(EF, x, w, b), (x, w, b))


def test_group_norm_by_hand():
    """One group of [0, 1, 2, 3]: mean 1.5, biased variance 1.25."""
    x = ember.tensor([[[0.0], [1.0], [2.0], [3.0]]], dtype=ember.float64, requires_grad=True)
    y = EF.group_norm(x, 1, eps=0.0)
    expected = (np.arange(4.0) - 1.5) / np.sqrt(1.25)
    np.testing.assert_allclose(y.detach().numpy().reshape(-1), expected, rtol=1e-14)
    # The sum of a normalized group does not change with x: zero gradient.
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.zeros((1, 4, 1)), atol=1e-14)


# ---------------------------------------------------------------------------------------
# float32 erf: table interpolation (GELU's hot path)
# ---------------------------------------------------------------------------------------
def test_float32_erf_within_three_ulp_of_exact():
    import math
    from ember.nn._functional.activation import erf_array
    x = np.concatenate([np.linspace(-5, 5, 100001, dtype=np.float32),
                        np.float32(10.0) ** np.arange(-38, 1, dtype=np.float32),
                        -np.float32(10.0) ** np.arange(-38, 1, dtype=np.float32),
                        np.array([3.92, 3.99, 4.0, 4.01, 1e10, 3e38], np.float32)])
    exact = np.array([math.erf(float(v)) for v in x])
    got = erf_array(x)
    assert got.dtype == np.float32
    ulp = np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    assert (np.abs(got - exact) / ulp).max() <= 3


def test_float32_erf_special_values_and_layout():
    from ember.nn._functional.activation import erf_array
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-40], np.float32)
    got = erf_array(special)
    assert np.isnan(got[0]) and got[1] == 1 and got[2] == -1
    assert got[3] == 0 and not np.signbit(got[3]) and np.signbit(got[4])
    tiny = float(special[5]) * 2 / np.sqrt(np.pi)                        # a denormal
    assert abs(float(got[5]) - tiny) <= float(np.spacing(np.float32(0)))
    x = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4).T     # non-contiguous
    out = erf_array(x)
    assert out.strides == x.strides
    np.testing.assert_array_equal(out, erf_array(np.ascontiguousarray(x)))
    assert erf_array(np.float32(0.5)).shape == ()


# ---------------------------------------------------------------------------------------
# relu: maximum against cached zeros
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize('size', [5, 100003])
@pytest.mark.parametrize('dtype', ['float32', 'float64', 'float16'])
def test_relu_keeps_negative_zero_and_nan(size, dtype):
    values = np.cos(np.arange(size, dtype=np.float64) * 1.7)
    values[::3] = -0.0
    values[1::7] = np.nan
    values[2::11] = -np.inf
    x = ember.tensor(values, dtype=getattr(ember, dtype))
    got = ember.relu(x).numpy()
    data = x.numpy()
    expected = np.where(data < 0, np.zeros_like(data), data)   # keeps -0.0 and NaN
    assert got.tobytes() == expected.tobytes()
    if torch is not None:
        theirs = torch.relu(torch.tensor(values, dtype=getattr(torch, dtype))).numpy()
        assert got.tobytes() == theirs.tobytes()


def test_relu_zero_buffer_is_shared_and_never_written():
    small = ember.relu(ember.tensor([[-1.0, 2.0], [3.0, -4.0]]).t())
    assert small.stride() == (1, 2) and small.tolist() == [[0.0, 3.0], [2.0, 0.0]]
    values = np.full((40, 30), -0.0)
    values[::2] = np.cos(np.arange(30))
    for layout in (lambda t: t.t(), lambda t: t[:, ::2],
                   lambda t: t.reshape(4, 10, 5, 6).permute(0, 2, 3, 1)):
        x = layout(ember.tensor(values, dtype=ember.float32))
        got = ember.relu(x)
        assert got.stride() == x.contiguous().stride() or got.stride() == x.stride()
        data = x.numpy()
        expected = np.where(data < 0, np.float32(0), data)
        assert got.numpy().tobytes() == np.ascontiguousarray(expected).tobytes()
        assert np.signbit(got.numpy()).sum() == np.signbit(data).sum() - (data < 0).sum()
    x = ember.tensor([-1.0, -2.0, 5.0])
    x.relu_()
    assert x.tolist() == [0.0, 0.0, 5.0]
    assert ember.relu(ember.tensor([-7.0, -8.0, -9.0])).tolist() == [0.0, 0.0, 0.0]
    assert ember.relu(ember.tensor([3, -2])).tolist() == [3, 0]
