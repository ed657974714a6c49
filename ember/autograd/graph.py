"""``torch.autograd.graph``: the graph's node type and hooks on saved tensors.

``saved_tensors_hooks(pack_hook, unpack_hook)`` lets a program decide how tensors saved for
backward are kept, e.g. moved to the cpu, compressed or written to disk: ``pack_hook(tensor)``
runs when an op saves a tensor and its result is kept instead; ``unpack_hook(packed)`` runs
whenever backward needs the tensor back and must return a tensor with the same values.
ember's own ops save through this path the tensors they keep as tensors (inputs and outputs);
small derived arrays some ops keep for their backward (masks, indices) are not passed to hooks.
"""
import contextlib

from .function import Node
from .grad_mode import state as _state

__all__ = ['Node', 'saved_tensors_hooks', 'save_on_cpu', 'disable_saved_tensors_hooks']


class saved_tensors_hooks:
    """Context manager: tensors saved for backward inside it go through ``pack_hook`` and come
    back through ``unpack_hook``. Nested managers stack; the innermost pair applies. The hooks
    are per thread, as grad mode is."""

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        if _state.saved_hooks_disabled is not None:
            raise RuntimeError(_state.saved_hooks_disabled)
        _state.saved_hooks = _state.saved_hooks + ((self.pack_hook, self.unpack_hook),)
        return self

    def __exit__(self, *exc):
        _state.saved_hooks = _state.saved_hooks[:-1]


class save_on_cpu(saved_tensors_hooks):
    """Keep tensors saved for backward on the cpu and move them back to their device when
    backward needs them (``pin_memory`` is accepted; pinned memory is a CUDA-runtime notion)."""

    def __init__(self, pin_memory=False, device_type='cuda'):
        def pack(tensor):
            return tensor.device, tensor.cpu()

        def unpack(packed):
            device, tensor = packed
            return tensor.to(device, non_blocking=pin_memory)
        super().__init__(pack, unpack)


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message):
    """Inside this context, entering ``saved_tensors_hooks`` raises RuntimeError with
    ``error_message`` (for code whose correctness relies on no hook being in place)."""
    previous = _state.saved_hooks_disabled
    _state.saved_hooks_disabled = error_message
    try:
        yield
    finally:
        _state.saved_hooks_disabled = previous
