import numpy as np
import pytest
from PIL import Image

import netspec.data
from netspec.data.letters import LETTERS, write_letters
from netspec.errors import UserError
from netspec.spec import SpecError
from netspec.spec import load as load_spec
from tests.data.helpers import arrays
from tests.helpers import write_spec

SPLIT = {"train": 0.8, "validation": 0.2, "test": 0}


@pytest.fixture(scope="module")
def letters(tmp_path_factory):
    """20 letters per class plus 3 broken files (empty, truncated, not an image): the empty
    file and the text file fail the header scan, the truncated one only fails to decode."""
    return write_letters(tmp_path_factory.mktemp("letters"), per_class=20, corrupt=3)


def test_loads_classes_from_sorted_folders(make_spec, letters):
    ds = netspec.data.load(make_spec("image_folder", path=str(letters), split=SPLIT))
    x_train, y_train = arrays(ds.train)
    assert ds.class_names == list(LETTERS)
    assert x_train.shape == (160, 28, 28, 1) and x_train.dtype == np.uint8
    assert np.bincount(y_train).tolist() == [16] * 10
    assert ds.value_range == (0.0, 255.0) and x_train.max() > 200


def test_broken_files_are_skipped_and_counted_once(make_spec, letters):
    """In memory, the two files the header scan refuses are one warning, the truncated file
    that fails to decode at load another; all three are left out."""
    ds = netspec.data.load(make_spec("image_folder", path=str(letters), split=SPLIT))
    assert ds.cache == "memory" and len(ds.warnings) == 2
    assert ds.warnings[0].startswith("skipped 2 unreadable image file(s)")
    assert ds.warnings[1].startswith("skipped 1 image(s) that could not be decoded, e.g. B/")
    assert len(ds.train) + len(ds.validation) == 200


def test_resizes_and_converts_to_rgb(make_spec, letters):
    spec = make_spec("image_folder", shape=(16, 12, 3), path=str(letters), split=SPLIT)
    ds = netspec.data.load(spec)
    x_train = arrays(ds.train)[0]
    assert x_train.shape[1:] == (16, 12, 3)
    assert np.array_equal(x_train[..., 0], x_train[..., 2])  # gray source: R == B


def test_per_class_is_a_balanced_seeded_subset(make_spec, letters):
    """Streamed (cache none), so the subset is exactly the files per_class picked; a truncated
    file passes the header scan and may be one of them (in memory it would be dropped at load,
    leaving the class one short)."""

    def load(seed):
        spec = make_spec(
            "image_folder",
            path=str(letters),
            per_class=5,
            seed=seed,
            cache="none",
            split={"train": 50, "validation": 0, "test": 0},
        )
        return netspec.data.load(spec)

    first, again, other = load(1), load(1), load(2)
    assert first.cache == "none" and len(first.train) == 50
    assert np.bincount(first.train.labels).tolist() == [5] * 10
    assert first.fingerprint == again.fingerprint
    assert other.fingerprint != first.fingerprint


def test_test_path_maps_classes_by_name(make_spec, letters, tmp_path):
    for letter in "CA":
        (tmp_path / letter).mkdir()
        Image.open(letters / letter / "00000.png").save(tmp_path / letter / "one.png")
    spec = make_spec(
        "image_folder",
        path=str(letters),
        test_path=str(tmp_path),
        split={"train": 0.9, "validation": 0.1, "test": 0},
    )
    ds = netspec.data.load(spec)
    assert sorted(ds.test.labels.tolist()) == [0, 2]
    (tmp_path / "Z").mkdir()
    with pytest.raises(UserError, match="class folders the training folder lacks: Z"):
        netspec.data.load(spec)


def test_empty_folder_and_folder_without_images(make_spec, tmp_path):
    with pytest.raises(UserError, match="has no class folders"):
        netspec.data.load(make_spec("image_folder", path=str(tmp_path)))
    (tmp_path / "A").mkdir()
    (tmp_path / "A" / "broken.png").write_bytes(b"")
    with pytest.raises(UserError, match="no readable images"):
        netspec.data.load(make_spec("image_folder", path=str(tmp_path)))


def test_two_channel_input_is_refused(tmp_path, letters):
    """A static spec error now: found when the spec is loaded, before any file is read."""
    spec = {
        "input": {"shape": [28, 28, 2]},
        "layers": [{"type": "flatten"}, {"type": "dense", "units": 10}],
        "data": {"source": "image_folder", "path": str(letters)},
    }
    with pytest.raises(SpecError) as err:
        load_spec(write_spec(tmp_path, spec))
    assert "input.shape" in err.value.message and "grayscale or RGB" in err.value.message


def test_letters_are_reproducible(tmp_path):
    first = write_letters(tmp_path / "a", per_class=3, seed=4)
    again = write_letters(tmp_path / "b", per_class=3, seed=4)
    other = write_letters(tmp_path / "c", per_class=3, seed=5)
    files = sorted(p.relative_to(first) for p in first.rglob("*.png"))
    assert len(files) == 30
    assert all((first / f).read_bytes() == (again / f).read_bytes() for f in files)
    assert any((first / f).read_bytes() != (other / f).read_bytes() for f in files)


def test_letters_are_told_apart_by_their_shapes(make_spec, letters):
    """The nearest training image is mostly of the same letter (chance would be 10%)."""
    ds = netspec.data.load(make_spec("image_folder", path=str(letters), split=SPLIT))
    (x_train, y_train), (x_val, y_val) = arrays(ds.train), arrays(ds.validation)
    train, val = (x.reshape(len(x), -1).astype(np.float32) for x in (x_train, x_val))
    nearest = ((val[:, None] - train[None]) ** 2).sum(-1).argmin(1)
    assert (y_train[nearest] == y_val).mean() > 0.3


def test_class_without_readable_images_is_reported(make_spec, letters, tmp_path):
    for letter in "AB":
        (tmp_path / letter).mkdir()
    Image.open(letters / "A" / "00000.png").save(tmp_path / "A" / "a.png")
    Image.open(letters / "A" / "00001.png").save(tmp_path / "A" / "b.png")
    (tmp_path / "B" / "empty.png").write_bytes(b"")
    spec = make_spec(
        "image_folder", path=str(tmp_path), split={"train": 2, "validation": 0, "test": 0}
    )
    ds = netspec.data.load(spec)
    assert ds.class_names == ["A", "B"] and ds.train.labels.tolist() == [0, 0]
    assert ds.warnings[0].startswith("skipped 1 unreadable image file(s), e.g. B/empty.png")
    assert ds.warnings[1] == "no readable images for class(es) B"
