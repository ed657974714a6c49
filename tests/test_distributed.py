"""ember.distributed and DistributedDataParallel, launched with mpiexec on this machine."""
import os
import re
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))

try:
    import mpi4py  # noqa: F401
    HAVE_MPI = shutil.which('mpiexec') is not None
except ImportError:
    HAVE_MPI = False

pytestmark = pytest.mark.skipif(not HAVE_MPI, reason='mpi4py/mpiexec not installed')


def _launch(n, script, *args, timeout=120):
    return subprocess.run(['mpiexec', '-n', str(n), sys.executable,
                           os.path.join(HERE, 'mpi', script), *args],
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize('ranks', [2, 3])
def test_collectives_match_numpy(ranks):
    result = _launch(ranks, 'collectives.py')
    assert result.returncode == 0, result.stdout + result.stderr
    # Ranks share stdout, so their lines may interleave.
    assert sorted(re.findall(r'rank \d+ OK', result.stdout)) == \
        [f'rank {r} OK' for r in range(ranks)]


@pytest.mark.parametrize('ranks', [2, 3])
def test_ddp_matches_single_process_training(ranks):
    result = _launch(ranks, 'ddp.py')
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count('OK') == ranks


def test_a_missing_rank_times_out_instead_of_hanging():
    result = _launch(2, 'failures.py', 'timeout')
    assert 'rank 0 timed out: True' in result.stdout, result.stdout + result.stderr


def test_a_failing_rank_fails_the_job():
    result = _launch(2, 'failures.py', 'raise')
    assert result.returncode != 0
    # mpiexec tears the job down as soon as rank 1 exits: its traceback may arrive whole,
    # cut short, or not at all (the forwarding of its stderr races the teardown).
    # What does arrive must be that traceback (or a prefix of it), not some other failure.
    if result.stderr:
        assert result.stderr.startswith('Traceback') or 'failures.py' in result.stderr or \
            'failed on purpose' in result.stderr, result.stderr


def test_without_init_the_api_says_so():
    import ember.distributed as dist
    assert dist.is_available() and not dist.is_initialized()
    with pytest.raises(ValueError, match='init_process_group'):
        dist.get_rank()


def test_main_job_trains_data_parallel(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.path.dirname(HERE), OPENBLAS_NUM_THREADS='1')
    result = subprocess.run(['mpiexec', '-n', '2', sys.executable, '-m', 'ember.examples.train',
                             '--distributed', '--epochs', '3', '--out', str(tmp_path)],
                            capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    final = [line for line in result.stdout.splitlines() if 'final test accuracy' in line]
    assert len(final) == 1  # only rank 0 reports
    assert float(final[0].rsplit(' ', 1)[-1].rstrip('%')) > 85
    assert os.path.exists(tmp_path / 'digits_cnn.pt')
