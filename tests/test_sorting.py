"""Sorting and sets against PyTorch: sort, argsort, msort, topk, unique, unique_consecutive,
bincount, histc, searchsorted, bucketize (values, dtypes, layouts, named tuples, errors,
gradients)."""
import numpy as np
import pytest

import ember
from oracle import check, requires_torch

pytestmark = [requires_torch, pytest.mark.filterwarnings('ignore::UserWarning')]

NAN = float('nan')
DTYPES = ['uint8', 'int8', 'int16', 'int32', 'int64', 'float16', 'float32', 'float64']


def mixed(torch, *shape, dtype=None):
    """Distinct values in a scrambled order (no ties), float32 unless ``dtype``."""
    n = 1
    for s in shape:
        n *= s
    return ((torch.arange(n) * 7) % (n + (n % 7 == 0))).reshape(shape).to(
        dtype or torch.float32)


def ties(torch, *shape, dtype=None):
    """Small values with many ties (for stability)."""
    n = 1
    for s in shape:
        n *= s
    return ((torch.arange(n) * 5) % 3).reshape(shape).to(dtype or torch.float32)


def nc(torch, dtype=None):
    return mixed(torch, 4, 3, dtype=dtype).t()


def grad_of(torch, fn, x):
    x = x.detach().to(torch.float64).requires_grad_(True)
    y = fn(x)
    w = torch.arange(1, y.numel() + 1, dtype=y.dtype).reshape(y.shape)
    (y * w).sum().backward()
    return x.grad


SORT = [
    ('sort', lambda torch: mixed(torch, 3, 4).sort()),
    ('sort_dim0', lambda torch: torch.sort(mixed(torch, 3, 4), dim=0)),
    ('sort_desc', lambda torch: mixed(torch, 3, 4).sort(descending=True)),
    ('sort_neg_dim', lambda torch: mixed(torch, 2, 3, 4).sort(-2)),
    ('sort_stable_ties', lambda torch: torch.sort(ties(torch, 2, 7), stable=True)),
    ('sort_stable_ties_desc', lambda torch: torch.sort(ties(torch, 2, 7), dim=1,
                                                       descending=True, stable=True)),
    ('sort_nan', lambda torch: torch.tensor([3., NAN, 1., NAN, -2.]).sort()),
    ('sort_nan_desc', lambda torch: torch.tensor([3., NAN, 1., NAN, -2.]).sort(descending=True)),
    ('sort_0d', lambda torch: torch.tensor(3.).sort()),
    ('sort_empty', lambda torch: torch.zeros(0, 3).sort()),
    ('sort_bool', lambda torch: torch.tensor([True, False, True]).sort()),
    ('sort_nc', lambda torch: nc(torch).sort(0)),
    ('sort_nc_dim1', lambda torch: nc(torch).sort(1)),
    ('sort_sliced', lambda torch: mixed(torch, 3, 8)[:, ::2].sort()),
    ('sort_sliced_3d', lambda torch: mixed(torch, 2, 3, 4).transpose(0, 1)[:, :, ::2].sort()),
    ('sort_expanded', lambda torch: torch.tensor([[2, 1]]).expand(3, 2).sort()),
    ('sort_complex', lambda torch: torch.tensor([1j, 2]).sort()),
    ('sort_bad_dim', lambda torch: mixed(torch, 3).sort(1)),
    ('sort_out', lambda torch: torch.sort(mixed(torch, 4), out=(torch.empty(4), torch.empty(
        4, dtype=torch.long)))),
    ('argsort', lambda torch: mixed(torch, 3, 4).argsort()),
    ('argsort_desc_dim0', lambda torch: torch.argsort(mixed(torch, 3, 4), dim=0,
                                                      descending=True)),
    ('argsort_stable', lambda torch: torch.argsort(ties(torch, 9), stable=True)),
    ('argsort_nc', lambda torch: nc(torch).argsort(0)),
    ('argsort_0d', lambda torch: torch.tensor(2).argsort()),
    ('msort', lambda torch: torch.msort(mixed(torch, 3, 4))),
    ('msort_method', lambda torch: nc(torch).msort()),
    ('topk', lambda torch: mixed(torch, 3, 5).topk(2)),
    ('topk_smallest', lambda torch: torch.topk(mixed(torch, 3, 5), 3, largest=False)),
    ('topk_dim0', lambda torch: mixed(torch, 3, 5).topk(2, dim=0)),
    ('topk_k0', lambda torch: mixed(torch, 3, 5).topk(0)),
    ('topk_all', lambda torch: mixed(torch, 5).topk(5)),
    ('topk_nan', lambda torch: torch.tensor([1., NAN, 3.]).topk(2)),
    ('topk_int', lambda torch: torch.tensor([3, 1, 2]).topk(2)),
    ('topk_0d', lambda torch: torch.tensor(3.).topk(1)),
    ('topk_0d_k0', lambda torch: torch.tensor(3.).topk(0)),
    ('topk_too_big', lambda torch: mixed(torch, 5).topk(6)),
    ('topk_negative', lambda torch: mixed(torch, 5).topk(-1)),
    ('topk_bool', lambda torch: torch.tensor([True, False]).topk(1)),
    ('topk_nc', lambda torch: nc(torch).topk(2, 0)),
    ('topk_unsorted_values', lambda torch: mixed(torch, 7).topk(3, sorted=False)[0].sort()),
]
for _d in DTYPES:
    SORT.append((f'sort_{_d}', lambda torch, d=_d: mixed(torch, 2, 5, dtype=getattr(
        torch, d)).sort(descending=True)))
    SORT.append((f'topk_{_d}', lambda torch, d=_d: mixed(torch, 2, 5, dtype=getattr(
        torch, d)).topk(2)))


@pytest.mark.parametrize('name,fn', SORT, ids=[c[0] for c in SORT])
def test_sort(name, fn):
    check(fn)


SETS = [
    ('unique', lambda torch: torch.unique(torch.tensor([3, 1, 2, 3, 1]))),
    ('unique_all', lambda torch: torch.unique(torch.tensor([3, 1, 2, 3, 1]), return_inverse=True,
                                              return_counts=True)),
    ('unique_counts', lambda torch: torch.tensor([3, 1, 3]).unique(return_counts=True)),
    ('unique_unsorted', lambda torch: torch.unique(torch.tensor([3, 1, 2, 5, 0]), sorted=False)),
    ('unique_2d', lambda torch: torch.unique(torch.tensor([[1, 3], [2, 3], [1, 3]]),
                                             return_inverse=True)),
    ('unique_dim0', lambda torch: torch.unique(torch.tensor([[1, 3], [2, 3], [1, 3]]), dim=0,
                                               return_inverse=True, return_counts=True)),
    ('unique_dim1', lambda torch: torch.unique(torch.tensor([[1, 3, 1], [2, 3, 2]]), dim=1,
                                               return_inverse=True, return_counts=True)),
    ('unique_dim_neg', lambda torch: torch.unique(torch.tensor([[2., 1.], [1., 2.]]).t(),
                                                  dim=-1, return_inverse=True)),
    ('unique_dim_3d', lambda torch: torch.unique(ties(torch, 2, 3, 2), dim=1,
                                                 return_counts=True)),
    ('unique_0d', lambda torch: torch.unique(torch.tensor(3), return_inverse=True,
                                             return_counts=True)),
    ('unique_empty', lambda torch: torch.unique(torch.tensor([]), return_inverse=True,
                                                return_counts=True)),
    ('unique_nan', lambda torch: torch.unique(torch.tensor([NAN, 1., NAN]), return_counts=True)),
    ('unique_bool', lambda torch: torch.unique(torch.tensor([True, False, True]))),
    ('unique_float16', lambda torch: torch.unique(ties(torch, 7, dtype=torch.float16))),
    ('unique_dim_0d', lambda torch: torch.unique(torch.tensor(3), dim=0)),
    ('unique_dim_empty', lambda torch: torch.unique(torch.zeros(0, 2), dim=0,
                                                    return_inverse=True, return_counts=True)),
    ('unique_dim_empty_other', lambda torch: torch.unique(torch.zeros(3, 0), dim=0)),
    ('unique_grad_fn', lambda torch: torch.tensor([2., 1., 2.], requires_grad=True).unique()),
    ('unique_dim_grad_fn', lambda torch: torch.tensor([[2., 1.]], requires_grad=True).unique(
        dim=0)),
    ('unique_consecutive', lambda torch: torch.unique_consecutive(
        torch.tensor([1, 1, 2, 2, 3, 1, 1, 2]))),
    ('unique_consecutive_all', lambda torch: torch.unique_consecutive(
        torch.tensor([1, 1, 2, 2, 3, 1, 1, 2]), return_inverse=True, return_counts=True)),
    ('unique_consecutive_2d', lambda torch: torch.tensor([[1, 3], [2, 3], [1, 3]])
     .unique_consecutive(return_inverse=True, return_counts=True)),
    ('unique_consecutive_dim', lambda torch: torch.unique_consecutive(
        torch.tensor([[1, 3], [1, 3], [2, 3], [1, 3]]), dim=0, return_inverse=True,
        return_counts=True)),
    ('unique_consecutive_dim1', lambda torch: torch.unique_consecutive(
        torch.tensor([[1, 1, 3], [2, 2, 3]]), dim=1, return_counts=True)),
    ('unique_consecutive_0d', lambda torch: torch.unique_consecutive(
        torch.tensor(5), return_inverse=True, return_counts=True)),
    ('unique_consecutive_empty', lambda torch: torch.unique_consecutive(
        torch.tensor([], dtype=torch.long), return_counts=True)),
    ('unique_consecutive_grad_fn', lambda torch: torch.tensor(
        [2., 2., 1.], requires_grad=True).unique_consecutive()),
    # bincount
    ('bincount', lambda torch: torch.bincount(torch.tensor([0, 1, 1, 3]))),
    ('bincount_minlength', lambda torch: torch.tensor([0, 1, 1, 3]).bincount(minlength=6)),
    ('bincount_minlength_small', lambda torch: torch.bincount(torch.tensor([5]), minlength=2)),
    ('bincount_w32', lambda torch: torch.bincount(torch.tensor([0, 1, 1, 3]),
                                                  weights=torch.tensor([.5, .5, 1., 2.]))),
    ('bincount_w64', lambda torch: torch.bincount(torch.tensor([0, 1, 1, 3]), weights=torch.tensor(
        [.5, .5, 1., 2.], dtype=torch.float64))),
    ('bincount_w_int', lambda torch: torch.bincount(torch.tensor([0, 1, 1, 3]),
                                                    weights=torch.tensor([1, 2, 3, 4]))),
    ('bincount_w_half', lambda torch: torch.bincount(torch.tensor([0, 1]),
                                                     weights=torch.tensor([1., 2.]).half())),
    ('bincount_w_bool', lambda torch: torch.bincount(torch.tensor([0, 1]),
                                                     weights=torch.tensor([True, True]))),
    ('bincount_uint8', lambda torch: torch.bincount(torch.tensor([1, 1], dtype=torch.uint8))),
    ('bincount_int32', lambda torch: torch.bincount(torch.tensor([2, 0], dtype=torch.int32))),
    ('bincount_empty', lambda torch: torch.bincount(torch.tensor([], dtype=torch.long))),
    ('bincount_empty_minlength', lambda torch: torch.bincount(
        torch.tensor([], dtype=torch.long), minlength=3)),
    ('bincount_negative', lambda torch: torch.bincount(torch.tensor([-1, 1]))),
    ('bincount_float', lambda torch: torch.bincount(torch.tensor([1., 1.]))),
    ('bincount_bool', lambda torch: torch.bincount(torch.tensor([True, False]))),
    ('bincount_2d', lambda torch: torch.bincount(torch.tensor([[1, 1]]))),
    ('bincount_weights_shape', lambda torch: torch.bincount(torch.tensor([0, 1]),
                                                            weights=torch.tensor([1.]))),
    ('bincount_neg_minlength', lambda torch: torch.bincount(torch.tensor([0]), minlength=-1)),
    ('bincount_grad_fn', lambda torch: (lambda r: (r.detach(), type(r.grad_fn).__name__,
                                                   r.grad_fn.name()))(torch.bincount(
        torch.tensor([0, 1]), weights=torch.tensor([1., 2.], requires_grad=True)))),
    # histc
    ('histc', lambda torch: torch.histc(torch.tensor([1., 2, 1]), bins=4, min=0, max=3)),
    ('histc_auto', lambda torch: torch.histc(torch.tensor([1., 2, 1, 2.5]), bins=4)),
    ('histc_default_bins', lambda torch: mixed(torch, 30).histc()),
    ('histc_const', lambda torch: torch.histc(torch.tensor([1., 1, 1]), bins=4)),
    ('histc_double', lambda torch: torch.histc(torch.tensor([1., 2, 1]).double(), bins=4, min=0,
                                               max=3)),
    ('histc_half', lambda torch: torch.histc(torch.tensor([1., 2.]).half(), bins=3)),
    ('histc_2d', lambda torch: torch.histc(mixed(torch, 3, 4), bins=5, min=2, max=9)),
    ('histc_empty', lambda torch: torch.histc(torch.tensor([]), bins=4)),
    ('histc_outside', lambda torch: torch.histc(torch.tensor([-1., 0, 3, 4]), bins=3, min=0,
                                                max=3)),
    ('histc_nan_ignored', lambda torch: torch.histc(torch.tensor([1., NAN]), bins=3, min=0,
                                                    max=3)),
    ('histc_int', lambda torch: torch.histc(torch.tensor([1, 2, 1]), bins=4)),
    ('histc_min_gt_max', lambda torch: torch.histc(torch.tensor([1.]), bins=3, min=3, max=0)),
    ('histc_bins0', lambda torch: torch.histc(torch.tensor([1.]), bins=0)),
    ('histc_inf', lambda torch: torch.histc(torch.tensor([1., float('inf')]), bins=3)),
    ('histc_method', lambda torch: torch.tensor([0.5, 0.25]).histc(bins=2, min=0, max=1)),
    # searchsorted / bucketize
    ('searchsorted', lambda torch: torch.searchsorted(torch.tensor([1, 3, 5, 7, 9]),
                                                      torch.tensor([[3, 6, 9], [3, 6, 9]]))),
    ('searchsorted_right', lambda torch: torch.searchsorted(
        torch.tensor([1, 3, 5, 7, 9]), torch.tensor([3, 6, 9]), right=True)),
    ('searchsorted_side', lambda torch: torch.searchsorted(
        torch.tensor([1, 3, 5, 7, 9]), torch.tensor([3, 6, 9]), side='right')),
    ('searchsorted_side_left', lambda torch: torch.searchsorted(
        torch.tensor([1, 3, 5, 7, 9]), torch.tensor([3, 6, 9]), side='left')),
    ('searchsorted_side_conflict', lambda torch: torch.searchsorted(
        torch.tensor([1, 3]), torch.tensor([3]), right=True, side='left')),
    ('searchsorted_side_bad', lambda torch: torch.searchsorted(
        torch.tensor([1, 3]), torch.tensor([3]), side='middle')),
    ('searchsorted_scalar', lambda torch: torch.searchsorted(torch.tensor([1, 3, 5]), 4)),
    ('searchsorted_scalar_float', lambda torch: torch.searchsorted(torch.tensor([1, 3, 5]), 4.5)),
    ('searchsorted_int32', lambda torch: torch.searchsorted(
        torch.tensor([1, 3, 5]), torch.tensor([3]), out_int32=True)),
    ('searchsorted_nd', lambda torch: torch.searchsorted(
        torch.tensor([[1, 3, 5], [2, 4, 6]]), torch.tensor([[3, 6], [1, 5]]))),
    ('searchsorted_nd_right', lambda torch: torch.searchsorted(
        torch.tensor([[1, 3, 5], [2, 4, 6]]), torch.tensor([[3, 6, 0], [1, 5, 4]]), right=True)),
    ('searchsorted_nd_bad', lambda torch: torch.searchsorted(
        torch.tensor([[1, 3, 5], [2, 4, 6]]), torch.tensor([[3, 6]]))),
    ('searchsorted_nd_1d_values', lambda torch: torch.searchsorted(
        torch.tensor([[1, 3, 5], [2, 4, 6]]), torch.tensor([3, 6]))),
    ('searchsorted_sorter', lambda torch: torch.searchsorted(
        torch.tensor([5, 1, 3]), torch.tensor([2, 4]), sorter=torch.tensor([1, 2, 0]))),
    ('searchsorted_mixed_dtypes', lambda torch: torch.searchsorted(
        torch.tensor([1., 3.]), torch.tensor([2]))),
    ('searchsorted_float_values', lambda torch: torch.searchsorted(
        torch.tensor([1, 3]), torch.tensor([2.5, 0.5]))),
    ('searchsorted_0d_values', lambda torch: torch.searchsorted(torch.tensor([1, 3, 5]),
                                                                torch.tensor(4))),
    ('searchsorted_0d_sequence', lambda torch: torch.searchsorted(torch.tensor(4),
                                                                  torch.tensor([4]))),
    ('searchsorted_nan', lambda torch: torch.searchsorted(torch.tensor([1., 3.]),
                                                          torch.tensor([NAN, 2.]))),
    ('searchsorted_empty', lambda torch: torch.searchsorted(torch.tensor([1., 3.]),
                                                            torch.zeros(0, 2))),
    ('bucketize', lambda torch: torch.bucketize(torch.tensor([[3, 6, 9], [1, 10, 0]]),
                                                torch.tensor([1, 3, 5, 7, 9]))),
    ('bucketize_right', lambda torch: torch.bucketize(torch.tensor([[3, 6, 9], [1, 10, 0]]),
                                                      torch.tensor([1, 3, 5, 7, 9]), right=True)),
    ('bucketize_scalar', lambda torch: torch.bucketize(3, torch.tensor([1, 3, 5]))),
    ('bucketize_float', lambda torch: torch.bucketize(torch.tensor([0.5, 3.5]),
                                                      torch.tensor([1., 2., 3.]))),
    ('bucketize_2d_boundaries', lambda torch: torch.bucketize(torch.tensor([3]),
                                                              torch.tensor([[1, 3]]))),
    ('bucketize_int32', lambda torch: torch.bucketize(torch.tensor([3]), torch.tensor([1, 3, 5]),
                                                      out_int32=True)),
    ('bucketize_method', lambda torch: torch.tensor([3, 4]).bucketize(torch.tensor([1, 3, 5]))),
    ('isin', lambda torch: torch.isin(torch.tensor([[1, 2], [3, 2]]), torch.tensor([2, 5]))),
    ('isin_invert', lambda torch: torch.isin(torch.tensor([1, 2]), torch.tensor([2.5, 1.]),
                                             invert=True)),
    ('isin_scalar_test', lambda torch: torch.isin(torch.tensor([1., 2.]), 2)),
    ('isin_scalar_elements', lambda torch: torch.isin(2, torch.tensor([1, 2]))),
    ('isin_promote', lambda torch: torch.isin(torch.tensor([1, 2]), torch.tensor([1.5, 2.]))),
    ('isin_empty', lambda torch: torch.isin(torch.zeros(0, 2), torch.tensor([1.]))),
]


@pytest.mark.parametrize('name,fn', SETS, ids=[c[0] for c in SETS])
def test_sets_and_counting(name, fn):
    check(fn)


SORT_GRADS = [
    ('sort', lambda x: x.sort(dim=-1)[0]),
    ('sort_desc_dim0', lambda x: x.sort(dim=0, descending=True).values),
    ('msort', lambda x: x.msort()),
    ('topk', lambda x: x.topk(2, dim=1)[0]),
    ('topk_smallest_dim0', lambda x: x.topk(2, dim=0, largest=False).values),
]


@pytest.mark.parametrize('name,fn', SORT_GRADS, ids=[c[0] for c in SORT_GRADS])
def test_sort_backward(name, fn):
    check(lambda torch: grad_of(torch, fn, mixed(torch, 3, 4)))
    check(lambda torch: fn(mixed(torch, 3, 4).requires_grad_()))
    x = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(fn, (x,))
    assert ember.autograd.gradgradcheck(fn, (x,))


def test_sort_0d_backward():
    check(lambda torch: grad_of(torch, lambda x: x.sort()[0] * 3, torch.tensor(2.)))


def test_sort_named_tuple():
    result = ember.sort(ember.tensor([[1., 3.], [2., 0.]]), dim=0)
    values, indices = result
    assert type(result).__name__ == 'sort' and result.values is values
    assert indices.tolist() == [[0, 1], [1, 0]]
    assert repr(result).startswith('ember.return_types.sort(\nvalues=tensor(')


def test_unique_is_a_plain_tuple_like_pytorch():
    result = ember.unique(ember.tensor([2, 2, 1]), return_counts=True)
    assert type(result) is tuple and result[1].tolist() == [1, 2]


def test_unique_dim_by_hand():
    x = ember.tensor([[1, 2], [0, 5], [1, 2], [0, 4]])
    out, inverse, counts = ember.unique(x, dim=0, return_inverse=True, return_counts=True)
    assert out.tolist() == [[0, 4], [0, 5], [1, 2]]
    assert inverse.tolist() == [2, 1, 2, 0]
    assert counts.tolist() == [1, 1, 2]
    assert (out[inverse] == x).all()


def test_histc_matches_numpy_histogram():
    data = np.linspace(-1, 2, 50)
    counts = ember.histc(ember.tensor(data), bins=6, min=-1, max=2)
    expected, _ = np.histogram(data, bins=6, range=(-1, 2))
    assert counts.tolist() == expected.astype(float).tolist()


def test_searchsorted_matches_numpy():
    rng = np.random.default_rng(0)
    seq = np.sort(rng.integers(0, 20, 15))
    values = rng.integers(-2, 22, (4, 5))
    for side in ('left', 'right'):
        got = ember.searchsorted(ember.tensor(seq), ember.tensor(values), side=side)
        assert got.tolist() == np.searchsorted(seq, values, side=side).tolist()


hypothesis = pytest.importorskip('hypothesis')
from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-3, 3), min_size=1, max_size=12), st.booleans())
def test_hypothesis_sort_and_unique_match_pytorch(values, descending):
    check(lambda torch: torch.tensor(values).sort(descending=descending, stable=True))
    check(lambda torch: torch.unique(torch.tensor(values), return_inverse=True,
                                     return_counts=True))
    check(lambda torch: torch.unique_consecutive(torch.tensor(values), return_inverse=True,
                                                 return_counts=True))


def test_on_simulated_cuda_matches_cpu():
    from ember.testing import simulated_cuda

    def run(device):
        x = (ember.arange(12., device=device) * 7 % 5).reshape(3, 4).requires_grad_()
        outs = OPS_ON_DEVICE(x * 1)
        loss = sum(o.sum() for o in outs if o.is_floating_point())
        loss.backward()
        return [o.detach() for o in outs], x.grad
    expected, grad = run('cpu')
    with simulated_cuda():
        got, got_grad = run('cuda')
        assert all(g.device.type == 'cuda' for g in got) and got_grad.device.type == 'cuda'
        for g, e in zip(got, expected):
            assert g.dtype == e.dtype and g.shape == e.shape and g.stride() == e.stride()
            np.testing.assert_array_equal(g.cpu().numpy(), e.numpy())
        np.testing.assert_array_equal(got_grad.cpu().numpy(), grad.numpy())


def OPS_ON_DEVICE(x):
    sorted_ = x.sort(1)
    return (sorted_.values, sorted_.indices, x.argsort(0), x.topk(2).values,
            x.detach().unique(), x.detach().unique_consecutive(), ember.bincount(x.detach().long().flatten()),
            x.detach().histc(4), ember.searchsorted(x.detach().sort().values, x.detach()),
            ember.bucketize(x.detach(), ember.tensor([1., 3.], device=x.device)),
            ember.isin(x.detach(), ember.tensor([2.], device=x.device)))
