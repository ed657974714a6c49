"""Factory functions against PyTorch: tensor/as_tensor/from_numpy (copy or share, dtype
inference, bad data), legacy constructors, filled tensors and their ``_like`` and ``new_*``
forms, ranges (arange, linspace, logspace), eye, empty_strided, ``requires_grad=`` and
``out=``."""
import numpy as np
import pytest

import ember
from oracle import check, requires_torch


def shape_of(t):
    """Shape, dtype and strides of an uninitialised tensor (its values are arbitrary)."""
    return (tuple(t.shape), str(t.dtype), t.stride(), t.storage_offset(), t.requires_grad)


NP = np.arange(6, dtype=np.float32).reshape(2, 3)

FROM_DATA_CASES = [
    # tensor(): values and dtype inference
    ('float_scalar', lambda torch: torch.tensor(2.5)),
    ('int_scalar', lambda torch: torch.tensor(3)),
    ('bool_scalar', lambda torch: torch.tensor(True)),
    ('complex_scalar', lambda torch: torch.tensor(1 + 2j)),
    ('neg_zero', lambda torch: torch.tensor(-0.)),
    ('nested', lambda torch: torch.tensor([[1., 2.], [3., 4.]])),
    ('nested_ints', lambda torch: torch.tensor([[1, 2], [3, 4]])),
    ('mixed_int_float', lambda torch: torch.tensor([1, 2.5, 3])),
    ('mixed_bool_int', lambda torch: torch.tensor([True, 2])),
    ('mixed_bool_float', lambda torch: torch.tensor([True, 2.5])),
    ('mixed_int_complex', lambda torch: torch.tensor([1, 2j])),
    ('bools', lambda torch: torch.tensor([True, False])),
    ('tuple', lambda torch: torch.tensor((1, 2, 3))),
    ('tuple_of_lists', lambda torch: torch.tensor(([1, 2], [3, 4]))),
    ('empty_list', lambda torch: torch.tensor([])),
    ('empty_nested', lambda torch: torch.tensor([[], []])),
    ('3d', lambda torch: torch.tensor([[[1], [2]], [[3], [4]]])),
    ('big_int', lambda torch: torch.tensor([2 ** 40])),
    ('int_overflow', lambda torch: torch.tensor([2 ** 63])),
    ('neg_int_overflow', lambda torch: torch.tensor(-2 ** 64)),
    ('inf_nan', lambda torch: torch.tensor([float('inf'), float('nan'), -float('inf')])),
    ('dtype_kw', lambda torch: torch.tensor([1, 2], dtype=torch.float64)),
    ('dtype_float_to_int', lambda torch: torch.tensor([1.7, -1.7], dtype=torch.int32)),
    ('dtype_bf16', lambda torch: torch.tensor([1.1, 2.2], dtype=torch.bfloat16)),
    ('dtype_f16', lambda torch: torch.tensor([1.1, 70000.], dtype=torch.float16)),
    ('dtype_bool', lambda torch: torch.tensor([0, 2, -1], dtype=torch.bool)),
    ('dtype_uint8_wrap', lambda torch: torch.tensor([-1, 256], dtype=torch.uint8)),
    ('complex_to_float', lambda torch: torch.tensor([1j], dtype=torch.float32)),
    ('requires_grad', lambda torch: torch.tensor([1., 2.], requires_grad=True)),
    ('requires_grad_int', lambda torch: torch.tensor([1, 2], requires_grad=True)),
    ('device_kw', lambda torch: torch.tensor([1.], device='cpu')),
    ('device_obj', lambda torch: torch.tensor([1.], device=torch.device('cpu'))),
    ('list_of_0d_tensors', lambda torch: torch.tensor([torch.tensor(1.), torch.tensor(2.)])),
    ('list_of_int_tensors', lambda torch: torch.tensor([torch.tensor(1), torch.tensor(2)])),
    ('list_of_1d_tensors', lambda torch: torch.tensor([torch.tensor([1., 2.]),
                                                       torch.tensor([3., 4.])])),
    ('list_of_f64_tensors', lambda torch: torch.tensor([torch.tensor(1., dtype=torch.float64)])),
    ('list_mixed_tensor_number', lambda torch: torch.tensor([torch.tensor(1.5), 2])),
    ('from_tensor', lambda torch: (lambda x: (x, torch.tensor(x)))(torch.ones(2))),
    ('from_tensor_grad', lambda torch: torch.tensor(torch.ones(2, requires_grad=True))),
    ('numpy_scalar_f64', lambda torch: torch.tensor(np.float64(1.5))),
    ('numpy_scalar_f32', lambda torch: torch.tensor(np.float32(1.5))),
    ('numpy_scalar_i32', lambda torch: torch.tensor(np.int32(7))),
    ('numpy_scalar_bool', lambda torch: torch.tensor(np.bool_(True))),
    ('list_numpy_f32', lambda torch: torch.tensor([np.float32(1.), np.float32(2.)])),
    ('list_numpy_f64', lambda torch: torch.tensor([np.float64(1.), 2.])),
    ('list_numpy_i32', lambda torch: torch.tensor([np.int32(1), np.int32(2)])),
    ('list_numpy_arrays', lambda torch: torch.tensor([np.zeros(2), np.ones(2)])),
    ('numpy_array', lambda torch: torch.tensor(NP)),
    ('numpy_array_copies', lambda torch: (lambda a: (lambda t: (a.__setitem__(0, 9.), t)[1])(
        torch.tensor(a)))(np.arange(3.))),
    ('numpy_nc', lambda torch: torch.tensor(NP.T)),
    ('numpy_int32', lambda torch: torch.tensor(np.arange(3, dtype=np.int32))),
    ('numpy_0d', lambda torch: torch.tensor(np.array(5.))),
    ('numpy_negative_strides', lambda torch: torch.tensor(np.arange(4.)[::-1])),
    ('range_obj', lambda torch: torch.tensor(range(4))),
    # bad data
    ('ragged', lambda torch: torch.tensor([[1, 2], [3]])),
    ('ragged_deep', lambda torch: torch.tensor([[[1, 2]], [[3]]])),
    ('ragged_scalar_and_list', lambda torch: torch.tensor([1, [2]])),
    ('ragged_list_and_scalar', lambda torch: torch.tensor([[1], 2])),
    ('string', lambda torch: torch.tensor('abc')),
    ('list_of_strings', lambda torch: torch.tensor(['a', 'b'])),
    ('none', lambda torch: torch.tensor(None)),
    ('list_of_none', lambda torch: torch.tensor([None])),
    ('dict', lambda torch: torch.tensor({1: 2})),
    ('object', lambda torch: torch.tensor(object())),
    ('set', lambda torch: torch.tensor({1, 2})),
    ('bad_dtype', lambda torch: torch.tensor([1], dtype='float32')),
    ('bad_dtype_numpy', lambda torch: torch.tensor([1], dtype=np.float32)),
    ('numpy_object', lambda torch: torch.tensor(np.array([1, 'a'], dtype=object))),
    ('numpy_str', lambda torch: torch.tensor(np.array(['a']))),
    ('numpy_datetime', lambda torch: torch.from_numpy(np.array(['2020'], dtype='M8[D]'))),
    # as_tensor / asarray
    ('as_tensor_numpy_shares', lambda torch: (lambda a: (lambda t: (a.__setitem__(0, 9.), t)[1])(
        torch.as_tensor(a)))(np.arange(3.))),
    ('as_tensor_numpy_dtype_copies', lambda torch: (lambda a: (lambda t: (
        a.__setitem__(0, 9.), t)[1])(torch.as_tensor(a, dtype=torch.float32)))(np.arange(3.))),
    ('as_tensor_numpy_nc', lambda torch: torch.as_tensor(NP.T)),
    ('as_tensor_numpy_neg', lambda torch: torch.as_tensor(np.arange(4.)[::-1])),
    ('as_tensor_tensor_same', lambda torch: (lambda x: torch.as_tensor(x) is x)(torch.ones(2))),
    ('as_tensor_tensor_dtype', lambda torch: (lambda x: (x, torch.as_tensor(x, torch.int32)))(
        torch.ones(2))),
    ('as_tensor_list', lambda torch: torch.as_tensor([1, 2.])),
    ('as_tensor_scalar', lambda torch: torch.as_tensor(3)),
    ('as_tensor_grad', lambda torch: torch.as_tensor(torch.ones(2, requires_grad=True))),
    ('asarray_shares', lambda torch: (lambda a: (lambda t: (a.__setitem__(0, 9.), t)[1])(
        torch.asarray(a)))(np.arange(3.))),
    ('asarray_list', lambda torch: torch.asarray([[1, 2]])),
    # from_numpy
    ('from_numpy', lambda torch: torch.from_numpy(NP)),
    ('from_numpy_shares', lambda torch: (lambda a: (lambda t: (a.__setitem__(1, 9.), t)[1])(
        torch.from_numpy(a)))(np.zeros(3))),
    ('from_numpy_nc', lambda torch: torch.from_numpy(NP.T)),
    ('from_numpy_sliced', lambda torch: torch.from_numpy(NP[:, ::2])),
    ('from_numpy_0d', lambda torch: torch.from_numpy(np.array(2))),
    ('from_numpy_bool', lambda torch: torch.from_numpy(np.array([True]))),
    ('from_numpy_neg', lambda torch: torch.from_numpy(np.arange(3.)[::-1])),
    ('from_numpy_list', lambda torch: torch.from_numpy([1, 2])),
    ('from_numpy_object', lambda torch: torch.from_numpy(np.array([None]))),
    # legacy constructors
    ('Tensor_data', lambda torch: torch.Tensor([1, 2])),
    ('Tensor_nested', lambda torch: torch.Tensor([[1, 2], [3, 4]])),
    ('Tensor_sizes', lambda torch: shape_of(torch.Tensor(2, 3))),
    ('Tensor_size_obj', lambda torch: shape_of(torch.Tensor(torch.Size([2, 3])))),
    ('Tensor_empty', lambda torch: torch.Tensor()),
    ('Tensor_scalar_is_size', lambda torch: shape_of(torch.Tensor(3))),
    ('Tensor_numpy', lambda torch: torch.Tensor(NP)),
    ('Tensor_tuple_is_data', lambda torch: torch.Tensor((2, 3))),
    ('Tensor_float_arg', lambda torch: torch.Tensor(2.5)),
    ('Tensor_tensor_same', lambda torch: (lambda x: torch.Tensor(x) is x)(torch.ones(2))),
    ('Tensor_tensor_other', lambda torch: torch.Tensor(torch.ones(2, dtype=torch.int64))),
    ('Tensor_neg_size', lambda torch: torch.Tensor(-1)),
    ('FloatTensor', lambda torch: torch.FloatTensor([1, 2])),
    ('DoubleTensor', lambda torch: torch.DoubleTensor([1, 2])),
    ('HalfTensor', lambda torch: torch.HalfTensor([1.5])),
    ('IntTensor', lambda torch: torch.IntTensor([1.7, -2.5])),
    ('LongTensor', lambda torch: torch.LongTensor([[1], [2]])),
    ('ShortTensor', lambda torch: torch.ShortTensor([1, 2])),
    ('ByteTensor', lambda torch: torch.ByteTensor([1, 255])),
    ('CharTensor', lambda torch: torch.CharTensor([1, -2])),
    ('BoolTensor', lambda torch: torch.BoolTensor([1, 0])),
    ('LongTensor_sizes', lambda torch: shape_of(torch.LongTensor(2, 2))),
    ('BoolTensor_sizes', lambda torch: shape_of(torch.BoolTensor(3))),
    ('DoubleTensor_empty', lambda torch: torch.DoubleTensor()),
    ('legacy_isinstance', lambda torch: (isinstance(torch.ones(1), torch.FloatTensor),
                                         isinstance(torch.ones(1), torch.DoubleTensor),
                                         isinstance(torch.ones(1, dtype=torch.int64),
                                                    torch.LongTensor))),
    ('legacy_string', lambda torch: torch.FloatTensor('ab')),
    ('new', lambda torch: torch.ones(2, dtype=torch.int32).new([1, 2])),
    ('new_sizes', lambda torch: shape_of(torch.ones(2, dtype=torch.int32).new(3, 1))),
    ('new_empty_call', lambda torch: torch.ones(2, dtype=torch.int16).new()),
]

FILL_CASES = [
    ('zeros_varargs', lambda torch: torch.zeros(2, 3)),
    ('zeros_tuple', lambda torch: torch.zeros((2, 3))),
    ('zeros_list', lambda torch: torch.zeros([2, 3])),
    ('zeros_size_kw', lambda torch: torch.zeros(size=(2, 3))),
    ('zeros_Size', lambda torch: torch.zeros(torch.Size([2, 3]))),
    ('zeros_0d', lambda torch: torch.zeros(())),
    ('zeros_no_args', lambda torch: torch.zeros([])),
    ('zeros_empty', lambda torch: torch.zeros(0, 4)),
    ('zeros_dtype', lambda torch: torch.zeros(2, dtype=torch.int8)),
    ('zeros_bool', lambda torch: torch.zeros(2, dtype=torch.bool)),
    ('zeros_bf16', lambda torch: torch.zeros(2, dtype=torch.bfloat16)),
    ('zeros_complex', lambda torch: torch.zeros(2, dtype=torch.complex64)),
    ('zeros_grad', lambda torch: torch.zeros(2, requires_grad=True)),
    ('zeros_grad_int', lambda torch: torch.zeros(2, dtype=torch.int64, requires_grad=True)),
    ('zeros_negative', lambda torch: torch.zeros(2, -1)),
    ('zeros_float_size', lambda torch: torch.zeros(2.5)),
    ('zeros_tensor_size', lambda torch: torch.zeros(torch.tensor(3))),
    ('zeros_numpy_int_size', lambda torch: torch.zeros(np.int64(3))),
    ('zeros_bool_size', lambda torch: torch.zeros(True)),
    ('zeros_str_size', lambda torch: torch.zeros('3')),
    ('zeros_both_size_forms', lambda torch: torch.zeros(2, size=(2,))),
    ('zeros_device', lambda torch: torch.zeros(2, device='cpu')),
    ('zeros_bad_dtype', lambda torch: torch.zeros(2, dtype='float')),
    ('ones', lambda torch: torch.ones(2, 3)),
    ('ones_size_kw', lambda torch: torch.ones(size=[3])),
    ('ones_int', lambda torch: torch.ones((2,), dtype=torch.int64)),
    ('ones_uint8', lambda torch: torch.ones(3, dtype=torch.uint8)),
    ('ones_half', lambda torch: torch.ones(3, dtype=torch.float16)),
    ('ones_grad', lambda torch: torch.ones(2, 2, requires_grad=True)),
    ('empty', lambda torch: shape_of(torch.empty(2, 3))),
    ('empty_tuple', lambda torch: shape_of(torch.empty((4,), dtype=torch.int32))),
    ('empty_size_kw', lambda torch: shape_of(torch.empty(size=(1, 2)))),
    ('empty_grad', lambda torch: shape_of(torch.empty(2, requires_grad=True))),
    ('empty_channels_last', lambda torch: shape_of(torch.empty(
        2, 3, 4, 5, memory_format=torch.channels_last))),
    ('full_float', lambda torch: torch.full((2, 2), 1.5)),
    ('full_int', lambda torch: torch.full((2,), 7)),
    ('full_bool', lambda torch: torch.full((2,), True)),
    ('full_complex', lambda torch: torch.full((2,), 1 + 1j)),
    ('full_dtype', lambda torch: torch.full((2,), 7, dtype=torch.float16)),
    ('full_list_size', lambda torch: torch.full([2, 1], -1.)),
    ('full_int_size', lambda torch: torch.full(3, 1.)),
    ('full_0d', lambda torch: torch.full((), 4)),
    ('full_tensor_value', lambda torch: torch.full((2,), torch.tensor(2.5))),
    ('full_tensor_int_value', lambda torch: torch.full((2,), torch.tensor(2))),
    ('full_grad', lambda torch: torch.full((2,), 1., requires_grad=True)),
    ('full_nan', lambda torch: torch.full((2,), float('nan'))),
    ('full_uint8_overflow', lambda torch: torch.full((2,), 300, dtype=torch.uint8)),
    ('full_float_into_int', lambda torch: torch.full((2,), 2.7, dtype=torch.int64)),
    ('full_complex_into_float', lambda torch: torch.full((2,), 1j, dtype=torch.float32)),
    ('full_size_kw', lambda torch: torch.full(size=(2,), fill_value=3)),
    ('full_np_value', lambda torch: torch.full((2,), np.float32(1.5))),
    ('full_np_int_value', lambda torch: torch.full((2,), np.int32(2))),
    # _like
    ('zeros_like', lambda torch: torch.zeros_like(torch.ones(2, 3, dtype=torch.int32))),
    ('zeros_like_dtype', lambda torch: torch.zeros_like(torch.ones(2), dtype=torch.float64)),
    ('zeros_like_nc', lambda torch: torch.zeros_like(torch.ones(2, 3).t())),
    ('zeros_like_sliced', lambda torch: torch.zeros_like(torch.ones(4, 6)[:, ::2])),
    ('zeros_like_permuted', lambda torch: torch.zeros_like(torch.ones(2, 3, 4).permute(2, 0, 1))),
    ('zeros_like_expanded', lambda torch: torch.zeros_like(torch.ones(3, 1).expand(3, 4))),
    ('zeros_like_contig_fmt', lambda torch: torch.zeros_like(
        torch.ones(2, 3).t(), memory_format=torch.contiguous_format)),
    ('zeros_like_grad_src', lambda torch: torch.zeros_like(torch.ones(2, requires_grad=True))),
    ('zeros_like_grad', lambda torch: torch.zeros_like(torch.ones(2), requires_grad=True)),
    ('ones_like', lambda torch: torch.ones_like(torch.zeros(2, 2).t())),
    ('ones_like_bool', lambda torch: torch.ones_like(torch.zeros(2, dtype=torch.bool))),
    ('empty_like', lambda torch: shape_of(torch.empty_like(torch.ones(2, 3).t()))),
    ('empty_like_dtype', lambda torch: shape_of(torch.empty_like(torch.ones(2),
                                                                 dtype=torch.int8))),
    ('full_like', lambda torch: torch.full_like(torch.ones(2, 3, dtype=torch.int32), 2.7)),
    ('full_like_float', lambda torch: torch.full_like(torch.ones(2).t(), 2.5)),
    ('full_like_dtype', lambda torch: torch.full_like(torch.ones(2), 3, dtype=torch.int64)),
    ('full_like_nc', lambda torch: torch.full_like(torch.ones(2, 3).t(), 4.)),
    ('full_like_tensor_value', lambda torch: torch.full_like(torch.ones(2), torch.tensor(3.))),
    ('zeros_like_not_tensor', lambda torch: torch.zeros_like([1, 2])),
    # new_*
    ('new_zeros', lambda torch: torch.ones(2, dtype=torch.int32).new_zeros(2, 3)),
    ('new_zeros_tuple', lambda torch: torch.ones(2, dtype=torch.float64).new_zeros((3,))),
    ('new_zeros_size_kw', lambda torch: torch.ones(2).new_zeros(size=(3,))),
    ('new_zeros_dtype', lambda torch: torch.ones(2).new_zeros(2, dtype=torch.int16)),
    ('new_zeros_of_nc', lambda torch: torch.ones(2, 3).t().new_zeros(2, 3)),
    ('new_zeros_grad_src', lambda torch: torch.ones(2, requires_grad=True).new_zeros(2)),
    ('new_zeros_grad', lambda torch: torch.ones(2).new_zeros(2, requires_grad=True)),
    ('new_ones', lambda torch: torch.ones(2, dtype=torch.bool).new_ones(3)),
    ('new_ones_empty', lambda torch: torch.ones(2).new_ones(())),
    ('new_empty', lambda torch: shape_of(torch.ones(2, dtype=torch.int8).new_empty(2, 2))),
    ('new_empty_size_kw', lambda torch: shape_of(torch.ones(2).new_empty(size=(3,)))),
    ('new_full', lambda torch: torch.ones(2, dtype=torch.int32).new_full((2, 2), 5)),
    ('new_full_float_in_int', lambda torch: torch.ones(2, dtype=torch.int32).new_full((2,), 2.5)),
    ('new_full_dtype', lambda torch: torch.ones(2).new_full((2,), 5, dtype=torch.int64)),
    ('new_full_list', lambda torch: torch.ones(2).new_full([3], 1.)),
    ('new_tensor', lambda torch: torch.ones(2, dtype=torch.int16).new_tensor([1.7, 2.])),
    ('new_tensor_dtype', lambda torch: torch.ones(2).new_tensor([1, 2], dtype=torch.int64)),
    ('new_tensor_numpy', lambda torch: torch.ones(2).new_tensor(np.arange(3))),
    ('new_tensor_copies', lambda torch: (lambda x: (x, torch.ones(2).new_tensor(x)))(
        torch.ones(2))),
    ('new_tensor_grad', lambda torch: torch.ones(2).new_tensor([1.], requires_grad=True)),
    ('new_tensor_from_tensor_dtype', lambda torch: torch.ones(2).new_tensor(
        torch.tensor([1, 2]))),
    ('new_tensor_0d', lambda torch: torch.ones(2, dtype=torch.float64).new_tensor(3)),
]

RANGE_CASES = [
    ('arange_int', lambda torch: torch.arange(5)),
    ('arange_start_end', lambda torch: torch.arange(2, 7)),
    ('arange_step', lambda torch: torch.arange(1, 10, 3)),
    ('arange_neg_step', lambda torch: torch.arange(5, 0, -2)),
    ('arange_neg_step_float', lambda torch: torch.arange(1., 0., -0.3)),
    ('arange_float', lambda torch: torch.arange(0, 1, 0.1)),
    ('arange_float_end', lambda torch: torch.arange(2.5)),
    ('arange_float_start', lambda torch: torch.arange(0.5, 3)),
    ('arange_float_step_exact', lambda torch: torch.arange(0, 1, 0.25)),
    ('arange_endpoint_rounding', lambda torch: torch.arange(1, 2.0000001, 0.1)),
    ('arange_float_big', lambda torch: torch.arange(-3.7, 4.1, 0.77)),
    ('arange_f64_values', lambda torch: torch.arange(0, 1, 0.1, dtype=torch.float64)),
    ('arange_empty', lambda torch: torch.arange(0)),
    ('arange_start_eq_end', lambda torch: torch.arange(3, 3)),
    ('arange_dtype', lambda torch: torch.arange(5, dtype=torch.float32)),
    ('arange_dtype_int_from_float', lambda torch: torch.arange(0, 2.5, 0.5, dtype=torch.int64)),
    ('arange_dtype_uint8', lambda torch: torch.arange(3, dtype=torch.uint8)),
    ('arange_dtype_half', lambda torch: torch.arange(0, 1, 0.1, dtype=torch.float16)),
    ('arange_dtype_bf16', lambda torch: torch.arange(0, 4, dtype=torch.bfloat16)),
    ('arange_tensor_args', lambda torch: torch.arange(torch.tensor(1), torch.tensor(4))),
    ('arange_tensor_float_arg', lambda torch: torch.arange(torch.tensor(2.))),
    ('arange_np_args', lambda torch: torch.arange(np.int64(3))),
    ('arange_np_float_args', lambda torch: torch.arange(np.float32(1.5))),
    ('arange_kw', lambda torch: torch.arange(start=1, end=4, step=2)),
    ('arange_end_kw', lambda torch: torch.arange(end=3)),
    ('arange_grad', lambda torch: torch.arange(3., requires_grad=True)),
    ('arange_zero_step', lambda torch: torch.arange(0, 5, 0)),
    ('arange_wrong_sign', lambda torch: torch.arange(0, 5, -1)),
    ('arange_wrong_sign_float', lambda torch: torch.arange(5., 0., 0.5)),
    ('arange_inf', lambda torch: torch.arange(0, float('inf'))),
    ('arange_nan', lambda torch: torch.arange(0, float('nan'))),
    ('arange_bool_arg', lambda torch: torch.arange(True)),
    ('arange_complex', lambda torch: torch.arange(1j)),
    ('arange_str', lambda torch: torch.arange('3')),
    ('linspace', lambda torch: torch.linspace(0, 1, 5)),
    ('linspace_many', lambda torch: torch.linspace(-3.3, 7.9, 101)),
    ('linspace_odd', lambda torch: torch.linspace(0.1, 0.9, 7)),
    ('linspace_desc', lambda torch: torch.linspace(5, -5, 11)),
    ('linspace_one', lambda torch: torch.linspace(2, 3, 1)),
    ('linspace_zero', lambda torch: torch.linspace(2, 3, 0)),
    ('linspace_two', lambda torch: torch.linspace(-1, 1, 2)),
    ('linspace_f64', lambda torch: torch.linspace(0, 1, 7, dtype=torch.float64)),
    ('linspace_f16', lambda torch: torch.linspace(0, 1, 7, dtype=torch.float16)),
    ('linspace_bf16', lambda torch: torch.linspace(0, 10, 7, dtype=torch.bfloat16)),
    ('linspace_int', lambda torch: torch.linspace(0, 10, 4, dtype=torch.int64)),
    ('linspace_int_neg', lambda torch: torch.linspace(-10, 10, 7, dtype=torch.int32)),
    ('linspace_uint8', lambda torch: torch.linspace(0, 255, 6, dtype=torch.uint8)),
    ('linspace_complex', lambda torch: torch.linspace(0, 1 + 1j, 3)),
    ('linspace_tensor_args', lambda torch: torch.linspace(torch.tensor(0.), torch.tensor(1.), 3)),
    ('linspace_int_args', lambda torch: torch.linspace(0, 10, 5)),
    ('linspace_grad', lambda torch: torch.linspace(0, 1, 3, requires_grad=True)),
    ('linspace_negative_steps', lambda torch: torch.linspace(0, 1, -1)),
    ('linspace_float_steps', lambda torch: torch.linspace(0, 1, 2.5)),
    ('linspace_tensor_steps', lambda torch: torch.linspace(0, 1, torch.tensor(3))),
    ('logspace', lambda torch: torch.logspace(0, 2, 3)),
    ('logspace_base2', lambda torch: torch.logspace(0, 4, 5, base=2)),
    ('logspace_neg', lambda torch: torch.logspace(-2, 2, 9)),
    ('logspace_f64', lambda torch: torch.logspace(-1, 1, 6, dtype=torch.float64)),
    ('logspace_int', lambda torch: torch.logspace(0, 3, 4, dtype=torch.int64)),
    ('logspace_one', lambda torch: torch.logspace(1, 5, 1)),
    ('logspace_zero', lambda torch: torch.logspace(1, 5, 0)),
    ('logspace_frac_base', lambda torch: torch.logspace(0, 3, 4, base=0.5)),
    ('eye', lambda torch: torch.eye(3)),
    ('eye_rect', lambda torch: torch.eye(2, 4)),
    ('eye_tall', lambda torch: torch.eye(4, 2)),
    ('eye_zero', lambda torch: torch.eye(0)),
    ('eye_dtype', lambda torch: torch.eye(2, dtype=torch.int64)),
    ('eye_bool', lambda torch: torch.eye(2, dtype=torch.bool)),
    ('eye_grad', lambda torch: torch.eye(2, requires_grad=True)),
    ('eye_neg', lambda torch: torch.eye(-1)),
    ('eye_neg_m', lambda torch: torch.eye(2, -1)),
    ('eye_m_kw', lambda torch: torch.eye(2, m=3)),
    ('empty_strided', lambda torch: shape_of(torch.empty_strided((2, 3), (1, 2)))),
    ('empty_strided_gap', lambda torch: shape_of(torch.empty_strided((2, 3), (4, 1)))),
    ('empty_strided_storage', lambda torch: torch.empty_strided((2, 3), (4, 1))
        .untyped_storage().nbytes()),
    ('empty_strided_zero', lambda torch: shape_of(torch.empty_strided((2, 0), (1, 1)))),
    ('empty_strided_dtype', lambda torch: shape_of(torch.empty_strided((2,), (3,),
                                                                       dtype=torch.int16))),
    ('empty_strided_grad', lambda torch: shape_of(torch.empty_strided((2,), (1,),
                                                                      requires_grad=True))),
    ('empty_strided_mismatch', lambda torch: torch.empty_strided((2, 3), (1,))),
    ('scalar_tensor', lambda torch: torch.scalar_tensor(3)),
    ('scalar_tensor_dtype', lambda torch: torch.scalar_tensor(3.5, dtype=torch.int32)),
    ('scalar_tensor_bool', lambda torch: torch.scalar_tensor(True)),
]


def out_case(torch, fn, out):
    """Call a factory with ``out=``: returns (result, out, result is out)."""
    result = fn(out)
    return result, out, result is out


OUT_CASES = [
    ('zeros_out', lambda torch: out_case(torch, lambda o: torch.zeros(2, 3, out=o),
                                         torch.empty(2, 3))),
    ('zeros_out_resize', lambda torch: out_case(torch, lambda o: torch.zeros(2, 3, out=o),
                                                torch.empty(0))),
    ('zeros_out_int', lambda torch: out_case(torch, lambda o: torch.zeros(2, out=o),
                                             torch.empty(2, dtype=torch.int64))),
    ('ones_out', lambda torch: out_case(torch, lambda o: torch.ones((2,), out=o),
                                        torch.empty(2))),
    ('full_out', lambda torch: out_case(torch, lambda o: torch.full((2,), 4., out=o),
                                        torch.empty(2))),
    ('arange_out', lambda torch: out_case(torch, lambda o: torch.arange(4, out=o),
                                          torch.empty(4, dtype=torch.int64))),
    ('arange_out_float', lambda torch: out_case(torch, lambda o: torch.arange(4, out=o),
                                                torch.empty(4))),
    ('arange_out_resize', lambda torch: out_case(torch, lambda o: torch.arange(4, out=o),
                                                 torch.empty(0, dtype=torch.int64))),
    ('linspace_out', lambda torch: out_case(torch, lambda o: torch.linspace(0, 1, 3, out=o),
                                            torch.empty(3))),
    ('logspace_out', lambda torch: out_case(torch, lambda o: torch.logspace(0, 1, 3, out=o),
                                            torch.empty(3))),
    ('eye_out', lambda torch: out_case(torch, lambda o: torch.eye(2, out=o), torch.empty(2, 2))),
    ('empty_out', lambda torch: (lambda o: torch.empty(2, out=o) is o)(torch.zeros(2))),
    ('out_view_base', lambda torch: (lambda b: (torch.zeros(2, out=b[0]), b))(torch.ones(2, 2))),
    ('out_grad', lambda torch: torch.zeros(2, out=torch.ones(2, requires_grad=True))),
    ('out_grad_kw', lambda torch: torch.zeros(2, out=torch.empty(2), requires_grad=True)),
]


@requires_torch
@pytest.mark.filterwarnings('ignore::UserWarning')
@pytest.mark.filterwarnings('ignore::DeprecationWarning')
@pytest.mark.parametrize('name,fn', FROM_DATA_CASES + FILL_CASES + RANGE_CASES + OUT_CASES,
                         ids=[c[0] for c in FROM_DATA_CASES + FILL_CASES + RANGE_CASES +
                              OUT_CASES])
def test_creation_oracle(name, fn):
    check(fn, rtol=0, atol=0)


# ---------------------------------------------------------------------------------------
# linspace: exact float32 values against PyTorch over many ranges
# ---------------------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize('dtype', ['float32', 'float64', 'float16', 'bfloat16'])
def test_linspace_exact(dtype):
    import torch
    rng = np.random.default_rng(0)
    for _ in range(40):
        start, end = (float(v) for v in rng.uniform(-100, 100, size=2))
        steps = int(rng.integers(1, 60))
        ours = ember.linspace(start, end, steps, dtype=getattr(ember, dtype))
        theirs = torch.linspace(start, end, steps, dtype=getattr(torch, dtype))
        np.testing.assert_array_equal(ours.float().numpy(), theirs.float().numpy(),
                                      err_msg=f'{start} {end} {steps}')


@requires_torch
def test_arange_float_exact():
    import torch
    rng = np.random.default_rng(1)
    for _ in range(40):
        start = float(rng.uniform(-10, 10))
        step = float(rng.uniform(0.01, 2)) * (1 if rng.random() < 0.7 else -1)
        end = start + step * float(rng.uniform(0, 40))
        for dtype in ('float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32'):
            if dtype.startswith('int') and abs(step) < 1:
                continue   # the step truncates to 0: an error in both
            ours = ember.arange(start, end, step, dtype=getattr(ember, dtype))
            theirs = torch.arange(start, end, step, dtype=getattr(torch, dtype))
            np.testing.assert_array_equal(ours.double().numpy(), theirs.double().numpy(),
                                          err_msg=f'{start} {end} {step} {dtype}')


@requires_torch
@pytest.mark.parametrize('dtype', ['int64', 'int32', 'uint8', 'complex64', 'complex128'])
def test_linspace_exact_other_dtypes(dtype):
    import torch
    rng = np.random.default_rng(2)
    for _ in range(30):
        start, end = (float(v) for v in rng.uniform(0, 100, size=2))
        steps = int(rng.integers(2, 50))
        if dtype.startswith('complex'):
            start, end = complex(start, end / 3), complex(end, -start / 7)
        ours = ember.linspace(start, end, steps, dtype=getattr(ember, dtype))
        theirs = torch.linspace(start, end, steps, dtype=getattr(torch, dtype))
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(),
                                      err_msg=f'{start} {end} {steps}')


@requires_torch
@pytest.mark.parametrize('dtype', ['float32', 'float64', 'float16', 'int64'])
def test_logspace_exact(dtype):
    import torch
    rng = np.random.default_rng(4)
    for _ in range(30):
        start, end = (float(v) for v in rng.uniform(-3, 3, size=2))
        steps = int(rng.integers(1, 40))
        base = float(rng.choice([10., 2., 0.5, 3.7]))
        ours = ember.logspace(start, end, steps, base=base, dtype=getattr(ember, dtype))
        theirs = torch.logspace(start, end, steps, base=base, dtype=getattr(torch, dtype))
        np.testing.assert_array_equal(ours.double().numpy(), theirs.double().numpy(),
                                      err_msg=f'{start} {end} {steps} {base}')


# ---------------------------------------------------------------------------------------
# Self-contained checks (no torch needed)
# ---------------------------------------------------------------------------------------
def test_tensor_copies_and_infers():
    a = np.arange(3.)
    t = ember.tensor(a)
    a[0] = 5
    assert t.tolist() == [0., 1., 2.] and t.dtype is ember.float64
    assert ember.tensor([1, 2.5]).dtype is ember.float32
    assert ember.tensor([True, False]).dtype is ember.bool
    assert ember.tensor([[1, 2]]).dtype is ember.int64
    with pytest.raises(ValueError, match='expected sequence of length 2 at dim 1'):
        ember.tensor([[1, 2], [3]])
    with pytest.raises(TypeError):
        ember.tensor('abc')


def test_from_numpy_and_as_tensor_share():
    a = np.zeros(3, dtype=np.float32)
    t = ember.from_numpy(a)
    u = ember.as_tensor(a)
    t[0] = 1
    assert a[0] == 1 and u[0].item() == 1
    assert ember.as_tensor(a, dtype=ember.float64).data_ptr() != t.data_ptr()


def test_factories_by_hand():
    assert ember.zeros(2, 3).shape == ember.zeros((2, 3)).shape == ember.zeros(size=(2, 3)).shape
    assert ember.full((2,), 3).dtype is ember.int64
    assert ember.full((2,), 3.).dtype is ember.float32
    assert ember.full((2,), True).dtype is ember.bool
    assert ember.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert ember.arange(1, 2.5, 0.5).tolist() == [1., 1.5, 2.]
    assert ember.arange(5, 0, -2).tolist() == [5, 3, 1]
    with pytest.raises(RuntimeError):
        ember.arange(0, 5, -1)
    assert ember.linspace(0, 1, 5).tolist() == [0., 0.25, 0.5, 0.75, 1.]
    assert ember.logspace(0, 2, 3).tolist() == [1., 10., 100.]
    assert ember.eye(2, 3).tolist() == [[1., 0., 0.], [0., 1., 0.]]
    x = ember.ones(2, dtype=ember.int32)
    assert x.new_zeros(3).dtype is ember.int32
    assert x.new_full((2,), 5).tolist() == [5, 5]
    assert ember.zeros(2, requires_grad=True).requires_grad
    e = ember.empty_strided((2, 3), (1, 2))
    assert e.stride() == (1, 2) and e.untyped_storage().nbytes() == 24
    o = ember.empty(3)
    assert ember.ones(3, out=o) is o and o.tolist() == [1., 1., 1.]


def test_legacy_constructors_by_hand():
    assert ember.Tensor(2, 3).shape == (2, 3)
    assert ember.Tensor([1, 2]).dtype is ember.float32
    assert ember.LongTensor([1.7]).tolist() == [1]
    assert ember.BoolTensor([2, 0]).tolist() == [True, False]
    assert ember.ByteTensor(3).dtype is ember.uint8
    assert isinstance(ember.ones(1, dtype=ember.float64), ember.DoubleTensor)
