"""The oracle: run one snippet on PyTorch and on ember and compare everything visible.

A snippet is a function of the library module (``lambda torch: torch.ones(2).t()``). Its
result may be a tensor, a number, a string, a dtype/device/Size, or nested tuples/lists/dicts
of these. Compared: values (exact for ints/bools, with tolerance for floats), dtype, shape,
strides, storage offset, requires_grad, is_leaf, grad_fn name, printed form (``torch.`` ->
``ember.``), which returned tensors share storage with each other, and, when the snippet
raises, the exception type (and optionally the message).

Tests skip when torch is not importable.
"""
import numpy as np
import pytest

import ember

try:
    import torch
except ImportError:  # pragma: no cover - CI installs torch
    torch = None

requires_torch = pytest.mark.skipif(torch is None, reason='PyTorch is not installed')


def _run(fn, lib):
    try:
        return fn(lib), None
    except Exception as error:  # noqa: BLE001 - the oracle compares exceptions
        return None, error


def _flatten(obj, out):
    if isinstance(obj, (tuple, list)):
        for item in obj:
            _flatten(item, out)
    elif isinstance(obj, dict):
        for item in obj.values():
            _flatten(item, out)
    else:
        out.append(obj)
    return out


def _to_numpy(t):
    if isinstance(t, ember.Tensor):
        data = t.detach().cpu()._data
    else:
        t = t.detach().cpu()
        if t.dtype == torch.bfloat16:
            return t.float().numpy().astype(np.float64)
        data = t.resolve_conj().numpy()
    if data.dtype.name == 'bfloat16':
        return data.astype(np.float64)
    return data


def _storage_ptr(t):
    return t.untyped_storage().data_ptr()


def assert_same(e, t, *, rtol=1.3e-6, atol=1e-5, check_stride=True, check_repr=True,
                check_sharing=True, path='result'):
    """Assert that ember's result ``e`` matches PyTorch's result ``t``."""
    if torch is not None and isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f'{path}: expected a Tensor, got {type(e)}'
        assert tuple(e.shape) == tuple(t.shape), f'{path}: shape {e.shape} != {t.shape}'
        assert str(e.dtype) == str(t.dtype).replace('torch.', 'ember.'), \
            f'{path}: dtype {e.dtype} != {t.dtype}'
        assert str(e.device.type) == t.device.type, f'{path}: device {e.device} != {t.device}'
        if check_stride:
            assert e.stride() == t.stride(), f'{path}: stride {e.stride()} != {t.stride()}'
            assert e.storage_offset() == t.storage_offset(), \
                f'{path}: storage_offset {e.storage_offset()} != {t.storage_offset()}'
            assert e.is_contiguous() == t.is_contiguous(), f'{path}: is_contiguous differs'
        assert e.requires_grad == t.requires_grad, f'{path}: requires_grad differs'
        assert e.is_leaf == t.is_leaf, f'{path}: is_leaf differs'
        e_fn = None if e.grad_fn is None else e.grad_fn.name()
        t_fn = None if t.grad_fn is None else t.grad_fn.name()
        assert e_fn == t_fn, f'{path}: grad_fn {e_fn} != {t_fn}'
        ev, tv = _to_numpy(e), _to_numpy(t)
        if tv.dtype.kind in 'fc':
            np.testing.assert_allclose(ev, tv, rtol=rtol, atol=atol, equal_nan=True,
                                       err_msg=f'{path}: values differ')
        else:
            np.testing.assert_array_equal(ev, tv, err_msg=f'{path}: values differ')
        if check_repr:
            assert repr(e) == repr(t).replace('torch.', 'ember.'), \
                f'{path}: repr differs:\n{e!r}\n{t!r}'
        return
    if isinstance(t, (tuple, list)):
        assert isinstance(e, (tuple, list)), f'{path}: expected a sequence, got {type(e)}'
        assert len(e) == len(t), f'{path}: length {len(e)} != {len(t)}'
        if type(t).__module__ == 'torch.return_types':
            assert type(e).__name__ == type(t).__name__, f'{path}: return type differs'
        for i, (ei, ti) in enumerate(zip(e, t)):
            assert_same(ei, ti, rtol=rtol, atol=atol, check_stride=check_stride,
                        check_repr=check_repr, check_sharing=False, path=f'{path}[{i}]')
    elif isinstance(t, dict):
        assert list(e.keys()) == list(t.keys()), f'{path}: keys differ'
        for k in t:
            assert_same(e[k], t[k], rtol=rtol, atol=atol, check_stride=check_stride,
                        check_repr=check_repr, check_sharing=False, path=f'{path}[{k!r}]')
    elif torch is not None and isinstance(t, (torch.dtype, torch.device, torch.Size)):
        assert repr(e) == repr(t).replace('torch.', 'ember.'), f'{path}: {e!r} != {t!r}'
    elif isinstance(t, float):
        assert isinstance(e, float), f'{path}: expected float, got {type(e).__name__}'
        np.testing.assert_allclose(e, t, rtol=rtol, atol=atol, equal_nan=True)
    elif isinstance(t, str):
        assert e == t.replace('torch.', 'ember.'), f'{path}: {e!r} != {t!r}'
    else:
        assert type(e) is type(t), f'{path}: type {type(e).__name__} != {type(t).__name__}'
        assert e == t, f'{path}: {e!r} != {t!r}'
    if check_sharing:
        e_tensors = [x for x in _flatten(e, []) if isinstance(x, ember.Tensor)]
        t_tensors = [x for x in _flatten(t, []) if isinstance(x, torch.Tensor)]
        e_share = [[_storage_ptr(a) == _storage_ptr(b) for b in e_tensors] for a in e_tensors]
        t_share = [[_storage_ptr(a) == _storage_ptr(b) for b in t_tensors] for a in t_tensors]
        assert e_share == t_share, f'{path}: storage sharing differs: {e_share} != {t_share}'


def check(fn, *, rtol=1.3e-6, atol=1e-5, check_stride=True, check_repr=True,
          check_sharing=True, match_message=False):
    """Run ``fn(torch)`` and ``fn(ember)`` and assert that everything visible agrees."""
    if torch is None:
        pytest.skip('PyTorch is not installed')
    t_out, t_err = _run(fn, torch)
    e_out, e_err = _run(fn, ember)
    if t_err is not None:
        assert e_err is not None, f'PyTorch raised {type(t_err).__name__}: {t_err}; ember ' \
                                  f'returned {e_out!r}'
        assert type(e_err) is type(t_err) or isinstance(e_err, type(t_err)), \
            f'PyTorch raised {type(t_err).__name__}({t_err}); ember raised ' \
            f'{type(e_err).__name__}({e_err})'
        if match_message:
            assert str(e_err).replace('ember.', 'torch.') == str(t_err), \
                f'messages differ:\n{e_err}\n{t_err}'
        return
    if e_err is not None:
        raise AssertionError(f'ember raised {type(e_err).__name__}: {e_err}; PyTorch returned '
                             f'{t_out!r}') from e_err
    assert_same(e_out, t_out, rtol=rtol, atol=atol, check_stride=check_stride,
                check_repr=check_repr, check_sharing=check_sharing)


def printed(fn):
    """What ``fn(lib)`` prints (for comparing printed output of whole snippets)."""
    import contextlib
    import io
    buffers = {}
    for lib in (torch, ember):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            fn(lib)
        buffers[lib.__name__] = buf.getvalue()
    return buffers['ember'], buffers['torch'].replace('torch.', 'ember.')
