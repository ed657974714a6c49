"""Rearranging ops against PyTorch: flip, fliplr, flipud, roll, rot90, repeat,
repeat_interleave, tile, tril, triu, diag, diagonal (a view), diag_embed, trace, meshgrid,
broadcast_to, broadcast_tensors, broadcast_shapes, cartesian_prod, combinations."""
import numpy as np
import pytest

import ember
from oracle import check, requires_torch

pytestmark = [requires_torch, pytest.mark.filterwarnings('ignore::UserWarning')]

DTYPES = ['bool', 'uint8', 'int8', 'int16', 'int32', 'int64', 'float16', 'float32', 'float64']


def base(torch, *shape, dtype=None):
    n = 1
    for s in shape:
        n *= s
    if dtype is torch.bool:
        return (torch.arange(n) % 3 == 0).reshape(shape)
    return torch.arange(n, dtype=dtype or torch.float32).reshape(shape)


def nc(torch, dtype=None):
    """A non-contiguous 3x4 tensor (transposed 4x3)."""
    return base(torch, 4, 3, dtype=dtype).t()


def sliced(torch):
    """A non-dense 3x3 tensor with a storage offset."""
    return base(torch, 4, 6)[1:, ::2]


def grad_of(torch, fn, x):
    x = x.detach().to(torch.float64).requires_grad_(True)
    out = fn(x)
    outs = out if isinstance(out, tuple) else (out,)
    total = 0
    for k, y in enumerate(outs):
        w = torch.arange(1, y.numel() + 1, dtype=y.dtype).reshape(y.shape) * (k + 1)
        total = total + (y * w).sum()
    total.backward()
    return x.grad * 1


REARRANGE = [
    # flip
    ('flip', lambda torch: base(torch, 3, 4).flip(0)),
    ('flip_fn_list', lambda torch: torch.flip(base(torch, 2, 3, 4), [0, 2])),
    ('flip_varargs', lambda torch: base(torch, 2, 3, 4).flip(1, -1)),
    ('flip_empty_dims', lambda torch: base(torch, 3, 4).flip([])),
    ('flip_0d', lambda torch: torch.tensor(1.).flip(0)),
    ('flip_dup', lambda torch: base(torch, 3, 4).flip([0, 0])),
    ('flip_bad_dim', lambda torch: base(torch, 3, 4).flip(2)),
    ('flip_nc', lambda torch: nc(torch).flip(0)),
    ('flip_sliced', lambda torch: sliced(torch).flip(1)),
    ('flip_copies', lambda torch: (lambda b: (b, b.flip(0)))(base(torch, 3))),
    ('fliplr', lambda torch: base(torch, 3, 4).fliplr()),
    ('fliplr_nc', lambda torch: torch.fliplr(nc(torch))),
    ('fliplr_1d', lambda torch: base(torch, 3).fliplr()),
    ('flipud', lambda torch: torch.flipud(base(torch, 3, 4))),
    ('flipud_1d', lambda torch: base(torch, 3).flipud()),
    ('flipud_0d', lambda torch: torch.tensor(1.).flipud()),
    # roll
    ('roll', lambda torch: base(torch, 3, 4).roll(1)),
    ('roll_neg', lambda torch: base(torch, 3, 4).roll(-5)),
    ('roll_dim', lambda torch: torch.roll(base(torch, 3, 4), 1, 0)),
    ('roll_dims', lambda torch: base(torch, 3, 4).roll((1, -1), (0, 1))),
    ('roll_big_shift', lambda torch: base(torch, 3, 4).roll(7, 1)),
    ('roll_nc', lambda torch: nc(torch).roll(1, 0)),
    ('roll_nc_flat', lambda torch: nc(torch).roll(1)),
    ('roll_0d', lambda torch: torch.tensor(1.).roll(1)),
    ('roll_empty', lambda torch: torch.zeros(0, 2).roll(1, 0)),
    ('roll_mismatch', lambda torch: base(torch, 3, 4).roll((1, 2), 0)),
    ('roll_bad_dim', lambda torch: base(torch, 3, 4).roll(1, 2)),
    # rot90
    ('rot90', lambda torch: base(torch, 3, 4).rot90()),
    ('rot90_2', lambda torch: base(torch, 3, 4).rot90(2)),
    ('rot90_3', lambda torch: torch.rot90(base(torch, 3, 4), 3)),
    ('rot90_0', lambda torch: base(torch, 3, 4).rot90(0)),
    ('rot90_neg', lambda torch: base(torch, 3, 4).rot90(-1)),
    ('rot90_dims', lambda torch: base(torch, 2, 3, 4).rot90(1, [2, 0])),
    ('rot90_nc', lambda torch: nc(torch).rot90(1)),
    ('rot90_nc_3', lambda torch: nc(torch).rot90(3)),
    ('rot90_1d', lambda torch: base(torch, 3).rot90()),
    ('rot90_3dims', lambda torch: base(torch, 2, 2, 2).rot90(1, [0, 1, 2])),
    ('rot90_same_dims', lambda torch: base(torch, 3, 4).rot90(1, [0, 0])),
    # repeat / tile / repeat_interleave
    ('repeat', lambda torch: base(torch, 2, 3).repeat(2, 1)),
    ('repeat_new_dims', lambda torch: base(torch, 2, 3).repeat(2, 1, 3)),
    ('repeat_tuple', lambda torch: base(torch, 3).repeat((2, 2))),
    ('repeat_zero', lambda torch: base(torch, 2, 3).repeat(0, 1)),
    ('repeat_0d', lambda torch: torch.tensor(1.).repeat(2, 3)),
    ('repeat_too_few', lambda torch: base(torch, 2, 3).repeat(2)),
    ('repeat_nc', lambda torch: nc(torch).repeat(1, 2)),
    ('tile', lambda torch: base(torch, 2, 3).tile(2)),
    ('tile_more', lambda torch: torch.tile(base(torch, 2, 3), (2, 1, 2))),
    ('tile_empty', lambda torch: base(torch, 2, 3).tile(())),
    ('tile_0d', lambda torch: torch.tensor(1.).tile(2)),
    ('repeat_interleave', lambda torch: base(torch, 2, 3).repeat_interleave(2)),
    ('repeat_interleave_dim', lambda torch: base(torch, 2, 3).repeat_interleave(2, dim=1)),
    ('repeat_interleave_neg_dim', lambda torch: torch.repeat_interleave(base(torch, 2, 3), 3,
                                                                        -2)),
    ('repeat_interleave_tensor', lambda torch: base(torch, 3, 2).repeat_interleave(
        torch.tensor([1, 0, 2]), dim=0)),
    ('repeat_interleave_tensor_0d', lambda torch: base(torch, 3, 2).repeat_interleave(
        torch.tensor(2), dim=0)),
    ('repeat_interleave_tensor_flat', lambda torch: base(torch, 3).repeat_interleave(
        torch.tensor([1, 2, 3]))),
    ('repeat_interleave_counts_only', lambda torch: torch.repeat_interleave(
        torch.tensor([2, 0, 3]))),
    ('repeat_interleave_bad_len', lambda torch: base(torch, 3, 2).repeat_interleave(
        torch.tensor([1, 2]), dim=0)),
    ('repeat_interleave_negative', lambda torch: base(torch, 3).repeat_interleave(-1)),
    ('repeat_interleave_0d', lambda torch: torch.tensor(1.).repeat_interleave(2)),
    ('repeat_interleave_nc', lambda torch: nc(torch).repeat_interleave(2, 1)),
    # tril / triu
    ('tril', lambda torch: base(torch, 3, 4).tril()),
    ('tril_diag', lambda torch: torch.tril(base(torch, 3, 4), 1)),
    ('tril_neg_diag', lambda torch: base(torch, 3, 4).tril(-1)),
    ('tril_batch', lambda torch: base(torch, 2, 3, 3).tril()),
    ('tril_1d', lambda torch: base(torch, 3).tril()),
    ('tril_nc', lambda torch: nc(torch).tril()),
    ('tril_', lambda torch: (lambda b: (b, b.tril_()))(base(torch, 3, 3))),
    ('triu', lambda torch: base(torch, 3, 4).triu()),
    ('triu_diag', lambda torch: torch.triu(base(torch, 4, 3), diagonal=-1)),
    ('triu_big_diag', lambda torch: base(torch, 3, 4).triu(5)),
    ('triu_', lambda torch: (lambda b: (b, b.triu_(1)))(base(torch, 3, 3))),
    ('triu_empty', lambda torch: torch.zeros(0, 3).triu()),
    # diag / diagonal / diag_embed / trace
    ('diag_1d', lambda torch: base(torch, 3).diag()),
    ('diag_1d_offset', lambda torch: torch.diag(base(torch, 3), 1)),
    ('diag_1d_neg_offset', lambda torch: torch.diag(base(torch, 3), -2)),
    ('diag_2d', lambda torch: base(torch, 3, 4).diag()),
    ('diag_2d_offset', lambda torch: base(torch, 3, 4).diag(2)),
    ('diag_2d_neg', lambda torch: base(torch, 3, 4).diag(-1)),
    ('diag_2d_far', lambda torch: base(torch, 3, 4).diag(9)),
    ('diag_2d_nc', lambda torch: nc(torch).diag()),
    ('diag_3d', lambda torch: base(torch, 2, 2, 2).diag()),
    ('diag_0d', lambda torch: torch.tensor(1.).diag()),
    ('diagonal', lambda torch: (lambda b: (b, b.diagonal()))(base(torch, 3, 4))),
    ('diagonal_offset', lambda torch: (lambda b: (b, b.diagonal(1)))(base(torch, 3, 4))),
    ('diagonal_neg', lambda torch: (lambda b: (b, b.diagonal(-2)))(base(torch, 3, 4))),
    ('diagonal_far', lambda torch: base(torch, 3, 4).diagonal(5)),
    ('diagonal_far_neg', lambda torch: base(torch, 3, 4).diagonal(-5)),
    ('diagonal_sliced', lambda torch: base(torch, 3, 4)[1:].diagonal(1)),
    ('diagonal_sliced_far', lambda torch: base(torch, 3, 4)[1:].diagonal(7)),
    ('diagonal_3d', lambda torch: torch.diagonal(base(torch, 2, 3, 4), 0, 2, 0)),
    ('diagonal_3d_neg_dims', lambda torch: base(torch, 2, 3, 4).diagonal(1, -1, -2)),
    ('diagonal_nc', lambda torch: nc(torch).diagonal()),
    ('diagonal_same_dims', lambda torch: base(torch, 3, 4).diagonal(0, 1, 1)),
    ('diagonal_1d', lambda torch: base(torch, 3).diagonal()),
    ('diagonal_write_through', lambda torch: (lambda b: (b, b.diagonal().fill_(-1.)))(
        base(torch, 3, 3))),
    ('diag_embed', lambda torch: base(torch, 2, 3).diag_embed()),
    ('diag_embed_offset', lambda torch: torch.diag_embed(base(torch, 2, 3), 1)),
    ('diag_embed_neg_offset', lambda torch: torch.diag_embed(base(torch, 2, 3), -1, 0, 2)),
    ('diag_embed_dims', lambda torch: base(torch, 2, 3).diag_embed(0, 0, 1)),
    ('diag_embed_1d', lambda torch: base(torch, 3).diag_embed()),
    ('diag_embed_0d', lambda torch: torch.tensor(3.).diag_embed()),
    ('diag_embed_same', lambda torch: base(torch, 3).diag_embed(0, 0, 0)),
    ('trace', lambda torch: base(torch, 3, 4).trace()),
    ('trace_int', lambda torch: torch.trace(base(torch, 3, 3, dtype=torch.int32))),
    ('trace_uint8', lambda torch: base(torch, 2, 2, dtype=torch.uint8).trace()),
    ('trace_half', lambda torch: base(torch, 2, 2, dtype=torch.half).trace()),
    ('trace_bool', lambda torch: base(torch, 2, 2, dtype=torch.bool).trace()),
    ('trace_1d', lambda torch: base(torch, 3).trace()),
    ('trace_nc', lambda torch: nc(torch).trace()),
    ('tril_indices', lambda torch: torch.tril_indices(3, 4, 1)),
    ('tril_indices_neg', lambda torch: torch.tril_indices(4, 3, -1, dtype=torch.int32)),
    ('tril_indices_empty', lambda torch: torch.tril_indices(0, 3)),
    ('triu_indices', lambda torch: torch.triu_indices(4, 3, -1)),
    ('triu_indices_far', lambda torch: torch.triu_indices(3, 3, 5)),
    ('diagflat', lambda torch: torch.diagflat(base(torch, 2, 2))),
    ('diagflat_offset', lambda torch: base(torch, 3).diagflat(-1)),
    ('diagflat_0d', lambda torch: torch.diagflat(torch.tensor(2.))),
    ('fill_diagonal_', lambda torch: base(torch, 3, 4).fill_diagonal_(-1.)),
    ('fill_diagonal_wrap', lambda torch: torch.zeros(7, 3).fill_diagonal_(1, wrap=True)),
    ('fill_diagonal_tall', lambda torch: torch.zeros(7, 3).fill_diagonal_(1)),
    ('fill_diagonal_3d', lambda torch: torch.zeros(2, 2, 2).fill_diagonal_(5)),
    ('fill_diagonal_3d_bad', lambda torch: torch.zeros(2, 3, 2).fill_diagonal_(5)),
    ('fill_diagonal_1d', lambda torch: torch.zeros(3).fill_diagonal_(5)),
    ('fill_diagonal_int', lambda torch: base(torch, 3, 3, dtype=torch.long).fill_diagonal_(9)),
    ('fill_diagonal_nc', lambda torch: (lambda b: (b, b.t().fill_diagonal_(0.)))(
        base(torch, 3, 4))),
    ('repeat_negative', lambda torch: base(torch, 2, 3).repeat(-1, 2)),
    # broadcasting
    ('broadcast_to', lambda torch: (lambda b: (b, b.broadcast_to(2, 3)))(base(torch, 3))),
    ('broadcast_to_fn', lambda torch: torch.broadcast_to(base(torch, 3, 1), (2, 3, 4))),
    ('broadcast_to_bad', lambda torch: torch.broadcast_to(base(torch, 3), (2, 4))),
    ('broadcast_tensors', lambda torch: torch.broadcast_tensors(base(torch, 3), base(torch, 2, 1))),
    ('broadcast_tensors_same', lambda torch: torch.broadcast_tensors(base(torch, 3),
                                                                     base(torch, 3))),
    ('broadcast_tensors_0d', lambda torch: torch.broadcast_tensors(torch.tensor(1.),
                                                                   base(torch, 2))),
    ('broadcast_tensors_bad', lambda torch: torch.broadcast_tensors(base(torch, 3),
                                                                    base(torch, 2))),
    ('broadcast_shapes', lambda torch: torch.broadcast_shapes((2, 1), (3,), 1)),
    ('broadcast_shapes_sizes', lambda torch: torch.broadcast_shapes(torch.Size([2, 1]),
                                                                    torch.Size([1, 4]))),
    ('broadcast_shapes_empty', lambda torch: torch.broadcast_shapes()),
    ('broadcast_shapes_zero', lambda torch: torch.broadcast_shapes((0, 1), (3,))),
    ('broadcast_shapes_bad', lambda torch: torch.broadcast_shapes((2,), (3,))),
    # meshgrid / cartesian_prod / combinations
    ('meshgrid_ij', lambda torch: torch.meshgrid(base(torch, 3), base(torch, 2), indexing='ij')),
    ('meshgrid_xy', lambda torch: torch.meshgrid(base(torch, 3), base(torch, 2), indexing='xy')),
    ('meshgrid_xy_three', lambda torch: torch.meshgrid([base(torch, 3), base(torch, 2),
                                                        base(torch, 4)], indexing='xy')),
    ('meshgrid_default', lambda torch: torch.meshgrid(base(torch, 2), base(torch, 2))),
    ('meshgrid_one', lambda torch: torch.meshgrid(base(torch, 3), indexing='xy')),
    ('meshgrid_0d', lambda torch: torch.meshgrid(torch.tensor(1.), base(torch, 3),
                                                 indexing='ij')),
    ('meshgrid_dtypes', lambda torch: torch.meshgrid(base(torch, 2, dtype=torch.long),
                                                     base(torch, 3), indexing='ij')),
    ('meshgrid_bad_indexing', lambda torch: torch.meshgrid(base(torch, 2), indexing='ji')),
    ('meshgrid_2d', lambda torch: torch.meshgrid(base(torch, 2, 2), indexing='ij')),
    ('cartesian_prod', lambda torch: torch.cartesian_prod(base(torch, 2), -base(torch, 3))),
    ('cartesian_prod_three', lambda torch: torch.cartesian_prod(base(torch, 2), base(torch, 2),
                                                                base(torch, 2))),
    ('cartesian_prod_one', lambda torch: (lambda b: (b, torch.cartesian_prod(b)))(
        base(torch, 3))),
    ('cartesian_prod_0d', lambda torch: torch.cartesian_prod(torch.tensor(1.), base(torch, 3))),
    ('cartesian_prod_dtypes', lambda torch: torch.cartesian_prod(
        base(torch, 2), base(torch, 3, dtype=torch.int64))),
    ('combinations', lambda torch: torch.combinations(base(torch, 4))),
    ('combinations_3', lambda torch: torch.combinations(base(torch, 4), 3)),
    ('combinations_repl', lambda torch: torch.combinations(base(torch, 3), 2,
                                                           with_replacement=True)),
    ('combinations_r0', lambda torch: torch.combinations(base(torch, 4), 0)),
    ('combinations_few', lambda torch: torch.combinations(base(torch, 2), 3)),
    ('combinations_neg', lambda torch: torch.combinations(base(torch, 2), -1)),
    ('combinations_2d', lambda torch: torch.combinations(base(torch, 2, 2))),
    ('combinations_int', lambda torch: torch.combinations(base(torch, 3, dtype=torch.int32))),
]
for _d in DTYPES:
    REARRANGE.append((f'flip_{_d}', lambda torch, d=_d: base(torch, 2, 3, dtype=getattr(
        torch, d)).flip(1)))
    REARRANGE.append((f'tril_{_d}', lambda torch, d=_d: base(torch, 3, 3, dtype=getattr(
        torch, d)).tril()))
    REARRANGE.append((f'roll_{_d}', lambda torch, d=_d: base(torch, 2, 3, dtype=getattr(
        torch, d)).roll(1, 1)))
    REARRANGE.append((f'diag_embed_{_d}', lambda torch, d=_d: base(torch, 3, dtype=getattr(
        torch, d)).diag_embed()))


@pytest.mark.parametrize('name,fn', REARRANGE, ids=[c[0] for c in REARRANGE])
def test_rearrange(name, fn):
    check(fn)


def _lib(x):
    return ember if isinstance(x, ember.Tensor) else __import__('torch')


REARRANGE_GRADS = [
    ('flip', lambda x: x.flip(0, 1)),
    ('fliplr', lambda x: x.fliplr()),
    ('roll', lambda x: x.roll((1, -2), (0, 1))),
    ('roll_flat', lambda x: x.roll(5)),
    ('rot90', lambda x: x.rot90()),
    ('rot90_2', lambda x: x.rot90(2)),
    ('rot90_3', lambda x: x.rot90(3, [1, 0])),
    ('repeat', lambda x: x.repeat(2, 1, 3)),
    ('tile', lambda x: x.tile(2)),
    ('repeat_interleave', lambda x: x.repeat_interleave(2, 1)),
    ('repeat_interleave_flat', lambda x: x.repeat_interleave(3)),
    ('repeat_interleave_tensor', lambda x: x.repeat_interleave(_lib(x).tensor([2, 0, 1]), 0)),
    ('tril', lambda x: x.tril()),
    ('triu', lambda x: x.triu(1)),
    ('diag', lambda x: x.diag(1)),
    ('diag_vector', lambda x: x[0].diag(-1)),
    ('diagonal', lambda x: x.diagonal(-1)),
    ('diagonal_transposed', lambda x: x.t().diagonal(1, 1, 0)),
    ('diag_embed', lambda x: x.diag_embed(1)),
    ('trace', lambda x: x.trace()),
    ('broadcast_to', lambda x: x[0].broadcast_to(2, 4)),
    ('broadcast_tensors', lambda x: _lib(x).broadcast_tensors(x, x[:1])),
    ('meshgrid', lambda x: _lib(x).meshgrid(x[0], x[1], indexing='xy')),
    ('cartesian_prod', lambda x: _lib(x).cartesian_prod(x[0], x[1, :2])),
    ('combinations', lambda x: _lib(x).combinations(x[0], 2)),
    ('diagflat', lambda x: _lib(x).diagflat(x[:2], 1)),
    ('fill_diagonal_', lambda x: (x * 1).fill_diagonal_(0.5) * 1),
]


@pytest.mark.parametrize('name,fn', REARRANGE_GRADS, ids=[c[0] for c in REARRANGE_GRADS])
def test_rearrange_backward(name, fn):
    check(lambda torch: grad_of(torch, fn, base(torch, 3, 4)))
    check(lambda torch: fn(base(torch, 3, 4).requires_grad_()))
    x = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(contiguous_outputs(fn), (x,))
    assert gradgradcheck(fn, x)


def contiguous_outputs(fn):
    """``fn`` with its outputs made contiguous (ember's gradcheck writes the unit grad_output
    through ``reshape(-1)``, which needs a contiguous output)."""
    def run(*args):
        out = fn(*args)
        if isinstance(out, tuple):
            return tuple(o.contiguous() for o in out)
        return out.contiguous()
    return run


def gradgradcheck(fn, x):
    """gradcheck of ``x -> d<fn(x), g>/dx`` in both ``x`` and ``g`` (made contiguous, for the
    same reason as above)."""
    out = fn(x)
    outs = out if isinstance(out, tuple) else (out,)
    gs = [(ember.randn(o.shape, dtype=ember.float64) if o.dim() else ember.tensor(
        0.7, dtype=ember.float64)).requires_grad_() for o in outs]

    def first_grads(x, *gs):
        out = fn(x)
        outs = out if isinstance(out, tuple) else (out,)
        grad, = ember.autograd.grad(outs, (x,), gs, create_graph=True)
        return grad.contiguous()
    return ember.autograd.gradcheck(first_grads, (x, *gs))


def test_rot90_matches_numpy():
    a = np.arange(24.).reshape(2, 3, 4)
    for k in range(-2, 6):
        for axes in [(0, 1), (1, 2), (2, 0)]:
            got = ember.tensor(a).rot90(k, axes)
            np.testing.assert_array_equal(got.numpy(), np.rot90(a, k, axes))


def test_diagonal_is_a_view_by_hand():
    x = ember.zeros(3, 4)
    d = x.diagonal(1)
    d += 1
    assert x.tolist() == [[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
    assert d._base is x and d.stride() == (5,) and d.storage_offset() == 1


def test_combinations_match_itertools():
    import itertools
    x = ember.tensor([3, 1, 4, 1, 5])
    got = ember.combinations(x, 3).tolist()
    assert got == [list(c) for c in itertools.combinations([3, 1, 4, 1, 5], 3)]


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
    return (x.flip(0), x.roll(1, 1), x.rot90(), x.repeat(2, 1), x.tile(2),
            x.repeat_interleave(2, 0), x.tril(), x.triu(1), x.diag(), x.diagonal(1),
            x.diag_embed(), x.trace(), *ember.meshgrid(x[0], x[1], indexing='xy'),
            x.broadcast_to(2, 3, 4), ember.cartesian_prod(x[0], x[1]),
            ember.combinations(x[0]), ember.tril_indices(3, 3, device=x.device))
