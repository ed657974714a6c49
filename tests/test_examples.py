"""The example programs: the IDX reader and MNIST script on tiny generated files, and the
main digits job (a short run)."""
import gzip
import os
import struct

import numpy as np
import pytest

import ember
from ember.examples import mnist


def _write_idx(path, array, gz=False):
    kinds = {np.dtype(np.uint8): 0x08, np.dtype('>i4'): 0x0C}
    header = struct.pack('>BBBB', 0, 0, kinds[array.dtype], array.ndim) + \
        struct.pack(f'>{array.ndim}I', *array.shape)
    opener = gzip.open if gz else open
    with opener(path, 'wb') as f:
        f.write(header + array.tobytes())


@pytest.fixture
def tiny_mnist(tmp_path):
    rng = np.random.default_rng(0)
    for prefix, n, gz in (('train', 40, True), ('t10k', 12, False)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        suffix = '.gz' if gz else ''
        _write_idx(str(tmp_path / f'{prefix}-images-idx3-ubyte{suffix}'), images, gz)
        _write_idx(str(tmp_path / f'{prefix}-labels-idx1-ubyte{suffix}'), labels, gz)
    return tmp_path


def test_read_idx_round_trips(tmp_path):
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    path = str(tmp_path / 'x-idx3-ubyte')
    _write_idx(path, array)
    np.testing.assert_array_equal(mnist.read_idx(path), array)
    wide = np.arange(6, dtype='>i4').reshape(3, 2)
    _write_idx(path, wide, gz=False)
    np.testing.assert_array_equal(mnist.read_idx(path), wide)


def test_read_idx_rejects_bad_files(tmp_path):
    bad = tmp_path / 'bad'
    bad.write_bytes(b'\x01\x02\x08\x01\x00\x00\x00\x05abc')
    with pytest.raises(ValueError, match='magic'):
        mnist.read_idx(str(bad))
    short = tmp_path / 'short'
    short.write_bytes(struct.pack('>BBBBI', 0, 0, 8, 1, 10) + b'abc')
    with pytest.raises(ValueError, match='truncated'):
        mnist.read_idx(str(short))


def test_mnist_dataset_from_idx(tiny_mnist):
    ds = mnist.MNIST(str(tiny_mnist), train=True)
    image, label = ds[3]
    assert image.shape == (1, 28, 28) and image.dtype == ember.float32
    assert label.item() == 3 and len(ds) == 40


@pytest.mark.skipif(not hasattr(ember.nn, 'Conv2d') or not hasattr(ember, 'optim'),
                    reason='needs Conv2d and optim')
def test_mnist_script_runs(tiny_mnist, capsys):
    mnist.main(['--data', str(tiny_mnist), '--epochs', '1', '--batch-size', '8',
                '--limit', '2'])
    assert 'test accuracy' in capsys.readouterr().out


@pytest.mark.skipif(not hasattr(ember.nn, 'Conv2d') or not hasattr(ember, 'optim'),
                    reason='needs Conv2d and optim')
def test_main_job_learns(tmp_path, capsys):
    from ember.examples import train
    history = train.main(['--epochs', '2', '--out', str(tmp_path)])
    assert history['accuracy'][-1] > 0.85
    assert os.path.exists(tmp_path / 'digits_cnn.pt')
