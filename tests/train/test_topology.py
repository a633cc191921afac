"""netspec.train.topology: what `--devices` and TF_CONFIG may say, and how a refusal looks.

No strategy spanning several devices is made here: logical CPU devices can only be set up in
a fresh process (tests/train/test_distributed.py trains on them)."""

import json
import os

import pytest

from netspec.errors import UsageError, UserError
from netspec.train import topology
from netspec.train.topology import DEVICES_HELP, Topology, cluster, parse_devices
from tests.cli.helpers import run_main
from tests.helpers import assert_error, tree_state
from tests.train.helpers import tiny_spec

WORKERS = ["10.0.0.1:2222", "10.0.0.2:2222", "10.0.0.3:2222"]


def tf_config(**config) -> str:
    return json.dumps(
        {"cluster": {"worker": WORKERS}, "task": {"type": "worker", "index": 1}, **config}
    )


def has_gpu() -> bool:
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


# --- --devices -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("auto", ("auto", None)),
        ("cpu", ("cpu", None)),
        ("gpu", ("gpu", None)),
        (" GPU ", ("gpu", None)),
        ("1", ("count", 1)),
        ("4", ("count", 4)),
        ("gpu:0", ("gpu", (0,))),
        ("gpu:0,1", ("gpu", (0, 1))),
        ("gpu:3,1", ("gpu", (3, 1))),
    ],
)
def test_device_choices(text, parsed):
    assert parse_devices(text) == parsed


@pytest.mark.parametrize(
    "text", ["0", "-1", "gpu:", "gpu:0,", "gpu:,1", "gpu:a", "tpu", "cpu:0", "2.5", ""]
)
def test_other_device_choices_are_refused_with_the_list(text):
    with pytest.raises(UsageError) as refused:
        parse_devices(text)
    err = refused.value
    assert err.exit_code == 2
    assert "--devices" in err.message and "\n" not in err.message
    for choice in ("auto", "cpu", "gpu", "N", "gpu:0,1"):
        assert choice in err.hint
    assert DEVICES_HELP in err.hint


def test_a_superscript_digit_is_refused_like_any_other_word():
    with pytest.raises(UsageError):
        parse_devices("²")


# --- TF_CONFIG -----------------------------------------------------------------------------


def test_no_tf_config_is_no_cluster(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert cluster() is None
    monkeypatch.setenv("TF_CONFIG", "")
    assert cluster() is None


def test_a_worker_of_a_cluster(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", tf_config())
    assert cluster() == {
        "cluster": {"worker": WORKERS},
        "task": {"type": "worker", "index": 1},
    }


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("{not json", ["TF_CONFIG is not a cluster description"]),
        ("[]", ["TF_CONFIG is not a cluster description"]),
        (json.dumps({"cluster": {"worker": WORKERS}}), ["is not a cluster description", "task"]),
        (json.dumps({"task": {"type": "worker", "index": 0}}), ["not a cluster description"]),
        (tf_config(task={"type": "worker"}), ["not a cluster description", "index"]),
        (tf_config(task={"type": "worker", "index": "one"}), ["not a cluster description"]),
        (tf_config(task={"type": "worker", "index": 3}), ["is not one of the 3 workers"]),
        (tf_config(task={"type": "worker", "index": -1}), ["is not one of the 3 workers"]),
        (tf_config(task={"type": "evaluator", "index": 0}), ["is not one of the 3 workers"]),
        (
            tf_config(cluster={"worker": WORKERS, "ps": ["10.0.0.9:2222"]}),
            ["names jobs ['ps', 'worker']", "worker jobs only"],
        ),
        (
            tf_config(cluster={"worker": WORKERS, "chief": ["10.0.0.9:2222"]}),
            ["names jobs ['chief', 'worker']", "worker jobs only"],
        ),
        (
            tf_config(cluster={"chief": ["10.0.0.9:2222"]}, task={"type": "chief", "index": 0}),
            ["not a cluster description"],
        ),
    ],
)
def test_a_tf_config_that_is_not_a_worker_job_is_refused(monkeypatch, raw, words):
    monkeypatch.setenv("TF_CONFIG", raw)
    with pytest.raises(UserError) as refused:
        cluster()
    err = refused.value
    assert err.exit_code == 1
    assert "\n" not in err.message
    for word in words:
        assert word in err.message


def test_a_worker_list_that_is_not_a_list_is_refused(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", tf_config(cluster={"worker": 2}))
    with pytest.raises(UserError):
        cluster()


# --- Topology ------------------------------------------------------------------------------


def test_each_worker_reads_its_own_consecutive_shards():
    def shards(replicas, workers, index):
        devices = tuple(f"/gpu:{k}" for k in range(replicas // workers))
        return Topology("multi_worker_mirrored", devices, workers, index, replicas).shards()

    assert shards(4, 2, 1) == [2, 3]
    assert shards(4, 2, 0) == [0, 1]
    assert shards(1, 1, 0) == [0]
    assert shards(3, 3, 2) == [2]
    every = [shard for index in range(3) for shard in shards(6, 3, index)]
    assert every == list(range(6))


def test_describe_is_what_the_manifest_records():
    place = Topology("mirrored", ("/cpu:0", "/cpu:1"), 1, 0, 2)
    described = place.describe()
    assert described == {
        "strategy": "mirrored",
        "replicas": 2,
        "workers": 1,
        "devices": ["/cpu:0", "/cpu:1"],
    }
    assert json.loads(json.dumps(described)) == described
    assert place.is_chief
    assert not Topology("multi_worker_mirrored", ("/cpu:0",), 2, 1, 2).is_chief


@pytest.mark.parametrize("devices", ["gpu", "gpu:0", "gpu:0,1"])
def test_asking_for_a_gpu_on_a_host_without_one(monkeypatch, devices):
    if has_gpu():
        pytest.skip("this host has a GPU")
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(UserError) as refused:
        topology.make(devices)
    assert "GPU" in refused.value.message and "\n" not in refused.value.message
    assert f"--devices {devices}" in refused.value.message
    assert "--devices cpu" in refused.value.hint


@pytest.mark.parametrize("devices", ["auto", "cpu", "1"])
def test_one_cpu_is_the_default_strategy(monkeypatch, devices):
    if has_gpu():
        pytest.skip("this host has a GPU")
    import tensorflow as tf

    monkeypatch.delenv("TF_CONFIG", raising=False)
    strategy, place = topology.make(devices)
    assert strategy is tf.distribute.get_strategy()
    assert strategy.num_replicas_in_sync == 1
    assert place == Topology("default", ("/cpu:0",), 1, 0, 1)
    assert place.shards() == [0]


# --- the CLI -------------------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """An empty working directory but for a spec, with no TF_CONFIG."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TF_CONFIG", raising=False)
    # the CLI sets a default TensorFlow log level (a stricter one under TF_CONFIG): undo it
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"))
    tiny_spec(tmp_path)
    return tmp_path


def test_cli_devices_gpu_on_a_host_without_one(monkeypatch, capsys, folder):
    if has_gpu():
        pytest.skip("this host has a GPU")
    before = tree_state(folder)
    result = run_main(monkeypatch, capsys, "train", "tiny.yaml", "--devices", "gpu")
    assert_error(result, "--devices gpu", "GPU", code=1)
    assert "  hint: " in result.stderr
    assert tree_state(folder) == before  # refused before the run directory exists


def test_cli_devices_that_are_no_choice(monkeypatch, capsys, folder):
    before = tree_state(folder)
    result = run_main(monkeypatch, capsys, "train", "tiny.yaml", "--devices", "banana")
    assert_error(result, "--devices 'banana'", "not a device choice", code=2)
    assert DEVICES_HELP in result.stderr
    assert tree_state(folder) == before


def test_cli_workers_is_refused_inside_a_cluster(monkeypatch, capsys, folder):
    monkeypatch.setenv("TF_CONFIG", tf_config())
    before = tree_state(folder)
    result = run_main(monkeypatch, capsys, "train", "tiny.yaml", "--workers", "2")
    assert_error(result, "--workers", "TF_CONFIG is set", code=2)
    assert tree_state(folder) == before


def test_cli_malformed_tf_config(monkeypatch, capsys, folder):
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"worker": WORKERS}}))
    before = tree_state(folder)
    result = run_main(monkeypatch, capsys, "train", "tiny.yaml", "--devices", "cpu")
    assert_error(result, "TF_CONFIG is not a cluster description", code=1)
    assert tree_state(folder) == before


def test_workers_refuse_a_worker_folder_that_is_not_empty(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "workers"
    folder.mkdir()
    (folder / "worker-1.log").write_text("a user's file")
    monkeypatch.setenv("NETSPEC_WORKER_DIR", str(folder))
    monkeypatch.delenv("TF_CONFIG", raising=False)
    result = run_main(monkeypatch, capsys, "train", tiny_spec(tmp_path), "--workers", "2")
    assert result.returncode == 2
    assert "not an empty folder" in result.stderr
    assert (folder / "worker-1.log").read_text() == "a user's file"
