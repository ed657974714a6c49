"""The Python side of the browser demo: runs inside Pyodide in a Web Worker.

It is the main job's model and data (``ember.examples.train``) with a training loop that
reports its progress to the page, and a ``predict`` for the digit drawn on the canvas.
``import ember as torch`` is all it takes: this is PyTorch code running in the browser tab.
"""
import json
import time

import numpy as np

import ember as torch
from ember import nn
from ember.examples.train import Digits, DigitsNet
from ember.utils.data import DataLoader, random_split

model = None


def evaluate(net, loader):
    net.eval()
    correct = total = 0
    with torch.no_grad():
        for images, labels in loader:
            correct += (net(images).argmax(1) == labels).sum().item()
            total += labels.numel()
    return correct / total


def train(epochs, report, seed=0, batch_size=32, lr=0.01, every=4):
    """Train the digits CNN; ``report(json_text)`` gets progress messages for the page."""
    global model
    send = lambda **message: report(json.dumps(message))  # noqa: E731
    torch.manual_seed(seed)
    dataset = Digits()
    train_set, test_set = random_split(dataset, [0.8, 0.2],
                                       generator=torch.Generator().manual_seed(seed))
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=256)
    net = DigitsNet()
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=lr, epochs=epochs, steps_per_epoch=len(train_loader))
    loss_fn = nn.CrossEntropyLoss()
    steps = epochs * len(train_loader)
    send(type='start', epochs=epochs, steps=steps, train=len(train_set), test=len(test_set),
         parameters=sum(p.numel() for p in net.parameters()), model=str(net))
    start = time.perf_counter()
    step = 0
    accuracy = 0.0
    for epoch in range(1, epochs + 1):
        net.train()
        running = window = 0.0
        seen = window_n = 0
        for images, labels in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(net(images), labels)
            loss.backward()
            optimizer.step()
            scheduler.step()
            value = loss.item()
            running += value * labels.numel()
            seen += labels.numel()
            window += value
            window_n += 1
            step += 1
            if step % every == 0 or step == steps:
                send(type='progress', epoch=epoch, step=step, steps=steps, loss=window / window_n,
                     seconds=time.perf_counter() - start)
                window = 0.0
                window_n = 0
        accuracy = evaluate(net, test_loader)
        send(type='epoch', epoch=epoch, step=step, loss=running / seen, accuracy=accuracy,
             seconds=time.perf_counter() - start)
    model = net
    model.eval()
    send(type='done', accuracy=accuracy, seconds=time.perf_counter() - start)
    return accuracy


def predict(pixels):
    """Class probabilities for one 8x8 image given as 64 numbers on the data set's 0..16 scale."""
    image = np.asarray(list(pixels), dtype=np.float32).reshape(1, 1, 8, 8) / 16.0
    with torch.no_grad():
        probabilities = nn.functional.softmax(model(torch.from_numpy(image)), dim=1)[0]
    return json.dumps([round(float(p), 6) for p in probabilities.tolist()])
