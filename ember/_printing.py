"""Printing tensors exactly as PyTorch does: ``repr``/``str`` and the print options.

The output must match PyTorch character for character, so the rules below follow PyTorch's
printer: one formatter per tensor (two for complex: real and imaginary parts) decides the
style (integer-valued floats as ``1.``, fixed point with ``precision`` digits, or scientific
notation) and a common column width from the values that will be shown; then the nested
brackets are built row by row, wrapping each row at ``linewidth``.

Large tensors are summarised *before* anything is formatted: only the ``edgeitems`` first and
last entries of each long dimension are ever turned into strings, and the statistics that
choose the style are NumPy reductions, so printing a huge tensor costs about as much as
printing a small one.
"""
import contextlib
import math

import numpy as np

from . import _dtype

__all__ = ['set_printoptions', 'get_printoptions', 'printoptions', 'tensor_repr']


class _PrintOptions:
    __slots__ = ('precision', 'threshold', 'edgeitems', 'linewidth', 'sci_mode')

    def __init__(self):
        self.precision = 4
        self.threshold = 1000
        self.edgeitems = 3
        self.linewidth = 80
        self.sci_mode = None


_OPTS = _PrintOptions()

# profile name -> (precision, threshold, edgeitems, linewidth)
_PROFILES = {
    'default': (4, 1000, 3, 80),
    'short': (2, 1000, 2, 80),
    'full': (4, math.inf, 3, 80),
}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    r"""Set options for printing tensors.

    Args:
        precision: Number of digits of precision for floating point output (default = 4).
        threshold: Total number of array elements which trigger summarization rather than
            full ``repr`` (default = 1000).
        edgeitems: Number of array items in summary at beginning and end of each dimension
            (default = 3).
        linewidth: The number of characters per line for the purpose of inserting line
            breaks (default = 80). Thresholded matrices will ignore this parameter.
        profile: Sane defaults for pretty printing. Can override with any of the above
            options. (any one of ``default``, ``short``, ``full``)
        sci_mode: Enable (True) or disable (False) scientific notation. If None (default)
            is specified, the value is chosen automatically from the values printed.

    Example::

        >>> torch.set_printoptions(precision=2)
        >>> torch.tensor([2.71828])
        tensor([2.72])
        >>> torch.set_printoptions(threshold=5, edgeitems=2)
        >>> torch.arange(10)
        tensor([0, 1,  ..., 8, 9])
        >>> torch.set_printoptions(profile='default')   # back to the defaults
        >>> torch.tensor([2.71828])
        tensor([2.7183])
    """
    if profile is not None and profile in _PROFILES:
        # PyTorch silently ignores an unknown profile name; so do we.
        (_OPTS.precision, _OPTS.threshold, _OPTS.edgeitems,
         _OPTS.linewidth) = _PROFILES[profile]
    if precision is not None:
        _OPTS.precision = precision
    if threshold is not None:
        _OPTS.threshold = threshold
    if edgeitems is not None:
        _OPTS.edgeitems = edgeitems
    if linewidth is not None:
        _OPTS.linewidth = linewidth
    # Unlike the other options, sci_mode is always assigned: passing nothing resets it to
    # automatic, as in PyTorch.
    _OPTS.sci_mode = sci_mode


def get_printoptions():
    r"""Gets the current options for printing, as a dictionary that can be passed as
    ``**kwargs`` to :func:`set_printoptions`."""
    return {'precision': _OPTS.precision, 'threshold': _OPTS.threshold,
            'edgeitems': _OPTS.edgeitems, 'linewidth': _OPTS.linewidth,
            'sci_mode': _OPTS.sci_mode}


@contextlib.contextmanager
def printoptions(**kwargs):
    r"""Context manager that temporarily changes the print options. Accepted arguments are
    the same as :func:`set_printoptions`."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


# ---------------------------------------------------------------------------------------
# Formatters
# ---------------------------------------------------------------------------------------
# Below this many values the statistics are gathered in plain Python, which beats the fixed
# cost of a dozen NumPy calls; above it NumPy reductions do the work.
_SMALL = 64


def _float_stats(values):
    """Statistics of the nonzero finite entries of a float64 array.

    Returns None when there are none, else ``(int_mode, abs_min, abs_max, extremes)``:
    ``int_mode`` is whether every such entry is integer-valued and ``extremes`` are the
    smallest and largest entries of each sign. The printed length of a value in any of the
    three styles only grows with its magnitude (for sci notation, with the size of its
    exponent, which is largest at one end or the other), so the widest string is always
    that of one of these extremes.
    """
    if values.size <= _SMALL:
        # `v - v == 0` is False exactly for inf and nan; `v` is falsy for +-0.
        nz = [v for v in values.ravel().tolist() if v and v - v == 0]
        if not nz:
            return None
        pos = [v for v in nz if v > 0]
        neg = [v for v in nz if v < 0]
        int_mode = all(v.is_integer() for v in nz)
    else:
        flat = values.ravel()
        nz = flat[np.isfinite(flat)]
        nz = nz[nz != 0]
        if not nz.size:
            return None
        pos = nz[nz > 0]
        neg = nz[nz < 0]
        int_mode = bool((nz == np.ceil(nz)).all())
        pos = [float(pos.min()), float(pos.max())] if pos.size else []
        neg = [float(neg.min()), float(neg.max())] if neg.size else []
    extremes = []
    lows, highs = [], []
    if pos:
        lo, hi = min(pos), max(pos)
        extremes += [lo, hi]
        lows.append(lo)
        highs.append(hi)
    if neg:
        lo, hi = -max(neg), -min(neg)
        extremes += [-lo, -hi]
        lows.append(lo)
        highs.append(hi)
    return int_mode, min(lows), max(highs), extremes


class _FloatFormatter:
    """PyTorch's choice of style and column width for one floating point tensor."""
    __slots__ = ('int_mode', 'sci_mode', 'width', 'precision')

    def __init__(self, values):
        self.precision = p = _OPTS.precision
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        stats = _float_stats(values)
        if stats is None:
            # Only zeros, infs and nans: PyTorch keeps the defaults above, even when
            # sci_mode is forced on.
            return
        self.int_mode, lo, hi, extremes = stats
        forced = _OPTS.sci_mode
        if forced is None:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        else:
            self.sci_mode = forced
        if self.sci_mode:
            self.width = max(1, max(len(f'{v:.{p}e}') for v in extremes))
        elif self.int_mode:
            # The trailing '.' that marks a float is part of the width.
            self.width = max(1, max(len(f'{v:.0f}') for v in extremes) + 1)
        else:
            self.width = max(1, max(len(f'{v:.{p}f}') for v in extremes))

    def format_list(self, values):
        """Format Python floats, each right-aligned to the common width."""
        w = self.width
        if self.sci_mode:
            fmt = f'{{:{w}.{self.precision}e}}'.format
            return [fmt(v) for v in values]
        if self.int_mode:
            # Finite values get a '.' so that the float type shows; inf and nan do not.
            return [(f'{v:.0f}.' if v - v == 0 else f'{v:.0f}').rjust(w) for v in values]
        fmt = f'{{:{w}.{self.precision}f}}'.format
        return [fmt(v) for v in values]


def _int_strings(values):
    """Integers and bools as ``str`` gives them, right-aligned to the widest."""
    flat = values.ravel()
    if flat.dtype == np.bool_:
        width = 4 if flat.all() else 5  # 'True' / 'False'
    else:
        width = max(len(str(int(flat.min()))), len(str(int(flat.max()))))
    return [str(v).rjust(width) for v in flat.tolist()], width


def _complex_join(real_strs, imag_strs):
    out = []
    for r, i in zip(real_strs, imag_strs):
        # The imaginary part loses its padding; it carries its own sign or gets a '+'.
        i = i.lstrip() + 'j'
        out.append(r + i if i[0] in '+-' else r + '+' + i)
    return out


# ---------------------------------------------------------------------------------------
# Layout
# ---------------------------------------------------------------------------------------
def _summarized(a, edgeitems):
    """The entries a summarised print shows: the edge items of every long dimension."""
    for axis, n in enumerate(a.shape):
        if n > 2 * edgeitems:
            index = np.r_[0:edgeitems, n - edgeitems:n]
            a = a.take(index, axis=axis)
    return a


def _nest(strs, shown_shape, full_shape, summarize, edgeitems, indent, element_length):
    """Assemble formatted entries (flat, C order) into PyTorch's nested bracket layout."""
    ndim = len(shown_shape)
    if ndim == 0:
        return strs[0]
    row_indent = indent + ndim - 1
    per_line = max(1, math.floor((_OPTS.linewidth - row_indent) / element_length))
    row_sep = ',\n' + ' ' * (row_indent + 1)
    row_len = shown_shape[-1]
    row_elided = summarize and full_shape[-1] > 2 * edgeitems

    def vector(offset):
        row = strs[offset:offset + row_len]
        if row_elided:
            row = row[:edgeitems] + [' ...'] + row[edgeitems:]
        if len(row) <= per_line:
            return '[' + ', '.join(row) + ']'
        lines = [', '.join(row[i:i + per_line]) for i in range(0, len(row), per_line)]
        return '[' + row_sep.join(lines) + ']'

    # Number of entries in one slice at each depth.
    steps = [1] * ndim
    for d in range(ndim - 2, -1, -1):
        steps[d] = steps[d + 1] * shown_shape[d + 1]

    def block(offset, depth):
        if depth == ndim - 1:
            return vector(offset)
        step = steps[depth]
        parts = [block(offset + i * step, depth + 1) for i in range(shown_shape[depth])]
        if summarize and full_shape[depth] > 2 * edgeitems:
            parts.insert(edgeitems, '...')
        # Blank lines between slices grow with the number of dimensions below.
        sep = ',' + '\n' * (ndim - depth - 1) + ' ' * (indent + depth + 1)
        return '[' + sep.join(parts) + ']'

    return block(0, 0)


def _tensor_str(data, dtype, indent):
    """The bracketed contents of a tensor whose values are the NumPy array ``data``."""
    if data.size == 0:
        return '[]'
    edgeitems = _OPTS.edgeitems
    summarize = data.size > _OPTS.threshold
    if summarize and not edgeitems and data.ndim:
        return '[...]'
    shown = _summarized(data, edgeitems) if summarize else data

    if dtype.is_complex:
        # PyTorch formats via Python complex numbers: the exact complex128 values.
        c = shown.astype(np.complex128)
        re, im = c.real, c.imag
        fre, fim = _FloatFormatter(re), _FloatFormatter(im)
        strs = _complex_join(fre.format_list(re.ravel().tolist()),
                             fim.format_list(im.ravel().tolist()))
        element_length = fre.width + 2 + fim.width + 1
    elif dtype.is_floating_point:
        # PyTorch formats every float dtype through Python floats; float64 holds float16,
        # bfloat16 and float32 values exactly, so the digits come out the same.
        f = shown.astype(np.float64)
        fmt = _FloatFormatter(f)
        strs = fmt.format_list(f.ravel().tolist())
        element_length = fmt.width + 2
    else:
        strs, width = _int_strings(shown)
        element_length = width + 2
    return _nest(strs, shown.shape, data.shape, summarize, edgeitems, indent, element_length)


def _add_suffixes(tensor_str, suffixes, indent):
    """Append ``, suffix`` pieces, moving one to a new line when it would pass linewidth."""
    out = [tensor_str]
    # PyTorch's measure of the last line (one more than its length) is kept so that the
    # same suffixes wrap at the same place.
    last_line_len = len(tensor_str) - tensor_str.rfind('\n') + 1
    linewidth = _OPTS.linewidth
    for suffix in suffixes:
        n = len(suffix)
        if last_line_len + n + 2 > linewidth:
            out.append(',\n' + ' ' * indent + suffix)
            last_line_len = indent + n
        else:
            out.append(', ' + suffix)
            last_line_len += n + 2
    out.append(')')
    return ''.join(out)


def _grad_fn_name(grad_fn):
    # PyTorch prints the node's class name (CopySlices), not name() (torch::autograd::...).
    return type(grad_fn).__name__.rsplit('::', 1)[-1]


def tensor_repr(t, *, tensor_contents=None):
    """The ``repr`` of a tensor, identical to PyTorch's: ``tensor([1., 2.])`` followed by
    the ``device``, ``size``, ``dtype``, ``grad_fn``/``requires_grad`` suffixes that apply.

    ``tensor_contents``, if given, replaces the bracketed values (the suffixes are still
    computed from ``t``).
    """
    data = t._data
    if not isinstance(data, np.ndarray):
        data = np.asarray(data)
    dtype = t.dtype
    prefix = 'tensor('
    indent = 7  # len(prefix)
    suffixes = []

    device = t.device
    if device.type != 'cpu':
        suffixes.append("device='" + str(device) + "'")

    default = _dtype.get_default_dtype()
    if data.size == 0:
        # NumPy's convention: the shape is spelled out unless it is (0,).
        if data.ndim != 1:
            suffixes.append('size=' + str(tuple(data.shape)))
        # No values to read the type from, so even int64 and bool are named.
        if dtype is not default:
            suffixes.append('dtype=' + repr(dtype))
        if tensor_contents is None:
            tensor_contents = '[]'
    else:
        if not _OPTS.edgeitems:
            suffixes.append('size=' + str(tuple(data.shape)))
        # The types a literal would produce by default go unnamed.
        if not (dtype is default or dtype is _dtype.int64 or dtype is _dtype.bool
                or dtype is (_dtype.complex128 if default is _dtype.float64
                             else _dtype.complex64)):
            suffixes.append('dtype=' + repr(dtype))
        if tensor_contents is None:
            tensor_contents = _tensor_str(data, dtype, indent)

    grad_fn = t.grad_fn
    if grad_fn is not None:
        suffixes.append('grad_fn=<' + _grad_fn_name(grad_fn) + '>')
    elif t.requires_grad:
        suffixes.append('requires_grad=True')

    return _add_suffixes(prefix + tensor_contents, suffixes, indent)
