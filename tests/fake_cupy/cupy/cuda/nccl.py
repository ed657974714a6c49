"""The fake CuPy's ``cupy.cuda.nccl``: CuPy's documented NCCL API, run on mpi4py.

A communicator is an MPI communicator over the processes that built it with the same
unique id; buffers are host addresses (the simulated cuda device's NumPy arrays) read and
written through ctypes. Every call completes before it returns, except ``send``/``recv``
between ``groupStart()`` and ``groupEnd()``, which start together at ``groupEnd()`` as NCCL's
grouped point-to-point calls do.
"""
import ctypes
import itertools

import numpy as np
from mpi4py import MPI

available = True
reads_host_memory = True   # what ember checks before handing it the simulated device's arrays

# NCCL's enum values (nccl.h), which CuPy exposes under these names.
NCCL_SUM, NCCL_PROD, NCCL_MAX, NCCL_MIN, NCCL_AVG = 0, 1, 2, 3, 4
NCCL_INT8, NCCL_CHAR, NCCL_UINT8 = 0, 0, 1
NCCL_INT32, NCCL_INT, NCCL_UINT32 = 2, 2, 3
NCCL_INT64, NCCL_UINT64 = 4, 5
NCCL_FLOAT16, NCCL_HALF, NCCL_FLOAT32, NCCL_FLOAT = 6, 6, 7, 7
NCCL_FLOAT64, NCCL_DOUBLE, NCCL_BFLOAT16 = 8, 8, 9

_NAMES = {0: 'NCCL_ERROR_SUCCESS', 1: 'NCCL_ERROR_UNHANDLED_CUDA_ERROR',
          2: 'NCCL_ERROR_SYSTEM_ERROR', 3: 'NCCL_ERROR_INTERNAL_ERROR',
          4: 'NCCL_ERROR_INVALID_ARGUMENT', 5: 'NCCL_ERROR_INVALID_USAGE',
          6: 'NCCL_ERROR_REMOTE_ERROR'}
_INVALID_ARGUMENT, _INVALID_USAGE = 4, 5


class NcclError(RuntimeError):
    def __init__(self, status, detail=''):
        self.status = status
        super().__init__(f'{_NAMES.get(status, status)}: {detail or "fake NCCL error"}')


def _dtypes():
    table = {NCCL_INT8: np.int8, NCCL_UINT8: np.uint8, NCCL_INT32: np.int32,
             NCCL_UINT32: np.uint32, NCCL_INT64: np.int64, NCCL_UINT64: np.uint64,
             NCCL_FLOAT16: np.float16, NCCL_FLOAT32: np.float32, NCCL_FLOAT64: np.float64}
    try:
        import ml_dtypes
        table[NCCL_BFLOAT16] = ml_dtypes.bfloat16
    except ImportError:
        pass
    return {code: np.dtype(t) for code, t in table.items()}


_DTYPES = _dtypes()
_ID_BYTES = 128
_MAGIC = b'EMBER-FAKE-NCCL:'
_BOOTSTRAP_TAG = 20000   # + the id's serial number (mod 10000): tags on MPI.COMM_WORLD
_P2P_TAG = 7
_serial = itertools.count()


def get_version():
    return 21805


def get_unique_id():
    """128 bytes naming this process (the bootstrap's coordinator) and a serial number."""
    me = MPI.COMM_WORLD.Get_rank()
    body = _MAGIC + me.to_bytes(4, 'little') + next(_serial).to_bytes(4, 'little')
    return body + bytes(_ID_BYTES - len(body))


def _array(ptr, count, datatype):
    """A NumPy array over ``count`` elements of ``datatype`` at address ``ptr``."""
    dtype = _DTYPES.get(datatype)
    if dtype is None:
        raise NcclError(_INVALID_ARGUMENT, f'unknown or unsupported datatype {datatype}')
    if count == 0:
        return np.empty(0, dtype=dtype)
    if not ptr:
        raise NcclError(_INVALID_ARGUMENT, 'null buffer')
    raw = (ctypes.c_char * (count * dtype.itemsize)).from_address(ptr)
    return np.frombuffer(raw, dtype=dtype)


def _combine(stack, op):
    """Reduce the rows of ``stack`` (one per rank, in rank order) in their own dtype."""
    result = stack[0].copy()
    for row in stack[1:]:
        if op in (NCCL_SUM, NCCL_AVG):
            result += row
        elif op == NCCL_PROD:
            result *= row
        elif op == NCCL_MAX:
            np.maximum(result, row, out=result)
        elif op == NCCL_MIN:
            np.minimum(result, row, out=result)
        else:
            raise NcclError(_INVALID_ARGUMENT, f'unknown reduction {op}')
    if op == NCCL_AVG:
        n = len(stack)
        if result.dtype.kind == 'i':      # C division truncates toward zero
            result = np.sign(result) * (np.abs(result) // n)
        elif result.dtype.kind == 'u':
            result //= n
        else:
            result /= n
    elif op not in (NCCL_SUM, NCCL_PROD, NCCL_MAX, NCCL_MIN):
        raise NcclError(_INVALID_ARGUMENT, f'unknown reduction {op}')
    return result


_group = {'depth': 0, 'queue': []}


def groupStart():
    _group['depth'] += 1


def groupEnd():
    if _group['depth'] == 0:
        raise NcclError(_INVALID_USAGE, 'groupEnd without groupStart')
    _group['depth'] -= 1
    if _group['depth'] == 0:
        queue, _group['queue'] = _group['queue'], []
        requests = [comm.Irecv(buf, source=peer, tag=_P2P_TAG)
                    for kind, comm, buf, peer in queue if kind == 'recv']
        requests += [comm.Isend(buf, dest=peer, tag=_P2P_TAG)
                     for kind, comm, buf, peer in queue if kind == 'send']
        MPI.Request.Waitall(requests)


class NcclCommunicator:
    """One rank of a communicator of ``ndev`` ranks, bound to the current fake device."""

    def __init__(self, ndev, commId, rank):
        if isinstance(commId, tuple):       # CuPy < 14 passes the id as a tuple of ints
            commId = bytes(v & 0xFF for v in commId)
        if len(commId) != _ID_BYTES or not commId.startswith(_MAGIC):
            raise NcclError(_INVALID_ARGUMENT, 'not a unique id of this fake NCCL')
        if not 0 <= rank < ndev:
            raise NcclError(_INVALID_ARGUMENT, f'rank {rank} of a communicator of {ndev}')
        at = len(_MAGIC)
        root = int.from_bytes(commId[at:at + 4], 'little')
        tag = _BOOTSTRAP_TAG + int.from_bytes(commId[at + 4:at + 8], 'little') % 10000
        world = MPI.COMM_WORLD
        me = world.Get_rank()
        # Learn which processes take part: each tells the id's creator its rank here, and the
        # creator answers with the list of processes in rank order.
        if me == root:
            members = {rank: me}
            for _ in range(ndev - 1):
                r, who = world.recv(source=MPI.ANY_SOURCE, tag=tag)
                if r in members:
                    raise NcclError(_INVALID_USAGE, f'two processes claim rank {r}')
                members[r] = who
            order = [members[r] for r in range(ndev)]
            for who in order:
                if who != me:
                    world.send(order, dest=who, tag=tag)
        else:
            world.send((rank, me), dest=root, tag=tag)
            order = world.recv(source=root, tag=tag)
        group = world.Get_group().Incl(order)
        self._comm = world.Create_group(group, tag)
        group.Free()
        from . import current_device_id
        self._device = current_device_id()
        self._rank = rank
        self._size = ndev

    def _mpi(self):
        if self._comm is None:
            raise NcclError(_INVALID_ARGUMENT, 'communicator destroyed')
        return self._comm

    # ---------------------------------------------------------------- management
    def destroy(self):
        self._comm = None

    def abort(self):
        self._comm = None

    def device_id(self):
        return self._device

    def rank_id(self):
        return self._rank

    def size(self):
        return self._size

    def check_async_error(self):
        self._mpi()

    # ---------------------------------------------------------------- collectives
    def allReduce(self, sendbuf, recvbuf, count, datatype, op, stream):
        comm = self._mpi()
        send, recv = _array(sendbuf, count, datatype), _array(recvbuf, count, datatype)
        rows = np.empty((self._size, send.nbytes), dtype=np.uint8)
        comm.Allgather(send.view(np.uint8), rows)
        recv[...] = _combine(rows.view(send.dtype), op)

    def reduce(self, sendbuf, recvbuf, count, datatype, op, root, stream):
        comm = self._mpi()
        send = _array(sendbuf, count, datatype)
        rows = np.empty((self._size, send.nbytes), dtype=np.uint8) \
            if self._rank == root else None
        comm.Gather(send.view(np.uint8), rows, root=root)
        if self._rank == root:
            _array(recvbuf, count, datatype)[...] = _combine(rows.view(send.dtype), op)

    def bcast(self, buff, count, datatype, root, stream):
        self._mpi().Bcast(_array(buff, count, datatype).view(np.uint8), root=root)

    def broadcast(self, sendbuff, recvbuff, count, datatype, root, stream):
        recv = _array(recvbuff, count, datatype)
        if self._rank == root and sendbuff != recvbuff:
            recv[...] = _array(sendbuff, count, datatype)
        self._mpi().Bcast(recv.view(np.uint8), root=root)

    def allGather(self, sendbuf, recvbuf, count, datatype, stream):
        comm = self._mpi()
        send = _array(sendbuf, count, datatype).copy()   # may lie inside recvbuf
        recv = _array(recvbuf, count * self._size, datatype)
        comm.Allgather(send.view(np.uint8), recv.view(np.uint8))

    def reduceScatter(self, sendbuf, recvbuf, recvcount, datatype, op, stream):
        comm = self._mpi()
        send = _array(sendbuf, recvcount * self._size, datatype)
        rows = np.empty((self._size, recvcount * send.dtype.itemsize), dtype=np.uint8)
        comm.Alltoall(send.view(np.uint8), rows)      # row r: rank r's block for this rank
        _array(recvbuf, recvcount, datatype)[...] = _combine(rows.view(send.dtype), op)

    # ---------------------------------------------------------------- point to point
    def send(self, sendbuf, count, datatype, peer, stream):
        self._p2p('send', _array(sendbuf, count, datatype), peer)

    def recv(self, recvbuf, count, datatype, peer, stream):
        self._p2p('recv', _array(recvbuf, count, datatype), peer)

    def _p2p(self, kind, array, peer):
        comm = self._mpi()
        if not 0 <= peer < self._size:
            raise NcclError(_INVALID_ARGUMENT, f'peer {peer} of a communicator of '
                                               f'{self._size}')
        buf = array.view(np.uint8)
        if _group['depth']:
            _group['queue'].append((kind, comm, buf, peer))
        elif kind == 'send':
            comm.Send(buf, dest=peer, tag=_P2P_TAG)
        else:
            comm.Recv(buf, source=peer, tag=_P2P_TAG)
