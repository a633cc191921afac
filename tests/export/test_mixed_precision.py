"""A run trained under mixed_bfloat16 exports float32 artifacts: they pass the three-engine gate
against the float32 model, hold no bfloat16/float16 tensor, and verification.json records how
far they are from the model as trained."""

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, numpy_helper

from netspec.compile.precision import precision_of
from netspec.export import PrecisionGapError, export_model, export_run
from netspec.export import precision as gap_check
from netspec.export.predict import open_artifact
from netspec.export.source import verification_batch
from netspec.export.verify import summary
from netspec.runs import open_run
from netspec.runs.trained import load_trained
from netspec.train import train
from tests.export.helpers import EXPORT_FILES
from tests.helpers import tree_state, write_spec

pytestmark = pytest.mark.slow

DIGITS = {
    "name": "digits_mixed",
    "input": {"shape": [8, 8, 1], "dtype": "uint8", "scale": {"from": [0, 16], "to": [0, 1]}},
    "layers": [
        {"type": "conv2d", "name": "conv1", "filters": 8, "kernel": 3, "activation": "relu"},
        {"type": "batch_norm", "name": "bn1"},
        {"type": "max_pool", "size": 2},
        {"type": "flatten"},
        {"type": "dense", "name": "fc1", "units": 32, "activation": "relu"},
        {"type": "dropout", "rate": 0.25},
        {"type": "dense", "name": "logits", "units": 10},
    ],
    "train": {
        "epochs": 6,  # confident enough that bfloat16 rounding flips < 1% of the test split
        "batch_size": 32,
        "seed": 5,
        "learning_rate": 0.01,
        "precision": "mixed_bfloat16",
    },
    "data": {"source": "digits"},
}
HALF = {TensorProto.BFLOAT16: "bfloat16", TensorProto.FLOAT16: "float16"}


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("mixed")
    return train(write_spec(folder, DIGITS, "digits_mixed"), out=folder / "run", quiet=True)


@pytest.fixture(scope="module")
def exported(run):
    return export_run(run)


@pytest.fixture(scope="module")
def verification(exported) -> dict:
    return json.loads((exported.out_dir / "verification.json").read_text())


def half_precision_tensors(model: onnx.ModelProto) -> list[str]:
    """Every place an ONNX graph could hold or make a bfloat16/float16 tensor."""
    graph = model.graph
    found = [
        f"initializer {t.name}: {HALF[t.data_type]}"
        for t in graph.initializer
        if t.data_type in HALF
    ]
    for kind, values in (
        ("input", graph.input),
        ("output", graph.output),
        ("value_info", graph.value_info),
    ):
        found += [
            f"{kind} {v.name}: {HALF[v.type.tensor_type.elem_type]}"
            for v in values
            if v.type.tensor_type.elem_type in HALF
        ]
    for node in graph.node:
        for attr in node.attribute:
            if node.op_type == "Cast" and attr.name == "to" and attr.i in HALF:
                found.append(f"Cast {node.name} to {HALF[attr.i]}")
            if attr.type == onnx.AttributeProto.TENSOR and attr.t.data_type in HALF:
                found.append(f"{node.op_type} {node.name} constant: {HALF[attr.t.data_type]}")
    return found


def test_the_run_trained_in_mixed_precision(run):
    assert open_run(run).spec().train["precision"] == "mixed_bfloat16"
    _, model = load_trained(open_run(run))  # what evaluate uses: the model as trained
    assert precision_of(model) == "mixed_bfloat16"
    assert model.get_layer("conv1").compute_dtype == "bfloat16"
    _, full = load_trained(open_run(run), "float32")
    assert precision_of(full) == "float32"


def test_the_float32_artifacts_pass_the_gate(exported, verification):
    assert sorted(exported.files) == EXPORT_FILES
    assert verification["passed"]
    for engine in ("saved_model", "onnx"):
        assert verification["engines"][engine]["test"]["argmax_mismatches"] == 0
    assert {p["dtype"] for p in exported.names["parameters"]} == {"float32"}


def test_verification_records_the_gap_to_the_model_as_trained(verification, run):
    gap = verification["precision"]
    test_examples = len(verification_batch(open_run(run).spec())[0][1])
    assert gap["trained"] == "mixed_bfloat16" and gap["exported"] == "float32"
    assert gap["batch"] == "test" and gap["examples"] == test_examples == 179
    assert gap["bound"] == 0.99 and gap["enforced"] and gap["passed"]
    assert gap["top1_agreement"] >= 0.99
    # really computed in bfloat16 (8 significant bits), and only rounding apart
    largest = verification["batches"]["test"]["max_abs_logit"]
    assert 0 < gap["mean_abs_logit_diff"] <= gap["max_abs_logit_diff"] < 0.05 * max(1, largest)
    shown = [line for line in summary(verification) if "trained in mixed_bfloat16" in line]
    assert shown and "exported in float32: same class on" in shown[0]


def test_the_onnx_model_holds_no_half_precision_tensor(exported, run):
    model = onnx.load(exported.out_dir / "model.onnx")
    assert half_precision_tensors(onnx.shape_inference.infer_shapes(model)) == []
    with np.load(open_run(run).final_weights) as trained:
        for init in model.graph.initializer:
            if init.name in trained.files:
                np.testing.assert_array_equal(numpy_helper.to_array(init), trained[init.name])


def test_predict_runs_the_artifacts_in_float32(exported, run):
    """`predict` rebuilds a SavedModel's network from its spec: in float32, as exported."""
    _, full = load_trained(open_run(run), "float32")
    raw = np.random.default_rng(0).integers(0, 17, (16, 8, 8, 1)).astype("uint8")
    logits = np.asarray(full(raw, training=False), dtype=np.float64)
    expected = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    for entry in ("saved_model", "model.onnx"):
        artifact = open_artifact(exported.out_dir / entry)
        np.testing.assert_allclose(artifact.probabilities(raw), expected, atol=1e-6)


def test_handing_the_mixed_model_exports_the_same_files(exported, run, tmp_path):
    spec, mixed = load_trained(open_run(run))
    real_batch, class_names, notes = verification_batch(spec)
    again = export_model(
        spec,
        mixed,
        tmp_path / "again",
        spec.export,
        source=str(Path(run).resolve()),
        class_names=class_names,
        real_batch=real_batch,
        notes=tuple(notes),
    )
    for name in ("model.onnx", "names.json"):
        assert (again.out_dir / name).read_bytes() == (exported.out_dir / name).read_bytes()
    assert again.report["precision"] == exported.report["precision"]


def test_a_gap_under_the_bound_fails_the_export_and_writes_nothing(run, tmp_path, monkeypatch):
    monkeypatch.setattr(gap_check, "TOP1_BOUND", 1.01)  # 100% agreement is now too little
    before = tree_state(run)
    with pytest.raises(PrecisionGapError) as refused:
        export_run(run, out=tmp_path / "out")
    message = refused.value.message
    assert "mixed_bfloat16 model pick the same class on only 100.00% of 179 test examples" in (
        message
    )
    assert "nothing was written" in message and refused.value.hint
    assert not (tmp_path / "out").exists()
    assert tree_state(run) == before


def test_without_real_data_the_gap_is_recorded_not_enforced(run, tmp_path, monkeypatch):
    monkeypatch.setattr(gap_check, "TOP1_BOUND", 1.01)
    spec, full = load_trained(open_run(run), "float32")
    result = export_model(
        spec, full, tmp_path / "out", {**spec.export, "formats": ["onnx"]}, source=str(run)
    )
    gap = result.report["precision"]
    assert gap["batch"] == "random" and gap["examples"] == 64
    assert not gap["enforced"] and not gap["passed"]
    assert result.report["passed"]


def test_a_mixed_float16_spec_exports_on_a_host_without_gpu(tmp_path):
    """Only training needs a GPU for float16; exporting its weights does not."""
    spec = write_spec(tmp_path, DIGITS, "fp16", train={"precision": "mixed_float16"})
    result = export_run(spec, ["export.formats=[onnx]"], out=tmp_path / "out")
    assert result.report["passed"]
    assert result.report["precision"]["trained"] == "mixed_float16"
    assert result.report["precision"]["top1_agreement"] >= 0.99
    assert half_precision_tensors(onnx.load(tmp_path / "out" / "model.onnx")) == []
