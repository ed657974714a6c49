"""Run under mpiexec: every collective against a NumPy reference; prints OK on success."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__)))))
import ember  # noqa: E402
import ember.distributed as dist  # noqa: E402

dist.init_process_group('gloo')
rank, size = dist.get_rank(), dist.get_world_size()
assert dist.is_initialized() and dist.get_backend() == 'gloo'


def base(r, shape=(2, 3), dtype=ember.float32):
    return (ember.arange(6, dtype=ember.float64).reshape(shape) + 10 * r).to(dtype)


ref = [base(r)._data.astype(np.float64) for r in range(size)]

for op, reducer in [(dist.ReduceOp.SUM, np.sum), (dist.ReduceOp.MAX, np.max),
                    (dist.ReduceOp.MIN, np.min), (dist.ReduceOp.PRODUCT, np.prod),
                    (dist.ReduceOp.AVG, np.mean)]:
    t = base(rank)
    dist.all_reduce(t, op=op)
    np.testing.assert_allclose(t.numpy(), reducer(np.stack(ref), 0), rtol=1e-6)

t = base(rank, dtype=ember.int64)
dist.all_reduce(t, op=dist.ReduceOp.BXOR)
expected = np.bitwise_xor.reduce(np.stack(ref).astype(np.int64), 0)
np.testing.assert_array_equal(t.numpy(), expected)

if ember._dtype.bfloat16._numpy is not None:
    t = base(rank, dtype=ember.bfloat16)
    dist.all_reduce(t)
    np.testing.assert_allclose(t.float().numpy(), np.sum(np.stack(ref), 0), rtol=1e-2)

view = ember.zeros(4, 3)[1:3]  # a non-contiguous-in-storage target keeps its layout
view.copy_(base(rank))
dist.all_reduce(view)
np.testing.assert_allclose(view.numpy(), np.sum(np.stack(ref), 0))

t = base(rank)
work = dist.all_reduce(t, async_op=True)
work.wait()
assert work.is_completed()

t = base(rank)
dist.broadcast(t, src=size - 1)
np.testing.assert_allclose(t.numpy(), ref[size - 1])

t = base(rank)
dist.reduce(t, dst=0)
if rank == 0:
    np.testing.assert_allclose(t.numpy(), np.sum(np.stack(ref), 0))

outs = [ember.zeros(2, 3) for _ in range(size)]
dist.all_gather(outs, base(rank))
for r in range(size):
    np.testing.assert_allclose(outs[r].numpy(), ref[r])

big = ember.zeros(2 * size, 3)
dist.all_gather_into_tensor(big, base(rank))
np.testing.assert_allclose(big.numpy(), np.concatenate(ref))

gathered = [ember.zeros(2, 3) for _ in range(size)] if rank == 0 else None
dist.gather(base(rank), gathered, dst=0)
if rank == 0:
    for r in range(size):
        np.testing.assert_allclose(gathered[r].numpy(), ref[r])

got = ember.zeros(2, 3)
dist.scatter(got, [base(r) for r in range(size)] if rank == 1 else None, src=1)
np.testing.assert_allclose(got.numpy(), ref[rank])

out = ember.zeros(2, 3)
dist.reduce_scatter(out, [base(rank) + r for r in range(size)])
np.testing.assert_allclose(out.numpy(), np.sum(np.stack(ref), 0) + size * rank)

outs = [ember.zeros(1) for _ in range(size)]
dist.all_to_all(outs, [ember.tensor([100.0 * rank + r]) for r in range(size)])
assert [o.item() for o in outs] == [100.0 * r + rank for r in range(size)]

# all_to_all_single: equal shares of dim 0, then uneven splits (rank j gets j + 1 rows from
# every rank). Row i of rank r's input holds 100 r + i (and + 0.5 in its second column).
single = ember.zeros(2 * size)
dist.all_to_all_single(single, ember.arange(2 * size, dtype=ember.float32) + 100 * rank)
np.testing.assert_allclose(single.numpy(), [100 * r + 2 * rank + k for r in range(size)
                                            for k in range(2)])
rows = size * (size + 1) // 2
source = ember.arange(rows, dtype=ember.float64)[:, None] + 100 * rank + ember.tensor([0, 0.5])
out = ember.zeros(size * (rank + 1), 2, dtype=ember.float64)
dist.all_to_all_single(out, source, output_split_sizes=[rank + 1] * size,
                       input_split_sizes=[j + 1 for j in range(size)])
first = rank * (rank + 1) // 2    # where the rows for this rank start in every input
expected = [[100 * r + first + i, 100 * r + first + i + 0.5]
            for r in range(size) for i in range(rank + 1)]
np.testing.assert_allclose(out.numpy(), expected)
for bad in ([1] * (size + 1), [rows + 1] + [0] * (size - 1)):
    try:
        dist.all_to_all_single(out, source, input_split_sizes=bad)
    except RuntimeError as error:
        assert 'split' in str(error).lower(), error
    else:
        raise AssertionError('bad split sizes were accepted')

if size >= 2:
    if rank == 0:
        dist.send(ember.tensor([3.0, 4.0]), dst=1)
        reply = ember.zeros(1)
        dist.recv(reply, src=1)
        assert reply.item() == 7.0
    elif rank == 1:
        got = ember.zeros(2)
        dist.recv(got, src=0)
        dist.isend(got.sum().reshape(1), dst=0).wait()
    # A receive from any rank reports the sender.
    if rank == size - 1:
        dist.send(ember.tensor([float(rank)]), dst=0)
    elif rank == 0:
        anyone = ember.zeros(1)
        assert dist.recv(anyone) == size - 1 and anyone.item() == size - 1

dist.barrier()
group = dist.new_group([0, 1])
if rank in (0, 1):
    t = ember.ones(1)
    dist.all_reduce(t, group=group)
    assert t.item() == 2.0
dist.destroy_process_group()
print(f'rank {rank} OK', flush=True)
