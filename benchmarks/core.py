"""Micro-benchmark of the Tensor core: creation, views and a small repr, on ember and (when
importable) PyTorch in the same process.

    python benchmarks/core.py

Each operation is timed with ``timeit``: the loop count is chosen so that one timing takes
about 20 ms, and the best of several repeats is reported in microseconds per call, with the
ember/PyTorch ratio. The whole run takes a few seconds.
"""
import os
import sys
import timeit

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import ember  # noqa: E402

try:
    import torch
except ImportError:  # ember alone, without ratios
    torch = None

REPEATS = 7
TARGET_SECONDS = 0.02


def operations(lib):
    """(name, zero-argument callable) for each timed operation of library ``lib``."""
    x = lib.arange(16.).view(4, 4)
    small = lib.tensor([[1., 2.], [3., 4.]])
    return [
        ('tensor([[1.,2.],[3.,4.]])', lambda: lib.tensor([[1., 2.], [3., 4.]])),
        ('zeros(64, 64)', lambda: lib.zeros(64, 64)),
        ('x.view(-1)', lambda: x.view(-1)),
        ('x.t()', lambda: x.t()),
        ('x[1:, None]', lambda: x[1:, None]),
        ('repr(2x2 tensor)', lambda: repr(small)),
    ]


def best_microseconds(fn):
    """Best per-call time of ``fn`` over ``REPEATS`` timings, in microseconds."""
    timer = timeit.Timer(fn)
    number = 1
    while True:
        elapsed = timer.timeit(number)
        if elapsed >= TARGET_SECONDS / 10 or number >= 1 << 20:
            break
        number *= 10
    number = max(1, int(number * TARGET_SECONDS / max(elapsed, 1e-9)))
    return min(timer.repeat(repeat=REPEATS, number=number)) / number * 1e6


def main():
    ember_ops = operations(ember)
    torch_ops = operations(torch) if torch is not None else [(n, None) for n, _ in ember_ops]
    header = f'{"operation":<28}{"ember us":>12}{"torch us":>12}{"ratio":>10}'
    print(header)
    print('-' * len(header))
    for (name, ember_fn), (_, torch_fn) in zip(ember_ops, torch_ops):
        ours = best_microseconds(ember_fn)
        if torch_fn is None:
            print(f'{name:<28}{ours:>12.2f}{"-":>12}{"-":>10}')
            continue
        theirs = best_microseconds(torch_fn)
        print(f'{name:<28}{ours:>12.2f}{theirs:>12.2f}{ours / theirs:>9.1f}x')
    if torch is None:
        print('(PyTorch is not installed: no ratios)')


if __name__ == '__main__':
    main()
