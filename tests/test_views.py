"""View ops against PyTorch: shapes, strides, storage offsets, memory sharing, writes through
views, grad_fn names, gradients, and the errors bad arguments raise.

Every row is one lambda run on torch and on ember by ``oracle.check``. Returning the base
together with the view lets the oracle compare which results share storage.
"""
import numpy as np
import pytest

import ember
from oracle import check, requires_torch


def base(torch, *shape, dtype=None):
    """0, 1, 2, ... in ``shape`` (float32 unless ``dtype``)."""
    n = 1
    for s in shape:
        n *= s
    return torch.arange(n, dtype=dtype or torch.float32).reshape(shape)


def nc(torch):
    """A non-contiguous 3x4 tensor (transposed 4x3)."""
    return base(torch, 4, 3).t()


def sliced(torch):
    """A non-contiguous tensor with a storage offset: rows 1..3, every other column."""
    return base(torch, 4, 6)[1:, ::2]


def write_first(torch, view, value=-1):
    """Write ``value`` into the first element of ``view`` in place."""
    view[(0,) * view.dim()] = value
    return view


def written(torch, make_base, make_view, value=-1):
    """Make a view, write through it, return (base, view) so both show the write."""
    b = make_base(torch)
    v = make_view(b)
    write_first(torch, v, value)
    return b, v


def grad_of(torch, fn, x):
    """``x.grad`` after backward of ``fn(x)`` weighted by 1, 2, 3, ..."""
    x = x.detach().requires_grad_(True)
    y = fn(x)
    w = torch.arange(1, y.numel() + 1, dtype=y.dtype).reshape(y.shape)
    (y * w).sum().backward()
    return x.grad


VIEW_CASES = [
    # view
    ('view_2d', lambda torch: (lambda b: (b, b.view(3, 4)))(base(torch, 2, 6))),
    ('view_minus1', lambda torch: (lambda b: (b, b.view(-1)))(base(torch, 2, 3, 4))),
    ('view_minus1_mid', lambda torch: (lambda b: (b, b.view(2, -1, 2)))(base(torch, 2, 3, 4))),
    ('view_tuple', lambda torch: base(torch, 2, 6).view((4, 3))),
    ('view_list', lambda torch: base(torch, 2, 6).view([4, 3])),
    ('view_size', lambda torch: base(torch, 2, 6).view(torch.Size([3, 4]))),
    ('view_same', lambda torch: base(torch, 2, 6).view(2, 6)),
    ('view_0d_to_1', lambda torch: torch.tensor(3.).view(1)),
    ('view_1_to_0d', lambda torch: torch.tensor([3.]).view(())),
    ('view_0d_minus1', lambda torch: torch.tensor(3.).view(-1)),
    ('view_empty', lambda torch: torch.zeros(0, 3).view(3, 0)),
    ('view_empty_minus1', lambda torch: torch.zeros(0, 3).view(-1)),
    ('view_empty_ambiguous', lambda torch: torch.zeros(0, 3).view(-1, 0)),
    ('view_size1_dims', lambda torch: base(torch, 1, 4, 1).view(4, 1, 1)),
    ('view_nc_split_ok', lambda torch: nc(torch).view(3, 2, 2)),
    ('view_nc_merge_bad', lambda torch: nc(torch).view(12)),
    ('view_nc_unsqueezed', lambda torch: nc(torch).view(3, 1, 4)),
    ('view_sliced_ok', lambda torch: sliced(torch).view(3, 3, 1)),
    ('view_sliced_bad', lambda torch: sliced(torch).view(9)),
    ('view_permuted', lambda torch: base(torch, 2, 3, 4).permute(1, 0, 2).view(3, 2, 2, 2)),
    ('view_expanded', lambda torch: base(torch, 3, 1).expand(3, 4).view(3, 2, 2)),
    ('view_expanded_bad', lambda torch: base(torch, 3, 1).expand(3, 4).view(12)),
    ('view_bad_numel', lambda torch: base(torch, 2, 6).view(5, 2)),
    ('view_two_minus1', lambda torch: base(torch, 2, 6).view(-1, -1)),
    ('view_negative', lambda torch: base(torch, 2, 6).view(-2, 6)),
    ('view_float_size', lambda torch: base(torch, 2, 6).view(2.0, 6)),
    ('view_dtype_int32', lambda torch: (lambda b: (b, b.view(torch.int32)))(base(torch, 2, 3))),
    ('view_dtype_kw', lambda torch: base(torch, 2, 3).view(dtype=torch.int32)),
    ('view_dtype_f64_i64', lambda torch: base(torch, 3, dtype=torch.float64).view(torch.int64)),
    ('view_dtype_u8_i8', lambda torch: torch.tensor([1, 200], dtype=torch.uint8)
        .view(torch.int8)),
    ('view_dtype_bool_u8', lambda torch: torch.tensor([True, False]).view(torch.uint8)),
    ('view_dtype_f16_i16', lambda torch: base(torch, 3, dtype=torch.float16).view(torch.int16)),
    ('view_dtype_nc', lambda torch: nc(torch).view(torch.int32)),
    ('view_dtype_same', lambda torch: base(torch, 3).view(torch.float32)),
    ('view_dtype_smaller', lambda torch: (lambda b: (b, b.view(torch.int16)))(base(torch, 2, 3))),
    ('view_dtype_larger', lambda torch: (lambda b: (b, b.view(torch.float64)))(base(torch, 3, 4))),
    ('view_dtype_bool', lambda torch: base(torch, 2).view(torch.bool)),
    ('view_dtype_complex', lambda torch: base(torch, 2, 4).view(torch.complex64)),
    ('view_dtype_sliced_cols', lambda torch: base(torch, 3, 4)[:, :2].view(torch.float64)),
    ('view_dtype_sliced_rows', lambda torch: base(torch, 4, 4)[1:].view(torch.int16)),
    ('view_dtype_offset_bad', lambda torch: base(torch, 6)[1:5].view(torch.float64)),
    ('view_dtype_stride_bad', lambda torch: nc(torch).view(torch.int16)),
    ('view_dtype_size_bad', lambda torch: base(torch, 3).view(torch.float64)),
    ('view_dtype_col_stride_bad', lambda torch: base(torch, 3, 6)[:, ::3].view(torch.float64)),
    ('view_dtype_0d_bad', lambda torch: torch.tensor(1.).view(torch.int16)),
    ('view_dtype_0d_same_size', lambda torch: torch.tensor(1.).view(torch.int32)),
    ('view_dtype_last_size1', lambda torch: base(torch, 3, 2)[:, :1].view(torch.uint8)),
    ('view_dtype_empty', lambda torch: torch.zeros(2, 0).view(torch.int16)),
    ('view_dtype_grad', lambda torch: (lambda x: (x.view(torch.float64), x.view(torch.int32),
                                                  x.view(torch.float32)))(
        base(torch, 4).requires_grad_())),
    ('view_dtype_not_view', lambda torch: (lambda b: [v._is_view() for v in (
        b.view(torch.int32), b.view(torch.float32), b.view(torch.int16))])(base(torch, 4))),
    ('view_dtype_write', lambda torch: written(torch, lambda t: base(t, 2, 2),
                                               lambda b: b.view(torch.int16)[1], 0)),
    ('view_as', lambda torch: (lambda b: (b, b.view_as(torch.zeros(3, 4))))(base(torch, 12))),
    ('view_as_bad', lambda torch: base(torch, 12).view_as(torch.zeros(5))),
    # reshape
    ('reshape_view', lambda torch: (lambda b: (b, b.reshape(3, 4)))(base(torch, 2, 6))),
    ('reshape_copy', lambda torch: (lambda b: (b, b.reshape(12)))(nc(torch))),
    ('reshape_minus1', lambda torch: base(torch, 2, 6).reshape(-1, 3)),
    ('reshape_tuple', lambda torch: base(torch, 2, 6).reshape((6, 2))),
    ('reshape_same', lambda torch: (lambda b: (b, b.reshape(2, 6)))(base(torch, 2, 6))),
    ('reshape_nc_ok', lambda torch: (lambda b: (b, b.reshape(3, 2, 2)))(nc(torch))),
    ('reshape_sliced', lambda torch: (lambda b: (b, b.reshape(-1)))(sliced(torch))),
    ('reshape_0d', lambda torch: torch.tensor(5).reshape(1, 1)),
    ('reshape_bad', lambda torch: base(torch, 2, 6).reshape(7)),
    ('reshape_two_minus1', lambda torch: base(torch, 2, 6).reshape(-1, 2, -1)),
    ('reshape_empty_ambiguous', lambda torch: torch.zeros(0, 2).reshape(0, -1)),
    ('reshape_fn', lambda torch: torch.reshape(base(torch, 2, 6), (3, 4))),
    ('reshape_as', lambda torch: (lambda b: (b, b.reshape_as(torch.zeros(4, 3))))(nc(torch))),
    ('reshape_expanded', lambda torch: base(torch, 3, 1).expand(3, 4).reshape(12)),
    ('reshape_int', lambda torch: base(torch, 2, 6, dtype=torch.int64).t().reshape(-1)),
    # transposes
    ('transpose', lambda torch: (lambda b: (b, b.transpose(0, 2)))(base(torch, 2, 3, 4))),
    ('transpose_neg', lambda torch: base(torch, 2, 3, 4).transpose(-1, -3)),
    ('transpose_same', lambda torch: base(torch, 2, 3).transpose(1, 1)),
    ('transpose_0d', lambda torch: torch.tensor(1.).transpose(0, -1)),
    ('transpose_oob', lambda torch: base(torch, 2, 3).transpose(0, 2)),
    ('transpose_fn', lambda torch: torch.transpose(base(torch, 2, 3), 0, 1)),
    ('empty_views', lambda torch: (lambda x: (x[1:1], x[:, 4:], x[10:], x[1:1].t(),
                                              x[1:1].view(0, 2, 2), x[1:1].unsqueeze(0),
                                              x[1:1].expand(2, 0, 4), x.narrow(0, 3, 0),
                                              x[1:1][0:0, 1:], x[1:1].select(1, 2),
                                              x[1:1].flatten(), x[1:1].contiguous(),
                                              x.as_strided((0, 2), (1, 1), 5),
                                              x[1:1].as_strided((2,), (1,), 3)))(
        base(torch, 3, 4))),
    ('empty_unbind', lambda torch: torch.zeros(3, 0).unbind(0)),
    ('empty_select', lambda torch: torch.zeros(3, 0, 2)[2]),
    ('swapaxes', lambda torch: base(torch, 2, 3, 4).swapaxes(0, 1)),
    ('swapdims', lambda torch: torch.swapdims(base(torch, 2, 3, 4), 2, 0)),
    ('t_2d', lambda torch: (lambda b: (b, b.t()))(base(torch, 2, 3))),
    ('t_1d', lambda torch: base(torch, 3).t()),
    ('t_0d', lambda torch: torch.tensor(2.).t()),
    ('t_3d', lambda torch: base(torch, 2, 3, 4).t()),
    ('t_fn', lambda torch: torch.t(base(torch, 2, 3))),
    ('T_2d', lambda torch: base(torch, 2, 3).T),
    ('T_3d', lambda torch: base(torch, 2, 3, 4).T),
    ('T_1d', lambda torch: base(torch, 3).T),
    ('mT', lambda torch: base(torch, 2, 3, 4).mT),
    ('mT_2d', lambda torch: base(torch, 2, 3).mT),
    ('mT_1d', lambda torch: base(torch, 3).mT),
    ('permute', lambda torch: (lambda b: (b, b.permute(2, 0, 1)))(base(torch, 2, 3, 4))),
    ('permute_tuple', lambda torch: base(torch, 2, 3, 4).permute((1, 2, 0))),
    ('permute_neg', lambda torch: base(torch, 2, 3, 4).permute(-1, 0, -2)),
    ('permute_0d', lambda torch: torch.tensor(1.).permute(())),
    ('permute_repeat', lambda torch: base(torch, 2, 3, 4).permute(0, 0, 1)),
    ('permute_short', lambda torch: base(torch, 2, 3, 4).permute(0, 1)),
    ('permute_oob', lambda torch: base(torch, 2, 3).permute(0, 2)),
    ('permute_fn', lambda torch: torch.permute(base(torch, 2, 3), (1, 0))),
    ('movedim', lambda torch: base(torch, 2, 3, 4).movedim(0, -1)),
    ('movedim_multi', lambda torch: base(torch, 2, 3, 4, 5).movedim((0, 1), (3, 0))),
    ('movedim_fn', lambda torch: torch.movedim(base(torch, 2, 3, 4), 2, 0)),
    ('moveaxis', lambda torch: torch.moveaxis(base(torch, 2, 3, 4), 1, 2)),
    ('movedim_bad_len', lambda torch: base(torch, 2, 3).movedim((0, 1), (1,))),
    ('movedim_repeat', lambda torch: base(torch, 2, 3).movedim((0, 0), (1, 0))),
    # expand
    ('expand', lambda torch: (lambda b: (b, b.expand(3, 4)))(base(torch, 3, 1))),
    ('expand_new_dims', lambda torch: base(torch, 3).expand(2, 4, 3)),
    ('expand_minus1', lambda torch: base(torch, 3, 1).expand(-1, 5)),
    ('expand_tuple', lambda torch: base(torch, 1, 3).expand((2, 3))),
    ('expand_0d', lambda torch: torch.tensor(7.).expand(2, 2)),
    ('expand_nc', lambda torch: base(torch, 1, 3).t().expand(3, 2)),
    ('expand_to_zero', lambda torch: base(torch, 1, 3).expand(0, 3)),
    ('expand_bad', lambda torch: base(torch, 3, 2).expand(3, 4)),
    ('expand_too_few', lambda torch: base(torch, 3, 2).expand(2)),
    ('expand_lead_minus1', lambda torch: base(torch, 3).expand(-1, 3)),
    ('expand_as', lambda torch: base(torch, 3, 1).expand_as(torch.zeros(2, 3, 4))),
    ('expand_write_raises', lambda torch: base(torch, 3, 1).expand(3, 4).add_(1)),
    ('expand_size1_ok', lambda torch: base(torch, 3, 1).expand(3, 1).add_(1)),
    # squeeze / unsqueeze
    ('squeeze_all', lambda torch: (lambda b: (b, b.squeeze()))(base(torch, 1, 3, 1, 2))),
    ('squeeze_dim', lambda torch: base(torch, 1, 3, 1, 2).squeeze(2)),
    ('squeeze_dim_neg', lambda torch: base(torch, 1, 3, 1, 2).squeeze(-4)),
    ('squeeze_dim_not1', lambda torch: base(torch, 1, 3, 1, 2).squeeze(1)),
    ('squeeze_tuple', lambda torch: base(torch, 1, 3, 1, 2).squeeze((0, 1, 2))),
    ('squeeze_empty_tuple', lambda torch: base(torch, 1, 3).squeeze(())),
    ('squeeze_0d', lambda torch: torch.tensor(4.).squeeze()),
    ('squeeze_0d_dim', lambda torch: torch.tensor(4.).squeeze(0)),
    ('squeeze_oob', lambda torch: base(torch, 1, 3).squeeze(2)),
    ('squeeze_nc', lambda torch: base(torch, 3, 1, 2).permute(2, 1, 0).squeeze()),
    ('squeeze_fn', lambda torch: torch.squeeze(base(torch, 1, 2), 0)),
    ('squeeze_all_ones', lambda torch: base(torch, 1, 1).squeeze()),
    ('unsqueeze_0', lambda torch: (lambda b: (b, b.unsqueeze(0)))(base(torch, 2, 3))),
    ('unsqueeze_end', lambda torch: base(torch, 2, 3).unsqueeze(2)),
    ('unsqueeze_neg', lambda torch: base(torch, 2, 3).unsqueeze(-1)),
    ('unsqueeze_mid_neg', lambda torch: base(torch, 2, 3).unsqueeze(-2)),
    ('unsqueeze_0d', lambda torch: torch.tensor(4.).unsqueeze(0)),
    ('unsqueeze_0d_neg', lambda torch: torch.tensor(4.).unsqueeze(-1)),
    ('unsqueeze_nc', lambda torch: nc(torch).unsqueeze(1)),
    ('unsqueeze_sliced', lambda torch: sliced(torch).unsqueeze(2)),
    ('unsqueeze_empty', lambda torch: torch.zeros(0, 2).unsqueeze(1)),
    ('unsqueeze_oob', lambda torch: base(torch, 2, 3).unsqueeze(3)),
    ('unsqueeze_fn', lambda torch: torch.unsqueeze(base(torch, 2), 1)),
    # flatten / unflatten / ravel
    ('flatten', lambda torch: (lambda b: (b, b.flatten()))(base(torch, 2, 3, 4))),
    ('flatten_range', lambda torch: base(torch, 2, 3, 4, 5).flatten(1, 2)),
    ('flatten_neg', lambda torch: base(torch, 2, 3, 4).flatten(-2)),
    ('flatten_same', lambda torch: (lambda b: (b, b.flatten(1, 1)))(base(torch, 2, 3))),
    ('flatten_0d', lambda torch: torch.tensor(3.).flatten()),
    ('flatten_1d', lambda torch: (lambda b: (b, b.flatten()))(base(torch, 4))),
    ('flatten_nc', lambda torch: (lambda b: (b, b.flatten()))(nc(torch))),
    ('flatten_bad', lambda torch: base(torch, 2, 3, 4).flatten(2, 1)),
    ('flatten_oob', lambda torch: base(torch, 2, 3).flatten(0, 2)),
    ('flatten_fn', lambda torch: torch.flatten(base(torch, 2, 3), 0)),
    ('unflatten', lambda torch: (lambda b: (b, b.unflatten(1, (2, 3))))(base(torch, 2, 6))),
    ('unflatten_minus1', lambda torch: base(torch, 2, 6).unflatten(-1, (-1, 2))),
    ('unflatten_bad', lambda torch: base(torch, 2, 6).unflatten(1, (4, 2))),
    ('unflatten_nc', lambda torch: base(torch, 6, 2).t().unflatten(1, (3, 2))),
    ('unflatten_fn', lambda torch: torch.unflatten(base(torch, 6), 0, (2, 3))),
    ('ravel', lambda torch: (lambda b: (b, b.ravel()))(base(torch, 2, 3))),
    ('ravel_nc', lambda torch: (lambda b: (b, b.ravel()))(nc(torch))),
    ('ravel_fn', lambda torch: torch.ravel(base(torch, 2, 3))),
    # narrow / select / unbind
    ('narrow', lambda torch: (lambda b: (b, b.narrow(1, 1, 2)))(base(torch, 3, 4))),
    ('narrow_neg_start', lambda torch: base(torch, 3, 4).narrow(0, -2, 2)),
    ('narrow_zero_len', lambda torch: base(torch, 3, 4).narrow(1, 4, 0)),
    ('narrow_tensor_start', lambda torch: base(torch, 3, 4).narrow(1, torch.tensor(1), 2)),
    ('narrow_too_long', lambda torch: base(torch, 3, 4).narrow(1, 2, 3)),
    ('narrow_oob_start', lambda torch: base(torch, 3, 4).narrow(1, 5, 0)),
    ('narrow_0d', lambda torch: torch.tensor(1.).narrow(0, 0, 1)),
    ('narrow_fn', lambda torch: torch.narrow(base(torch, 3, 4), -1, 0, 1)),
    ('select', lambda torch: (lambda b: (b, b.select(1, 2)))(base(torch, 3, 4))),
    ('select_neg', lambda torch: base(torch, 3, 4).select(-1, -1)),
    ('select_1d', lambda torch: base(torch, 3).select(0, 1)),
    ('select_nc', lambda torch: nc(torch).select(0, 1)),
    ('select_oob', lambda torch: base(torch, 3, 4).select(0, 3)),
    ('select_bad_dim', lambda torch: base(torch, 3, 4).select(2, 0)),
    ('select_0d', lambda torch: torch.tensor(1.).select(0, 0)),
    ('select_fn', lambda torch: torch.select(base(torch, 3, 4), 0, -3)),
    ('unbind', lambda torch: (lambda b: (b,) + b.unbind())(base(torch, 3, 2))),
    ('unbind_dim1', lambda torch: base(torch, 3, 2).unbind(1)),
    ('unbind_neg', lambda torch: base(torch, 2, 3, 2).unbind(-2)),
    ('unbind_empty', lambda torch: torch.zeros(0, 3).unbind(0)),
    ('unbind_0d', lambda torch: torch.tensor(1.).unbind()),
    ('unbind_fn', lambda torch: torch.unbind(base(torch, 2, 2), 1)),
    # as_strided
    ('as_strided', lambda torch: (lambda b: (b, b.as_strided((2, 2), (1, 2))))(base(torch, 9))),
    ('as_strided_offset', lambda torch: base(torch, 9).as_strided((2, 3), (3, 1), 2)),
    ('as_strided_of_view', lambda torch: base(torch, 9)[3:].as_strided((2,), (2,))),
    ('as_strided_of_view_off', lambda torch: base(torch, 9)[3:].as_strided((2,), (1,), 1)),
    ('as_strided_zero_stride', lambda torch: base(torch, 4).as_strided((3, 2), (0, 1))),
    ('as_strided_oob', lambda torch: base(torch, 4).as_strided((3, 2), (2, 1))),
    ('as_strided_len_mismatch', lambda torch: base(torch, 4).as_strided((2, 2), (1,))),
    ('as_strided_fn', lambda torch: torch.as_strided(base(torch, 6), (3, 2), (2, 1))),
    ('as_strided_window', lambda torch: base(torch, 6).as_strided((4, 3), (1, 1))),
    # detach / contiguous / clone
    ('detach', lambda torch: (lambda b: (b, b.detach()))(base(torch, 2, 3))),
    ('detach_nc', lambda torch: (lambda b: (b, b.detach()))(nc(torch))),
    ('detach_grad', lambda torch: (lambda b: (b, b.detach()))(
        base(torch, 3).requires_grad_() * 2)),
    ('detach_inplace', lambda torch: (lambda y: (y.detach_(), y.requires_grad, y.is_leaf))(
        base(torch, 3).requires_grad_() * 2)),
    ('detach_inplace_view', lambda torch: base(torch, 3)[1:].detach_()),
    ('detach_inplace_grad_view', lambda torch: (base(torch, 3).requires_grad_() * 2)[1:]
        .detach_()),
    ('detach_write', lambda torch: written(torch, lambda t: base(t, 2, 2),
                                           lambda b: b.detach())),
    ('contiguous_same', lambda torch: (lambda b: (b, b.contiguous()))(base(torch, 2, 3))),
    ('contiguous_copy', lambda torch: (lambda b: (b, b.contiguous()))(nc(torch))),
    ('contiguous_sliced', lambda torch: (lambda b: (b, b.contiguous()))(sliced(torch))),
    ('clone', lambda torch: (lambda b: (b, b.clone()))(base(torch, 2, 3))),
    ('clone_nc_preserves', lambda torch: nc(torch).clone()),
    ('clone_sliced', lambda torch: sliced(torch).clone()),
    ('clone_permuted', lambda torch: base(torch, 2, 3, 4).permute(2, 0, 1).clone()),
    ('clone_contig_format', lambda torch: nc(torch).clone(
        memory_format=torch.contiguous_format)),
    ('clone_expanded', lambda torch: base(torch, 3, 1).expand(3, 4).clone()),
    # basic slicing
    ('slice_int', lambda torch: (lambda b: (b, b[1]))(base(torch, 3, 4))),
    ('slice_neg_int', lambda torch: base(torch, 3, 4)[-1]),
    ('slice_range', lambda torch: (lambda b: (b, b[1:]))(base(torch, 3, 4))),
    ('slice_step', lambda torch: base(torch, 10)[1:8:3]),
    ('slice_2d', lambda torch: base(torch, 4, 5)[1:3, ::2]),
    ('slice_none', lambda torch: base(torch, 3, 4)[1:, None]),
    ('slice_none_first', lambda torch: base(torch, 3, 4)[None]),
    ('slice_none_last', lambda torch: base(torch, 3, 4)[..., None]),
    ('slice_none_mid', lambda torch: base(torch, 3, 4)[:, None, :]),
    ('slice_ellipsis', lambda torch: base(torch, 2, 3, 4)[..., 1]),
    ('slice_ellipsis_mid', lambda torch: base(torch, 2, 3, 4)[0, ..., 1:]),
    ('slice_ellipsis_only', lambda torch: (lambda b: (b, b[...]))(base(torch, 2, 3))),
    ('slice_all_ints', lambda torch: base(torch, 2, 3)[1, 2]),
    ('slice_0d_none', lambda torch: torch.tensor(5.)[None]),
    ('slice_0d_ellipsis', lambda torch: torch.tensor(5.)[...]),
    ('slice_empty', lambda torch: base(torch, 4)[3:1]),
    ('slice_beyond', lambda torch: base(torch, 4)[2:100]),
    ('slice_neg_bounds', lambda torch: base(torch, 6)[-4:-1]),
    ('slice_nc', lambda torch: nc(torch)[1:, 1]),
    ('slice_of_slice', lambda torch: sliced(torch)[1:, 1:]),
    ('slice_neg_step', lambda torch: base(torch, 4)[::-1]),
    ('slice_zero_step', lambda torch: base(torch, 4)[::0]),
    ('slice_oob_int', lambda torch: base(torch, 3, 4)[3]),
    ('slice_too_many', lambda torch: base(torch, 3)[0, 0]),
    ('slice_int_tensor', lambda torch: base(torch, 3, 4)[torch.tensor(1)]),
    ('slice_0d_int', lambda torch: torch.tensor(5.)[0]),
    ('slice_bool_int', lambda torch: base(torch, 3, 2)[1, True]),
    # writes through views show in the base and in other views
    ('write_view', lambda torch: written(torch, lambda t: base(t, 2, 3),
                                         lambda b: b.view(-1)[4:])),
    ('write_transpose', lambda torch: written(torch, lambda t: base(t, 2, 3),
                                              lambda b: b.t()[1:])),
    ('write_permute', lambda torch: written(torch, lambda t: base(t, 2, 3, 4),
                                            lambda b: b.permute(2, 1, 0)[1])),
    ('write_squeeze', lambda torch: written(torch, lambda t: base(t, 1, 3),
                                            lambda b: b.squeeze()[2:])),
    ('write_unsqueeze', lambda torch: written(torch, lambda t: base(t, 3),
                                              lambda b: b.unsqueeze(0)[:, 1:])),
    ('write_narrow', lambda torch: written(torch, lambda t: base(t, 3, 4),
                                           lambda b: b.narrow(1, 2, 2))),
    ('write_select', lambda torch: written(torch, lambda t: base(t, 3, 4),
                                           lambda b: b.select(1, 3))),
    ('write_unbind', lambda torch: written(torch, lambda t: base(t, 3, 4),
                                           lambda b: b.unbind(1)[2])),
    ('write_diag_as_strided', lambda torch: written(torch, lambda t: base(t, 3, 3),
                                                    lambda b: b.as_strided((3,), (4,), 4))),
    ('write_flatten', lambda torch: written(torch, lambda t: base(t, 2, 3),
                                            lambda b: b.flatten()[5:])),
    ('write_view_dtype', lambda torch: written(torch, lambda t: base(t, 2),
                                               lambda b: b.view(torch.int32), 0)),
    ('write_movedim', lambda torch: written(torch, lambda t: base(t, 2, 3),
                                            lambda b: b.movedim(1, 0)[2])),
    ('write_reshape_copy', lambda torch: written(torch, lambda t: base(t, 2, 3).t(),
                                                 lambda b: b.reshape(-1))),
    ('write_two_views', lambda torch: (lambda b: (lambda v1, v2: (
        write_first(torch, v1[1:], 9), b, v1, v2))(b.view(-1), b.t()))(base(torch, 2, 2))),
    ('write_base_seen', lambda torch: (lambda b: (lambda v: (
        write_first(torch, b, 9), v))(b.t().unsqueeze(0)))(base(torch, 2, 2))),
    ('write_inplace_op', lambda torch: (lambda b: (lambda v: (
        v.mul_(10), b))(b[:, 1]))(base(torch, 3, 3))),
    # int / bool / half dtypes keep their dtype through views
    ('int_views', lambda torch: (lambda b: (b.t(), b.view(6), b[1:], b.unsqueeze(1)))(
        base(torch, 2, 3, dtype=torch.int64))),
    ('bool_views', lambda torch: (lambda b: (b.t(), b.view(4), b[1], b.expand(3, 2, 2)))(
        torch.tensor([[True, False], [False, True]]))),
    ('half_views', lambda torch: (lambda b: (b.t(), b.reshape(-1), b.squeeze()))(
        base(torch, 1, 2, 3, dtype=torch.float16))),
    ('f64_views', lambda torch: (lambda b: (b.T, b.flatten(), b.narrow(0, 1, 1)))(
        base(torch, 2, 3, dtype=torch.float64))),
    ('views_of_views', lambda torch: base(torch, 2, 3, 4).transpose(0, 1)[1:]
        .unsqueeze(-1).squeeze(0).reshape(2, 4)),
    # _base / _is_view bookkeeping
    ('is_view', lambda torch: (lambda b: [v._is_view() for v in (b, b.t(), b[0], b.view(-1),
                                                                 b.reshape(-1), b.detach(),
                                                                 b.t().reshape(-1))])(
        base(torch, 2, 3))),
    ('base_identity', lambda torch: (lambda b: [v._base is b for v in (
        b.t(), b[0].unsqueeze(0), b.view(6)[1:], b.detach())])(base(torch, 2, 3))),
]


@requires_torch
@pytest.mark.parametrize('name,fn', VIEW_CASES, ids=[c[0] for c in VIEW_CASES])
@pytest.mark.filterwarnings('ignore:The use of `x.T`')
@pytest.mark.filterwarnings('ignore:Tensor.T is deprecated')
def test_view_oracle(name, fn):
    check(fn)


@pytest.mark.parametrize('shape', [(3,), ()])
def test_T_on_non_matrix_warns(shape):
    with pytest.warns(UserWarning, match='deprecated'):
        ember.zeros(shape).T


GRAD_CASES = [
    ('view', lambda x: x.view(3, 4), (2, 6)),
    ('view_minus1', lambda x: x.view(-1), (2, 6)),
    ('reshape_view', lambda x: x.reshape(4, 3), (2, 6)),
    ('reshape_copy', lambda x: x.t().reshape(-1), (2, 6)),
    ('transpose', lambda x: x.transpose(0, 1), (2, 3)),
    ('t', lambda x: x.t(), (2, 3)),
    ('T', lambda x: x.permute(2, 1, 0), (2, 3, 4)),
    ('mT', lambda x: x.mT, (2, 3, 4)),
    ('permute', lambda x: x.permute(2, 0, 1), (2, 3, 4)),
    ('expand', lambda x: x.expand(2, 3, 4), (3, 1)),
    ('squeeze', lambda x: x.squeeze(), (1, 3, 1)),
    ('squeeze_dim', lambda x: x.squeeze(0), (1, 3, 1)),
    ('squeeze_dims', lambda x: x.squeeze((0, 2)), (1, 3, 1)),
    ('unsqueeze', lambda x: x.unsqueeze(1), (2, 3)),
    ('flatten', lambda x: x.flatten(), (2, 3)),
    ('unflatten', lambda x: x.unflatten(1, (2, 3)), (2, 6)),
    ('narrow', lambda x: x.narrow(1, 1, 2), (3, 4)),
    ('select', lambda x: x.select(0, 1), (3, 4)),
    ('unbind', lambda x: x.unbind(1)[1], (3, 4)),
    ('movedim', lambda x: x.movedim(0, 2), (2, 3, 4)),
    ('as_strided', lambda x: x.as_strided((3, 3), (1, 1)), (6,)),
    ('slice', lambda x: x[1:, None, ::2], (3, 4)),
    ('slice_int', lambda x: x[..., 1], (3, 4)),
    ('clone', lambda x: x.clone(), (2, 3)),
    ('contiguous', lambda x: x.t().contiguous(), (2, 3)),
    ('view_as', lambda x: x.view_as(x.new_zeros(6)), (2, 3)),
    ('ravel', lambda x: x.ravel(), (2, 3)),
]


@requires_torch
@pytest.mark.parametrize('name,fn,shape', GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_view_grad_oracle(name, fn, shape):
    check(lambda torch: (lambda y: (y, y.grad_fn.name() if y.grad_fn else None))(
        fn(base(torch, *shape).requires_grad_())))
    check(lambda torch: grad_of(torch, fn, base(torch, *shape, dtype=torch.float64)))


@pytest.mark.parametrize('name,fn,shape', GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_view_gradcheck(name, fn, shape):
    x = ember.randn(*shape, dtype=ember.float64, requires_grad=True)
    # contiguous(): gradcheck fills its one-hot output gradients through a flat reshape
    assert ember.autograd.gradcheck(lambda t: fn(t).contiguous(), (x,))


# ---------------------------------------------------------------------------------------
# Self-contained checks (no torch needed)
# ---------------------------------------------------------------------------------------
def test_view_shares_memory_and_strides():
    x = ember.arange(12.).view(3, 4)
    assert x.stride() == (4, 1)
    t = x.t()
    assert t.stride() == (1, 4) and not t.is_contiguous()
    assert t.data_ptr() == x.data_ptr()
    s = x[1:, 2:]
    assert s.storage_offset() == 6 and s.stride() == (4, 1)
    assert s.data_ptr() == x.data_ptr() + 6 * 4
    s[0, 0] = 100.
    assert x[1, 2].item() == 100.
    assert t[2, 1].item() == 100.


def test_view_refuses_incompatible_layout():
    t = ember.arange(6.).view(2, 3).t()
    with pytest.raises(RuntimeError, match=r'\.reshape'):
        t.view(6)
    r = t.reshape(6)
    assert r.tolist() == [0., 3., 1., 4., 2., 5.]
    assert r.data_ptr() != t.data_ptr()


def test_expanded_write_raises():
    e = ember.zeros(3, 1).expand(3, 4)
    assert e.stride() == (1, 0)
    with pytest.raises(RuntimeError, match='unsupported operation'):
        e.add_(1)


def test_negative_step_raises_value_error():
    with pytest.raises(ValueError, match='step must be greater than zero'):
        ember.arange(4)[::-1]


def test_unsqueeze_strides_of_size1_dims():
    # NumPy reports other strides for size-1 dims: ember reports PyTorch's.
    x = ember.arange(6.).view(2, 3)
    assert x.unsqueeze(0).stride() == (6, 3, 1)
    assert x.unsqueeze(2).stride() == (3, 1, 1)
    assert x.t().unsqueeze(1).stride() == (1, 6, 3)
    assert x[None].stride() == (6, 3, 1)


def test_as_strided_values():
    x = ember.arange(9.)
    w = x.as_strided((3, 3), (1, 1))
    np.testing.assert_array_equal(w.numpy(), [[0, 1, 2], [1, 2, 3], [2, 3, 4]])
    d = x.view(3, 3).as_strided((3,), (4,))
    assert d.tolist() == [0., 4., 8.]


GRADGRAD_CASES = ['view', 'reshape_copy', 'transpose', 'permute', 'expand', 'squeeze_dims',
                  'unsqueeze', 'narrow', 'select', 'as_strided', 'slice']


@pytest.mark.parametrize('name', GRADGRAD_CASES)
def test_view_gradgradcheck(name):
    """Second derivatives: gradcheck of the (create_graph) first gradient of sum(fn(x)**2 * g)."""
    fn, shape = next((f, s) for n, f, s in GRAD_CASES if n == name)
    x = ember.randn(*shape, dtype=ember.float64, requires_grad=True)
    g = ember.randn(*fn(x).shape, dtype=ember.float64, requires_grad=True)

    def first_grad(x, g):
        y = fn(x)
        (dx,) = ember.autograd.grad((y * y * g).sum(), x, create_graph=True)
        return dx.contiguous()
    assert ember.autograd.gradcheck(first_grad, (x, g))


def test_as_strided_overlapping_grad():
    # Windows of length 3 over 5 elements: element i is read by min(i + 1, 3, 5 - i) windows.
    x = ember.ones(5, dtype=ember.float64, requires_grad=True)
    x.as_strided((3, 3), (1, 1)).sum().backward()
    assert x.grad.tolist() == [1., 2., 3., 2., 1.]
