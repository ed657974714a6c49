"""Devices: device objects, transfers, mixing errors, module moves, printing, the cuda API —
against PyTorch's CPU build where it can answer, and on the simulated cuda device."""
import numpy as np
import pytest

import ember
from ember.testing import simulated_cuda
from oracle import check, printed, requires_torch


@pytest.fixture
def cuda():
    with simulated_cuda(device_count=2):
        yield


# ---------------------------------------------------------------------------------------
# without cuda: the same answers as PyTorch's CPU build
# ---------------------------------------------------------------------------------------
def _device_objects(torch):
    d = torch.device
    return (repr(d('cpu')), repr(d('cuda')), repr(d('cuda:1')), repr(d('cuda', 1)),
            str(d('cuda:1')), d('cuda:0') == d('cuda', 0), d('cuda') == d('cuda:0'),
            hash(d('cuda:1')) == hash(d('cuda', 1)), d('cpu').type, d('cuda:3').index,
            d(d('cuda:2')) == d('cuda:2'), d('cuda:1') == 'cuda:1', repr(d('mps')))


def _bad_device_string(torch):
    torch.device('gpu')


def _no_cuda_answers(torch):
    return (torch.cuda.is_available(), torch.cuda.device_count(),
            torch.cuda.memory_allocated(), torch.cuda.max_memory_allocated(),
            torch.cuda.memory_reserved(), torch.cuda.empty_cache(),
            torch.backends.mps.is_available(), torch.cpu.is_available(),
            torch.ones(2).is_cuda, torch.ones(2).get_device(), torch.ones(2).is_pinned())


def _cuda_unavailable(torch):
    torch.ones(2).cuda()


def _cuda_factory_unavailable(torch):
    torch.zeros(2, device='cuda')


def _current_device_unavailable(torch):
    torch.cuda.current_device()


def _to_identity(torch):
    x = torch.ones(2, 3)
    return (x.to('cpu') is x, x.to(torch.float32) is x, x.to(x) is x, x.cpu() is x,
            x.to('cpu', copy=True) is x, x.to(torch.float64) is x,
            x.to(device='cpu', dtype=torch.float32) is x)


@requires_torch
@pytest.mark.parametrize('snippet', [_device_objects, _bad_device_string, _no_cuda_answers,
                                     _cuda_unavailable, _cuda_factory_unavailable,
                                     _current_device_unavailable, _to_identity],
                         ids=lambda f: f.__name__.strip('_'))
def test_devices_match_pytorch_cpu_build(snippet):
    check(snippet)


@requires_torch
def test_seed_device_selection_runs_on_cpu():
    def snippet(torch):
        device = 'cuda' if torch.cuda.is_available() else 'mps' \
            if torch.backends.mps.is_available() else 'cpu'
        x = torch.Tensor([[1, 2], [3, 4]])
        z = x.to(device)
        print(device, x.device, z.device, x.to(device, dtype=torch.float32))
    ours, theirs = printed(snippet)
    assert ours == theirs


# ---------------------------------------------------------------------------------------
# on the simulated cuda device
# ---------------------------------------------------------------------------------------
def test_seed_device_examples_choose_cuda(cuda):
    torch = ember
    device = 'cpu'
    if torch.cuda.is_available():
        device = 'cuda:0'
    elif torch.backends.mps.is_available():
        device = 'mps'
    assert device == 'cuda:0'
    x = torch.Tensor([[1, 2], [3, 4]])
    z = x.to(device)
    assert str(x.device) == 'cpu' and str(z.device) == 'cuda:0'
    assert repr(z.device) == "device(type='cuda', index=0)"
    a = torch.tensor([[1.0, 1.], [2., 2.]]).to('cuda')
    b = torch.tensor([[5., 6.], [7., 8.]])
    with pytest.raises(RuntimeError, match='Expected all tensors to be on the same device'):
        torch.matmul(a, b)


def test_transfers_copy_and_keep_values(cuda):
    x = ember.arange(6.0).reshape(2, 3)
    z = x.to('cuda')
    assert z is not x and z.device == ember.device('cuda:0') and z.is_cuda
    z[0, 0] = 100
    assert x[0, 0].item() == 0.0  # a real copy, not shared memory
    assert z.to('cuda') is z and z.cuda() is z and z.to('cuda:0') is z
    assert z.to('cuda:1').device.index == 1
    back = z.cpu()
    assert back.device.type == 'cpu' and back.tolist() == [[100.0, 1, 2], [3, 4, 5]]
    assert z.get_device() == 0 and x.get_device() == -1
    assert repr(z) == ("tensor([[100.,   1.,   2.],\n        [  3.,   4.,   5.]], "
                       "device='cuda:0')")
    assert z.to(ember.float64).dtype == ember.float64 and z.to(ember.float64).is_cuda
    assert z.cuda(1).device == ember.device('cuda:1')


def test_mixing_devices_raises_but_cpu_scalars_mix(cuda):
    a = ember.ones(3, device='cuda')
    b = ember.ones(3)
    for op in (lambda: a + b, lambda: b * a, lambda: ember.cat([a, b]),
               lambda: a @ b, lambda: ember.where(a > 0, a, b)):
        with pytest.raises(RuntimeError, match='cuda:0 and cpu'):
            op()
    c = a + ember.tensor(2.0)
    assert c.is_cuda and c.tolist() == [3.0, 3.0, 3.0]
    with pytest.raises(RuntimeError, match='cuda:1 and cuda:0'):
        a + ember.ones(3, device='cuda:1')


def test_numpy_of_cuda_tensor_raises(cuda):
    with pytest.raises(TypeError, match=r'Use Tensor.cpu\(\) to copy'):
        ember.ones(2, device='cuda').numpy()


def test_autograd_flows_through_device_moves(cuda):
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x.to('cuda')
    assert y.grad_fn.name() == 'ToCopyBackward0'
    (y * y).sum().backward()
    assert x.grad.device.type == 'cpu' and x.grad.tolist() == [2.0, 4.0]


def test_module_to_cuda_keeps_parameter_identity_and_trains(cuda):
    ember.manual_seed(0)
    model = ember.nn.Linear(3, 2)
    weight = model.weight
    opt_params = list(model.parameters())
    model.to('cuda')
    assert model.weight is weight and opt_params[0].is_cuda
    x = ember.randn(4, 3, device='cuda')
    loss = (model(x) ** 2).mean()
    loss.backward()
    assert model.weight.grad.is_cuda
    with ember.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad
    assert model.weight.is_cuda
    model.cpu()
    assert model.weight is weight and not model.weight.is_cuda


def test_factories_take_device(cuda):
    for t in (ember.zeros(2, device='cuda'), ember.ones(2, device='cuda:1'),
              ember.full((2,), 3.0, device='cuda'), ember.arange(3, device='cuda'),
              ember.tensor([1, 2], device='cuda'), ember.randn(2, device='cuda'),
              ember.empty(2, device='cuda'), ember.eye(2, device='cuda'),
              ember.zeros_like(ember.ones(2, device='cuda'))):
        assert t.is_cuda, t
    with ember.device('cuda:1'):
        assert ember.zeros(2).device == ember.device('cuda:1')
    assert ember.zeros(2).device.type == 'cpu'
    ember.set_default_device('cuda')
    try:
        assert ember.ones(1).is_cuda
    finally:
        ember.set_default_device(None)


def test_cuda_module_api(cuda):
    c = ember.cuda
    assert c.is_available() and c.device_count() == 2 and c.current_device() == 0
    c.set_device(1)
    try:
        assert ember.zeros(1, device='cuda').device.index == 1
    finally:
        c.set_device(0)
    with c.device(1):
        assert c.current_device() == 1
    assert c.current_device() == 0
    c.synchronize()
    c.manual_seed(0)
    c.manual_seed_all(0)
    assert c.memory_allocated() == 0 and isinstance(c.get_device_name(), str)
    start, end = c.Event(enable_timing=True), c.Event(enable_timing=True)
    start.record()
    end.record()
    assert end.elapsed_time(start) <= 0 <= start.elapsed_time(end)
    with c.stream(c.Stream()):
        pass
    with pytest.raises(RuntimeError):
        c.set_device(5)


def test_simulated_cuda_is_off_by_default():
    assert not ember.cuda.is_available()
    with simulated_cuda():
        assert ember.cuda.is_available()
    assert not ember.cuda.is_available()


def test_training_step_on_simulated_cuda_matches_cpu(cuda):
    def step(device):
        ember.manual_seed(1)
        model = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.Linear(8, 1)).to(device)
        x = ember.randn(5, 4).to(device)
        loss = model(x).pow(2).mean()
        loss.backward()
        return loss.item(), model[0].weight.grad.cpu().numpy()
    cpu_loss, cpu_grad = step('cpu')
    cuda_loss, cuda_grad = step('cuda')
    assert cpu_loss == cuda_loss
    np.testing.assert_array_equal(cpu_grad, cuda_grad)


def test_seeded_draws_on_cuda_are_reproducible(cuda):
    ember.manual_seed(3)
    first = ember.randn(5, device='cuda')
    ember.cuda.manual_seed(3)
    ember.manual_seed(3)
    second = ember.randn(5, device='cuda')
    assert first.is_cuda and first.tolist() == second.tolist()


def test_checkpoint_map_location_moves_between_devices(cuda, tmp_path):
    path = str(tmp_path / 'w.pt')
    ember.save({'w': ember.arange(3.0, device='cuda')}, path)
    to_cpu = ember.load(path, map_location='cpu')['w']
    assert to_cpu.device.type == 'cpu' and to_cpu.tolist() == [0.0, 1.0, 2.0]
    to_1 = ember.load(path, map_location={'cuda:0': 'cuda:1'})['w']
    assert to_1.device == ember.device('cuda:1')
    assert ember.load(path)['w'].is_cuda


def _real_gpu():
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # noqa: BLE001 - no CuPy, driver or device
        return False


@pytest.mark.skipif(not _real_gpu(), reason='needs CuPy and an NVIDIA GPU')
def test_cupy_backend_end_to_end():
    import cupy
    x = ember.arange(6.0).reshape(2, 3).cuda()
    assert isinstance(x._data, cupy.ndarray) and x.is_cuda
    w = ember.ones(3, 2, device='cuda', requires_grad=True)
    loss = (x @ w).relu().sum()
    loss.backward()
    assert w.grad.is_cuda
    np.testing.assert_allclose(w.grad.cpu().numpy(), np.array([[3.0] * 2, [5.0] * 2,
                                                               [7.0] * 2]))
    model = ember.nn.Linear(3, 2).cuda()
    assert model(x).device.type == 'cuda'
