"""The benchmark suite: each workload runs on ember and (when importable) PyTorch in the same
process, interleaved, several repeats; prints the median per workload and the ratio
ember/PyTorch, and writes a JSON file for history.

    python -m benchmarks                 # all workloads
    python -m benchmarks op_overhead     # some of them
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import ember  # noqa: E402


def _torch():
    """PyTorch when importable (imported on demand: process.py times ember alone through
    these workloads, and torch's 200 MB must not count against it)."""
    try:
        import torch
    except ImportError:  # the suite still runs, without ratios
        return None
    return torch


def _timer(fn, number):
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


# Each workload: setup(lib) -> (callable, calls per timing, unit label).
def op_overhead(lib):
    a, b = lib.ones(4), lib.ones(4)
    return (lambda: a + b), 20000


def op_overhead_grad(lib):
    a = lib.ones(4, requires_grad=True)
    b = lib.ones(4, requires_grad=True)
    return (lambda: a + b), 20000


def elementwise_4M(lib):
    lib.manual_seed(0)
    a, b, c = (lib.randn(2048, 2048) for _ in range(3))
    return (lambda: (a * b + c).relu()), 5


def matmul_1024(lib):
    lib.manual_seed(0)
    a, b = lib.randn(1024, 1024), lib.randn(1024, 1024)
    return (lambda: a @ b), 5


def chain_1000(lib):
    """Forward and backward of a 1,000-op elementwise chain on a small tensor."""
    x = lib.ones(16, requires_grad=True)

    def run():
        y = x
        for i in range(500):
            y = y * 1.001
            y = y + 0.001
        y.sum().backward()
        x.grad = None
    return run, 3


def mlp_manual(lib):
    """A 784-512-512-10 ReLU MLP, batch 128, forward + backward + SGD by hand (no nn)."""
    lib.manual_seed(0)
    sizes = [784, 512, 512, 10]
    params = []
    for i, o in zip(sizes, sizes[1:]):
        params.append((lib.randn(i, o) * (1 / i ** 0.5)).requires_grad_())
        params.append(lib.zeros(o, requires_grad=True))
    x = lib.randn(128, 784)
    target = lib.randint(0, 10, (128,))
    onehot = lib.zeros(128, 10)
    onehot[lib.arange(128), target] = 1.0

    def run():
        h = x
        for k in range(0, len(params), 2):
            h = lib.addmm(params[k + 1], h, params[k])
            if k < len(params) - 2:
                h = h.relu()
        z = h - h.amax(1, keepdim=True)
        logp = z - z.exp().sum(1, keepdim=True).log()
        loss = -(logp * onehot).sum() / 128
        loss.backward()
        with lib.no_grad():
            for p in params:
                p -= 0.01 * p.grad
                p.grad = None
    return run, 10


def _train_step(lib, model, loss_fn, optimizer, x, y):
    def run():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
    return run


def mlp_train(lib):
    """784-512-512-10 ReLU MLP, batch 128, CrossEntropyLoss, SGD momentum 0.9, full step."""
    nn = lib.nn
    lib.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                          nn.Linear(512, 10))
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = lib.randn(128, 784), lib.randint(0, 10, (128,))
    return _train_step(lib, model, nn.CrossEntropyLoss(), opt, x, y), 10


def cnn_train(lib):
    """PyTorch's MNIST example net, batch 64 of 1x28x28, Adam, full step."""
    nn = lib.nn
    F = nn.functional
    lib.manual_seed(0)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
            return self.fc2(F.relu(self.fc1(lib.flatten(x, 1))))
    model = Net()
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    x, y = lib.randn(64, 1, 28, 28), lib.randint(0, 10, (64,))
    return _train_step(lib, model, nn.CrossEntropyLoss(), opt, x, y), 2


def transformer_train(lib):
    """A pre-LN transformer block: Embedding 1000x128, 4-head causal attention, GELU MLP
    128->512->128, batch 16, sequence 64, Adam, full step."""
    nn = lib.nn
    lib.manual_seed(0)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(1000, 128)
            self.ln1 = nn.LayerNorm(128)
            self.attn = nn.MultiheadAttention(128, 4, batch_first=True)
            self.ln2 = nn.LayerNorm(128)
            self.mlp = nn.Sequential(nn.Linear(128, 512), nn.GELU(), nn.Linear(512, 128))
            self.head = nn.Linear(128, 1000)

        def forward(self, tokens):
            x = self.embed(tokens)
            h = self.ln1(x)
            mask = lib.triu(lib.ones(64, 64, dtype=lib.bool), diagonal=1)
            x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
            x = x + self.mlp(self.ln2(x))
            return self.head(x).reshape(-1, 1000)
    model = Block()
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    tokens = lib.randint(0, 1000, (16, 64))
    target = lib.randint(0, 1000, (16 * 64,))
    return _train_step(lib, model, nn.CrossEntropyLoss(), opt, tokens, target), 2


def lstm_train(lib):
    """A 2-layer LSTM, hidden 256, sequence 32, batch 32, full step (SGD)."""
    nn = lib.nn
    lib.manual_seed(0)
    lstm = nn.LSTM(64, 256, num_layers=2)
    opt = lib.optim.SGD(lstm.parameters(), lr=0.01)
    x = lib.randn(32, 32, 64)

    def loss_fn(out, target):
        return ((out[0] - target) ** 2).mean()
    return _train_step(lib, lstm, loss_fn, opt, x, lib.zeros(32, 32, 256)), 2


WORKLOADS = {f.__name__: f for f in (op_overhead, op_overhead_grad, elementwise_4M,
                                      matmul_1024, chain_1000, mlp_manual, mlp_train,
                                      cnn_train, transformer_train, lstm_train)}


def run_workload(name, repeats):
    torch = _torch()
    libs = [ember] + ([torch] if torch is not None else [])
    try:
        prepared = {lib.__name__: WORKLOADS[name](lib) for lib in libs}
    except (AttributeError, NotImplementedError) as error:
        print(f'{name:20s} skipped: {error}')
        return None
    times = {lib: [] for lib in prepared}
    for lib, (fn, number) in prepared.items():
        fn()  # warm up
    for _ in range(repeats):
        for lib, (fn, number) in prepared.items():
            # Let the other library's worker threads stop spinning first: OpenBLAS's (NumPy)
            # and OpenMP's (PyTorch) threads busy-wait after a call, and on 2 cores they
            # would steal the next library's time.
            time.sleep(0.2)
            times[lib].append(_timer(fn, number))
    return {lib: statistics.median(ts) for lib, ts in times.items()}


def _fmt(seconds):
    if seconds < 1e-3:
        return f'{seconds * 1e6:9.2f} us'
    return f'{seconds * 1e3:9.2f} ms'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('workloads', nargs='*', default=list(WORKLOADS))
    parser.add_argument('--repeats', type=int, default=7)
    parser.add_argument('--json', default=os.path.join('benchmarks', 'results',
                                                       'latest.json'))
    args = parser.parse_args(argv)
    results = {}
    print(f'{"workload":20s} {"ember":>12s} {"torch":>12s} {"ratio":>7s}')
    for name in args.workloads:
        medians = run_workload(name, args.repeats)
        if medians is None:
            continue
        e = medians['ember']
        t = medians.get('torch')
        ratio = e / t if t else None
        results[name] = {'ember_s': e, 'torch_s': t, 'ratio': ratio}
        print(f'{name:20s} {_fmt(e)} {_fmt(t) if t else "        -":>12s} '
              f'{ratio if ratio is None else f"{ratio:7.2f}"}', flush=True)
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, 'w') as f:
        json.dump({'time': time.time(), 'python': platform.python_version(),
                   'torch': getattr(_torch(), '__version__', None), 'results': results}, f,
                  indent=1)


if __name__ == '__main__':
    main()
