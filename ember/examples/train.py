"""The main job: train a small CNN on handwritten digits with ember.

The data set ships inside the package: the 1,797 8x8 images of the UCI "Optical Recognition
of Handwritten Digits" data set (E. Alpaydin, C. Kaynak; CC BY 4.0), as scikit-learn
distributes it. The script is plain PyTorch code with ``import ember as torch``: a Dataset
and DataLoader, a Conv2d/MaxPool2d/Linear network, Adam with a OneCycle schedule, a progress
bar per epoch (tqdm when installed), test accuracy per epoch, a checkpoint, and a PNG of the
loss and accuracy curves (matplotlib when installed).

    python -m ember.examples.train --epochs 8 --out runs/digits
"""
import argparse
import gzip
import os
import sys
import time

import numpy as np

import ember as torch
from ember import nn
from ember.utils.data import DataLoader, Dataset, random_split

DATA_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'digits.csv.gz')


class Digits(Dataset):
    """The 8x8 digits as (1, 8, 8) float32 images scaled to [0, 1] and int64 labels."""

    def __init__(self, path=DATA_FILE):
        with gzip.open(path, 'rt') as f:
            table = np.loadtxt(f, delimiter=',', dtype=np.float32)
        self.images = torch.from_numpy((table[:, :-1] / 16.0).reshape(-1, 1, 8, 8).copy())
        self.labels = torch.from_numpy(table[:, -1].astype(np.int64))

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        return self.images[index], self.labels[index]


class DigitsNet(nn.Module):
    """Two 3x3 convolutions, a 2x2 max-pool and two linear layers."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(32 * 4 * 4, 64), nn.ReLU(), nn.Dropout(0.1),
            nn.Linear(64, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


class _PlainBar:
    """A minimal progress bar for when tqdm is not installed."""

    def __init__(self, iterable, total, desc):
        self.iterable, self.total, self.desc = iterable, total, desc
        self.postfix = ''

    def __iter__(self):
        start = time.perf_counter()
        for i, item in enumerate(self.iterable, 1):
            yield item
            width = 24
            filled = int(width * i / self.total)
            print(f'\r{self.desc} [{"#" * filled}{"." * (width - filled)}] {i}/{self.total} '
                  f'{time.perf_counter() - start:5.1f}s {self.postfix}', end='', flush=True)
        print()

    def set_postfix_str(self, text):
        self.postfix = text


def progress(iterable, total, desc):
    try:
        from tqdm import tqdm
    except ImportError:
        return _PlainBar(iterable, total, desc)
    return tqdm(iterable, total=total, desc=desc, leave=True, file=sys.stdout)


def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            predictions = model(images).argmax(1)
            correct += (predictions == labels).sum().item()
            total += labels.numel()
    return correct / total


def save_curves(history, path):
    """Write a PNG of loss and accuracy per epoch (needs matplotlib; skipped otherwise)."""
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    epochs = range(1, len(history['loss']) + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.plot(epochs, history['loss'], marker='o')
    left.set_xlabel('epoch')
    left.set_ylabel('training loss')
    right.plot(epochs, history['accuracy'], marker='o', color='tab:green')
    right.set_xlabel('epoch')
    right.set_ylabel('test accuracy')
    fig.suptitle('ember: digits CNN')
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description='Train a CNN on the bundled digits data.')
    parser.add_argument('--epochs', type=int, default=8)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--lr', type=float, default=0.01)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', default='runs/digits')
    parser.add_argument('--distributed', action='store_true',
                        help='data-parallel over MPI ranks: mpiexec -n 2 python -m '
                             'ember.examples.train --distributed')
    args = parser.parse_args(argv)

    rank, world = 0, 1
    if args.distributed:
        import ember.distributed as dist
        dist.init_process_group('mpi')
        rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    dataset = Digits()
    train_set, test_set = random_split(dataset, [0.8, 0.2],
                                       generator=torch.Generator().manual_seed(args.seed))
    sampler = None
    if args.distributed:
        from ember.utils.data.distributed import DistributedSampler
        sampler = DistributedSampler(train_set, num_replicas=world, rank=rank, seed=args.seed)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=sampler is None,
                              sampler=sampler)
    test_loader = DataLoader(test_set, batch_size=256)

    model = DigitsNet().to(device)
    replica = model
    if args.distributed:
        from ember.nn.parallel import DistributedDataParallel
        replica = DistributedDataParallel(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=args.lr, epochs=args.epochs, steps_per_epoch=len(train_loader))
    loss_fn = nn.CrossEntropyLoss()
    say = print if rank == 0 else (lambda *a, **k: None)
    say(model)
    say(f'{len(train_set)} training and {len(test_set)} test images, device {device}' +
        (f', {world} ranks' if world > 1 else ''))

    history = {'loss': [], 'accuracy': []}
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        if sampler is not None:
            sampler.set_epoch(epoch)
        running, seen = 0.0, 0
        bar = progress(train_loader, len(train_loader), f'epoch {epoch}/{args.epochs}') \
            if rank == 0 else train_loader
        for images, labels in bar:
            images, labels = images.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = loss_fn(replica(images), labels)
            loss.backward()
            optimizer.step()
            scheduler.step()
            running += loss.item() * labels.numel()
            seen += labels.numel()
            if rank == 0:
                bar.set_postfix_str(f'loss {running / seen:.4f}')
        accuracy = evaluate(model, test_loader, device)
        history['loss'].append(running / seen)
        history['accuracy'].append(accuracy)
        say(f'epoch {epoch}: train loss {running / seen:.4f}  test accuracy '
            f'{accuracy:.2%}', flush=True)
    elapsed = time.perf_counter() - start
    if rank != 0:
        return history

    os.makedirs(args.out, exist_ok=True)
    checkpoint = os.path.join(args.out, 'digits_cnn.pt')
    torch.save({'model': model.state_dict(), 'optimizer': optimizer.state_dict(),
                'epoch': args.epochs, 'accuracy': history['accuracy'][-1]}, checkpoint)
    plot = save_curves(history, os.path.join(args.out, 'curves.png'))
    print(f'trained in {elapsed:.1f}s; final test accuracy {history["accuracy"][-1]:.2%}')
    print(f'checkpoint: {checkpoint}' + (f'; curves: {plot}' if plot else
                                         ' (install matplotlib for a plot of the curves)'))
    return history


if __name__ == '__main__':
    main()
