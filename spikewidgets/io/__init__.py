"""Model files: reading and checking them, writing results back safely; bundled examples.

The bottom layer of spikewidgets: it imports no other part of the package.

- :func:`load_model` reads a trained rate model (``.mat``) into a
  :class:`RateModel`, or raises :class:`~spikewidgets.errors.ModelFileError`
  naming the file, the key and what was expected.
- :func:`write_search_results` writes a search's optimum into the model file
  atomically: every other key is kept, and a failed write leaves the file as
  it was.
- :func:`example_model` copies a bundled, trained example model;
  :func:`random_model_arrays` makes an untrained one in the same layout.
"""

from spikewidgets.io._examples import example_model
from spikewidgets.io._modelfile import RateModel, load_model, read_raw, write_search_results
from spikewidgets.io._synthetic import random_model_arrays

__all__ = ["RateModel", "example_model", "load_model", "random_model_arrays", "read_raw",
           "write_search_results"]
