"""Operator families. Importing this package attaches every op to ``Tensor`` as a method."""
from . import creation, views, elementwise, reduction, indexing, joining, linalg, conversion, \
    random, sorting, rearrange, copy  # noqa: F401
