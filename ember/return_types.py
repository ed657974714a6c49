"""Named tuples returned by ops like ``sort`` and ``max(dim=...)``.

They unpack like tuples and print as PyTorch's do:
``ember.return_types.sort(\\nvalues=tensor(...),\\nindices=tensor(...))``.
"""

__all__ = []


def make_return_type(name, fields):
    """A tuple subclass with named fields and PyTorch's repr, registered in this module."""
    existing = globals().get(name)
    if existing is not None:
        return existing

    def __new__(cls, *values):
        if len(values) == 1 and isinstance(values[0], (tuple, list)):
            values = tuple(values[0])
        if len(values) != len(fields):
            raise TypeError(f'ember.return_types.{name} takes a {len(fields)}-sequence')
        return tuple.__new__(cls, values)

    def __repr__(self):
        body = ',\n'.join(f'{f}={v!r}' for f, v in zip(fields, self))
        return f'ember.return_types.{name}(\n{body})'

    def __reduce__(self):
        return (cls, (tuple(self),))

    attrs = {'__new__': __new__, '__repr__': __repr__, '__str__': __repr__, '__slots__': (),
             '__reduce__': __reduce__, '_fields': fields, 'n_fields': len(fields),
             '__module__': __name__}
    for i, field in enumerate(fields):
        attrs[field] = property(lambda self, i=i: tuple.__getitem__(self, i))
    cls = type(name, (tuple,), attrs)
    globals()[name] = cls
    __all__.append(name)
    return cls


for _name, _fields in [('sort', ('values', 'indices')), ('topk', ('values', 'indices')),
                       ('max', ('values', 'indices')), ('min', ('values', 'indices')),
                       ('aminmax', ('min', 'max')), ('median', ('values', 'indices')),
                       ('nanmedian', ('values', 'indices')), ('mode', ('values', 'indices')),
                       ('kthvalue', ('values', 'indices')), ('cummax', ('values', 'indices')),
                       ('cummin', ('values', 'indices')), ('slogdet', ('sign', 'logabsdet')),
                       ('qr', ('Q', 'R')), ('svd', ('U', 'S', 'V')),
                       ('eigh', ('eigenvalues', 'eigenvectors')),
                       ('lstsq', ('solution', 'residuals', 'rank', 'singular_values')),
                       ('std_mean', ('std', 'mean')), ('var_mean', ('var', 'mean')),
                       ('unique', ('output', 'inverse_indices', 'counts'))]:
    make_return_type(_name, _fields)
