"""Memory formats and layouts: the names PyTorch programs pass around."""

__all__ = ['memory_format', 'contiguous_format', 'channels_last', 'channels_last_3d',
           'preserve_format', 'layout', 'strided']


class memory_format:
    """A requested memory layout, printed as ``ember.contiguous_format``."""
    __slots__ = ('name',)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return 'ember.' + self.name

    def __reduce__(self):
        return self.name  # pickled by reference to this module's global of that name


contiguous_format = memory_format('contiguous_format')
channels_last = memory_format('channels_last')
channels_last_3d = memory_format('channels_last_3d')
preserve_format = memory_format('preserve_format')


class layout:
    __slots__ = ('name',)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return 'ember.' + self.name

    def __reduce__(self):
        return self.name


strided = layout('strided')
sparse_coo = layout('sparse_coo')
