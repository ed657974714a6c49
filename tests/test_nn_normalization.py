"""Normalization: F.batch_norm/instance_norm/layer_norm/group_norm/rms_norm/
local_response_norm and the BatchNorm, InstanceNorm, LayerNorm, GroupNorm, RMSNorm,
LocalResponseNorm and CrossMapLRN2d layers, against PyTorch (values, gradients, running
statistics, strides, grad_fn names, reprs, state dicts, errors), by hand, and by finite
differences."""
import warnings
from collections import OrderedDict

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
    return np.random.default_rng(seed).standard_normal(shape) * 1.5 + 0.3


def _channels_last(t):
    """``t`` with the same values laid out channels-last (dense, channel stride 1)."""
    return t.movedim(1, -1).contiguous().movedim(-1, 1)


def _tensors(lib, shapes, dtype='float32', grad=True):
    out = []
    for i, shape in enumerate(shapes):
        if shape is None:
            out.append(None)
            continue
        out.append(lib.tensor(_values(shape, i), dtype=getattr(lib, dtype),
                              requires_grad=grad))
    return out


def _with_grads(fn, shapes, dtype='float32', grad_input=True):
    """A snippet: ``fn(F, *tensors)``, backprop a fixed cotangent, return the output and
    the gradients of all inputs that require grad."""
    def snippet(lib):
        tensors = _tensors(lib, shapes, dtype)
        if not grad_input:
            tensors[0].requires_grad_(False)
        out = fn(lib.nn.functional, *tensors)
        cot = lib.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape)),
                         dtype=out.dtype)
        out.backward(cot)
        return [out] + [t.grad for t in tensors if t is not None and t.requires_grad]
    return snippet


def _stats(lib, c, seed=5):
    rng = np.random.default_rng(seed)
    return (lib.tensor(rng.standard_normal(c), dtype=lib.float32),
            lib.tensor(rng.random(c) + 0.5, dtype=lib.float32))


def _bn_eval(F, x, w, b):
    rm, rv = _stats(ember if isinstance(x, ember.Tensor) else torch, x.shape[1])
    return F.batch_norm(x, rm, rv, w, b, False, 0.1, 1e-3)


# ---------------------------------------------------------------------------------------
# functional forms against PyTorch
# ---------------------------------------------------------------------------------------
FUNCTIONAL = [
    ('batch_norm_2d', lambda F, x, w, b: F.batch_norm(x, None, None, w, b, True),
     [(4, 3, 5, 6), (3,), (3,)]),
    ('batch_norm_1d', lambda F, x, w, b: F.batch_norm(x, None, None, w, b, True),
     [(6, 4), (4,), (4,)]),
    ('batch_norm_3d_input', lambda F, x, w, b: F.batch_norm(x, None, None, w, b, True),
     [(5, 3, 7), (3,), (3,)]),
    ('batch_norm_5d', lambda F, x, w, b: F.batch_norm(x, None, None, w, b, True, eps=1e-3),
     [(2, 3, 2, 3, 4), (3,), (3,)]),
    ('batch_norm_no_affine', lambda F, x: F.batch_norm(x, None, None, training=True),
     [(4, 3, 5, 2)]),
    ('batch_norm_weight_only', lambda F, x, w: F.batch_norm(x, None, None, w, None, True),
     [(4, 3, 5)]),
    ('batch_norm_channels_last', lambda F, x, w, b: F.batch_norm(_channels_last(x), None,
                                                                 None, w, b, True),
     [(4, 3, 5, 6), (3,), (3,)]),
    ('batch_norm_channels_last_3d', lambda F, x, w, b: F.batch_norm(
        x.movedim(1, -1).contiguous().movedim(-1, 1), None, None, w, b, True),
     [(2, 3, 2, 3, 4), (3,), (3,)]),
    ('batch_norm_transposed', lambda F, x, w, b: F.batch_norm(x.transpose(2, 3), None, None,
                                                              w, b, True),
     [(4, 3, 5, 6), (3,), (3,)]),
    ('batch_norm_sliced', lambda F, x, w, b: F.batch_norm(x[:, :, ::2], None, None, w, b,
                                                          True),
     [(4, 3, 6), (3,), (3,)]),
    ('batch_norm_eval', _bn_eval, [(4, 3, 5, 6), (3,), (3,)]),
    ('batch_norm_eval_1d', _bn_eval, [(6, 3), (3,), (3,)]),
    ('batch_norm_eval_channels_last', lambda F, x, w, b: _bn_eval(F, _channels_last(x), w, b),
     [(4, 3, 5, 6), (3,), (3,)]),
    ('instance_norm', lambda F, x: F.instance_norm(x), [(3, 4, 5)]),
    ('instance_norm_affine', lambda F, x, w, b: F.instance_norm(x, weight=w, bias=b),
     [(3, 4, 5, 6), (4,), (4,)]),
    ('instance_norm_transposed', lambda F, x, w, b: F.instance_norm(x.transpose(2, 3),
                                                                    weight=w, bias=b),
     [(3, 4, 5, 6), (4,), (4,)]),
    ('layer_norm', lambda F, x, w, b: F.layer_norm(x, (5,), w, b), [(2, 3, 5), (5,), (5,)]),
    ('layer_norm_2d_shape', lambda F, x, w, b: F.layer_norm(x, [3, 5], w, b),
     [(2, 3, 5), (3, 5), (3, 5)]),
    ('layer_norm_whole', lambda F, x: F.layer_norm(x, (2, 3, 5)), [(2, 3, 5)]),
    ('layer_norm_weight_only', lambda F, x, w: F.layer_norm(x, (5,), w), [(2, 3, 5), (5,)]),
    ('layer_norm_bias_only', lambda F, x, b: F.layer_norm(x, (5,), None, b),
     [(2, 3, 5), (5,)]),
    ('layer_norm_transposed', lambda F, x, w, b: F.layer_norm(x.transpose(1, 2), (3,), w, b),
     [(2, 3, 5), (3,), (3,)]),
    ('layer_norm_1d', lambda F, x, w, b: F.layer_norm(x, (6,), w, b, 1e-2),
     [(6,), (6,), (6,)]),
    ('group_norm', lambda F, x, w, b: F.group_norm(x, 2, w, b), [(3, 4, 5), (4,), (4,)]),
    ('group_norm_4d', lambda F, x, w, b: F.group_norm(x, 4, w, b),
     [(3, 4, 5, 2), (4,), (4,)]),
    ('group_norm_one_group', lambda F, x, w, b: F.group_norm(x, 1, w, b),
     [(3, 4, 5, 2), (4,), (4,)]),
    ('group_norm_no_affine', lambda F, x: F.group_norm(x, 2), [(3, 4, 5, 2)]),
    ('group_norm_2d', lambda F, x, w: F.group_norm(x, 2, w), [(3, 4), (4,)]),
    ('group_norm_channels_last', lambda F, x, w, b: F.group_norm(_channels_last(x), 2, w, b),
     [(3, 4, 5, 2), (4,), (4,)]),
    ('group_norm_transposed', lambda F, x, w, b: F.group_norm(x.transpose(2, 3), 2, w, b),
     [(3, 4, 5, 2), (4,), (4,)]),
    ('rms_norm', lambda F, x: F.rms_norm(x, (5,)), [(2, 3, 5)]),
    ('rms_norm_weight_eps', lambda F, x, w: F.rms_norm(x, [3, 5], w, 1e-3),
     [(2, 3, 5), (3, 5)]),
    ('rms_norm_transposed', lambda F, x, w: F.rms_norm(x.transpose(1, 2), (3,), w),
     [(2, 3, 5), (3,)]),
    ('local_response_norm', lambda F, x: F.local_response_norm(x, 2), [(2, 5, 4, 3)]),
    ('local_response_norm_3d', lambda F, x: F.local_response_norm(x, 3, 0.1, 0.5, 2.0),
     [(2, 5, 4)]),
    ('local_response_norm_5d', lambda F, x: F.local_response_norm(x, 7), [(2, 5, 2, 2, 3)]),
]
_IDS = [r[0] for r in FUNCTIONAL]


@requires_torch
@pytest.mark.parametrize('name,fn,shapes', FUNCTIONAL, ids=_IDS)
def test_functional_matches_torch(name, fn, shapes):
    check(_with_grads(fn, shapes), rtol=1e-4, atol=1e-5, check_repr=False)


@requires_torch
@pytest.mark.parametrize('name,fn,shapes', FUNCTIONAL, ids=_IDS)
def test_functional_float64_matches_torch(name, fn, shapes):
    if name.startswith('batch_norm_eval'):
        pytest.skip('running statistics are float32')
    check(_with_grads(fn, shapes, 'float64'), rtol=1e-9, atol=1e-10, check_repr=False)


# PyTorch's group norm backward crashes for a channels-last input that needs no gradient.
_PARAM_ONLY = [r for r in FUNCTIONAL if len(r[2]) > 1 and r[0] != 'group_norm_channels_last']


@requires_torch
@pytest.mark.parametrize('name,fn,shapes', _PARAM_ONLY, ids=[r[0] for r in _PARAM_ONLY])
def test_functional_parameter_grads_only(name, fn, shapes):
    check(_with_grads(fn, shapes, grad_input=False), rtol=1e-4, atol=1e-5, check_repr=False)


def _running(lib, fn, shape=(4, 3, 5), momentum=0.3, dtype='float32'):
    x = lib.tensor(_values(shape, 0), dtype=getattr(lib, dtype))
    rm, rv = _stats(lib, shape[1])
    rm, rv = rm.to(getattr(lib, dtype)), rv.to(getattr(lib, dtype))
    out = fn(lib.nn.functional, x, rm, rv, momentum)
    return [out, rm, rv]


RUNNING = [
    ('batch_norm', lambda F, x, rm, rv, m: F.batch_norm(x, rm, rv, None, None, True, m)),
    ('batch_norm_eval', lambda F, x, rm, rv, m: F.batch_norm(x, rm, rv, None, None, False, m)),
    ('batch_norm_momentum_1', lambda F, x, rm, rv, m: F.batch_norm(x, rm, rv, training=True,
                                                                   momentum=1.0)),
    ('batch_norm_momentum_0', lambda F, x, rm, rv, m: F.batch_norm(x, rm, rv, training=True,
                                                                   momentum=0.0)),
    ('instance_norm', lambda F, x, rm, rv, m: F.instance_norm(x, rm, rv, momentum=m)),
    ('instance_norm_eval', lambda F, x, rm, rv, m: F.instance_norm(x, rm, rv, None, None,
                                                                   False, m)),
]


@requires_torch
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('name,fn', RUNNING, ids=[r[0] for r in RUNNING])
def test_running_statistics_match_torch(name, fn, dtype):
    check(lambda lib: _running(lib, fn, dtype=dtype), rtol=1e-5, atol=1e-6, check_repr=False)


DTYPE_ROWS = [
    ('batch_norm_half', lambda lib: lib.nn.functional.batch_norm(
        lib.tensor(_values((4, 3, 5), 0), dtype=lib.float16), *_stats(lib, 3), training=True)),
    ('batch_norm_half_float_params', lambda lib: lib.nn.functional.batch_norm(
        lib.tensor(_values((4, 3, 5), 0), dtype=lib.float16), None, None, lib.ones(3),
        lib.zeros(3), True)),
    ('batch_norm_half_eval', lambda lib: lib.nn.functional.batch_norm(
        lib.tensor(_values((4, 3, 5), 0), dtype=lib.float16), *_stats(lib, 3))),
    ('layer_norm_half', lambda lib: lib.nn.functional.layer_norm(
        lib.tensor(_values((4, 6), 0), dtype=lib.float16), (6,))),
    ('layer_norm_half_float_params', lambda lib: lib.nn.functional.layer_norm(
        lib.tensor(_values((4, 6), 0), dtype=lib.float16), (6,), lib.ones(6) * 2)),
    ('group_norm_half', lambda lib: lib.nn.functional.group_norm(
        lib.tensor(_values((4, 6, 3), 0), dtype=lib.float16), 3)),
    ('rms_norm_half', lambda lib: lib.nn.functional.rms_norm(
        lib.tensor(_values((4, 6), 0), dtype=lib.float16), (6,))),
    ('rms_norm_half_float_weight', lambda lib: lib.nn.functional.rms_norm(
        lib.tensor(_values((4, 6), 0), dtype=lib.float16), (6,), lib.ones(6) * 2)),
    ('rms_norm_double_weight', lambda lib: lib.nn.functional.rms_norm(
        lib.ones(2, 3), (3,), lib.ones(3, dtype=lib.float64))),
    ('rms_norm_eps_default_float64', lambda lib: lib.nn.functional.rms_norm(
        lib.zeros(2, 3, dtype=lib.float64) + 1e-9, (3,))),
    ('rms_norm_eps_default_float32', lambda lib: lib.nn.functional.rms_norm(
        lib.zeros(2, 3) + 1e-4, (3,))),
    ('batch_norm_empty_batch', lambda lib: lib.nn.functional.batch_norm(
        lib.zeros(0, 3, 2, requires_grad=True), None, None, lib.ones(3, requires_grad=True),
        lib.zeros(3, requires_grad=True), True)),
    ('batch_norm_empty_no_affine', lambda lib: lib.nn.functional.batch_norm(
        lib.zeros(0, 3, 2, requires_grad=True), None, None, None, None, True)),
    ('layer_norm_empty_rows', lambda lib: lib.nn.functional.layer_norm(
        lib.zeros(0, 3, requires_grad=True), (3,))),
    ('group_norm_empty_batch', lambda lib: lib.nn.functional.group_norm(
        lib.zeros(0, 4, 2, requires_grad=True), 2)),
    ('local_response_norm_empty', lambda lib: lib.nn.functional.local_response_norm(
        lib.zeros(0, 4, 2), 2)),
    ('no_grad_output', lambda lib: lib.nn.functional.layer_norm(lib.ones(2, 3), (3,))),
    ('grad_fn_batch_norm', lambda lib: lib.nn.functional.batch_norm(
        lib.ones(4, 3, requires_grad=True), None, None, training=True).grad_fn.name()),
    ('grad_fn_batch_norm_eval', lambda lib: lib.nn.functional.batch_norm(
        lib.ones(4, 3), lib.zeros(3), lib.ones(3),
        lib.ones(3, requires_grad=True)).grad_fn.name()),
    ('grad_fn_layer_norm', lambda lib: lib.nn.functional.layer_norm(
        lib.ones(4, 3, requires_grad=True), (3,)).grad_fn.name()),
    ('grad_fn_group_norm', lambda lib: lib.nn.functional.group_norm(
        lib.ones(4, 4, 3), 2, lib.ones(4, requires_grad=True)).grad_fn.name()),
    ('grad_fn_instance_norm', lambda lib: lib.nn.functional.instance_norm(
        lib.ones(4, 4, 3, requires_grad=True)).grad_fn.name()),
    ('grad_fn_rms_norm', lambda lib: lib.nn.functional.rms_norm(
        lib.ones(4, 3, requires_grad=True), (3,)).grad_fn.name()),
    ('grad_fn_local_response_norm', lambda lib: lib.nn.functional.local_response_norm(
        lib.ones(4, 3, 2, requires_grad=True), 2).grad_fn.name()),
    ('constant_channel', lambda lib: lib.nn.functional.batch_norm(
        lib.ones(4, 3, 2) * 7, None, None, training=True)),
    ('constant_row', lambda lib: lib.nn.functional.layer_norm(lib.ones(4, 3) * 7, (3,))),
]


@requires_torch
@pytest.mark.parametrize('name,fn', DTYPE_ROWS, ids=[r[0] for r in DTYPE_ROWS])
def test_dtypes_and_edge_cases(name, fn):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        check(fn, rtol=2e-3, atol=2e-3, check_repr=False)


def _bn(lib, x_shape=(4, 3, 5), rm=3, rv=3, w=None, b=None, training=True, **kw):
    F = lib.nn.functional
    return F.batch_norm(lib.ones(x_shape), None if rm is None else lib.zeros(rm),
                        None if rv is None else lib.ones(rv),
                        None if w is None else lib.ones(w),
                        None if b is None else lib.zeros(b), training, **kw)


ERRORS = [
    ('bn_running_mean_size', lambda lib: _bn(lib, rm=4, rv=4)),
    ('bn_running_var_size', lambda lib: _bn(lib, rv=4)),
    ('bn_weight_size', lambda lib: _bn(lib, w=2)),
    ('bn_bias_size', lambda lib: _bn(lib, w=3, b=4)),
    ('bn_one_value_per_channel', lambda lib: _bn(lib, x_shape=(1, 3))),
    ('bn_one_value_per_channel_4d', lambda lib: _bn(lib, x_shape=(1, 3, 1, 1))),
    ('bn_eval_one_value_ok', lambda lib: _bn(lib, x_shape=(1, 3), training=False)),
    ('bn_eps_zero', lambda lib: _bn(lib, eps=0.0)),
    ('bn_eps_negative_eval', lambda lib: _bn(lib, training=False, eps=-1.0)),
    ('bn_eval_without_stats', lambda lib: _bn(lib, rm=None, rv=None, training=False)),
    ('bn_mean_without_var', lambda lib: _bn(lib, rv=None)),
    ('bn_integer_input', lambda lib: lib.nn.functional.batch_norm(
        lib.ones(4, 3, dtype=lib.int64), lib.zeros(3), lib.ones(3), training=True)),
    ('bn_double_input_float_stats', lambda lib: lib.nn.functional.batch_norm(
        lib.ones(4, 3, dtype=lib.float64), lib.zeros(3), lib.ones(3), training=True)),
    ('bn_float_input_double_weight', lambda lib: lib.nn.functional.batch_norm(
        lib.ones(4, 3), None, None, lib.ones(3, dtype=lib.float64), training=True)),
    ('bn_half_input_mixed_params', lambda lib: lib.nn.functional.batch_norm(
        lib.ones(4, 3, dtype=lib.float16), lib.zeros(3), lib.ones(3),
        lib.ones(3, dtype=lib.float16), training=True)),
    ('bn_1d_input', lambda lib: lib.nn.functional.batch_norm(lib.ones(4), None, None,
                                                             training=False)),
    ('bn_not_a_tensor', lambda lib: lib.nn.functional.batch_norm([1.0, 2.0], None, None)),
    ('in_one_spatial_element', lambda lib: lib.nn.functional.instance_norm(
        lib.ones(2, 3, 1, 1))),
    ('ln_shape', lambda lib: lib.nn.functional.layer_norm(lib.ones(2, 3, 4), (3,))),
    ('ln_too_long_shape', lambda lib: lib.nn.functional.layer_norm(lib.ones(3, 4),
                                                                   (2, 3, 4))),
    ('ln_empty_shape', lambda lib: lib.nn.functional.layer_norm(lib.ones(3, 4), ())),
    ('ln_int_shape', lambda lib: lib.nn.functional.layer_norm(lib.ones(3, 4), 4)),
    ('ln_float_in_shape', lambda lib: lib.nn.functional.layer_norm(lib.ones(3, 4), (4.0,))),
    ('ln_weight_shape', lambda lib: lib.nn.functional.layer_norm(lib.ones(3, 4), (4,),
                                                                 lib.ones(3))),
    ('ln_bias_shape', lambda lib: lib.nn.functional.layer_norm(lib.ones(3, 4), (4,), None,
                                                               lib.ones(1, 4))),
    ('ln_integer_input', lambda lib: lib.nn.functional.layer_norm(
        lib.ones(3, 4, dtype=lib.int64), (4,))),
    ('ln_mixed_dtype', lambda lib: lib.nn.functional.layer_norm(
        lib.ones(3, 4, dtype=lib.float64), (4,), lib.ones(4))),
    ('gn_not_divisible', lambda lib: lib.nn.functional.group_norm(lib.ones(2, 3, 4), 2)),
    ('gn_1d_input', lambda lib: lib.nn.functional.group_norm(lib.ones(6), 3)),
    ('gn_one_value', lambda lib: lib.nn.functional.group_norm(lib.ones(1, 6), 6)),
    ('gn_weight_size', lambda lib: lib.nn.functional.group_norm(lib.ones(2, 4, 3), 2,
                                                                lib.ones(3))),
    ('gn_weight_2d', lambda lib: lib.nn.functional.group_norm(lib.ones(2, 4, 3), 2,
                                                              lib.ones(2, 2))),
    ('gn_negative_groups', lambda lib: lib.nn.functional.group_norm(lib.ones(2, 4, 3), -2)),
    ('gn_integer_input', lambda lib: lib.nn.functional.group_norm(
        lib.ones(2, 4, 3, dtype=lib.int64), 2)),
    ('rms_shape', lambda lib: lib.nn.functional.rms_norm(lib.ones(2, 3, 4), (3,))),
    ('rms_weight_shape', lambda lib: lib.nn.functional.rms_norm(lib.ones(2, 3, 4), (4,),
                                                                lib.ones(3))),
    ('rms_integer_input', lambda lib: lib.nn.functional.rms_norm(
        lib.ones(2, 4, dtype=lib.int64), (4,))),
    ('lrn_2d_input', lambda lib: lib.nn.functional.local_response_norm(lib.ones(2, 3), 2)),
    ('module_bn2d_3d_input', lambda lib: lib.nn.BatchNorm2d(3)(lib.ones(4, 3, 5))),
    ('module_bn1d_4d_input', lambda lib: lib.nn.BatchNorm1d(3)(lib.ones(4, 3, 5, 5))),
    ('module_bn3d_4d_input', lambda lib: lib.nn.BatchNorm3d(3)(lib.ones(4, 3, 5, 5))),
    ('module_bn_channels', lambda lib: lib.nn.BatchNorm2d(4)(lib.ones(4, 3, 5, 5))),
    ('module_bn_channels_eval', lambda lib: lib.nn.BatchNorm2d(4).eval()(
        lib.ones(4, 3, 5, 5))),
    ('module_bn_channels_untracked', lambda lib: lib.nn.BatchNorm2d(
        4, track_running_stats=False)(lib.ones(4, 3, 5, 5))),
    ('module_bn_double_input', lambda lib: lib.nn.BatchNorm1d(3)(
        lib.ones(4, 3, dtype=lib.float64))),
    ('module_in2d_dims', lambda lib: lib.nn.InstanceNorm2d(3)(lib.ones(4, 3))),
    ('module_in1d_dims', lambda lib: lib.nn.InstanceNorm1d(3)(lib.ones(4, 3, 2, 2))),
    ('module_in3d_dims', lambda lib: lib.nn.InstanceNorm3d(3)(lib.ones(4, 3, 2))),
    ('module_in_affine_channels', lambda lib: lib.nn.InstanceNorm2d(4, affine=True)(
        lib.ones(2, 3, 4, 4))),
    ('module_gn_divisible', lambda lib: lib.nn.GroupNorm(2, 5)),
    ('module_gn_channels', lambda lib: lib.nn.GroupNorm(2, 4)(lib.ones(2, 6, 3))),
    ('module_ln_shape', lambda lib: lib.nn.LayerNorm(4)(lib.ones(2, 3))),
    ('module_rms_shape', lambda lib: lib.nn.RMSNorm([2, 3])(lib.ones(2, 3, 2))),
    ('module_crossmap_dims', lambda lib: lib.nn.CrossMapLRN2d(3)(lib.ones(2, 3, 4))),
]


@requires_torch
@pytest.mark.parametrize('name,fn', ERRORS, ids=[r[0] for r in ERRORS])
def test_errors(name, fn):
    check(fn, check_repr=False)


@requires_torch
@pytest.mark.parametrize('name,fn', [r for r in ERRORS if r[0] in (
    'bn_running_mean_size', 'bn_weight_size', 'bn_bias_size', 'bn_one_value_per_channel',
    'bn_eps_zero', 'bn_eps_negative_eval', 'bn_eval_without_stats', 'bn_mean_without_var',
    'bn_integer_input', 'bn_double_input_float_stats', 'bn_float_input_double_weight',
    'bn_half_input_mixed_params', 'in_one_spatial_element', 'ln_shape', 'ln_empty_shape',
    'ln_weight_shape', 'ln_integer_input', 'gn_not_divisible', 'gn_1d_input', 'gn_one_value',
    'gn_weight_size', 'gn_negative_groups', 'rms_shape', 'lrn_2d_input',
    'module_bn2d_3d_input', 'module_bn1d_4d_input', 'module_bn3d_4d_input',
    'module_bn_channels', 'module_in2d_dims', 'module_in_affine_channels',
    'module_gn_divisible', 'module_crossmap_dims', 'ln_float_in_shape', 'ln_int_shape',
    'ln_too_long_shape')])
def test_error_messages(name, fn):
    check(fn, match_message=True)


# ---------------------------------------------------------------------------------------
# by hand
# ---------------------------------------------------------------------------------------
def test_batch_norm_by_hand():
    x = _values((6, 3, 4), 0)
    w, b = np.array([1.0, 2.0, -1.0]), np.array([0.5, 0.0, 1.0])
    mean = x.mean((0, 2), keepdims=True)
    var = x.var((0, 2), keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-5) * w[:, None] + b[:, None]
    rm, rv = ember.zeros(3, dtype=ember.float64), ember.ones(3, dtype=ember.float64)
    out = EF.batch_norm(ember.tensor(x), rm, rv, ember.tensor(w), ember.tensor(b), True, 0.25)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(rm.numpy(), 0.25 * mean.reshape(-1), rtol=1e-12)
    unbiased = x.var((0, 2), ddof=1)
    np.testing.assert_allclose(rv.numpy(), 0.75 + 0.25 * unbiased, rtol=1e-12)
    # Evaluation mode normalizes with the running statistics.
    out = EF.batch_norm(ember.tensor(x), rm, rv, training=False)
    expected = (x - rm.numpy()[:, None]) / np.sqrt(rv.numpy()[:, None] + 1e-5)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


def test_batch_norm_gradient_by_hand():
    """With a loss that sums the output, the input gradient of training-mode batch norm is
    exactly zero (the mean is subtracted), and the weight gradient is sum(xhat) = 0."""
    x = ember.tensor(_values((5, 2, 3), 1), requires_grad=True)
    w = ember.tensor([2.0, 3.0], dtype=ember.float64, requires_grad=True)
    b = ember.tensor([0.0, 0.0], dtype=ember.float64, requires_grad=True)
    EF.batch_norm(x, None, None, w, b, True).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 0, atol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), 0, atol=1e-12)
    assert b.grad.tolist() == [15.0, 15.0]


def test_layer_and_group_norm_by_hand():
    x = _values((3, 4, 5), 2)
    flat = x.reshape(3, -1)
    expected = (flat - flat.mean(1, keepdims=True)) / np.sqrt(flat.var(1, keepdims=True) +
                                                              1e-5)
    got = EF.layer_norm(ember.tensor(x), (4, 5))
    np.testing.assert_allclose(got.numpy(), expected.reshape(x.shape), rtol=1e-12)
    groups = x.reshape(3, 2, -1)
    expected = (groups - groups.mean(2, keepdims=True)) / np.sqrt(
        groups.var(2, keepdims=True) + 1e-5)
    got = EF.group_norm(ember.tensor(x), 2)
    np.testing.assert_allclose(got.numpy(), expected.reshape(x.shape), rtol=1e-12)
    # One group per sample is layer norm over (C, *).
    np.testing.assert_allclose(EF.group_norm(ember.tensor(x), 1).numpy(),
                               EF.layer_norm(ember.tensor(x), (4, 5)).numpy(), rtol=1e-12)


def test_rms_norm_and_lrn_by_hand():
    x = _values((2, 6), 3)
    expected = x / np.sqrt((x * x).mean(1, keepdims=True) + 1e-6)
    np.testing.assert_allclose(EF.rms_norm(ember.tensor(x), (6,), eps=1e-6).numpy(), expected,
                               rtol=1e-12)
    x = _values((1, 4, 2), 4)
    sq = np.pad(x * x, ((0, 0), (1, 1), (0, 0)))
    window = (sq[:, :-2] + sq[:, 1:-1] + sq[:, 2:]) / 3
    expected = x / (2.0 + 0.5 * window) ** 0.75
    np.testing.assert_allclose(EF.local_response_norm(ember.tensor(x), 3, 0.5, 0.75,
                                                      2.0).numpy(), expected, rtol=1e-12)


def test_output_does_not_alias_saved_state():
    """Writing into the output in place must not change the gradient (the op keeps its
    own normalized copy, as PyTorch keeps the input)."""
    for fn in (lambda x: EF.layer_norm(x, (4,)), lambda x: EF.group_norm(x, 2),
               lambda x: EF.batch_norm(x, None, None, training=True)):
        x = ember.tensor(_values((3, 4), 5), requires_grad=True)
        cot = ember.tensor(_values((3, 4), 6))
        fn(x).backward(cot)
        expected = x.grad.clone()
        x.grad = None
        out = fn(x)
        with ember.no_grad():
            out.mul_(0)
        out.backward(cot)
        np.testing.assert_allclose(x.grad.numpy(), expected.numpy(), rtol=1e-12)


def test_input_modified_in_place_raises():
    x = ember.tensor(_values((3, 4), 5), requires_grad=True)
    y = x * 1
    out = EF.batch_norm(y, None, None, training=True)
    y.add_(1)
    with pytest.raises(RuntimeError, match='modified by an inplace operation'):
        out.sum().backward()


def test_running_stats_not_versioned_by_forward():
    """PyTorch updates running statistics in the kernel without bumping their version."""
    rm, rv = ember.zeros(3), ember.ones(3)
    before = rm._version, rv._version
    EF.batch_norm(ember.tensor(_values((4, 3), 0), dtype=ember.float32), rm, rv,
                  training=True)
    assert (rm._version, rv._version) == before
    assert rm.abs().sum().item() > 0


# ---------------------------------------------------------------------------------------
# finite differences
# ---------------------------------------------------------------------------------------
def _stats64(c):
    rng = np.random.default_rng(9)
    return ember.tensor(rng.standard_normal(c)), ember.tensor(rng.random(c) + 0.5)


GRADCHECK = [
    ('batch_norm_train', lambda x, w, b: EF.batch_norm(x, None, None, w, b, True),
     [(3, 2, 4), (2,), (2,)]),
    ('batch_norm_train_no_affine', lambda x: EF.batch_norm(x, None, None, training=True),
     [(4, 3)]),
    ('batch_norm_eval', lambda x, w, b: EF.batch_norm(x, *_stats64(2), w, b, False),
     [(3, 2, 4), (2,), (2,)]),
    ('batch_norm_channels_last', lambda x, w: EF.batch_norm(_channels_last(x), None, None, w,
                                                            None, True),
     [(2, 3, 2, 2), (3,)]),
    ('instance_norm', lambda x, w, b: EF.instance_norm(x, weight=w, bias=b),
     [(2, 3, 4), (3,), (3,)]),
    ('layer_norm', lambda x, w, b: EF.layer_norm(x, (2, 4), w, b), [(3, 2, 4), (2, 4), (2, 4)]),
    ('layer_norm_no_affine', lambda x: EF.layer_norm(x, (4,)), [(3, 4)]),
    ('group_norm', lambda x, w, b: EF.group_norm(x, 2, w, b), [(3, 4, 3), (4,), (4,)]),
    ('group_norm_channels_last', lambda x, w, b: EF.group_norm(_channels_last(x), 2, w, b),
     [(2, 4, 2, 2), (4,), (4,)]),
    ('rms_norm', lambda x, w: EF.rms_norm(x, (3,), w), [(4, 3), (3,)]),
    ('local_response_norm', lambda x: EF.local_response_norm(x, 3, 0.1, 0.75, 1.0),
     [(2, 4, 3)]),
]


@pytest.mark.parametrize('name,fn,shapes', GRADCHECK, ids=[r[0] for r in GRADCHECK])
def test_gradcheck(name, fn, shapes):
    inputs = _tensors(ember, shapes, 'float64')
    assert gradcheck(fn, inputs)


@pytest.mark.parametrize('name,fn,shapes', [r for r in GRADCHECK if r[0] in (
    'batch_norm_train', 'batch_norm_eval', 'layer_norm', 'group_norm', 'instance_norm',
    'rms_norm')], ids=['batch_norm_train', 'batch_norm_eval', 'instance_norm', 'layer_norm',
                       'group_norm', 'rms_norm'])
def test_gradgradcheck(name, fn, shapes):
    inputs = _tensors(ember, shapes, 'float64')
    assert gradgradcheck(fn, inputs)


@requires_torch
@pytest.mark.parametrize('kind', ['batch_norm', 'layer_norm', 'group_norm'])
def test_double_backward_matches_torch(kind):
    def snippet(lib):
        x, w, b = _tensors(lib, [(4, 3, 5), (3,), (3,)], 'float64')
        F = lib.nn.functional
        if kind == 'batch_norm':
            y = F.batch_norm(x, None, None, w, b, True)
        elif kind == 'group_norm':
            y = F.group_norm(x, 3, w, b)
        else:
            y = F.layer_norm(x.transpose(1, 2), (3,), w, b)
        gx, gw = lib.autograd.grad((y * y.sin()).sum(), (x, w), create_graph=True)
        (gx.pow(2).sum() + gw.sum()).backward()
        return gx.detach(), gw.detach(), x.grad, w.grad, b.grad
    check(snippet, rtol=1e-8, atol=1e-9, check_repr=False)


# ---------------------------------------------------------------------------------------
# layers
# ---------------------------------------------------------------------------------------
LAYERS = [
    ('BatchNorm1d', lambda nn: nn.BatchNorm1d(4), (6, 4)),
    ('BatchNorm1d_3d', lambda nn: nn.BatchNorm1d(3, momentum=0.3), (4, 3, 5)),
    ('BatchNorm2d', lambda nn: nn.BatchNorm2d(3), (4, 3, 5, 6)),
    ('BatchNorm2d_no_affine', lambda nn: nn.BatchNorm2d(3, affine=False), (4, 3, 5, 6)),
    ('BatchNorm2d_no_bias', lambda nn: nn.BatchNorm2d(3, bias=False), (4, 3, 5, 6)),
    ('BatchNorm2d_untracked', lambda nn: nn.BatchNorm2d(3, track_running_stats=False),
     (4, 3, 5, 6)),
    ('BatchNorm2d_cumulative', lambda nn: nn.BatchNorm2d(3, momentum=None, eps=1e-3),
     (4, 3, 5, 6)),
    ('BatchNorm3d', lambda nn: nn.BatchNorm3d(2), (2, 2, 3, 4, 3)),
    ('InstanceNorm1d', lambda nn: nn.InstanceNorm1d(3), (4, 3, 5)),
    ('InstanceNorm1d_unbatched', lambda nn: nn.InstanceNorm1d(3, affine=True), (3, 5)),
    ('InstanceNorm2d_affine_tracked', lambda nn: nn.InstanceNorm2d(3, affine=True,
                                                                   track_running_stats=True),
     (4, 3, 5, 6)),
    ('InstanceNorm2d_unbatched', lambda nn: nn.InstanceNorm2d(3), (3, 5, 6)),
    ('InstanceNorm3d', lambda nn: nn.InstanceNorm3d(2, affine=True), (2, 2, 3, 4, 3)),
    ('LayerNorm', lambda nn: nn.LayerNorm(6), (4, 3, 6)),
    ('LayerNorm_2d_shape', lambda nn: nn.LayerNorm([3, 6], eps=1e-3), (4, 3, 6)),
    ('LayerNorm_no_bias', lambda nn: nn.LayerNorm(6, bias=False), (4, 6)),
    ('LayerNorm_no_affine', lambda nn: nn.LayerNorm((6,), elementwise_affine=False), (4, 6)),
    ('GroupNorm', lambda nn: nn.GroupNorm(2, 6), (4, 6, 5)),
    ('GroupNorm_4d', lambda nn: nn.GroupNorm(3, 6, eps=1e-3), (2, 6, 3, 4)),
    ('GroupNorm_no_affine', lambda nn: nn.GroupNorm(3, 6, affine=False), (2, 6, 3)),
    ('GroupNorm_no_bias', lambda nn: nn.GroupNorm(3, 6, bias=False), (2, 6, 3)),
    ('RMSNorm', lambda nn: nn.RMSNorm(6), (4, 3, 6)),
    ('RMSNorm_2d_shape', lambda nn: nn.RMSNorm([3, 6], eps=1e-4), (4, 3, 6)),
    ('RMSNorm_no_affine', lambda nn: nn.RMSNorm(6, elementwise_affine=False), (4, 6)),
    ('LocalResponseNorm', lambda nn: nn.LocalResponseNorm(3, alpha=0.1, k=2.0), (2, 5, 3, 4)),
    ('CrossMapLRN2d', lambda nn: nn.CrossMapLRN2d(3, alpha=0.1, beta=0.5), (2, 6, 3, 4)),
    ('CrossMapLRN2d_wide', lambda nn: nn.CrossMapLRN2d(5, alpha=0.2), (2, 7, 2, 2)),
]


def _layer_run(make, shape, train, warm_steps=2):
    """A snippet running one PyTorch layer (after a few training steps, so its running
    statistics are not trivial), or an ember layer loaded with its state."""
    torch.manual_seed(0)
    torch_layer = make(torch.nn)
    for step in range(warm_steps):
        torch_layer(torch.tensor(_values(shape, 10 + step), dtype=torch.float32))
    state = {k: v.detach().numpy().copy() for k, v in torch_layer.state_dict().items()}

    def snippet(lib):
        if lib is torch:
            layer = torch_layer
        else:
            layer = make(lib.nn)
            layer.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
        layer.train(train)
        x = lib.tensor(_values(shape, 7), dtype=lib.float32, requires_grad=True)
        out = layer(x)
        cot = lib.tensor(np.sin(np.arange(out.numel())).reshape(tuple(out.shape)),
                         dtype=lib.float32)
        out.backward(cot)
        return [out, x.grad] + [p.grad for p in layer.parameters()] + \
            [repr(layer), dict(layer.state_dict())]
    return snippet


@requires_torch
@pytest.mark.parametrize('name,make,shape', LAYERS, ids=[r[0] for r in LAYERS])
@pytest.mark.parametrize('train', [True, False], ids=['train', 'eval'])
def test_layer_matches_torch(name, make, shape, train):
    check(_layer_run(make, shape, train), rtol=1e-4, atol=1e-5, check_repr=False)


@requires_torch
@pytest.mark.parametrize('name,make,shape', LAYERS, ids=[r[0] for r in LAYERS])
def test_seeded_construction_gives_torch_state(name, make, shape):
    def snippet(lib):
        lib.manual_seed(1234)
        layer = make(lib.nn)
        return [dict(layer.state_dict()), repr(layer),
                [(n, b is None) for n, b in layer.named_buffers()],
                [n for n, _ in layer.named_parameters()], lib.rand(2)]
    check(snippet, rtol=0, atol=0)


@requires_torch
@pytest.mark.parametrize('size', [1, 2, 3, 4, 9])
@pytest.mark.parametrize('channels', [1, 2, 5])
def test_cross_map_lrn_window_sizes(size, channels):
    """The legacy layer's asymmetric window and hand-written backward, as PyTorch's (whose
    backward fails for size 1)."""
    def snippet(lib):
        x = lib.tensor(_values((2, channels, 3, 2), 0), dtype=lib.float32, requires_grad=True)
        out = lib.nn.CrossMapLRN2d(size, alpha=0.3, beta=0.6, k=1.5)(x)
        out.backward(lib.tensor(_values(tuple(out.shape), 1), dtype=lib.float32))
        return out, x.grad, out.grad_fn.name()
    check(snippet, rtol=1e-4, atol=1e-5, check_repr=False, match_message=True)


@requires_torch
@pytest.mark.parametrize('momentum', [0.1, None])
def test_batch_norm_running_stats_over_steps(momentum):
    def snippet(lib):
        layer = lib.nn.BatchNorm1d(3, momentum=momentum)
        outs = []
        for step in range(4):
            outs.append(layer(lib.tensor(_values((5, 3), step), dtype=lib.float32)))
        layer.eval()
        outs.append(layer(lib.tensor(_values((5, 3), 9), dtype=lib.float32)))
        return outs + [dict(layer.state_dict())]
    check(snippet, rtol=1e-5, atol=1e-6, check_repr=False)


@requires_torch
def test_batch_norm_state_dict_metadata_and_dtypes():
    def snippet(lib):
        layer = lib.nn.Sequential(lib.nn.Conv1d(2, 3, 1), lib.nn.BatchNorm1d(3))
        sd = layer.state_dict()
        return [list(sd.keys()), sd['1.num_batches_tracked'].dtype,
                dict(sd._metadata['1']), dict(sd._metadata['0'])]
    check(snippet)


@requires_torch
def test_load_old_checkpoint_without_num_batches_tracked():
    def snippet(lib):
        src = lib.nn.BatchNorm2d(3)
        with lib.no_grad():
            src.running_mean.fill_(0.5)
            src.num_batches_tracked.fill_(7)
        state = OrderedDict((k, v) for k, v in src.state_dict().items()
                            if k != 'num_batches_tracked')
        dst = lib.nn.BatchNorm2d(3)
        with lib.no_grad():
            dst.num_batches_tracked.fill_(3)
        result = dst.load_state_dict(state)      # no _metadata: an old checkpoint
        return [repr(result), dst.num_batches_tracked, dst.running_mean]
    check(snippet)


@requires_torch
def test_load_versioned_checkpoint_without_num_batches_tracked_fails():
    def snippet(lib):
        state = lib.nn.BatchNorm2d(3).state_dict()
        del state['num_batches_tracked']
        return lib.nn.BatchNorm2d(3).load_state_dict(state)
    check(snippet, match_message=True)


@requires_torch
def test_instance_norm_old_checkpoint_with_running_stats():
    def snippet(lib):
        state = OrderedDict([('running_mean', lib.zeros(3)), ('running_var', lib.ones(3))])
        return lib.nn.InstanceNorm2d(3).load_state_dict(state)
    check(snippet, match_message=True)


@requires_torch
def test_instance_norm_warns_on_feature_mismatch():
    for lib in (torch, ember):
        with pytest.warns(UserWarning, match='does not match num_features'):
            lib.nn.InstanceNorm1d(4)(lib.ones(2, 3, 5))


@requires_torch
@pytest.mark.parametrize('make,shape', [
    (lambda nn: nn.LazyBatchNorm2d(), (4, 3, 5, 6)),
    (lambda nn: nn.LazyBatchNorm1d(momentum=None), (6, 4)),
    (lambda nn: nn.LazyBatchNorm3d(affine=False), (2, 2, 3, 2, 2)),
    (lambda nn: nn.LazyInstanceNorm1d(), (3, 4, 5)),
    (lambda nn: nn.LazyInstanceNorm2d(affine=False, track_running_stats=False), (3, 4, 5, 2)),
], ids=['LazyBatchNorm2d', 'LazyBatchNorm1d', 'LazyBatchNorm3d', 'LazyInstanceNorm1d',
        'LazyInstanceNorm2d'])
@pytest.mark.filterwarnings('ignore:input.s size at dim')
def test_lazy_layers(make, shape):
    def snippet(lib):
        layer = make(lib.nn)
        before = repr(layer)
        x = lib.tensor(_values(shape, 0), dtype=lib.float32, requires_grad=True)
        out = layer(x)
        out.sum().backward()
        return [before, repr(layer), type(layer).__name__, out, x.grad,
                dict(layer.state_dict())]
    check(snippet, rtol=1e-4, atol=1e-5, check_repr=False)


@requires_torch
def test_lazy_batch_norm_loads_a_checkpoint():
    def snippet(lib):
        src = lib.nn.BatchNorm2d(3)
        with lib.no_grad():
            src.weight.fill_(2.0)
            src.running_mean.fill_(0.5)
            src.num_batches_tracked.fill_(4)
        lazy = lib.nn.LazyBatchNorm2d()
        lazy.load_state_dict(src.state_dict())
        lazy.eval()
        out = lazy(lib.tensor(_values((4, 3, 2, 2), 0), dtype=lib.float32))
        return [out, type(lazy).__name__, repr(lazy), dict(lazy.state_dict())]
    check(snippet, rtol=1e-5, atol=1e-6, check_repr=False)


@requires_torch
def test_module_to_double_keeps_counter_int64():
    def snippet(lib):
        layer = lib.nn.BatchNorm1d(3).double()
        out = layer(lib.tensor(_values((4, 3), 0)))
        return [out, dict(layer.state_dict())]
    check(snippet, rtol=1e-10, atol=1e-10, check_repr=False)


@requires_torch
def test_cnn_block_trains_like_torch():
    """Conv -> BatchNorm -> ReLU -> GroupNorm -> LayerNorm with SGD: same losses."""
    def snippet(lib):
        lib.manual_seed(0)
        nn = lib.nn
        model = nn.Sequential(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4), nn.ReLU(),
                              nn.GroupNorm(2, 4), nn.Flatten(), nn.LayerNorm(36),
                              nn.Linear(36, 1))
        opt = lib.optim.SGD(model.parameters(), lr=0.1)
        losses = []
        for step in range(3):
            x = lib.tensor(_values((5, 2, 5, 5), step), dtype=lib.float32)
            loss = model(x).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.detach())
        model.eval()
        return losses + [model(lib.tensor(_values((2, 2, 5, 5), 9), dtype=lib.float32))]
    check(snippet, rtol=1e-4, atol=1e-5, check_repr=False)


# ---------------------------------------------------------------------------------------
# SyncBatchNorm
# ---------------------------------------------------------------------------------------
@requires_torch
def test_sync_batch_norm_single_process_is_batch_norm():
    def snippet(lib):
        lib.manual_seed(0)
        nn = lib.nn
        model = nn.SyncBatchNorm.convert_sync_batchnorm(
            nn.Sequential(nn.Conv2d(2, 3, 1), nn.BatchNorm2d(3, bias=False),
                          nn.Sequential(nn.BatchNorm2d(3, momentum=None))))
        x = lib.tensor(_values((4, 2, 3, 3), 0), dtype=lib.float32, requires_grad=True)
        out = model(x)
        out.backward(lib.tensor(_values((4, 3, 3, 3), 1), dtype=lib.float32))
        model.eval()
        return [repr(model), out, x.grad, model[1].weight.grad, dict(model.state_dict()),
                model(x), lib.nn.SyncBatchNorm(3)(lib.ones(4, 3)).grad_fn.name()]
    check(snippet, rtol=1e-4, atol=1e-5, check_repr=False)


@requires_torch
@pytest.mark.parametrize('fn', [lambda lib: lib.nn.SyncBatchNorm(3)(lib.ones(3)),
                                lambda lib: lib.nn.SyncBatchNorm(0)(lib.ones(3, 0))],
                         ids=['1d_input', 'no_channels'])
def test_sync_batch_norm_errors(fn):
    check(fn, match_message=True)


_SYNC_SCRIPT = '''
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np
import ember
import ember.distributed as dist
from ember import nn

dist.init_process_group('gloo')
rank, size = dist.get_rank(), dist.get_world_size()
rng = np.random.default_rng(0)
full = rng.standard_normal((4 * size, 3, 5)) * 2 + 1
cot = rng.standard_normal((4 * size, 3, 5))
shard = slice(4 * rank, 4 * rank + 4)

ember.manual_seed(0)
reference = nn.BatchNorm1d(3, momentum=0.3).double()
with ember.no_grad():
    reference.weight.mul_(ember.arange(1., 4., dtype=ember.float64))
sync = nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm1d(3, momentum=0.3).double())
sync.load_state_dict(reference.state_dict())

x_full = ember.tensor(full, requires_grad=True)
reference(x_full).backward(ember.tensor(cot))
x = ember.tensor(full[shard], requires_grad=True)
out = sync(x)
assert out.grad_fn.name() == 'SyncBatchNormBackward', out.grad_fn.name()
out.backward(ember.tensor(cot[shard]))

expected = reference.eval()(ember.tensor(full)).detach()
np.testing.assert_allclose(x.grad.numpy(), x_full.grad.numpy()[shard], rtol=1e-9, atol=1e-12)
for name in ('running_mean', 'running_var', 'num_batches_tracked'):
    np.testing.assert_allclose(getattr(sync, name).numpy(), getattr(reference, name).numpy(),
                               rtol=1e-12)
grads = ember.stack([sync.weight.grad, sync.bias.grad])
dist.all_reduce(grads)
np.testing.assert_allclose(grads[0].numpy(), reference.weight.grad.numpy(), rtol=1e-9)
np.testing.assert_allclose(grads[1].numpy(), reference.bias.grad.numpy(), rtol=1e-9)
sync.eval()
np.testing.assert_allclose(sync(ember.tensor(full)).detach().numpy(), expected.numpy(),
                           rtol=1e-12)
print(f'rank {rank} OK', flush=True)
'''


@pytest.mark.parametrize('ranks', [2, 3])
def test_sync_batch_norm_matches_full_batch_under_mpi(ranks, tmp_path):
    import shutil
    import subprocess
    import sys
    try:
        import mpi4py  # noqa: F401
    except ImportError:  # pragma: no cover
        pytest.skip('mpi4py is not installed')
    if shutil.which('mpiexec') is None:  # pragma: no cover
        pytest.skip('mpiexec is not installed')
    script = tmp_path / 'sync_bn.py'
    script.write_text(_SYNC_SCRIPT)
    root = str(__import__('pathlib').Path(__file__).resolve().parents[1])
    result = subprocess.run(['mpiexec', '-n', str(ranks), sys.executable, str(script), root],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count('OK') == ranks, result.stdout + result.stderr
