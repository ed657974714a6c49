"""Whole-process figures for ember and PyTorch: import time, memory after import, peak memory
over 20 mlp_train steps (each in a fresh interpreter), and installed size.

    python benchmarks/process.py
"""
import os
import subprocess
import sys
import sysconfig

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_IMPORT = '''
import resource, time
t = time.perf_counter()
import {lib}
elapsed = time.perf_counter() - t
import {lib}.nn, {lib}.optim, {lib}.utils.data
elapsed_training = time.perf_counter() - t
print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, elapsed_training)
'''

_TRAIN = '''
import resource, sys
sys.path.insert(0, {root!r})
import {lib} as lib
from benchmarks.suite import mlp_train
step, _ = mlp_train(lib)
for _ in range(20):
    step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
'''


def _run(code):
    env = dict(os.environ, PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         env=env, check=True).stdout.split()
    return [float(v) for v in out]


def _size(package):
    import importlib.util
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return 0
    total = 0
    for folder in spec.submodule_search_locations:
        for dirpath, _, files in os.walk(folder):
            total += sum(os.path.getsize(os.path.join(dirpath, f)) for f in files)
    return total


def _compile_bytecode():
    """Write ember's .pyc files first, as ``pip install`` does (PyTorch's come installed);
    otherwise, with PYTHONDONTWRITEBYTECODE set, every run would time the compiler."""
    import compileall
    compileall.compile_dir(os.path.join(ROOT, 'ember'), quiet=1)


def main():
    libs = ['ember'] + (['torch'] if _has('torch') else [])
    _compile_bytecode()
    rows = {}
    for lib in libs:
        imports = sorted(_run(_IMPORT.format(lib=lib)) for _ in range(5))
        import_s, rss_kb, training_s = imports[2]
        peak_kb = _run(_TRAIN.format(lib=lib, root=ROOT))[0]
        size = _size(lib) + (_size('numpy') if lib == 'ember' else 0)
        rows[lib] = (import_s, training_s, rss_kb / 1024, peak_kb / 1024, size / 2**20)
    print(f'{"":22s}' + ''.join(f'{lib:>12s}' for lib in libs) + ('       ratio' if
                                                                 len(libs) == 2 else ''))
    for i, label in enumerate(['import time (s)', '+ nn, optim, data (s)', 'RSS after import (MB)',
                               'peak RSS, 20 mlp steps', 'installed size (MB)']):
        values = [rows[lib][i] for lib in libs]
        ratio = f'{values[0] / values[1]:12.3f}' if len(values) == 2 and values[1] else ''
        print(f'{label:22s}' + ''.join(f'{v:12.2f}' for v in values) + ratio)


def _has(name):
    import importlib.util
    return importlib.util.find_spec(name) is not None


if __name__ == '__main__':
    main()
