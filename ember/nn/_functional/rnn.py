"""Recurrent layers: the fused kernels behind ``nn.RNN``, ``nn.LSTM``, ``nn.GRU`` and cells.

One recurrent layer in one direction is one graph node. Its forward computes the input
projection of every time step with one matrix product, then loops over time for the
recurrent part only, on raw arrays, keeping the gate activations it needs; its backward is
backpropagation through time on the same arrays (one loop over time, then one matrix product
per weight). A node per layer instead of ~15 per time step is what makes training an LSTM
on NumPy competitive.

When a graph of the gradient itself is wanted (``create_graph=True``), backward re-runs the
layer as ordinary ember ops from the saved inputs and differentiates that, so gradients of
gradients are exact too.

Sequences are described by ``steps``: for each time step ``(start_row, batch)`` in the
flattened ``(rows, features)`` input. A padded ``(T, B, *)`` input has ``T`` steps of ``B``
rows; a ``PackedSequence`` has shrinking batches (sorted by length, longest first), so step
``t`` only updates the first ``batch_sizes[t]`` rows of the hidden state.

Gate layouts follow PyTorch: LSTM ``i, f, g, o``; GRU ``r, z, n`` with
``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``.
"""
import numpy as np

from ...autograd import grad_mode
from ...autograd.function import Op
from ..._tensor import make_tensor
from .distance import is_half

__all__ = []

_grad_state = grad_mode.state


def _xp_of(array):
    """The array module of ``array`` (NumPy, or CuPy for cuda tensors)."""
    if type(array) is np.ndarray:
        return np
    import importlib
    return importlib.import_module(type(array).__module__.split('.')[0])


def padded_steps(T, B):
    """``steps`` of a padded ``(T, B, *)`` sequence."""
    return tuple((t * B, B) for t in range(T))


def packed_steps(batch_sizes):
    """``steps`` of packed data with the given batch sizes."""
    steps = []
    start = 0
    for b in batch_sizes:
        b = int(b)
        steps.append((start, b))
        start += b
    return tuple(steps)


def _order(steps, reverse):
    return reversed(steps) if reverse else steps


# ---------------------------------------------------------------------------------------
# kernels on arrays
# ---------------------------------------------------------------------------------------
class _Arrays:
    """The arrays a layer's forward keeps for its backward."""
    __slots__ = ('A', 'TC', 'HP', 'CP', 'R', 'HN', 'DER', 'x2', 'uniform')


def _as_compute(a, compute):
    return a if a is None or a.dtype == compute else a.astype(compute)


def _flat_x(x):
    return x.reshape(-1, x.shape[-1])


def _lstm_forward(x, w_ih, w_hh, b_ih, b_hh, w_hr, h0, c0, steps, reverse, keep):
    """LSTM over ``steps``; returns (out rows, h_T, c_T) and the kept arrays (or None).

    The kernel runs feature-major: the state is (features, batch) and a step's gates are
    one contiguous (4H, b) block. The recurrent product is then ``W_hh @ h``, which BLAS
    runs about 1.5x faster than ``h @ W_hh^T`` at LSTM shapes (a few rows of batch against
    4H columns), and each gate is a contiguous run for the elementwise work."""
    xp = _xp_of(x)
    H = w_hh.shape[0] // 4
    G = 4 * H
    P = w_hh.shape[1]
    x2 = _flat_x(x)
    N = x2.shape[0]
    dtype = x2.dtype
    B = h0.shape[0]
    # Sigmoids are computed as 0.5 * tanh(0.5 z) + 0.5: one tanh over all four gates. The
    # 0.5 is folded into the weights, so a step costs a product, a tanh and an affine map.
    scale = xp.full((G, 1), 0.5, dtype=dtype)
    scale[2 * H:3 * H] = 1
    XW = (w_ih * scale) @ x2.T                     # (G, N): column j is row j of x
    if b_ih is not None:
        XW += (b_ih + b_hh)[:, None] * scale
    whh = w_hh * scale
    # Padded input (every step the full batch): the state is simply the last step's
    # blocks, with no copies; packed input keeps a full state and updates its first rows.
    uniform = all(b == B for _, b in steps)
    A = xp.empty(N * G, dtype=dtype)               # step blocks (G, b) at offset s * G
    C = xp.empty(N * H, dtype=dtype)
    TC = xp.empty(N * H, dtype=dtype) if keep else None
    OUT = xp.empty(N * P, dtype=dtype)
    R = xp.empty((H, N), dtype=dtype) if w_hr is not None else None
    HP = xp.empty((N, P), dtype=dtype) if keep and not uniform else None
    CP = [None] * len(steps) if keep else None
    h = xp.ascontiguousarray(h0.T)
    c = xp.ascontiguousarray(c0.T)
    tmp = xp.empty(H * B, dtype=dtype)
    order = range(len(steps) - 1, -1, -1) if reverse else range(len(steps))
    for k in order:
        s, b = steps[k]
        e = s + b
        hp = h if uniform else h[:, :b]
        cp = c if uniform else c[:, :b]
        if keep:
            CP[k] = cp if uniform else cp.copy()
            if HP is not None:
                HP[s:e] = hp.T
        a = A[s * G:e * G].reshape(G, b)
        xp.matmul(whh, hp, out=a)
        a += XW[:, s:e]
        xp.tanh(a, out=a)
        for sigmoid in (a[:2 * H], a[3 * H:]):
            sigmoid *= 0.5
            sigmoid += 0.5
        cn = C[s * H:e * H].reshape(H, b)
        xp.multiply(a[H:2 * H], cp, out=cn)
        t = tmp[:H * b].reshape(H, b)
        xp.multiply(a[:H], a[2 * H:3 * H], out=t)
        cn += t
        tc = TC[s * H:e * H].reshape(H, b) if keep else t   # t is free again
        xp.tanh(cn, out=tc)
        out = OUT[s * P:e * P].reshape(P, b)
        if w_hr is None:
            xp.multiply(a[3 * H:], tc, out=out)
        else:
            r = R[:, s:e]
            xp.multiply(a[3 * H:], tc, out=r)
            xp.matmul(w_hr, r, out=out)
        if uniform:
            h, c = out, cn
        else:
            h[:, :b] = out
            c[:, :b] = cn
    rows = _step_blocks(OUT, P, steps, uniform, B, rows=True)
    if keep and uniform:
        # the state before each step: h0 and the neighbouring step's output rows
        HP = xp.concatenate((rows[B:], h0) if reverse else (h0, rows[:N - B]))
    kept = None
    if keep:
        kept = _Arrays()
        kept.A, kept.TC, kept.HP, kept.CP, kept.R = A, TC, HP, CP, R
        kept.x2, kept.uniform = x2, uniform
    return rows, xp.ascontiguousarray(h.T), xp.ascontiguousarray(c.T), kept


def _step_blocks(blocks, width, steps, uniform, B, rows):
    """The step blocks (width, b) laid end to end in ``blocks``, gathered as (N, width) rows
    (``rows``) or as (width, N) columns: either way, index j is row j of the input."""
    xp = _xp_of(blocks)
    N = blocks.shape[0] // width
    if uniform:
        stacked = blocks.reshape(N // B if B else 0, width, B)
        stacked = stacked.transpose(0, 2, 1) if rows else stacked.transpose(1, 0, 2)
        return xp.ascontiguousarray(stacked).reshape((N, width) if rows else (width, N))
    out = xp.empty((N, width) if rows else (width, N), dtype=blocks.dtype)
    for s, b in steps:
        block = blocks[s * width:(s + b) * width].reshape(width, b)
        if rows:
            out[s:s + b] = block.T
        else:
            out[:, s:s + b] = block
    return out


def _lstm_backward(kept, dout, dhT, dcT, w_ih, w_hh, w_hr, steps, reverse, needs, has_bias):
    """BPTT for ``_lstm_forward`` (feature-major like it); returns grads (x2, w_ih, w_hh,
    b, w_hr, h0, c0)."""
    A, TC, HP, CP, R, x2 = kept.A, kept.TC, kept.HP, kept.CP, kept.R, kept.x2
    uniform = kept.uniform
    xp = _xp_of(A)
    G, P = w_hh.shape
    H = G // 4
    N = x2.shape[0]
    B = dhT.shape[0]
    dtype = A.dtype
    one = dtype.type(1)
    DG = xp.empty(N * G, dtype=dtype)             # step blocks (G, b), as A
    DH = xp.empty((P, N), dtype=dtype) if w_hr is not None else None
    whhT = xp.ascontiguousarray(w_hh.T)
    whrT = xp.ascontiguousarray(w_hr.T) if w_hr is not None else None
    dh = xp.ascontiguousarray(dhT.T)
    dc = xp.ascontiguousarray(dcT.T)
    db = xp.empty(P * B, dtype=dtype)
    dcb = xp.empty(H * B, dtype=dtype)
    drb = xp.empty(H * B, dtype=dtype) if w_hr is not None else None
    order = range(len(steps)) if reverse else range(len(steps) - 1, -1, -1)
    for k in order:
        s, b = steps[k]
        e = s + b
        if dout is not None:
            d = db[:P * b].reshape(P, b)
            xp.add(dh[:, :b], dout[s:e].T, out=d)
        else:
            d = dh[:, :b]
        if w_hr is not None:
            DH[:, s:e] = d
            dr = drb[:H * b].reshape(H, b)
            xp.matmul(whrT, d, out=dr)
        else:
            dr = d
        a = A[s * G:e * G].reshape(G, b)
        tc = TC[s * H:e * H].reshape(H, b)
        gi, gf, gg, go = a[:H], a[H:2 * H], a[2 * H:3 * H], a[3 * H:]
        dcn = dcb[:H * b].reshape(H, b)           # d loss / d c: through h and from c_next
        xp.multiply(tc, tc, out=dcn)
        xp.subtract(one, dcn, out=dcn)
        dcn *= go
        dcn *= dr
        dcn += dc[:, :b]
        dg = DG[s * G:e * G].reshape(G, b)
        xp.subtract(one, a, out=dg)               # sigmoid' = s (1 - s) for i, f, o
        dg *= a
        di, df, dgg, do = dg[:H], dg[H:2 * H], dg[2 * H:3 * H], dg[3 * H:]
        xp.multiply(gg, gg, out=dgg)              # tanh' = 1 - g^2 for g
        xp.subtract(one, dgg, out=dgg)
        di *= gg
        di *= dcn
        df *= CP[k]
        df *= dcn
        dgg *= gi
        dgg *= dcn
        do *= tc
        do *= dr
        xp.multiply(dcn, gf, out=dc[:, :b])
        xp.matmul(whhT, dg, out=dh[:, :b])
    n_x, n_ih, n_hh, n_b, n_hr = needs[:5]
    DG = _step_blocks(DG, G, steps, uniform, B, rows=False)   # (G, N): column j is row j
    gx = (DG.T @ w_ih) if n_x else None
    gih = (DG @ x2) if n_ih else None
    ghh = (DG @ HP) if n_hh else None
    gb = DG.sum(1) if (n_b and has_bias) else None
    ghr = (DH @ R.T) if (n_hr and w_hr is not None) else None
    return gx, gih, ghh, gb, ghr, xp.ascontiguousarray(dh.T), xp.ascontiguousarray(dc.T)


def _gru_forward(x, w_ih, w_hh, b_ih, b_hh, h0, steps, reverse, keep):
    xp = _xp_of(x)
    H = w_hh.shape[0] // 3
    G = 3 * H
    x2 = _flat_x(x)
    N = x2.shape[0]
    scale = xp.full(G, 0.5, dtype=x2.dtype)
    scale[2 * H:] = 1
    xw = x2 @ xp.ascontiguousarray(w_ih.T * scale)
    if b_ih is not None:
        xw += b_ih * scale
    whh = xp.ascontiguousarray(w_hh.T * scale)
    bhh = b_hh * scale if b_hh is not None else None
    A = xp.empty((N, G), dtype=x2.dtype)       # r, z, n
    HN = xp.empty((N, H), dtype=x2.dtype)      # W_hn h + b_hn
    OUT = xp.empty((N, H), dtype=x2.dtype)
    HP = xp.empty((N, H), dtype=x2.dtype) if keep else None
    hh = xp.empty((h0.shape[0], G), dtype=x2.dtype)
    h = h0.copy()
    for s, b in _order(steps, reverse):
        e = s + b
        hp = h[:b]
        if keep:
            HP[s:e] = hp
        q = hh[:b]
        xp.matmul(hp, whh, out=q)
        if bhh is not None:
            q += bhh
        a = A[s:e]
        rz = a[:, :2 * H]
        xp.add(xw[s:e, :2 * H], q[:, :2 * H], out=rz)
        xp.tanh(rz, out=rz)
        rz *= 0.5
        rz += 0.5
        hn = HN[s:e]
        hn[...] = q[:, 2 * H:]
        n = a[:, 2 * H:]
        xp.multiply(a[:, :H], hn, out=n)
        n += xw[s:e, 2 * H:]
        xp.tanh(n, out=n)
        o = OUT[s:e]
        xp.subtract(hp, n, out=o)
        o *= a[:, H:2 * H]
        o += n
        h[:b] = o
    kept = None
    if keep:
        kept = _Arrays()
        kept.A, kept.HN, kept.HP, kept.x2 = A, HN, HP, x2
    return OUT, h, kept


def _gru_backward(kept, dout, dhT, w_ih, w_hh, steps, reverse, needs, has_bias):
    A, HN, HP, x2 = kept.A, kept.HN, kept.HP, kept.x2
    xp = _xp_of(A)
    N, G = A.shape
    H = G // 3
    dtype = A.dtype
    r, z, n = A[:, :H], A[:, H:2 * H], A[:, 2 * H:]
    DR = r * (1 - r)
    DZ = z * (1 - z)
    DN = 1 - n * n
    DGX = xp.empty((N, G), dtype=dtype)
    DGH = xp.empty((N, G), dtype=dtype)
    dh = dhT.copy()
    B = dh.shape[0]
    dhb = xp.empty((B, H), dtype=dtype)
    tmp = xp.empty((B, H), dtype=dtype)
    for s, b in _order(steps[::-1], reverse):
        e = s + b
        d = dhb[:b]
        if dout is not None:
            xp.add(dh[:b], dout[s:e], out=d)
        else:
            d[...] = dh[:b]
        gx = DGX[s:e]
        gh = DGH[s:e]
        zs = z[s:e]
        ns = n[s:e]
        # dn_pre = dh * (1 - z) * (1 - n^2)
        dn = gx[:, 2 * H:]
        xp.multiply(d, zs, out=dn)
        xp.subtract(d, dn, out=dn)
        dn *= DN[s:e]
        # dz_pre = dh * (h_prev - n) * z (1 - z)
        dz = gx[:, H:2 * H]
        xp.subtract(HP[s:e], ns, out=dz)
        dz *= d
        dz *= DZ[s:e]
        # dr_pre = dn_pre * hn * r (1 - r)
        dr = gx[:, :H]
        xp.multiply(dn, HN[s:e], out=dr)
        dr *= DR[s:e]
        gh[:, :2 * H] = gx[:, :2 * H]
        xp.multiply(dn, r[s:e], out=gh[:, 2 * H:])
        t = tmp[:b]
        xp.multiply(d, zs, out=t)
        xp.matmul(gh, w_hh, out=dh[:b])
        dh[:b] += t
    n_x, n_ih, n_hh, n_bih, n_bhh = needs[:5]
    gx = (DGX @ w_ih) if n_x else None
    gih = (DGX.T @ x2) if n_ih else None
    ghh = (DGH.T @ HP) if n_hh else None
    gbih = DGX.sum(0) if (n_bih and has_bias) else None
    gbhh = DGH.sum(0) if (n_bhh and has_bias) else None
    return gx, gih, ghh, gbih, gbhh, dh


def _rnn_forward(x, w_ih, w_hh, b_ih, b_hh, h0, steps, reverse, keep, relu):
    xp = _xp_of(x)
    H = w_hh.shape[0]
    x2 = _flat_x(x)
    N = x2.shape[0]
    xw = x2 @ xp.ascontiguousarray(w_ih.T)
    if b_ih is not None:
        xw += b_ih + b_hh
    whh = xp.ascontiguousarray(w_hh.T)
    OUT = xp.empty((N, H), dtype=x2.dtype)
    HP = xp.empty((N, H), dtype=x2.dtype) if keep else None
    h = h0.copy()
    for s, b in _order(steps, reverse):
        e = s + b
        hp = h[:b]
        if keep:
            HP[s:e] = hp
        o = OUT[s:e]
        xp.matmul(hp, whh, out=o)
        o += xw[s:e]
        if relu:
            xp.maximum(o, 0, out=o)
        else:
            xp.tanh(o, out=o)
        h[:b] = o
    kept = None
    if keep:
        # The output is returned to the caller (who may edit it): keep the derivative.
        kept = _Arrays()
        kept.DER = (OUT > 0).astype(OUT.dtype) if relu else 1 - OUT * OUT
        kept.HP, kept.x2 = HP, x2
    return OUT, h, kept


def _rnn_backward(kept, dout, dhT, w_ih, w_hh, steps, reverse, needs, has_bias):
    DER, HP, x2 = kept.DER, kept.HP, kept.x2
    xp = _xp_of(DER)
    N, H = DER.shape
    DG = xp.empty((N, H), dtype=DER.dtype)
    dh = dhT.copy()
    for s, b in _order(steps[::-1], reverse):
        e = s + b
        g = DG[s:e]
        if dout is not None:
            xp.add(dh[:b], dout[s:e], out=g)
        else:
            g[...] = dh[:b]
        g *= DER[s:e]
        xp.matmul(g, w_hh, out=dh[:b])
    n_x, n_ih, n_hh, n_b = needs[:4]
    gx = (DG @ w_ih) if n_x else None
    gih = (DG.T @ x2) if n_ih else None
    ghh = (DG.T @ HP) if n_hh else None
    gb = DG.sum(0) if (n_b and has_bias) else None
    return gx, gih, ghh, gb, dh


# ---------------------------------------------------------------------------------------
# the same layers as ember ops (for create_graph backward, and as a reference)
# ---------------------------------------------------------------------------------------
def _composite_layer(mode, x, w_ih, w_hh, b_ih, b_hh, w_hr, h0, c0, steps, reverse):
    """One layer/direction written with ember ops; returns (out rows, h_T[, c_T])."""
    from ..._ops.joining import cat
    x2 = x.reshape(-1, x.shape[-1])
    xw = x2.matmul(w_ih.t())
    if b_ih is not None:
        xw = xw + b_ih
    h, c = h0, c0
    outs = [None] * len(steps)
    order = range(len(steps) - 1, -1, -1) if reverse else range(len(steps))
    for k in order:
        s, b = steps[k]
        hp = h[:b]
        xs = xw[s:s + b]
        q = hp.matmul(w_hh.t())
        if b_hh is not None:
            q = q + b_hh
        if mode == 'LSTM':
            cp = c[:b]
            gi, gf, gg, go = (xs + q).chunk(4, 1)
            cn = gf.sigmoid() * cp + gi.sigmoid() * gg.tanh()
            hn = go.sigmoid() * cn.tanh()
            if w_hr is not None:
                hn = hn.matmul(w_hr.t())
            c = cn if b == c.shape[0] else cat([cn, c[b:]])
        elif mode == 'GRU':
            xr, xz, xn = xs.chunk(3, 1)
            hr, hz, hnn = q.chunk(3, 1)
            r = (xr + hr).sigmoid()
            z = (xz + hz).sigmoid()
            n = (xn + r * hnn).tanh()
            hn = n + z * (hp - n)
        else:
            pre = xs + q
            hn = pre.relu() if mode == 'RNN_RELU' else pre.tanh()
        outs[k] = hn
        h = hn if b == h.shape[0] else cat([hn, h[b:]])
    out = cat(outs)
    return (out, h, c) if mode == 'LSTM' else (out, h)


# ---------------------------------------------------------------------------------------
# the graph nodes
# ---------------------------------------------------------------------------------------
# Inputs of every layer node, in this order (absent ones are None):
#   x, w_ih, w_hh, b_ih, b_hh, w_hr, h0, c0
_N_TENSORS = 8


class _RecurrentLayer(Op):
    """One layer in one direction: ``forward(ctx, x, w_ih, w_hh, b_ih, b_hh, w_hr, h0, c0,
    steps, reverse, out_shape)``; outputs (out, h_T) or (out, h_T, c_T)."""
    mode = None
    save_args = tuple(range(_N_TENSORS))

    @classmethod
    def forward(cls, ctx, x, w_ih, w_hh, b_ih, b_hh, w_hr, h0, c0, steps, reverse, out_shape):
        dtype = x.dtype
        compute = np.dtype(np.float32) if is_half(dtype) else dtype
        if compute != dtype:
            x, w_ih, w_hh, b_ih, b_hh, w_hr, h0, c0 = (
                _as_compute(a, compute) for a in (x, w_ih, w_hh, b_ih, b_hh, w_hr, h0, c0))
        keep = ctx is not None
        if cls.mode == 'LSTM':
            out, h, c, kept = _lstm_forward(x, w_ih, w_hh, b_ih, b_hh, w_hr, h0, c0, steps,
                                            reverse, keep)
            results = [out, h, c]
        elif cls.mode == 'GRU':
            out, h, kept = _gru_forward(x, w_ih, w_hh, b_ih, b_hh, h0, steps, reverse, keep)
            results = [out, h]
        else:
            out, h, kept = _rnn_forward(x, w_ih, w_hh, b_ih, b_hh, h0, steps, reverse, keep,
                                        cls.mode == 'RNN_RELU')
            results = [out, h]
        if keep:
            ctx._kept = kept
            ctx._x_shape = x.shape
        if out_shape is not None:
            results[0] = results[0].reshape(out_shape)
        if compute != dtype:
            results = [r.astype(dtype) for r in results]
        return tuple(results)

    def _release(self):
        super()._release()
        self.__dict__.pop('_kept', None)

    def backward(self, *grads):
        n_out = 3 if self.mode == 'LSTM' else 2
        grads = tuple(grads) + (None,) * (n_out - len(grads))
        saved = self.saved
        present = [i for i, t in enumerate(saved) if t is not None]
        edges = {i: self.next_functions[k][0] is not None for k, i in enumerate(present)}
        needs = [edges.get(i, False) for i in range(_N_TENSORS)]
        if _grad_state.enabled:
            full = self._composite_backward(saved, grads, needs)
        else:
            full = self._fast_backward(saved, grads, needs)
        return tuple(full[i] for i in present)

    def _fast_backward(self, saved, grads, needs):
        x, w_ih, w_hh, b_ih, b_hh, w_hr, h0, c0 = saved
        steps, reverse, _ = self.args[_N_TENSORS:]
        kept = self._kept
        dtype = x._data.dtype
        compute = kept.x2.dtype

        def arr(t):
            return None if t is None else _as_compute(t._data, compute)

        def rows(g, width):
            if g is None:
                return None
            return _as_compute(g._data, compute).reshape(-1, width)

        def state(g, like):
            if g is None:
                return _xp_of(like._data).zeros(like._data.shape, dtype=compute)
            return _as_compute(g._data, compute)

        has_bias = b_ih is not None
        if self.mode == 'LSTM':
            P = w_hh._data.shape[1]
            gx, gih, ghh, gb, ghr, dh0, dc0 = _lstm_backward(
                kept, rows(grads[0], P), state(grads[1], h0), state(grads[2], c0),
                arr(w_ih), arr(w_hh), arr(w_hr), steps, reverse,
                (needs[0], needs[1], needs[2], needs[3] or needs[4], needs[5]), has_bias)
            gbih = gbhh = gb
        elif self.mode == 'GRU':
            H = w_hh._data.shape[1]
            gx, gih, ghh, gbih, gbhh, dh0 = _gru_backward(
                kept, rows(grads[0], H), state(grads[1], h0), arr(w_ih), arr(w_hh), steps,
                reverse, needs, has_bias)
            ghr = dc0 = None
        else:
            H = w_hh._data.shape[1]
            gx, gih, ghh, gb, dh0 = _rnn_backward(
                kept, rows(grads[0], H), state(grads[1], h0), arr(w_ih), arr(w_hh), steps,
                reverse, (needs[0], needs[1], needs[2], needs[3] or needs[4]), has_bias)
            gbih = gbhh = gb
            ghr = dc0 = None
        if gx is not None:
            gx = gx.reshape(self._x_shape)
        results = [gx, gih, ghh, gbih, gbhh, ghr, dh0, dc0]
        wrapped = []
        for t, g, need in zip(saved, results, needs):
            if g is None or t is None or not need:
                wrapped.append(None)
                continue
            if g.dtype != dtype:
                g = g.astype(dtype)
            wrapped.append(make_tensor(g, t._dtype, t._device))
        return wrapped

    def _composite_backward(self, saved, grads, needs):
        from ...autograd import grad as autograd_grad
        steps, reverse, out_shape = self.args[_N_TENSORS:]
        x, w_ih, w_hh, b_ih, b_hh, w_hr, h0, c0 = saved
        outs = _composite_layer(self.mode, x, w_ih, w_hh, b_ih, b_hh, w_hr, h0, c0, steps,
                                reverse)
        if out_shape is not None:
            outs = (outs[0].reshape(out_shape),) + tuple(outs[1:])
        pairs = [(o, g) for o, g in zip(outs, grads) if g is not None]
        wrt = [i for i in range(_N_TENSORS) if needs[i]]
        if not pairs or not wrt:
            return [None] * _N_TENSORS
        result = autograd_grad([o for o, _ in pairs], [saved[i] for i in wrt],
                               [g for _, g in pairs], create_graph=True, allow_unused=True)
        full = [None] * _N_TENSORS
        for i, g in zip(wrt, result):
            full[i] = g
        return full


_LAYER_CLASSES = {}


def layer_op(mode, node_name):
    """The node class of a layer of ``mode`` shown to users as ``node_name`` (PyTorch's
    grad_fn of the same output: ``StackBackward0``, ``CatBackward0`` for packed input,
    ``MkldnnRnnLayerBackward0`` for its float32 LSTM kernel)."""
    key = (mode, node_name)
    cls = _LAYER_CLASSES.get(key)
    if cls is None:
        cls = type(node_name, (_RecurrentLayer,), {'mode': mode, 'node_name': node_name})
        _LAYER_CLASSES[key] = cls
    return cls


def run_layer(mode, node_name, x, weights, h0, c0, steps, reverse, out_shape):
    """Apply one layer/direction. ``weights`` is (w_ih, w_hh, b_ih, b_hh, w_hr) with None
    for absent ones. Returns (out, h_T[, c_T]) as tensors."""
    w_ih, w_hh, b_ih, b_hh, w_hr = weights
    return layer_op(mode, node_name).apply(x, w_ih, w_hh, b_ih, b_hh, w_hr, h0, c0, steps,
                                           reverse, out_shape)

