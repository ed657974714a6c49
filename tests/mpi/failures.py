"""Run under mpiexec -n 2: a rank that skips a collective makes the other time out with a
clear error; then a rank that raises makes mpiexec exit non-zero."""
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__)))))
import ember  # noqa: E402
import ember.distributed as dist  # noqa: E402

dist.init_process_group('mpi', timeout=datetime.timedelta(seconds=2))
rank = dist.get_rank()
mode = sys.argv[1]
if mode == 'timeout':
    if rank == 0:
        try:
            dist.all_reduce(ember.ones(3))
        except dist.DistBackendError as error:
            print('rank 0 timed out:', 'timed out' in str(error), flush=True)
            os._exit(0)
    else:
        import time
        time.sleep(4)
        os._exit(0)
elif mode == 'raise':
    if rank == 1:
        raise ValueError('rank 1 failed on purpose')
    dist.barrier()
