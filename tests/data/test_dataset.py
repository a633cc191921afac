import subprocess
import sys

import numpy as np

from netspec.data.dataset import fingerprint

ARRAYS = {"x_train": np.arange(24, dtype=np.uint8).reshape(2, 3, 4, 1), "y_train": np.array([0, 1])}


def test_fingerprint_is_the_same_in_another_process():
    code = (
        "import numpy as np; from netspec.data.dataset import fingerprint; "
        "print(fingerprint({'x_train': np.arange(24, dtype=np.uint8).reshape(2, 3, 4, 1), "
        "'y_train': np.array([0, 1])}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == fingerprint(ARRAYS)


def test_fingerprint_sees_values_shapes_dtypes_and_missing_parts():
    base = fingerprint(ARRAYS)
    changed = dict(ARRAYS, x_train=ARRAYS["x_train"].copy())
    changed["x_train"][1, 2, 3, 0] = 0
    reshaped = dict(ARRAYS, x_train=ARRAYS["x_train"].reshape(2, 4, 3, 1))
    retyped = dict(ARRAYS, x_train=ARRAYS["x_train"].astype(np.float32))
    with_none = dict(ARRAYS, x_val=None)
    prints = {fingerprint(a) for a in (changed, reshaped, retyped, with_none)}
    assert len(prints | {base}) == 5


def test_fingerprint_ignores_memory_layout():
    fortran = dict(ARRAYS, x_train=np.asfortranarray(ARRAYS["x_train"]))
    assert fingerprint(fortran) == fingerprint(ARRAYS)
