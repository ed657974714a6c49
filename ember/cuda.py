"""``ember.cuda``: cuda devices through CuPy, answering sensibly when there is none.

The real backend imports CuPy lazily. Tests can enable a simulated cuda backend (NumPy
arrays on a distinct device) with ``ember.testing.simulated_cuda()``; it is never on by
default.
"""
from ._device import Backend, register_backend

__all__ = ['is_available', 'device_count', 'current_device', 'set_device', 'manual_seed',
           'manual_seed_all', 'synchronize', 'get_device_name']

_state = {'current': 0, 'simulated': None, 'cupy_checked': False, 'cupy_backend': None}


def _load_backend():
    """The cuda backend: simulated when enabled for tests, else CuPy with a GPU, else None."""
    if _state['simulated'] is not None:
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
    from ._device import device as _device
    index = device if isinstance(device, int) else _device(device).index
    if index is not None and index >= 0:
        _lazy_init()
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
