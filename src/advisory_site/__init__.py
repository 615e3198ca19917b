"""advisory-site: a static site generator for a government press office."""

__version__ = "0.1.0"
