"""The main job (a placeholder until the training issue lands): fit a small linear model
with ember's autograd, by hand-written gradient descent, and print the loss falling."""
import argparse

import ember as torch


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--steps', type=int, default=200)
    parser.add_argument('--lr', type=float, default=0.1)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    true_w = torch.tensor([[2.0], [-3.0], [0.5]])
    x = torch.randn(256, 3)
    y = x @ true_w + 1.0 + 0.01 * torch.randn(256, 1)
    w = torch.zeros(3, 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    for step in range(args.steps):
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= args.lr * w.grad
            b -= args.lr * b.grad
        w.grad = None
        b.grad = None
        if step % 50 == 0 or step == args.steps - 1:
            print(f'step {step:4d}  loss {loss.item():.6f}')
    print('learned w', w.detach().flatten(), 'b', b.detach())


if __name__ == '__main__':
    main()
