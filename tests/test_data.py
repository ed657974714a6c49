"""ember.utils.data: datasets, samplers, collation and the DataLoader, against PyTorch."""
import collections
import sys

import numpy as np
import pytest

import ember
from oracle import check, requires_torch

# DataLoader(num_workers>0) starts worker processes; WebAssembly (Pyodide) has none.
needs_processes = pytest.mark.skipif(
    sys.platform == 'emscripten', reason='DataLoader workers need subprocesses, which '
    'Pyodide/WebAssembly does not have')


class Squares:
    """A map-style dataset usable by both libraries (returns plain Python/NumPy data)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.array([i, i * i], dtype=np.float32), i % 3


Point = collections.namedtuple('Point', ['x', 'y'])


def _batches(loader):
    return [b for b in loader]


def _shuffle_matches(torch):
    data = torch.utils.data
    torch.manual_seed(7)
    loader = data.DataLoader(Squares(10), batch_size=4, shuffle=True)
    first = _batches(loader)
    second = _batches(loader)
    return first, second, torch.rand(2)


def _sampler_variants(torch):
    data = torch.utils.data
    g = torch.Generator().manual_seed(3)
    ds = list(range(20))
    return (list(data.RandomSampler(ds, generator=g)),
            list(data.RandomSampler(ds, replacement=True, num_samples=40, generator=g)),
            list(data.SubsetRandomSampler([5, 6, 7, 8], generator=g)),
            list(data.WeightedRandomSampler([0.1, 0.9, 0.4, 0.6], 6, generator=g)),
            list(data.BatchSampler(data.SequentialSampler(ds), 6, drop_last=False)),
            list(data.BatchSampler(range(10), 3, drop_last=True)))


def _collate(torch):
    c = torch.utils.data.default_collate
    return (c([torch.ones(2), torch.zeros(2)]),
            c([1.5, 2.5]), c([1, 2]), c([True, False]), c(['a', 'b']),
            c([np.ones(3, dtype=np.int32), np.zeros(3, dtype=np.int32)]),
            c([np.float64(1.0), np.float64(2.0)]),
            c([{'a': 1, 'b': np.ones(2)}, {'a': 2, 'b': np.zeros(2)}]),
            c([(1, 2.0), (3, 4.0)]), c([[1, 2], [3, 4]]),
            c([Point(1, 2.0), Point(3, 4.0)]))


def _collate_errors(torch):
    torch.utils.data.default_collate([[1, 2], [3]])


def _convert(torch):
    f = torch.utils.data.default_convert
    return f(np.ones(2)), f({'a': np.zeros(1)}), f((np.ones(1), 3)), f('text')


def _tensor_dataset(torch):
    data = torch.utils.data
    x = torch.arange(10.).reshape(5, 2)
    y = torch.arange(5)
    ds = data.TensorDataset(x, y)
    loader = data.DataLoader(ds, batch_size=2, drop_last=True)
    return len(ds), ds[1], _batches(loader), len(loader)


def _concat_subset_split(torch):
    data = torch.utils.data
    a = data.TensorDataset(torch.arange(4))
    b = data.TensorDataset(torch.arange(10, 13))
    cat = data.ConcatDataset([a, b])
    sub = data.Subset(cat, [0, 5, 6])
    g = torch.Generator().manual_seed(0)
    left, right = data.random_split(range(10), [0.7, 0.3], generator=g)
    p, q = data.random_split(range(5), [2, 3], generator=torch.Generator().manual_seed(1))
    return len(cat), cat[5], [sub[i] for i in range(3)], list(left), list(right), list(p), \
        list(q)


def _iterable(torch):
    data = torch.utils.data

    class Stream(data.IterableDataset):
        def __iter__(self):
            return iter(range(7))
    return _batches(data.DataLoader(Stream(), batch_size=3)), \
        _batches(data.DataLoader(Stream(), batch_size=3, drop_last=True)), \
        _batches(data.DataLoader(Stream(), batch_size=None))


def _no_auto_batch(torch):
    data = torch.utils.data
    return _batches(data.DataLoader(Squares(3), batch_size=None))


def _loader_errors(torch):
    data = torch.utils.data
    data.DataLoader(Squares(3), sampler=data.SequentialSampler(range(3)), shuffle=True)


@requires_torch
@pytest.mark.parametrize('snippet', [_shuffle_matches, _sampler_variants, _collate,
                                     _collate_errors, _convert, _tensor_dataset,
                                     _concat_subset_split, _iterable, _no_auto_batch,
                                     _loader_errors],
                         ids=lambda f: f.__name__.strip('_'))
def test_data_matches_pytorch(snippet):
    check(snippet, check_stride=False)


@needs_processes
def test_workers_give_the_same_batches_as_the_main_process():
    ember.manual_seed(0)
    single = _batches(ember.utils.data.DataLoader(Squares(23), batch_size=4, shuffle=True))
    ember.manual_seed(0)
    multi = _batches(ember.utils.data.DataLoader(Squares(23), batch_size=4, shuffle=True,
                                                 num_workers=2))
    assert len(single) == len(multi) == 6
    for (xs, ys), (xm, ym) in zip(single, multi):
        np.testing.assert_array_equal(xs.numpy(), xm.numpy())
        np.testing.assert_array_equal(ys.numpy(), ym.numpy())


class _Seeds(ember.utils.data.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        info = ember.utils.data.get_worker_info()
        return info.id, info.seed, info.num_workers


@needs_processes
def test_worker_info_and_seeds_and_persistent_workers():
    ember.manual_seed(5)
    loader = ember.utils.data.DataLoader(_Seeds(), batch_size=1, num_workers=2,
                                         persistent_workers=True)
    first = [tuple(int(v) for v in batch) for batch in
             ([b[0].item(), b[1].item(), b[2].item()] for b in loader)]
    again = list(loader)
    assert [f[0] for f in first] == [0, 1, 0, 1]
    assert first[0][1] + 1 == first[1][1]
    assert {f[2] for f in first} == {2}
    assert len(again) == 4
    assert ember.utils.data.get_worker_info() is None


class _Failing(ember.utils.data.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 2:
            raise KeyError('bad sample')
        return i


@needs_processes
def test_worker_errors_are_reraised_with_context():
    loader = ember.utils.data.DataLoader(_Failing(), batch_size=1, num_workers=2)
    with pytest.raises(KeyError, match='DataLoader worker process'):
        list(loader)


@needs_processes
def test_worker_init_fn_runs_in_each_worker():
    seen = ember.utils.data.DataLoader(
        _Seeds(), batch_size=2, num_workers=2,
        worker_init_fn=lambda worker_id: None)
    assert len(list(seen)) == 2


@requires_torch
def test_distributed_sampler_shards_equal_pytorch():
    def snippet(torch):
        from torch.utils.data.distributed import DistributedSampler
        out = []
        for rank in range(3):
            s = DistributedSampler(range(10), num_replicas=3, rank=rank, seed=4)
            s.set_epoch(2)
            out.append(list(s))
            out.append(list(DistributedSampler(range(10), num_replicas=3, rank=rank,
                                               shuffle=False, drop_last=True)))
        return out
    check(snippet)
