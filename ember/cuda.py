"""``ember.cuda``: cuda devices through CuPy, answering sensibly when there is none.

The real backend imports CuPy lazily. Tests can enable a simulated cuda backend (NumPy
arrays on a distinct device) with ``ember.testing.simulated_cuda()``; it is never on by
default.
"""
import os

from ._device import Backend, register_backend

__all__ = ['is_available', 'device_count', 'current_device', 'set_device', 'manual_seed',
           'manual_seed_all', 'synchronize', 'get_device_name']

_state = {'current': 0, 'simulated': None, 'cupy_checked': False, 'cupy_backend': None}


def _load_backend():
    """The cuda backend: simulated when enabled for tests, else CuPy with a GPU, else None."""
    if _state['simulated'] is not None:
        return _state['simulated']
    if _state['simulated'] is None and os.environ.get('EMBER_SIMULATED_CUDA'):
        from .testing import _simulated_backend
        _state['simulated'] = _simulated_backend(
            int(os.environ.get('EMBER_SIMULATED_CUDA_DEVICES', '2') or 2))
        register_backend('cuda', _state['simulated'])
        return _state['simulated']
    if not _state['cupy_checked']:
        _state['cupy_checked'] = True
        try:
            import cupy
            if cupy.cuda.runtime.getDeviceCount() > 0:
                backend = _cupy_backend(cupy)
                register_backend('cuda', backend)
                _state['cupy_backend'] = backend
        except Exception:  # no CuPy, no driver, or no device: cuda is simply unavailable
            _state['cupy_backend'] = None
    return _state['cupy_backend']


def _cupy_backend(cupy):
    def from_host(array, index):
        with cupy.cuda.Device(index or 0):
            return cupy.asarray(array)
    return Backend(cupy, cupy.asnumpy, from_host, cupy.cuda.runtime.getDeviceCount)


def is_available():
    """Whether a cuda device can be used (a GPU with CuPy installed, or the simulation)."""
    return _load_backend() is not None


def device_count():
    backend = _load_backend()
    return 0 if backend is None else backend.device_count()


def _lazy_init():
    if _load_backend() is None:
        raise AssertionError(
            'Torch not compiled with CUDA enabled: ember runs cuda tensors on CuPy; install it '
            'with `pip install ember[cuda]` on a machine with an NVIDIA GPU')


def current_device():
    _lazy_init()
    return _state['current']


def set_device(device):
    """Make ``device`` the current cuda device (what ``'cuda'`` without an index means)."""
    index = _index_of(device)
    if index is not None and index >= 0:
        _lazy_init()
        if index >= device_count():
            raise RuntimeError('CUDA error: invalid device ordinal')
        _state['current'] = index


def get_device_name(device=None):
    _lazy_init()
    return 'ember simulated cuda device' if _state['simulated'] is not None else \
        _state['cupy_backend'].xp.cuda.runtime.getDeviceProperties(
            _state['current'])['name'].decode()


def synchronize(device=None):
    _lazy_init()
    if _state['simulated'] is None:
        _state['cupy_backend'].xp.cuda.Device(_state['current']).synchronize()


def manual_seed(seed):
    """Seed the cuda generators (a no-op without cuda, as in PyTorch)."""
    _manual_seed_all_lazy(seed)


def manual_seed_all(seed):
    _manual_seed_all_lazy(seed)


_generators = {}


def _manual_seed_all_lazy(seed):
    for gen in _generators.values():
        gen.manual_seed(seed)
    _state['pending_seed'] = int(seed)


# ---------------------------------------------------------------------------------------
# memory, streams, events, device contexts
# ---------------------------------------------------------------------------------------
def _cupy():
    backend = _state['cupy_backend']
    return None if backend is None or _state['simulated'] is not None else backend.xp


def memory_allocated(device=None):
    """Bytes currently held by tensors on the device (0 without cuda, as PyTorch's CPU
    build answers)."""
    cp = _cupy()
    return 0 if cp is None else int(cp.get_default_memory_pool().used_bytes())


def max_memory_allocated(device=None):
    cp = _cupy()
    if cp is None:
        return 0
    return max(_state.get('peak', 0), memory_allocated(device))


def memory_reserved(device=None):
    cp = _cupy()
    return 0 if cp is None else int(cp.get_default_memory_pool().total_bytes())


def empty_cache():
    """Release cached blocks back to the driver (a no-op without cuda)."""
    cp = _cupy()
    if cp is not None:
        cp.get_default_memory_pool().free_all_blocks()


def reset_peak_memory_stats(device=None):
    _lazy_init()
    _state['peak'] = memory_allocated(device)


def get_device_properties(device=None):
    _lazy_init()
    cp = _cupy()
    if cp is None:
        return _SimulatedProperties()
    index = _state['current'] if device is None else _index_of(device)
    return _CupyProperties(cp.cuda.runtime.getDeviceProperties(index))


class _SimulatedProperties:
    name = 'ember simulated cuda device'
    total_memory = 0
    major, minor = 0, 0
    multi_processor_count = 1

    def __repr__(self):
        return f"_CudaDeviceProperties(name='{self.name}', major=0, minor=0, total_memory=0MB)"


class _CupyProperties:
    def __init__(self, props):
        self.name = props['name'].decode()
        self.total_memory = int(props['totalGlobalMem'])
        self.major = int(props['major'])
        self.minor = int(props['minor'])
        self.multi_processor_count = int(props['multiProcessorCount'])

    def __repr__(self):
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, "
                f"minor={self.minor}, total_memory={self.total_memory // 2**20}MB, "
                f"multi_processor_count={self.multi_processor_count})")


def _index_of(device):
    from ._device import device as _device
    if isinstance(device, int):
        return device
    return _device(device).index or 0


class device:
    """Context manager that makes ``device`` the current cuda device inside the block."""

    def __init__(self, device):
        self.index = -1 if device is None else _index_of(device)
        self.previous = None

    def __enter__(self):
        if self.index >= 0 and is_available():
            self.previous = _state['current']
            _state['current'] = self.index

    def __exit__(self, *exc):
        if self.previous is not None:
            _state['current'] = self.previous
        return False


class Stream:
    """A cuda stream (CuPy's); on the simulated device, a placeholder that does nothing."""

    def __init__(self, device=None, priority=0, **kwargs):
        if not is_available():
            raise RuntimeError('torch.cuda.Stream requires CUDA support')
        cp = _cupy()
        self._stream = cp.cuda.Stream(non_blocking=True) if cp is not None else None

    def synchronize(self):
        if self._stream is not None:
            self._stream.synchronize()

    def wait_stream(self, other):
        if self._stream is not None and other._stream is not None:
            self._stream.wait_event(other._stream.record())

    def query(self):
        return True if self._stream is None else self._stream.done

    def __enter__(self):
        if self._stream is not None:
            self._stream.__enter__()
        return self

    def __exit__(self, *exc):
        if self._stream is not None:
            self._stream.__exit__(*exc)
        return False


def current_stream(device=None):
    _lazy_init()
    return Stream()


def stream(s):
    """Context manager running work on stream ``s`` (``None`` does nothing)."""
    import contextlib
    return s if s is not None else contextlib.nullcontext()


class Event:
    """A cuda event; ``elapsed_time`` gives milliseconds between two recorded events."""

    def __init__(self, enable_timing=False, blocking=False, interprocess=False):
        if not is_available():
            raise RuntimeError('Tried to instantiate dummy base class Event')
        cp = _cupy()
        self._event = cp.cuda.Event(disable_timing=not enable_timing) if cp is not None \
            else None
        self._time = None

    def record(self, stream=None):
        import time
        if self._event is not None:
            self._event.record(None if stream is None else stream._stream)
        self._time = time.perf_counter()

    def synchronize(self):
        if self._event is not None:
            self._event.synchronize()

    def query(self):
        return True if self._event is None else self._event.done

    def elapsed_time(self, end_event):
        cp = _cupy()
        if cp is not None:
            return cp.cuda.get_elapsed_time(self._event, end_event._event)
        return (end_event._time - self._time) * 1000.0


def is_initialized():
    return is_available()


def init():
    _lazy_init()
