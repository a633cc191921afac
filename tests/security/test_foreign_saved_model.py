"""A SavedModel is a program: `netspec predict` must never run the graph it finds.

The foreign SavedModels here look like netspec's (a `serving_default` signature taking `image`
of shape (None, 12, 12, 1) float32 and returning `logits` and `probabilities`), but their
graphs write a file, read a secret file into their output, or list a private folder. Each
graph's class-3 logit is what its side effect produced, so a prediction that came from the
graph is told apart from one that came from the embedded spec and the checkpoint's values.
`test_the_foreign_graphs_do_what_they_claim_when_run` proves that running them does all that,
so the other tests would notice if predict ran them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from netspec.errors import UserError
from netspec.export.predict import open_artifact
from tests.security.helpers import assert_one_line, assert_refused

pytestmark = pytest.mark.slow  # every test exports, or builds SavedModels with TensorFlow

KINDS = ("write", "read", "list")
SECRET = "TOP-SECRET launch code 0000"
PRIVATE_FILES = ("diary.txt", "passwords.txt", "photo.jpg")
EXTRA = ("spec", "checkpoint_keys")  # what netspec.json holds besides the metadata


@pytest.fixture
def victim(tmp_path) -> Path:
    """A folder of the user's: a secret file and a private folder; the graph that writes
    writes here too."""
    folder = tmp_path / "victim"
    (folder / "private").mkdir(parents=True)
    (folder / "secret.txt").write_text(SECRET)
    for name in PRIVATE_FILES:
        (folder / "private" / name).write_text(name)
    return folder


def written_by_graph(victim: Path) -> Path:
    return victim / "written-by-the-graph.txt"


def side_effect(kind: str, victim: Path):
    """Graph code doing `kind` to `victim`; returns a float32 scalar that feeds the output."""
    import tensorflow as tf

    if kind == "write":
        tf.io.write_file(str(written_by_graph(victim)), "the foreign graph ran")
        return tf.constant(50.0)
    if kind == "read":
        return tf.cast(tf.strings.length(tf.io.read_file(str(victim / "secret.txt"))), tf.float32)
    return tf.cast(tf.size(tf.io.matching_files(str(victim / "private" / "*"))), tf.float32)


def foreign_saved_model(
    path: Path, kind: str, victim: Path, values: list | None = None, sidecar: dict | None = None
) -> Path:
    """A SavedModel (tf.Module + tf.function) whose serving_default does `kind` to `victim`.

    `values`: variables to hold, saved under the keys netspec's exports use
    (`variables/<i>/.ATTRIBUTES/VARIABLE_VALUE`); `sidecar`: a netspec.json to put beside it.
    """
    import tensorflow as tf

    class Foreign(tf.Module):
        variables = None  # an attribute here, not tf.Module's property: keys variables/<i>/...

        def __init__(self):
            super().__init__()
            if values is not None:
                self.variables = [tf.Variable(value) for value in values]

            @tf.function(input_signature=[tf.TensorSpec((None, 12, 12, 1), tf.float32, "image")])
            def serve(image):
                found = side_effect(kind, victim)
                logits = tf.zeros([tf.shape(image)[0], 4]) + tf.one_hot(3, 4) * found
                return {"logits": logits, "probabilities": tf.nn.softmax(logits)}

            self.serve = serve

    module = Foreign()
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    if sidecar is not None:
        (path / "netspec.json").write_text(json.dumps(sidecar))
    return path


def real_sidecar(exported) -> dict:
    return json.loads((exported.out_dir / "saved_model" / "netspec.json").read_text())


def old_style_sidecar(exported) -> dict:
    """netspec.json as exports wrote it before they embedded the spec: metadata only."""
    sidecar = real_sidecar(exported)
    for key in EXTRA:
        del sidecar[key]
    return sidecar


def exported_values(exported) -> list:
    """The real export's parameter values, in the order of their checkpoint keys."""
    import tensorflow as tf

    reader = tf.train.load_checkpoint(str(exported.out_dir / "saved_model/variables/variables"))
    keys = sorted(real_sidecar(exported)["checkpoint_keys"].values(), key=_index)
    assert [_index(key) for key in keys] == list(range(len(keys)))
    return [reader.get_tensor(key) for key in keys]


def _index(key: str) -> int:
    return int(key.split("/")[1])  # variables/<i>/.ATTRIBUTES/VARIABLE_VALUE


def raw_batch() -> np.ndarray:
    return np.random.default_rng(11).uniform(0, 255, (5, 12, 12, 1)).astype(np.float32)


@pytest.fixture
def batch_file(tmp_path) -> Path:
    path = tmp_path / "batch.npz"
    np.savez(path, x=raw_batch())
    return path


def onnx_probabilities(exported, x: np.ndarray) -> np.ndarray:
    return open_artifact(exported.out_dir / "model.onnx").probabilities(x)


def probabilities_of(stdout: str) -> np.ndarray:
    """`predict --top-k 4 --format json` output as an (N, 4) array, by class id."""
    rows = []
    for record in json.loads(stdout):
        row = np.zeros(4)
        for entry in record["top_k"]:
            row[entry["id"]] = entry["probability"]
        rows.append(row)
    return np.array(rows)


def assert_graph_did_not_run(victim: Path) -> None:
    assert not written_by_graph(victim).exists()
    assert sorted(p.name for p in victim.iterdir()) == ["private", "secret.txt"]


# --- the foreign graphs are real threats -----------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_the_foreign_graphs_do_what_they_claim_when_run(tmp_path, victim, kind):
    import tensorflow as tf

    path = foreign_saved_model(tmp_path / "control", kind, victim)
    serving = tf.saved_model.load(str(path)).signatures["serving_default"]
    logits = serving(image=tf.constant(raw_batch()))["logits"].numpy()
    found = {"write": 50.0, "read": len(SECRET), "list": len(PRIVATE_FILES)}[kind]
    np.testing.assert_array_equal(logits[:, 3], found)
    assert written_by_graph(victim).exists() == (kind == "write")


# --- netspec.json without a spec (foreign, or exported before the spec was embedded), or none ---


@pytest.mark.parametrize("sidecar", ["old-style", "none"])
@pytest.mark.parametrize("kind", KINDS)
def test_an_old_style_sidecar_is_refused_in_process(tmp_path, exported, victim, kind, sidecar):
    path = foreign_saved_model(
        tmp_path / "saved_model",
        kind,
        victim,
        exported_values(exported),
        old_style_sidecar(exported) if sidecar == "old-style" else None,
    )
    with pytest.raises(UserError) as refused:
        open_artifact(path)
    words = {"old-style": "carries no spec to rebuild the network", "none": "has no netspec.json"}
    assert_one_line(refused.value.message, str(path), words[sidecar])
    assert "re-export it with `netspec export RUN`" in refused.value.hint
    assert_graph_did_not_run(victim)


@pytest.mark.parametrize("kind", KINDS)
def test_an_old_style_sidecar_is_refused_by_the_command(
    netspec_process, tmp_path, exported, victim, batch_file, kind
):
    path = foreign_saved_model(
        tmp_path / "saved_model",
        kind,
        victim,
        exported_values(exported),
        old_style_sidecar(exported),
    )
    result = netspec_process("predict", path, batch_file, cwd=tmp_path)
    assert_refused(result, "carries no spec to rebuild the network from", code=1)
    assert "hint: re-export it with `netspec export RUN`" in result.stderr
    assert result.stdout == "" and SECRET not in result.stderr
    assert_graph_did_not_run(victim)


# --- a real export's full netspec.json beside a foreign graph ---------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_full_sidecar_predicts_from_the_checkpoint_not_the_graph(
    tmp_path, exported, victim, kind
):
    """The foreign SavedModel holds the export's values under the export's keys: predict
    rebuilds the network from the embedded spec, and gives the real model's probabilities."""
    path = foreign_saved_model(
        tmp_path / "saved_model", kind, victim, exported_values(exported), real_sidecar(exported)
    )
    x = raw_batch()
    got = open_artifact(path).probabilities(x)
    np.testing.assert_allclose(got, onnx_probabilities(exported, x), rtol=0, atol=1e-5)
    assert_graph_did_not_run(victim)


@pytest.mark.parametrize("kind", KINDS)
def test_a_full_sidecar_predicts_from_the_checkpoint_as_a_command(
    netspec_process, tmp_path, exported, victim, batch_file, kind
):
    path = foreign_saved_model(
        tmp_path / "saved_model", kind, victim, exported_values(exported), real_sidecar(exported)
    )
    result = netspec_process(
        "predict", path, batch_file, "--top-k", "4", "--format", "json", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert SECRET not in result.stdout
    expected = onnx_probabilities(exported, raw_batch())
    np.testing.assert_allclose(probabilities_of(result.stdout), expected, rtol=0, atol=1e-5)
    assert_graph_did_not_run(victim)


@pytest.mark.parametrize("kind", KINDS)
def test_a_full_sidecar_without_the_values_is_refused(tmp_path, exported, victim, kind):
    """The foreign SavedModel holds no variables at all: nothing to read, and no graph run."""
    path = foreign_saved_model(
        tmp_path / "saved_model", kind, victim, sidecar=real_sidecar(exported)
    )
    with pytest.raises(UserError) as refused:
        open_artifact(path)
    assert_one_line(refused.value.message, str(path), "unreadable SavedModel variables")
    assert_graph_did_not_run(victim)


def test_a_full_sidecar_without_the_values_is_refused_by_the_command(
    netspec_process, tmp_path, exported, victim, batch_file
):
    path = foreign_saved_model(
        tmp_path / "saved_model", "write", victim, sidecar=real_sidecar(exported)
    )
    result = netspec_process("predict", path, batch_file, cwd=tmp_path)
    assert_refused(result, str(path), "unreadable SavedModel variables", code=1)
    assert result.stdout == ""
    assert_graph_did_not_run(victim)


# --- a real export whose netspec.json was edited -----------------------------------------------


@pytest.fixture
def real_copy(tmp_path, exported) -> Path:
    """A copy of the real export's SavedModel folder, to edit."""
    return Path(shutil.copytree(exported.out_dir / "saved_model", tmp_path / "saved_model"))


def edit_sidecar(saved_model: Path, edit) -> None:
    path = saved_model / "netspec.json"
    sidecar = json.loads(path.read_text())
    edit(sidecar)
    path.write_text(json.dumps(sidecar))


def widen_fc1(sidecar: dict) -> None:
    fc1 = next(layer for layer in sidecar["spec"]["layers"] if layer["name"] == "fc1")
    assert fc1["units"] == 16
    fc1["units"] = 17


def test_a_tampered_spec_is_refused(netspec_process, tmp_path, real_copy, batch_file):
    edit_sidecar(real_copy, widen_fc1)
    with pytest.raises(UserError) as refused:
        open_artifact(real_copy)
    assert_one_line(refused.value.message, "the embedded spec does not match its spec_hash")
    result = netspec_process("predict", real_copy, batch_file, cwd=tmp_path)
    assert_refused(result, "netspec.json", "the embedded spec does not match its spec_hash")
    assert "hint: the file was changed after export" in result.stderr
    assert result.stdout == ""


def test_a_tampered_spec_with_a_matching_hash_does_not_fit_the_values(real_copy):
    """Whoever edits the spec can recompute its hash: the checkpoint's values must still fit
    the network the spec builds, or predict refuses."""
    from netspec.spec import load_resolved

    def widen_and_rehash(sidecar):
        widen_fc1(sidecar)
        sidecar["spec_hash"] = load_resolved(sidecar["spec"], real_copy / "netspec.json").hash

    edit_sidecar(real_copy, widen_and_rehash)
    with pytest.raises(UserError) as refused:
        open_artifact(real_copy)
    assert_one_line(
        refused.value.message,
        "fc1/kernel is float32[54, 16] in the checkpoint, but the spec makes it float32[54, 17]",
    )


@pytest.mark.parametrize(
    "key, words",
    [
        ("variables/99/.ATTRIBUTES/VARIABLE_VALUE", "unreadable SavedModel variables"),
        ("no/such/key", "unreadable SavedModel variables"),
        # a string entry, not a variable: it once crashed predict with an AttributeError
        ("_CHECKPOINTABLE_OBJECT_GRAPH", "conv1/kernel is |S"),
    ],
)
def test_checkpoint_keys_naming_missing_or_foreign_entries_are_one_line_errors(
    netspec_process, tmp_path, real_copy, batch_file, key, words
):
    def point_conv1_kernel_at(sidecar):
        sidecar["checkpoint_keys"]["conv1/kernel"] = key

    edit_sidecar(real_copy, point_conv1_kernel_at)
    with pytest.raises(UserError) as refused:
        open_artifact(real_copy)
    assert_one_line(refused.value.message, str(real_copy), words)
    if key != "variables/99/.ATTRIBUTES/VARIABLE_VALUE":  # the same path as no/such/key
        result = netspec_process("predict", real_copy, batch_file, cwd=tmp_path)
        assert_refused(result, str(real_copy), words, code=1)
        assert "hint: re-export it" in result.stderr and result.stdout == ""


# --- what a real export predicts ---------------------------------------------------------------


def test_the_saved_model_and_onnx_give_the_same_probabilities(exported):
    x = raw_batch()
    from_saved_model = open_artifact(exported.out_dir / "saved_model").probabilities(x)
    np.testing.assert_allclose(from_saved_model, onnx_probabilities(exported, x), rtol=0, atol=1e-5)
    assert from_saved_model.shape == (5, 4)
    np.testing.assert_allclose(from_saved_model.sum(axis=1), 1, atol=1e-5)
