"""Helpers for tests: ``assert_close`` and the simulated cuda device."""
import contextlib

import numpy as np

from . import cuda as _cuda
from ._device import Backend, register_backend

__all__ = ['assert_close', 'simulated_cuda']


def _simulated_backend(device_count):
    # Copies on every transfer, as a real device would, so no memory is shared across devices.
    return Backend(np, lambda a: np.array(a, copy=True), lambda a, index: np.array(a, copy=True),
                   lambda: device_count)


@contextlib.contextmanager
def simulated_cuda(device_count=2):
    """Within the block, ``cuda`` devices exist and hold NumPy arrays (for testing device
    rules on machines without a GPU). Also enabled for a whole process by the environment
    variable ``EMBER_SIMULATED_CUDA=1``; never on by default."""
    backend = _simulated_backend(device_count)
    previous = _cuda._state['simulated']
    _cuda._state['simulated'] = backend
    register_backend('cuda', backend)
    try:
        yield backend
    finally:
        _cuda._state['simulated'] = previous
        register_backend('cuda', previous or _cuda._state['cupy_backend'])


def assert_close(actual, expected, *, rtol=None, atol=None, equal_nan=False, check_dtype=True,
                 msg=None):
    """Raise AssertionError unless the two tensors (or numbers) are close."""
    from ._tensor import Tensor
    a = actual._host_array() if isinstance(actual, Tensor) else np.asarray(actual)
    e = expected._host_array() if isinstance(expected, Tensor) else np.asarray(expected)
    if check_dtype and isinstance(actual, Tensor) and isinstance(expected, Tensor) and \
            actual.dtype is not expected.dtype:
        raise AssertionError(msg or f'The values for attribute \'dtype\' do not match: '
                             f'{actual.dtype} != {expected.dtype}.')
    if a.shape != e.shape:
        raise AssertionError(msg or f'The values for attribute \'shape\' do not match: '
                             f'{a.shape} != {e.shape}.')
    if rtol is None:
        rtol = {2: 1e-3, 4: 1.3e-6, 8: 1e-7}.get(a.dtype.itemsize, 1.3e-6) \
            if a.dtype.kind in 'fc' else 0
    if atol is None:
        atol = {2: 1e-5, 4: 1e-5, 8: 1e-7}.get(a.dtype.itemsize, 1e-5) \
            if a.dtype.kind in 'fc' else 0
    if not np.allclose(a.astype(np.float64) if a.dtype.kind not in 'c' else a,
                       e.astype(np.float64) if e.dtype.kind not in 'c' else e,
                       rtol=rtol, atol=atol, equal_nan=equal_nan):
        raise AssertionError(msg or f'Tensor-likes are not close!\n{a}\n{e}')
