"""DistributedDataParallel: each rank trains a replica on its shard of the data; gradients
are averaged across ranks during backward.

Parameters are grouped into buckets in reverse registration order (roughly the order their
gradients become ready in backward): a first bucket of 1 MB, then 25 MB buckets, as PyTorch
does. When every gradient of a bucket has been accumulated, the bucket is flattened into one
buffer and reduced with a non-blocking allreduce, so communication overlaps the rest of
backward; the last bucket to start waits for all and writes the averages back.
"""
import contextlib

import numpy as np

from ..modules.module import Module
from ... import distributed as dist
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
        cap = _FIRST_BUCKET_BYTES
        for p in reversed(params):
            current.append(p)
            size += p.numel() * p.element_size()
            if size >= cap:
                buckets.append(_Bucket(current))
                current, size, cap = [], 0, self.bucket_bytes_cap
        if current:
            buckets.append(_Bucket(current))
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
        pieces = []
        for p in bucket.params:
            g = p.grad
            pieces.append(np.zeros(p.numel(), dtype=p._data.dtype) if g is None
                          else g._host_array().reshape(-1))
        bucket.buffer = np.concatenate(pieces) if len(pieces) > 1 else pieces[0].copy()
        from ..._ops.creation import from_numpy
        bucket.tensor = from_numpy(bucket.buffer)
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
                if p.grad is None:
                    from ..._ops.creation import tensor
                    p.grad = tensor(values, dtype=p.dtype, device=p.device)
                else:
                    p.grad._data[...] = values if p.grad._device.type == 'cpu' else \
                        p.grad._data.__class__(values)
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
