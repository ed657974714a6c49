"""RNN helpers: padding variable-length sequences (the nn.rnn owner extends this)."""

__all__ = ['pad_sequence']


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side='right'):
    """Stack variable-length sequences into one tensor, padding with ``padding_value``."""
    from ..._ops.creation import full
    max_len = max(s.size(0) for s in sequences)
    trailing = tuple(sequences[0].shape[1:])
    out = full((len(sequences), max_len) + trailing, padding_value,
               dtype=sequences[0].dtype, device=sequences[0].device)
    for i, s in enumerate(sequences):
        n = s.size(0)
        if padding_side == 'left':
            out[i, max_len - n:] = s
        else:
            out[i, :n] = s
    return out if batch_first else out.transpose(0, 1)
