"""`image_folder`: one sub-folder of images per class (notMNIST style: A/, B/, ... J/).

Class names are the sorted folder names. The scan reads file names and image headers only;
pixels are decoded when a batch needs them (netspec.data.images: grayscale or RGB as the
input's channels say, fitted to its height x width by `resize`). Files whose header is not
an image's are skipped and counted in one warning. `per_class` takes a seeded, balanced subset
of at most that many images per class.
"""

from __future__ import annotations

from pathlib import Path

from netspec.data.sources.base import Pool, Problem, Source, path_field, resize_field
from netspec.errors import UserError
from netspec.fields import Field

PROBE_THREADS = 8


def read(data: dict, input_spec: dict) -> Pool:
    from netspec.data.arrays import require_path

    folder = require_path(data, "image_folder", "folder")
    class_names = [d.name for d in class_folders(folder)]
    scan = Scan(folder, input_spec["shape"], data["resize"])
    train = scan.examples(class_names, data.get("per_class"), data["seed"])
    test, test_origin = None, None
    if data.get("test_path"):
        test_folder = require_path(data, "image_folder", "folder", key="test_path")
        unknown = [d.name for d in class_folders(test_folder) if d.name not in class_names]
        if unknown:
            raise UserError(
                f"data.test_path has class folders the training folder lacks: {', '.join(unknown)}"
            )
        test = Scan(test_folder, input_spec["shape"], data["resize"]).examples(class_names)
        test_origin = f"the images in data.test_path ({len(test)} examples)"
    return Pool(
        train,
        class_names,
        (0.0, 255.0),
        test=test,
        test_origin=test_origin,
        warnings=scan.warnings(class_names, train.labels),
    )


def class_folders(folder: Path) -> list[Path]:
    folders = sorted(d for d in folder.iterdir() if d.is_dir() and not d.name.startswith("."))
    if not folders:
        raise UserError(
            f"{folder} has no class folders",
            hint="put each class's images in its own sub-folder, e.g. A/, B/, ...",
        )
    return folders


class Scan:
    """Lists a folder's images by class, remembering the files it had to skip."""

    def __init__(self, folder: Path, shape, resize: str):
        self.folder, self.shape, self.resize = folder, tuple(shape), resize
        self.skipped: list[str] = []

    def examples(self, class_names: list[str], per_class: int | None = None, seed: int = 0):
        """The images of every class folder present (labelled by their index in
        `class_names`), in name order; with `per_class`, at most that many per class from an
        order shuffled by `seed`."""
        from concurrent.futures import ThreadPoolExecutor

        import numpy as np

        from netspec.data import images
        from netspec.data.examples import FileExamples

        rng = np.random.default_rng(seed)
        paths, labels = [], []
        for label, name in enumerate(class_names):
            if not (self.folder / name).is_dir():
                continue
            files = sorted(
                f
                for f in (self.folder / name).iterdir()
                if f.is_file() and not f.name.startswith(".")
            )
            if per_class is not None:
                files = [files[k] for k in rng.permutation(len(files))]
                problems = map(images.probe, files)  # one at a time: most are not needed
            else:  # the headers of a large folder: I/O, so read on threads
                with ThreadPoolExecutor(PROBE_THREADS) as pool:
                    problems = list(pool.map(images.probe, files))
            taken = 0
            for path, problem in zip(files, problems):
                if per_class is not None and taken == per_class:
                    break
                if problem is not None:
                    self.skipped.append(f"{name}/{path.name}: {problem}")
                    continue
                paths.append(str(path))
                labels.append(label)
                taken += 1
        if not paths:
            raise UserError(f"{self.folder}: no readable images in {', '.join(class_names)}")
        return FileExamples(paths, np.array(labels, np.int64), self.shape, self.resize, self.folder)

    def warnings(self, class_names: list[str], labels) -> list[str]:
        found = []
        if self.skipped:
            found.append(
                f"skipped {len(self.skipped)} unreadable image file(s), e.g. {self.skipped[0]}"
            )
        empty = [name for k, name in enumerate(class_names) if not (labels == k).any()]
        if empty:
            found.append(f"no readable images for class(es) {', '.join(empty)}")
        return found


def check(data: dict, input_spec: dict | None):
    yield from check_image_shape("image_folder", input_spec)


def check_image_shape(source: str, input_spec: dict | None):
    """Images decode to grayscale or RGB; the input must take one of those."""
    shape = input_spec["shape"] if input_spec else None
    if shape and (len(shape) != 3 or shape[2] not in (1, 3)):
        yield Problem(
            ("input", "shape"),
            f"source '{source}' gives grayscale or RGB images, but input.shape is {list(shape)}",
            "set input.shape to [height, width, 1] (grayscale) or [height, width, 3] (RGB)",
        )


SOURCE = Source(
    "image_folder",
    "one sub-folder of images per class (notMNIST style); photos of any size and format",
    read,
    fields={
        "path": path_field("Folder of class sub-folders, relative to the spec file.", True),
        "test_path": path_field(
            "A separate test folder with the same class sub-folders, relative to the spec file."
        ),
        "per_class": Field(
            {"type": ["integer", "null"], "minimum": 1},
            "At most this many images per class (a seeded, balanced subset).",
            None,
        ),
        "resize": resize_field("stretch"),
    },
    own_test=lambda data: bool(data.get("test_path")),
    check=check,
    path_fields=("path", "test_path"),
)
