"""The pieces of ``ember.nn.functional``, one file per family (see ``nn/functional.py``)."""
