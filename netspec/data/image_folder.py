"""`image_folder`: one sub-folder of images per class (notMNIST style: A/, B/, ... J/).

Class names are the sorted folder names. Images are read with Pillow, made grayscale when the
input has 1 channel and RGB when it has 3, and resized to the input's height x width. Files
Pillow cannot read are skipped and counted in one warning. `per_class` reads a seeded,
balanced subset of at most that many images per class.
"""

from pathlib import Path

import numpy as np

from netspec.data.source import SourceData, require_path
from netspec.errors import UserError

MODES = {1: "L", 3: "RGB"}


def load(data: dict, input_spec: dict) -> SourceData:
    folder = require_path(data, "image_folder", "folder")
    height, width, channels = input_spec["shape"]
    if channels not in MODES:
        raise UserError(
            f"source 'image_folder' reads grayscale or RGB images, but input.shape has "
            f"{channels} channels",
            hint="set the last entry of input.shape to 1 (grayscale) or 3 (RGB)",
        )
    reader = ImageReader(MODES[channels], (width, height))
    class_names = [d.name for d in class_folders(folder)]
    rng = np.random.default_rng(data["seed"])
    x, y = reader.read(folder, class_names, data.get("per_class"), rng)
    test, test_origin = None, None
    if data.get("test_path"):
        test_folder = require_path(data, "image_folder", "folder", key="test_path")
        test = _test_set(reader, test_folder, class_names)
        test_origin = f"the images in data.test_path ({len(test[1])} examples)"
    return SourceData(
        x,
        y,
        class_names=class_names,
        value_range=(0.0, 255.0),
        test=test,
        test_origin=test_origin,
        warnings=reader.warnings(class_names, y),
    )


def class_folders(folder: Path) -> list[Path]:
    folders = sorted(d for d in folder.iterdir() if d.is_dir() and not d.name.startswith("."))
    if not folders:
        raise UserError(
            f"{folder} has no class folders",
            hint="put each class's images in its own sub-folder, e.g. A/, B/, ...",
        )
    return folders


class ImageReader:
    """Reads class folders into arrays, remembering the files it had to skip."""

    def __init__(self, mode: str, size: tuple[int, int]):
        self.mode = mode
        self.size = size
        self.skipped: list[str] = []

    def read(
        self,
        folder: Path,
        class_names: list[str],
        per_class: int | None = None,
        rng: np.random.Generator | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Every readable image, or with `per_class` at most that many per class, from the
        class's files in an order shuffled by `rng`."""
        pixels, labels = [], []
        for label, name in enumerate(class_names):
            files = sorted(
                f for f in (folder / name).iterdir() if f.is_file() and not f.name.startswith(".")
            )
            if per_class is not None:
                files = [files[k] for k in rng.permutation(len(files))]
            taken = 0
            for path in files:
                if per_class is not None and taken == per_class:
                    break
                image = self.read_image(path)
                if image is not None:
                    pixels.append(image)
                    labels.append(label)
                    taken += 1
        if not pixels:
            raise UserError(f"{folder}: no readable images in {', '.join(class_names)}")
        width, height = self.size
        x = np.stack(pixels).reshape(len(pixels), height, width, len(self.mode))
        return x, np.array(labels, dtype=np.int64)

    def read_image(self, path: Path) -> np.ndarray | None:
        from PIL import Image

        try:
            with Image.open(path) as image:
                image = image.convert(self.mode)
                if image.size != self.size:
                    image = image.resize(self.size, Image.Resampling.BILINEAR)
                return np.asarray(image, dtype=np.uint8)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as err:
            self.skipped.append(f"{path.parent.name}/{path.name}: {err}")
            return None

    def warnings(self, class_names: list[str], y: np.ndarray) -> list[str]:
        found = []
        if self.skipped:
            found.append(
                f"skipped {len(self.skipped)} unreadable image file(s), e.g. {self.skipped[0]}"
            )
        empty = [name for k, name in enumerate(class_names) if not np.any(y == k)]
        if empty:
            found.append(f"no readable images for class(es) {', '.join(empty)}")
        return found


def _test_set(
    reader: ImageReader, folder: Path, class_names: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """The test folder's images, labelled by the training folder's class numbering."""
    test_names = [d.name for d in class_folders(folder)]
    unknown = [name for name in test_names if name not in class_names]
    if unknown:
        raise UserError(
            f"data.test_path has class folders the training folder lacks: {', '.join(unknown)}"
        )
    x, y = reader.read(folder, test_names)
    return x, np.array([class_names.index(test_names[k]) for k in y], dtype=np.int64)
