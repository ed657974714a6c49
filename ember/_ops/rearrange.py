"""Rearranging: flip, roll, repeat, tril/triu, diagonal, meshgrid..."""

__all__ = []

