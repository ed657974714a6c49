"""Joining and splitting against PyTorch: cat/concat/concatenate, stack and the *stack
family, atleast_nd, split, chunk, tensor_split, hsplit/vsplit/dsplit (values, dtypes,
layouts, storage sharing of split views, grad_fn names, gradients, errors)."""
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
    return base(torch, 4, 3, dtype=dtype).t()


def grad_of(torch, fn, *xs):
    xs = [x.detach().to(torch.float64).requires_grad_(True) for x in xs]
    out = fn(*xs)
    outs = out if isinstance(out, tuple) else (out,)
    total = 0
    for k, y in enumerate(outs):
        w = torch.arange(1, y.numel() + 1, dtype=y.dtype).reshape(y.shape) * (k + 1)
        total = total + (y * w).sum()
    total.backward()
    # (PyTorch may keep a gradient as a view of a larger one; ember's .grad owns its memory.)
    return tuple(x.grad * 1 for x in xs)


def with_base(fn):
    """Run ``fn`` on a base tensor and return both (so storage sharing is compared)."""
    def run(torch):
        b = base(torch, 4, 6)
        return b, fn(b)
    return run


JOIN = [
    ('cat', lambda torch: torch.cat([base(torch, 2, 3), -base(torch, 1, 3)])),
    ('cat_dim1', lambda torch: torch.cat([base(torch, 2, 3), -base(torch, 2, 1)], dim=1)),
    ('cat_neg_dim', lambda torch: torch.cat((base(torch, 2, 3), base(torch, 2, 3)), -1)),
    ('cat_one', lambda torch: torch.cat([base(torch, 2, 3)])),
    ('concat', lambda torch: torch.concat([base(torch, 2), base(torch, 3)])),
    ('concatenate', lambda torch: torch.concatenate([base(torch, 2), base(torch, 3)], axis=0)),
    ('cat_promote', lambda torch: torch.cat([base(torch, 2), base(torch, 2, dtype=torch.long)])),
    ('cat_promote_bool_int8', lambda torch: torch.cat([torch.tensor([True]),
                                                      torch.tensor([2], dtype=torch.int8)])),
    ('cat_promote_int_half', lambda torch: torch.cat([base(torch, 2, dtype=torch.int32),
                                                     base(torch, 2, dtype=torch.half)])),
    ('cat_skip_empty_1d', lambda torch: torch.cat([base(torch, 2, 3), torch.tensor([])])),
    ('cat_skip_empty_promotes', lambda torch: torch.cat([base(torch, 2, 3, dtype=torch.long),
                                                        torch.tensor([])])),
    ('cat_only_empty', lambda torch: torch.cat([torch.tensor([]), torch.tensor([])])),
    ('cat_empty_2d', lambda torch: torch.cat([base(torch, 2, 3), torch.zeros(0, 3)])),
    ('cat_nc', lambda torch: torch.cat([nc(torch), nc(torch)], 1)),
    ('cat_0d', lambda torch: torch.cat([torch.tensor(1.), torch.tensor(2.)])),
    ('cat_ndims', lambda torch: torch.cat([base(torch, 2, 3), base(torch, 3)])),
    ('cat_sizes', lambda torch: torch.cat([base(torch, 2, 3), base(torch, 2, 2)])),
    ('cat_empty_list', lambda torch: torch.cat([])),
    ('cat_bad_dim', lambda torch: torch.cat([base(torch, 2, 3)], 2)),
    ('cat_tensor_arg', lambda torch: torch.cat(base(torch, 2, 3))),
    ('cat_non_tensor', lambda torch: torch.cat([base(torch, 2), 1])),
    ('cat_out', lambda torch: torch.cat([base(torch, 2), base(torch, 2)], out=torch.empty(0))),
    ('stack', lambda torch: torch.stack([base(torch, 2, 3), -base(torch, 2, 3)])),
    ('stack_dim1', lambda torch: torch.stack([base(torch, 2, 3), -base(torch, 2, 3)], 1)),
    ('stack_last', lambda torch: torch.stack([base(torch, 2, 3), -base(torch, 2, 3)], -1)),
    ('stack_0d', lambda torch: torch.stack([torch.tensor(1.), torch.tensor(2.)])),
    ('stack_promote', lambda torch: torch.stack([base(torch, 2), base(torch, 2,
                                                                     dtype=torch.long)])),
    ('stack_nc', lambda torch: torch.stack([nc(torch), nc(torch)], 2)),
    ('stack_empty', lambda torch: torch.stack([torch.zeros(0, 2), torch.zeros(0, 2)], 1)),
    ('stack_sizes', lambda torch: torch.stack([base(torch, 2, 3), base(torch, 1, 3)])),
    ('stack_none', lambda torch: torch.stack([])),
    ('stack_bad_dim', lambda torch: torch.stack([base(torch, 2)], 2)),
    ('stack_out', lambda torch: torch.stack([base(torch, 2), base(torch, 2)], out=torch.empty(0))),
    ('hstack', lambda torch: torch.hstack([base(torch, 2, 3), base(torch, 2, 1)])),
    ('hstack_1d', lambda torch: torch.hstack([base(torch, 2), base(torch, 3)])),
    ('hstack_0d', lambda torch: torch.hstack([torch.tensor(1.), torch.tensor(2.)])),
    ('vstack', lambda torch: torch.vstack([base(torch, 3), base(torch, 3)])),
    ('vstack_2d', lambda torch: torch.vstack([base(torch, 1, 3), base(torch, 2, 3)])),
    ('row_stack', lambda torch: torch.row_stack([base(torch, 3), base(torch, 3)])),
    ('dstack_1d', lambda torch: torch.dstack([base(torch, 3), base(torch, 3)])),
    ('dstack_2d', lambda torch: torch.dstack([base(torch, 2, 3), base(torch, 2, 3)])),
    ('column_stack', lambda torch: torch.column_stack([base(torch, 3), base(torch, 3, 2)])),
    ('column_stack_0d', lambda torch: torch.column_stack([torch.tensor(1.), torch.tensor(2.)])),
    ('column_stack_1d', lambda torch: torch.column_stack((base(torch, 3), -base(torch, 3)))),
    ('atleast_1d', lambda torch: torch.atleast_1d(torch.tensor(1.))),
    ('atleast_1d_many', lambda torch: torch.atleast_1d(torch.tensor(1.), base(torch, 2, 2))),
    ('atleast_1d_list', lambda torch: torch.atleast_1d([torch.tensor(1.), base(torch, 2)])),
    ('atleast_2d', lambda torch: torch.atleast_2d(base(torch, 3))),
    ('atleast_2d_0d', lambda torch: torch.atleast_2d(torch.tensor(1.))),
    ('atleast_2d_tuple', lambda torch: torch.atleast_2d((torch.tensor(1.),))),
    ('atleast_3d_0d', lambda torch: torch.atleast_3d(torch.tensor(1.))),
    ('atleast_3d_1d', lambda torch: torch.atleast_3d(base(torch, 3))),
    ('atleast_3d_2d', lambda torch: torch.atleast_3d(nc(torch))),
    ('atleast_3d_4d', lambda torch: torch.atleast_3d(base(torch, 1, 2, 1, 2))),
    ('atleast_none', lambda torch: torch.atleast_3d()),
    ('atleast_views', lambda torch: (lambda b: (b, torch.atleast_2d(b)))(base(torch, 3))),
]
for _d in DTYPES:
    JOIN.append((f'cat_{_d}', lambda torch, d=_d: torch.cat([
        base(torch, 2, 2, dtype=getattr(torch, d)), base(torch, 1, 2, dtype=getattr(torch, d))])))
    JOIN.append((f'stack_{_d}', lambda torch, d=_d: torch.stack([
        base(torch, 2, dtype=getattr(torch, d))] * 3, 1)))


@pytest.mark.parametrize('name,fn', JOIN, ids=[c[0] for c in JOIN])
def test_join(name, fn):
    check(fn)


SPLIT = [
    ('split', with_base(lambda b: b.split(2))),
    ('split_fn', with_base(lambda b: __import__('torch').split(b, 4, dim=1)
                           if isinstance(b, __import__('torch').Tensor)
                           else ember.split(b, 4, dim=1))),
    ('split_sizes', with_base(lambda b: b.split([1, 3], 0))),
    ('split_sizes_dim1', with_base(lambda b: b.split([2, 0, 4], dim=-1))),
    ('split_big', with_base(lambda b: b.split(10))),
    ('split_sizes_bad', lambda torch: base(torch, 4).split([1, 2])),
    ('split_zero', lambda torch: base(torch, 4).split(0)),
    ('split_zero_empty', lambda torch: torch.zeros(0).split(0)),
    ('split_empty', lambda torch: torch.zeros(0, 2).split(2)),
    ('split_negative', lambda torch: base(torch, 4).split(-1)),
    ('split_0d', lambda torch: torch.tensor(1.).split(1)),
    ('split_nc', lambda torch: (lambda b: (b, b.split(2, 1)))(nc(torch))),
    ('split_with_sizes', with_base(lambda b: b.split_with_sizes([1, 3]))),
    ('split_with_sizes_fn', lambda torch: torch.split_with_sizes(base(torch, 2, 5), [2, 3], 1)),
    ('split_with_sizes_bad', lambda torch: base(torch, 4).split_with_sizes([1, 2])),
    ('chunk', with_base(lambda b: b.chunk(3))),
    ('chunk_uneven', with_base(lambda b: b.chunk(4, 1))),
    ('chunk_fewer', lambda torch: torch.zeros(6).chunk(5)),
    ('chunk_more_than_size', lambda torch: torch.zeros(3).chunk(4)),
    ('chunk_empty', lambda torch: torch.zeros(0).chunk(3)),
    ('chunk_zero', lambda torch: torch.zeros(3).chunk(0)),
    ('chunk_0d', lambda torch: torch.tensor(1.).chunk(1)),
    ('tensor_split_n', with_base(lambda b: b.tensor_split(3, dim=1))),
    ('tensor_split_uneven', lambda torch: base(torch, 7).tensor_split(3)),
    ('tensor_split_indices', with_base(lambda b: b.tensor_split([1, 3]))),
    ('tensor_split_decreasing', lambda torch: base(torch, 5).tensor_split([3, 1])),
    ('tensor_split_negative', lambda torch: base(torch, 5).tensor_split([-2])),
    ('tensor_split_beyond', lambda torch: base(torch, 5).tensor_split([2, 9])),
    ('tensor_split_tensor', lambda torch: base(torch, 5).tensor_split(torch.tensor([1, 3]))),
    ('tensor_split_tensor_0d', lambda torch: base(torch, 5).tensor_split(torch.tensor(2))),
    ('tensor_split_zero', lambda torch: base(torch, 3).tensor_split(0)),
    ('tensor_split_0d', lambda torch: torch.tensor(1.).tensor_split(1)),
    ('tensor_split_fn', lambda torch: torch.tensor_split(base(torch, 2, 5), 2, 1)),
    ('hsplit', with_base(lambda b: b.hsplit(2))),
    ('hsplit_list', with_base(lambda b: b.hsplit([1, 4]))),
    ('hsplit_1d', lambda torch: torch.hsplit(base(torch, 4), 2)),
    ('hsplit_bad', lambda torch: base(torch, 3, 4).hsplit(3)),
    ('hsplit_0d', lambda torch: torch.tensor(1.).hsplit(2)),
    ('vsplit', with_base(lambda b: b.vsplit(2))),
    ('vsplit_list', lambda torch: torch.vsplit(base(torch, 3, 4), [1])),
    ('vsplit_1d', lambda torch: base(torch, 4).vsplit(2)),
    ('dsplit', lambda torch: torch.dsplit(base(torch, 2, 2, 4), 2)),
    ('dsplit_2d', lambda torch: base(torch, 2, 4).dsplit(2)),
]


@pytest.mark.parametrize('name,fn', SPLIT, ids=[c[0] for c in SPLIT])
def test_split(name, fn):
    check(fn)


def _lib(x):
    return ember if isinstance(x, ember.Tensor) else __import__('torch')


JOIN_GRADS = [
    ('cat', lambda a, b: _lib(a).cat([a, b[:2]], 0)),
    ('cat_dim1', lambda a, b: _lib(a).cat([a, b, a], 1)),
    ('stack', lambda a, b: _lib(a).stack([a, b], 1)),
    ('hstack', lambda a, b: _lib(a).hstack([a, b])),
    ('vstack', lambda a, b: _lib(a).vstack([a[0], b])),
    ('dstack', lambda a, b: _lib(a).dstack([a, b])),
    ('column_stack', lambda a, b: _lib(a).column_stack([a[:, 0], b])),
    ('split', lambda a, b: a.split(2, 1)),
    ('split_sizes', lambda a, b: a.split([1, 2], 0)),
    ('split_one_used', lambda a, b: a.split(2, 1)[1]),
    ('chunk', lambda a, b: a.chunk(2, 1)),
    ('tensor_split', lambda a, b: a.tensor_split([1, 3], 1)),
    ('atleast_3d', lambda a, b: _lib(a).atleast_3d(a)),
]


@pytest.mark.parametrize('name,fn', JOIN_GRADS, ids=[c[0] for c in JOIN_GRADS])
def test_join_backward(name, fn):
    check(lambda torch: grad_of(torch, fn, base(torch, 3, 4), -base(torch, 3, 4)))
    check(lambda torch: fn(base(torch, 3, 4).requires_grad_(), -base(torch, 3, 4)))
    a = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    b = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(fn, (a, b))
    assert ember.autograd.gradgradcheck(fn, (a, b))


def test_cat_grad_with_skipped_empty():
    def fn(torch):
        a = base(torch, 2, 2).requires_grad_()
        e = torch.zeros(0, requires_grad=True)
        y = torch.cat([a, e])
        (y * base(torch, 2, 2)).sum().backward()
        return y, a.grad, e.grad
    check(fn)


def test_split_views_write_through():
    x = ember.arange(6.)
    a, b = x.split(3)
    b[0] = -1.
    assert x.tolist() == [0., 1., 2., -1., 4., 5.]
    assert b.storage_offset() == 3


def test_cat_by_hand():
    a = ember.tensor([[1, 2]], dtype=ember.int8)
    b = ember.tensor([[3.5, 4.5]], dtype=ember.float16)
    out = ember.cat([a, b])
    assert out.dtype is ember.float16 and out.tolist() == [[1., 2.], [3.5, 4.5]]


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
    return (ember.cat([x, x]), ember.stack([x, x], 1), ember.hstack([x, x]),
            ember.vstack([x, x]), ember.dstack([x, x]), ember.column_stack([x, x]),
            *x.split(2, 1), *x.chunk(2), *x.tensor_split([1], 1), ember.atleast_3d(x))
