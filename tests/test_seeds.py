"""The code of the seed notes (../shared/seeds) prints what PyTorch prints."""
import pytest

from oracle import printed, requires_torch, check

pytestmark = requires_torch


def _autograd_tutorial(torch):
    x = torch.ones(2, 2, requires_grad=True)
    print(x)
    y = x + 2
    print(y)
    print(y.grad_fn.name())
    z = y * y * 3
    out = z.mean()
    print(z, out)
    out.backward()
    print(x.grad)
    a = torch.randn(2, 2)
    a = ((a * 3) / (a - 1))
    print(a.requires_grad)
    a.requires_grad_(True)
    print(a.requires_grad)
    b = (a * a).sum()
    print(b.grad_fn.name())


def _w_squared(torch):
    w = torch.tensor(3.0, requires_grad=True)
    y = w ** 2
    z = 10 * y + 25
    z.backward()
    print(w.grad, z)


def _view_reshape(torch):
    a = torch.tensor([1, 2, 3, 4, 5, 6])
    b = a.view(2, 3)
    b[0][0] = 10
    print(a)
    a = torch.tensor([1, 2, 3, 4, 5, 6])
    b = a.reshape(2, 3)
    b[0][0] = 10
    print(a)
    a = torch.tensor([[1, 2], [3, 4], [5, 6]])
    b = a.t()
    try:
        b.view(6)
    except RuntimeError as error:
        print('RuntimeError', error)
    b = b.reshape(6)
    b[0] = 10
    print(a, b)


def _tensor_ops(torch):
    t = torch.Tensor([[1, 3], [2, 0]])
    print(torch.sum(t, dim=0), torch.sum(t, dim=1), torch.mean(t, dim=1))
    print(torch.argmax(t, dim=0))
    print(torch.clamp(t, min=2, max=10))
    print(torch.any(t), torch.all(t))
    t = torch.arange(1, 11)
    print(t[[0, 2]], t[(t > 2) & (t < 8)], t[t.remainder(2) == 0])
    print(torch.where(t > 5, t * 2, 0))


def _creation(torch):
    import numpy as np
    l = [[1, 2], [3, 4]]
    arr = np.array([[1, 2], [3, 4]])
    print(torch.Tensor(l), torch.Tensor(arr))
    print(torch.zeros(size=(2, 3)), torch.zeros(2, 3))
    x = torch.tensor([[1, 2], [3, 4]])
    print(torch.zeros_like(x))
    a = torch.full(size=(2, 2), fill_value=5, dtype=torch.float64)
    print(a, torch.full_like(a, fill_value=10))
    print(torch.arange(5), torch.arange(1, 4), torch.arange(0, 2.5, 0.5))
    print(torch.linspace(3, 10, 5))
    torch.manual_seed(0)
    print(torch.rand(2, 3), torch.randn(2, 3), torch.randint(3, 10, (2, 2)))
    n_array = np.arange(10).reshape(2, 5)
    t_array = torch.FloatTensor(n_array)
    print(t_array)
    print('n_dim :', t_array.ndim, 'shape: ', t_array.shape)


def _joining(torch):
    x = torch.ones(size=(2, 2))
    y = torch.zeros(size=(2, 2))
    print(torch.cat(tensors=(x, y), dim=0))
    print(torch.cat(tensors=(x, y), dim=1))
    a = torch.ones((3, 4))
    print(torch.stack([a, a, a, a, a], dim=0).shape, torch.stack([a, a, a, a, a], dim=2).shape)
    torch.manual_seed(1)
    x = torch.randn(5, 16)
    for batch in torch.split(x, 3, dim=1):
        print(batch.shape)
    for batch in torch.split(x, [1, 3, 5, 7], dim=1):
        print(batch.shape)


def _types_and_indexing(torch):
    x = torch.ones(2, 3)
    print(x.dtype, x.type(torch.int32).dtype, x.float().dtype)
    x = torch.IntTensor([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]])
    indices = torch.tensor([0, 2])
    print(torch.index_select(x, dim=0, index=indices))
    print(torch.index_select(x, dim=1, index=indices))
    x = torch.arange(8.)
    y = torch.reshape(x, (1, 8))
    z = torch.reshape(y, (-1, 4))
    print(x.shape, y.shape, z.shape)
    torch.manual_seed(2)
    x = torch.randn(2, 1, 4)
    print(torch.squeeze(x, dim=0).shape, torch.squeeze(x, dim=1).shape)
    print([torch.unsqueeze(x, dim=d).shape for d in range(4)])
    print(torch.transpose(torch.randn(2, 3, 4), 0, 2).shape)


def _arithmetic(torch):
    a = torch.tensor([[1, 2], [3, 4]])
    b = torch.tensor([[5, 6], [7, 8]])
    print(a + b)
    print(a - b)
    print(a * b)
    print(a / b)
    A = torch.tensor([[1., 2.], [3., 4.]])
    B = torch.tensor([[2., 3.], [4., 5.]])
    print(A.matmul(B), torch.matmul(A, B), A.mm(B), torch.mm(A, B), A @ B)
    print(A.mul(B), torch.mul(A, B), A * B)
    vec_a, vec_b = torch.ravel(A), torch.ravel(B)
    print(vec_a.dot(vec_b), torch.dot(vec_a, vec_b))
    t1 = torch.rand((32, 10, 20))
    t2 = torch.rand((32, 20, 30))
    print(torch.bmm(t1, t2).shape)


def _device_selection(torch):
    device = 'cpu'
    if torch.cuda.is_available():
        device = 'cuda:0'
    elif torch.backends.mps.is_available():
        device = 'mps'
    print(device, torch.cpu.is_available())
    x = torch.Tensor([[1, 2], [3, 4]])
    z = x.to(device)
    print(x.device, z.device, z is x)
    print(x.to(torch.float32), x.to(device, dtype=torch.float32))
    torch.manual_seed(3)
    tensor = torch.rand(2, 2)
    print(tensor)
    print(f'shape: {tensor.shape}')
    print(f'type: {tensor.dtype}')
    print(f'device: {tensor.device}')


@pytest.mark.parametrize('snippet', [
    _autograd_tutorial, _w_squared, _view_reshape, _tensor_ops, _creation, _joining,
    _types_and_indexing, _arithmetic, _device_selection])
def test_seed_prints_what_pytorch_prints(snippet):
    ours, theirs = printed(snippet)
    assert ours == theirs


def test_sort_named_tuple_prints_like_pytorch():
    check(lambda torch: torch.sort(torch.Tensor([[1, 3], [2, 0]]), dim=0, descending=False))


def test_unique():
    check(lambda torch: torch.tensor([0, 0, 1, 1, 1, 2]).unique())
