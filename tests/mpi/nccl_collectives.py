"""Run under mpiexec: every collective of an NCCL process group on cuda tensors, against a
NumPy reference; prints 'rank N OK' on success.

Runs on real CuPy with one GPU per rank, or (as the test suite runs it) on the simulated cuda
device with the fake CuPy of tests/fake_cupy first on PYTHONPATH.
"""
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__)))))
import ember  # noqa: E402
import ember.distributed as dist  # noqa: E402

warnings.simplefilter('error', RuntimeWarning)   # a silent fall back to MPI fails the test
from mpi4py import MPI  # noqa: E402

rank0, size0 = MPI.COMM_WORLD.Get_rank(), MPI.COMM_WORLD.Get_size()
index = rank0 % ember.cuda.device_count()
dev = ember.device('cuda', index)
ember.cuda.set_device(index)
import cupy  # noqa: E402
cupy.cuda.Device(index).use()

dist.init_process_group('nccl')
rank, size = dist.get_rank(), dist.get_world_size()
world = dist.get_world_group()
assert dist.get_backend() == 'nccl' and world._nccl is not None
assert dist.is_nccl_available()


def base(r, shape=(2, 3), dtype=ember.float32):
    return (ember.arange(6, dtype=ember.float64).reshape(shape) + 10 * r + 1).to(dtype)


def on(t):
    return t.to(dev)


def host(t):
    assert t.device == dev, t.device
    return t.cpu().numpy() if t.dtype is not ember.bfloat16 else t.float().cpu().numpy()


def raises(kind, text, fn):
    try:
        fn()
    except kind as error:
        assert text in str(error), (text, str(error))
        return
    raise AssertionError(f'{kind.__name__} not raised')


ref = np.stack([base(r)._data.astype(np.float64) for r in range(size)])

# ---- all_reduce: every op, in place --------------------------------------------------
for op, reducer in [(dist.ReduceOp.SUM, np.sum), (dist.ReduceOp.MAX, np.max),
                    (dist.ReduceOp.MIN, np.min), (dist.ReduceOp.PRODUCT, np.prod),
                    (dist.ReduceOp.AVG, np.mean)]:
    t = on(base(rank))
    storage = t.data_ptr()
    assert dist.all_reduce(t, op=op) is None
    assert t.data_ptr() == storage     # in place
    np.testing.assert_allclose(host(t), reducer(ref, 0), rtol=1e-6)

# ---- all_reduce: every dtype NCCL carries -------------------------------------------
for dtype, rtol in [(ember.int8, 0), (ember.uint8, 0), (ember.int32, 0), (ember.int64, 0),
                    (ember.float16, 1e-3), (ember.bfloat16, 1e-2), (ember.float32, 1e-6),
                    (ember.float64, 1e-12)]:
    try:
        t = on(base(rank, dtype=dtype))
    except (TypeError, ValueError, RuntimeError):
        assert dtype is ember.bfloat16     # CuPy itself has no bfloat16 arrays
        continue
    dist.all_reduce(t)
    assert t.dtype is dtype
    np.testing.assert_allclose(host(t).astype(np.float64), ref.sum(0), rtol=rtol)
t = on(base(rank, dtype=ember.int64))
dist.all_reduce(t, op=dist.ReduceOp.AVG)    # integers: the sum divided, truncated
np.testing.assert_array_equal(host(t), ref.sum(0).astype(np.int64) // size)

flags = on(ember.tensor([rank == 0, False, True]))   # bool: SUM is a logical or
dist.all_reduce(flags)
assert flags.dtype is ember.bool and host(flags).tolist() == [True, False, True]
flags = on(ember.tensor([rank == 0, True]))
dist.all_reduce(flags, op=dist.ReduceOp.MIN)
assert host(flags).tolist() == [size == 1, True]

z = on(ember.tensor([1 + 2j, rank - 1j], dtype=ember.complex64))
dist.all_reduce(z)
np.testing.assert_allclose(host(z), [size * (1 + 2j), sum(range(size)) - size * 1j])

empty = on(ember.zeros(0, 3))
dist.all_reduce(empty)
assert tuple(empty.shape) == (0, 3)
scalar = on(ember.tensor(float(rank + 1)))
dist.all_reduce(scalar)
assert scalar.item() == size * (size + 1) / 2

# ---- PyTorch's errors for what NCCL cannot do (raised before any communication) -------
for op in (dist.ReduceOp.BAND, dist.ReduceOp.BOR, dist.ReduceOp.BXOR):
    raises(ValueError, f'Cannot use ReduceOp.{op.name} with NCCL',
           lambda: dist.all_reduce(on(ember.ones(2, dtype=ember.int64)), op=op))
raises(TypeError, 'not supported for NCCL process group: Short',
       lambda: dist.all_reduce(on(ember.ones(2, dtype=ember.int16))))
raises(TypeError, 'not supported for NCCL process group: Short',
       lambda: dist.broadcast(on(ember.ones(2, dtype=ember.int16)), 0))
raises(TypeError, 'Cannot use ReduceOp.AVG with boolean inputs',
       lambda: dist.all_reduce(on(ember.ones(2, dtype=ember.bool)), op=dist.ReduceOp.AVG))
raises(ValueError, 'does not support ReduceOp.MAX on complex tensors',
       lambda: dist.all_reduce(on(ember.ones(2, dtype=ember.complex64)),
                               op=dist.ReduceOp.MAX))
raises(RuntimeError, 'recvAnysource', lambda: dist.recv(on(ember.zeros(1))))

# ---- layouts: a transposed target is written back, keeping its strides ---------------
square = on(ember.zeros(3, 2)).t()
square.copy_(on(base(rank)))
version = square._version
dist.all_reduce(square)
assert square.stride() == (1, 2) and square._version > version
np.testing.assert_allclose(host(square), ref.sum(0))
rows = on(ember.zeros(4, 3))[1:3]         # contiguous view at an offset
rows.copy_(on(base(rank)))
dist.all_reduce(rows)
np.testing.assert_allclose(host(rows), ref.sum(0))

# ---- async work --------------------------------------------------------------------
t = on(base(rank))
work = dist.all_reduce(t, async_op=True)
assert work.wait() and work.is_completed()
np.testing.assert_allclose(host(t), ref.sum(0))

# ---- the other collectives -----------------------------------------------------------
t = on(base(rank))
dist.broadcast(t, src=size - 1)
np.testing.assert_allclose(host(t), ref[size - 1])

t = on(base(rank))
dist.reduce(t, dst=0)
np.testing.assert_allclose(host(t), ref.sum(0) if rank == 0 else ref[rank])
t = on(base(rank))
dist.reduce(t, dst=size - 1, op=dist.ReduceOp.MAX)
np.testing.assert_allclose(host(t), ref.max(0) if rank == size - 1 else ref[rank])

outs = [on(ember.zeros(2, 3)) for _ in range(size)]
dist.all_gather(outs, on(base(rank)))
for r in range(size):
    np.testing.assert_allclose(host(outs[r]), ref[r])

big = on(ember.zeros(2 * size, 3))
dist.all_gather_into_tensor(big, on(base(rank)))
np.testing.assert_allclose(host(big), np.concatenate(ref))
stacked = on(ember.zeros(size, 2, 3))
dist.all_gather_into_tensor(stacked, on(base(rank)), async_op=True).wait()
np.testing.assert_allclose(host(stacked), ref)

gathered = [on(ember.zeros(2, 3)) for _ in range(size)] if rank == 0 else None
dist.gather(on(base(rank)), gathered, dst=0)
if rank == 0:
    for r in range(size):
        np.testing.assert_allclose(host(gathered[r]), ref[r])

got = on(ember.zeros(2, 3))
src = size - 1
dist.scatter(got, [on(base(r)) for r in range(size)] if rank == src else None, src=src)
np.testing.assert_allclose(host(got), ref[rank])

out = on(ember.zeros(2, 3))
dist.reduce_scatter(out, [on(base(rank) + r) for r in range(size)])
np.testing.assert_allclose(host(out), ref.sum(0) + size * rank)
out = on(ember.zeros(2, 3))
dist.reduce_scatter(out, [on(base(rank) + r) for r in range(size)], op=dist.ReduceOp.AVG)
np.testing.assert_allclose(host(out), ref.mean(0) + rank, rtol=1e-6)

out = on(ember.zeros(3))
dist.reduce_scatter_tensor(out, on(ember.arange(3 * size, dtype=ember.float32) * (rank + 1)))
np.testing.assert_allclose(host(out), np.arange(3 * rank, 3 * rank + 3) *
                           sum(range(1, size + 1)))

outs = [on(ember.zeros(1)) for _ in range(size)]
dist.all_to_all(outs, [on(ember.tensor([100.0 * rank + r])) for r in range(size)])
assert [o.item() for o in outs] == [100.0 * r + rank for r in range(size)]

single = on(ember.zeros(2 * size))
dist.all_to_all_single(single, on(ember.arange(2 * size, dtype=ember.float32) + 100 * rank))
np.testing.assert_allclose(host(single), [100 * r + 2 * rank + k for r in range(size)
                                          for k in range(2)])
rows = size * (size + 1) // 2
source = on(ember.arange(rows, dtype=ember.float32)[:, None] + 100 * rank +
            ember.tensor([0, 0.5]))
uneven = on(ember.zeros(size * (rank + 1), 2))
dist.all_to_all_single(uneven, source, output_split_sizes=[rank + 1] * size,
                       input_split_sizes=[j + 1 for j in range(size)])
first = rank * (rank + 1) // 2
np.testing.assert_allclose(host(uneven), [[100 * r + first + i, 100 * r + first + i + 0.5]
                                          for r in range(size) for i in range(rank + 1)])

if size >= 2:
    if rank == 0:
        dist.send(on(ember.tensor([3.0, 4.0])), dst=1)
        reply = on(ember.zeros(1))
        assert dist.recv(reply, src=1) == 1
        assert reply.item() == 7.0
    elif rank == 1:
        got = on(ember.zeros(2))
        dist.irecv(got, src=0).wait()
        dist.isend(got.sum().reshape(1), dst=0).wait()

# ---- cpu tensors of an NCCL group still go over MPI ------------------------------------
t = base(rank)
dist.all_reduce(t)
assert t.device.type == 'cpu'
np.testing.assert_allclose(t.numpy(), ref.sum(0))
dist.barrier()

# ---- a sub-group gets its own communicator -------------------------------------------
group = dist.new_group([0, 1]) if size >= 2 else None
if size >= 2 and rank in (0, 1):
    assert group._nccl is not None and group._nccl is not world._nccl
    t = on(ember.ones(1) * (rank + 1))
    dist.all_reduce(t, group=group)
    assert t.item() == 3.0
    assert group._nccl.comms[index].size() == 2
assert world._nccl.comms[index].device_id() == index   # bound to this rank's device
if group is not None:
    dist.destroy_process_group(group)
dist.destroy_process_group()
assert world._nccl is None

# ---- a device map with eager set-up on device_id ------------------------------------
dist.init_process_group('cuda:nccl,cpu:gloo', device_id=dev)
world = dist.get_world_group()
assert index in world._nccl.comms          # made by init_process_group itself
cuda_t, cpu_t = on(ember.ones(2)), ember.ones(2)
dist.all_reduce(cuda_t)
dist.all_reduce(cpu_t)
assert host(cuda_t).tolist() == cpu_t.tolist() == [size, size]
dist.destroy_process_group()
print(f'rank {rank} OK', flush=True)
