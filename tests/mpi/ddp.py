"""Run under mpiexec: DDP gradients equal single-process gradients on the concatenated
batch; parameters stay identical across ranks over 10 steps; no_sync; unused parameters."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__)))))
import ember  # noqa: E402
import ember.distributed as dist  # noqa: E402
from ember import nn  # noqa: E402
from ember.nn.parallel import DistributedDataParallel as DDP  # noqa: E402

dist.init_process_group('gloo')
rank, size = dist.get_rank(), dist.get_world_size()


def make_model(seed):
    ember.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 16), nn.Linear(16, 16), nn.Linear(16, 3))


ember.manual_seed(100)
full_x = ember.randn(4 * size, 6)
full_y = ember.randn(4 * size, 3)

reference = make_model(1)  # rank 0's replica, which DDP broadcasts
ddp = DDP(make_model(rank + 1), bucket_cap_mb=0.0005)  # tiny buckets: several of them
assert list(ddp.state_dict())[0] == 'module.0.weight'
for p, q in zip(reference.parameters(), ddp.module.parameters()):
    np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())  # rank 0's init

opt_ref = ember.optim.SGD(reference.parameters(), lr=0.1) if hasattr(ember, 'optim') else None
opt_ddp = ember.optim.SGD(ddp.parameters(), lr=0.1) if hasattr(ember, 'optim') else None
for step in range(10):
    reference.zero_grad()
    ddp.zero_grad()
    ((reference(full_x) - full_y) ** 2).mean().backward()
    shard = slice(4 * rank, 4 * rank + 4)
    ((ddp(full_x[shard]) - full_y[shard]) ** 2).mean().backward()
    for p, q in zip(reference.parameters(), ddp.module.parameters()):
        np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), rtol=1e-4, atol=1e-6)
    with ember.no_grad():
        for p, q in zip(reference.parameters(), ddp.module.parameters()):
            p -= 0.1 * p.grad
            q -= 0.1 * q.grad

for p in ddp.module.parameters():
    gathered = [ember.zeros_like(p) for _ in range(size)]
    dist.all_gather(gathered, p.detach())
    for g in gathered:
        np.testing.assert_array_equal(g.numpy(), p.detach().numpy())

ddp.zero_grad()
with ddp.no_sync():
    ddp(full_x[:2]).sum().backward()
local = [p.grad.clone() for p in ddp.module.parameters()]
ddp.zero_grad()
ddp(full_x[:2]).sum().backward()
for before, p in zip(local, ddp.module.parameters()):
    np.testing.assert_allclose(p.grad.numpy(), before.numpy(), rtol=1e-5)  # same data


class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.used = nn.Linear(2, 2)
        self.unused = nn.Linear(2, 2)

    def forward(self, x):
        return self.used(x)


model = DDP(Branchy(), find_unused_parameters=True)
model(ember.ones(1, 2) * (rank + 1)).sum().backward()
assert model.module.used.weight.grad is not None
dist.destroy_process_group()
print(f'rank {rank} OK', flush=True)
