"""The NCCL backend of ember.distributed (ember/distributed/_nccl.py).

Without a GPU, the MPI scripts run on the simulated cuda device with the fake CuPy of
tests/fake_cupy (CuPy's NCCL API on mpi4py, reading the simulated device's host memory).
With real CuPy and a GPU, the same scripts run on it without the fake.
"""
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import types

import numpy as np
import pytest

import ember
import ember.distributed as dist
from ember.distributed import ReduceOp

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FAKE_CUPY = os.path.join(HERE, 'fake_cupy')

try:
    import mpi4py  # noqa: F401
    HAVE_MPI = shutil.which('mpiexec') is not None
except ImportError:
    HAVE_MPI = False

needs_mpi = pytest.mark.skipif(not HAVE_MPI, reason='mpi4py/mpiexec not installed')
needs_subprocess = pytest.mark.skipif(sys.platform == 'emscripten',
                                      reason='Pyodide cannot start processes')


def _env(fake=True, simulated=True, ranks=2):
    env = {k: v for k, v in os.environ.items()
           if k not in ('EMBER_SIMULATED_CUDA', 'EMBER_SIMULATED_CUDA_DEVICES')}
    env['PYTHONPATH'] = os.pathsep.join(([FAKE_CUPY] if fake else []) + [ROOT])
    env['OPENBLAS_NUM_THREADS'] = '1'
    if simulated:
        env['EMBER_SIMULATED_CUDA'] = '1'
        env['EMBER_SIMULATED_CUDA_DEVICES'] = str(ranks)
    return env


def _launch(n, script, timeout=120, **env):
    return subprocess.run(['mpiexec', '-n', str(n), sys.executable,
                           os.path.join(HERE, 'mpi', script)],
                          capture_output=True, text=True, timeout=timeout,
                          env=_env(ranks=n, **env))


def _all_ok(result, ranks):
    assert result.returncode == 0, result.stdout + result.stderr
    # Ranks share stdout, so their lines may interleave.
    assert sorted(re.findall(r'rank \d+ OK', result.stdout)) == \
        [f'rank {r} OK' for r in range(ranks)], result.stdout + result.stderr


# ---------------------------------------------------------------------------------------
# multi-process runs on the fake CuPy
# ---------------------------------------------------------------------------------------
@needs_mpi
@pytest.mark.parametrize('ranks', [2, 3])
def test_collectives_on_cuda_tensors_match_numpy(ranks):
    _all_ok(_launch(ranks, 'nccl_collectives.py'), ranks)


@needs_mpi
@pytest.mark.parametrize('ranks', [2, 3])
def test_ddp_on_cuda_matches_single_process_training(ranks):
    _all_ok(_launch(ranks, 'nccl_ddp.py'), ranks)


@needs_mpi
def test_without_cupy_nccl_warns_and_runs_on_mpi():
    _all_ok(_launch(2, 'nccl_fallback.py', fake=False), 2)


@needs_subprocess
def test_without_a_cuda_device_nccl_is_unavailable():
    code = ('from ember.distributed import _nccl, is_nccl_available; '
            'print(_nccl.load()); print(is_nccl_available())')
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                            timeout=60, env=_env(simulated=False))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        'no cuda device (NCCL needs CuPy and an NVIDIA GPU)', 'False']


@needs_subprocess
def test_real_nccl_refuses_the_simulated_devices_host_memory():
    # A CuPy whose NCCL does not declare that it reads host memory (as the real one).
    code = ('import sys, types\n'
            'cupy = types.ModuleType("cupy"); cupy.cuda = types.ModuleType("cupy.cuda")\n'
            'cupy.cuda.nccl = types.ModuleType("cupy.cuda.nccl")\n'
            'sys.modules.update({"cupy": cupy, "cupy.cuda": cupy.cuda,\n'
            '                    "cupy.cuda.nccl": cupy.cuda.nccl})\n'
            'from ember.distributed import _nccl\n'
            'print(_nccl.load())\n')
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                            timeout=60, env=_env(fake=False))
    assert result.returncode == 0, result.stderr
    assert 'host memory, which NCCL cannot read' in result.stdout


# ---------------------------------------------------------------------------------------
# the same scripts on real CuPy and GPUs
# ---------------------------------------------------------------------------------------
def _real_gpus():
    """How many GPUs real CuPy with NCCL sees (0 without them); asked in a subprocess so
    that this process never initialises CUDA."""
    if importlib.util.find_spec('cupy') is None:
        return 0
    code = ('import cupy\nfrom cupy.cuda import nccl\nassert nccl.available\n'
            'print(cupy.cuda.runtime.getDeviceCount())')
    try:
        result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                                timeout=120, env=_env(fake=False, simulated=False))
    except subprocess.TimeoutExpired:
        return 0
    return int(result.stdout.strip() or 0) if result.returncode == 0 else 0


@needs_mpi
@pytest.mark.parametrize('script', ['nccl_collectives.py', 'nccl_ddp.py'])
def test_on_real_cupy_and_gpus(script):
    gpus = _real_gpus()
    if gpus == 0:
        pytest.skip('needs CuPy with NCCL and an NVIDIA GPU')
    ranks = min(gpus, 2)      # NCCL wants one GPU per rank
    _all_ok(_launch(ranks, script, timeout=300, fake=False, simulated=False), ranks)


# ---------------------------------------------------------------------------------------
# in-process: backend strings, dtype and op tables, errors (no MPI, no communicator)
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize('backend, wanted', [
    ('nccl', True), ('NCCL', True), (dist.Backend.NCCL, True), ('gloo', False),
    ('mpi', False), (None, None), ('undefined', None), ('cuda:nccl,cpu:gloo', True),
    ('cpu:gloo,cuda:nccl', True), ('cpu:gloo', False), ('cuda:gloo,cpu:gloo', False),
    ('cpu:mpi, cuda:nccl', True),
])
def test_which_backends_use_nccl(backend, wanted):
    assert dist._nccl_wanted(backend) is wanted


@pytest.mark.parametrize('backend, message', [
    ('cpu:nccl', 'cuda tensors only'), ('cuda:nccl,cpu:nccl', 'cuda tensors only'),
    ('gpu:nccl', 'Invalid backend string'), ('cuda:', 'Invalid backend string'),
])
def test_bad_device_maps(backend, message):
    with pytest.raises(ValueError, match=message):
        dist._nccl_wanted(backend)


def test_backend_names():
    assert dist.Backend('NCCL') == dist.Backend.NCCL == 'nccl'
    assert dist.Backend.GLOO == 'gloo' and dist.Backend.MPI == 'mpi'
    with pytest.raises(ValueError):
        dist.Backend(3)


def test_array_pointer_of_host_arrays():
    from ember.distributed._nccl import array_pointer
    a = np.arange(6, dtype=np.float32)
    assert array_pointer(a) == a.ctypes.data
    assert array_pointer(a[2:]) == a.ctypes.data + 8
    device_array = types.SimpleNamespace(data=types.SimpleNamespace(ptr=1234))   # CuPy's
    assert array_pointer(device_array) == 1234


CONSTANTS = dict(NCCL_SUM=0, NCCL_PROD=1, NCCL_MAX=2, NCCL_MIN=3, NCCL_AVG=4, NCCL_INT8=0,
                 NCCL_UINT8=1, NCCL_INT32=2, NCCL_INT64=4, NCCL_FLOAT16=6, NCCL_FLOAT32=7,
                 NCCL_FLOAT64=8, NCCL_BFLOAT16=9)


def _comms(**drop):
    """NcclComms over a stand-in nccl module holding only CuPy's constants."""
    from ember.distributed._nccl import NcclComms
    constants = {k: v for k, v in CONSTANTS.items() if k not in drop}
    nccl = types.SimpleNamespace(get_version=lambda: 21805, NcclError=RuntimeError,
                                 **constants)
    return NcclComms(None, types.SimpleNamespace(), nccl)


_needs_ml_dtypes = pytest.mark.skipif(importlib.util.find_spec('ml_dtypes') is None,
                                      reason='bfloat16 needs ml_dtypes')


@pytest.mark.parametrize('dtype, code, per', [
    (ember.bool, 1, 1), (ember.uint8, 1, 1), (ember.int8, 0, 1), (ember.int32, 2, 1),
    (ember.int64, 4, 1), (ember.float16, 6, 1), pytest.param(ember.bfloat16, 9, 1,
                                                            marks=_needs_ml_dtypes),
    (ember.float32, 7, 1), (ember.float64, 8, 1), (ember.complex64, 7, 2),
    (ember.complex128, 8, 2),
])
def test_nccl_datatypes(dtype, code, per):
    assert _comms()._type(ember.zeros(2, dtype=dtype)) == (code, per)


@pytest.mark.parametrize('dtype, name', [(ember.int16, 'Short')])
def test_dtypes_nccl_lacks_raise_type_error(dtype, name):
    with pytest.raises(TypeError, match=f'not supported for NCCL process group: {name}$'):
        _comms()._type(ember.zeros(2, dtype=dtype))


@_needs_ml_dtypes
def test_bfloat16_needs_nccl_bfloat16():
    with pytest.raises(TypeError, match='BFloat16'):
        _comms(NCCL_BFLOAT16=None)._type(ember.zeros(2, dtype=ember.bfloat16))


@pytest.mark.parametrize('op, dtype, expected', [
    (ReduceOp.SUM, ember.float32, (0, False)), (ReduceOp.PRODUCT, ember.int64, (1, False)),
    (ReduceOp.MAX, ember.float16, (2, False)), (ReduceOp.MIN, ember.uint8, (3, False)),
    (ReduceOp.AVG, ember.float32, (4, False)),
    (ReduceOp.SUM, ember.bool, (2, False)),          # PyTorch: a bool sum is a max (an or)
    (ReduceOp.PRODUCT, ember.bool, (1, False)), (ReduceOp.SUM, ember.complex64, (0, False)),
    (ReduceOp.AVG, ember.complex128, (4, False)),
])
def test_nccl_reduce_ops(op, dtype, expected):
    assert _comms()._op(op, ember.zeros(1, dtype=dtype)) == expected


def test_premul_sum_without_its_factor_is_refused():
    # PyTorch attaches the factor with _make_nccl_premul_sum; summing unscaled would be wrong.
    with pytest.raises(ValueError, match='PREMUL_SUM'):
        _comms()._op(ReduceOp.PREMUL_SUM, ember.zeros(1))
    from ember.distributed import _mpi_op
    with pytest.raises(ValueError, match='PREMUL_SUM'):
        _mpi_op(ReduceOp.PREMUL_SUM)


def test_avg_without_ncclavg_sums_then_divides():
    assert _comms(NCCL_AVG=None)._op(ReduceOp.AVG, ember.zeros(1)) == (0, True)


@pytest.mark.parametrize('op, dtype, kind, message', [
    (ReduceOp.BAND, ember.int64, ValueError, r'^Cannot use ReduceOp.BAND with NCCL$'),
    (ReduceOp.BOR, ember.int32, ValueError, r'^Cannot use ReduceOp.BOR with NCCL$'),
    (ReduceOp.BXOR, ember.bool, ValueError, r'^Cannot use ReduceOp.BXOR with NCCL$'),
    (ReduceOp.AVG, ember.bool, TypeError, r'^Cannot use ReduceOp.AVG with boolean inputs$'),
    (ReduceOp.MAX, ember.complex64, ValueError, 'does not support ReduceOp.MAX on complex'),
    ('sum', ember.float32, ValueError, 'unknown reduce op'),
])
def test_nccl_reduce_op_errors(op, dtype, kind, message):
    with pytest.raises(kind, match=message):
        _comms()._op(op, ember.zeros(1, dtype=dtype))


def test_integer_average_truncates_like_ncclavg():
    comms = _comms()
    comms.group = types.SimpleNamespace(size=lambda: 4)
    a = np.array([-7, -4, 0, 5, 9], dtype=np.int64)
    comms._divide(a)
    assert a.tolist() == [-1, -1, 0, 1, 2]
    f = np.array([-7.0, 6.0], dtype=np.float32)
    comms._divide(f)
    assert f.tolist() == [-1.75, 1.5]


def test_contiguous_buffers_write_back():
    comms = _comms()
    t = ember.arange(6.0).reshape(2, 3)
    buf, write_back = comms._contiguous(t)
    assert write_back is None and buf is t._data
    view = t.t()
    comms.cupy = types.SimpleNamespace(cuda=types.SimpleNamespace(
        Device=lambda index: _Nothing()))
    buf, write_back = comms._contiguous(view)
    assert buf.flags.c_contiguous and buf.tolist() == [[0, 3], [1, 4], [2, 5]]
    buf *= 10
    write_back()
    assert t.tolist() == [[0, 10, 20], [30, 40, 50]]


class _Nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
