"""The Tensor object against PyTorch: metadata (strides, offsets, storage, sizes), the
Size type, autograd flags, NumPy interop and the Python protocol (len, iter, bool, int,
float, index, item, tolist), with the errors PyTorch raises."""
import copy
import pickle

import numpy as np
import pytest

import ember
from oracle import check, requires_torch


def base(torch, *shape, dtype=None):
    n = 1
    for s in shape:
        n *= s
    return torch.arange(n, dtype=dtype or torch.float32).reshape(shape)


def meta(t):
    """Every piece of layout metadata PyTorch exposes, as plain values."""
    return (tuple(t.shape), t.stride(), t.storage_offset(), t.is_contiguous(), t.numel(),
            t.dim(), t.ndim, t.element_size(), t.itemsize, t.nbytes,
            t.untyped_storage().nbytes(),
            # an empty tensor's data_ptr() is 0: compare offsets only for the others
            t.data_ptr() - t.untyped_storage().data_ptr() if t.numel() else t.data_ptr(),
            t.is_leaf, t.requires_grad, t.is_floating_point(), t.is_complex(),
            t.is_signed(), str(t.dtype), str(t.device), repr(t.device), t.is_cuda,
            t.get_device(), t.layout == t.layout, t.is_sparse)


DTYPES = ['bool', 'uint8', 'int8', 'int16', 'int32', 'int64', 'float16', 'bfloat16',
          'float32', 'float64', 'complex64', 'complex128']

META_CASES = [
    ('contig', lambda torch: base(torch, 2, 3)),
    ('0d', lambda torch: torch.tensor(3.5)),
    ('empty', lambda torch: torch.zeros(0, 3)),
    ('empty_slice', lambda torch: base(torch, 3, 4)[1:1]),
    ('transposed', lambda torch: base(torch, 2, 3).t()),
    ('sliced', lambda torch: base(torch, 4, 6)[1:, ::2]),
    ('sliced_1d', lambda torch: base(torch, 10)[3:8:2]),
    ('selected_0d', lambda torch: base(torch, 3)[2]),
    ('expanded', lambda torch: base(torch, 3, 1).expand(3, 4)),
    ('unsqueezed', lambda torch: base(torch, 2, 3).t().unsqueeze(1)),
    ('size1_dims', lambda torch: base(torch, 1, 3, 1)),
    ('permuted', lambda torch: base(torch, 2, 3, 4).permute(2, 0, 1)),
    ('as_strided', lambda torch: base(torch, 9).as_strided((2, 2), (3, 1), 4)),
    ('view_dtype', lambda torch: base(torch, 2, 3).view(torch.int16)),
    ('contiguous_copy', lambda torch: base(torch, 2, 3).t().contiguous()),
    ('requires_grad', lambda torch: base(torch, 3).requires_grad_()),
    ('non_leaf', lambda torch: base(torch, 3).requires_grad_() * 2),
    ('detached', lambda torch: (base(torch, 3).requires_grad_() * 2).detach()),
    ('from_numpy_strided', lambda torch: torch.from_numpy(
        np.arange(12, dtype=np.float32).reshape(3, 4)[:, 1::2])),
    ('from_numpy_sliced', lambda torch: torch.from_numpy(np.arange(12.)[4:])),
] + [(f'dtype_{d}', (lambda d: lambda torch: torch.ones(2, 2, dtype=getattr(torch, d)))(d))
     for d in DTYPES]


@requires_torch
@pytest.mark.parametrize('name,fn', META_CASES, ids=[c[0] for c in META_CASES])
def test_metadata_oracle(name, fn):
    check(lambda torch: meta(fn(torch)))
    check(fn)


CORE_CASES = [
    # sizes and strides
    ('size', lambda torch: base(torch, 2, 3, 4).size()),
    ('size_dim', lambda torch: base(torch, 2, 3, 4).size(1)),
    ('size_neg', lambda torch: base(torch, 2, 3, 4).size(-1)),
    ('size_oob', lambda torch: base(torch, 2, 3).size(2)),
    ('size_0d', lambda torch: torch.tensor(1.).size()),
    ('size_0d_dim', lambda torch: torch.tensor(1.).size(0)),
    ('shape', lambda torch: base(torch, 2, 3).shape),
    ('stride_dim', lambda torch: base(torch, 2, 3).t().stride(0)),
    ('stride_neg', lambda torch: base(torch, 2, 3).stride(-2)),
    ('stride_oob', lambda torch: base(torch, 2, 3).stride(2)),
    ('stride_0d', lambda torch: torch.tensor(1.).stride()),
    ('stride_0d_dim', lambda torch: torch.tensor(1.).stride(0)),
    ('nelement', lambda torch: base(torch, 2, 3).nelement()),
    ('ndimension', lambda torch: base(torch, 2, 3).ndimension()),
    ('numel_fn', lambda torch: torch.numel(base(torch, 2, 3))),
    # Size
    ('Size_repr', lambda torch: repr(torch.Size([2, 3]))),
    ('Size_str', lambda torch: str(torch.Size([2, 3]))),
    ('Size_empty', lambda torch: repr(torch.Size([]))),
    ('Size_one', lambda torch: repr(torch.Size([4]))),
    ('Size_slice', lambda torch: base(torch, 2, 3, 4).shape[1:]),
    ('Size_slice_type', lambda torch: type(base(torch, 2, 3, 4).shape[1:]).__name__),
    ('Size_index', lambda torch: base(torch, 2, 3, 4).shape[-1]),
    ('Size_numel', lambda torch: torch.Size([2, 3, 4]).numel()),
    ('Size_numel_empty', lambda torch: torch.Size([]).numel()),
    ('Size_eq_tuple', lambda torch: torch.Size([2, 3]) == (2, 3)),
    ('Size_eq_list', lambda torch: torch.Size([2, 3]) == [2, 3]),
    ('Size_add', lambda torch: torch.Size([2]) + torch.Size([3])),
    ('Size_add_tuple', lambda torch: torch.Size([2]) + (3,)),
    ('Size_radd_tuple', lambda torch: (3,) + torch.Size([2])),
    ('Size_mul', lambda torch: torch.Size([2]) * 2),
    ('Size_mul_type', lambda torch: type(torch.Size([2]) * 2).__name__),
    ('Size_is_tuple', lambda torch: isinstance(torch.Size([2]), tuple)),
    ('Size_from_tuple', lambda torch: torch.Size((1, 2))),
    ('Size_bad', lambda torch: torch.Size([1.5])),
    ('Size_bad_str', lambda torch: torch.Size(['a'])),
    ('Size_from_tensor_elems', lambda torch: torch.Size([torch.tensor(2), 3])),
    ('Size_hash', lambda torch: hash(torch.Size([2, 3])) == hash((2, 3))),
    ('Size_pickle', lambda torch: pickle.loads(pickle.dumps(torch.Size([2, 3])))),
    ('Size_unpack', lambda torch: (lambda a, b: a * b)(*base(torch, 2, 3).shape)),
    ('Size_count', lambda torch: torch.Size([2, 2, 3]).count(2)),
    ('Size_index_method', lambda torch: torch.Size([2, 3]).index(3)),
    # autograd flags
    ('requires_grad_default', lambda torch: base(torch, 2).requires_grad),
    ('requires_grad_set', lambda torch: (lambda x: (setattr(x, 'requires_grad', True), x)[1])(
        base(torch, 2))),
    ('requires_grad_int', lambda torch: base(torch, 2, dtype=torch.int64).requires_grad_()),
    ('requires_grad_false_nonleaf', lambda torch: (base(torch, 2).requires_grad_() * 2)
        .requires_grad_(False)),
    ('requires_grad_true_nonleaf', lambda torch: (base(torch, 2).requires_grad_() * 2)
        .requires_grad_()),
    ('is_leaf_view', lambda torch: base(torch, 2, 3).requires_grad_()[0].is_leaf),
    ('is_leaf_no_grad_op', lambda torch: (base(torch, 2) * 2).is_leaf),
    ('grad_none', lambda torch: base(torch, 2).requires_grad_().grad),
    ('grad_fn_none', lambda torch: base(torch, 2).grad_fn),
    ('requires_grad_complex', lambda torch: torch.ones(2, dtype=torch.complex64)
        .requires_grad_()),
    ('requires_grad_half', lambda torch: torch.ones(2, dtype=torch.float16).requires_grad_()),
    ('requires_grad_bool', lambda torch: torch.ones(2, dtype=torch.bool).requires_grad_()),
    # Python protocol
    ('len', lambda torch: len(base(torch, 3, 2))),
    ('len_0d', lambda torch: len(torch.tensor(1.))),
    ('len_empty', lambda torch: len(torch.zeros(0, 2))),
    ('iter', lambda torch: list(base(torch, 3, 2))),
    ('iter_shares', lambda torch: (lambda b: (b,) + tuple(iter(b)))(base(torch, 3, 2))),
    ('iter_1d', lambda torch: [x for x in base(torch, 3)]),
    ('iter_0d', lambda torch: list(torch.tensor(1.))),
    ('bool_true', lambda torch: bool(torch.tensor([2.]))),
    ('bool_false', lambda torch: bool(torch.tensor(0))),
    ('bool_nan', lambda torch: bool(torch.tensor(float('nan')))),
    ('bool_many', lambda torch: bool(base(torch, 2))),
    ('bool_empty', lambda torch: bool(torch.zeros(0))),
    ('bool_complex', lambda torch: bool(torch.tensor(1j))),
    ('int_float', lambda torch: int(torch.tensor(2.7))),
    ('int_neg_float', lambda torch: int(torch.tensor(-2.7))),
    ('int_bool', lambda torch: int(torch.tensor(True))),
    ('int_nested', lambda torch: int(torch.tensor([[7]]))),
    ('int_many', lambda torch: int(base(torch, 2))),
    ('int_nan', lambda torch: int(torch.tensor(float('nan')))),
    ('int_inf', lambda torch: int(torch.tensor(float('inf')))),
    ('float_int', lambda torch: float(torch.tensor(3))),
    ('float_bf16', lambda torch: float(torch.tensor(1.5, dtype=torch.bfloat16))),
    ('float_many', lambda torch: float(base(torch, 2))),
    ('float_empty', lambda torch: float(torch.zeros(0))),
    ('float_complex', lambda torch: float(torch.tensor(1 + 2j))),
    ('complex_of_float', lambda torch: complex(torch.tensor(1.5))),
    ('index_int', lambda torch: [10, 20, 30][torch.tensor(1)]),
    ('index_1elem', lambda torch: [10, 20, 30][torch.tensor([2])]),
    ('index_bool', lambda torch: [10, 20, 30][torch.tensor(True)]),
    ('index_float', lambda torch: [10, 20, 30][torch.tensor(1.)]),
    ('index_many', lambda torch: [10, 20, 30][torch.tensor([0, 1])]),
    ('index_range', lambda torch: list(range(torch.tensor(3)))),
    ('index_hex', lambda torch: hex(torch.tensor(255))),
    ('item_float', lambda torch: torch.tensor(2.5).item()),
    ('item_f16', lambda torch: torch.tensor(2.5, dtype=torch.float16).item()),
    ('item_bf16', lambda torch: torch.tensor(2.5, dtype=torch.bfloat16).item()),
    ('item_int', lambda torch: torch.tensor([[4]]).item()),
    ('item_int8', lambda torch: torch.tensor(-4, dtype=torch.int8).item()),
    ('item_bool', lambda torch: torch.tensor(True).item()),
    ('item_complex', lambda torch: torch.tensor(1 + 2j).item()),
    ('item_many', lambda torch: base(torch, 2).item()),
    ('item_empty', lambda torch: torch.zeros(0).item()),
    ('item_view', lambda torch: base(torch, 3, 4).t()[2, 1].item()),
    ('tolist_2d', lambda torch: base(torch, 2, 3).tolist()),
    ('tolist_nc', lambda torch: base(torch, 2, 3).t().tolist()),
    ('tolist_0d', lambda torch: torch.tensor(3).tolist()),
    ('tolist_empty', lambda torch: torch.zeros(2, 0).tolist()),
    ('tolist_bool', lambda torch: torch.tensor([True, False]).tolist()),
    ('tolist_int32', lambda torch: torch.tensor([1, 2], dtype=torch.int32).tolist()),
    ('tolist_bf16', lambda torch: torch.tensor([1.5, 2.], dtype=torch.bfloat16).tolist()),
    ('tolist_f16', lambda torch: torch.tensor([1.1, 2.], dtype=torch.float16).tolist()),
    ('tolist_complex', lambda torch: torch.tensor([1 + 2j]).tolist()),
    ('format_0d', lambda torch: f'{torch.tensor(2.5):.3f}'),
    ('format_int', lambda torch: f'{torch.tensor(7):>4}'),
    ('format_empty_spec', lambda torch: f'{base(torch, 2)}'),
    ('format_1d_spec', lambda torch: f'{base(torch, 2):.2f}'),
    ('hash_identity', lambda torch: (lambda x: hash(x) == hash(x))(base(torch, 2))),
    ('in_dict', lambda torch: (lambda x: {x: 1}[x])(base(torch, 2))),
    ('contains', lambda torch: 2. in base(torch, 3)),
    ('contains_not', lambda torch: 7 in base(torch, 3)),
    # numpy interop
    ('numpy_dtype', lambda torch: str(base(torch, 2, dtype=torch.float64).numpy().dtype)),
    ('numpy_strides', lambda torch: base(torch, 2, 3).t().numpy().strides),
    ('numpy_shares', lambda torch: (lambda x: (x.numpy().__setitem__(0, 9.), x)[1])(
        base(torch, 3))),
    ('numpy_view_shares', lambda torch: (lambda x: (x[1:].numpy().__setitem__(0, 9.), x)[1])(
        base(torch, 3))),
    ('numpy_requires_grad', lambda torch: base(torch, 3).requires_grad_().numpy()),
    ('numpy_force', lambda torch: base(torch, 3).requires_grad_().numpy(force=True).tolist()),
    ('numpy_detach', lambda torch: base(torch, 3).requires_grad_().detach().numpy().tolist()),
    ('numpy_0d', lambda torch: base(torch, 3)[1].numpy().shape),
    ('numpy_bool', lambda torch: str(torch.tensor([True]).numpy().dtype)),
    ('array_protocol', lambda torch: np.asarray(base(torch, 2, 2)).tolist()),
    ('array_dtype', lambda torch: str(np.asarray(base(torch, 2), dtype=np.int32).dtype)),
    ('array_shares', lambda torch: (lambda x: (np.asarray(x).__setitem__(0, 5.), x)[1])(
        base(torch, 2))),
    ('array_grad', lambda torch: np.asarray(base(torch, 2).requires_grad_()).tolist()),
    ('array_np_sum', lambda torch: float(np.sum(base(torch, 4)))),
    ('array_np_add', lambda torch: (np.ones(2, dtype=np.float32) + np.asarray(base(torch, 2)))
        .tolist()),
    ('from_numpy_shares', lambda torch: (lambda a: (lambda t: (a.__setitem__(0, 7), t)[1])(
        torch.from_numpy(a)))(np.arange(3.))),
    ('from_numpy_writes_back', lambda torch: (lambda a: (torch.from_numpy(a).mul_(2),
                                                         a.tolist())[1])(np.arange(3.))),
    ('from_numpy_2d_f', lambda torch: torch.from_numpy(np.asfortranarray(
        np.arange(6.).reshape(2, 3)))),
    ('clone_independent', lambda torch: (lambda x: (lambda c: (c.add_(1), x)[1])(x.clone()))(
        base(torch, 3))),
    ('clone_grad', lambda torch: base(torch, 3).requires_grad_().clone()),
    # deepcopy / pickle
    ('deepcopy', lambda torch: copy.deepcopy(base(torch, 2, 3).t())),
    ('deepcopy_grad', lambda torch: copy.deepcopy(base(torch, 2).requires_grad_())),
    ('deepcopy_nonleaf', lambda torch: copy.deepcopy(base(torch, 2).requires_grad_() * 2)),
    # data / data_ptr
    ('data_shares', lambda torch: (lambda x: (x.data.add_(1), x)[1])(
        base(torch, 3).requires_grad_())),
    ('data_ptr_slice', lambda torch: (lambda x: x[1:].data_ptr() - x.data_ptr())(
        base(torch, 4, dtype=torch.float64))),
    ('data_ptr_t', lambda torch: (lambda x: x.t().data_ptr() == x.data_ptr())(
        base(torch, 2, 2))),
    ('storage_shared', lambda torch: (lambda x: x.t().untyped_storage().data_ptr() ==
                                      x[1:].untyped_storage().data_ptr())(base(torch, 2, 2))),
    ('storage_nbytes_view', lambda torch: base(torch, 4, 4)[1:, 1:].untyped_storage().nbytes()),
    ('storage_len', lambda torch: len(base(torch, 3, dtype=torch.int16).untyped_storage())),
    ('storage_size', lambda torch: base(torch, 3, dtype=torch.int16).untyped_storage().size()),
    ('storage_element_size', lambda torch: base(torch, 3).untyped_storage().element_size()),
    ('storage_device', lambda torch: base(torch, 3).untyped_storage().device),
    ('is_contiguous_empty', lambda torch: base(torch, 3, 4)[:, :0].t().is_contiguous()),
    ('is_contiguous_size1', lambda torch: base(torch, 4, 1).t().is_contiguous()),
    ('contiguous_keeps_self', lambda torch: (lambda x: x.contiguous() is x)(base(torch, 2))),
    ('contiguous_is_copy', lambda torch: (lambda x: x.contiguous() is x)(base(torch, 2, 2).t())),
    ('version', lambda torch: (lambda x: (x._version, x.add_(1)._version, x[0].add_(1) is None,
                                          x._version))(base(torch, 2))),
    ('is_tensor', lambda torch: (torch.is_tensor(base(torch, 2)), torch.is_tensor([1]))),
    ('is_floating_point_fn', lambda torch: torch.is_floating_point(base(torch, 2))),
    ('is_nonzero', lambda torch: torch.is_nonzero(torch.tensor([1.]))),
    ('is_nonzero_many', lambda torch: torch.is_nonzero(torch.tensor([1., 2.]))),
    ('is_nonzero_empty', lambda torch: torch.is_nonzero(torch.tensor([]))),
    ('isinstance_legacy', lambda torch: (isinstance(base(torch, 2), torch.FloatTensor),
                                         isinstance(base(torch, 2), torch.LongTensor),
                                         isinstance(base(torch, 2), torch.Tensor))),
    ('class_name', lambda torch: type(base(torch, 2)).__name__),
    # devices
    ('device_cpu', lambda torch: torch.device('cpu')),
    ('device_cuda_index', lambda torch: (torch.device('cuda:1'), str(torch.device('cuda:1')),
                                         torch.device('cuda:1').index)),
    ('device_type_index', lambda torch: torch.device('cuda', 1)),
    ('device_cpu_index', lambda torch: torch.device('cpu:0')),
    ('device_of_device', lambda torch: torch.device(torch.device('cpu'))),
    ('device_meta', lambda torch: torch.device('meta')),
    ('device_eq', lambda torch: (torch.device('cpu') == torch.device('cpu'),
                                 torch.device('cuda') == torch.device('cuda:0'),
                                 torch.device('cpu') == 'cpu')),
    ('device_hash', lambda torch: {torch.device('cpu'): 1}[torch.device('cpu')]),
    ('device_bad_type', lambda torch: torch.device('gpu')),
    ('device_upper', lambda torch: torch.device('CPU')),
    ('device_bad_index', lambda torch: torch.device('cuda:x')),
    ('device_negative_index', lambda torch: torch.device('cuda:-1')),
    ('device_two_indices', lambda torch: torch.device('cuda:0', 1)),
    ('device_none', lambda torch: torch.device(None)),
    ('tensor_on_cpu0', lambda torch: torch.tensor([1.], device='cpu:0').device),
    ('to_cpu0', lambda torch: torch.ones(1).to('cpu:0').device),
    ('device_attr_str', lambda torch: str(torch.ones(1).device)),
]


@requires_torch
@pytest.mark.parametrize('name,fn', CORE_CASES, ids=[c[0] for c in CORE_CASES])
def test_core_oracle(name, fn):
    check(fn)


# ---------------------------------------------------------------------------------------
# Self-contained checks (no torch needed)
# ---------------------------------------------------------------------------------------
def test_size_behaves_like_torch_size():
    s = ember.zeros(2, 3, 4).shape
    assert repr(s) == 'ember.Size([2, 3, 4])' and str(s) == repr(s)
    assert isinstance(s[1:], ember.Size) and s[1:] == (3, 4)
    assert s.numel() == 24 and ember.Size([]).numel() == 1
    assert isinstance(s + (5,), ember.Size)
    with pytest.raises(TypeError):
        ember.Size([1.5])


def test_metadata_by_hand():
    x = ember.arange(24.).view(2, 3, 4)
    assert x.stride() == (12, 4, 1) and x.is_contiguous()
    p = x.permute(2, 0, 1)
    assert p.stride() == (1, 12, 4) and not p.is_contiguous()
    assert p.storage_offset() == 0 and p.data_ptr() == x.data_ptr()
    s = x[1, 1:, ::2]
    assert s.shape == (2, 2) and s.stride() == (4, 2) and s.storage_offset() == 16
    assert s.data_ptr() == x.data_ptr() + 16 * 4
    assert x.untyped_storage().nbytes() == 96 and x.nbytes == 96 and s.nbytes == 16
    assert x.element_size() == 4 and x.itemsize == 4
    assert ember.zeros(2, dtype=ember.complex128).element_size() == 16


def test_numpy_shares_and_refuses_grad():
    x = ember.zeros(3)
    a = x.numpy()
    a[1] = 5
    assert x.tolist() == [0., 5., 0.]
    x.requires_grad_()
    with pytest.raises(RuntimeError, match='detach'):
        x.numpy()
    b = np.arange(4.)
    t = ember.from_numpy(b)
    b[0] = 9
    assert t[0].item() == 9.
    assert ember.tensor(b).data_ptr() != b.__array_interface__['data'][0]


def test_python_scalars_and_errors():
    assert int(ember.tensor(2.9)) == 2 and float(ember.tensor(3)) == 3.0
    assert bool(ember.tensor([0.])) is False
    assert [1, 2, 3][ember.tensor(2)] == 3
    with pytest.raises(TypeError):
        [1, 2][ember.tensor(1.)]
    with pytest.raises(RuntimeError, match='ambiguous'):
        bool(ember.zeros(2))
    with pytest.raises(TypeError, match='0-d'):
        len(ember.tensor(1.))
    assert ember.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert type(ember.tensor(1.5, dtype=ember.bfloat16).item()) is float


def test_writes_through_views_by_hand():
    x = ember.zeros(2, 3)
    x.t()[2, 1] = 7.
    x.view(-1)[0] = 1.
    x[0].unsqueeze(0)[0, 1] = 2.
    assert x.tolist() == [[1., 2., 0.], [0., 0., 7.]]
