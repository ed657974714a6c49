"""Train PyTorch's MNIST example network on MNIST read from the standard IDX files.

Give the folder that holds ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` (optionally ``.gz``):

    python -m ember.examples.mnist --data ~/data/MNIST/raw --epochs 1
"""
import argparse
import gzip
import os
import struct

import numpy as np

import ember as torch
from ember import nn
from ember.nn import functional as F
from ember.utils.data import DataLoader, Dataset

_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype('>i2'), 0x0C: np.dtype('>i4'),
              0x0D: np.dtype('>f4'), 0x0E: np.dtype('>f8')}


def read_idx(path):
    """An IDX file (plain or gzip) as a NumPy array with the shape its header gives."""
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f'{path} is not an IDX file (bad magic number)')
    kind, ndim = raw[2], raw[3]
    if kind not in _IDX_TYPES:
        raise ValueError(f'{path}: unknown IDX element type 0x{kind:02x}')
    shape = struct.unpack(f'>{ndim}I', raw[4:4 + 4 * ndim])
    dtype = np.dtype(_IDX_TYPES[kind])
    count = int(np.prod(shape)) if shape else 1
    start = 4 + 4 * ndim
    if len(raw) - start < count * dtype.itemsize:
        raise ValueError(f'{path} is truncated: expected {count} values of shape {shape}')
    return np.frombuffer(raw, dtype=dtype, count=count, offset=start).reshape(shape)


def _find(folder, stem):
    for name in (stem, stem + '.gz'):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f'{stem}(.gz) not found in {folder}')


class MNIST(Dataset):
    """MNIST images as normalised (1, 28, 28) float32 tensors with int64 labels."""

    def __init__(self, folder, train=True):
        prefix = 'train' if train else 't10k'
        images = read_idx(_find(folder, f'{prefix}-images-idx3-ubyte'))
        labels = read_idx(_find(folder, f'{prefix}-labels-idx1-ubyte'))
        images = (images.astype(np.float32) / 255.0 - 0.1307) / 0.3081
        self.images = torch.from_numpy(images[:, None].copy())
        self.labels = torch.from_numpy(labels.astype(np.int64))

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        return self.images[index], self.labels[index]


class Net(nn.Module):
    """The network of PyTorch's MNIST example."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        return F.log_softmax(self.fc2(x), dim=1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--data', required=True, help='folder with the IDX files')
    parser.add_argument('--epochs', type=int, default=1)
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--lr', type=float, default=1.0)
    parser.add_argument('--limit', type=int, default=0, help='use only this many batches')
    parser.add_argument('--seed', type=int, default=1)
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    train_loader = DataLoader(MNIST(args.data, train=True), batch_size=args.batch_size,
                              shuffle=True)
    test_loader = DataLoader(MNIST(args.data, train=False), batch_size=1000)
    model = Net()
    optimizer = torch.optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    for epoch in range(1, args.epochs + 1):
        model.train()
        for batch, (data, target) in enumerate(train_loader):
            if args.limit and batch >= args.limit:
                break
            optimizer.zero_grad()
            loss = F.nll_loss(model(data), target)
            loss.backward()
            optimizer.step()
            if batch % 10 == 0:
                print(f'epoch {epoch} batch {batch}: loss {loss.item():.4f}', flush=True)
        scheduler.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for data, target in test_loader:
                correct += (model(data).argmax(1) == target).sum().item()
        print(f'epoch {epoch}: test accuracy {correct / len(test_loader.dataset):.2%}')


if __name__ == '__main__':
    main()
