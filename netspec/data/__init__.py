"""Data: sources (one module each, one registry), splits, and the one input pipeline.

`load(spec)` reads `spec.data` through its source and returns a `Dataset` whose splits hold
examples where the source keeps them (netspec.data.examples); `netspec.data.pipeline.Batches`
makes every batch. Importing this package imports neither NumPy nor TensorFlow: `netspec
validate` reads the sources' declarations.
"""

__all__ = ["Dataset", "load"]


def __getattr__(name):  # PEP 562: the loader needs NumPy, the declarations do not
    if name in __all__:
        from netspec.data import dataset

        return getattr(dataset, name)
    raise AttributeError(name)
