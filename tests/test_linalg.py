"""Linear algebra: products (matmul and friends, einsum, tensordot, kron, cross, cdist) and
``ember.linalg`` (norms, inverses, decompositions, solvers), checked against PyTorch."""
import math
import warnings

import numpy as np
import pytest

import ember
from oracle import check, torch

warnings.filterwarnings('ignore', message='.*torch.cross without specifying the dim.*')
warnings.filterwarnings('ignore', message='.*deprecated.*')


def data(shape, dtype='float32', seed=0, low=-3, high=3, exact=False):
    """Deterministic array for a shape: integers for integer dtypes (and, with ``exact``, as
    integer-valued floats so that products are exact and print identically)."""
    rng = np.random.default_rng(abs(hash((tuple(shape), seed))) % 2**32)
    if dtype == 'bool':
        return rng.integers(0, 2, shape).astype(bool)
    if exact or dtype.startswith('int') or dtype.startswith('uint'):
        return rng.integers(low if not dtype.startswith('uint') else 0, high, shape).astype(
            dtype)
    return rng.standard_normal(shape).astype('float32' if dtype in ('float16', 'bfloat16')
                                             else dtype)


def mk(lib, shape, dtype='float32', rg=False, seed=0):
    """Integer-valued test data (exact products) in ``dtype``."""
    return lib.tensor(data(shape, dtype, seed, exact=True), dtype=getattr(lib, dtype),
                      requires_grad=rg)


def spd(lib, n, dtype='float64', rg=False, batch=(), seed=0):
    """A well-conditioned symmetric positive-definite matrix."""
    a = data(batch + (n, n), 'float64', seed)
    m = a @ np.swapaxes(a, -1, -2) + n * np.eye(n)
    return lib.tensor(m.astype(dtype), dtype=getattr(lib, dtype), requires_grad=rg)


def wellcond(lib, shape, dtype='float64', rg=False, seed=0):
    """A matrix (batch) with well separated singular values near the identity scale."""
    a = data(shape, 'float64', seed) * 0.3
    m, n = shape[-2:]
    a[..., np.arange(min(m, n)), np.arange(min(m, n))] += np.arange(1, min(m, n) + 1) * 1.5
    return lib.tensor(a.astype(dtype), dtype=getattr(lib, dtype), requires_grad=rg)


def grad_of(lib, fn, *inputs, seed=3):
    """Gradients of ``fn(*inputs)`` (tuple outputs summed with fixed random weights)."""
    out = fn(*inputs)
    outs = out if isinstance(out, tuple) else (out,)
    total = None
    for i, o in enumerate(outs):
        if o is None or not o.requires_grad:
            continue
        w = lib.tensor(data(tuple(o.shape), 'float64', seed + i), dtype=o.dtype)
        term = (o * w).sum()
        total = term if total is None else total + term
    total.backward()
    return tuple(x.grad for x in inputs)


# ---------------------------------------------------------------------------------------
# products: values, dtypes, grad_fn names, errors
# ---------------------------------------------------------------------------------------
def _mm_cases():
    rows = []
    for dt in ('float32', 'float64', 'float16', 'int64', 'int32', 'int8', 'uint8'):
        rows.append((f'mm_{dt}', lambda L, dt=dt: L.mm(mk(L, (2, 3), dt), mk(L, (3, 4), dt))))
        rows.append((f'matmul_batched_{dt}', lambda L, dt=dt: L.matmul(
            mk(L, (5, 2, 3), dt), mk(L, (5, 3, 4), dt))))
        rows.append((f'dot_{dt}', lambda L, dt=dt: L.dot(mk(L, (3,), dt), mk(L, (3,), dt))))
    return rows


MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
                 ((5, 2, 3), (3,)), ((5, 2, 3), (3, 4)), ((3,), (5, 3, 4)),
                 ((2, 3), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)), ((1, 2, 3), (5, 3, 4)),
                 ((5, 2, 3), (1, 3, 4)), ((6, 5, 2, 3), (5, 3, 4)), ((6, 1, 2, 3), (5, 3, 4)),
                 ((7, 5, 2, 3), (3,)), ((3,), (7, 5, 3, 4)), ((2, 3), (5, 3, 1)),
                 ((1, 3), (5, 3, 1)), ((0, 3), (3, 4)), ((2, 0), (0, 4)), ((0, 2, 3), (3, 4)),
                 ((2, 1, 2, 3), (1, 4, 3, 2))]


def _matmul_grad_cases():
    rows = []
    for sa, sb in MATMUL_SHAPES:
        for ra, rb in ((True, True), (True, False), (False, True), (False, False)):
            rows.append((f'matmul_{sa}_{sb}_{ra}_{rb}',
                         lambda L, sa=sa, sb=sb, ra=ra, rb=rb: L.matmul(
                             mk(L, sa, rg=ra), mk(L, sb, rg=rb, seed=1))))
    return rows


PRODUCT_CASES = _mm_cases() + _matmul_grad_cases() + [
    ('matmul_operator', lambda L: mk(L, (2, 3)) @ mk(L, (3, 2))),
    ('matmul_transposed', lambda L: mk(L, (3, 2)).t() @ mk(L, (4, 3)).t()),
    ('matmul_sliced', lambda L: mk(L, (4, 6))[::2, 1::2] @ mk(L, (3, 5))[:, ::2]),
    ('matmul_permuted_batch', lambda L: mk(L, (3, 5, 2), rg=True).permute(1, 0, 2) @
     mk(L, (2, 4))),
    ('matmul_permuted_batch_nograd', lambda L: mk(L, (3, 5, 2)).permute(1, 0, 2) @
     mk(L, (5, 2, 4))),
    ('matmul_0d', lambda L: L.matmul(mk(L, ()), mk(L, (3,)))),
    ('matmul_mixed_2d', lambda L: L.matmul(mk(L, (2, 3)), mk(L, (3, 4), 'float64'))),
    ('matmul_mixed_1d', lambda L: L.matmul(mk(L, (3,)), mk(L, (3,), 'float64'))),
    ('matmul_mixed_3d', lambda L: L.matmul(mk(L, (2, 2, 3), rg=True),
                                           mk(L, (2, 3, 4), 'float64', rg=True))),
    ('matmul_bad_11', lambda L: L.matmul(mk(L, (2,)), mk(L, (3,)))),
    ('matmul_bad_21', lambda L: L.matmul(mk(L, (2, 2)), mk(L, (3,)))),
    ('matmul_bad_12', lambda L: L.matmul(mk(L, (2,)), mk(L, (3, 4)))),
    ('matmul_bad_22', lambda L: L.matmul(mk(L, (2, 2)), mk(L, (3, 4)))),
    ('matmul_bad_32', lambda L: L.matmul(mk(L, (5, 2, 2)), mk(L, (3, 4)))),
    ('matmul_bad_31', lambda L: L.matmul(mk(L, (5, 2, 2)), mk(L, (3,)))),
    ('matmul_bad_33', lambda L: L.matmul(mk(L, (5, 2, 2)), mk(L, (5, 3, 4)))),
    ('matmul_bad_13', lambda L: L.matmul(mk(L, (2,), rg=True), mk(L, (5, 3, 4)))),
    ('matmul_bad_23', lambda L: L.matmul(mk(L, (2, 2), rg=True), mk(L, (5, 3, 4)))),
    ('matmul_bad_batch', lambda L: L.matmul(mk(L, (5, 2, 3)), mk(L, (4, 3, 4)))),
    ('matmul_bool', lambda L: L.matmul(mk(L, (2, 3), 'bool'), mk(L, (3, 4), 'bool'))),
    ('matmul_bool_3d', lambda L: L.matmul(mk(L, (5, 2, 3), 'bool'), mk(L, (5, 3, 4), 'bool'))),
    ('matmul_list', lambda L: L.matmul(mk(L, (2, 3)), [[1.0]])),
    ('matmul_out', lambda L: L.matmul(mk(L, (5, 2, 3)), mk(L, (3, 4)),
                                      out=L.empty(5, 2, 4))),
    ('matmul_out_grad', lambda L: L.matmul(mk(L, (2, 3), rg=True), mk(L, (3, 4)),
                                           out=L.empty(2, 4))),
    ('mm_out_dtype', lambda L: L.mm(mk(L, (2, 3)), mk(L, (3, 4)),
                                    out=L.empty(2, 4, dtype=L.float64))),
    ('mm_out', lambda L: L.mm(mk(L, (2, 3)), mk(L, (3, 4)), out=L.empty(0))),
    ('mm_bool', lambda L: L.mm(mk(L, (2, 3), 'bool'), mk(L, (3, 4), 'bool'))),
    ('mm_mixed', lambda L: L.mm(mk(L, (2, 3)), mk(L, (3, 4), 'float64'))),
    ('mm_int_float', lambda L: L.mm(mk(L, (2, 3), 'int64'), mk(L, (3, 4)))),
    ('mm_1d', lambda L: L.mm(mk(L, (3,)), mk(L, (3, 4)))),
    ('mm_1d_b', lambda L: L.mm(mk(L, (2, 3)), mk(L, (3,)))),
    ('mm_3d', lambda L: L.mm(mk(L, (2, 2, 3)), mk(L, (3, 4)))),
    ('mm_shapes', lambda L: L.mm(mk(L, (2, 3)), mk(L, (4, 4)))),
    ('mm_method_grad', lambda L: mk(L, (2, 3), rg=True).mm(mk(L, (3, 4)))),
    ('bmm', lambda L: L.bmm(mk(L, (4, 2, 3), rg=True), mk(L, (4, 3, 5), rg=True))),
    ('bmm_method', lambda L: mk(L, (4, 2, 3)).bmm(mk(L, (4, 3, 5)).transpose(1, 2)
                                                  .transpose(1, 2))),
    ('bmm_bad_k', lambda L: L.bmm(mk(L, (2, 2, 3)), mk(L, (2, 4, 4)))),
    ('bmm_bad_batch', lambda L: L.bmm(mk(L, (2, 2, 3)), mk(L, (3, 3, 4)))),
    ('bmm_2d', lambda L: L.bmm(mk(L, (2, 3)), mk(L, (2, 3, 4)))),
    ('bmm_2d_b', lambda L: L.bmm(mk(L, (2, 2, 3)), mk(L, (3, 4)))),
    ('bmm_mixed', lambda L: L.bmm(mk(L, (2, 2, 3)), mk(L, (2, 3, 4), 'float64'))),
    ('bmm_bool', lambda L: L.bmm(mk(L, (2, 2, 3), 'bool'), mk(L, (2, 3, 4), 'bool'))),
    ('mv', lambda L: L.mv(mk(L, (2, 3), rg=True), mk(L, (3,), rg=True))),
    ('mv_int', lambda L: L.mv(mk(L, (2, 3), 'int64'), mk(L, (3,), 'int64'))),
    ('mv_bad', lambda L: L.mv(mk(L, (2, 3)), mk(L, (4,)))),
    ('mv_dims', lambda L: L.mv(mk(L, (3,)), mk(L, (3,)))),
    ('mv_mixed', lambda L: L.mv(mk(L, (2, 3)), mk(L, (3,), 'float64'))),
    ('mv_bool', lambda L: L.mv(mk(L, (2, 3), 'bool'), mk(L, (3,), 'bool'))),
    ('dot_grad', lambda L: L.dot(mk(L, (3,), rg=True), mk(L, (3,), rg=True))),
    ('dot_empty', lambda L: L.dot(mk(L, (0,)), mk(L, (0,)))),
    ('dot_bad', lambda L: L.dot(mk(L, (2,)), mk(L, (3,)))),
    ('dot_dims', lambda L: L.dot(mk(L, (2, 2)), mk(L, (3,)))),
    ('dot_mixed', lambda L: L.dot(mk(L, (3,)), mk(L, (3,), 'float64'))),
    ('dot_bool', lambda L: L.dot(mk(L, (3,), 'bool'), mk(L, (3,), 'bool'))),
    ('vdot', lambda L: L.vdot(mk(L, (3,), rg=True), mk(L, (3,)))),
    ('vdot_int', lambda L: L.vdot(mk(L, (3,), 'int64'), mk(L, (3,), 'int64'))),
    ('vdot_f16', lambda L: L.vdot(mk(L, (3,), 'float16'), mk(L, (3,), 'float16'))),
    ('vdot_2d', lambda L: L.vdot(mk(L, (3, 3)), mk(L, (3,)))),
    ('inner', lambda L: L.inner(mk(L, (2, 3), rg=True), mk(L, (4, 3)))),
    ('inner_1d', lambda L: L.inner(mk(L, (3,), rg=True), mk(L, (3,)))),
    ('inner_3d', lambda L: L.inner(mk(L, (5, 2, 3), rg=True), mk(L, (4, 3)))),
    ('inner_0d', lambda L: L.inner(mk(L, (), rg=True), mk(L, (2, 3)))),
    ('inner_int', lambda L: L.inner(mk(L, (2, 3), 'int64'), mk(L, (4, 3), 'int64'))),
    ('inner_mixed', lambda L: L.inner(mk(L, (2, 3)), mk(L, (4, 3), 'float64'))),
    ('inner_bad', lambda L: L.inner(mk(L, (2, 3)), mk(L, (4, 2)))),
    ('outer', lambda L: L.outer(mk(L, (3,), rg=True), mk(L, (4,)))),
    ('outer_promote', lambda L: L.outer(mk(L, (3,), 'int64'), mk(L, (4,)))),
    ('outer_bool', lambda L: L.outer(mk(L, (3,), 'bool'), mk(L, (2,), 'bool'))),
    ('outer_2d', lambda L: L.outer(mk(L, (3, 2)), mk(L, (4,)))),
    ('ger', lambda L: L.ger(mk(L, (3,)), mk(L, (4,), rg=True))),
    ('outer_method', lambda L: mk(L, (3,)).outer(mk(L, (2,)))),
    ('addmm', lambda L: L.addmm(mk(L, (2, 4), rg=True), mk(L, (2, 3), rg=True),
                                mk(L, (3, 4), rg=True))),
    ('addmm_bias_row', lambda L: L.addmm(mk(L, (4,)), mk(L, (2, 3)), mk(L, (3, 4)),
                                         beta=0.5, alpha=2)),
    ('addmm_bias_0d', lambda L: L.addmm(mk(L, ()), mk(L, (2, 3)), mk(L, (3, 4)))),
    ('addmm_beta0_nan', lambda L: L.addmm(L.full((4,), float('nan')), mk(L, (2, 3)),
                                          mk(L, (3, 4)), beta=0)),
    ('addmm_int', lambda L: L.addmm(mk(L, (2, 4), 'int64'), mk(L, (2, 3), 'int64'),
                                    mk(L, (3, 4), 'int64'), alpha=2, beta=3)),
    ('addmm_f16', lambda L: L.addmm(mk(L, (2, 4), 'float16'), mk(L, (2, 3), 'float16'),
                                    mk(L, (3, 4), 'float16'))),
    ('addmm_bad_bias', lambda L: L.addmm(mk(L, (3,)), mk(L, (2, 3)), mk(L, (3, 4)))),
    ('addmm_bias_3d', lambda L: L.addmm(mk(L, (1, 2, 4)), mk(L, (2, 3)), mk(L, (3, 4)))),
    ('addmm_mixed', lambda L: L.addmm(mk(L, (2, 4), 'float64'), mk(L, (2, 3)), mk(L, (3, 4)))),
    ('addmm_1d', lambda L: L.addmm(mk(L, (2, 4)), mk(L, (3,)), mk(L, (3, 4)))),
    ('addmm_shapes', lambda L: L.addmm(mk(L, (2, 4)), mk(L, (2, 3)), mk(L, (2, 4)))),
    ('addmm_bool', lambda L: L.addmm(mk(L, (2, 2), 'bool'), mk(L, (2, 2), 'bool'),
                                     mk(L, (2, 2), 'bool'))),
    ('addmm_inplace', lambda L: mk(L, (2, 4)).addmm_(mk(L, (2, 3)), mk(L, (3, 4)), alpha=2)),
    ('addmm_inplace_bad', lambda L: mk(L, (4,)).addmm_(mk(L, (2, 3)), mk(L, (3, 4)))),
    ('addmv', lambda L: L.addmv(mk(L, (2,), rg=True), mk(L, (2, 3), rg=True),
                                mk(L, (3,), rg=True), beta=2, alpha=3)),
    ('addmv_bc', lambda L: L.addmv(mk(L, (1,)), mk(L, (2, 3)), mk(L, (3,)))),
    ('addmv_bad', lambda L: L.addmv(mk(L, (3,)), mk(L, (2, 3)), mk(L, (3,)))),
    ('addmv_mixed', lambda L: L.addmv(mk(L, (2,), 'float64'), mk(L, (2, 3)), mk(L, (3,)))),
    ('addmv_inplace', lambda L: mk(L, (2,)).addmv_(mk(L, (2, 3)), mk(L, (3,)))),
    ('addbmm', lambda L: L.addbmm(mk(L, (2, 4), rg=True), mk(L, (5, 2, 3), rg=True),
                                  mk(L, (5, 3, 4), rg=True))),
    ('addbmm_bc', lambda L: L.addbmm(mk(L, (4,)), mk(L, (5, 2, 3)), mk(L, (5, 3, 4)),
                                     beta=0.5, alpha=2)),
    ('addbmm_int', lambda L: L.addbmm(mk(L, (2, 4), 'int64'), mk(L, (5, 2, 3), 'int64'),
                                      mk(L, (5, 3, 4), 'int64'))),
    ('addbmm_bad', lambda L: L.addbmm(mk(L, (3,)), mk(L, (5, 2, 3)), mk(L, (5, 3, 4)))),
    ('addbmm_batches', lambda L: L.addbmm(mk(L, (2, 4)), mk(L, (5, 2, 3)), mk(L, (4, 3, 4)))),
    ('addbmm_k', lambda L: L.addbmm(mk(L, (2, 4)), mk(L, (5, 2, 3)), mk(L, (5, 4, 4)))),
    ('addbmm_mixed', lambda L: L.addbmm(mk(L, (2, 4), 'float64'), mk(L, (5, 2, 3)),
                                        mk(L, (5, 3, 4)))),
    ('baddbmm', lambda L: L.baddbmm(mk(L, (5, 2, 4), rg=True), mk(L, (5, 2, 3), rg=True),
                                    mk(L, (5, 3, 4), rg=True))),
    ('baddbmm_bc', lambda L: L.baddbmm(mk(L, (2, 4)), mk(L, (5, 2, 3)), mk(L, (5, 3, 4)),
                                       beta=0.5, alpha=2)),
    ('baddbmm_bad', lambda L: L.baddbmm(mk(L, (3, 2, 4)), mk(L, (5, 2, 3)), mk(L, (5, 3, 4)))),
    ('baddbmm_mixed', lambda L: L.baddbmm(mk(L, (5, 2, 4), 'float64'), mk(L, (5, 2, 3)),
                                          mk(L, (5, 3, 4)))),
    ('baddbmm_k', lambda L: L.baddbmm(mk(L, (5, 2, 4)), mk(L, (5, 2, 3)), mk(L, (5, 4, 4)))),
    ('baddbmm_inplace', lambda L: mk(L, (5, 2, 4)).baddbmm_(mk(L, (5, 2, 3)),
                                                            mk(L, (5, 3, 4)))),
]


@pytest.mark.parametrize('name,fn', PRODUCT_CASES, ids=[c[0] for c in PRODUCT_CASES])
def test_products(name, fn):
    check(fn, rtol=2e-3 if 'f16' in name or 'float16' in name else 1e-5, atol=1e-3)


# ---------------------------------------------------------------------------------------
# tensordot, einsum, kron, cross, cdist
# ---------------------------------------------------------------------------------------
CONTRACTION_CASES = [
    ('td_int_dims', lambda L: L.tensordot(mk(L, (3, 4, 5), rg=True), mk(L, (4, 5, 6)), dims=2)),
    ('td_zero', lambda L: L.tensordot(mk(L, (3, 4), rg=True), mk(L, (5, 6)), dims=0)),
    ('td_lists', lambda L: L.tensordot(mk(L, (3, 4, 5), rg=True), mk(L, (4, 3, 6), rg=True),
                                       dims=([0, 1], [1, 0]))),
    ('td_single', lambda L: L.tensordot(mk(L, (3, 4, 5)), mk(L, (4, 3, 6)),
                                        dims=([0], [1]))),
    ('td_negative', lambda L: L.tensordot(mk(L, (3, 4, 5)), mk(L, (4, 5, 6)),
                                          dims=([-2, -1], [0, 1]))),
    ('td_tensor_dims', lambda L: L.tensordot(mk(L, (3, 4, 5)), mk(L, (4, 5, 6)),
                                             dims=L.tensor(2))),
    ('td_full', lambda L: L.tensordot(mk(L, (3, 4), rg=True), mk(L, (3, 4)), dims=2)),
    ('td_broadcast_dim', lambda L: L.tensordot(mk(L, (3, 1), rg=True), mk(L, (4, 6), rg=True),
                                               dims=([1], [0]))),
    ('td_int', lambda L: L.tensordot(mk(L, (3, 4, 5), 'int64'), mk(L, (4, 5, 6), 'int64'))),
    ('td_ints_pair', lambda L: L.tensordot(mk(L, (3, 4, 5)), mk(L, (4, 3, 6)), dims=(0, 1))),
    ('td_bad_sizes', lambda L: L.tensordot(mk(L, (3, 4, 5)), mk(L, (4, 5, 6)),
                                           dims=([0], [0]))),
    ('td_too_many', lambda L: L.tensordot(mk(L, (3, 4, 5)), mk(L, (4, 5, 6)), dims=4)),
    ('td_negative_count', lambda L: L.tensordot(mk(L, (3, 4, 5)), mk(L, (4, 5, 6)), dims=-1)),
    ('td_mixed', lambda L: L.tensordot(mk(L, (3, 4, 5)), mk(L, (4, 5, 6), 'float64'))),
    ('td_lengths', lambda L: L.tensordot(mk(L, (3, 4, 5)), mk(L, (4, 5, 6)),
                                         dims=([1, 2], [0]))),
    ('td_dim_range', lambda L: L.tensordot(mk(L, (3, 4)), mk(L, (4, 5)), dims=([2], [0]))),
    ('td_dup', lambda L: L.tensordot(mk(L, (3, 4)), mk(L, (4, 4)), dims=([1, 1], [0, 1]))),
    ('es_matmul', lambda L: L.einsum('ij,jk->ik', mk(L, (2, 3), rg=True), mk(L, (3, 4)))),
    ('es_list', lambda L: L.einsum('ij,jk->ik', [mk(L, (2, 3)), mk(L, (3, 4), rg=True)])),
    ('es_trace', lambda L: L.einsum('ii', mk(L, (3, 3), rg=True))),
    ('es_diag', lambda L: L.einsum('ii->i', mk(L, (3, 3), rg=True))),
    ('es_diag_nograd', lambda L: L.einsum('ii->i', mk(L, (3, 3)))),
    ('es_transpose', lambda L: L.einsum('ij->ji', mk(L, (3, 4), rg=True))),
    ('es_transpose_nograd', lambda L: L.einsum('ij->ji', mk(L, (3, 4)))),
    ('es_sum', lambda L: L.einsum('ij->', mk(L, (3, 4), rg=True))),
    ('es_sum_dim', lambda L: L.einsum('ijk->kj', mk(L, (2, 3, 4), rg=True))),
    ('es_implicit', lambda L: L.einsum('ij,jk', mk(L, (2, 3), rg=True), mk(L, (3, 4)))),
    ('es_implicit_sorted', lambda L: L.einsum('ba', mk(L, (2, 3), rg=True))),
    ('es_ellipsis', lambda L: L.einsum('...ij,...jk->...ik', mk(L, (5, 2, 3), rg=True),
                                       mk(L, (3, 4), rg=True))),
    ('es_ellipsis_sum', lambda L: L.einsum('i...->...', mk(L, (5, 2, 3), rg=True))),
    ('es_ellipsis_bc', lambda L: L.einsum('...i,...i->...', mk(L, (5, 1, 3), rg=True),
                                          mk(L, (4, 3), rg=True))),
    ('es_outer', lambda L: L.einsum('i,j->ij', mk(L, (2,), rg=True), mk(L, (3,)))),
    ('es_outer_t', lambda L: L.einsum('i,j->ji', mk(L, (2,), rg=True), mk(L, (3,)))),
    ('es_bilinear', lambda L: L.einsum('bn,anm,bm->ba', mk(L, (2, 3), rg=True),
                                       mk(L, (4, 3, 5), rg=True), mk(L, (2, 5), rg=True))),
    ('es_spaces', lambda L: L.einsum(' i j , j k -> i k ', mk(L, (2, 3)), mk(L, (3, 4)))),
    ('es_permuted_out', lambda L: L.einsum('bij,bjk->kbi', mk(L, (5, 2, 3), rg=True),
                                           mk(L, (5, 3, 4)))),
    ('es_three', lambda L: L.einsum('ij,jk,kl->li', mk(L, (2, 3), rg=True), mk(L, (3, 4)),
                                    mk(L, (4, 5), rg=True))),
    ('es_broadcast', lambda L: L.einsum('ij,ij->ij', mk(L, (1, 3), rg=True),
                                        mk(L, (4, 3), rg=True))),
    ('es_vector', lambda L: L.einsum('i', mk(L, (3,), rg=True))),
    ('es_0d', lambda L: L.einsum('', mk(L, (), rg=True))),
    ('es_0d_product', lambda L: L.einsum(',i->i', mk(L, (), rg=True), mk(L, (3,)))),
    ('es_repeated_3', lambda L: L.einsum('iij->j', mk(L, (3, 3, 2), rg=True))),
    ('es_rowdot', lambda L: L.einsum('ij,ij->i', mk(L, (3, 3), rg=True), mk(L, (3, 3)))),
    ('es_upper', lambda L: L.einsum('Ab,bC->AC', mk(L, (2, 3)), mk(L, (3, 4), rg=True))),
    ('es_int', lambda L: L.einsum('ij,jk->ik', mk(L, (2, 3), 'int64'),
                                  mk(L, (3, 4), 'int64'))),
    ('es_f16', lambda L: L.einsum('ij,jk->ik', mk(L, (2, 3), 'float16'),
                                  mk(L, (3, 4), 'float16'))),
    ('es_sublist', lambda L: L.einsum(mk(L, (2, 3)), [0, 1], mk(L, (3, 4)), [1, 2], [0, 2])),
    ('es_mixed', lambda L: L.einsum('ij,jk->ik', mk(L, (2, 3)), mk(L, (3, 4), 'float64'))),
    ('es_bad_size', lambda L: L.einsum('ij,jk->ik', mk(L, (2, 3)), mk(L, (4, 4)))),
    ('es_too_few', lambda L: L.einsum('ij,jk->ik', mk(L, (2, 3)))),
    ('es_too_many', lambda L: L.einsum('i', mk(L, (2,)), mk(L, (2,)))),
    ('es_bad_ndim', lambda L: L.einsum('ijk,jk->ik', mk(L, (2, 3)), mk(L, (3, 4)))),
    ('es_bad_output', lambda L: L.einsum('ij,jk->iz', mk(L, (2, 3)), mk(L, (3, 4)))),
    ('es_output_twice', lambda L: L.einsum('ij,jk->ii', mk(L, (2, 3)), mk(L, (3, 4)))),
    ('es_bad_char', lambda L: L.einsum('i1', mk(L, (2, 2)))),
    ('es_bad_repeat', lambda L: L.einsum('ii', mk(L, (2, 3)))),
    ('es_bad_ellipsis', lambda L: L.einsum('...i,...i', mk(L, (2, 3)), mk(L, (4, 3)))),
    ('es_dot_dot', lambda L: L.einsum('i..', mk(L, (2, 3)))),
    ('es_no_operands', lambda L: L.einsum('i')),
    ('es_bool', lambda L: L.einsum('ij,jk->ik', mk(L, (2, 3), 'bool'), mk(L, (3, 4), 'bool'))),
    ('kron', lambda L: L.kron(mk(L, (2, 3), rg=True), mk(L, (4, 5), rg=True))),
    ('kron_ranks', lambda L: L.kron(mk(L, (2,), rg=True), mk(L, (4, 5)))),
    ('kron_3d', lambda L: L.kron(mk(L, (2, 1, 2)), mk(L, (3, 2), rg=True))),
    ('kron_0d', lambda L: L.kron(mk(L, (), rg=True), mk(L, (2,)))),
    ('kron_promote', lambda L: L.kron(mk(L, (2,), 'int64'), mk(L, (4, 5)))),
    ('kron_bool', lambda L: L.kron(mk(L, (2,), 'bool'), mk(L, (2,), 'bool'))),
    ('kron_int', lambda L: L.kron(mk(L, (2, 2), 'int64'), mk(L, (2, 2), 'int64'))),
    ('cross_dim', lambda L: L.cross(mk(L, (4, 3), rg=True), mk(L, (4, 3), rg=True), dim=1)),
    ('cross_default', lambda L: L.cross(mk(L, (3, 4)), mk(L, (3, 4)))),
    ('cross_broadcast', lambda L: L.cross(mk(L, (1, 3), rg=True), mk(L, (4, 3)), dim=-1)),
    ('cross_no_3', lambda L: L.cross(mk(L, (4, 2)), mk(L, (4, 2)))),
    ('cross_bad_dim', lambda L: L.cross(mk(L, (4, 2)), mk(L, (4, 2)), dim=1)),
    ('cross_int', lambda L: L.cross(mk(L, (4, 3), 'int64'), mk(L, (4, 3), 'int64'), dim=1)),
    ('cross_mixed', lambda L: L.cross(mk(L, (4, 3), 'int64'), mk(L, (4, 3)), dim=1)),
    ('cross_ranks', lambda L: L.cross(mk(L, (4, 3)), mk(L, (3,)), dim=1)),
    ('cross_bool', lambda L: L.cross(mk(L, (3,), 'bool'), mk(L, (3,), 'bool'), dim=0)),
    ('cross_dim_range', lambda L: L.cross(mk(L, (4, 3)), mk(L, (4, 3)), dim=2)),
    ('cross_method', lambda L: mk(L, (4, 3)).cross(mk(L, (4, 3)), dim=1)),
    ('linalg_cross', lambda L: L.linalg.cross(mk(L, (4, 3), rg=True), mk(L, (4, 3)))),
    ('linalg_cross_bad', lambda L: L.linalg.cross(mk(L, (3, 4)), mk(L, (3, 4)))),
    ('linalg_cross_ranks', lambda L: L.linalg.cross(mk(L, (3,)), mk(L, (4, 3)))),
    ('cdist', lambda L: L.cdist(mk(L, (4, 3), rg=True), mk(L, (5, 3), rg=True))),
    ('cdist_p1', lambda L: L.cdist(mk(L, (4, 3)), mk(L, (5, 3)), p=1)),
    ('cdist_p0', lambda L: L.cdist(mk(L, (4, 3)), mk(L, (5, 3)), p=0)),
    ('cdist_pinf', lambda L: L.cdist(mk(L, (4, 3)), mk(L, (5, 3)), p=float('inf'))),
    ('cdist_p3', lambda L: L.cdist(mk(L, (4, 3), rg=True), mk(L, (5, 3)), p=3)),
    ('cdist_batch', lambda L: L.cdist(mk(L, (2, 4, 3), rg=True), mk(L, (1, 5, 3)))),
    ('cdist_mm', lambda L: L.cdist(mk(L, (30, 3), rg=True), mk(L, (6, 3)))),
    ('cdist_mm_forced', lambda L: L.cdist(mk(L, (4, 3), rg=True), mk(L, (5, 3)),
                                          compute_mode='use_mm_for_euclid_dist')),
    ('cdist_mm_p1', lambda L: L.cdist(mk(L, (40, 3), rg=True), mk(L, (5, 3)), p=1)),
    ('cdist_f64', lambda L: L.cdist(mk(L, (4, 3), 'float64'), mk(L, (5, 3), 'float64'))),
    ('cdist_empty', lambda L: L.cdist(mk(L, (0, 3), rg=True), mk(L, (5, 3)))),
    ('cdist_no_cols', lambda L: L.cdist(mk(L, (4, 0)), mk(L, (5, 0)))),
    ('cdist_1d', lambda L: L.cdist(mk(L, (3,)), mk(L, (5, 3)))),
    ('cdist_cols', lambda L: L.cdist(mk(L, (4, 3)), mk(L, (5, 2)))),
    ('cdist_int', lambda L: L.cdist(mk(L, (4, 3), 'int64'), mk(L, (5, 3), 'int64'))),
    ('cdist_negative_p', lambda L: L.cdist(mk(L, (4, 3)), mk(L, (5, 3)), p=-1)),
    ('cdist_mixed', lambda L: L.cdist(mk(L, (4, 3)), mk(L, (5, 3), 'float64'))),
    ('cdist_f16', lambda L: L.cdist(mk(L, (4, 3), 'float16'), mk(L, (5, 3), 'float16'))),
    ('cdist_mode', lambda L: L.cdist(mk(L, (4, 3)), mk(L, (5, 3)), compute_mode='foo')),
    ('cdist_batch_bad', lambda L: L.cdist(mk(L, (2, 4, 3)), mk(L, (3, 5, 3)))),
]


@pytest.mark.parametrize('name,fn', CONTRACTION_CASES, ids=[c[0] for c in CONTRACTION_CASES])
def test_contractions(name, fn):
    check(fn, rtol=2e-3 if 'f16' in name else 1e-5, atol=1e-3 if 'f16' in name else 1e-5,
          check_repr='cdist' not in name)


# ---------------------------------------------------------------------------------------
# ember.linalg
# ---------------------------------------------------------------------------------------
def _linalg_cases():
    la = [
        ('vn', lambda L: L.linalg.vector_norm(mk(L, (3, 4), rg=True))),
        ('vn_ord1_dim', lambda L: L.linalg.vector_norm(mk(L, (3, 4), rg=True), 1, dim=1)),
        ('vn_inf', lambda L: L.linalg.vector_norm(mk(L, (3, 4), rg=True), float('inf'))),
        ('vn_ninf', lambda L: L.linalg.vector_norm(mk(L, (3, 4)), float('-inf'), dim=-1)),
        ('vn_0', lambda L: L.linalg.vector_norm(mk(L, (3, 4), rg=True), 0)),
        ('vn_3_keepdim', lambda L: L.linalg.vector_norm(mk(L, (3, 4), rg=True), 3, dim=(0, 1),
                                                        keepdim=True)),
        ('vn_half_ord', lambda L: L.linalg.vector_norm(mk(L, (3, 4)), 0.5)),
        ('vn_neg_ord', lambda L: L.linalg.vector_norm(mk(L, (3, 4)), -1)),
        ('vn_dim_list', lambda L: L.linalg.vector_norm(mk(L, (3, 4, 2)), dim=[0, 2])),
        ('vn_dtype', lambda L: L.linalg.vector_norm(mk(L, (3, 4), rg=True),
                                                    dtype=L.float64)),
        ('vn_f16', lambda L: L.linalg.vector_norm(mk(L, (3, 4), 'float16'))),
        ('vn_empty', lambda L: L.linalg.vector_norm(mk(L, (0, 4)))),
        ('vn_empty_inf', lambda L: L.linalg.vector_norm(mk(L, (0, 4)), float('inf'))),
        ('vn_empty_inf_dim', lambda L: L.linalg.vector_norm(mk(L, (0, 4)), float('inf'),
                                                            dim=1)),
        ('vn_empty_neg', lambda L: L.linalg.vector_norm(mk(L, (0, 4)), -1)),
        ('vn_0d', lambda L: L.linalg.vector_norm(mk(L, (), rg=True))),
        ('vn_transposed', lambda L: L.linalg.vector_norm(mk(L, (3, 4)).t(), dim=0)),
        ('vn_int', lambda L: L.linalg.vector_norm(mk(L, (3, 4), 'int64'))),
        ('vn_int_dtype', lambda L: L.linalg.vector_norm(mk(L, (3, 4)), dtype=L.int64)),
        ('vn_dim_range', lambda L: L.linalg.vector_norm(mk(L, (3, 4)), dim=2)),
        ('vn_dim_dup', lambda L: L.linalg.vector_norm(mk(L, (3, 4)), dim=(1, 1))),
        ('vn_str', lambda L: L.linalg.vector_norm(mk(L, (3, 4)), 'fro')),
        ('mn', lambda L: L.linalg.matrix_norm(mk(L, (3, 4), rg=True))),
        ('mn_batch_keep', lambda L: L.linalg.matrix_norm(mk(L, (2, 3, 4)), keepdim=True)),
        ('mn_dim', lambda L: L.linalg.matrix_norm(mk(L, (2, 3, 4)), dim=(0, 2))),
        ('mn_dtype', lambda L: L.linalg.matrix_norm(mk(L, (3, 4)), dtype=L.float64)),
        ('mn_bad_ord', lambda L: L.linalg.matrix_norm(mk(L, (3, 4)), 3)),
        ('mn_bad_str', lambda L: L.linalg.matrix_norm(mk(L, (3, 4)), 'foo')),
        ('mn_1d', lambda L: L.linalg.matrix_norm(mk(L, (3,)))),
        ('mn_int', lambda L: L.linalg.matrix_norm(mk(L, (3, 3), 'int64'))),
        ('mn_same_dims', lambda L: L.linalg.matrix_norm(mk(L, (2, 3, 4)), dim=(1, 1))),
        ('mn_f16_2', lambda L: L.linalg.matrix_norm(mk(L, (3, 4), 'float16'), 2)),
        ('norm', lambda L: L.linalg.norm(mk(L, (3, 4), rg=True))),
        ('norm_vec', lambda L: L.linalg.norm(mk(L, (3,)))),
        ('norm_3d', lambda L: L.linalg.norm(mk(L, (2, 3, 4)))),
        ('norm_3d_ord', lambda L: L.linalg.norm(mk(L, (2, 3, 4)), 2)),
        ('norm_2d_ord', lambda L: L.linalg.norm(mk(L, (3, 4), rg=True), 2)),
        ('norm_1d_ord', lambda L: L.linalg.norm(mk(L, (3,)), 3)),
        ('norm_1d_fro', lambda L: L.linalg.norm(mk(L, (3,)), 'fro')),
        ('norm_dim', lambda L: L.linalg.norm(mk(L, (3, 4)), dim=1)),
        ('norm_nuc_dims', lambda L: L.linalg.norm(mk(L, (3, 4), rg=True), 'nuc', dim=(0, 1))),
        ('norm_3dims', lambda L: L.linalg.norm(mk(L, (3, 4, 2)), dim=(0, 1, 2))),
        ('norm_int', lambda L: L.linalg.norm(mk(L, (3, 4), 'int64'))),
        ('inv', lambda L: L.linalg.inv(wellcond(L, (3, 3), 'float32', rg=True))),
        ('inv_f64', lambda L: L.linalg.inv(wellcond(L, (3, 3)))),
        ('inv_batch', lambda L: L.linalg.inv(wellcond(L, (2, 3, 3), 'float32', rg=True))),
        ('inv_empty', lambda L: L.linalg.inv(mk(L, (0, 0), rg=True))),
        ('inv_int', lambda L: L.linalg.inv(mk(L, (3, 3), 'int64'))),
        ('inv_f16', lambda L: L.linalg.inv(mk(L, (3, 3), 'float16'))),
        ('inv_nonsquare', lambda L: L.linalg.inv(mk(L, (3, 4)))),
        ('inv_1d', lambda L: L.linalg.inv(mk(L, (3,)))),
        ('inverse', lambda L: L.inverse(wellcond(L, (3, 3), 'float32', rg=True))),
        ('inverse_method', lambda L: wellcond(L, (3, 3)).inverse()),
        ('inv_ex', lambda L: L.linalg.inv_ex(wellcond(L, (2, 3, 3)))),
        ('det', lambda L: L.linalg.det(wellcond(L, (3, 3), 'float32', rg=True))),
        ('det_batch', lambda L: L.linalg.det(wellcond(L, (2, 3, 3), rg=True))),
        ('det_singular', lambda L: L.linalg.det(L.zeros(3, 3))),
        ('det_empty', lambda L: L.linalg.det(mk(L, (0, 0), rg=True))),
        ('det_int', lambda L: L.linalg.det(mk(L, (3, 3), 'int64'))),
        ('det_f16', lambda L: L.linalg.det(mk(L, (3, 3), 'float16'))),
        ('det_nonsquare', lambda L: L.linalg.det(mk(L, (3, 4)))),
        ('det_top', lambda L: L.det(wellcond(L, (3, 3), rg=True))),
        ('det_method', lambda L: wellcond(L, (3, 3)).det()),
        ('slogdet', lambda L: L.linalg.slogdet(wellcond(L, (3, 3), 'float32', rg=True))),
        ('slogdet_negative', lambda L: L.linalg.slogdet(-L.eye(3))),
        ('slogdet_singular', lambda L: L.linalg.slogdet(L.zeros(3, 3))),
        ('slogdet_top', lambda L: L.slogdet(wellcond(L, (2, 3, 3), rg=True))),
        ('logdet', lambda L: L.logdet(spd(L, 3, rg=True))),
        ('logdet_negative', lambda L: L.logdet(-L.eye(3))),
        ('logdet_singular', lambda L: L.logdet(L.zeros(3, 3))),
        ('solve', lambda L: L.linalg.solve(wellcond(L, (3, 3), 'float32', rg=True),
                                           mk(L, (3, 2), rg=True))),
        ('solve_vec', lambda L: L.linalg.solve(wellcond(L, (3, 3), 'float32'), mk(L, (3,)))),
        ('solve_batch_vec', lambda L: L.linalg.solve(wellcond(L, (2, 3, 3)),
                                                     mk(L, (2, 3), 'float64'))),
        ('solve_batch_vec2', lambda L: L.linalg.solve(wellcond(L, (4, 2, 3, 3)),
                                                      mk(L, (4, 2, 3), 'float64'))),
        ('solve_vec_bc', lambda L: L.linalg.solve(wellcond(L, (4, 3, 3)),
                                                  mk(L, (3,), 'float64'))),
        ('solve_batch_bc', lambda L: L.linalg.solve(wellcond(L, (2, 3, 3)),
                                                    mk(L, (3, 4), 'float64'))),
        ('solve_batch_bc2', lambda L: L.linalg.solve(wellcond(L, (4, 1, 3, 3)),
                                                     mk(L, (2, 3, 5), 'float64'))),
        ('solve_right', lambda L: L.linalg.solve(wellcond(L, (3, 3), rg=True),
                                                 mk(L, (2, 3), 'float64'), left=False)),
        ('solve_right_batch', lambda L: L.linalg.solve(wellcond(L, (2, 3, 3)),
                                                       mk(L, (2, 5, 3), 'float64'),
                                                       left=False)),
        ('solve_right_vec', lambda L: L.linalg.solve(wellcond(L, (3, 3)),
                                                     mk(L, (3,), 'float64'), left=False)),
        ('solve_bad', lambda L: L.linalg.solve(wellcond(L, (3, 3)), mk(L, (4, 2), 'float64'))),
        ('solve_bad_vec', lambda L: L.linalg.solve(wellcond(L, (2, 3, 3)),
                                                   mk(L, (5, 3), 'float64'))),
        ('solve_mixed', lambda L: L.linalg.solve(wellcond(L, (3, 3), 'float32'),
                                                 mk(L, (3, 2), 'float64'))),
        ('solve_int', lambda L: L.linalg.solve(mk(L, (3, 3), 'int64'), mk(L, (3,), 'int64'))),
        ('solve_ex', lambda L: L.linalg.solve_ex(wellcond(L, (3, 3)), mk(L, (3,), 'float64'))),
        ('qr', lambda L: L.linalg.qr(wellcond(L, (4, 3), 'float32', rg=True))),
        ('qr_wide', lambda L: L.linalg.qr(wellcond(L, (3, 4), rg=True))),
        ('qr_complete', lambda L: L.linalg.qr(wellcond(L, (4, 3)), mode='complete')),
        ('qr_r', lambda L: L.linalg.qr(wellcond(L, (4, 3), rg=True), mode='r')),
        ('qr_batch', lambda L: L.linalg.qr(wellcond(L, (2, 4, 3), rg=True))),
        ('qr_mode', lambda L: L.linalg.qr(mk(L, (4, 3)), mode='foo')),
        ('qr_int', lambda L: L.linalg.qr(mk(L, (4, 3), 'int64'))),
        ('qr_top', lambda L: L.qr(wellcond(L, (4, 3), rg=True))),
        ('qr_top_some', lambda L: L.qr(wellcond(L, (4, 3)), some=False)),
        ('cholesky', lambda L: L.linalg.cholesky(spd(L, 3, 'float32', rg=True))),
        ('cholesky_upper', lambda L: L.linalg.cholesky(spd(L, 3, rg=True), upper=True)),
        ('cholesky_batch', lambda L: L.linalg.cholesky(spd(L, 3, batch=(2,)))),
        ('cholesky_nonsquare', lambda L: L.linalg.cholesky(mk(L, (3, 4)))),
        ('cholesky_top', lambda L: L.cholesky(spd(L, 3, rg=True))),
        ('cholesky_top_upper', lambda L: L.cholesky(spd(L, 3), upper=True)),
        ('cholesky_ex', lambda L: L.linalg.cholesky_ex(-spd(L, 3))),
        ('svdvals', lambda L: L.linalg.svdvals(wellcond(L, (4, 3), 'float32', rg=True))),
        ('svdvals_batch', lambda L: L.linalg.svdvals(wellcond(L, (2, 3, 4)))),
        ('svd_empty', lambda L: L.linalg.svd(mk(L, (0, 3)))),
        ('svd_int', lambda L: L.linalg.svd(mk(L, (3, 3), 'int64'))),
        ('eigvalsh', lambda L: L.linalg.eigvalsh(spd(L, 3, 'float32', rg=True))),
        ('eigvalsh_upper', lambda L: L.linalg.eigvalsh(mk(L, (3, 3), 'float64'), UPLO='U')),
        ('eigvalsh_batch', lambda L: L.linalg.eigvalsh(spd(L, 3, batch=(2,)))),
        ('eigh_bad_uplo', lambda L: L.linalg.eigh(spd(L, 3), UPLO='X')),
        ('eigh_nonsquare', lambda L: L.linalg.eigh(mk(L, (3, 4)))),
        ('eigh_int', lambda L: L.linalg.eigh(mk(L, (3, 3), 'int64'))),
        ('pinv', lambda L: L.linalg.pinv(wellcond(L, (4, 3), 'float32', rg=True))),
        ('pinv_wide', lambda L: L.linalg.pinv(wellcond(L, (3, 4), rg=True))),
        ('pinv_batch', lambda L: L.linalg.pinv(wellcond(L, (2, 4, 3)))),
        ('pinv_hermitian', lambda L: L.linalg.pinv(spd(L, 3, rg=True), hermitian=True)),
        ('pinv_rtol', lambda L: L.linalg.pinv(wellcond(L, (4, 3)), rtol=0.5)),
        ('pinv_atol', lambda L: L.linalg.pinv(wellcond(L, (4, 3)), atol=2.0)),
        ('pinv_rcond', lambda L: L.linalg.pinv(wellcond(L, (4, 3)), rcond=0.5)),
        ('pinv_rank_deficient', lambda L: L.linalg.pinv(L.ones(3, 4, dtype=L.float64))),
        ('pinv_int', lambda L: L.linalg.pinv(mk(L, (4, 3), 'int64'))),
        ('pinverse', lambda L: L.pinverse(wellcond(L, (4, 3), rg=True))),
        ('lstsq', lambda L: L.linalg.lstsq(wellcond(L, (4, 3), rg=True),
                                           mk(L, (4, 2), 'float64', rg=True))),
        ('lstsq_gelsd', lambda L: L.linalg.lstsq(wellcond(L, (4, 3)), mk(L, (4, 2), 'float64'),
                                                 driver='gelsd')),
        ('lstsq_gelss', lambda L: L.linalg.lstsq(wellcond(L, (4, 3)), mk(L, (4, 2), 'float64'),
                                                 driver='gelss')),
        ('lstsq_gels', lambda L: L.linalg.lstsq(wellcond(L, (4, 3)), mk(L, (4, 2), 'float64'),
                                                driver='gels')),
        ('lstsq_wide', lambda L: L.linalg.lstsq(wellcond(L, (3, 4)), mk(L, (3, 2), 'float64'),
                                                driver='gelsd')),
        ('lstsq_batch', lambda L: L.linalg.lstsq(wellcond(L, (2, 4, 3)),
                                                 mk(L, (2, 4, 2), 'float64'), driver='gelsd')),
        ('lstsq_vec', lambda L: L.linalg.lstsq(wellcond(L, (4, 3)), mk(L, (4,), 'float64'),
                                               driver='gelsd')),
        ('lstsq_vec_batch', lambda L: L.linalg.lstsq(wellcond(L, (2, 4, 3)),
                                                     mk(L, (2, 4), 'float64'), driver='gelsd')),
        ('lstsq_bad', lambda L: L.linalg.lstsq(mk(L, (4, 3)), mk(L, (5, 2)))),
        ('lstsq_driver', lambda L: L.linalg.lstsq(mk(L, (4, 3)), mk(L, (4, 2)), driver='foo')),
        ('lstsq_bc', lambda L: L.linalg.lstsq(mk(L, (2, 4, 3)), mk(L, (4, 2)))),
        ('rank', lambda L: L.linalg.matrix_rank(wellcond(L, (4, 3)))),
        ('rank_deficient', lambda L: L.linalg.matrix_rank(L.ones(3, 4))),
        ('rank_tol', lambda L: L.linalg.matrix_rank(wellcond(L, (4, 3)), tol=2.0)),
        ('rank_atol_rtol', lambda L: L.linalg.matrix_rank(wellcond(L, (4, 3)), atol=0.5,
                                                          rtol=0.5)),
        ('rank_hermitian', lambda L: L.linalg.matrix_rank(spd(L, 3), hermitian=True)),
        ('rank_batch', lambda L: L.linalg.matrix_rank(wellcond(L, (2, 4, 3)))),
        ('rank_int', lambda L: L.linalg.matrix_rank(mk(L, (4, 3), 'int64'))),
        ('rank_1d', lambda L: L.linalg.matrix_rank(mk(L, (4,)))),
        ('mpow_0', lambda L: L.linalg.matrix_power(mk(L, (3, 3)), 0)),
        ('mpow_1', lambda L: L.linalg.matrix_power(mk(L, (3, 3), rg=True), 1)),
        ('mpow_2', lambda L: L.linalg.matrix_power(mk(L, (3, 3), rg=True), 2)),
        ('mpow_3', lambda L: L.linalg.matrix_power(mk(L, (3, 3), rg=True), 3)),
        ('mpow_5', lambda L: L.linalg.matrix_power(mk(L, (3, 3), 'float64', rg=True), 5)),
        ('mpow_6', lambda L: L.linalg.matrix_power(mk(L, (3, 3), 'float64'), 6)),
        ('mpow_neg1', lambda L: L.linalg.matrix_power(wellcond(L, (3, 3), rg=True), -1)),
        ('mpow_neg2', lambda L: L.linalg.matrix_power(wellcond(L, (3, 3), rg=True), -2)),
        ('mpow_batch', lambda L: L.linalg.matrix_power(mk(L, (2, 3, 3), rg=True), 3)),
        ('mpow_int', lambda L: L.linalg.matrix_power(mk(L, (3, 3), 'int64'), 3)),
        ('mpow_int_neg', lambda L: L.linalg.matrix_power(mk(L, (3, 3), 'int64'), -1)),
        ('mpow_nonsquare', lambda L: L.linalg.matrix_power(mk(L, (3, 4)), 2)),
        ('mpow_1d', lambda L: L.linalg.matrix_power(mk(L, (3,)), 2)),
        ('mpow_top', lambda L: L.matrix_power(mk(L, (3, 3), rg=True), 3)),
        ('mpow_method', lambda L: mk(L, (3, 3)).matrix_power(2)),
        ('multi_dot', lambda L: L.linalg.multi_dot([mk(L, (2, 3), rg=True), mk(L, (3, 4)),
                                                    mk(L, (4, 5), rg=True)])),
        ('multi_dot_2', lambda L: L.linalg.multi_dot([mk(L, (2, 3), rg=True), mk(L, (3, 4))])),
        ('multi_dot_vecs', lambda L: L.linalg.multi_dot([mk(L, (3,), rg=True), mk(L, (3, 4)),
                                                         mk(L, (4,))])),
        ('multi_dot_vec_first', lambda L: L.linalg.multi_dot([mk(L, (3,)), mk(L, (3, 4)),
                                                              mk(L, (4, 5), rg=True)])),
        ('multi_dot_long', lambda L: L.linalg.multi_dot([mk(L, (10, 2)), mk(L, (2, 30)),
                                                         mk(L, (30, 3)), mk(L, (3, 8)),
                                                         mk(L, (8, 1))])),
        ('multi_dot_one', lambda L: L.linalg.multi_dot([mk(L, (3, 4))])),
        ('multi_dot_bad', lambda L: L.linalg.multi_dot([mk(L, (2, 3)), mk(L, (4, 4))])),
        ('multi_dot_3d', lambda L: L.linalg.multi_dot([mk(L, (2, 2, 3)), mk(L, (3, 4))])),
        ('multi_dot_mid_1d', lambda L: L.linalg.multi_dot([mk(L, (2, 3)), mk(L, (3,)),
                                                           mk(L, (3, 4))])),
        ('multi_dot_mixed', lambda L: L.linalg.multi_dot([mk(L, (2, 3)),
                                                          mk(L, (3, 4), 'float64')])),
        ('chain_matmul', lambda L: L.chain_matmul(mk(L, (2, 3)), mk(L, (3, 4)),
                                                  mk(L, (4, 5)))),
        ('linalg_matmul', lambda L: L.linalg.matmul(mk(L, (5, 2, 3), rg=True), mk(L, (3, 4)))),
    ]
    for ord in ('fro', 'nuc', 2, -2, 1, -1, math.inf, -math.inf):
        la.append((f'mn_{ord}', lambda L, o=ord: L.linalg.matrix_norm(
            wellcond(L, (3, 4), 'float32', rg=True), o)))
        la.append((f'mn_keep_{ord}', lambda L, o=ord: L.linalg.matrix_norm(
            wellcond(L, (2, 3, 4), rg=True), o, keepdim=True)))
        la.append((f'mn_dims_{ord}', lambda L, o=ord: L.linalg.matrix_norm(
            wellcond(L, (3, 2, 4)), o, dim=(2, 0))))
    return la


LINALG_CASES = _linalg_cases()


@pytest.mark.parametrize('name,fn', LINALG_CASES, ids=[c[0] for c in LINALG_CASES])
def test_linalg(name, fn):
    check(fn, rtol=1e-4, atol=1e-4 if 'f16' not in name else 1e-2, check_repr=False)


# Decompositions whose factors are unique only up to signs: compare sign-free quantities.
def _svd_invariants(L, full):
    U, S, Vh = L.linalg.svd(wellcond(L, (4, 3), rg=True), full_matrices=full)
    k = S.shape[-1]
    return (U[..., :k] * Vh[..., :k, :].mT[..., :1, :].sign(), S,
            Vh[..., :k, :].abs(), U.shape, Vh.shape, U.stride(), Vh.stride(), U.grad_fn.name())


DECOMPOSITION_CASES = [
    ('svd', lambda L: _svd_invariants(L, True)),
    ('svd_reduced', lambda L: _svd_invariants(L, False)),
    ('svd_reconstruct', lambda L: (lambda r: (r.U[:, :3] * r.S) @ r.Vh)(
        L.linalg.svd(wellcond(L, (4, 3))))),
    ('svd_type', lambda L: type(L.linalg.svd(wellcond(L, (3, 3)))).__name__),
    ('svd_legacy', lambda L: (lambda r: (r[0].abs(), r[1], r[2].abs(), r[2].stride(),
                                         r[2].grad_fn.name(), type(r).__name__))(
        L.svd(wellcond(L, (4, 3), rg=True)))),
    ('svd_legacy_full', lambda L: (lambda r: (r[0].shape, r[1], r[2].shape))(
        L.svd(wellcond(L, (4, 3)), some=False))),
    ('svd_legacy_no_uv', lambda L: L.svd(wellcond(L, (4, 3), rg=True), compute_uv=False)),
    ('svd_batch', lambda L: (lambda r: (r[0].abs(), r[1], r[2].abs()))(
        L.linalg.svd(wellcond(L, (2, 4, 3))))),
    ('svd_wide', lambda L: (lambda r: (r[0].abs(), r[1], r[2].abs()))(
        L.linalg.svd(wellcond(L, (3, 4)), full_matrices=False))),
    ('eigh', lambda L: (lambda r: (r[0], r[1].abs(), type(r).__name__))(
        L.linalg.eigh(spd(L, 3, rg=True)))),
    ('eigh_upper', lambda L: (lambda r: (r[0], r[1].abs()))(
        L.linalg.eigh(mk(L, (3, 3), 'float64'), UPLO='U'))),
    ('eigh_batch', lambda L: (lambda r: (r[0], r[1].abs()))(
        L.linalg.eigh(spd(L, 3, batch=(2,))))),
    ('lstsq_type', lambda L: type(L.linalg.lstsq(wellcond(L, (4, 3)),
                                                 mk(L, (4, 2), 'float64'))).__name__),
    ('slogdet_type', lambda L: (type(L.linalg.slogdet(wellcond(L, (3, 3)))).__name__,
                                type(L.slogdet(wellcond(L, (3, 3)))).__name__)),
    ('qr_type', lambda L: (type(L.linalg.qr(wellcond(L, (3, 3)))).__name__,
                           type(L.qr(wellcond(L, (3, 3)))).__name__)),
]


@pytest.mark.parametrize('name,fn', DECOMPOSITION_CASES,
                         ids=[c[0] for c in DECOMPOSITION_CASES])
def test_decompositions(name, fn):
    check(fn, rtol=1e-4, atol=1e-4, check_repr=False)


def _linalg_error(fn):
    with pytest.raises(torch.linalg.LinAlgError) as t_err:
        fn(torch)
    with pytest.raises(ember.linalg.LinAlgError) as e_err:
        fn(ember)
    assert isinstance(e_err.value, RuntimeError)
    assert str(e_err.value) == str(t_err.value)


@pytest.mark.parametrize('fn', [
    lambda L: L.linalg.inv(L.zeros(3, 3)),
    lambda L: L.linalg.inv(L.tensor([[1.0, 2.0], [2.0, 4.0]])),
    lambda L: L.linalg.inv(L.stack([L.eye(2), L.zeros(2, 2)])),
    lambda L: L.linalg.solve(L.zeros(3, 3), L.ones(3, 2)),
    lambda L: L.linalg.solve(L.stack([L.eye(2), L.zeros(2, 2)]), L.ones(2, 2)),
    lambda L: L.linalg.cholesky(-L.eye(3)),
    lambda L: L.linalg.cholesky(L.tensor([[1.0, 2.0], [2.0, 1.0]])),
    lambda L: L.linalg.cholesky(L.stack([L.eye(2), -L.eye(2)])),
    lambda L: L.inverse(L.zeros(2, 2)),
])
def test_linalg_errors(fn):
    assert issubclass(ember.linalg.LinAlgError, RuntimeError)
    if torch is None:   # without the oracle, the error type alone
        with pytest.raises(ember.linalg.LinAlgError):
            fn(ember)
        return
    _linalg_error(fn)


# ---------------------------------------------------------------------------------------
# gradients: .grad against PyTorch, gradcheck and gradgradcheck in float64
# ---------------------------------------------------------------------------------------
GRAD_CASES = [
    ('mm', lambda L, a, b: a.mm(b), [(2, 3), (3, 4)]),
    ('bmm', lambda L, a, b: a.bmm(b), [(2, 2, 3), (2, 3, 4)]),
    ('mv', lambda L, a, b: a.mv(b), [(2, 3), (3,)]),
    ('dot', lambda L, a, b: a.dot(b), [(3,), (3,)]),
    ('vdot', lambda L, a, b: L.vdot(a, b), [(3,), (3,)]),
    ('matmul_vm', lambda L, a, b: a @ b, [(3,), (3, 4)]),
    ('matmul_bc', lambda L, a, b: a @ b, [(2, 1, 2, 3), (4, 3, 2)]),
    ('matmul_fold', lambda L, a, b: a @ b, [(5, 2, 3), (3, 4)]),
    ('matmul_fold_t', lambda L, a, b: a @ b, [(2, 3), (5, 3, 4)]),
    ('matmul_bv', lambda L, a, b: a @ b, [(5, 2, 3), (3,)]),
    ('matmul_vb', lambda L, a, b: a @ b, [(3,), (5, 3, 2)]),
    ('matmul_squeeze_batch', lambda L, a, b: a @ b, [(1, 2, 3), (5, 3, 4)]),
    ('addmm', lambda L, c, a, b: L.addmm(c, a, b, beta=0.5, alpha=2), [(4,), (2, 3), (3, 4)]),
    ('addmv', lambda L, c, a, b: L.addmv(c, a, b, beta=2, alpha=-1), [(1,), (2, 3), (3,)]),
    ('addbmm', lambda L, c, a, b: L.addbmm(c, a, b, alpha=3), [(2, 4), (3, 2, 3), (3, 3, 4)]),
    ('baddbmm', lambda L, c, a, b: L.baddbmm(c, a, b, beta=2), [(2, 4), (3, 2, 3), (3, 3, 4)]),
    ('inner', lambda L, a, b: L.inner(a, b), [(2, 3), (4, 3)]),
    ('outer', lambda L, a, b: L.outer(a, b), [(2,), (3,)]),
    ('tensordot', lambda L, a, b: L.tensordot(a, b, ([0, 2], [1, 0])), [(3, 4, 2), (2, 3, 5)]),
    ('tensordot_bc', lambda L, a, b: L.tensordot(a, b, ([1], [0])), [(3, 1), (4, 2)]),
    ('einsum_matmul', lambda L, a, b: L.einsum('ij,jk->ik', a, b), [(2, 3), (3, 4)]),
    ('einsum_diag', lambda L, a: L.einsum('ii->i', a), [(3, 3)]),
    ('einsum_trace', lambda L, a: L.einsum('ii', a), [(3, 3)]),
    ('einsum_repeated', lambda L, a, b: L.einsum('iij,jk->ik', a, b), [(2, 2, 3), (3, 4)]),
    ('einsum_ellipsis', lambda L, a, b: L.einsum('...ij,...jk->...ik', a, b),
     [(2, 4, 2, 3), (4, 3, 2)]),
    ('einsum_ell_mid', lambda L, a, b: L.einsum('i...j,j->...i', a, b), [(2, 3, 4), (4,)]),
    ('einsum_lonely', lambda L, a, b: L.einsum('ij,k->i', a, b), [(2, 3), (4,)]),
    ('einsum_bc_label', lambda L, a, b: L.einsum('ij,jk->ik', a, b), [(2, 1), (3, 4)]),
    ('einsum_three', lambda L, a, b, c: L.einsum('ij,jk,kl->li', a, b, c),
     [(2, 3), (3, 4), (4, 2)]),
    ('einsum_bilinear', lambda L, a, w, b: L.einsum('bn,anm,bm->ba', a, w, b),
     [(2, 3), (4, 3, 2), (2, 2)]),
    ('einsum_transpose', lambda L, a: L.einsum('ij->ji', a), [(2, 3)]),
    ('kron', lambda L, a, b: L.kron(a, b), [(2, 3), (2, 2)]),
    ('kron_ranks', lambda L, a, b: L.kron(a, b), [(2,), (2, 3)]),
    ('cross', lambda L, a, b: L.linalg.cross(a, b), [(2, 3), (1, 3)]),
    ('cdist', lambda L, a, b: L.cdist(a, b), [(4, 3), (5, 3)]),
    ('cdist_mm', lambda L, a, b: L.cdist(a, b, compute_mode='use_mm_for_euclid_dist'),
     [(4, 3), (5, 3)]),
    ('cdist_p1', lambda L, a, b: L.cdist(a, b, p=1), [(4, 3), (5, 3)]),
    ('cdist_p3', lambda L, a, b: L.cdist(a, b, p=3), [(2, 4, 3), (5, 3)]),
    ('cdist_pinf', lambda L, a, b: L.cdist(a, b, p=float('inf')), [(4, 3), (5, 3)]),
    ('vector_norm', lambda L, a: L.linalg.vector_norm(a), [(3, 4)]),
    ('vector_norm_dim', lambda L, a: L.linalg.vector_norm(a, 3, dim=1), [(3, 4)]),
    ('vector_norm_keep', lambda L, a: L.linalg.vector_norm(a, 1.5, dim=(0, 2), keepdim=True),
     [(2, 3, 4)]),
    ('vector_norm_inf', lambda L, a: L.linalg.vector_norm(a, float('inf'), dim=0), [(3, 4)]),
    ('vector_norm_1', lambda L, a: L.linalg.vector_norm(a, 1), [(3, 4)]),
    ('matrix_norm_nuc', lambda L, a: L.linalg.matrix_norm(a, 'nuc'), [(3, 4)]),
    ('matrix_norm_2', lambda L, a: L.linalg.matrix_norm(a, 2), [(2, 3, 4)]),
    ('matrix_norm_1', lambda L, a: L.linalg.matrix_norm(a, 1), [(3, 4)]),
]


def _contiguous_outputs(fn):
    """gradgradcheck seeds its output gradients with clones of the outputs and then needs
    them C-contiguous; linalg results are column-major, so hand it contiguous copies."""
    def wrapped(*xs):
        out = fn(*xs)
        if isinstance(out, tuple):
            return tuple(o.contiguous() for o in out)
        return out.contiguous()
    return wrapped


def _grad_inputs(L, shapes, seed=0):
    return [L.tensor(data(s, 'float64', seed + i), dtype=L.float64, requires_grad=True)
            for i, s in enumerate(shapes)]


@pytest.mark.parametrize('name,fn,shapes', GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_grads_match_torch(name, fn, shapes):
    check(lambda L: grad_of(L, lambda *xs: fn(L, *xs), *_grad_inputs(L, shapes)),
          rtol=1e-6, atol=1e-8, check_repr=False)


@pytest.mark.parametrize('name,fn,shapes', GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradcheck(name, fn, shapes):
    inputs = _grad_inputs(ember, shapes)
    assert ember.autograd.gradcheck(lambda *xs: fn(ember, *xs), inputs)


GRADGRAD = {'mm', 'matmul_bc', 'matmul_fold_t', 'addmm', 'tensordot', 'einsum_matmul',
            'einsum_repeated', 'kron', 'cross', 'cdist', 'vector_norm', 'vector_norm_dim'}


@pytest.mark.parametrize('name,fn,shapes', [c for c in GRAD_CASES if c[0] in GRADGRAD],
                         ids=[c[0] for c in GRAD_CASES if c[0] in GRADGRAD])
def test_gradgradcheck(name, fn, shapes):
    inputs = _grad_inputs(ember, shapes)
    assert ember.autograd.gradgradcheck(_contiguous_outputs(lambda *xs: fn(ember, *xs)),
                                        inputs)


def _sym(x):
    return (x + x.mT) / 2


DECOMP_GRADS = [
    ('inv', lambda L, a: L.linalg.inv(a), 'wellcond', (3, 3)),
    ('inv_batch', lambda L, a: L.linalg.inv(a), 'wellcond', (2, 3, 3)),
    ('det', lambda L, a: L.linalg.det(a), 'wellcond', (3, 3)),
    ('det_batch', lambda L, a: L.linalg.det(a), 'wellcond', (2, 3, 3)),
    ('slogdet', lambda L, a: L.linalg.slogdet(a)[1], 'wellcond', (3, 3)),
    ('logdet', lambda L, a: L.logdet(a), 'spd', (3, 3)),
    ('solve', lambda L, a: L.linalg.solve(a, L.ones(3, 2, dtype=L.float64) + a[:, :2]),
     'wellcond', (3, 3)),
    ('solve_vec', lambda L, a: L.linalg.solve(a, a[0]), 'wellcond', (3, 3)),
    ('solve_right', lambda L, a: L.linalg.solve(a, a[:2] * 2, left=False), 'wellcond',
     (3, 3)),
    ('cholesky', lambda L, a: L.linalg.cholesky(_sym(a)), 'spd', (3, 3)),
    ('cholesky_upper', lambda L, a: L.linalg.cholesky(_sym(a), upper=True), 'spd', (3, 3)),
    ('cholesky_legacy', lambda L, a: L.cholesky(_sym(a)), 'spd', (3, 3)),
    ('qr', lambda L, a: L.linalg.qr(a), 'wellcond', (4, 3)),
    ('qr_square', lambda L, a: L.linalg.qr(a), 'wellcond', (3, 3)),
    ('qr_wide', lambda L, a: L.linalg.qr(a), 'wellcond', (3, 4)),
    ('qr_batch', lambda L, a: L.linalg.qr(a), 'wellcond', (2, 4, 3)),
    ('qr_only_R', lambda L, a: L.linalg.qr(a)[1], 'wellcond', (4, 3)),
    ('svdvals', lambda L, a: L.linalg.svdvals(a), 'wellcond', (4, 3)),
    ('svd_usv', lambda L, a: (lambda r: (r.U * r.S.unsqueeze(-2)) @ r.Vh)(
        L.linalg.svd(a, full_matrices=False)), 'wellcond', (4, 3)),
    ('svd_uv', lambda L, a: (lambda r: r.U @ r.Vh)(L.linalg.svd(a, full_matrices=False)),
     'wellcond', (4, 3)),
    ('svd_uv_wide', lambda L, a: (lambda r: r.U @ r.Vh)(L.linalg.svd(a, full_matrices=False)),
     'wellcond', (3, 4)),
    ('svd_u_abs', lambda L, a: L.linalg.svd(a, full_matrices=False)[0].abs(), 'wellcond',
     (4, 3)),
    ('svd_vh_abs', lambda L, a: L.linalg.svd(a, full_matrices=False)[2].abs(), 'wellcond',
     (3, 4)),
    ('svd_full_uv', lambda L, a: (lambda r: r.U[:, :3] @ r.Vh)(L.linalg.svd(a)), 'wellcond',
     (4, 3)),
    ('svd_legacy', lambda L, a: (lambda r: r[0] @ r[2].mT)(L.svd(a)), 'wellcond', (4, 3)),
    ('eigh', lambda L, a: (lambda r: (r[0], r[1].abs()))(L.linalg.eigh(_sym(a))), 'spd',
     (3, 3)),
    ('eigh_vvt', lambda L, a: (lambda r: r[1] @ r[1].mT * 2 + r[1] * r[1])(
        L.linalg.eigh(_sym(a))), 'spd', (3, 3)),
    ('eigvalsh', lambda L, a: L.linalg.eigvalsh(_sym(a)), 'spd', (3, 3)),
    ('pinv', lambda L, a: L.linalg.pinv(a), 'wellcond', (4, 3)),
    ('pinv_wide', lambda L, a: L.linalg.pinv(a), 'wellcond', (3, 4)),
    ('pinv_square', lambda L, a: L.linalg.pinv(a), 'wellcond', (3, 3)),
    ('lstsq', lambda L, a: L.linalg.lstsq(a, a[:, :2] + 1).solution, 'wellcond', (4, 3)),
    ('lstsq_vec', lambda L, a: L.linalg.lstsq(a, a[:, 0] + 1).solution, 'wellcond', (4, 3)),
    ('matrix_power_neg', lambda L, a: L.linalg.matrix_power(a, -3), 'wellcond', (3, 3)),
    ('matrix_power_5', lambda L, a: L.linalg.matrix_power(a, 5), 'wellcond', (3, 3)),
    ('multi_dot', lambda L, a: L.linalg.multi_dot([a, a.mT, a]), 'wellcond', (3, 3)),
    ('matrix_norm_fro', lambda L, a: L.linalg.matrix_norm(a), 'wellcond', (3, 4)),
    ('matrix_norm_inf', lambda L, a: L.linalg.matrix_norm(a, float('inf')), 'wellcond',
     (3, 4)),
    ('matrix_norm_nuc_keep', lambda L, a: L.linalg.matrix_norm(a, 'nuc', keepdim=True),
     'wellcond', (2, 3, 4)),
    ('norm_2', lambda L, a: L.linalg.norm(a, 2), 'wellcond', (3, 4)),
]


def _decomp_input(L, kind, shape):
    if kind == 'spd':
        return spd(L, shape[-1], rg=True, batch=shape[:-2])
    return wellcond(L, shape, rg=True)


@pytest.mark.parametrize('name,fn,kind,shape', DECOMP_GRADS, ids=[c[0] for c in DECOMP_GRADS])
def test_decomposition_gradcheck(name, fn, kind, shape):
    a = _decomp_input(ember, kind, shape)
    assert ember.autograd.gradcheck(lambda x: fn(ember, x), (a,))


@pytest.mark.parametrize('name,fn,kind,shape', DECOMP_GRADS, ids=[c[0] for c in DECOMP_GRADS])
def test_decomposition_grads_match_torch(name, fn, kind, shape):
    check(lambda L: grad_of(L, lambda x: fn(L, x), _decomp_input(L, kind, shape)),
          rtol=1e-6, atol=1e-8, check_repr=False)


DECOMP_GRADGRAD = {'inv', 'det', 'slogdet', 'solve', 'cholesky', 'qr', 'svd_uv', 'svdvals',
                   'eigh', 'pinv', 'matrix_norm_nuc_keep'}


@pytest.mark.parametrize('name,fn,kind,shape', [c for c in DECOMP_GRADS
                                                if c[0] in DECOMP_GRADGRAD],
                         ids=[c[0] for c in DECOMP_GRADS if c[0] in DECOMP_GRADGRAD])
def test_decomposition_gradgradcheck(name, fn, kind, shape):
    a = _decomp_input(ember, kind, shape)
    assert ember.autograd.gradgradcheck(_contiguous_outputs(lambda x: fn(ember, x)), (a,))


SYMMETRIC_GRADS = [
    ('eigh', lambda L, a: (lambda r: (r[0], r[1].abs()))(L.linalg.eigh(a))),
    ('eigh_upper', lambda L, a: (lambda r: (r[0], r[1].abs()))(L.linalg.eigh(a, UPLO='U'))),
    ('eigvalsh', lambda L, a: L.linalg.eigvalsh(a)),
    ('cholesky', lambda L, a: L.linalg.cholesky(a)),
    ('cholesky_upper', lambda L, a: L.linalg.cholesky(a, upper=True)),
    ('pinv_hermitian', lambda L, a: L.linalg.pinv(a, hermitian=True)),
]


@pytest.mark.parametrize('name,fn', SYMMETRIC_GRADS, ids=[c[0] for c in SYMMETRIC_GRADS])
def test_symmetric_input_grads_match_torch(name, fn):
    # Without symmetrising the input first: the gradient convention itself must agree.
    check(lambda L: grad_of(L, lambda x: fn(L, x), spd(L, 3, rg=True)), rtol=1e-6,
          atol=1e-8, check_repr=False)


def test_det_gradient_at_singular_matrix():
    check(lambda L: grad_of(L, lambda x: L.linalg.det(x),
                            L.tensor([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]],
                                     dtype=L.float64, requires_grad=True)), check_repr=False)


def test_qr_backward_errors():
    for mode, shape in (('r', (4, 3)), ('complete', (4, 3))):
        def fn(L):
            a = wellcond(L, shape, rg=True)
            out = L.linalg.qr(a, mode=mode)
            out[1].sum().backward()
        check(fn)


# ---------------------------------------------------------------------------------------
# hand-computed values and properties
# ---------------------------------------------------------------------------------------
def test_values_by_hand():
    a = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
    b = ember.tensor([[5.0, 6.0], [7.0, 8.0]])
    assert (a @ b).tolist() == [[19.0, 22.0], [43.0, 50.0]]
    assert ember.dot(ember.tensor([1, 2, 3]), ember.tensor([4, 5, 6])).item() == 32
    assert ember.linalg.det(a).item() == pytest.approx(-2.0)
    np.testing.assert_allclose(ember.linalg.inv(a).numpy(), [[-2.0, 1.0], [1.5, -0.5]],
                               rtol=1e-6)
    assert ember.linalg.solve(a, ember.tensor([5.0, 11.0])).tolist() == pytest.approx([1, 2])
    assert ember.linalg.vector_norm(ember.tensor([3.0, 4.0])).item() == 5.0
    assert ember.linalg.matrix_norm(a, 1).item() == 6.0
    assert ember.linalg.matrix_norm(a, math.inf).item() == 7.0
    assert ember.cross(ember.tensor([1, 0, 0]), ember.tensor([0, 1, 0]), dim=0).tolist() == \
        [0, 0, 1]
    assert ember.kron(ember.tensor([1, 2]), ember.tensor([1, 10])).tolist() == [1, 10, 2, 20]
    assert ember.einsum('ii', a).item() == 5.0
    assert ember.cdist(ember.tensor([[0.0, 0.0]]), ember.tensor([[3.0, 4.0]])).item() == 5.0
    assert ember.cdist(ember.tensor([[0.0, 0.0]]), ember.tensor([[3.0, 4.0]]),
                       p=1).item() == 7.0
    L = ember.linalg.cholesky(ember.tensor([[4.0, 2.0], [2.0, 5.0]]))
    np.testing.assert_allclose(L.numpy(), [[2.0, 0.0], [1.0, 2.0]], rtol=1e-6)
    assert ember.linalg.matrix_rank(ember.ones(3, 3)).item() == 1
    assert ember.linalg.matrix_power(ember.tensor([[1, 1], [0, 1]]), 5).tolist() == \
        [[1, 5], [0, 1]]


def test_large_matmul_has_no_copies():
    a = ember.randn(256, 256)
    b = ember.randn(256, 256)
    r = a @ b
    np.testing.assert_allclose(r.numpy(), a.numpy() @ b.numpy(), rtol=1e-5, atol=1e-4)
    assert r.is_contiguous()


def test_einsum_against_numpy():
    rng = np.random.default_rng(1)
    cases = [('ij,jk->ik', [(2, 3), (3, 4)]), ('bij,bjk->bik', [(2, 2, 3), (2, 3, 4)]),
             ('ii->i', [(4, 4)]), ('ij,ij->', [(2, 3), (2, 3)]),
             ('i,j,k->ijk', [(2,), (3,), (4,)]), ('...ij,...ji->...', [(2, 3, 4), (4, 3)]),
             ('abc,cd,db->a', [(2, 3, 4), (4, 5), (5, 3)])]
    for eq, shapes in cases:
        arrays = [rng.standard_normal(s) for s in shapes]
        got = ember.einsum(eq, *[ember.tensor(x) for x in arrays])
        np.testing.assert_allclose(got.numpy(), np.einsum(eq, *arrays), rtol=1e-10, atol=1e-12)


def test_einsum_single_operand_is_view():
    a = ember.zeros(3, 3)
    d = ember.einsum('ii->i', a)
    d[1] = 5.0
    assert a[1, 1].item() == 5.0


hypothesis = pytest.importorskip('hypothesis')
st = hypothesis.strategies


@hypothesis.settings(max_examples=40, deadline=None)
@hypothesis.given(batch_a=st.lists(st.integers(1, 3), max_size=2),
                  batch_b=st.lists(st.integers(1, 3), max_size=2),
                  n=st.integers(1, 3), k=st.integers(0, 3), p=st.integers(1, 3),
                  vec_a=st.booleans(), vec_b=st.booleans())
def test_matmul_broadcasting_property(batch_a, batch_b, n, k, p, vec_a, vec_b):
    # Make the batches broadcastable: where both have a dim, set one of them to 1 or equal.
    batch_b = [b if i >= len(batch_a) or batch_a[-1 - i] in (1, b) else 1
               for i, b in enumerate(reversed(batch_b))][::-1]
    shape_a = (k,) if vec_a else tuple(batch_a) + (n, k)
    shape_b = (k,) if vec_b else tuple(batch_b) + (k, p)
    x = data(shape_a, 'float64')
    y = data(shape_b, 'float64', seed=1)
    got = ember.matmul(ember.tensor(x, requires_grad=True), ember.tensor(y))
    np.testing.assert_allclose(got.detach().numpy(), np.matmul(x, y), atol=1e-12)
    if torch is None:
        return
    t = torch.matmul(torch.tensor(x, requires_grad=True), torch.tensor(y))
    assert got.shape == t.shape
    assert got.grad_fn.name() == t.grad_fn.name()
    assert got.stride() == t.stride()


# ---------------------------------------------------------------------------------------
# seeded sweeps against PyTorch: matmul layouts and random einsum equations
# ---------------------------------------------------------------------------------------
def _operand(L, shape, kind, seed, rg):
    """An operand built as ``kind``: plain, transposed (.mT of a contiguous tensor),
    batch-permuted, or expanded from a size-1 batch."""
    arr = data(shape, 'float64', seed, exact=True)
    if kind == 'mT':
        t = L.tensor(np.swapaxes(arr, -1, -2).tolist(), dtype=L.float64).mT
    elif kind == 'perm':
        t = L.tensor(np.moveaxis(arr, 0, -1).tolist(), dtype=L.float64).movedim(-1, 0)
    elif kind == 'expand':
        t = L.tensor(arr[:1].tolist(), dtype=L.float64).expand(*shape)
    else:
        t = L.tensor(arr.tolist(), dtype=L.float64)
    return t.detach().requires_grad_(rg)


def _matmul_layout_cases():
    shapes = [((3,), (2, 3, 3, 2)), ((2, 3), (2, 3, 3, 2)), ((1, 2, 3), (2, 3, 2)),
              ((3, 2, 3), (3, 1)), ((2, 3, 2, 3), (3, 3, 1)), ((3, 2, 3), (3, 3, 2))]
    rows = []
    for sa, sb in shapes:
        for ka in ('plain', 'mT', 'perm', 'expand'):
            for kb in ('plain', 'perm'):
                if (ka != 'plain' and len(sa) < 2) or (ka in ('perm', 'expand') and len(sa) < 3) \
                        or (kb == 'perm' and len(sb) < 3):
                    continue
                for ra, rb in ((True, True), (True, False) if ka == 'plain' else (False, True)):
                    rows.append((sa, sb, ka, kb, ra, rb))
    return rows


@pytest.mark.parametrize('sa,sb,ka,kb,ra,rb', _matmul_layout_cases())
def test_matmul_layouts(sa, sb, ka, kb, ra, rb):
    def fn(L, grads):
        a = _operand(L, sa, ka, 0, ra)
        b = _operand(L, sb, kb, 1, rb)
        r = a @ b
        if not grads:
            return r
        g = L.tensor(data(tuple(r.shape), 'float64', 7, exact=True).tolist(), dtype=L.float64)
        r.backward(g)
        return a.grad, b.grad
    # BLAS and NumPy differ on the sign of some zeros; leaf .grad layouts are the engine's.
    check(lambda L: fn(L, False), check_repr=False)
    check(lambda L: fn(L, True), check_repr=False, check_stride=False)


def _random_einsum_cases(count=120, seed=0):
    rng = np.random.default_rng(seed)
    sizes = {'a': 2, 'b': 3, 'c': 4, 'd': 2}
    cases = []
    for _ in range(count):
        subs = [''.join(rng.choice(list('abcd'), size=rng.integers(0, 4)))
                for _ in range(rng.choice([1, 2, 2, 3]))]
        labels = sorted(set(''.join(subs)))
        if rng.random() < 0.3:
            eq = ','.join(subs)
        else:
            out = [c for c in labels if rng.random() < 0.5]
            rng.shuffle(out)
            eq = ','.join(subs) + '->' + ''.join(out)
        shapes = []
        for s in subs:
            if len(set(s)) != len(s):
                shapes.append(tuple(sizes[c] for c in s))
            else:
                shapes.append(tuple(sizes[c] if rng.random() < 0.85 else 1 for c in s))
        rgs = [bool(rng.random() < 0.6) for _ in subs]
        flips = [bool(rng.random() < 0.3) and len(s) >= 2 for s in shapes]
        cases.append((eq, shapes, rgs, flips))
    return cases


@pytest.mark.parametrize('eq,shapes,rgs,flips', _random_einsum_cases(),
                         ids=lambda v: v if isinstance(v, str) else None)
def test_einsum_random_equations(eq, shapes, rgs, flips):
    def fn(L, grads):
        ops = []
        for i, (shape, rg, flip) in enumerate(zip(shapes, rgs, flips)):
            arr = data(shape, 'float64', i, exact=True)
            if flip:
                t = L.tensor(np.swapaxes(arr, 0, -1).tolist(), dtype=L.float64).transpose(0, -1)
            else:
                t = L.tensor(arr.tolist(), dtype=L.float64)
            ops.append(t.requires_grad_(rg))
        r = L.einsum(eq, *ops)
        if not grads or not r.requires_grad:
            return r
        g = L.tensor(data(tuple(r.shape), 'float64', 9, exact=True).tolist(), dtype=L.float64)
        r.backward(g)
        return tuple(t.grad for t in ops)
    check(lambda L: fn(L, False), check_repr=False)
    check(lambda L: fn(L, True), check_repr=False, check_stride=False)


# ---------------------------------------------------------------------------------------
# platforms without floating-point flags (WebAssembly): LAPACK failures come back as NaN
# ---------------------------------------------------------------------------------------
_LAPACK_FAILURES = [
    lambda L: L.linalg.inv(L.zeros(3, 3)),
    lambda L: L.linalg.inv(L.stack([L.eye(2), L.zeros(2, 2)])),
    lambda L: L.linalg.solve(L.zeros(3, 3), L.ones(3, 2)),
    lambda L: L.linalg.solve(L.ones(2, 2), L.ones(2, 2), left=False),
    lambda L: L.linalg.cholesky(-L.eye(3)),
    lambda L: L.linalg.cholesky(L.stack([L.eye(2), -L.eye(2)])),
    lambda L: L.inverse(L.zeros(2, 2)),
]


def _emulate_missing_fp_flags(monkeypatch):
    """NumPy as Pyodide runs it: a failed factorization gives NaN, and nothing raises."""
    import ember.linalg as linalg_module
    monkeypatch.setattr(linalg_module, '_FP_FLAGS', False)
    for name in ('inv', 'solve', 'cholesky'):
        def quiet(*arrays, real=getattr(np.linalg, name)):
            try:
                return real(*arrays)
            except np.linalg.LinAlgError:
                return np.full(arrays[-1].shape, np.nan)
        monkeypatch.setattr(np.linalg, name, quiet)


@pytest.mark.parametrize('fn', _LAPACK_FAILURES)
def test_lapack_failures_raise_without_fp_flags(monkeypatch, fn):
    with pytest.raises(ember.linalg.LinAlgError) as native:
        fn(ember)
    _emulate_missing_fp_flags(monkeypatch)
    with pytest.raises(ember.linalg.LinAlgError) as emulated:
        fn(ember)
    assert str(emulated.value) == str(native.value)


def test_lapack_success_unchanged_without_fp_flags(monkeypatch):
    _emulate_missing_fp_flags(monkeypatch)
    a = ember.tensor([[4.0, 1.0], [1.0, 3.0]], dtype=ember.float64)
    np.testing.assert_allclose(ember.linalg.inv(a).numpy(), np.linalg.inv(a.numpy()))
    np.testing.assert_allclose(ember.linalg.cholesky(a).numpy(), np.linalg.cholesky(a.numpy()))
    inverse, info = ember.linalg.inv_ex(ember.stack([a, ember.zeros(2, 2, dtype=a.dtype)]))
    assert info.tolist() == [0, 1] and np.isnan(inverse[1].numpy()).all()
    nan = ember.full((2, 2), float('nan'), dtype=ember.float64)
    assert ember.linalg.inv(nan).isnan().all()   # NaN in, NaN out: not a failure
