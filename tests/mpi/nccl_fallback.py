"""Run under mpiexec on the simulated cuda device WITHOUT any CuPy: backend 'nccl' warns and
runs on MPI; cuda tensors (collectives and DDP, whose buckets then go through host memory)
still give the right values. Prints 'rank N OK'."""
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__)))))
import ember  # noqa: E402
import ember.distributed as dist  # noqa: E402
from ember import nn  # noqa: E402
from ember.nn.parallel import DistributedDataParallel as DDP  # noqa: E402

assert ember.cuda.is_available() and not dist.is_nccl_available()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter('always')
    dist.init_process_group('nccl')
assert [str(w.message) for w in caught if w.category is RuntimeWarning] and \
    'collectives run on MPI' in str(caught[0].message), [str(w.message) for w in caught]
rank, size = dist.get_rank(), dist.get_world_size()
assert dist.get_backend() == 'nccl' and dist.get_world_group()._nccl is None

dev = ember.device('cuda', rank % ember.cuda.device_count())
t = ember.ones(2, 3, device=dev) * (rank + 1)
dist.all_reduce(t)
assert t.device == dev
np.testing.assert_allclose(t.cpu().numpy(), np.full((2, 3), size * (size + 1) / 2))
t = ember.ones(3, dtype=ember.int64, device=dev) * (rank + 1)
dist.all_reduce(t, op=dist.ReduceOp.BXOR)     # MPI has what NCCL lacks
expected = 0
for r in range(size):
    expected ^= r + 1
assert t.cpu().tolist() == [expected] * 3

ember.manual_seed(0)
full_x = ember.randn(2 * size, 4, dtype=ember.float64)
ember.manual_seed(1)
reference = nn.Linear(4, 2).double()
ember.manual_seed(1)
ddp = DDP(nn.Linear(4, 2).double().to(dev), bucket_cap_mb=0.00001)
assert not any(b.on_device for b in ddp._buckets)
reference(full_x).pow(2).mean().backward()
ddp(full_x[2 * rank:2 * rank + 2].to(dev)).pow(2).mean().backward()
for p, q in zip(reference.parameters(), ddp.module.parameters()):
    assert q.grad.device == dev
    np.testing.assert_allclose(q.grad.cpu().numpy(), p.grad.numpy(), rtol=1e-12)
dist.destroy_process_group()
print(f'rank {rank} OK', flush=True)
