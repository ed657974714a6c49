"""``ember.distributed``: PyTorch's process-group API on MPI (through mpi4py).

Launch with ``mpiexec -n 4 python -m ember run train.py``: every rank runs the script, and
``init_process_group`` takes the rank and world size from MPI's COMM_WORLD (torchrun's
RANK/WORLD_SIZE variables are accepted when they agree). 'gloo' and 'mpi' run everything on
MPI. 'nccl' (and device maps such as 'cuda:nccl,cpu:gloo', and the default ``None`` when
NCCL is there) sends cuda tensors through NCCL with CuPy, bootstrapped over MPI
(``_nccl.py``); cpu tensors stay on MPI, and without CuPy's NCCL 'nccl' warns and runs on
MPI.

Collectives work on contiguous NumPy buffers (no pickling of tensors), in place as in
PyTorch. Every blocking collective is run as MPI's non-blocking variant and polled, so that
``timeout`` is honoured: a rank that died or never joins makes the others raise instead of
hanging. What MPI guarantees: collectives complete in the same order on all ranks; what it
does not: detecting a dead peer by itself (hence the polling and the abort-on-exception
hook that makes ``mpiexec`` tear the job down and report a non-zero exit code).
"""
import datetime
import enum
import os
import sys
import time

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor

__all__ = ['is_available', 'init_process_group', 'is_initialized', 'get_rank',
           'get_world_size', 'get_backend', 'barrier', 'destroy_process_group', 'new_group',
           'ReduceOp', 'all_reduce', 'broadcast', 'reduce', 'all_gather',
           'all_gather_into_tensor', 'gather', 'scatter', 'reduce_scatter',
           'reduce_scatter_tensor', 'all_to_all', 'all_to_all_single', 'send', 'recv',
           'isend', 'irecv', 'Work', 'GroupMember', 'ProcessGroup',
           'DistBackendError', 'get_world_group', 'Backend', 'is_nccl_available',
           'is_gloo_available', 'is_mpi_available']

_DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)


class DistBackendError(RuntimeError):
    """A collective failed or timed out."""


def is_available():
    """True when mpi4py (and an MPI library) can be imported."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def _mpi():
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise RuntimeError('ember.distributed runs on MPI: install it with '
                           '`pip install ember[distributed]` (mpi4py and mpich)') from error
    return MPI


class ReduceOp(enum.Enum):
    """Reduction operations of the collectives."""
    SUM = 'sum'
    PRODUCT = 'product'
    MIN = 'min'
    MAX = 'max'
    BAND = 'band'
    BOR = 'bor'
    BXOR = 'bxor'
    AVG = 'avg'
    PREMUL_SUM = 'premul_sum'


class Backend(str):
    """Backend names (``Backend.NCCL == 'nccl'``); ``Backend('NCCL')`` gives 'nccl'."""
    GLOO = 'gloo'
    NCCL = 'nccl'
    MPI = 'mpi'
    UCC = 'ucc'
    UNDEFINED = 'undefined'

    def __new__(cls, name):
        if not isinstance(name, str):
            raise ValueError(f'Backend name must be a string, but got: {name}')
        return str.__new__(cls, name.lower())


def is_nccl_available():
    """True when cuda tensors can go through NCCL (CuPy with NCCL and a cuda device)."""
    from . import _nccl
    return not isinstance(_nccl.load(), str)


def is_gloo_available():
    """'gloo' is accepted and runs on MPI."""
    return is_available()


def is_mpi_available():
    return is_available()


def _nccl_wanted(backend):
    """Whether cuda tensors of a group with this backend should use NCCL: True (asked for),
    None (the default backend: NCCL if it is there) or False."""
    if backend is None or str(backend).lower() == 'undefined':
        return None
    text = str(backend).lower()
    if ':' not in text:
        return text == 'nccl'
    cuda = False
    for part in text.split(','):
        dev, _, name = part.strip().partition(':')
        if dev not in ('cpu', 'cuda') or not name:
            raise ValueError(f"Invalid backend string {backend!r}: expected entries such as "
                             "'cuda:nccl,cpu:gloo'")
        if dev == 'cpu' and name == 'nccl':
            raise ValueError('NCCL runs collectives on cuda tensors only: map cpu to gloo or '
                             f'mpi in {backend!r}')
        if dev == 'cuda':
            cuda = name == 'nccl'
    return cuda


def _attach_nccl(group, backend, device_id=None):
    wanted = _nccl_wanted(backend)
    if wanted is not False:
        from . import _nccl
        group._nccl = _nccl.attach(group, device_id, required=wanted)
        if group._nccl is not None:
            _state['nccl_groups'].append(group)


class ProcessGroup:
    """A set of ranks with its own MPI communicator (and NCCL communicators for cuda tensors
    when its backend uses NCCL)."""
    _nccl = None

    def __init__(self, comm, backend, timeout):
        self.comm = comm
        self.backend = backend
        self.timeout = timeout

    def rank(self):
        return self.comm.Get_rank()

    def size(self):
        return self.comm.Get_size()


class GroupMember:
    WORLD = None
    NON_GROUP_MEMBER = object()


_state = {'world': None, 'nccl_groups': []}   # groups holding NCCL communicators


def _group(group):
    world = _state['world']
    if world is None:
        raise ValueError('Default process group has not been initialized, please make sure to '
                         'call init_process_group.')
    return world if group is None or group is GroupMember.WORLD else group


def get_world_group():
    return _group(None)


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name='', pg_options=None, device_id=None):
    """Join the job's process group (ranks come from MPI's COMM_WORLD)."""
    if _state['world'] is not None:
        raise ValueError('trying to initialize the default process group twice!')
    MPI = _mpi()
    comm = MPI.COMM_WORLD
    mpi_rank, mpi_size = comm.Get_rank(), comm.Get_size()
    env_rank = os.environ.get('RANK')
    env_size = os.environ.get('WORLD_SIZE')
    for name, given, actual in (('rank', rank, mpi_rank), ('world_size', world_size, mpi_size),
                                ('RANK', env_rank, mpi_rank),
                                ('WORLD_SIZE', env_size, mpi_size)):
        if given not in (None, -1) and int(given) != actual:
            raise ValueError(f'{name}={given} disagrees with MPI, which gives {actual}: launch '
                             'with `mpiexec -n N` and let MPI assign ranks')
    if timeout is None:
        timeout = _DEFAULT_TIMEOUT
    world = ProcessGroup(comm, 'mpi' if backend is None else str(backend), timeout)
    _nccl_wanted(backend)   # a malformed device map fails before anything is set up
    _state['world'] = world
    GroupMember.WORLD = world
    _install_abort_hook(comm)
    _attach_nccl(world, backend, device_id)


def _install_abort_hook(comm):
    """An uncaught exception on one rank aborts the whole job instead of leaving the others
    waiting in a collective."""
    previous = sys.excepthook

    def hook(kind, value, tb):
        previous(kind, value, tb)
        sys.stderr.flush()
        comm.Abort(1)
    sys.excepthook = hook


def is_initialized():
    return _state['world'] is not None


def get_rank(group=None):
    return _group(group).rank()


def get_world_size(group=None):
    return _group(group).size()


def get_backend(group=None):
    return _group(group).backend


def destroy_process_group(group=None):
    """Leave the process group (MPI itself is finalised at interpreter exit)."""
    world = group is None or group is _state['world']
    for pg in (_state['nccl_groups'] if world else [group]):
        if isinstance(pg, ProcessGroup) and pg._nccl is not None:
            pg._nccl.destroy()
            pg._nccl = None
    if world:
        _state['nccl_groups'] = []
        _state['world'] = None
        GroupMember.WORLD = None


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, **kwargs):
    """A sub-group of ranks with its own communicator (every rank must call this)."""
    world = _group(None)
    ranks = sorted(range(world.size()) if ranks is None else ranks)
    color = 0 if world.rank() in ranks else _mpi().UNDEFINED
    comm = world.comm.Split(color, ranks.index(world.rank()) if world.rank() in ranks else 0)
    if comm == _mpi().COMM_NULL:
        return GroupMember.NON_GROUP_MEMBER
    pg = ProcessGroup(comm, world.backend if backend is None else str(backend),
                      timeout or world.timeout)
    if backend is None:
        if world._nccl is not None:
            from . import _nccl
            pg._nccl = _nccl.NcclComms(pg, world._nccl.cupy, world._nccl.nccl)
            _state['nccl_groups'].append(pg)
    else:
        _attach_nccl(pg, backend)
    return pg


# ---------------------------------------------------------------------------------------
# work objects and polling with a timeout
# ---------------------------------------------------------------------------------------
class Work:
    """A started collective: ``wait()`` blocks (honouring the group's timeout),
    ``is_completed()`` polls."""

    def __init__(self, requests, timeout, finish=None, name='collective', statuses=None):
        self._requests = requests
        self._statuses = statuses   # filled by MPI on completion (a receive's sender)
        self._timeout = timeout
        self._finish = finish
        self._done = False
        self._name = name

    def is_completed(self):
        if not self._done:
            MPI = _mpi()
            if self._test(MPI):
                self._complete()
        return self._done

    def _complete(self):
        if not self._done:
            self._done = True
            if self._finish is not None:
                self._finish()

    def wait(self, timeout=None):
        if self._done:
            return True
        MPI = _mpi()
        limit = timeout or self._timeout
        seconds = limit.total_seconds() if isinstance(limit, datetime.timedelta) else limit
        deadline = time.monotonic() + seconds
        delay = 1e-6
        while not self._test(MPI):
            if time.monotonic() > deadline:
                raise DistBackendError(f'{self._name} timed out after {seconds:.1f} s: a rank '
                                       'may have died or not joined this collective')
            time.sleep(delay)
            delay = min(delay * 2, 1e-3)
        self._complete()
        return True

    def _test(self, MPI):
        if self._statuses is None:
            return MPI.Request.Testall(self._requests)
        return MPI.Request.Testall(self._requests, self._statuses)

    def result(self):
        return None


def _run(requests, group, async_op, finish=None, name='collective'):
    work = Work(requests if isinstance(requests, list) else [requests], group.timeout, finish,
                name)
    if async_op:
        return work
    work.wait()
    return None


# ---------------------------------------------------------------------------------------
# buffers
# ---------------------------------------------------------------------------------------
def _check_tensor(t, name='tensor'):
    if not isinstance(t, Tensor):
        raise TypeError(f'{name} must be a Tensor, got {type(t).__name__}')


def _buffer(t):
    """A contiguous NumPy buffer for ``t`` (bfloat16 travels as float32) and a function that
    writes results back into ``t`` when the buffer is not its own memory."""
    data = t._host_array()
    if t._dtype is dt.bfloat16 or t._dtype is dt.bool:
        work = data.astype(np.float32 if t._dtype is dt.bfloat16 else np.uint8)
    elif data.flags.c_contiguous and t._device.type == 'cpu':
        return data, None
    else:
        work = np.ascontiguousarray(data)

    def write_back():
        from .._ops.creation import tensor as make
        t._data[...] = work.astype(data.dtype) if t._device.type == 'cpu' else \
            make(work.astype(data.dtype), device=t._device)._data
        t._bump_version()
    return work, write_back


_MPI_OPS = {ReduceOp.SUM: 'SUM', ReduceOp.PRODUCT: 'PROD', ReduceOp.MIN: 'MIN',
            ReduceOp.MAX: 'MAX', ReduceOp.BAND: 'BAND', ReduceOp.BOR: 'BOR',
            ReduceOp.BXOR: 'BXOR', ReduceOp.AVG: 'SUM'}


def _refuse_premul_sum(op):
    """PREMUL_SUM multiplies by a factor that PyTorch attaches with the private
    ``_make_nccl_premul_sum(factor)``; ember has no such factor, so it refuses the op rather
    than summing unscaled."""
    if op is ReduceOp.PREMUL_SUM:
        raise ValueError('ReduceOp.PREMUL_SUM needs the factor that '
                         'torch.distributed._make_nccl_premul_sum attaches, which ember does '
                         'not support: multiply the tensor by the factor and use ReduceOp.SUM')


def _mpi_op(op):
    _refuse_premul_sum(op)
    if op not in _MPI_OPS:
        raise ValueError(f'unknown reduce op {op}')
    return getattr(_mpi(), _MPI_OPS[op])


def _chain(*fns):
    def run():
        for fn in fns:
            if fn is not None:
                fn()
    return run


# ---------------------------------------------------------------------------------------
# collectives
# ---------------------------------------------------------------------------------------
def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``tensor`` across ranks in place (every rank gets the result)."""
    _check_tensor(tensor)
    g = _group(group)
    if g._nccl is not None and tensor._device.type == 'cuda':
        return g._nccl.all_reduce(tensor, op, async_op)
    buf, write_back = _buffer(tensor)
    request = g.comm.Iallreduce(_mpi().IN_PLACE, buf, op=_mpi_op(op))

    def average():
        if op is ReduceOp.AVG:
            if buf.dtype.kind in 'iu':
                np.floor_divide(buf, g.size(), out=buf)
            else:
                np.divide(buf, g.size(), out=buf)
    return _run(request, g, async_op, _chain(average, write_back), 'all_reduce')


def broadcast(tensor, src, group=None, async_op=False):
    """Copy rank ``src``'s ``tensor`` into every rank's ``tensor``."""
    _check_tensor(tensor)
    g = _group(group)
    if g._nccl is not None and tensor._device.type == 'cuda':
        return g._nccl.broadcast(tensor, src, async_op)
    buf, write_back = _buffer(tensor)
    return _run(g.comm.Ibcast(buf, root=src), g, async_op, write_back, 'broadcast')


def reduce(tensor, dst, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce into ``tensor`` on rank ``dst`` only."""
    _check_tensor(tensor)
    g = _group(group)
    if g._nccl is not None and tensor._device.type == 'cuda':
        return g._nccl.reduce(tensor, dst, op, async_op)
    buf, write_back = _buffer(tensor)
    MPI = _mpi()
    if g.rank() == dst:
        request = g.comm.Ireduce(MPI.IN_PLACE, buf, op=_mpi_op(op), root=dst)

        def average():
            if op is ReduceOp.AVG:
                buf[...] = buf / g.size() if buf.dtype.kind == 'f' else buf // g.size()
        return _run(request, g, async_op, _chain(average, write_back), 'reduce')
    request = g.comm.Ireduce(buf, None, op=_mpi_op(op), root=dst)
    return _run(request, g, async_op, None, 'reduce')


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Every rank's ``tensor`` into ``tensor_list`` (one entry per rank) on every rank."""
    _check_tensor(tensor)
    g = _group(group)
    if g._nccl is not None and tensor._device.type == 'cuda':
        return g._nccl.all_gather(tensor_list, tensor, async_op)
    if len(tensor_list) != g.size():
        raise ValueError(f'all_gather: tensor_list has {len(tensor_list)} entries for a '
                         f'group of {g.size()} ranks')
    send, _ = _buffer(tensor)
    recv = np.empty((g.size(),) + send.shape, dtype=send.dtype)

    def scatter_back():
        for out, piece in zip(tensor_list, recv):
            if tuple(out.shape) != piece.shape:
                raise RuntimeError(f'all_gather: output tensor of shape {list(out.shape)} does '
                                   f'not match the input shape {list(piece.shape)}')
            _write(out, piece)
    return _run(g.comm.Iallgather(np.ascontiguousarray(send), recv), g, async_op,
                scatter_back, 'all_gather')


def _write(out, array):
    from .._ops.creation import tensor as make
    if out._device.type == 'cpu':
        out._data[...] = array.astype(out._data.dtype)
    else:
        out._data[...] = make(array, dtype=out._dtype, device=out._device)._data
    out._bump_version()


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Every rank's ``input_tensor`` concatenated (along dim 0) into ``output_tensor``."""
    g = _group(group)
    if g._nccl is not None and input_tensor._device.type == 'cuda':
        return g._nccl.all_gather_into_tensor(output_tensor, input_tensor, async_op)
    send, _ = _buffer(input_tensor)
    if output_tensor.numel() != send.size * g.size():
        raise ValueError('all_gather_into_tensor: output size must be world_size times the '
                         f'input size ({output_tensor.numel()} != {send.size} * {g.size()})')
    recv = np.empty(send.size * g.size(), dtype=send.dtype)
    return _run(g.comm.Iallgather(np.ascontiguousarray(send), recv), g, async_op,
                lambda: _write(output_tensor, recv.reshape(tuple(output_tensor.shape))),
                'all_gather_into_tensor')


def gather(tensor, gather_list=None, dst=0, group=None, async_op=False):
    """Every rank's ``tensor`` into ``gather_list`` on rank ``dst``."""
    g = _group(group)
    if g._nccl is not None and tensor._device.type == 'cuda':
        return g._nccl.gather(tensor, gather_list, dst, async_op)
    send, _ = _buffer(tensor)
    if g.rank() == dst:
        if gather_list is None or len(gather_list) != g.size():
            raise ValueError('gather: the destination rank needs a gather_list with one tensor '
                             'per rank')
        recv = np.empty((g.size(),) + send.shape, dtype=send.dtype)

        def scatter_back():
            for out, piece in zip(gather_list, recv):
                _write(out, piece)
        return _run(g.comm.Igather(np.ascontiguousarray(send), recv, root=dst), g, async_op,
                    scatter_back, 'gather')
    return _run(g.comm.Igather(np.ascontiguousarray(send), None, root=dst), g, async_op,
                None, 'gather')


def scatter(tensor, scatter_list=None, src=0, group=None, async_op=False):
    """Rank ``src`` sends ``scatter_list[i]`` to rank ``i``'s ``tensor``."""
    g = _group(group)
    if g._nccl is not None and tensor._device.type == 'cuda':
        return g._nccl.scatter(tensor, scatter_list, src, async_op)
    recv, write_back = _buffer(tensor)
    recv = np.ascontiguousarray(recv)
    if g.rank() == src:
        if scatter_list is None or len(scatter_list) != g.size():
            raise ValueError('scatter: the source rank needs a scatter_list with one tensor '
                             'per rank')
        send = np.ascontiguousarray(np.stack([_buffer(t)[0] for t in scatter_list]))
    else:
        send = None
    return _run(g.comm.Iscatter(send, recv, root=src), g, async_op,
                lambda: _write(tensor, recv), 'scatter')


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``input_list`` across ranks; rank ``i`` gets the reduced ``input_list[i]``."""
    g = _group(group)
    if g._nccl is not None and output._device.type == 'cuda':
        return g._nccl.reduce_scatter(output, input_list, op, async_op)
    send = np.ascontiguousarray(np.stack([_buffer(t)[0] for t in input_list]))
    recv = np.empty(send.shape[1:], dtype=send.dtype)

    def finish():
        if op is ReduceOp.AVG:
            recv[...] = recv / g.size()
        _write(output, recv)
    return _run(g.comm.Ireduce_scatter_block(send, recv, op=_mpi_op(op)), g, async_op, finish,
                'reduce_scatter')


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    g = _group(group)
    if g._nccl is not None and input._device.type == 'cuda':
        return g._nccl.reduce_scatter_tensor(output, input, op, async_op)
    send = np.ascontiguousarray(_buffer(input)[0]).reshape(-1)
    recv = np.empty(send.size // g.size(), dtype=send.dtype)

    def finish():
        if op is ReduceOp.AVG:
            recv[...] = recv / g.size()
        _write(output, recv.reshape(tuple(output.shape)))
    return _run(g.comm.Ireduce_scatter_block(send, recv, op=_mpi_op(op)), g, async_op, finish,
                'reduce_scatter_tensor')


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op=False):
    """Rank ``i`` sends ``input_tensor_list[j]`` to rank ``j``'s ``output_tensor_list[i]``."""
    g = _group(group)
    if g._nccl is not None and input_tensor_list and \
            input_tensor_list[0]._device.type == 'cuda':
        return g._nccl.all_to_all(output_tensor_list, input_tensor_list, async_op)
    send = np.ascontiguousarray(np.stack([_buffer(t)[0] for t in input_tensor_list]))
    recv = np.empty_like(send)

    def finish():
        for out, piece in zip(output_tensor_list, recv):
            _write(out, piece)
    return _run(g.comm.Ialltoall(send, recv), g, async_op, finish, 'all_to_all')


def _split_offsets(tensor, split_sizes, size):
    """The flat element offsets (``size + 1`` of them) of the dim-0 blocks of ``tensor``
    that ``all_to_all_single`` exchanges with each rank: ``split_sizes`` rows each, or an
    equal share."""
    rows = tensor.shape[0] if tensor.dim() else 1
    per_row = tensor.numel() // rows if rows else 0
    if not split_sizes:
        if rows % size:
            raise RuntimeError("Tensor's dim 0 does not divide equally across group size")
        split_sizes = [rows // size] * size
    else:
        split_sizes = [int(s) for s in split_sizes]
        if len(split_sizes) != size:
            raise RuntimeError('Number of tensor splits not equal to group size')
        if sum(split_sizes) != rows:
            raise RuntimeError("Split sizes doesn't match total dim 0 size")
    offsets = [0]
    for rows_to_rank in split_sizes:
        offsets.append(offsets[-1] + rows_to_rank * per_row)
    return offsets


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None,
                      group=None, async_op=False):
    """Rank ``i`` sends the ``j``-th block of ``input``'s rows to rank ``j``, which receives
    it as the ``i``-th block of ``output``'s rows. Blocks are ``input_split_sizes`` /
    ``output_split_sizes`` rows long, or equal shares of dim 0 when those are not given."""
    g = _group(group)
    size = g.size()
    sent = _split_offsets(input, input_split_sizes, size)
    received = _split_offsets(output, output_split_sizes, size)
    if g._nccl is not None and input._device.type == 'cuda':
        return g._nccl.all_to_all_single(output, input, sent, received, async_op)
    send = np.ascontiguousarray(_buffer(input)[0]).reshape(-1)
    recv = np.empty(output.numel(), send.dtype)

    def counts(offsets):
        return [b - a for a, b in zip(offsets, offsets[1:])], offsets[:-1]
    return _run(g.comm.Ialltoallv([send, counts(sent)], [recv, counts(received)]), g,
                async_op, lambda: _write(output, recv.reshape(tuple(output.shape))),
                'all_to_all_single')


def barrier(group=None, async_op=False, device_ids=None):
    """Wait until every rank of the group reaches this point."""
    g = _group(group)
    if g._nccl is not None:
        g._nccl.synchronize()   # work queued on the devices counts as not yet reached
    return _run(g.comm.Ibarrier(), g, async_op, None, 'barrier')


def isend(tensor, dst, group=None, tag=0):
    """Start sending ``tensor`` to rank ``dst``; returns a Work."""
    g = _group(group)
    if g._nccl is not None and tensor._device.type == 'cuda':
        return g._nccl.isend(tensor, dst)
    send = np.ascontiguousarray(_buffer(tensor)[0])
    return Work([g.comm.Isend(send, dest=dst, tag=tag)], g.timeout, name='send')


def irecv(tensor, src=None, group=None, tag=0):
    """Start receiving into ``tensor`` from rank ``src`` (any rank when None)."""
    g = _group(group)
    if g._nccl is not None and tensor._device.type == 'cuda':
        return g._nccl.irecv(tensor, src)
    recv = np.empty(tuple(tensor.shape), dtype=_buffer(tensor)[0].dtype)
    source = _mpi().ANY_SOURCE if src is None else src
    return Work([g.comm.Irecv(recv, source=source, tag=tag)], g.timeout,
                lambda: _write(tensor, recv), 'recv')


def send(tensor, dst, group=None, tag=0):
    isend(tensor, dst, group, tag).wait()


def recv(tensor, src=None, group=None, tag=0):
    """Receive into ``tensor``; returns the sender's rank."""
    g = _group(group)
    if g._nccl is not None and tensor._device.type == 'cuda':
        g._nccl.irecv(tensor, src).wait()
        return src
    status = _mpi().Status()
    recv_buf = np.empty(tuple(tensor.shape), dtype=_buffer(tensor)[0].dtype)
    source = _mpi().ANY_SOURCE if src is None else src
    request = g.comm.Irecv(recv_buf, source=source, tag=tag)
    work = Work([request], g.timeout, lambda: _write(tensor, recv_buf), 'recv', [status])
    work.wait()
    return src if src is not None else status.Get_source()
