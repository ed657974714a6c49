"""ember against tinygrad and HIPS autograd on the workloads of benchmarks/suite.py.

    python benchmarks/others.py                      # all workloads
    python benchmarks/others.py matmul_1024 cnn_train --repeats 5

Neither framework is a dependency of ember: install them in a separate environment
(``pip install tinygrad autograd``) and run this file with that environment's Python. A
framework that is not importable is skipped (``-``); a workload that fails on a framework
shows ``error`` and the error on stderr. Every workload is expressed in every framework.

The ember side runs suite.py's own workload functions, unchanged. The other frameworks run
the same shapes, batch sizes, float32 dtype, losses and optimizers, written here by hand.
Columns:

* ``ember``         suite.py's workload.
* ``tinygrad``      tinygrad, eager: every call builds the lazy graph and realizes the
                    result inside the timed region (``.realize()``, or the optimizer's
                    realizing ``Tensor.realize(loss, *opt.schedule_step())``), so scheduling,
                    fusion and kernel launches are counted. Its kernels compile on the first
                    call (and on any call whose graph is new); that time is reported apart.
* ``tinygrad-jit``  the same step under ``TinyJit``: the first two calls trace and capture,
                    later calls replay the captured kernels without running Python.
* ``autograd``      HIPS autograd (``autograd.numpy`` + ``grad``), with plain-NumPy
                    SGD/SGD-momentum/Adam updates written as PyTorch defines them.

Untimed warm-up calls: one for ember and autograd, two for tinygrad (the first compiles
its kernels, and the second may still compile a few), three for tinygrad-jit (the first two
trace and capture). Their times are printed in a second table. Then come ``--repeats``
timings interleaved between frameworks; each timing makes suite.py's number of calls, or
fewer when that would take longer than ``--budget`` seconds; the median per call is printed
with the ratios ember/other (above 1: ember is slower). ``--skip tinygrad`` leaves out a
framework's column (tinygrad eager takes most of the run's time).

Where a framework's version differs from suite.py's:

* tinygrad CPU device: tinygrad compiles its kernels with clang. When clang is missing and
  gcc is present, a small shim (written to a temporary folder) adapts tinygrad's clang C
  (``ext_vector_type``, ``__fp16``, ``__builtin_bit_cast``, ``--target``) to gcc, and the
  table's header says so; kernels built by gcc may run at a different speed from clang's.
  ``DEV``, ``CC`` and ``CACHELEVEL`` set in the environment are respected; by default
  ``CACHELEVEL=0`` so that the first call shows a cold compile, not tinygrad's disk cache.
* tinygrad inputs are realized buffers (not lazy constants, which tinygrad would fold into
  the kernels); tinygrad has no requires_grad flag (op_overhead_grad is op_overhead there,
  and backward gives a .grad to every float tensor in the graph). Model parameters use
  tinygrad's own initializers, and nn.LayerNorm/nn.Embedding/nn.Linear/nn.Conv2d; the
  attention (PyTorch's MultiheadAttention: a 128->384 in-projection, 4 heads, causal mask,
  128->128 out-projection) uses ``scaled_dot_product_attention(is_causal=True)``, GELU is
  the exact (erf) one, the LSTM is written by hand (PyTorch's gate order i, f, g, o).
* tinygrad runs with its default kernel optimizations (no BEAM search; ``BEAM=`` in the
  environment is respected). In the LSTM, the cell and hidden states are made
  ``.contiguous()`` each step: without it tinygrad fuses every step's state into the next
  step's kernels and recomputes the recurrence, about four times slower.
* autograd: ``op_overhead`` calls ``autograd.numpy.add`` on plain arrays (outside a trace
  autograd is NumPy plus its wrapper's dispatch); ``op_overhead_grad`` adds two ArrayBoxes
  of a live trace, which records one node per call, as PyTorch does for requires_grad
  inputs. The convolution is an im2col made with NumPy stride tricks, as an autograd
  primitive whose VJP adds the nine window slices back, then one matrix product; max
  pooling is a reshape and ``max`` over the window axes; the packed q/k/v projection and the
  LSTM gates are cut with ``split``, not slicing (autograd's slicing VJP uses the slow
  ``np.add.at``); GELU uses ``autograd.scipy.special.erf`` when SciPy is importable, else
  the tanh approximation. Data is drawn from NumPy's generator, not from ember's (same
  shapes and distributions). Its losses and gradients were checked against PyTorch's.
"""
import argparse
import atexit
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import ember  # noqa: E402
from benchmarks import suite  # noqa: E402

FRAMEWORKS = ('ember', 'tinygrad', 'tinygrad-jit', 'autograd')


# ---------------------------------------------------------------------------------------
# Framework loading

# Makes gcc accept the C that tinygrad writes for clang; tinygrad runs it as its $CC with
# clang's arguments and C source on stdin, and reads the object file from stdout.
_GCC_SHIM = r'''
import os, re, subprocess, sys, tempfile
args = [a for a in sys.argv[1:] if not a.startswith('--target=')]
src = sys.stdin.read()
src = re.sub(r'typedef ([\w ]+?) (\w+) __attribute__\(\((.*?)ext_vector_type\((\d+)\)\)\);',
             lambda m: 'typedef %s %s __attribute__((%svector_size(%s*sizeof(%s))));'
             % (m[1], m[2], m[3], m[4], m[1]), src)
src = src.replace('__fp16', '_Float16')
prelude = ('#define __builtin_bit_cast(T, x) ({ __typeof__(x) s_ = (x); T d_; '
           '__builtin_memcpy(&d_, &s_, sizeof(T)); d_; })\n')
with tempfile.TemporaryDirectory() as d:
    source, obj = os.path.join(d, 'k.c'), os.path.join(d, 'k.o')
    with open(source, 'w') as f:
        f.write(prelude + src)
    args[args.index('-')] = source
    args[args.index('-o') + 1] = obj
    done = subprocess.run(['gcc', '-w'] + args)
    if done.returncode:
        sys.exit(done.returncode)
    with open(obj, 'rb') as f:
        sys.stdout.buffer.write(f.read())
'''


def _prepare_tinygrad_env():
    """Environment for tinygrad's CPU device, set before tinygrad is imported; returns a
    note on how its kernels are compiled."""
    os.environ.setdefault('DEV', 'CPU')
    os.environ.setdefault('CACHELEVEL', '0')
    if 'CC' in os.environ:
        return f'CC={os.environ["CC"]}'
    if shutil.which('clang'):
        return 'clang'
    if not shutil.which('gcc'):
        return 'no C compiler found'
    folder = tempfile.mkdtemp(prefix='ember-others-')
    atexit.register(shutil.rmtree, folder, True)
    with open(os.path.join(folder, 'gcc_shim.py'), 'w') as f:
        f.write(_GCC_SHIM)
    cc = os.path.join(folder, 'cc')
    with open(cc, 'w') as f:
        f.write(f'#!/bin/sh\nexec "{sys.executable}" "{folder}/gcc_shim.py" "$@"\n')
    os.chmod(cc, 0o755)
    os.environ['CC'] = cc
    return 'gcc through a clang-compatibility shim (clang not found)'


def _version(distribution):
    try:
        return importlib.metadata.version(distribution)
    except Exception:  # not installed as a distribution
        return '?'


def load_tinygrad():
    """(module namespace, description) or (None, why not)."""
    if importlib.util.find_spec('tinygrad') is None:
        return None, 'not installed'
    compiler = _prepare_tinygrad_env()
    try:
        from tinygrad import Tensor, TinyJit, Device, nn
        from tinygrad.helpers import TRAINING
        TRAINING.value = 1  # tinygrad's optimizers refuse to step without it
        from tinygrad.nn.state import get_parameters
        dev = Device.DEFAULT
        (Tensor([1.0, 2.0]) + 1).realize().numpy()  # opens the device, compiles once
    except Exception as error:  # ImportError, or a device that cannot start
        return None, f'{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ""}'
    ns = argparse.Namespace(Tensor=Tensor, TinyJit=TinyJit, nn=nn,
                            get_parameters=get_parameters)
    return ns, (f'tinygrad {_version("tinygrad")}, device {dev}, '
                f'kernels compiled by {compiler}')


def load_autograd():
    """(module namespace, description) or (None, why not)."""
    if importlib.util.find_spec('autograd') is None:
        return None, 'not installed'
    try:
        import autograd.numpy as anp
        from autograd import grad
        from autograd.tracer import trace_stack, new_box
        from autograd.core import VJPNode
        from autograd.extend import primitive, defvjp
    except ImportError as error:
        return None, f'ImportError: {error}'
    try:
        from autograd.scipy.special import erf
    except ImportError:  # no SciPy: tanh GELU
        erf = None
    ns = argparse.Namespace(anp=anp, grad=grad, trace_stack=trace_stack, new_box=new_box,
                            VJPNode=VJPNode, erf=erf, primitive=primitive, defvjp=defvjp)
    gelu = 'erf' if erf is not None else 'tanh approximation (no SciPy)'
    return ns, f'HIPS autograd {_version("autograd")}, GELU {gelu}'


# ---------------------------------------------------------------------------------------
# Shared data (NumPy, float32)

def _rng():
    return np.random.default_rng(0)


def _randn(rng, *shape):
    return rng.standard_normal(shape, dtype=np.float32)


def _uniform(rng, bound, *shape):
    return rng.uniform(-bound, bound, shape).astype(np.float32)


def _labels(rng, high, *shape):
    return rng.integers(0, high, shape, dtype=np.int64)


def _linear_params(rng, fan_in, fan_out):
    """PyTorch's nn.Linear layout and default bounds: weight (out, in), bias (out)."""
    bound = 1 / fan_in ** 0.5
    return [_uniform(rng, bound, fan_out, fan_in), _uniform(rng, bound, fan_out)]


# ---------------------------------------------------------------------------------------
# tinygrad workloads: each returns step(), whose realized result the timed call computes.

def _tg_buffer(tg, array):
    return tg.Tensor(array).realize()


def _tg_realize_step(tg, params, loss_fn, opt, inputs):
    """A training step. tinygrad has no requires_grad: backward() gives a lazy .grad to every
    live float tensor in the graph and accumulates it, so the inputs' grads are dropped each
    step (kept, their lazy graphs would grow step after step)."""
    def step():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        tg.Tensor.realize(loss, *opt.schedule_step())
        for t in inputs:
            t.grad = None
        return loss
    tg.Tensor.realize(*params)
    return step


def tg_op_overhead(tg):
    a, b = _tg_buffer(tg, np.ones(4, np.float32)), _tg_buffer(tg, np.ones(4, np.float32))
    return lambda: (a + b).realize()


def tg_op_overhead_grad(tg):
    a = _tg_buffer(tg, np.ones(4, np.float32))  # tinygrad has no requires_grad flag
    b = _tg_buffer(tg, np.ones(4, np.float32))
    return lambda: (a + b).realize()


def tg_elementwise_4M(tg):
    rng = _rng()
    a, b, c = (_tg_buffer(tg, _randn(rng, 2048, 2048)) for _ in range(3))
    return lambda: (a * b + c).relu().realize()


def tg_matmul_1024(tg):
    rng = _rng()
    a, b = _tg_buffer(tg, _randn(rng, 1024, 1024)), _tg_buffer(tg, _randn(rng, 1024, 1024))
    return lambda: (a @ b).realize()


def tg_chain_1000(tg):
    x = _tg_buffer(tg, np.ones(16, np.float32))

    def step():
        y = x
        for _ in range(500):
            y = y * 1.001
            y = y + 0.001
        y.sum().backward()
        g = x.grad.realize()
        x.grad = None
        return g
    return step


def tg_mlp_manual(tg):
    rng = _rng()
    sizes = [784, 512, 512, 10]
    params = []
    for i, o in zip(sizes, sizes[1:]):
        params.append(_tg_buffer(tg, _randn(rng, i, o) * np.float32(1 / i ** 0.5)))
        params.append(_tg_buffer(tg, np.zeros(o, np.float32)))
    x = _tg_buffer(tg, _randn(rng, 128, 784))
    onehot = np.zeros((128, 10), np.float32)
    onehot[np.arange(128), _labels(rng, 10, 128)] = 1.0
    onehot = _tg_buffer(tg, onehot)

    def step():
        h = x
        for k in range(0, len(params), 2):
            h = h.linear(params[k], params[k + 1])
            if k < len(params) - 2:
                h = h.relu()
        z = h - h.max(1, keepdim=True)
        logp = z - z.exp().sum(1, keepdim=True).log()
        loss = -(logp * onehot).sum() / 128
        loss.backward()
        for p in params:
            p.assign(p.detach() - 0.01 * p.grad)
        tg.Tensor.realize(loss, *params)
        for t in params + [x, onehot]:
            t.grad = None
        return loss
    return step


def tg_mlp_train(tg):
    nn = tg.nn
    rng = _rng()
    layers = [nn.Linear(784, 512), nn.Linear(512, 512), nn.Linear(512, 10)]
    x = _tg_buffer(tg, _randn(rng, 128, 784))
    y = _tg_buffer(tg, _labels(rng, 10, 128).astype(np.int32))

    def loss_fn():
        h = layers[2](layers[1](layers[0](x).relu()).relu())
        return h.sparse_categorical_crossentropy(y)
    params = tg.get_parameters(layers)
    opt = nn.optim.SGD(params, lr=0.01, momentum=0.9)
    return _tg_realize_step(tg, params, loss_fn, opt, [x])


def tg_cnn_train(tg):
    nn = tg.nn
    rng = _rng()

    class Net:
        def __init__(self):
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def __call__(self, x):
            x = self.conv2(self.conv1(x).relu()).relu().max_pool2d(kernel_size=(2, 2))
            return self.fc2(self.fc1(x.flatten(1)).relu())
    model = Net()
    x = _tg_buffer(tg, _randn(rng, 64, 1, 28, 28))
    y = _tg_buffer(tg, _labels(rng, 10, 64).astype(np.int32))
    params = tg.get_parameters(model)
    opt = nn.optim.Adam(params, lr=1e-3)
    return _tg_realize_step(tg, params, lambda: model(x).sparse_categorical_crossentropy(y), opt,
                            [x])


def tg_transformer_train(tg):
    nn = tg.nn
    rng = _rng()

    class Block:
        def __init__(self):
            self.embed = nn.Embedding(1000, 128)
            self.ln1 = nn.LayerNorm(128)
            self.in_proj = nn.Linear(128, 3 * 128)
            self.out_proj = nn.Linear(128, 128)
            self.ln2 = nn.LayerNorm(128)
            self.fc1, self.fc2 = nn.Linear(128, 512), nn.Linear(512, 128)
            self.head = nn.Linear(128, 1000)

        def __call__(self, tokens):
            x = self.embed(tokens)
            b, s, _ = x.shape
            q, k, v = (t.reshape(b, s, 4, 32).transpose(1, 2)
                       for t in self.in_proj(self.ln1(x)).chunk(3, dim=-1))
            attn = q.scaled_dot_product_attention(k, v, is_causal=True)
            x = x + self.out_proj(attn.transpose(1, 2).reshape(b, s, 128))
            x = x + self.fc2(self.fc1(self.ln2(x)).gelu(approximate='none'))
            return self.head(x).reshape(-1, 1000)
    model = Block()
    tokens = _tg_buffer(tg, _labels(rng, 1000, 16, 64).astype(np.int32))
    target = _tg_buffer(tg, _labels(rng, 1000, 16 * 64).astype(np.int32))
    params = tg.get_parameters(model)
    opt = nn.optim.Adam(params, lr=1e-3)
    return _tg_realize_step(tg, params,
                            lambda: model(tokens).sparse_categorical_crossentropy(target), opt,
                            [])


def tg_lstm_train(tg):
    Tensor = tg.Tensor
    rng = _rng()
    hidden, bound = 256, 1 / 256 ** 0.5
    layers = []
    for inp in (64, hidden):
        layers.append([_tg_buffer(tg, _uniform(rng, bound, *shape))
                       for shape in ((4 * hidden, inp), (4 * hidden, hidden), (4 * hidden,),
                                     (4 * hidden,))])
    x = _tg_buffer(tg, _randn(rng, 32, 32, 64))
    target = _tg_buffer(tg, np.zeros((32, 32, hidden), np.float32))
    params = [p for layer in layers for p in layer]

    def loss_fn():
        seq = x
        for w_ih, w_hh, b_ih, b_hh in layers:
            xw = seq.linear(w_ih.T, b_ih + b_hh)
            h = c = Tensor.zeros(32, hidden)
            outs = []
            for t in range(32):
                i, f, g, o = (xw[t] + h.linear(w_hh.T)).chunk(4, dim=1)
                # contiguous(): without it tinygrad fuses each step's state into the next
                # step's kernels and recomputes the whole recurrence (about 4x slower)
                c = (f.sigmoid() * c + i.sigmoid() * g.tanh()).contiguous()
                h = (o.sigmoid() * c.tanh()).contiguous()
                outs.append(h)
            seq = Tensor.stack(*outs)
        return ((seq - target) ** 2).mean()
    opt = tg.nn.optim.SGD(params, lr=0.01)
    return _tg_realize_step(tg, params, loss_fn, opt, [x, target])


# ---------------------------------------------------------------------------------------
# HIPS autograd workloads: each returns run().

def _ag_log_softmax(anp, z):
    z = z - anp.max(z, axis=1, keepdims=True)
    return z - anp.log(anp.sum(anp.exp(z), axis=1, keepdims=True))


def _ag_cross_entropy(anp, logits, target):
    return -anp.mean(_ag_log_softmax(anp, logits)[np.arange(len(target)), target])


def _ag_linear(anp, x, w, b):
    return anp.dot(x, w.T) + b


def _ag_sgd(params, lr, momentum=0.0):
    """PyTorch's SGD: buf = momentum * buf + g (buf = g at the first step); p -= lr * buf."""
    bufs = [None] * len(params)

    def update(grads):
        for k, (p, g) in enumerate(zip(params, grads)):
            if momentum:
                if bufs[k] is None:
                    bufs[k] = g.copy()
                else:
                    bufs[k] *= momentum
                    bufs[k] += g
                g = bufs[k]
            p -= lr * g
    return update


def _ag_adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    """PyTorch's Adam (no weight decay, no amsgrad)."""
    b1, b2 = betas
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    state = {'t': 0}

    def update(grads):
        state['t'] += 1
        t = state['t']
        c1, c2 = 1 - b1 ** t, (1 - b2 ** t) ** 0.5
        for p, g, mk, vk in zip(params, grads, m, v):
            mk *= b1
            mk += (1 - b1) * g
            vk *= b2
            vk += (1 - b2) * (g * g)
            p -= (lr / c1) * mk / (np.sqrt(vk) / c2 + eps)
    return update


def _ag_train(ag, params, loss, update):
    gradient = ag.grad(loss)

    def run():
        update(gradient(params))
    return run


def ag_op_overhead(ag):
    a, b = np.ones(4, np.float32), np.ones(4, np.float32)
    add = ag.anp.add
    return lambda: add(a, b)


def ag_op_overhead_grad(ag):
    with ag.trace_stack.new_trace() as trace:
        root = ag.VJPNode.new_root()
        a = ag.new_box(np.ones(4, np.float32), trace, root)
        b = ag.new_box(np.ones(4, np.float32), trace, root)
    return lambda: a + b


def ag_elementwise_4M(ag):
    anp, rng = ag.anp, _rng()
    a, b, c = (_randn(rng, 2048, 2048) for _ in range(3))
    return lambda: anp.maximum(a * b + c, np.float32(0))


def ag_matmul_1024(ag):
    rng = _rng()
    a, b = _randn(rng, 1024, 1024), _randn(rng, 1024, 1024)
    return lambda: ag.anp.matmul(a, b)


def ag_chain_1000(ag):
    anp = ag.anp
    x = np.ones(16, np.float32)

    def f(x):
        y = x
        for _ in range(500):
            y = y * 1.001
            y = y + 0.001
        return anp.sum(y)
    gradient = ag.grad(f)
    return lambda: gradient(x)


def ag_mlp_manual(ag):
    anp, rng = ag.anp, _rng()
    sizes = [784, 512, 512, 10]
    params = []
    for i, o in zip(sizes, sizes[1:]):
        params.append(_randn(rng, i, o) * np.float32(1 / i ** 0.5))
        params.append(np.zeros(o, np.float32))
    x = _randn(rng, 128, 784)
    onehot = np.zeros((128, 10), np.float32)
    onehot[np.arange(128), _labels(rng, 10, 128)] = 1.0

    def loss(params):
        h = x
        for k in range(0, len(params), 2):
            h = anp.dot(h, params[k]) + params[k + 1]
            if k < len(params) - 2:
                h = anp.maximum(h, np.float32(0))
        return -anp.sum(_ag_log_softmax(anp, h) * onehot) / 128
    return _ag_train(ag, params, loss, _ag_sgd(params, 0.01))


def ag_mlp_train(ag):
    anp, rng = ag.anp, _rng()
    params = (_linear_params(rng, 784, 512) + _linear_params(rng, 512, 512)
              + _linear_params(rng, 512, 10))
    x, y = _randn(rng, 128, 784), _labels(rng, 10, 128)

    def loss(p):
        h = anp.maximum(_ag_linear(anp, x, p[0], p[1]), np.float32(0))
        h = anp.maximum(_ag_linear(anp, h, p[2], p[3]), np.float32(0))
        return _ag_cross_entropy(anp, _ag_linear(anp, h, p[4], p[5]), y)
    return _ag_train(ag, params, loss, _ag_sgd(params, 0.01, momentum=0.9))


def _ag_im2col3x3(ag):
    """An autograd primitive: (n, c, h, w) -> the (n * ho * wo, c * 9) patch matrix of a
    stride-1 unpadded 3x3 window, built with NumPy stride tricks; its VJP adds the nine
    window slices back (autograd's own slicing VJP goes through the slow ``np.add.at``)."""
    def im2col(x):
        n, c, h, w = x.shape
        s = x.strides
        view = np.lib.stride_tricks.as_strided(
            x, (n, h - 2, w - 2, c, 3, 3), (s[0], s[2], s[3], s[1], s[2], s[3]),
            writeable=False)
        return view.reshape(n * (h - 2) * (w - 2), c * 9)

    def im2col_vjp(ans, x):
        n, c, h, w = x.shape
        ho, wo = h - 2, w - 2

        def vjp(g):
            g = g.reshape(n, ho, wo, c, 3, 3)
            out = np.zeros(x.shape, g.dtype)
            for i in range(3):
                for j in range(3):
                    out[:, :, i:i + ho, j:j + wo] += g[..., i, j].transpose(0, 3, 1, 2)
            return out
        return vjp
    primitive = ag.primitive(im2col)
    ag.defvjp(primitive, im2col_vjp)
    return primitive


def _ag_conv3x3(anp, im2col, x, w, b):
    """Stride-1, unpadded 3x3 convolution: the patch matrix times the flattened weight."""
    n, _, height, width = x.shape
    o = w.shape[0]
    out = anp.dot(im2col(x), anp.reshape(w, (o, -1)).T) + b    # (n * ho * wo, o)
    return anp.transpose(anp.reshape(out, (n, height - 2, width - 2, o)), (0, 3, 1, 2))


def ag_cnn_train(ag):
    anp, rng = ag.anp, _rng()
    params = []
    for cin, cout in ((1, 32), (32, 64)):
        bound = 1 / (cin * 9) ** 0.5
        params += [_uniform(rng, bound, cout, cin, 3, 3), _uniform(rng, bound, cout)]
    params += _linear_params(rng, 9216, 128) + _linear_params(rng, 128, 10)
    x, y = _randn(rng, 64, 1, 28, 28), _labels(rng, 10, 64)
    zero, im2col = np.float32(0), _ag_im2col3x3(ag)

    def loss(p):
        h = anp.maximum(_ag_conv3x3(anp, im2col, x, p[0], p[1]), zero)
        h = anp.maximum(_ag_conv3x3(anp, im2col, h, p[2], p[3]), zero)  # (64, 64, 24, 24)
        h = anp.max(anp.reshape(h, (64, 64, 12, 2, 12, 2)), axis=(3, 5))
        h = anp.maximum(_ag_linear(anp, anp.reshape(h, (64, 9216)), p[4], p[5]), zero)
        return _ag_cross_entropy(anp, _ag_linear(anp, h, p[6], p[7]), y)
    return _ag_train(ag, params, loss, _ag_adam(params, 1e-3))


def ag_transformer_train(ag):
    anp, rng, erf = ag.anp, _rng(), ag.erf
    emb = rng.standard_normal((1000, 128), dtype=np.float32)
    ones, zeros = np.ones(128, np.float32), np.zeros(128, np.float32)
    params = ([emb, ones.copy(), zeros.copy()] + _linear_params(rng, 128, 384)
              + _linear_params(rng, 128, 128) + [ones.copy(), zeros.copy()]
              + _linear_params(rng, 128, 512) + _linear_params(rng, 512, 128)
              + _linear_params(rng, 128, 1000))
    tokens, target = _labels(rng, 1000, 16, 64), _labels(rng, 1000, 16 * 64)
    mask = np.where(np.triu(np.ones((64, 64), bool), 1), -np.inf, 0).astype(np.float32)
    scale = np.float32(1 / 32 ** 0.5)

    def layer_norm(x, w, b):
        mean = anp.mean(x, axis=-1, keepdims=True)
        var = anp.mean((x - mean) ** 2, axis=-1, keepdims=True)
        return (x - mean) / anp.sqrt(var + np.float32(1e-5)) * w + b

    def gelu(x):
        if erf is not None:
            return x * np.float32(0.5) * (1 + erf(x * np.float32(2 ** -0.5)))
        c = np.float32((2 / np.pi) ** 0.5)
        return np.float32(0.5) * x * (1 + anp.tanh(c * (x + np.float32(0.044715) * x ** 3)))

    def heads(t):
        return anp.transpose(anp.reshape(t, (16, 64, 4, 32)), (0, 2, 1, 3))

    def loss(p):
        (emb, ln1w, ln1b, w_in, b_in, w_out, b_out, ln2w, ln2b, w1, b1, w2, b2,
         wh, bh) = p
        x = emb[tokens]                                               # (16, 64, 128)
        qkv = _ag_linear(anp, layer_norm(x, ln1w, ln1b), w_in, b_in)
        q, k, v = (heads(t) for t in anp.split(qkv, 3, axis=-1))
        scores = anp.matmul(q, anp.transpose(k, (0, 1, 3, 2))) * scale + mask
        scores = anp.exp(scores - anp.max(scores, axis=-1, keepdims=True))
        attn = anp.matmul(scores / anp.sum(scores, axis=-1, keepdims=True), v)
        attn = anp.reshape(anp.transpose(attn, (0, 2, 1, 3)), (16, 64, 128))
        x = x + _ag_linear(anp, attn, w_out, b_out)
        x = x + _ag_linear(anp, gelu(_ag_linear(anp, layer_norm(x, ln2w, ln2b), w1, b1)),
                           w2, b2)
        logits = anp.reshape(_ag_linear(anp, x, wh, bh), (-1, 1000))
        return _ag_cross_entropy(anp, logits, target)
    return _ag_train(ag, params, loss, _ag_adam(params, 1e-3))


def ag_lstm_train(ag):
    anp, rng = ag.anp, _rng()
    hidden, bound = 256, 1 / 256 ** 0.5
    params = []
    for inp in (64, hidden):
        params += [_uniform(rng, bound, *shape) for shape in
                   ((4 * hidden, inp), (4 * hidden, hidden), (4 * hidden,), (4 * hidden,))]
    x = _randn(rng, 32, 32, 64)
    target = np.zeros((32, 32, hidden), np.float32)
    half = np.float32(0.5)

    def sigmoid(z):
        return half * (anp.tanh(half * z) + 1)

    def loss(p):
        seq = x
        for layer in range(2):
            w_ih, w_hh, b_ih, b_hh = p[4 * layer:4 * layer + 4]
            xw = _ag_linear(anp, seq, w_ih, b_ih + b_hh)              # (32, 32, 1024)
            h = c = np.zeros((32, hidden), np.float32)
            outs = []
            for xw_t in anp.split(xw, 32, axis=0):
                i, f, g, o = anp.split(anp.reshape(xw_t, (32, 4 * hidden))
                                       + anp.dot(h, w_hh.T), 4, axis=1)
                c = sigmoid(f) * c + sigmoid(i) * anp.tanh(g)
                h = sigmoid(o) * anp.tanh(c)
                outs.append(anp.reshape(h, (1, 32, hidden)))
            seq = anp.concatenate(outs)  # anp.stack's VJP goes through np.add.at
        return anp.mean((seq - target) ** 2)
    return _ag_train(ag, params, loss, _ag_sgd(params, 0.01))


WORKLOADS = list(suite.WORKLOADS)
_TINYGRAD = {name: globals()[f'tg_{name}'] for name in WORKLOADS}
_AUTOGRAD = {name: globals()[f'ag_{name}'] for name in WORKLOADS}


# ---------------------------------------------------------------------------------------
# Timing

def _timer(fn, number):
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def _prepare(name, fw, libs):
    """(callable, suite's calls per timing, warm-up calls) for framework fw, or raise."""
    if fw == 'ember':
        fn, number = suite.WORKLOADS[name](ember)
        return fn, number, 1
    if fw == 'autograd':
        return _AUTOGRAD[name](libs['autograd']), None, 1
    tg = libs['tinygrad']
    step = _TINYGRAD[name](tg)
    if fw == 'tinygrad':
        return step, None, 2  # the second call may still compile a few kernels
    return tg.TinyJit(step), None, 3  # two calls trace and capture, the third replays


def run_workload(name, libs, repeats, budget, skip=()):
    """{framework: {'median_s', 'first_s', 'warmup_s', 'number'} or {'error'}}."""
    results, prepared = {}, {}
    suite_number = None
    for fw in FRAMEWORKS:
        lib_key = 'tinygrad' if fw.startswith('tinygrad') else fw
        if fw in skip or fw != 'ember' and libs.get(lib_key) is None:
            continue
        try:
            fn, number, warm = _prepare(name, fw, libs)
            suite_number = number = number or suite_number or 1
            start = time.perf_counter()
            fn()
            first = time.perf_counter() - start
            for _ in range(warm - 1):
                fn()
            warm_total = time.perf_counter() - start
            one = _timer(fn, 1)
            number = max(1, min(number, int(budget / max(one, 1e-9))))
        except Exception as error:  # a framework's failure must not stop the others
            message = str(error).strip().splitlines()
            results[fw] = {'error': f'{type(error).__name__}: {message[0] if message else ""}'}
            print(f'  {name} on {fw} failed: {results[fw]["error"]}', file=sys.stderr)
            continue
        prepared[fw] = fn, number
        results[fw] = {'first_s': first, 'warmup_s': warm_total, 'warmup_calls': warm,
                       'number': number}
    times = {fw: [] for fw in prepared}
    for _ in range(repeats):
        for fw, (fn, number) in prepared.items():
            times[fw].append(_timer(fn, number))
    for fw, ts in times.items():
        results[fw]['median_s'] = statistics.median(ts)
    return results


def _fmt(seconds):
    if seconds is None:
        return '-'
    if seconds < 1e-3:
        return f'{seconds * 1e6:.2f} us'
    if seconds < 1:
        return f'{seconds * 1e3:.2f} ms'
    return f'{seconds:.2f} s'


def _cell(result, key='median_s'):
    if result is None:
        return '-'
    if 'error' in result:
        return 'error'
    return _fmt(result.get(key))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('workloads', nargs='*', default=WORKLOADS)
    parser.add_argument('--repeats', type=int, default=7)
    parser.add_argument('--budget', type=float, default=1.0,
                        help='seconds one timing may take (fewer calls when slower)')
    parser.add_argument('--skip', nargs='+', default=[], choices=FRAMEWORKS[1:],
                        help='frameworks not to run (tinygrad eager is the slowest)')
    parser.add_argument('--json', default=os.path.join('benchmarks', 'results',
                                                       'others.json'),
                        help="where to write the results ('' for nowhere)")
    args = parser.parse_args(argv)
    unknown = [w for w in args.workloads if w not in suite.WORKLOADS]
    if unknown:
        parser.error(f'unknown workloads {unknown}; choose from {WORKLOADS}')

    libs, notes = {}, {}
    for key, loader in (('tinygrad', load_tinygrad), ('autograd', load_autograd)):
        if key == 'autograd' and key in args.skip or key == 'tinygrad' and {
                'tinygrad', 'tinygrad-jit'} <= set(args.skip):
            libs[key], notes[key] = None, 'skipped on request'
        else:
            libs[key], notes[key] = loader()
    print(f'ember {getattr(ember, "__version__", "")} | NumPy {np.__version__} | '
          f'Python {platform.python_version()}')
    for key in ('tinygrad', 'autograd'):
        state = notes[key] if libs[key] is not None else f'skipped ({notes[key]})'
        print(f'{key}: {state}')
    print('times: median per call; ratios: ember / other (above 1: ember slower)\n')

    head = (f'{"workload":18s} {"ember":>10s} {"tinygrad":>10s} {"tg-jit":>10s} '
            f'{"autograd":>10s} {"e/tg":>7s} {"e/tg-jit":>8s} {"e/ag":>7s}')
    print(head)
    all_results = {}
    for name in args.workloads:
        res = run_workload(name, libs, args.repeats, args.budget, args.skip)
        all_results[name] = res
        e = res.get('ember', {}).get('median_s')
        ratios = []
        for fw, width in (('tinygrad', 7), ('tinygrad-jit', 8), ('autograd', 7)):
            other = res.get(fw, {}).get('median_s')
            ratio = e / other if e and other else None
            if fw in res and 'median_s' in res[fw]:
                res[fw]['ember_ratio'] = ratio
            ratios.append(f'{ratio:{width}.2f}' if ratio is not None else f'{"-":>{width}s}')
        print(f'{name:18s} {_cell(res.get("ember")):>10s} {_cell(res.get("tinygrad")):>10s} '
              f'{_cell(res.get("tinygrad-jit")):>10s} {_cell(res.get("autograd")):>10s} '
              + ' '.join(ratios), flush=True)

    print('\nuntimed warm-up: the first call; xN: all N warm-up calls together (tinygrad:'
          ' compiling its kernels; tg-jit: tracing and capturing, with the kernels that the'
          ' tinygrad column compiled already cached)')
    print(f'{"workload":18s} {"ember 1st":>10s} {"tinygrad 1st":>12s} {"tinygrad x2":>11s} '
          f'{"tg-jit x3":>10s} {"autograd 1st":>12s}')
    for name, res in all_results.items():
        print(f'{name:18s} {_cell(res.get("ember"), "first_s"):>10s} '
              f'{_cell(res.get("tinygrad"), "first_s"):>12s} '
              f'{_cell(res.get("tinygrad"), "warmup_s"):>11s} '
              f'{_cell(res.get("tinygrad-jit"), "warmup_s"):>10s} '
              f'{_cell(res.get("autograd"), "first_s"):>12s}')

    if args.json:
        os.makedirs(os.path.dirname(args.json) or '.', exist_ok=True)
        with open(args.json, 'w') as f:
            json.dump({'time': time.time(), 'python': platform.python_version(),
                       'numpy': np.__version__, 'machine': platform.machine(),
                       'frameworks': {k: notes[k] for k in notes},
                       'repeats': args.repeats, 'budget_s': args.budget,
                       'results': all_results}, f, indent=1)
        print(f'\nwrote {args.json}')


if __name__ == '__main__':
    main()
