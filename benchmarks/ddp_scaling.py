"""Scaling of mlp_train over MPI ranks with DistributedDataParallel.

    python benchmarks/ddp_scaling.py            # launches 1 and 2 ranks with mpiexec

Each rank trains the 784-512-512-10 MLP on its own batch of 128 (weak scaling); the script
reports the median step time per rank count and the share of the step spent waiting for
gradient allreduces.
"""
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def worker(steps=30):
    sys.path.insert(0, ROOT)
    import ember as torch
    import ember.distributed as dist
    from ember import nn
    from ember.nn.parallel import DistributedDataParallel
    from ember.distributed import Work
    dist.init_process_group('mpi')
    waited = [0.0]
    original_wait = Work.wait

    def timed_wait(self, timeout=None):
        start = time.perf_counter()
        try:
            return original_wait(self, timeout)
        finally:
            waited[0] += time.perf_counter() - start
    Work.wait = timed_wait
    torch.manual_seed(0)
    model = DistributedDataParallel(nn.Sequential(
        nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10)))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    torch.manual_seed(1 + dist.get_rank())
    x, y = torch.randn(128, 784), torch.randint(0, 10, (128,))
    times, shares = [], []
    for step in range(steps):
        waited[0] = 0.0
        start = time.perf_counter()
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
        elapsed = time.perf_counter() - start
        if step >= 5:
            times.append(elapsed)
            shares.append(waited[0] / elapsed)
    if dist.get_rank() == 0:
        print(f'RESULT {statistics.median(times)} {statistics.median(shares)}', flush=True)
    dist.destroy_process_group()


def main():
    results = {}
    # One BLAS thread per rank: on 2 cores, 2 ranks x 2 threads would oversubscribe them.
    env = dict(os.environ, OPENBLAS_NUM_THREADS='1', OMP_NUM_THREADS='1',
               MKL_NUM_THREADS='1')
    for ranks in (1, 2):
        out = subprocess.run(['mpiexec', '-n', str(ranks), sys.executable, __file__,
                              '--worker'], capture_output=True, text=True, check=True,
                             env=env).stdout
        line = next(l for l in out.splitlines() if l.startswith('RESULT'))
        step, share = (float(v) for v in line.split()[1:])
        results[ranks] = step
        print(f'{ranks} rank(s): {step * 1e3:7.2f} ms per step (batch 128 per rank), '
              f'{share:5.1%} of it waiting for allreduce; '
              f'{128 * ranks / step:8.0f} samples/s')
    print(f'throughput scaling 1 -> 2 ranks: {2 * results[1] / results[2]:.2f}x')


if __name__ == '__main__':
    worker() if '--worker' in sys.argv else main()
