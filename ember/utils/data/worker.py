"""Worker processes of the DataLoader: each fetches and collates whole batches."""
import queue
import random
import traceback
from dataclasses import dataclass

__all__ = ['get_worker_info', 'WorkerInfo']

_worker_info = None


@dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker process."""
    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info():
    """Information about the current DataLoader worker, or None in the main process."""
    return _worker_info


class _WorkerFailure:
    """An exception raised in a worker, carried back to be re-raised in the main process."""

    def __init__(self, worker_id, error):
        self.worker_id = worker_id
        self.type = type(error)
        self.text = ''.join(traceback.format_exception(type(error), error,
                                                       error.__traceback__))

    def reraise(self):
        message = (f'Caught {self.type.__name__} in DataLoader worker process '
                   f'{self.worker_id}.\nOriginal {self.text}')
        try:
            error = self.type(message)
        except Exception:  # noqa: BLE001 - some exception types need other arguments
            raise RuntimeError(message) from None
        raise error


class _IterableEnd:
    """Sent by a worker whose IterableDataset is exhausted."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


def worker_loop(dataset, is_iterable, auto_collation, collate_fn, drop_last, batch_size,
                index_queue, result_queue, done_event, seed, worker_id, num_workers,
                worker_init_fn):
    """Runs in a worker: seed, then turn index lists into collated batches until told to
    stop (a None task)."""
    global _worker_info
    from ... import manual_seed
    manual_seed(seed)
    random.seed(seed)
    _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
    init_error = None
    try:
        if worker_init_fn is not None:
            worker_init_fn(worker_id)
    except Exception as error:  # noqa: BLE001 - reported to the main process
        init_error = _WorkerFailure(worker_id, error)
    iterator = iter(dataset) if is_iterable else None
    exhausted = False
    while not done_event.is_set():
        try:
            task = index_queue.get(timeout=0.1)
        except queue.Empty:
            continue
        if task is None:
            break
        batch_index, indices = task
        if init_error is not None:
            result_queue.put((batch_index, init_error))
            init_error = None
            continue
        if exhausted:
            result_queue.put((batch_index, _IterableEnd(worker_id)))
            continue
        try:
            if is_iterable:
                samples = []
                count = batch_size if auto_collation else 1
                for _ in range(count):
                    try:
                        samples.append(next(iterator))
                    except StopIteration:
                        exhausted = True
                        break
                if not samples or (auto_collation and drop_last and len(samples) < count):
                    result_queue.put((batch_index, _IterableEnd(worker_id)))
                    continue
                data = collate_fn(samples) if auto_collation else collate_fn(samples[0])
            elif auto_collation:
                getitems = getattr(dataset, '__getitems__', None)
                samples = getitems(indices) if getitems else [dataset[i] for i in indices]
                data = collate_fn(samples)
            else:
                data = collate_fn(dataset[indices])
            result_queue.put((batch_index, data))
        except Exception as error:  # noqa: BLE001 - re-raised in the main process
            result_queue.put((batch_index, _WorkerFailure(worker_id, error)))
