"""Make ``import torch`` (and ``torch.nn``, ``torch.utils.data``...) resolve to ember.

Used by ``python -m ember run script.py`` and ``ember.install_as_torch()``; never installed as
a side effect of ``import ember``.
"""
import importlib
import importlib.abc
import importlib.util
import sys

__all__ = ['install_as_torch', 'uninstall_as_torch']


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``torch`` and ``torch.*`` and loads the matching ``ember`` module."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == 'torch' or fullname.startswith('torch.'):
            target_name = 'ember' + fullname[len('torch'):]
            try:
                importlib.util.find_spec(target_name)
            except (ImportError, ValueError):
                return None
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return importlib.import_module('ember' + spec.name[len('torch'):])

    def exec_module(self, module):
        pass


_finder = _Alias()


def install_as_torch():
    """From now on in this process, ``import torch`` gives ember (for notebooks and scripts
    written for PyTorch). Raises if the real torch was already imported."""
    if 'torch' in sys.modules and not sys.modules['torch'].__name__.startswith('ember'):
        raise RuntimeError('the real torch is already imported in this process; call '
                           'ember.install_as_torch() before anything imports torch')
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)


def uninstall_as_torch():
    """Undo ``install_as_torch`` (removes the aliases from ``sys.modules`` too)."""
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    for name in [n for n in sys.modules if n == 'torch' or n.startswith('torch.')]:
        if sys.modules[name].__name__.startswith('ember'):
            del sys.modules[name]
