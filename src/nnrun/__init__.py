"""nnrun: run Keras neural-network experiments from YAML files, and compare them."""

__version__ = "0.1.0"
