"""A packed folder remembers what its shards cannot say: the raw value range (the default of
input.scale.from) and the resize mode of the images it was packed from."""

import json

from netspec.spec import load
from tests.helpers import write_spec


def spec_reading(tmp_path, manifest: dict | None, **data):
    shards = tmp_path / "shards"
    shards.mkdir()
    if manifest is not None:
        (shards / "netspec-data.json").write_text(json.dumps(manifest))
    return load(
        write_spec(
            tmp_path,
            {
                "input": {"shape": [8, 8, 1]},
                "layers": [{"type": "flatten"}, {"type": "dense", "units": 10}],
                "data": {"source": "tfrecord", "path": "shards", **data},
            },
        )
    )


def test_defaults_come_from_the_pack_manifest(tmp_path):
    spec = spec_reading(tmp_path, {"value_range": [0, 16], "resize": "crop"})
    assert spec.input["scale"]["from"] == [0, 16]
    assert spec.data["resize"] == "crop"
    assert spec.data["features"] == {"image": "image/encoded", "label": "image/class/label"}


def test_the_spec_overrides_the_manifest(tmp_path):
    spec = spec_reading(
        tmp_path, {"value_range": [0, 16], "resize": "crop"}, resize="pad", features={"label": "y"}
    )
    assert spec.data["resize"] == "pad"
    assert spec.data["features"] == {"image": "image/encoded", "label": "y"}


def test_without_a_manifest_images_are_0_to_255_and_stretched(tmp_path):
    spec = spec_reading(tmp_path, None)
    assert spec.input["scale"]["from"] == [0, 255]
    assert spec.data["resize"] == "stretch"
