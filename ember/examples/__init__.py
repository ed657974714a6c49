"""Runnable example programs shipped with ember."""
