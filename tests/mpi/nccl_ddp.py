"""Run under mpiexec: DistributedDataParallel on cuda tensors over an NCCL process group.
Gradients equal single-process gradients on the concatenated batch, buckets are reduced on
the device, parameters stay identical across ranks over 10 SGD steps; no_sync and unused
parameters work. Prints 'rank N OK'."""
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

warnings.simplefilter('error', RuntimeWarning)
from mpi4py import MPI  # noqa: E402

index = MPI.COMM_WORLD.Get_rank() % ember.cuda.device_count()
dev = ember.device('cuda', index)
ember.cuda.set_device(index)
import cupy  # noqa: E402
cupy.cuda.Device(index).use()

dist.init_process_group('nccl')
rank, size = dist.get_rank(), dist.get_world_size()


def make_model(seed):
    ember.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 16), nn.Linear(16, 3))


ember.manual_seed(100)
full_x = ember.randn(4 * size, 6, dtype=ember.float64)
full_y = ember.randn(4 * size, 3, dtype=ember.float64)

reference = make_model(1).double()            # one process, the whole batch, on cpu
ddp = DDP(make_model(rank + 1).double().to(dev), device_ids=[index],
          bucket_cap_mb=0.0005)                 # tiny buckets: several of them
assert len(ddp._buckets) > 1 and all(b.on_device for b in ddp._buckets)
for p, q in zip(reference.parameters(), ddp.module.parameters()):   # rank 0's initial weights
    assert q.device == dev
    np.testing.assert_array_equal(p.detach().numpy(), q.detach().cpu().numpy())

x, y = full_x.to(dev), full_y.to(dev)
shard = slice(4 * rank, 4 * rank + 4)
opt_ref = ember.optim.SGD(reference.parameters(), lr=0.1)
opt_ddp = ember.optim.SGD(ddp.parameters(), lr=0.1)
for step in range(10):
    opt_ref.zero_grad()
    opt_ddp.zero_grad()
    ((reference(full_x) - full_y) ** 2).mean().backward()
    ((ddp(x[shard]) - y[shard]) ** 2).mean().backward()
    for p, q in zip(reference.parameters(), ddp.module.parameters()):
        assert q.grad.device == dev
        np.testing.assert_allclose(q.grad.cpu().numpy(), p.grad.numpy(), rtol=1e-10,
                                   atol=1e-12)
    opt_ref.step()
    opt_ddp.step()

for p, q in zip(reference.parameters(), ddp.module.parameters()):
    np.testing.assert_allclose(q.detach().cpu().numpy(), p.detach().numpy(), rtol=1e-10)
    gathered = [ember.zeros_like(q) for _ in range(size)]
    dist.all_gather(gathered, q.detach())
    for g in gathered:
        np.testing.assert_array_equal(g.cpu().numpy(), q.detach().cpu().numpy())

ddp.zero_grad()
with ddp.no_sync():
    ddp(x[:2]).sum().backward()
local = [p.grad.clone() for p in ddp.module.parameters()]
ddp.zero_grad()
ddp(x[:2]).sum().backward()       # the same data on every rank: the average is the local grad
for before, p in zip(local, ddp.module.parameters()):
    np.testing.assert_allclose(p.grad.cpu().numpy(), before.cpu().numpy(), rtol=1e-12)


class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.used = nn.Linear(2, 2)
        self.unused = nn.Linear(2, 2)

    def forward(self, x):
        return self.used(x)


model = DDP(Branchy().to(dev), find_unused_parameters=True)
model(ember.ones(1, 2, device=dev) * (rank + 1)).sum().backward()
np.testing.assert_allclose(model.module.used.weight.grad.cpu().numpy(),
                           np.full((2, 2), (size + 1) / 2))
assert model.module.unused.weight.grad.device == dev
assert not model.module.unused.weight.grad.cpu().numpy().any()
dist.destroy_process_group()
print(f'rank {rank} OK', flush=True)
