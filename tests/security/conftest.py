"""The export and training fixtures, shared with the security tests (not copied): `exported`
(both formats of a small network), `small_spec` (its spec file) and `reference_run` (a small
completed training run). All are session-scoped, built once when first needed."""

from tests.export.conftest import exported, small_spec  # noqa: F401
from tests.train.conftest import reference_run  # noqa: F401
