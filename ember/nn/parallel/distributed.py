"""DistributedDataParallel: each rank trains a replica on its shard of the data; gradients
are averaged across ranks during backward.

Parameters are grouped into buckets in reverse registration order (roughly the order their
gradients become ready in backward): a first bucket of 1 MB, then 25 MB buckets, as PyTorch
does (with ``bucket_cap_mb`` given, every bucket has that cap). When every gradient of a
bucket has been accumulated, the bucket is flattened into one buffer and reduced with a
non-blocking allreduce, so communication overlaps the rest of backward; the last bucket to
start waits for all and writes the averages back.

Buckets hold parameters of one device and dtype. On a process group whose cuda tensors go
through NCCL, a bucket of cuda parameters is flattened on its device and reduced there;
otherwise buckets are flattened in host memory and reduced over MPI.
"""
import contextlib

import numpy as np

from ..modules.module import Module
from ... import distributed as dist
from ..._device import CPU, backend_of
from ..._tensor import make_tensor
from ...autograd.grad_mode import no_grad

__all__ = ['DistributedDataParallel']

_FIRST_BUCKET_BYTES = 1024 * 1024


class _Bucket:
    def __init__(self, params):
        self.params = params
        self.pending = len(params)
        self.work = None
        self.buffer = None


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training across the ranks of a process group."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=True, process_group=None, bucket_cap_mb=None,
                 find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, **kwargs):
        super().__init__()
        self.module = module
        self.process_group = dist._group(process_group)
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 2**20)
        # PyTorch starts with a small first bucket only when the cap is its default
        self._first_bucket_bytes = _FIRST_BUCKET_BYTES if bucket_cap_mb is None else \
            self.bucket_bytes_cap
        params = [p for p in module.parameters() if p.requires_grad]
        self._params = params
        self._sync_module_states()
        self._buckets = self._make_buckets(params)
        self._bucket_of = {}
        for bucket in self._buckets:
            for p in bucket.params:
                self._bucket_of[id(p)] = bucket
        self._handles = [p.register_post_accumulate_grad_hook(self._grad_ready)
                         for p in params]
        self._started = []

    # ------------------------------------------------------------------ setup
    def _sync_module_states(self):
        """Every rank starts from rank 0's parameters and buffers."""
        with no_grad():
            for t in list(self.module.parameters()) + list(self.module.buffers()):
                dist.broadcast(t, 0, group=self.process_group)

    def _make_buckets(self, params):
        buckets = []
        current = []
        size = 0
        cap = self._first_bucket_bytes
        for p in reversed(params):
            if current and (p.device is not current[0].device or p.dtype is not
                            current[0].dtype):
                buckets.append(_Bucket(current))
                current, size = [], 0
            current.append(p)
            size += p.numel() * p.element_size()
            if size >= cap:
                buckets.append(_Bucket(current))
                current, size, cap = [], 0, self.bucket_bytes_cap
        if current:
            buckets.append(_Bucket(current))
        on_device = self.process_group._nccl is not None
        for bucket in buckets:
            bucket.on_device = on_device and bucket.params[0].device.type == 'cuda'
        return buckets

    # ------------------------------------------------------------------ forward
    def forward(self, *inputs, **kwargs):
        if self.broadcast_buffers and self.require_backward_grad_sync:
            with no_grad():
                for buf in self.module.buffers():
                    dist.broadcast(buf, 0, group=self.process_group)
        for bucket in self._buckets:
            bucket.pending = len(bucket.params)
            bucket.work = None
        self._started = []
        output = self.module(*inputs, **kwargs)
        if self.find_unused_parameters and self.require_backward_grad_sync:
            used = _reachable_leaves(output)
            for p in self._params:
                if id(p) not in used:
                    self._mark_ready(p, unused=True)
        return output

    @contextlib.contextmanager
    def no_sync(self):
        """Inside this block, gradients accumulate locally without being reduced."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    # ------------------------------------------------------------------ backward
    def _grad_ready(self, param):
        if self.require_backward_grad_sync:
            self._mark_ready(param)

    def _mark_ready(self, param, unused=False):
        bucket = self._bucket_of[id(param)]
        bucket.pending -= 1
        if bucket.pending == 0:
            self._start(bucket)
            if all(b.work is not None for b in self._buckets):
                self._finish()

    def _start(self, bucket):
        first = bucket.params[0]
        if bucket.on_device:   # flattened on the device, reduced by NCCL
            xp = backend_of(first.device).xp
            with self.process_group._nccl.cupy.cuda.Device(first.device.index or 0):
                pieces = [xp.zeros(p.numel(), dtype=p._data.dtype) if p.grad is None
                          else xp.ravel(p.grad._data) for p in bucket.params]
                bucket.buffer = xp.concatenate(pieces) if len(pieces) > 1 else \
                    pieces[0].copy()
        else:
            pieces = [np.zeros(p.numel(), dtype=p._data.dtype) if p.grad is None
                      else p.grad._host_array().reshape(-1) for p in bucket.params]
            bucket.buffer = np.concatenate(pieces) if len(pieces) > 1 else pieces[0].copy()
        bucket.tensor = make_tensor(bucket.buffer, first.dtype,
                                    first.device if bucket.on_device else CPU)
        bucket.work = dist.all_reduce(bucket.tensor, group=self.process_group, async_op=True)
        self._started.append(bucket)

    def _finish(self):
        size = self.process_group.size()
        for bucket in self._started:
            bucket.work.wait()
            bucket.buffer /= size
            offset = 0
            for p in bucket.params:
                n = p.numel()
                values = bucket.buffer[offset:offset + n].reshape(tuple(p.shape))
                offset += n
                if not bucket.on_device and p.device.type != 'cpu':
                    values = backend_of(p.device).from_host(values, p.device.index)
                if p.grad is None:
                    p.grad = make_tensor(values.copy(), p.dtype, p.device)
                else:
                    p.grad._data[...] = values
                    p.grad._bump_version()
        self._started = []


def _reachable_leaves(output):
    """ids of the leaf tensors that the autograd graph of ``output`` reaches."""
    from ..._tensor import Tensor
    from ...autograd.function import AccumulateGrad
    roots = [o for o in (output if isinstance(output, (tuple, list)) else [output])
             if isinstance(o, Tensor) and o.grad_fn is not None]
    seen, found = set(), set()
    stack = [o.grad_fn for o in roots]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, AccumulateGrad):
            if node.variable is not None:
                found.add(id(node.variable))
            continue
        stack.extend(fn for fn, _ in node.next_functions)
    return found
