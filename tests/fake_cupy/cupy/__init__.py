"""A stand-in for CuPy, for ember's tests on machines without a GPU.

It implements only what ``ember/distributed/_nccl.py`` uses of CuPy's documented API:
``cupy.cuda.Device``, ``get_current_stream``, ``Event`` and ``cupy.cuda.nccl`` (unique ids,
``NcclCommunicator`` and its collectives, ``groupStart``/``groupEnd``). Its "device memory"
is host memory: the simulated cuda device (``EMBER_SIMULATED_CUDA=1``) keeps tensors in NumPy
arrays, and the collectives read and write them by address, over mpi4py. It has no arrays:
ember's cuda backend stays the simulated one. Put ``tests/fake_cupy`` first on PYTHONPATH to
use it; never install it.
"""
from . import cuda  # noqa: F401

__version__ = '0.0.0+ember.fake'
