"""DataLoader: sampler -> batch sampler -> fetch -> collate, in this process or in worker
processes, following PyTorch's structure (and its use of the random generator, so shuffles
match PyTorch's for the same seed)."""
import itertools
import queue
import sys

from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler
from . import worker as _worker

__all__ = ['DataLoader']


class _InfiniteConstantSampler:
    """Index source for IterableDatasets: there are no indices, only 'next sample'."""

    def __iter__(self):
        while True:
            yield None


class DataLoader:
    """Iterate over a dataset in (shuffled) batches, optionally with worker processes.

    Arguments follow PyTorch: ``batch_size``, ``shuffle``, ``sampler``, ``batch_sampler``,
    ``num_workers``, ``collate_fn``, ``pin_memory`` (accepted; a no-op here), ``drop_last``,
    ``timeout``, ``worker_init_fn``, ``multiprocessing_context``, ``generator``,
    ``prefetch_factor``, ``persistent_workers``, ``in_order``.
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False,
                 timeout=0, worker_init_fn=None, multiprocessing_context=None, generator=None,
                 *, prefetch_factor=None, persistent_workers=False, pin_memory_device='',
                 in_order=True):
        if num_workers < 0:
            raise ValueError('num_workers option should be non-negative; use num_workers=0 to '
                             'disable multiprocessing.')
        if timeout < 0:
            raise ValueError('timeout option should be non-negative')
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError('prefetch_factor option could only be specified in '
                             'multiprocessing.let num_workers > 0 to enable multiprocessing, '
                             'otherwise set prefetch_factor to None.')
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if persistent_workers and num_workers == 0:
            raise ValueError('persistent_workers option needs num_workers > 0')
        if num_workers > 0 and sys.platform == 'emscripten':
            raise RuntimeError('DataLoader worker processes are not available on this '
                               'platform (WebAssembly has no subprocesses): use '
                               'num_workers=0')
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order
        self._is_iterable = isinstance(dataset, IterableDataset)
        if self._is_iterable:
            if shuffle not in (None, False):
                raise ValueError(f'DataLoader with IterableDataset: expected unspecified '
                                 f'shuffle option, but got shuffle={shuffle}')
            if sampler is not None:
                raise ValueError(f'DataLoader with IterableDataset: expected unspecified '
                                 f'sampler option, but got sampler={sampler}')
            if batch_sampler is not None:
                raise ValueError('DataLoader with IterableDataset: expected unspecified '
                                 f'batch_sampler option, but got batch_sampler={batch_sampler}')
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError('sampler option is mutually exclusive with shuffle')
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError('batch_sampler option is mutually exclusive with batch_size, '
                                 'shuffle, sampler, and drop_last')
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError('batch_size=None option disables auto-batching and is mutually '
                             'exclusive with drop_last')
        if sampler is None:
            if self._is_iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._iterator = None

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self):
        if self._is_iterable:
            length = len(self.dataset)
            if self.batch_size is not None:
                import math
                length = length // self.batch_size if self.drop_last else \
                    math.ceil(length / self.batch_size)
            return length
        return len(self._index_sampler)

    def __iter__(self):
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        if self.persistent_workers:
            if self._iterator is None:
                self._iterator = _MultiProcessIter(self)
            else:
                self._iterator._reset(self)
            return self._iterator
        return _MultiProcessIter(self)


class _BaseIter:
    def __init__(self, loader):
        from ..._ops.creation import empty
        from ... import _dtype
        self._loader = loader
        self._dataset = loader.dataset
        self._auto_collation = loader._auto_collation
        self._collate_fn = loader.collate_fn
        self._drop_last = loader.drop_last
        self._sampler_iter = iter(loader._index_sampler)
        # PyTorch draws a base seed for workers on every new iterator, even without workers;
        # drawing it here keeps the random stream identical.
        self._base_seed = int(empty((), dtype=_dtype.int64).random_(
            generator=loader.generator).item())
        self._num_yielded = 0

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._loader)

    def _next_index(self):
        return next(self._sampler_iter)


class _SingleProcessIter(_BaseIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._dataset_iter = iter(self._dataset) if loader._is_iterable else None

    def __next__(self):
        index = self._next_index()
        if self._dataset_iter is not None:
            if self._auto_collation:
                samples = list(itertools.islice(self._dataset_iter, len(index)))
                if not samples or (self._drop_last and len(samples) < len(index)):
                    raise StopIteration
                data = self._collate_fn(samples)
            else:
                data = self._collate_fn(next(self._dataset_iter))
        elif self._auto_collation:
            getitems = getattr(self._dataset, '__getitems__', None)
            samples = getitems(index) if getitems else [self._dataset[i] for i in index]
            data = self._collate_fn(samples)
        else:
            data = self._collate_fn(self._dataset[index])
        self._num_yielded += 1
        return data


class _MultiProcessIter(_BaseIter):
    """Workers receive (batch index, indices) and send back (batch index, batch); batches are
    yielded in order, with ``prefetch_factor`` tasks in flight per worker."""

    def __init__(self, loader):
        super().__init__(loader)
        import multiprocessing  # here, not at the top: it costs ~10 ms of every import
        context = loader.multiprocessing_context
        if context is None:
            method = 'fork' if 'fork' in multiprocessing.get_all_start_methods() else 'spawn'
            context = multiprocessing.get_context(method)
        elif isinstance(context, str):
            context = multiprocessing.get_context(context)
        self._num_workers = loader.num_workers
        self._prefetch = loader.prefetch_factor
        self._result_queue = context.Queue()
        self._done_event = context.Event()
        self._index_queues = []
        self._workers = []
        batch_size = loader.batch_size or 1
        for worker_id in range(self._num_workers):
            index_queue = context.Queue()
            process = context.Process(
                target=_worker.worker_loop,
                args=(self._dataset, loader._is_iterable, self._auto_collation,
                      self._collate_fn, self._drop_last, batch_size, index_queue,
                      self._result_queue, self._done_event, self._base_seed + worker_id,
                      worker_id, self._num_workers, loader.worker_init_fn),
                daemon=True)
            process.start()
            self._index_queues.append(index_queue)
            self._workers.append(process)
        self._shutdown = False
        self._start_epoch()

    def _reset(self, loader):
        """Start a new epoch with persistent workers (they keep their state)."""
        self._sampler_iter = iter(loader._index_sampler)
        self._start_epoch()

    def _start_epoch(self):
        self._send_idx = 0
        self._rcvd_idx = 0
        self._pending = {}
        self._task_worker = {}
        self._workers_done = set()
        self._sampler_exhausted = False
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        for _ in range(self._prefetch * self._num_workers):
            self._try_put_index()

    def _try_put_index(self):
        if self._sampler_exhausted:
            return
        try:
            index = self._next_index()
        except StopIteration:
            self._sampler_exhausted = True
            return
        for _ in range(self._num_workers):
            worker_id = next(self._worker_cycle)
            if worker_id not in self._workers_done:
                break
        else:
            self._sampler_exhausted = True
            return
        self._index_queues[worker_id].put((self._send_idx, index))
        self._task_worker[self._send_idx] = worker_id
        self._send_idx += 1

    def _get_result(self):
        timeout = self._loader.timeout or None
        while True:
            try:
                return self._result_queue.get(timeout=timeout if timeout else 5.0)
            except queue.Empty:
                if timeout:
                    self._shutdown_workers()
                    raise RuntimeError(f'DataLoader timed out after {timeout} seconds')
                dead = [i for i, w in enumerate(self._workers) if not w.is_alive()]
                if dead:
                    self._shutdown_workers()
                    raise RuntimeError(f'DataLoader worker (pid(s) '
                                       f'{", ".join(str(self._workers[i].pid) for i in dead)}) '
                                       'exited unexpectedly')

    def __next__(self):
        while True:
            if self._rcvd_idx >= self._send_idx and self._sampler_exhausted:
                if not self._loader.persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            if self._rcvd_idx in self._pending:
                data = self._pending.pop(self._rcvd_idx)
            else:
                batch_index, data = self._get_result()
                if batch_index != self._rcvd_idx:
                    self._pending[batch_index] = data
                    continue
            self._rcvd_idx += 1
            if isinstance(data, _worker._IterableEnd):
                self._workers_done.add(data.worker_id)
                if len(self._workers_done) == self._num_workers:
                    self._sampler_exhausted = True
                continue
            self._try_put_index()
            if isinstance(data, _worker._WorkerFailure):
                self._shutdown_workers()
                data.reraise()
            self._num_yielded += 1
            return data

    def _shutdown_workers(self):
        if self._shutdown:
            return
        self._shutdown = True
        self._done_event.set()
        for q in self._index_queues:
            try:
                q.put(None)
            except (OSError, ValueError):
                pass
        for w in self._workers:
            w.join(timeout=5)
            if w.is_alive():
                w.terminate()

    def __del__(self):
        try:
            self._shutdown_workers()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass
