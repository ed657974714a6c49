"""NCCL for cuda tensors, through CuPy's ``cupy.cuda.nccl``, bootstrapped over MPI.

Imported only when a process group asks for NCCL (``init_process_group('nccl')``, or a
device map such as ``'cuda:nccl,cpu:gloo'``). A group then keeps one ``NcclComms``: cuda
tensors go through NCCL, cpu tensors keep the MPI path of ``ember.distributed``.

How it works, in CuPy's documented terms:

- *Bootstrap.* A communicator is made the first time a group meets a tensor on a given cuda
  device (or at once for ``init_process_group(device_id=...)``): the group's rank 0 calls
  ``nccl.get_unique_id()``, the id travels to every rank over the group's MPI communicator,
  and each rank builds ``nccl.NcclCommunicator(world_size, uid, rank)`` inside
  ``cupy.cuda.Device(index)``, which binds it to that device. Every rank must therefore run
  its first collective on a device in the same order, as NCCL (and PyTorch) require.
- *Buffers.* NCCL reads and writes device memory given by address: ``array.data.ptr`` for
  CuPy arrays, the NumPy address for the simulated cuda device's arrays (which only a
  stand-in NCCL working on host memory, like the tests' fake CuPy, can accept).
  Non-contiguous tensors are copied to a contiguous buffer and written back.
- *Streams.* Every call is enqueued on CuPy's current stream, the one ember's own cuda ops
  use, so results are ordered with later ops; an event recorded after the call lets
  ``Work.wait()`` block until the data has arrived, honouring the group's timeout.
- *What NCCL lacks.* No BAND/BOR/BXOR (``ValueError`` as in PyTorch), no int16
  (``TypeError``), no gather/scatter/all-to-all primitives (built from grouped
  ``send``/``recv`` between ``groupStart()`` and ``groupEnd()``, as PyTorch does), no
  receive from any source. A bool SUM is a MAX (logical or) as in PyTorch; complex tensors
  travel as pairs of reals (SUM and AVG only).
"""
import time

import numpy as np

from .. import _dtype as dt
from .._device import backend_of
from . import DistBackendError, ReduceOp, Work, _refuse_premul_sum, _run

_UNIQUE_ID_BYTES = 128

# ember dtype -> (name of CuPy's NCCL constant, elements per tensor element). bool travels
# as uint8 and complex as pairs of reals, as PyTorch sends them.
_TYPE_NAMES = {
    dt.bool: ('NCCL_UINT8', 1), dt.uint8: ('NCCL_UINT8', 1), dt.int8: ('NCCL_INT8', 1),
    dt.int32: ('NCCL_INT32', 1), dt.int64: ('NCCL_INT64', 1),
    dt.float16: ('NCCL_FLOAT16', 1), dt.bfloat16: ('NCCL_BFLOAT16', 1),
    dt.float32: ('NCCL_FLOAT32', 1), dt.float64: ('NCCL_FLOAT64', 1),
    dt.complex64: ('NCCL_FLOAT32', 2), dt.complex128: ('NCCL_FLOAT64', 2),
}
_OP_NAMES = {ReduceOp.SUM: 'NCCL_SUM', ReduceOp.PRODUCT: 'NCCL_PROD',
             ReduceOp.MIN: 'NCCL_MIN', ReduceOp.MAX: 'NCCL_MAX', ReduceOp.AVG: 'NCCL_AVG'}


def load():
    """``(cupy, cupy.cuda.nccl)``, or a sentence saying why NCCL cannot be used here."""
    from .. import cuda
    if not cuda.is_available():
        return 'no cuda device (NCCL needs CuPy and an NVIDIA GPU)'
    try:
        import cupy
        from cupy.cuda import nccl
    except ImportError as error:
        return f'CuPy with NCCL cannot be imported ({error})'
    if not getattr(nccl, 'available', True):
        return 'this CuPy was built without NCCL'
    if cuda._state['simulated'] is not None and not getattr(nccl, 'reads_host_memory', False):
        return ('the simulated cuda device keeps tensors in host memory, which NCCL cannot '
                'read')
    return cupy, nccl


def array_pointer(array):
    """The address of an array's first element: a CuPy array's device pointer, or a NumPy
    array's host address (the simulated cuda device)."""
    if isinstance(array, np.ndarray):
        return array.__array_interface__['data'][0]
    return array.data.ptr


def _scalar_type_name(dtype):
    return dtype._tensor_type[:-len('Tensor')]   # PyTorch's ScalarType name: Float, Short...


class _NcclWork(Work):
    """A collective enqueued on a stream: ``wait()`` blocks until the event recorded after it
    has fired; past the timeout the communicator is aborted and DistBackendError raised."""

    def __init__(self, event, comm, error, timeout, name, keep):
        self._event = event
        self._comm = comm
        self._error = error   # CuPy's NcclError class (None: cannot ask for async errors)
        self._timeout = timeout
        self._name = name
        self._keep = keep     # buffers NCCL may still be using
        self._done = False

    def is_completed(self):
        if not self._done and self._event.done:
            self._done = True
            self._keep = None
        return self._done

    def wait(self, timeout=None):
        if self._done:
            return True
        limit = timeout or self._timeout
        seconds = limit.total_seconds() if hasattr(limit, 'total_seconds') else limit
        deadline = time.monotonic() + seconds
        delay = 1e-6
        while not self._event.done:
            self._check_async_error()
            if time.monotonic() > deadline:
                self._comm.abort()
                raise DistBackendError(f'{self._name} timed out after {seconds:.1f} s: a rank '
                                       'may have died or not joined this collective')
            time.sleep(delay)
            delay = min(delay * 2, 1e-3)
        self._check_async_error()
        self._done = True
        self._keep = None
        return True

    def _check_async_error(self):
        if self._error is not None:
            try:
                self._comm.check_async_error()
            except self._error as error:
                raise DistBackendError(f'{self._name} failed in NCCL: {error}') from error


class NcclComms:
    """The NCCL side of one process group: its communicators (one per cuda device) and the
    collectives on cuda tensors."""

    def __init__(self, group, cupy, nccl):
        self.group = group
        self.cupy = cupy
        self.nccl = nccl
        self.comms = {}
        self.error = getattr(nccl, 'NcclError', None) \
            if hasattr(nccl, 'get_version') and nccl.get_version() >= 2400 else None
        self.types = {}
        for d, (name, per) in _TYPE_NAMES.items():
            code = getattr(nccl, name, None)
            if code is not None:
                self.types[d] = (code, per)
        self.ops = {op: getattr(nccl, name) for op, name in _OP_NAMES.items()
                    if hasattr(nccl, name)}

    # ------------------------------------------------------------------ communicators
    def comm(self, index):
        """The communicator on cuda device ``index``, made on first use (collectively)."""
        comm = self.comms.get(index)
        if comm is None:
            comm = self.comms[index] = self._bootstrap(index)
        return comm

    def _bootstrap(self, index):
        g = self.group
        # byte 0 says whether the id is a tuple of ints (CuPy < 14) or bytes (CuPy >= 14)
        buf = np.zeros(_UNIQUE_ID_BYTES + 1, dtype=np.uint8)
        if g.rank() == 0:
            uid = self.nccl.get_unique_id()
            if isinstance(uid, tuple):
                buf[0] = 1
                raw = np.array(uid, dtype=np.int64).astype(np.int8).view(np.uint8)
            else:
                raw = np.frombuffer(bytes(uid), dtype=np.uint8)
            if raw.size != _UNIQUE_ID_BYTES:
                raise RuntimeError(f'NCCL unique id has {raw.size} bytes, expected '
                                   f'{_UNIQUE_ID_BYTES}')
            buf[1:] = raw
        _run(g.comm.Ibcast(buf, root=0), g, False, name='NCCL bootstrap (unique id broadcast)')
        uid = tuple(int(v) for v in buf[1:].view(np.int8)) if buf[0] else buf[1:].tobytes()
        with self.cupy.cuda.Device(index):
            return self.nccl.NcclCommunicator(g.size(), uid, g.rank())

    def destroy(self):
        for comm in self.comms.values():
            comm.destroy()
        self.comms = {}

    # ------------------------------------------------------------------ helpers
    def _type(self, t):
        """NCCL's datatype code for ``t`` and the element count multiplier."""
        entry = self.types.get(t._dtype)
        if entry is None:
            raise TypeError('Input tensor data type is not supported for NCCL process group: '
                            f'{_scalar_type_name(t._dtype)}')
        if t._dtype is dt.bfloat16 and t._data.dtype.itemsize != 2:
            raise TypeError('NCCL bfloat16 needs 2-byte storage; this device stores bfloat16 '
                            f'as {t._data.dtype}')
        return entry

    def _op(self, op, t, name='all_reduce'):
        """NCCL's reduction code for ``op`` on ``t``, and whether ember divides afterwards
        (AVG where NCCL has no ncclAvg)."""
        if not isinstance(op, ReduceOp):
            raise ValueError(f'unknown reduce op {op}')
        _refuse_premul_sum(op)
        if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR):
            raise ValueError(f'Cannot use ReduceOp.{op.name} with NCCL')
        if t._dtype is dt.bool:
            if op is ReduceOp.SUM:
                return self.ops[ReduceOp.MAX], False   # logical or, without uint8 overflow
            if op is ReduceOp.AVG:
                raise TypeError('Cannot use ReduceOp.AVG with boolean inputs')
        if t._dtype.is_complex and op not in (ReduceOp.SUM, ReduceOp.AVG):
            raise ValueError(f'{name} does not support {op} on complex tensors')
        if op is ReduceOp.AVG and op not in self.ops:
            return self.ops[ReduceOp.SUM], True
        return self.ops[op], False

    def _contiguous(self, t):
        """A contiguous device array holding ``t`` and a function writing it back into ``t``
        (None when the array is ``t``'s own memory)."""
        data = t._data
        if data.flags.c_contiguous:
            return data, None
        with self.cupy.cuda.Device(t._device.index or 0):
            work = backend_of(t._device).xp.ascontiguousarray(data)

        def write_back():
            data[...] = work
        return work, write_back

    def _launch(self, t, name, issue, keep, finish=None, async_op=False):
        """Run ``issue(comm, stream_ptr)`` on ``t``'s device and current stream, then the
        device-side ``finish``; record an event and return (or wait for) the Work."""
        index = t._device.index or 0
        cuda = self.cupy.cuda
        comm = self.comm(index)
        with cuda.Device(index):
            stream = cuda.get_current_stream()
            issue(comm, stream.ptr)
            if finish is not None:
                finish()
            event = cuda.Event(disable_timing=True)
            event.record(stream)
        work = _NcclWork(event, comm, self.error, self.group.timeout, name, keep)
        if async_op:
            return work
        work.wait()
        return None

    def _same_device(self, tensors, t, name):
        for other in tensors:
            if other._device is not t._device:
                raise ValueError(f'{name}: every tensor must be on {t._device} (NCCL works on '
                                 f'one cuda device per rank), got one on {other._device}')

    def _divide(self, array):
        """In-place average after a sum (integers truncate, as ncclAvg does)."""
        n = self.group.size()
        if array.dtype.kind in 'iu':
            xp = np if isinstance(array, np.ndarray) else self.cupy
            array[...] = xp.sign(array) * (xp.abs(array) // n)
        else:
            array /= n

    def _bump(self, *tensors):
        for t in tensors:
            t._bump_version()

    # ------------------------------------------------------------------ collectives
    def all_reduce(self, tensor, op, async_op):
        code, per = self._type(tensor)
        nccl_op, divide = self._op(op, tensor)
        buf, write_back = self._contiguous(tensor)
        ptr = array_pointer(buf)

        def issue(comm, stream):
            comm.allReduce(ptr, ptr, buf.size * per, code, nccl_op, stream)

        def finish():
            if divide:
                self._divide(buf)
            if write_back is not None:
                write_back()
            tensor._bump_version()
        return self._launch(tensor, 'all_reduce', issue, buf, finish, async_op)

    def broadcast(self, tensor, src, async_op):
        code, per = self._type(tensor)
        buf, write_back = self._contiguous(tensor)
        ptr = array_pointer(buf)

        def issue(comm, stream):
            comm.bcast(ptr, buf.size * per, code, src, stream)

        def finish():
            if write_back is not None:
                write_back()
            tensor._bump_version()
        return self._launch(tensor, 'broadcast', issue, buf, finish, async_op)

    def reduce(self, tensor, dst, op, async_op):
        code, per = self._type(tensor)
        nccl_op, divide = self._op(op, tensor, 'reduce')
        buf, write_back = self._contiguous(tensor)
        ptr = array_pointer(buf)
        root = self.group.rank() == dst

        def issue(comm, stream):
            comm.reduce(ptr, ptr, buf.size * per, code, nccl_op, dst, stream)

        def finish():
            if root:
                if divide:
                    self._divide(buf)
                if write_back is not None:
                    write_back()
                tensor._bump_version()
        return self._launch(tensor, 'reduce', issue, buf, finish, async_op)

    def all_gather(self, tensor_list, tensor, async_op):
        size = self.group.size()
        if len(tensor_list) != size:
            raise ValueError(f'all_gather: tensor_list has {len(tensor_list)} entries for a '
                             f'group of {size} ranks')
        self._same_device(tensor_list, tensor, 'all_gather')
        for out in tensor_list:
            if tuple(out.shape) != tuple(tensor.shape):
                raise RuntimeError(f'all_gather: output tensor of shape {list(out.shape)} does '
                                   f'not match the input shape {list(tensor.shape)}')
        code, per = self._type(tensor)
        send, _ = self._contiguous(tensor)
        xp = backend_of(tensor._device).xp
        with self.cupy.cuda.Device(tensor._device.index or 0):
            recv = xp.empty((size,) + send.shape, dtype=send.dtype)

        def issue(comm, stream):
            comm.allGather(array_pointer(send), array_pointer(recv), send.size * per, code,
                           stream)

        def finish():
            for out, piece in zip(tensor_list, recv):
                out._data[...] = piece
                out._bump_version()
        return self._launch(tensor, 'all_gather', issue, (send, recv), finish, async_op)

    def all_gather_into_tensor(self, output, input, async_op):
        size = self.group.size()
        self._same_device([output], input, 'all_gather_into_tensor')
        if output.numel() != input.numel() * size:
            raise ValueError('all_gather_into_tensor: output size must be world_size times the '
                             f'input size ({output.numel()} != {input.numel()} * {size})')
        if output._dtype is not input._dtype:
            raise TypeError('all_gather_into_tensor: output and input must have the same dtype, '
                            f'got {output._dtype} and {input._dtype}')
        code, per = self._type(input)
        send, _ = self._contiguous(input)
        recv, write_back = self._contiguous(output)

        def issue(comm, stream):
            comm.allGather(array_pointer(send), array_pointer(recv), send.size * per, code,
                           stream)

        def finish():
            if write_back is not None:
                write_back()
            output._bump_version()
        return self._launch(input, 'all_gather_into_tensor', issue, (send, recv), finish,
                            async_op)

    def reduce_scatter(self, output, input_list, op, async_op):
        size = self.group.size()
        if len(input_list) != size:
            raise ValueError(f'reduce_scatter: input_list has {len(input_list)} entries for a '
                             f'group of {size} ranks')
        self._same_device(input_list, output, 'reduce_scatter')
        for t in input_list:
            if t.numel() != output.numel():
                raise ValueError(f'reduce_scatter: input of {t.numel()} elements for an output '
                                 f'of {output.numel()}')
        xp = backend_of(output._device).xp
        with self.cupy.cuda.Device(output._device.index or 0):
            send = xp.concatenate([xp.ravel(t._data).astype(output._data.dtype, copy=False)
                                   for t in input_list])
        return self._reduce_scatter(output, send, op, async_op, 'reduce_scatter')

    def reduce_scatter_tensor(self, output, input, op, async_op):
        size = self.group.size()
        self._same_device([output], input, 'reduce_scatter_tensor')
        if input.numel() != output.numel() * size:
            raise ValueError('reduce_scatter_tensor: input size must be world_size times the '
                             f'output size ({input.numel()} != {output.numel()} * {size})')
        if output._dtype is not input._dtype:
            raise TypeError('reduce_scatter_tensor: output and input must have the same dtype, '
                            f'got {output._dtype} and {input._dtype}')
        send, _ = self._contiguous(input)
        return self._reduce_scatter(output, send, op, async_op, 'reduce_scatter_tensor')

    def _reduce_scatter(self, output, send, op, async_op, name):
        code, per = self._type(output)
        nccl_op, divide = self._op(op, output, name)
        recv, write_back = self._contiguous(output)

        def issue(comm, stream):
            comm.reduceScatter(array_pointer(send), array_pointer(recv), recv.size * per, code,
                               nccl_op, stream)

        def finish():
            if divide:
                self._divide(recv)
            if write_back is not None:
                write_back()
            output._bump_version()
        return self._launch(output, name, issue, (send, recv), finish, async_op)

    # ------------------------------------------------------------------ point to point
    def _grouped(self, t, name, sends, recvs, finish, async_op, keep):
        """``sends``/``recvs``: lists of (array, peer), run as one NCCL group."""
        code, per = self._type(t)
        nccl = self.nccl

        def issue(comm, stream):
            nccl.groupStart()
            try:
                for array, peer in sends:
                    comm.send(array_pointer(array), array.size * per, code, peer, stream)
                for array, peer in recvs:
                    comm.recv(array_pointer(array), array.size * per, code, peer, stream)
            finally:
                nccl.groupEnd()
        return self._launch(t, name, issue, keep, finish, async_op)

    def gather(self, tensor, gather_list, dst, async_op):
        g = self.group
        send, _ = self._contiguous(tensor)
        if g.rank() != dst:
            return self._grouped(tensor, 'gather', [(send, dst)], [], None, async_op, send)
        if gather_list is None or len(gather_list) != g.size():
            raise ValueError('gather: the destination rank needs a gather_list with one tensor '
                             'per rank')
        self._same_device(gather_list, tensor, 'gather')
        pieces = [self._contiguous(out) for out in gather_list]
        recvs = [(buf, r) for r, (buf, _) in enumerate(pieces) if r != dst]

        def finish():
            gather_list[dst]._data[...] = tensor._data
            for out, (_, write_back) in zip(gather_list, pieces):
                if write_back is not None:
                    write_back()
                out._bump_version()
        return self._grouped(tensor, 'gather', [], recvs, finish, async_op, (send, pieces))

    def scatter(self, tensor, scatter_list, src, async_op):
        g = self.group
        recv, write_back = self._contiguous(tensor)

        def finish():
            if g.rank() == src:
                recv[...] = scatter_list[src]._data.reshape(recv.shape)
            if write_back is not None:
                write_back()
            tensor._bump_version()
        if g.rank() != src:
            return self._grouped(tensor, 'scatter', [], [(recv, src)], finish, async_op, recv)
        if scatter_list is None or len(scatter_list) != g.size():
            raise ValueError('scatter: the source rank needs a scatter_list with one tensor '
                             'per rank')
        self._same_device(scatter_list, tensor, 'scatter')
        sends = [(self._contiguous(t)[0], r) for r, t in enumerate(scatter_list) if r != src]
        return self._grouped(tensor, 'scatter', sends, [], finish, async_op, (recv, sends))

    def all_to_all(self, output_list, input_list, async_op):
        g = self.group
        size, me = g.size(), g.rank()
        if len(output_list) != size or len(input_list) != size:
            raise ValueError(f'all_to_all: the tensor lists need {size} entries, got '
                             f'{len(output_list)} outputs and {len(input_list)} inputs')
        t = input_list[0]
        self._same_device(list(output_list) + list(input_list), t, 'all_to_all')
        outs = [self._contiguous(o) for o in output_list]
        sends = [(self._contiguous(x)[0], r) for r, x in enumerate(input_list) if r != me]
        recvs = [(buf, r) for r, (buf, _) in enumerate(outs) if r != me]

        def finish():
            output_list[me]._data[...] = input_list[me]._data
            for out, (_, write_back) in zip(output_list, outs):
                if write_back is not None:
                    write_back()
                out._bump_version()
        return self._grouped(t, 'all_to_all', sends, recvs, finish, async_op, (sends, outs))

    def all_to_all_single(self, output, input, sent, received, async_op):
        """``sent``/``received``: the flat offsets of the blocks for/from each rank."""
        g = self.group
        size, me = g.size(), g.rank()
        self._same_device([output], input, 'all_to_all_single')
        send, _ = self._contiguous(input)
        recv, write_back = self._contiguous(output)
        send, recv_flat = send.reshape(-1), recv.reshape(-1)
        send_chunks = [send[sent[r]:sent[r + 1]] for r in range(size)]
        recv_chunks = [recv_flat[received[r]:received[r + 1]] for r in range(size)]
        sends = [(send_chunks[r], r) for r in range(size) if r != me]
        recvs = [(recv_chunks[r], r) for r in range(size) if r != me]

        def finish():
            recv_chunks[me][...] = send_chunks[me]
            if write_back is not None:
                write_back()
            output._bump_version()
        return self._grouped(input, 'all_to_all_single', sends, recvs, finish, async_op,
                             (send, recv))

    def isend(self, tensor, dst):
        send, _ = self._contiguous(tensor)
        return self._grouped(tensor, 'send', [(send, dst)], [], None, True, send)

    def irecv(self, tensor, src):
        if src is None:
            raise RuntimeError('ProcessGroupNCCL does not support recvAnysource: give src')
        recv, write_back = self._contiguous(tensor)

        def finish():
            if write_back is not None:
                write_back()
            tensor._bump_version()
        return self._grouped(tensor, 'recv', [], [(recv, src)], finish, True, recv)

    def synchronize(self):
        """Block until every device this group has used has finished its queued work."""
        for index in self.comms:
            self.cupy.cuda.Device(index).synchronize()


def attach(group, device_id=None, required=True):
    """Give ``group`` NCCL for its cuda tensors; without NCCL, warn (when it was asked for)
    and leave the group on MPI."""
    loaded = load()
    if isinstance(loaded, str):
        if required:
            import warnings
            warnings.warn(f'backend nccl: {loaded}; collectives run on MPI instead',
                          RuntimeWarning, stacklevel=3)
        return None
    comms = NcclComms(group, *loaded)
    if device_id is not None:
        from .._device import device as _device
        d = _device(device_id) if not isinstance(device_id, int) else _device('cuda',
                                                                               device_id)
        comms.comm(d.index or 0)    # eager: the communicator exists when init returns
    return comms

