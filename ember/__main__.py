"""``python -m ember``: runs the main job (see ``ember.examples.train``)."""
from .examples.train import main

main()
