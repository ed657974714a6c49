"""Reductions against PyTorch: every op over dtypes, shapes (0-d, empty, non-contiguous),
dims (int, tuple, negative, keepdim), NaN and ties; gradients with gradcheck in float64 and
``.grad`` compared with torch (ties included)."""
import functools
import math

import numpy as np
import pytest

from oracle import check, requires_torch

import ember

pytestmark = [requires_torch, pytest.mark.filterwarnings('ignore')]

DTYPES = ['bool', 'uint8', 'int32', 'int64', 'float16', 'float32', 'float64']


@functools.lru_cache(maxsize=None)
def _values(shape, dtype, seed, ints):
    rng = np.random.default_rng(seed)
    if dtype == 'bool':
        return rng.integers(0, 2, size=shape).astype(bool).tolist()
    if dtype == 'uint8':
        return rng.integers(0, 6, size=shape).tolist()
    if dtype.startswith('int') or ints:
        return rng.integers(-3, 4, size=shape).tolist()
    return (np.round(rng.uniform(-3, 3, size=shape) * 16) / 16).tolist()


def make(torch, shape, dtype, layout='contiguous', seed=0, ints=False):
    """A deterministic tensor; 'permuted' and 'sliced' layouts are non-contiguous."""
    if layout == 'permuted':
        t = torch.tensor(_values(shape[::-1], dtype, seed, ints), dtype=getattr(torch, dtype))
        return t.permute(*reversed(range(t.dim())))
    if layout == 'sliced':
        t = torch.tensor(_values((shape[0] * 2,) + shape[1:], dtype, seed, ints),
                         dtype=getattr(torch, dtype))
        return t[::2]
    return torch.tensor(_values(shape, dtype, seed, ints), dtype=getattr(torch, dtype))


SHAPES = [((3, 4), 'contiguous'), ((2, 3, 4), 'permuted'), ((4, 3), 'sliced'),
          ((), 'contiguous'), ((0, 3), 'contiguous')]


def tol(dtype):
    if dtype == 'float16':
        return dict(rtol=5e-3, atol=5e-3, check_repr=False)
    if dtype == 'float32':
        return dict(rtol=1e-5, atol=1e-5, check_repr=False)
    return dict(rtol=1e-7, atol=1e-8)


def _nan_holes(torch, x):
    """``x`` as floats with NaN where it was zero."""
    return torch.where(x == 0, torch.tensor(math.nan), x.to(torch.float64))


REDUCTIONS = [
    ('sum', lambda t, x: x.sum()),
    ('sum_dim', lambda t, x: x.sum(0)),
    ('sum_neg_keepdim', lambda t, x: x.sum(-1, keepdim=True)),
    ('sum_tuple', lambda t, x: t.sum(x, (0, -1))),
    ('sum_empty_tuple', lambda t, x: x.sum(())),
    ('sum_dtype', lambda t, x: x.sum(dtype=t.float64)),
    ('sum_int_dtype', lambda t, x: x.sum(0, dtype=t.int32)),
    ('nansum', lambda t, x: _nan_holes(t, x).nansum()),
    ('nansum_dim', lambda t, x: t.nansum(_nan_holes(t, x), -1)),
    ('nansum_int', lambda t, x: x.nansum(0)),
    ('mean', lambda t, x: x.mean()),
    ('mean_dim', lambda t, x: x.mean(-1)),
    ('mean_tuple_keepdim', lambda t, x: x.mean((0, 1), keepdim=True)),
    ('mean_dtype', lambda t, x: x.mean(dtype=t.float64)),
    ('nanmean', lambda t, x: _nan_holes(t, x).nanmean()),
    ('nanmean_dim', lambda t, x: _nan_holes(t, x).nanmean(0)),
    ('prod', lambda t, x: x.prod()),
    ('prod_dim', lambda t, x: x.prod(-1)),
    ('prod_keepdim', lambda t, x: t.prod(x, 0, keepdim=True)),
    ('prod_dtype', lambda t, x: x.prod(dtype=t.float64)),
    ('max', lambda t, x: x.max()),
    ('max_dim', lambda t, x: x.max(0)),
    ('max_dim_keepdim', lambda t, x: t.max(x, -1, keepdim=True)),
    ('min', lambda t, x: t.min(x)),
    ('min_dim', lambda t, x: x.min(dim=-1)),
    ('amax', lambda t, x: x.amax()),
    ('amax_dim', lambda t, x: x.amax(-1)),
    ('amax_tuple', lambda t, x: t.amax(x, (0, 1))),
    ('amin_keepdim', lambda t, x: x.amin(0, keepdim=True)),
    ('aminmax', lambda t, x: x.aminmax()),
    ('aminmax_dim', lambda t, x: t.aminmax(x, dim=-1, keepdim=True)),
    ('argmax', lambda t, x: x.argmax()),
    ('argmax_dim', lambda t, x: x.argmax(0)),
    ('argmin_keepdim', lambda t, x: t.argmin(x, -1, keepdim=True)),
    ('argmax_all_keepdim', lambda t, x: x.argmax(keepdim=True)),
    ('std', lambda t, x: x.std()),
    ('std_dim', lambda t, x: x.std(0)),
    ('var_keepdim', lambda t, x: x.var(-1, keepdim=True)),
    ('var_unbiased_false', lambda t, x: x.var(unbiased=False)),
    ('std_correction', lambda t, x: x.std(dim=(0, 1), correction=0)),
    ('var_positional', lambda t, x: t.var(x, 0, False)),
    ('std_mean', lambda t, x: t.std_mean(x, 0)),
    ('var_mean', lambda t, x: t.var_mean(x, correction=2)),
    ('norm', lambda t, x: x.norm()),
    ('norm_dim', lambda t, x: x.norm(dim=-1)),
    ('norm_1', lambda t, x: t.norm(x, 1)),
    ('norm_inf', lambda t, x: x.norm(float('inf'), dim=0)),
    ('norm_neg_inf', lambda t, x: x.norm(-math.inf)),
    ('norm_3', lambda t, x: x.norm(3, dim=(0, 1), keepdim=True)),
    ('norm_0', lambda t, x: x.norm(0)),
    ('norm_half', lambda t, x: x.norm(0.5, dim=-1)),
    ('norm_fro', lambda t, x: x.norm('fro', dim=(0, 1))),
    ('logsumexp', lambda t, x: x.logsumexp(0)),
    ('logsumexp_tuple', lambda t, x: t.logsumexp(x, (0, 1))),
    ('logsumexp_keepdim', lambda t, x: x.logsumexp(-1, keepdim=True)),
    ('cumsum', lambda t, x: x.cumsum(0)),
    ('cumsum_neg', lambda t, x: t.cumsum(x, -1)),
    ('cumsum_dtype', lambda t, x: x.cumsum(0, dtype=t.float64)),
    ('cumprod', lambda t, x: x.cumprod(-1)),
    ('cummax', lambda t, x: x.cummax(0)),
    ('cummin', lambda t, x: t.cummin(x, -1)),
    ('any', lambda t, x: x.any()),
    ('all_dim', lambda t, x: x.all(0)),
    ('any_tuple', lambda t, x: t.any(x, (0, 1))),
    ('all_keepdim', lambda t, x: x.all(-1, keepdim=True)),
    ('count_nonzero', lambda t, x: x.count_nonzero()),
    ('count_nonzero_tuple', lambda t, x: t.count_nonzero(x, (0, 1))),
    ('count_nonzero_dim', lambda t, x: x.count_nonzero(-1)),
    ('median', lambda t, x: x.median()),
    ('median_dim', lambda t, x: x.median(0)),
    ('median_keepdim', lambda t, x: t.median(x, -1, keepdim=True)),
    ('nanmedian', lambda t, x: _nan_holes(t, x).nanmedian()),
    ('nanmedian_dim', lambda t, x: _nan_holes(t, x).nanmedian(0)),
    ('median_nan', lambda t, x: _nan_holes(t, x).median(-1)),
    ('mode', lambda t, x: x.mode()),
    ('mode_dim', lambda t, x: t.mode(x, 0)),
    ('kthvalue', lambda t, x: x.kthvalue(1)),
    ('kthvalue_dim', lambda t, x: x.kthvalue(2, 0)),
    ('kthvalue_keepdim', lambda t, x: t.kthvalue(x, 1, -1, True)),
    ('quantile', lambda t, x: x.quantile(0.3)),
    ('quantile_dim', lambda t, x: x.quantile(0.5, dim=0)),
    ('quantile_tensor', lambda t, x: x.quantile(t.tensor([0.25, 0.75], dtype=x.dtype), dim=-1,
                                                keepdim=True)),
    ('quantile_lower', lambda t, x: x.quantile(0.4, interpolation='lower')),
    ('quantile_higher', lambda t, x: x.quantile(0.4, dim=0, interpolation='higher')),
    ('quantile_midpoint', lambda t, x: t.quantile(x, 0.4, interpolation='midpoint')),
    ('quantile_nearest', lambda t, x: x.quantile(0.5, -1, interpolation='nearest')),
    ('nanquantile', lambda t, x: _nan_holes(t, x).nanquantile(0.5, dim=0)),
    ('quantile_nan', lambda t, x: _nan_holes(t, x).quantile(0.5, dim=-1)),
]
REDUCTION_FNS = dict(REDUCTIONS)
# ops whose results need ties/integers to be interesting
INTEGRAL = {'mode', 'mode_dim', 'median', 'median_dim', 'median_keepdim', 'kthvalue',
            'kthvalue_dim', 'kthvalue_keepdim', 'cummax', 'cummin'}


@pytest.mark.parametrize('dtype', DTYPES)
@pytest.mark.parametrize('name', [name for name, _ in REDUCTIONS])
def test_reduction_dtypes_shapes(name, dtype):
    fn = REDUCTION_FNS[name]
    for shape, layout in SHAPES:
        check(lambda torch: fn(torch, make(torch, shape, dtype, layout,
                                           ints=name in INTEGRAL)), **tol(dtype))


@pytest.mark.parametrize('expr', [
    lambda t: t.zeros(0, 3).max(),
    lambda t: t.zeros(0, 3).max(0),
    lambda t: t.zeros(0, 3).max(1),
    lambda t: t.zeros(0, 3).amax(0),
    lambda t: t.zeros(0, 3).argmax(),
    lambda t: t.zeros(0, 3).argmax(1),
    lambda t: t.aminmax(t.zeros(0, 3)),
    lambda t: t.zeros(0, 3).mean(0),
    lambda t: t.zeros(0, 3).prod(),
    lambda t: t.zeros(0).logsumexp(0),
    lambda t: t.zeros(0).norm(),
    lambda t: t.tensor(5.).sum(0),
    lambda t: t.tensor(5.).sum((0, -1)),
    lambda t: t.tensor(5.).sum(1),
    lambda t: t.ones(2, 3).sum((0, 0)),
    lambda t: t.ones(2, 3).sum(2),
    lambda t: t.ones(2, 3).prod((0, 1)),
    lambda t: t.ones(2, 3, dtype=t.int32).mean(),
    lambda t: t.tensor([1, 2]).std(),
    lambda t: t.tensor([1, 2]).nanmean(),
    lambda t: t.tensor([1, 2]).norm(),
    lambda t: t.tensor([1, 2]).logsumexp(0),
    lambda t: t.tensor([1 + 1j]).max(),
    lambda t: t.tensor([1 + 1j, 2]).var(),
    lambda t: t.tensor([1 + 1j, 2]).sum(),
    lambda t: t.tensor([1., 2.]).std(correction=2),
    lambda t: t.tensor([1., 2.]).std(unbiased=False),
    lambda t: t.tensor([1., 2.]).std(True),
    lambda t: t.tensor([[1., 2.], [3., 5.]]).std(0, False, True),
    lambda t: t.tensor([3.]).std(),
    lambda t: t.tensor([[1., math.nan, 5.], [4., 4., math.nan]]).max(1),
    lambda t: t.tensor([[1., math.nan, 5.], [4., 4., math.nan]]).max(),
    lambda t: t.tensor([[1., math.nan, 5.], [4., 4., math.nan]]).argmax(),
    lambda t: t.tensor([[1., math.nan, 5.], [4., 4., math.nan]]).amin(1),
    lambda t: t.tensor([[1., 5., 5.], [4., 4., 2.]]).max(1),
    lambda t: t.tensor([[1., 5., 5.], [4., 4., 2.]]).min(0),
    lambda t: t.tensor([[3., 1., 3., 1., 2., 1.]]).median(1),
    lambda t: t.tensor([[2., 1., 2., 1.]]).median(1),
    lambda t: t.tensor([[2., 1., math.nan, 1., math.nan]]).median(1),
    lambda t: t.tensor([[2., 1., math.nan, 1., math.nan]]).nanmedian(1),
    lambda t: t.tensor([[math.nan, math.nan]]).nanmedian(1),
    lambda t: t.tensor([2., 1., math.nan, 1.]).median(),
    lambda t: t.tensor([2., 1., math.nan, 1.]).nanmedian(),
    lambda t: t.tensor([[3., 1., 3., 1., 2., 1.]]).mode(1),
    lambda t: t.tensor([[3., 1., 3., 2., 1., 3., 1.]]).mode(1),
    lambda t: t.tensor([[3., 1., 3., 1., 2., 1.]]).kthvalue(2, 1),
    lambda t: t.tensor([[3., 1., 3., 1., 2., 1.]]).kthvalue(7, 1),
    lambda t: t.tensor([[3., 1., 3., 1., 2., 1.]]).kthvalue(0, 1),
    lambda t: t.tensor([[3., math.nan, 3., 1.]]).kthvalue(4, 1),
    lambda t: t.tensor([[3., 1., 3., 1., 2., 1.]]).cummax(1),
    lambda t: t.tensor([[3., math.nan, 3., 1., math.nan, 1.]]).cummax(1),
    lambda t: t.tensor([[3., math.nan, 3., 1., math.nan, 1.]]).cummin(1),
    lambda t: t.tensor([[True, False]]).cumsum(1),
    lambda t: t.tensor([[3, 1, 3]], dtype=t.int8).cumprod(1),
    lambda t: t.tensor([[3, 1, 3]], dtype=t.int8).cumsum(1, dtype=t.float32),
    lambda t: t.tensor(3.).cumsum(0),
    lambda t: t.tensor(3.).median(0),
    lambda t: t.tensor(3.).kthvalue(1),
    lambda t: t.tensor(3.).mode(),
    lambda t: t.tensor([1, 2, 3]).median(),
    lambda t: t.tensor([1, 2, 3]).quantile(0.5),
    lambda t: t.tensor([1., 2., 3., 4.]).quantile(t.tensor([0.4, 0.9])),
    lambda t: t.tensor([1., 2., 3., 4.]).quantile(1.5),
    lambda t: t.tensor([1., 2., 3., 4.]).quantile(t.tensor([0.5, 1.5])),
    lambda t: t.tensor([1., 2., 3., 4.]).quantile(0.5, interpolation='foo'),
    lambda t: t.tensor([1., 2., 3., 4.], dtype=t.float64).quantile(t.tensor(0.5)),
    lambda t: t.tensor([1., 2., 3., 4.], dtype=t.float64).quantile(
        t.tensor(0.5, dtype=t.float64)),
    lambda t: t.zeros(0).quantile(0.5),
    lambda t: t.tensor([1., 2., 3., 4.]).quantile(t.tensor([[0.5]])),
    lambda t: t.tensor([[1., 2.], [3., 4.]]).quantile(0.5, keepdim=True),
    lambda t: t.tensor([[1., math.nan, 3., 4.], [math.nan] * 4]).nanquantile(0.5, dim=1),
    lambda t: t.tensor([1., 2., 3., 4., 5.]).quantile(0.625, interpolation='nearest'),
    lambda t: t.tensor([math.inf, 1.]).logsumexp(0),
    lambda t: t.tensor([-math.inf, -math.inf]).logsumexp(0),
    lambda t: t.tensor([[3., -4.], [1., 0.]]).norm('nuc'),
    lambda t: t.tensor([[3., -4.], [1., 0.]]).norm('bad'),
    lambda t: t.tensor([[3., -4.], [1., 0.]]).norm('fro', dim=(0, 1, 0)),
    lambda t: t.tensor([[3., -4.], [1., 0.]]).norm(p=3, dim=1, dtype=t.float64),
    lambda t: t.tensor([3., 4.], dtype=t.float16).norm(),
    lambda t: t.tensor([[1, 0], [3, 0]], dtype=t.uint8).all(0),
    lambda t: t.tensor([[1, 0], [3, 0]], dtype=t.uint8).any(),
    lambda t: t.zeros(0, 2).all(),
    lambda t: t.ones(2, 3, dtype=t.float16).sum().dtype,
    lambda t: t.ones(2, 3).sum(dtype=t.int32),
    lambda t: t.sum(t.arange(12.).view(3, 4), 1, out=t.empty(3)),
    lambda t: t.sum(t.arange(12.).view(3, 4), 1, out=t.empty(0, dtype=t.int64)),
    lambda t: t.max(t.arange(12.).view(3, 4), 1, out=(t.empty(0), t.empty(0, dtype=t.int64))),
    lambda t: t.mean(t.arange(12.).view(3, 4), 0, out=t.empty(4, dtype=t.float64)),
    lambda t: t.sum(t.arange(12.).view(3, 4), 1, out=t.empty(3, requires_grad=True)),
    lambda t: t.sum(t.ones(3, requires_grad=True), 0, out=t.empty(())),
    lambda t: t.cumsum(t.arange(12.).view(3, 4), 1, out=t.empty(12)),
    lambda t: t.median(t.arange(12.).view(3, 4), 1, out=(t.empty(3), t.empty(3, dtype=t.int64))),
    lambda t: t.logsumexp(t.arange(12.).view(3, 4), 1, out=t.empty(3)),
    lambda t: t.std(t.arange(12.).view(3, 4), 1, out=t.empty(0)),
    lambda t: t.arange(12.).view(3, 4).cumsum_(1),
    lambda t: t.arange(1, 7).view(2, 3).cumprod_(0),
    lambda t: t.sum(t.ones(2, 3), dim=1, keepdim=True),
    lambda t: t.max(t.tensor([1., 5.]), t.tensor([3., 2.])),
    lambda t: t.tensor([1., 5.]).min(t.tensor([[3.], [2.]])),
    lambda t: t.tensor([[True, False, True]]).max(1),
    lambda t: t.tensor([[True, False, True]]).mode(1),
    lambda t: t.tensor(True).median(),
    lambda t: t.zeros(3, 0, 2).median(2),
    lambda t: t.zeros(3, 0, 2).median(1),
    lambda t: t.zeros(3, 0, 2).mode(2),
    lambda t: t.zeros(0, 3).kthvalue(1),
])
def test_reduction_cases(expr):
    check(expr)


# ---------------------------------------------------------------------------------------
# gradients
# ---------------------------------------------------------------------------------------
def _rand(shape, seed, low=-2, high=2):
    return np.random.default_rng(seed).uniform(low, high, size=shape)


X = _rand((3, 4), 0)
POS = _rand((3, 4), 1, 0.5, 2)
GRAD_CASES = [
    ('sum', lambda t, x: x.sum(), X),
    ('sum_dim', lambda t, x: x.sum((0, -1), keepdim=True), X),
    ('sum_dtype', lambda t, x: x.sum(1, dtype=t.float32), X),
    ('nansum', lambda t, x: x.nansum(1), X),
    ('mean', lambda t, x: x.mean(), X),
    ('mean_dim', lambda t, x: x.mean(-1, keepdim=True), X),
    ('nanmean', lambda t, x: x.nanmean(0), X),
    ('prod', lambda t, x: x.prod(), X),
    ('prod_dim', lambda t, x: x.prod(1), X),
    ('max', lambda t, x: x.max(), X),
    ('max_dim', lambda t, x: x.max(1).values, X),
    ('min_dim_keepdim', lambda t, x: x.min(0, keepdim=True)[0], X),
    ('amax', lambda t, x: x.amax(1), X),
    ('amin', lambda t, x: x.amin(), X),
    ('aminmax', lambda t, x: x.aminmax(dim=0)[0] * 2 + x.aminmax(dim=0)[1], X),
    ('aminmax_max_only', lambda t, x: x.aminmax()[1], X),
    ('std', lambda t, x: x.std(), X),
    ('std_dim', lambda t, x: x.std(1, keepdim=True), X),
    ('var', lambda t, x: x.var(0, correction=0), X),
    ('std_mean', lambda t, x: t.std_mean(x, 1)[0] + t.std_mean(x, 1)[1] * 3, X),
    ('var_mean', lambda t, x: t.var_mean(x)[0] * t.var_mean(x)[1], X),
    ('var_mean_mean_only', lambda t, x: t.var_mean(x, 0)[1], X),
    ('norm', lambda t, x: x.norm(), X),
    ('norm_dim', lambda t, x: x.norm(dim=1), X),
    ('norm_1', lambda t, x: x.norm(1, dim=0), X),
    ('norm_3', lambda t, x: x.norm(3), X),
    ('norm_half', lambda t, x: x.norm(0.5, dim=1), X),
    ('norm_inf', lambda t, x: x.norm(math.inf, dim=1), X),
    ('norm_neg_inf', lambda t, x: x.norm(-math.inf), X),
    ('logsumexp', lambda t, x: x.logsumexp(1), X),
    ('logsumexp_tuple', lambda t, x: x.logsumexp((0, 1), keepdim=True), X),
    ('cumsum', lambda t, x: x.cumsum(1), X),
    ('cumsum_dim0', lambda t, x: x.cumsum(0), X),
    ('cumprod', lambda t, x: x.cumprod(1), X),
    ('cummax', lambda t, x: x.cummax(1).values, X),
    ('cummin', lambda t, x: x.cummin(0)[0], X),
    ('median', lambda t, x: x.median(), X),
    ('median_dim', lambda t, x: x.median(1).values, X),
    ('nanmedian_dim', lambda t, x: x.nanmedian(0)[0], X),
    ('kthvalue', lambda t, x: x.kthvalue(2, 1).values, X),
    ('mode', lambda t, x: x.mode(0)[0], X),
    ('quantile', lambda t, x: x.quantile(0.3), X),
    ('quantile_dim', lambda t, x: x.quantile(t.tensor([0.2, 0.9], dtype=x.dtype), dim=1), X),
    ('quantile_keepdim', lambda t, x: x.quantile(0.6, dim=0, keepdim=True), X),
    ('nanquantile', lambda t, x: x.nanquantile(0.5, dim=1, interpolation='midpoint'), X),
    ('sum_to_size', lambda t, x: x.sum_to_size(1, 4), X),
]
GRAD_FNS = {name: (fn, x) for name, fn, x in GRAD_CASES}
# piecewise: finite differences are fine away from ties, and the inputs have none
NO_DOUBLE = {'prod', 'prod_dim', 'cumprod', 'quantile', 'quantile_dim', 'quantile_keepdim',
             'nanquantile', 'sum_dtype'}
# sums in float32: finite differences in float32 are too coarse for gradcheck
NO_CHECK = {'sum_dtype'}


def _grads(torch, fn, array, weights_seed=3):
    x = torch.tensor(array, dtype=torch.float64, requires_grad=True)
    out = fn(torch, x)
    weights = torch.tensor(np.random.default_rng(weights_seed).uniform(
        0.5, 1.5, size=tuple(out.shape)), dtype=torch.float64)
    (out * weights).sum().backward()
    # (PyTorch's .grad may be an expanded view with zero strides)
    return out, x.grad.contiguous()


@pytest.mark.parametrize('name', [name for name, _, _ in GRAD_CASES])
def test_grad_matches_torch(name):
    fn, x = GRAD_FNS[name]
    check(lambda torch: _grads(torch, fn, x))


@pytest.mark.parametrize('name', [name for name, _, _ in GRAD_CASES if name not in NO_CHECK])
def test_gradcheck(name):
    fn, x = GRAD_FNS[name]
    inputs = ember.tensor(x, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda a: fn(ember, a), (inputs,))


@pytest.mark.parametrize('name', [name for name, _, _ in GRAD_CASES if name not in NO_DOUBLE])
def test_gradgradcheck(name):
    fn, x = GRAD_FNS[name]
    inputs = ember.tensor(x, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda a: fn(ember, a), (inputs,))


TIES = np.array([[1., 3., 3., 0.], [2., 2., 2., 2.], [0., 0., 5., 0.]])
ZEROS = np.array([[2., 0., 3., 4.], [0., 1., 0., 2.], [1., 2., 3., 4.]])


@pytest.mark.parametrize('expr', [
    lambda t: _grads(t, lambda t, x: x.max(), TIES),
    lambda t: _grads(t, lambda t, x: x.min(), TIES),
    lambda t: _grads(t, lambda t, x: x.max(1).values, TIES),
    lambda t: _grads(t, lambda t, x: x.min(1, keepdim=True).values, TIES),
    lambda t: _grads(t, lambda t, x: x.amax(1), TIES),
    lambda t: _grads(t, lambda t, x: x.amin((0, 1)), TIES),
    lambda t: _grads(t, lambda t, x: x.aminmax(dim=1)[0] + x.aminmax(dim=1)[1], TIES),
    lambda t: _grads(t, lambda t, x: x.median(), TIES),
    lambda t: _grads(t, lambda t, x: x.median(1).values, TIES),
    lambda t: _grads(t, lambda t, x: x.nanmedian(), TIES),
    lambda t: _grads(t, lambda t, x: x.mode(1).values, TIES),
    lambda t: _grads(t, lambda t, x: x.kthvalue(2, 1).values, TIES),
    lambda t: _grads(t, lambda t, x: x.cummax(1).values, TIES),
    lambda t: _grads(t, lambda t, x: x.cummin(1).values, TIES),
    lambda t: _grads(t, lambda t, x: x.norm(math.inf, dim=1), TIES),
    lambda t: _grads(t, lambda t, x: x.norm(), np.zeros((2, 2))),
    lambda t: _grads(t, lambda t, x: x.norm(dim=1), np.array([[0., 0.], [3., 4.]])),
    lambda t: _grads(t, lambda t, x: x.norm(0.5), np.array([[1., 0.], [-3., 4.]])),
    lambda t: _grads(t, lambda t, x: x.std(1), TIES),
    lambda t: _grads(t, lambda t, x: x.prod(), ZEROS),
    lambda t: _grads(t, lambda t, x: x.prod(1), ZEROS),
    lambda t: _grads(t, lambda t, x: x.prod(0, keepdim=True), ZEROS),
    lambda t: _grads(t, lambda t, x: x.cumprod(1), ZEROS),
    lambda t: _grads(t, lambda t, x: x.cumprod(0), ZEROS),
    lambda t: _grads(t, lambda t, x: x.logsumexp(1), np.array([[-math.inf, -math.inf],
                                                                [math.inf, 1.]])),
    lambda t: _grads(t, lambda t, x: x.quantile(0.5, dim=1), TIES),
    lambda t: _grads(t, lambda t, x: x.quantile(0.5, interpolation='nearest'), TIES),
    lambda t: _grads(t, lambda t, x: x.sum(), np.array(2.5)),
    lambda t: _grads(t, lambda t, x: x.prod(0), np.array(2.5)),
    lambda t: _grads(t, lambda t, x: x.cumsum(0), np.array(2.5)),
])
def test_grad_special_points(expr):
    check(expr)


@pytest.mark.parametrize('expr', [
    lambda t: t.ones(2, 3, requires_grad=True).sum(dim=()),
    lambda t: t.ones(2, 3, requires_grad=True).mean(()),
    lambda t: t.ones(2, 3, requires_grad=True).sum(dtype=t.float64),
    lambda t: t.ones(2, 3, requires_grad=True).prod(0, keepdim=True),
    lambda t: t.ones(2, 3, requires_grad=True).nanmean(),
    lambda t: t.std_mean(t.ones(2, 3, requires_grad=True)),
    lambda t: t.ones(2, 3, requires_grad=True).aminmax(),
    lambda t: t.ones(2, 3, requires_grad=True).max(1),
    lambda t: t.ones(2, 3, requires_grad=True).count_nonzero(),
    lambda t: t.ones(2, 3, requires_grad=True).any(),
    lambda t: t.ones(2, 3, requires_grad=True).argmax(),
    lambda t: t.ones(2, 3, requires_grad=True).quantile(0.5, dim=0, keepdim=True),
    lambda t: t.ones(2, 3, requires_grad=True).cummin(0),
])
def test_grad_fn_names(expr):
    check(expr)


# ---------------------------------------------------------------------------------------
# hand-computed values
# ---------------------------------------------------------------------------------------
def test_hand_computed_values():
    x = ember.tensor([[1., 2., 3.], [4., 5., 6.]])
    assert x.sum().item() == 21
    assert x.sum(0).tolist() == [5., 7., 9.]
    assert x.mean(1).tolist() == [2., 5.]
    assert x.prod(1).tolist() == [6., 120.]
    assert x.var(1).tolist() == [1., 1.]
    assert x.std(unbiased=False).item() == pytest.approx(math.sqrt(35 / 12))
    assert x.norm(1).item() == 21
    assert x.logsumexp(1).tolist() == pytest.approx(
        [math.log(sum(math.exp(v) for v in row)) for row in [[1, 2, 3], [4, 5, 6]]])
    assert x.cumsum(1).tolist() == [[1., 3., 6.], [4., 9., 15.]]
    assert x.cumprod(0).tolist() == [[1., 2., 3.], [4., 10., 18.]]
    assert ember.tensor([5, 1, 4, 2]).median().item() == 2
    assert ember.tensor([1., 2., 3., 4.]).quantile(0.5).item() == 2.5
    assert ember.tensor([7, 7, 1, 1, 3]).mode().values.item() == 1
    assert ember.tensor([True, True]).sum().dtype == ember.int64
    values, indices = ember.tensor([[3., 9., 1.]]).max(1)
    assert (values.tolist(), indices.tolist()) == ([9.], [1])
    assert repr(ember.tensor([[3., 9., 1.]]).max(1)) == (
        'ember.return_types.max(\nvalues=tensor([9.]),\nindices=tensor([1]))')


def test_empty_mean_grad():
    def run(torch):
        x = torch.zeros(0, 3, dtype=torch.float64, requires_grad=True)
        x.mean(0).sum().backward()
        return x.grad.shape, x.grad.dtype
    check(run)


# ---------------------------------------------------------------------------------------
# property: random shapes, dims and keepdim against PyTorch
# ---------------------------------------------------------------------------------------
from hypothesis import given, settings, strategies as st  # noqa: E402


@st.composite
def _shape_and_dims(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    dims = draw(st.lists(st.integers(-len(shape), len(shape) - 1), unique_by=lambda d: d % len(
        shape), min_size=1, max_size=len(shape)))
    return shape, tuple(dims)


_PROPERTY_OPS = {
    'sum': lambda t, x, dims, keep: x.sum(dims, keepdim=keep),
    'mean': lambda t, x, dims, keep: x.mean(dims, keepdim=keep),
    'amax': lambda t, x, dims, keep: x.amax(dims, keepdim=keep),
    'var': lambda t, x, dims, keep: x.var(dims, keepdim=keep),
    'norm': lambda t, x, dims, keep: x.norm(dim=dims, keepdim=keep),
    'logsumexp': lambda t, x, dims, keep: x.logsumexp(dims, keepdim=keep),
    'any': lambda t, x, dims, keep: (x > 0).any(dims[0], keepdim=keep),
    'max': lambda t, x, dims, keep: x.max(dims[0], keepdim=keep),
    'cumsum': lambda t, x, dims, keep: x.cumsum(dims[0]),
}


@settings(max_examples=120, deadline=None)
@given(_shape_and_dims(), st.booleans(), st.sampled_from(sorted(_PROPERTY_OPS)),
       st.booleans(), st.integers(0, 2**31))
def test_property_reductions(shape_dims, keepdim, name, transpose, seed):
    shape, dims = shape_dims
    values = np.random.default_rng(seed).standard_normal(shape)

    def run(torch):
        x = torch.tensor(values)
        if transpose and x.dim() > 1:
            x = x.transpose(0, -1)
        return _PROPERTY_OPS[name](torch, x, dims, keepdim)
    check(run, rtol=1e-10, atol=1e-12, check_repr=False)
