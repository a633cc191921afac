"""Pickled objects in any .npz netspec reads are refused, never unpickled.

Unpickling runs code: the payloads here touch a marker file when unpickled (see
`test_the_payloads_run_code_when_unpickled`), and every test asserts that the marker was never
created. Two payloads: an .npz holding an object array (np.savez(allow_pickle=True)), and a
plain pickle file named .npz. The files netspec reads: the `npz` data source, a run's
checkpoints/last.npz (train --resume) and final.npz (evaluate, export, init_from), other data
for `evaluate --data npz`, and `predict` inputs.
"""

from __future__ import annotations

import pathlib
import pickle
from pathlib import Path

import numpy as np
import pytest

from netspec.errors import UserError
from tests.helpers import tree_state, write_spec
from tests.security.helpers import assert_one_line, assert_refused, copy_run

PICKLED = "holds pickled Python objects"


class Touch:
    """Unpickling this creates `path`: the least a malicious pickle can do."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def __reduce__(self):
        return pathlib.Path.touch, (self.path,)


def object_npz(path: Path, marker: Path, poisoned: str = "x", **arrays) -> Path:
    """An .npz of `arrays` whose `poisoned` entry is an object array holding a Touch."""
    poison = np.array([Touch(marker)], dtype=object)
    np.savez(path, allow_pickle=True, **{**arrays, poisoned: poison})
    return path


def pickle_npz(path: Path, marker: Path, poisoned: str = "x", **arrays) -> Path:
    """A plain pickle (of a dict, like an .npz's contents) under an .npz name."""
    path.write_bytes(pickle.dumps({**arrays, poisoned: Touch(marker)}))
    return path


PAYLOADS = {"object array": object_npz, "raw pickle": pickle_npz}


@pytest.fixture
def marker(tmp_path) -> Path:
    return tmp_path / "UNPICKLED"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_payloads_run_code_when_unpickled(tmp_path, payload):
    """The control: loading these with allow_pickle=True does create the marker."""
    marker = tmp_path / "control-marker"
    path = PAYLOADS[payload](tmp_path / "control.npz", marker, y=np.arange(3))
    loaded = np.load(path, allow_pickle=True)
    if payload == "object array":
        loaded["x"]  # an .npz unpickles an entry when it is read
    assert marker.exists()


# --- in this process: every reader, both payloads ------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_npz_data_source_refuses_pickles(tmp_path, marker, payload):
    """Through the source's reader, which memory-maps what np.savez stored uncompressed."""
    from netspec.data.sources import SOURCES

    path = PAYLOADS[payload](tmp_path / "data.npz", marker, y=np.arange(4) % 2)
    with pytest.raises(UserError) as refused:
        SOURCES["npz"].read({"path": str(path)}, {"shape": [1, 1, 1]})
    assert_one_line(refused.value.message, str(path), PICKLED, "never unpickles a .npz file")
    assert not marker.exists()


def test_the_npz_data_source_refuses_a_compressed_object_array(tmp_path, marker):
    """np.savez_compressed entries are read, not memory-mapped: refused all the same."""
    from netspec.data.sources import SOURCES

    path = tmp_path / "data.npz"
    poison = np.array([Touch(marker)], dtype=object)
    np.savez_compressed(path, allow_pickle=True, x=poison, y=np.arange(1))
    with pytest.raises(UserError) as refused:
        SOURCES["npz"].read({"path": str(path)}, {"shape": [1, 1, 1]})
    assert_one_line(refused.value.message, str(path), PICKLED, "never unpickles a .npz file")
    assert not marker.exists()


@pytest.mark.parametrize("training", [True, False], ids=["last.npz", "final.npz"])
@pytest.mark.parametrize("payload", PAYLOADS)
def test_checkpoints_refuse_pickles(tmp_path, marker, payload, training):
    from netspec.runs import checkpoints

    path = PAYLOADS[payload](
        tmp_path / "last.npz", marker, "conv1/kernel", **{"conv1/bias": np.zeros(4, np.float32)}
    )
    with pytest.raises(UserError) as refused:
        checkpoints.load(path, training=training)
    assert_one_line(refused.value.message, str(path), PICKLED, "never unpickles a checkpoint")
    assert not marker.exists()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_predict_inputs_refuse_pickles(tmp_path, marker, payload):
    from netspec.export.inputs import read_input

    path = PAYLOADS[payload](tmp_path / "inputs.npz", marker)
    with pytest.raises(UserError) as refused:
        read_input(path, [12, 12, 1], None)
    if payload == "object array":
        assert_one_line(refused.value.message, str(path), PICKLED)
    else:  # the contents, not the name, say what a file is: a pickle is no zip, so no .npz
        assert_one_line(refused.value.message, str(path), "not a readable image, .npz or IDX")
    assert not marker.exists()


# --- the commands -----------------------------------------------------------------------------

SMALL_NPZ_SPEC = {
    "name": "from_npz",
    "input": {"shape": [8, 8, 1]},
    "layers": [
        {"type": "flatten"},
        {"type": "dense", "name": "logits", "units": 2},
    ],
    "train": {"epochs": 1, "batch_size": 4},
    "data": {"source": "npz", "path": "data.npz", "split": {"train": 0.5, "test": 0.5}},
}


@pytest.mark.slow
@pytest.mark.parametrize("payload", PAYLOADS)
def test_train_refuses_a_pickled_npz_data_source(netspec_process, tmp_path, marker, payload):
    project = tmp_path / "project"
    project.mkdir()
    spec = write_spec(project, SMALL_NPZ_SPEC, "from_npz")
    data = PAYLOADS[payload](project / "data.npz", marker, y=np.arange(8) % 2)
    before = tree_state(tmp_path)
    result = netspec_process("train", spec, "--quiet", cwd=project)
    assert_refused(result, str(data), PICKLED, code=1)
    assert "hint: save plain numeric arrays" in result.stderr
    assert not marker.exists()
    assert tree_state(tmp_path) == before  # no run directory either


def poisoned_checkpoint(checkpoint: Path, marker: Path) -> None:
    """Replace `checkpoint` by the same arrays, conv1/kernel an object array with a Touch."""
    with np.load(checkpoint) as npz:
        arrays = {key: npz[key] for key in npz.files}
    assert "conv1/kernel" in arrays
    checkpoint.unlink()
    object_npz(checkpoint, marker, "conv1/kernel", **arrays)


def without_lock(state: dict) -> dict:
    """A run's tree state less `.lock`, which every command that owns the run rewrites."""
    return {key: value for key, value in state.items() if key != ".lock"}


@pytest.mark.slow
def test_resume_refuses_a_pickled_last_checkpoint(netspec_process, tmp_path, reference_run, marker):
    run = copy_run(reference_run, tmp_path / "run", status="interrupted")
    poisoned_checkpoint(run / "checkpoints" / "last.npz", marker)
    before = without_lock(tree_state(run))
    result = netspec_process("train", "--resume", run, cwd=tmp_path)
    assert_refused(result, "last.npz", PICKLED, "never unpickles a checkpoint", code=1)
    assert not marker.exists()
    assert without_lock(tree_state(run)) == before  # manifest and history untouched


@pytest.mark.slow
@pytest.mark.parametrize("command", ["evaluate", "export"])
def test_evaluate_and_export_refuse_a_pickled_final_checkpoint(
    netspec_process, tmp_path, reference_run, marker, command
):
    run = copy_run(reference_run, tmp_path / "run")
    poisoned_checkpoint(run / "checkpoints" / "final.npz", marker)
    before = tree_state(tmp_path)
    result = netspec_process(command, run, cwd=tmp_path)
    assert_refused(result, "final.npz", PICKLED, "never unpickles a checkpoint", code=1)
    assert not marker.exists()
    assert tree_state(tmp_path) == before  # no evaluation files, no export folder


@pytest.mark.slow
def test_evaluate_refuses_a_pickled_npz_data_source(
    netspec_process, tmp_path, reference_run, marker
):
    run = copy_run(reference_run, tmp_path / "run")
    data = object_npz(tmp_path / "other.npz", marker, "x", y=np.arange(4) % 3)
    before = tree_state(tmp_path)
    result = netspec_process("evaluate", run, "--data", "npz", "--path", data, cwd=tmp_path)
    assert_refused(result, str(data), PICKLED, code=1)
    assert not marker.exists()
    assert tree_state(tmp_path) == before


@pytest.mark.slow
def test_init_from_refuses_a_pickled_final_checkpoint(
    netspec_process, tmp_path, reference_run, marker
):
    from tests.train.helpers import tiny_spec

    run = copy_run(reference_run, tmp_path / "run")
    poisoned_checkpoint(run / "checkpoints" / "final.npz", marker)
    project = tmp_path / "project"
    project.mkdir()
    spec = tiny_spec(project, init_from={"run": str(run), "layers": ["conv1"]})
    before = tree_state(tmp_path)
    result = netspec_process("train", spec, "--quiet", cwd=project)
    assert_refused(result, "final.npz", PICKLED, "never unpickles a checkpoint", code=1)
    assert not marker.exists()
    assert tree_state(tmp_path) == before  # no run directory under project/runs


@pytest.mark.slow
@pytest.mark.parametrize("artifact", ["model.onnx", "saved_model"])
def test_predict_refuses_a_pickled_npz_input(netspec_process, tmp_path, exported, marker, artifact):
    inputs = object_npz(tmp_path / "inputs.npz", marker)
    result = netspec_process("predict", exported.out_dir / artifact, inputs, cwd=tmp_path)
    assert_refused(result, str(inputs), PICKLED, code=1)
    assert result.stdout == "" and not marker.exists()
