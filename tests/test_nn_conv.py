"""Convolutions: F.conv1d/2d/3d, F.conv_transpose1d/2d/3d and the Conv/ConvTranspose/LazyConv
layers, against PyTorch (values, gradients, strides, grad_fn names, errors), by hand, and by
finite differences."""
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


def _tensors(lib, shapes, dtype='float32', requires_grad=True):
    out = []
    for i, shape in enumerate(shapes):
        if shape is None:
            out.append(None)
            continue
        out.append(lib.tensor(_values(shape, i), dtype=getattr(lib, dtype),
                              requires_grad=requires_grad))
    return out


def _with_grads(fn, shapes, dtype='float32'):
    """A snippet: run ``fn(F, *tensors)``, backprop a fixed cotangent, return output and
    the gradients of all inputs."""
    def snippet(lib):
        tensors = _tensors(lib, shapes, dtype)
        out = fn(lib.nn.functional, *tensors)
        cot = lib.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape)),
                         dtype=out.dtype)
        out.backward(cot)
        return [out] + [t.grad for t in tensors if t is not None]
    return snippet


# ---------------------------------------------------------------------------------------
# functional forms against PyTorch
# ---------------------------------------------------------------------------------------
FUNCTIONAL = [
    ('conv2d', lambda F, x, w, b: F.conv2d(x, w, b), [(2, 3, 7, 6), (4, 3, 3, 3), (4,)]),
    ('conv2d_nobias', lambda F, x, w: F.conv2d(x, w), [(2, 3, 7, 6), (4, 3, 3, 2)]),
    ('conv2d_stride_pad', lambda F, x, w, b: F.conv2d(x, w, b, stride=2, padding=1),
     [(2, 3, 9, 8), (4, 3, 3, 3), (4,)]),
    ('conv2d_tuples', lambda F, x, w, b: F.conv2d(x, w, b, (2, 1), (1, 2), (2, 3)),
     [(2, 3, 9, 10), (5, 3, 3, 2), (5,)]),
    ('conv2d_groups', lambda F, x, w, b: F.conv2d(x, w, b, 2, 1, 1, 2),
     [(2, 6, 7, 7), (4, 3, 3, 3), (4,)]),
    ('conv2d_depthwise', lambda F, x, w: F.conv2d(x, w, padding=1, groups=4),
     [(2, 4, 5, 5), (8, 1, 3, 3)]),
    ('conv2d_same_odd', lambda F, x, w: F.conv2d(x, w, padding='same'),
     [(2, 3, 6, 5), (4, 3, 3, 5)]),
    ('conv2d_same_even_dilated', lambda F, x, w: F.conv2d(x, w, padding='same', dilation=(1, 2)),
     [(2, 3, 6, 7), (4, 3, 2, 4)]),
    ('conv2d_valid', lambda F, x, w: F.conv2d(x, w, padding='valid'),
     [(2, 3, 6, 5), (4, 3, 2, 2)]),
    ('conv2d_pointwise', lambda F, x, w, b: F.conv2d(x, w, b), [(2, 6, 4, 5), (3, 6, 1, 1), (3,)]),
    ('conv2d_pointwise_strided', lambda F, x, w: F.conv2d(x, w, stride=2),
     [(2, 6, 5, 5), (3, 6, 1, 1)]),
    ('conv2d_unbatched', lambda F, x, w, b: F.conv2d(x, w, b, padding=1),
     [(3, 5, 5), (2, 3, 3, 3), (2,)]),
    ('conv2d_transposed_input', lambda F, x, w: F.conv2d(x.transpose(2, 3), w),
     [(2, 3, 6, 7), (4, 3, 3, 3)]),
    ('conv2d_channels_last_input', lambda F, x, w: F.conv2d(x.permute(0, 3, 1, 2), w),
     [(2, 6, 7, 3), (4, 3, 3, 3)]),
    ('conv2d_kernel_equals_input', lambda F, x, w: F.conv2d(x, w), [(2, 3, 3, 3), (4, 3, 3, 3)]),
    ('conv1d', lambda F, x, w, b: F.conv1d(x, w, b, stride=2, padding=1),
     [(2, 3, 9), (4, 3, 3), (4,)]),
    ('conv1d_dilation_groups', lambda F, x, w: F.conv1d(x, w, dilation=2, groups=3),
     [(2, 6, 11), (3, 2, 3)]),
    ('conv1d_same', lambda F, x, w: F.conv1d(x, w, padding='same'), [(2, 3, 8), (4, 3, 4)]),
    ('conv1d_unbatched', lambda F, x, w: F.conv1d(x, w), [(3, 8), (4, 3, 3)]),
    ('conv3d', lambda F, x, w, b: F.conv3d(x, w, b, stride=(1, 2, 1), padding=1),
     [(2, 2, 4, 5, 4), (3, 2, 2, 3, 2), (3,)]),
    ('conv3d_groups_dilation', lambda F, x, w: F.conv3d(x, w, dilation=(1, 2, 1), groups=2),
     [(1, 4, 4, 6, 3), (2, 2, 2, 2, 2)]),
    ('conv_transpose2d', lambda F, x, w, b: F.conv_transpose2d(x, w, b),
     [(2, 3, 4, 5), (3, 4, 3, 3), (4,)]),
    ('conv_transpose2d_stride_pad_outpad',
     lambda F, x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
     [(2, 3, 4, 5), (3, 2, 3, 2), (2,)]),
    ('conv_transpose2d_groups_dilation',
     lambda F, x, w: F.conv_transpose2d(x, w, None, (2, 3), (1, 0), (0, 2), 2, (2, 1)),
     [(2, 4, 4, 3), (4, 3, 3, 2)]),
    ('conv_transpose2d_unbatched', lambda F, x, w: F.conv_transpose2d(x, w, stride=2),
     [(3, 3, 4), (3, 2, 2, 2)]),
    ('conv_transpose1d', lambda F, x, w, b: F.conv_transpose1d(x, w, b, 3, 1, 2),
     [(2, 4, 5), (4, 3, 3), (3,)]),
    ('conv_transpose3d', lambda F, x, w: F.conv_transpose3d(x, w, stride=2, padding=(0, 1, 0)),
     [(1, 2, 2, 3, 2), (2, 3, 2, 3, 2)]),
]


@requires_torch
@pytest.mark.parametrize('name,fn,shapes', FUNCTIONAL, ids=[r[0] for r in FUNCTIONAL])
def test_functional_matches_torch(name, fn, shapes):
    check(_with_grads(fn, shapes), rtol=1e-4, atol=1e-5, check_repr=False)


@requires_torch
@pytest.mark.parametrize('name,fn,shapes', FUNCTIONAL[:4] + FUNCTIONAL[15:17] + FUNCTIONAL[21:24],
                         ids=[r[0] for r in FUNCTIONAL[:4] + FUNCTIONAL[15:17] +
                              FUNCTIONAL[21:24]])
def test_functional_float64_matches_torch(name, fn, shapes):
    check(_with_grads(fn, shapes, 'float64'), rtol=1e-10, atol=1e-10, check_repr=False)


@requires_torch
@pytest.mark.parametrize('thin', [0, 10 ** 9], ids=['one_gemm_per_block', 'gemm_per_sample'])
@pytest.mark.parametrize('block_bytes', [1, 1 << 30], ids=['tiny_blocks', 'one_block'])
@pytest.mark.parametrize('row', [FUNCTIONAL[i] for i in (2, 3, 4, 7, 10, 16, 19, 22, 23)],
                         ids=lambda r: r[0] if isinstance(r, tuple) else None)
def test_kernel_paths_match_torch(monkeypatch, thin, block_bytes, row):
    """The GEMM layout and the batch blocking are tuning choices: every path agrees."""
    from ember.nn._functional import conv as conv_module
    monkeypatch.setattr(conv_module, '_THIN_GEMM', thin)
    monkeypatch.setattr(conv_module, '_BLOCK_BYTES', block_bytes)
    name, fn, shapes = row
    check(_with_grads(fn, shapes, 'float64'), rtol=1e-10, atol=1e-10, check_repr=False)


DTYPE_ROWS = [
    ('float16', lambda lib: lib.nn.functional.conv2d(
        lib.tensor(_values((1, 2, 5, 5), 0), dtype=lib.float16),
        lib.tensor(_values((3, 2, 3, 3), 1), dtype=lib.float16))),
    ('int64', lambda lib: lib.nn.functional.conv2d(
        lib.arange(50).reshape(1, 2, 5, 5), lib.arange(54).reshape(3, 2, 3, 3) % 5 - 2)),
    ('empty_batch', lambda lib: lib.nn.functional.conv2d(lib.zeros(0, 2, 5, 5),
                                                         lib.ones(3, 2, 3, 3))),
    ('no_grad_output', lambda lib: lib.nn.functional.conv1d(lib.ones(1, 2, 5),
                                                            lib.ones(3, 2, 2))),
    ('grad_fn_name', lambda lib: lib.nn.functional.conv2d(
        lib.ones(1, 2, 5, 5, requires_grad=True), lib.ones(3, 2, 3, 3)).grad_fn.name()),
    ('next_functions_without_bias', lambda lib: [f is None for f, _ in lib.nn.functional.conv2d(
        lib.ones(1, 2, 5, 5, requires_grad=True), lib.ones(3, 2, 3, 3)).grad_fn.next_functions]),
    ('transpose_grad_fn_name', lambda lib: lib.nn.functional.conv_transpose2d(
        lib.ones(1, 2, 5, 5), lib.ones(2, 3, 3, 3, requires_grad=True)).grad_fn.name()),
]


@requires_torch
@pytest.mark.parametrize('name,fn', DTYPE_ROWS, ids=[r[0] for r in DTYPE_ROWS])
def test_dtypes_and_edge_cases(name, fn):
    check(fn, rtol=2e-3, atol=2e-3, check_repr=False)


def _conv(lib, x_shape, w_shape, **kw):
    F = lib.nn.functional
    x = lib.ones(x_shape)
    w = lib.ones(w_shape)
    return F.conv2d(x, w, **kw)


ERRORS = [
    ('input_2d', lambda lib: lib.nn.functional.conv2d(lib.ones(2, 3), lib.ones(4, 3, 3, 3))),
    ('input_5d', lambda lib: lib.nn.functional.conv2d(lib.ones(1, 2, 3, 4, 5),
                                                      lib.ones(4, 3, 3, 3))),
    ('channels', lambda lib: _conv(lib, (2, 2, 8, 8), (4, 3, 3, 3))),
    ('groups_out', lambda lib: _conv(lib, (2, 6, 8, 8), (3, 3, 3, 3), groups=2)),
    ('kernel_too_big', lambda lib: _conv(lib, (2, 3, 2, 2), (4, 3, 3, 3))),
    ('negative_padding', lambda lib: _conv(lib, (2, 3, 8, 8), (4, 3, 3, 3), padding=-1)),
    ('zero_stride', lambda lib: _conv(lib, (2, 3, 8, 8), (4, 3, 3, 3), stride=0)),
    ('same_strided', lambda lib: _conv(lib, (2, 3, 8, 8), (4, 3, 3, 3), padding='same',
                                       stride=2)),
    ('bad_padding_string', lambda lib: _conv(lib, (2, 3, 8, 8), (4, 3, 3, 3), padding='foo')),
    ('stride_length', lambda lib: _conv(lib, (2, 3, 8, 8), (4, 3, 3, 3), stride=(1, 1, 1))),
    ('dtype_mismatch', lambda lib: lib.nn.functional.conv2d(
        lib.ones(2, 3, 8, 8, dtype=lib.float64), lib.ones(4, 3, 3, 3))),
    ('bias_dtype', lambda lib: lib.nn.functional.conv2d(
        lib.ones(2, 3, 8, 8), lib.ones(4, 3, 3, 3), lib.ones(4, dtype=lib.float64))),
    ('bias_shape', lambda lib: lib.nn.functional.conv2d(
        lib.ones(2, 3, 8, 8), lib.ones(4, 3, 3, 3), lib.ones(5))),
    ('weight_dims', lambda lib: lib.nn.functional.conv2d(lib.ones(2, 3, 8, 8),
                                                         lib.ones(4, 3, 3))),
    ('transpose_output_padding', lambda lib: lib.nn.functional.conv_transpose2d(
        lib.ones(2, 3, 8, 8), lib.ones(3, 4, 3, 3), output_padding=1)),
    ('transpose_channels', lambda lib: lib.nn.functional.conv_transpose2d(
        lib.ones(2, 3, 8, 8), lib.ones(4, 3, 3, 3))),
    ('module_channels', lambda lib: lib.nn.Conv2d(3, 4, 3)(lib.ones(2, 2, 8, 8))),
    ('module_groups_in', lambda lib: lib.nn.Conv2d(3, 4, 3, groups=2)),
    ('module_groups_out', lambda lib: lib.nn.Conv2d(4, 3, 3, groups=2)),
    ('module_padding_mode', lambda lib: lib.nn.Conv2d(3, 4, 3, padding_mode='foo')),
    ('module_same_strided', lambda lib: lib.nn.Conv2d(3, 4, 3, padding='same', stride=2)),
    ('module_bad_padding', lambda lib: lib.nn.Conv2d(3, 4, 3, padding='full')),
    ('transpose_padding_mode', lambda lib: lib.nn.ConvTranspose2d(3, 4, 3,
                                                                  padding_mode='reflect')),
    ('transpose_output_size', lambda lib: lib.nn.ConvTranspose2d(3, 4, 3, stride=2)(
        lib.ones(1, 3, 5, 5), output_size=[14, 14])),
    ('lazy_bad_dims', lambda lib: lib.nn.LazyConv2d(4, 3)(lib.ones(5, 5))),
]


@requires_torch
@pytest.mark.parametrize('name,fn', ERRORS, ids=[r[0] for r in ERRORS])
def test_errors(name, fn):
    check(fn)


@requires_torch
@pytest.mark.parametrize('name,fn', [r for r in ERRORS if r[0] in (
    'input_2d', 'channels', 'kernel_too_big', 'same_strided', 'bias_shape',
    'transpose_channels', 'module_channels', 'transpose_output_size', 'dtype_mismatch',
    'transpose_output_padding', 'module_same_strided', 'module_groups_in')])
def test_error_messages(name, fn):
    check(fn, match_message=True)


# ---------------------------------------------------------------------------------------
# by hand
# ---------------------------------------------------------------------------------------
def _reference_conv2d(x, w, stride=1, padding=0):
    """Direct loops: the definition of a (cross-correlation) convolution."""
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    oh = (h - kh) // stride + 1
    ow = (wd - kw) // stride + 1
    out = np.zeros((n, o, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3]))
    return out


def test_conv2d_against_loops():
    x = _values((2, 3, 7, 8), 0)
    w = _values((4, 3, 3, 2), 1)
    for stride, padding in ((1, 0), (2, 1), (3, 2)):
        got = EF.conv2d(ember.tensor(x), ember.tensor(w), stride=stride, padding=padding)
        np.testing.assert_allclose(got.numpy(), _reference_conv2d(x, w, stride, padding),
                                   rtol=1e-12, atol=1e-12)


def test_conv2d_box_filter_by_hand():
    x = ember.arange(16.).reshape(1, 1, 4, 4)
    w = ember.ones(1, 1, 2, 2)
    expected = [[[[10., 14., 18.], [26., 30., 34.], [42., 46., 50.]]]]
    assert EF.conv2d(x, w).tolist() == expected
    # Each input pixel's gradient counts the windows that cover it.
    x.requires_grad_()
    EF.conv2d(x, w).sum().backward()
    assert x.grad.tolist() == [[[[1., 2., 2., 1.], [2., 4., 4., 2.], [2., 4., 4., 2.],
                                 [1., 2., 2., 1.]]]]


def test_conv_transpose_is_adjoint_of_conv():
    """<conv(x, w), y> == <x, conv_transpose(y, w)> for every geometry."""
    rng = np.random.default_rng(3)
    for stride, padding, dilation, groups in ((1, 0, 1, 1), (2, 1, 1, 1), (2, 1, 2, 2),
                                              (3, 2, 1, 2)):
        x = rng.standard_normal((2, 4, 9, 8))
        w = rng.standard_normal((6, 4 // groups, 3, 3))
        y = EF.conv2d(ember.tensor(x), ember.tensor(w), None, stride, padding, dilation,
                      groups)
        g = rng.standard_normal(tuple(y.shape))
        out_pad = tuple(s - ((o - 1) * stride - 2 * padding + dilation * 2 + 1)
                        for s, o in zip(x.shape[2:], y.shape[2:]))
        back = EF.conv_transpose2d(ember.tensor(g), ember.tensor(w), None, stride, padding,
                                   out_pad, groups, dilation)
        assert tuple(back.shape) == x.shape
        np.testing.assert_allclose((y.numpy() * g).sum(), (x * back.numpy()).sum(),
                                   rtol=1e-10)


def test_large_batch_runs_in_blocks():
    """Batches bigger than one cache block give the same result as one sample at a time."""
    x = _values((40, 8, 12, 12), 0).astype(np.float32)
    w = _values((16, 8, 3, 3), 1).astype(np.float32)
    xt = ember.tensor(x, requires_grad=True)
    wt = ember.tensor(w, requires_grad=True)
    out = EF.conv2d(xt, wt, padding=1)
    out.sum().backward()
    first = EF.conv2d(ember.tensor(x[:1]), ember.tensor(w), padding=1)
    np.testing.assert_allclose(out.detach().numpy()[:1], first.numpy(), rtol=1e-5, atol=1e-5)
    last = EF.conv2d(ember.tensor(x[-1:]), ember.tensor(w), padding=1)
    np.testing.assert_allclose(out.detach().numpy()[-1:], last.numpy(), rtol=1e-5, atol=1e-5)
    xs = ember.tensor(x[-1:], requires_grad=True)
    EF.conv2d(xs, ember.tensor(w), padding=1).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy()[-1:], xs.grad.numpy(), rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------------------------
# finite differences
# ---------------------------------------------------------------------------------------
GRADCHECK = [
    ('conv2d', lambda x, w, b: EF.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2),
                                         groups=2), [(2, 4, 5, 5), (4, 2, 3, 2), (4,)]),
    ('conv2d_same', lambda x, w: EF.conv2d(x, w, padding='same'), [(1, 2, 4, 4), (2, 2, 2, 3)]),
    ('conv1d', lambda x, w, b: EF.conv1d(x, w, b, stride=2, padding=1), [(2, 2, 7), (3, 2, 3),
                                                                         (3,)]),
    ('conv3d', lambda x, w: EF.conv3d(x, w, padding=(1, 0, 0)), [(1, 2, 3, 3, 3),
                                                                 (2, 2, 2, 2, 2)]),
    ('conv_transpose2d', lambda x, w, b: EF.conv_transpose2d(x, w, b, 2, 1, (1, 0), 2),
     [(1, 4, 3, 3), (4, 1, 3, 2), (2,)]),
    ('conv_transpose1d', lambda x, w: EF.conv_transpose1d(x, w, stride=2, dilation=2),
     [(2, 2, 4), (2, 3, 2)]),
]


@pytest.mark.parametrize('name,fn,shapes', GRADCHECK, ids=[r[0] for r in GRADCHECK])
def test_gradcheck(name, fn, shapes):
    inputs = _tensors(ember, shapes, 'float64')
    assert gradcheck(fn, inputs)


@pytest.mark.parametrize('name,fn,shapes', [GRADCHECK[0], GRADCHECK[4]],
                         ids=['conv2d', 'conv_transpose2d'])
def test_gradgradcheck(name, fn, shapes):
    inputs = _tensors(ember, shapes, 'float64')
    assert gradgradcheck(fn, inputs)


@requires_torch
def test_double_backward_matches_torch():
    def snippet(lib):
        x, w = _tensors(lib, [(2, 3, 6, 6), (4, 3, 3, 3)], 'float64')
        y = lib.nn.functional.conv2d(x, w, stride=2, padding=1)
        gx, gw = lib.autograd.grad((y * y).sum(), (x, w), create_graph=True)
        (gx.pow(2).sum() + gw.sum()).backward()
        return gx.detach(), gw.grad_fn.name(), x.grad, w.grad
    check(snippet, rtol=1e-9, atol=1e-9)


# ---------------------------------------------------------------------------------------
# layers
# ---------------------------------------------------------------------------------------
LAYERS = [
    ('Conv2d', lambda nn: nn.Conv2d(3, 4, 3), (2, 3, 7, 7)),
    ('Conv2d_mnist', lambda nn: nn.Conv2d(1, 32, 3, 1), (4, 1, 28, 28)),
    ('Conv2d_full', lambda nn: nn.Conv2d(4, 6, (3, 2), stride=2, padding=(1, 2), dilation=(2, 1),
                                         groups=2, bias=False), (2, 4, 9, 8)),
    ('Conv2d_same', lambda nn: nn.Conv2d(3, 4, 4, padding='same', dilation=2), (2, 3, 8, 8)),
    ('Conv2d_reflect', lambda nn: nn.Conv2d(3, 4, 3, padding=1, padding_mode='reflect'),
     (2, 3, 6, 6)),
    ('Conv2d_replicate', lambda nn: nn.Conv2d(3, 4, 3, padding=(2, 1),
                                              padding_mode='replicate'), (2, 3, 6, 6)),
    ('Conv2d_circular', lambda nn: nn.Conv2d(3, 4, 3, padding=1, padding_mode='circular'),
     (2, 3, 6, 6)),
    ('Conv2d_same_reflect', lambda nn: nn.Conv2d(3, 4, (2, 3), padding='same',
                                                 padding_mode='reflect'), (2, 3, 6, 6)),
    ('Conv2d_unbatched', lambda nn: nn.Conv2d(3, 4, 3), (3, 7, 7)),
    ('Conv1d', lambda nn: nn.Conv1d(3, 5, 3, stride=2, padding=1), (2, 3, 10)),
    ('Conv1d_circular', lambda nn: nn.Conv1d(3, 5, 3, padding=2, padding_mode='circular'),
     (2, 3, 10)),
    ('Conv3d', lambda nn: nn.Conv3d(2, 3, 2, padding=1), (2, 2, 3, 4, 3)),
    ('ConvTranspose2d', lambda nn: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1,
                                                      output_padding=1, groups=2),
     (2, 4, 4, 5)),
    ('ConvTranspose1d', lambda nn: nn.ConvTranspose1d(3, 2, 4, stride=3, dilation=2),
     (2, 3, 5)),
    ('ConvTranspose3d', lambda nn: nn.ConvTranspose3d(2, 3, 2, stride=2, bias=False),
     (1, 2, 2, 3, 2)),
]


def _layer_run(make, shape, train):
    """A snippet running one PyTorch layer, or an ember layer loaded with its weights."""
    torch.manual_seed(0)
    torch_layer = make(torch.nn)

    def snippet(lib):
        if lib is torch:
            layer = torch_layer
        else:
            layer = make(lib.nn)
            layer.load_state_dict({k: lib.tensor(v.detach().numpy())
                                   for k, v in torch_layer.state_dict().items()})
        layer.train(train)
        x = lib.tensor(_values(shape, 7), dtype=lib.float32, requires_grad=True)
        out = layer(x)
        # scaled so that gradients stay O(1) whatever the output size
        cot = lib.tensor(np.sin(np.arange(out.numel())).reshape(tuple(out.shape)) /
                         np.sqrt(out.numel()), dtype=lib.float32)
        out.backward(cot)
        return [out, x.grad] + [p.grad for p in layer.parameters()] + \
            [repr(layer), list(layer.state_dict().keys())]
    return snippet


@requires_torch
@pytest.mark.parametrize('name,make,shape', LAYERS, ids=[r[0] for r in LAYERS])
@pytest.mark.parametrize('train', [True, False], ids=['train', 'eval'])
def test_layer_matches_torch(name, make, shape, train):
    check(_layer_run(make, shape, train), rtol=1e-4, atol=1e-5, check_repr=False)


@requires_torch
@pytest.mark.parametrize('name,make,shape', LAYERS, ids=[r[0] for r in LAYERS])
def test_seeded_construction_gives_torch_weights(name, make, shape):
    def snippet(lib):
        lib.manual_seed(1234)
        layer = make(lib.nn)
        return dict(layer.state_dict())
    check(snippet, rtol=0, atol=0, check_repr=False)


@requires_torch
def test_conv_transpose_output_size():
    def snippet(lib):
        lib.manual_seed(0)
        layer = lib.nn.ConvTranspose2d(3, 4, 3, stride=2)
        x = lib.ones(1, 3, 5, 5)
        return [layer(x, output_size=[12, 12]).shape, layer(x, output_size=(1, 4, 11, 12)).shape,
                layer(x).shape]
    check(snippet)


@requires_torch
def test_lazy_conv2d():
    def snippet(lib):
        lib.manual_seed(0)
        layer = lib.nn.LazyConv2d(4, 3, padding=1)
        before = repr(layer)
        x = lib.tensor(_values((2, 3, 5, 5), 0), dtype=lib.float32)
        out = layer(x)
        return [before, repr(layer), type(layer).__name__, out, layer.weight.detach(),
                layer.bias.detach()]
    check(snippet, rtol=1e-5, atol=1e-6, check_repr=False)


@requires_torch
def test_lazy_variants_infer_channels():
    def snippet(lib):
        lib.manual_seed(0)
        a = lib.nn.LazyConv1d(4, 3)
        b = lib.nn.LazyConvTranspose2d(4, 3, groups=2, bias=False)
        a(lib.ones(2, 6, 8))
        b(lib.ones(6, 5, 5))
        return [repr(a), repr(b), a.weight.shape, b.weight.shape, b.bias]
    check(snippet)


def test_module_attributes():
    layer = ember.nn.Conv2d(4, 8, 3, padding='same', dilation=2)
    assert layer.kernel_size == (3, 3) and layer.stride == (1, 1) and layer.dilation == (2, 2)
    assert layer.padding == 'same' and layer._reversed_padding_repeated_twice == [2, 2, 2, 2]
    assert layer.weight.shape == (8, 4, 3, 3) and layer.bias.shape == (8,)
    t = ember.nn.ConvTranspose2d(4, 8, 3, groups=2)
    assert t.weight.shape == (4, 4, 3, 3) and t.transposed and t.output_padding == (0, 0)


def test_mnist_style_net_trains():
    """Conv2d + ReLU + MaxPool2d + Flatten + Linear: loss goes down with SGD."""
    ember.manual_seed(0)
    nn = ember.nn
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Conv2d(4, 8, 3), nn.ReLU(),
                        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 5 * 5, 3))
    rng = np.random.default_rng(0)
    x = ember.tensor(rng.standard_normal((16, 1, 14, 14)), dtype=ember.float32)
    target = ember.tensor(rng.integers(0, 3, 16))
    losses = []
    for _ in range(15):
        logits = net(x)
        logp = logits - logits.exp().sum(1, keepdim=True).log()
        loss = -logp[ember.arange(16), target].mean()
        losses.append(loss.item())
        for p in net.parameters():
            p.grad = None
        loss.backward()
        with ember.no_grad():
            for p in net.parameters():
                p -= 0.1 * p.grad
    assert losses[-1] < 0.7 * losses[0]
