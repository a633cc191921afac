"""The spec language: loading, checking and resolving specs. Never imports TensorFlow."""

from netspec.spec.diagnostics import Diagnostic, Location, SpecError
from netspec.spec.loader import Spec, load, load_resolved

__all__ = ["Diagnostic", "Location", "Spec", "SpecError", "load", "load_resolved"]
