"""Sorting and sets: sort, topk, unique, searchsorted..."""

__all__ = []

