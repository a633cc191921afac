"""Streaming data (`data.cache: none`): memory that does not grow with the data, at in-memory speed.

    python benchmarks/data_scale.py [--rounds R] [--small] [--workdir DIR] [--keep]
                                    [--only memory|speed]

Every measurement is a fresh process training through `netspec.train.session.train`; its peak
resident memory comes from the kernel (wait4). Measured against a baseline of the same run:
  1. image_folder: peak RSS of a one-epoch run (its final evaluation of every split included;
     tiny conv model, batch 100, 96x96x3 input) over 20,000 RGB 96x96 PNGs minus the same
     over 2,000. Target: < 100 MiB (held in memory the extra 18,000 images are ~500 MiB;
     `cache: memory` is shown for contrast).
  2. tfrecord: the same over 200,000 32x32 RGB examples (~600 MiB decoded) against 20,000,
     16 train shards + 2 test shards each (90% / 10%). Target: < 100 MiB.
  3. specs/cnn.yaml (28x28x1, 4,000 train / 1,000 test mnist_5k digits) trained from the
     digits as uncompressed IDX files (memory-mapped), as an image_folder of PNGs, and as
     TFRecord shards of PNGs: median examples/s
     of the epochs after the first (history.csv `seconds`) with `cache: none` against
     `cache: memory`, run alternately. Target: ratio >= 0.9.
Each of the R rounds runs every variant once, the two sides of each comparison back to back;
medians are reported. The `cache: memory` contrast of 1. and 2. runs in the first round only.
PASS/FAIL is informational; the script exits 0. Data is generated once under --workdir,
reused by later runs with the same --workdir, and kept; without --workdir it goes to a
temporary folder, deleted at the end unless --keep. The script only replaces folders it
marked as its own. --small is a smoke run: a tenth of the counts and 3 epochs.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
CNN = ROOT / "specs" / "cnn.yaml"
TARGET_MIB = 100
TARGET_RATIO = 0.9
TINY = {  # a model that costs little next to reading the data
    "input": {"scale": "unit"},
    "layers": [
        {"type": "conv2d", "name": "conv", "filters": 4, "kernel": 4, "stride": 4},
        {"type": "global_avg_pool"},
        {"type": "dense", "name": "logits", "units": 10},
    ],
    "train": {"optimizer": "adam", "learning_rate": 0.001, "batch_size": 100, "epochs": 1},
}


# ---- data -------------------------------------------------------------------------------------


def picture(rng: np.random.Generator, label: int, size: int) -> np.ndarray:
    """A smooth RGB image tinted by its class, with some noise (so the PNG is not trivial)."""
    from PIL import Image

    coarse = rng.integers(0, 256, (max(2, size // 8), max(2, size // 8), 3), dtype=np.uint8)
    smooth = np.asarray(Image.fromarray(coarse).resize((size, size), Image.Resampling.BILINEAR))
    tint = np.array([(label * 37) % 256, (label * 91) % 256, (label * 151) % 256], np.uint16)
    noise = rng.integers(0, 16, (size, size, 3), dtype=np.uint16)
    return ((smooth.astype(np.uint16) * 5 + tint * 3) // 8 + noise).clip(0, 255).astype(np.uint8)


def write_folder(folder: Path, count: int, size: int, seed: int) -> None:
    from netspec.data.images import encode

    rng = np.random.default_rng(seed)
    for k in range(count):
        label = k % 10
        path = folder / str(label) / f"{k:06d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(encode(picture(rng, label, size)))


def write_digit_folder(folder: Path) -> None:
    from netspec.data.images import encode
    from netspec.data.sources import mnist_5k

    pool = mnist_5k.read({}, {})
    for k, (x, y) in enumerate(zip(pool.examples.x, pool.examples.labels.tolist())):
        path = folder / str(y) / f"{k:05d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(encode(x))


def write_digit_idx(folder: Path) -> None:
    """The mnist_5k digits as uncompressed IDX files: the idx source memory-maps them."""
    from netspec.data.sources import idx, mnist_5k

    pool = mnist_5k.read({}, {})
    idx.write_idx(folder / "train-images-idx3-ubyte", pool.examples.x[..., 0])
    idx.write_idx(folder / "train-labels-idx1-ubyte", pool.examples.labels)


def write_records_child(job: dict) -> None:
    """Runs in a child (it needs TensorFlow): write one TFRecord folder as `job` says."""
    import tensorflow as tf

    from netspec.data.images import encode

    folder = Path(job["folder"])
    folder.mkdir(parents=True, exist_ok=True)
    if job["kind"] == "digits":
        from netspec.data.sources import mnist_5k

        pool = mnist_5k.read({}, {})
        order = np.random.default_rng(job["seed"]).permutation(len(pool.examples.labels))
        x, y = pool.examples.x[order], pool.examples.labels[order]
        parts = {"train": (0, job["train"]), "test": (job["train"], job["train"] + job["test"])}
        image = lambda k: x[k]  # noqa: E731
        label = lambda k: int(y[k])  # noqa: E731
    else:
        rng = np.random.default_rng(job["seed"])
        parts = {"train": (0, job["train"]), "test": (job["train"], job["train"] + job["test"])}
        image = lambda k: picture(rng, k % 10, job["size"])  # noqa: E731
        label = lambda k: k % 10  # noqa: E731
    for split, (start, end) in parts.items():
        shards = job["shards"][split]
        for s in range(shards):
            name = folder / f"{split}-{s:05d}-of-{shards:05d}.tfrecord"
            with tf.io.TFRecordWriter(str(name)) as writer:
                for k in range(
                    start + (end - start) * s // shards, start + (end - start) * (s + 1) // shards
                ):
                    feature = {
                        "image/encoded": tf.train.Feature(
                            bytes_list=tf.train.BytesList(value=[encode(image(k))])
                        ),
                        "image/class/label": tf.train.Feature(
                            int64_list=tf.train.Int64List(value=[label(k)])
                        ),
                    }
                    example = tf.train.Example(features=tf.train.Features(feature=feature))
                    writer.write(example.SerializeToString())


def prepare(work: Path, sizes: dict) -> dict[str, Path]:
    """Every data folder (made unless an earlier run left it complete): name -> path."""
    folders = {}
    for name, (kind, total, size) in sizes.items():
        folder = work / "data" / f"{name}-{total}"
        folders[name] = folder
        if (folder / ".complete").exists():
            continue
        if folder.exists():  # an earlier run's unfinished writing, or not ours at all
            if not (folder / ".writing").exists():
                sys.exit(f"{folder} exists and was not written by this script: not touching it")
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        (folder / ".writing").touch()
        start = time.perf_counter()
        if kind == "folder":
            write_folder(folder, total, size, seed=len(name) + total)
        elif kind == "digit_folder":
            write_digit_folder(folder)
        elif kind == "digit_idx":
            write_digit_idx(folder)
        else:
            train = total * 9 // 10
            job = {
                "kind": "digits" if kind == "digit_records" else "synthetic",
                "folder": str(folder),
                "train": train if kind != "digit_records" else 4000,
                "test": total - train if kind != "digit_records" else 1000,
                "size": size,
                "seed": total,
                "shards": {"train": 16 if kind != "digit_records" else 4, "test": 2},
            }
            run_child(["--child-records", json.dumps(job)], work / "write.log")
        (folder / ".complete").touch()
        print(f"  wrote {folder.name} in {time.perf_counter() - start:.0f} s", flush=True)
    return folders


# ---- runs -------------------------------------------------------------------------------------


def train_child(spec_path: str, out: str) -> None:
    """Runs in the child: train the spec into `out`, print what the parent needs as JSON."""
    from netspec.train.session import train

    start = time.perf_counter()
    run = train(spec_path, out=out, quiet=True)
    seconds = time.perf_counter() - start
    with open(run / "history.csv", newline="") as f:
        epochs = [float(row["seconds"]) for row in csv.DictReader(f)]
    metrics = json.loads((run / "metrics.json").read_text())
    manifest = json.loads((run / "manifest.json").read_text())
    print(
        json.dumps(
            {
                "train_examples": metrics["train"]["examples"],
                "epoch_seconds": epochs,
                "seconds": seconds,
                "cache": manifest["data"]["cache"],
                "test_accuracy": metrics.get("test", {}).get("accuracy"),
            }
        )
    )


def run_child(arguments: list[str], log: Path) -> dict:
    """This script in a fresh process; its last stdout line (JSON, if any) plus its peak RSS
    in MiB (from the kernel, via wait4) and its wall time."""
    start = time.perf_counter()
    with open(log, "w") as stderr:
        child = subprocess.Popen(
            [sys.executable, __file__, *arguments], stdout=subprocess.PIPE, stderr=stderr, text=True
        )
        stdout = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code:
        tail = "".join(log.read_text().splitlines(keepends=True)[-15:])
        sys.exit(f"{' '.join(arguments)} failed with exit code {code}:\n{tail}")
    lines = stdout.strip().splitlines()
    result = json.loads(lines[-1]) if lines else {}
    return {**result, "peak_rss_mib": usage.ru_maxrss / 1024, "wall": time.perf_counter() - start}


def write_spec(work: Path, name: str, base: dict, data: dict, cache: str) -> Path:
    doc = json.loads(json.dumps(base))
    doc["name"] = name
    doc["data"] = {**data, "cache": cache}
    path = work / "specs" / f"{name}-{cache}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def tiny_spec(shape: list[int]) -> dict:
    doc = json.loads(json.dumps(TINY))
    doc["input"]["shape"] = shape
    return doc


# ---- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--small", action="store_true", help="a tenth of the counts, 3 epochs")
    parser.add_argument("--workdir", type=Path, help="where data is generated (and reused)")
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    parser.add_argument(
        "--only", choices=("memory", "speed"), help="measure only the memory or speed targets"
    )
    parser.add_argument("--child-train", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--child-records", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_train:
        return train_child(*args.child_train)
    if args.child_records:
        return write_records_child(json.loads(args.child_records))

    # a folder the user names is kept (it may hold more than this script wrote); a temporary
    # one is deleted unless --keep
    temporary = args.workdir is None
    work = Path(args.workdir or tempfile.mkdtemp(prefix="netspec-data-scale-")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    try:
        report(work, args.rounds, args.small, args.only)
    finally:
        if temporary and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"data kept in {work}")


def report(work: Path, rounds: int, small: bool, only: str | None = None) -> None:
    scale = 10 if small else 1
    memory_sets = {  # name: (kind, examples, side)
        "folder_big": ("folder", 20_000 // scale, 96),
        "folder_small": ("folder", 2_000 // scale, 96),
        "records_big": ("records", 200_000 // scale, 32),
        "records_small": ("records", 20_000 // scale, 32),
    }
    speed_sets = {
        "digit_idx": ("digit_idx", 5_000, 28),
        "digit_folder": ("digit_folder", 5_000, 28),
        "digit_records": ("digit_records", 5_000, 28),
    }
    sizes = {
        **({} if only == "speed" else memory_sets),
        **({} if only == "memory" else speed_sets),
    }
    print(f"data under {work}", flush=True)
    folders = prepare(work, sizes)

    split = {"train": 0.9, "validation": 0, "test": 0.1}
    cnn = yaml.safe_load(CNN.read_text())
    if small:
        cnn["train"]["epochs"] = 3
    variants = {  # name: (data folder, spec without data, source, data.split)
        "folder_big": ("folder_big", tiny_spec([96, 96, 3]), "image_folder", split),
        "folder_small": ("folder_small", tiny_spec([96, 96, 3]), "image_folder", split),
        "records_big": ("records_big", tiny_spec([32, 32, 3]), "tfrecord", None),
        "records_small": ("records_small", tiny_spec([32, 32, 3]), "tfrecord", None),
        "digit_idx": ("digit_idx", cnn, "idx", {"train": 4000, "test": 1000}),
        "digit_folder": ("digit_folder", cnn, "image_folder", {"train": 4000, "test": 1000}),
        "digit_records": ("digit_records", cnn, "tfrecord", None),
    }
    specs = {}
    for name, (folder, base, source, parts) in variants.items():
        if folder not in folders:
            continue
        data = {"source": source, "path": str(folders[folder]), "seed": 0}
        if parts is not None:
            data["split"] = parts
        for cache in ("none", "memory"):
            specs[name, cache] = write_spec(work, name, base, data, cache)

    # each pair compared runs back to back (A, B, A, B, ...); the cache-memory runs of the big
    # sets are only a contrast (and the slowest runs), so they run in the first round only
    contrast = [
        ("folder_small", "memory"), ("folder_big", "memory"),
        ("records_small", "memory"), ("records_big", "memory"),
    ]  # fmt: skip
    order = [
        ("folder_small", "none"), ("folder_big", "none"),
        ("records_small", "none"), ("records_big", "none"),
        ("digit_idx", "none"), ("digit_idx", "memory"),
        ("digit_folder", "none"), ("digit_folder", "memory"),
        ("digit_records", "none"), ("digit_records", "memory"),
    ]  # fmt: skip
    order = [key for key in order if key[0] in folders]
    contrast = [key for key in contrast if key[0] in folders]
    results = {key: [] for key in order + contrast}
    for round_ in range(rounds):
        for key in order + (contrast if round_ == 0 else []):
            out = work / "runs" / f"{key[0]}-{key[1]}-{round_}"
            result = run_child(["--child-train", str(specs[key]), str(out)], work / "train.log")
            if result["cache"] != key[1]:
                sys.exit(f"{key}: trained with cache {result['cache']}")
            results[key].append(result)
            shutil.rmtree(out, ignore_errors=True)
            print(
                f"  round {round_ + 1}/{rounds} {key[0]:13s} cache {key[1]:6s} "
                f"peak RSS {result['peak_rss_mib']:6.0f} MiB  epochs "
                + " ".join(f"{s:.2f}" for s in result["epoch_seconds"])
                + f" s  total {result['wall']:.0f} s",
                flush=True,
            )

    def rss(key):
        return statistics.median(r["peak_rss_mib"] for r in results[key])

    def speed(result):  # examples/s of the epochs after the first
        later = result["epoch_seconds"][1:] or result["epoch_seconds"]
        return result["train_examples"] * len(later) / sum(later)

    verdicts = []
    print(f"\ndata_scale ({'small' if small else 'full'} sizes, median of {rounds} rounds)")
    print("peak RSS of a one-epoch train(), fresh process (target: big - small < 100 MiB)")
    for kind, label in (("folder", "image_folder 96x96x3 PNG"), ("records", "tfrecord 32x32x3")):
        if only == "speed":
            break
        big, small_ = f"{kind}_big", f"{kind}_small"
        counts = f"{sizes[big][1]:,} vs {sizes[small_][1]:,}"
        for cache in ("none", "memory"):
            diff = rss((big, cache)) - rss((small_, cache))
            line = (
                f"  {label:25s} {counts:18s} cache {cache:6s} "
                f"{rss((big, cache)):6.0f} - {rss((small_, cache)):5.0f} = {diff:5.0f} MiB"
            )
            if cache == "none":
                verdict = "PASS" if diff < TARGET_MIB else "FAIL"
                verdicts.append(verdict)
                line += f"   {verdict}"
            else:
                line += "   (contrast, first round)"
            print(line)
    print(f"examples/s of cnn.yaml epochs 2.., cache none / memory (target >= {TARGET_RATIO})")
    for name, label in (
        ("digit_idx", "idx digits (memory-mapped)"),
        ("digit_folder", "image_folder PNG digits"),
        ("digit_records", "tfrecord digits"),
    ):
        if only == "memory":
            break
        none, memory = results[name, "none"], results[name, "memory"]
        ratios = [speed(a) / speed(b) for a, b in zip(none, memory)]
        ratio = statistics.median(ratios)
        verdict = "PASS" if ratio >= TARGET_RATIO else "FAIL"
        verdicts.append(verdict)
        print(
            f"  {label:25s} none {statistics.median(map(speed, none)):6.0f}   memory "
            f"{statistics.median(map(speed, memory)):6.0f}   ratio {ratio:.2f} "
            f"(rounds: {', '.join(f'{r:.2f}' for r in ratios)})   {verdict}"
        )
        print(
            f"  {'':25s} end to end: none {statistics.median(r['seconds'] for r in none):.1f} s"
            f"   memory {statistics.median(r['seconds'] for r in memory):.1f} s   test accuracy "
            f"none {statistics.median(r['test_accuracy'] for r in none):.4f}"
            f"   memory {statistics.median(r['test_accuracy'] for r in memory):.4f}"
        )
    print(f"{verdicts.count('PASS')} of {len(verdicts)} targets met")


if __name__ == "__main__":
    main()
