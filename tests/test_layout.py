"""Property tests of ember/_layout.py (pure stride arithmetic) against PyTorch and NumPy.

Hypothesis draws random layouts (a contiguous base, permuted, sliced with steps, with size-1
and size-0 dims) and a random target shape with the same element count; PyTorch's ``view``
decides whether the layout can be reinterpreted and with which strides.
"""
import numpy as np
import pytest

from oracle import check
from hypothesis import given, settings, strategies as st, HealthCheck

from ember import _layout

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

requires_torch = pytest.mark.skipif(torch is None, reason='PyTorch is not installed')
SETTINGS = settings(max_examples=80, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _factorizations(n, parts, draw):
    """A random shape of ``parts`` dims whose product is ``n`` (n > 0), with some 1s."""
    shape = []
    rest = n
    for _ in range(parts - 1):
        divisors = [d for d in range(1, rest + 1) if rest % d == 0]
        d = draw(st.sampled_from(divisors))
        shape.append(d)
        rest //= d
    shape.append(rest)
    return tuple(draw(st.permutations(shape)))


@st.composite
def layouts(draw, allow_empty=False):
    """(base shape, permutation, slices) describing a strided view of a contiguous base."""
    ndim = draw(st.integers(0, 4))
    low = 0 if allow_empty else 1
    shape = tuple(draw(st.lists(st.integers(low, 4), min_size=ndim, max_size=ndim)))
    perm = tuple(draw(st.permutations(range(ndim))))
    slices = []
    for d in perm:
        size = shape[d]
        start = draw(st.integers(0, max(size - 1, 0)))
        stop = draw(st.integers(start + (0 if allow_empty else 1), max(size, start + 1)))
        step = draw(st.integers(1, 3))
        slices.append(slice(start, stop, step))
    return shape, perm, tuple(slices)


def _torch_tensor(layout):
    shape, perm, slices = layout
    n = int(np.prod(shape, dtype=np.int64))
    return torch.arange(n, dtype=torch.float32).reshape(shape).permute(perm)[slices]


def _numpy_array(layout):
    shape, perm, slices = layout
    n = int(np.prod(shape, dtype=np.int64))
    return np.arange(n, dtype=np.float32).reshape(shape).transpose(perm)[slices]


@st.composite
def layout_and_target(draw):
    layout = draw(layouts())
    shape, perm, slices = layout
    sizes = [len(range(*s.indices(shape[d]))) for s, d in zip(slices, perm)]
    numel = int(np.prod(sizes, dtype=np.int64))
    parts = draw(st.integers(0 if numel == 1 else 1, 5))
    target = _factorizations(numel, parts, draw) if parts else ()
    return layout, target


# ---------------------------------------------------------------------------------------
# against PyTorch
# ---------------------------------------------------------------------------------------
@requires_torch
@SETTINGS
@given(layout_and_target())
def test_view_strides_match_torch_view(case):
    layout, target = case
    t = _torch_tensor(layout)
    ours = _layout.view_strides(tuple(t.shape), t.stride(), target)
    try:
        expected = t.view(target).stride()
    except RuntimeError:
        expected = None
    assert ours == expected, (tuple(t.shape), t.stride(), target)


@requires_torch
@SETTINGS
@given(layouts(allow_empty=True))
def test_is_contiguous_matches_torch(layout):
    t = _torch_tensor(layout)
    assert _layout.is_contiguous(tuple(t.shape), t.stride()) == t.is_contiguous()


@requires_torch
@SETTINGS
@given(st.lists(st.integers(0, 4), max_size=5))
def test_contiguous_strides_match_torch(shape):
    assert _layout.contiguous_strides(tuple(shape)) == torch.empty(shape).stride()


@requires_torch
@SETTINGS
@given(layouts(allow_empty=True), st.lists(st.integers(0, 4), max_size=5))
def test_empty_view_strides_match_torch(layout, target):
    t = _torch_tensor(layout)
    if t.numel() != int(np.prod(target, dtype=np.int64)):
        return
    try:
        expected = t.view(target).stride()
    except RuntimeError:
        expected = None
    assert _layout.view_strides(tuple(t.shape), t.stride(), tuple(target)) == expected


broadcastable_shapes = st.lists(st.lists(st.sampled_from([0, 1, 2, 3]), max_size=4),
                                min_size=1, max_size=4)


@requires_torch
@SETTINGS
@given(broadcastable_shapes)
def test_broadcast_shapes_match_torch(shapes):
    try:
        expected = tuple(torch.broadcast_shapes(*shapes))
    except RuntimeError:
        expected = None
    try:
        ours = _layout.broadcast_shapes(*shapes)
    except RuntimeError:
        ours = None
    assert ours == expected


@requires_torch
@SETTINGS
@given(st.lists(st.integers(0, 4), max_size=4), st.data())
def test_infer_size_matches_torch(shape, data):
    numel = int(np.prod(shape, dtype=np.int64))
    target = data.draw(st.lists(st.sampled_from([-1, 0, 1, 2, 3, 4, 6, 12]), max_size=4))
    t = torch.empty(shape)
    try:
        expected = tuple(t.view(target).shape)
    except RuntimeError:
        expected = None
    try:
        ours = _layout.infer_size(tuple(target), numel)
    except RuntimeError:
        ours = None
    assert ours == expected


@requires_torch
@SETTINGS
@given(st.integers(-6, 6), st.integers(0, 4))
def test_normalize_dim_matches_torch(dim, ndim):
    # sum(dim) wraps dims like every reduction (0-d tensors accept -1 and 0).
    try:
        torch.empty((1,) * ndim).sum(dim)
        expected = dim % max(ndim, 1)
    except IndexError:
        expected = None
    try:
        ours = _layout.normalize_dim(dim, ndim)
    except IndexError:
        ours = None
    assert ours == expected


# ---------------------------------------------------------------------------------------
# against NumPy (no torch needed)
# ---------------------------------------------------------------------------------------
needs_reshape_copy = pytest.mark.skipif(
    tuple(int(v) for v in np.__version__.split('.')[:2]) < (2, 1),
    reason='np.reshape(copy=False) needs NumPy 2.1')


@needs_reshape_copy
@SETTINGS
@given(layout_and_target())
def test_view_legality_matches_numpy_no_copy_reshape(case):
    layout, target = case
    a = _numpy_array(layout)
    strides = tuple(s // a.itemsize for s in a.strides)
    ours = _layout.view_strides(a.shape, strides, target)
    try:
        reshaped = np.reshape(a, target, copy=False)
    except ValueError:
        reshaped = None
    assert (ours is None) == (reshaped is None)
    if reshaped is not None:
        # Strides of size-1 dims may differ from NumPy's; the others must agree.
        theirs = tuple(s // a.itemsize for s in reshaped.strides)
        assert [s for s, n in zip(ours, target) if n != 1] == \
            [s for s, n in zip(theirs, target) if n != 1]


@SETTINGS
@given(layouts(allow_empty=True))
def test_is_contiguous_matches_numpy_flags(layout):
    a = _numpy_array(layout)
    strides = tuple(s // a.itemsize for s in a.strides)
    # NumPy ignores strides of size-1 dims too, and calls empty arrays contiguous.
    assert _layout.is_contiguous(a.shape, strides) == a.flags.c_contiguous


@SETTINGS
@given(broadcastable_shapes)
def test_broadcast_shapes_match_numpy(shapes):
    try:
        expected = np.broadcast_shapes(*[tuple(s) for s in shapes])
    except ValueError:
        expected = None
    try:
        ours = _layout.broadcast_shapes(*shapes)
    except RuntimeError:
        ours = None
    assert ours == expected


@SETTINGS
@given(st.lists(st.integers(0, 4), max_size=5))
def test_contiguous_strides_by_hand(shape):
    strides = _layout.contiguous_strides(tuple(shape))
    assert _layout.is_contiguous(tuple(shape), strides)
    expected = 1
    for size, stride in zip(reversed(shape), reversed(strides)):
        assert stride == expected
        expected *= max(size, 1)


def test_view_strides_examples():
    assert _layout.view_strides((2, 3), (3, 1), (6,)) == (1,)
    assert _layout.view_strides((2, 3), (1, 2), (6,)) is None          # transposed
    assert _layout.view_strides((3, 2), (1, 3), (3, 2, 1)) == (1, 3, 3)
    assert _layout.view_strides((), (), (1, 1)) == (1, 1)
    assert _layout.view_strides((4,), (2,), (2, 2)) == (4, 2)           # every other element
    assert _layout.view_strides((0, 3), (3, 1), (3, 0)) == (1, 1)


def test_infer_size_errors():
    assert _layout.infer_size((-1, 3), 6) == (2, 3)
    with pytest.raises(RuntimeError, match='only one dimension can be inferred'):
        _layout.infer_size((-1, -1), 6)
    with pytest.raises(RuntimeError, match=r"shape '\[4, 2\]' is invalid for input of size 6"):
        _layout.infer_size((4, 2), 6)
    with pytest.raises(RuntimeError, match='ambiguous'):
        _layout.infer_size((0, -1), 0)
    with pytest.raises(RuntimeError, match='invalid shape dimension -2'):
        _layout.infer_size((-2, 3), 6)


def test_normalize_dims_repeated():
    assert _layout.normalize_dims((0, -1), 3) == (0, 2)
    with pytest.raises(RuntimeError, match='appears multiple times'):
        _layout.normalize_dims((0, -3), 3)
    with pytest.raises(IndexError, match=r'range of \[-3, 2\], but got 3'):
        _layout.normalize_dim(3, 3)


# ---------------------------------------------------------------------------------------
# memory formats: clone / contiguous / to(memory_format=...) and Module.to
# ---------------------------------------------------------------------------------------
def _nchw(torch):
    return torch.arange(48.0).reshape(2, 2, 3, 4)


MEMORY_FORMAT_CASES = [
    ('contiguous_channels_last', lambda torch: _nchw(torch).contiguous(
        memory_format=torch.channels_last)),
    ('clone_channels_last', lambda torch: _nchw(torch).clone(memory_format=torch.channels_last)),
    ('to_channels_last', lambda torch: _nchw(torch).to(memory_format=torch.channels_last)),
    ('to_dtype_and_channels_last', lambda torch: _nchw(torch).to(
        torch.float64, memory_format=torch.channels_last)),
    ('channels_last_is_kept_by_elementwise', lambda torch: _nchw(torch).to(
        memory_format=torch.channels_last) * 2),
    ('channels_last_back_to_contiguous', lambda torch: _nchw(torch).to(
        memory_format=torch.channels_last).contiguous()),
    ('clone_preserves_channels_last', lambda torch: _nchw(torch).to(
        memory_format=torch.channels_last).clone()),
    ('clone_contiguous_format', lambda torch: _nchw(torch).to(
        memory_format=torch.channels_last).clone(memory_format=torch.contiguous_format)),
    ('is_contiguous_flags', lambda torch: [
        (t.is_contiguous(), t.is_contiguous(memory_format=torch.channels_last))
        for t in (_nchw(torch), _nchw(torch).to(memory_format=torch.channels_last))]),
    ('channels_last_3d', lambda torch: torch.arange(48.0).reshape(1, 2, 3, 4, 2).contiguous(
        memory_format=torch.channels_last_3d)),
    ('channels_last_3d_flag', lambda torch: torch.ones(1, 2, 3, 4, 2).contiguous(
        memory_format=torch.channels_last_3d).is_contiguous(
        memory_format=torch.channels_last_3d)),
    ('already_channels_last_returns_self', lambda torch: (lambda t: t.contiguous(
        memory_format=torch.channels_last) is t)(_nchw(torch).to(
            memory_format=torch.channels_last))),
    ('grad_through_channels_last_clone', lambda torch: (lambda x: (
        x.clone(memory_format=torch.channels_last) * torch.arange(48.0).reshape(2, 2, 3, 4)
    ).sum().backward() or x.grad)(_nchw(torch).requires_grad_())),
    ('wrong_rank', lambda torch: torch.ones(2, 3).contiguous(memory_format=torch.channels_last)),
    ('wrong_rank_3d', lambda torch: torch.ones(2, 3, 4, 5).to(
        memory_format=torch.channels_last_3d)),
    ('module_to_channels_last', lambda torch: [p.stride() for p in torch.nn.Conv2d(
        3, 4, 3).to(memory_format=torch.channels_last).parameters()]),
]


@pytest.mark.parametrize('name,fn', MEMORY_FORMAT_CASES, ids=[c[0] for c in MEMORY_FORMAT_CASES])
def test_memory_formats_match_pytorch(name, fn):
    check(fn)
