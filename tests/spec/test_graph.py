"""Graph specs, statically (no TensorFlow): how `inputs`, `output` and blocks expand into the
Graph (netspec.spec.graph, netspec.spec.expand), the names the expansion gives, overrides of
block layers, and the problems only a graph can have (unused outputs, runaway expansion)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest

from netspec.spec import SpecError, load
from netspec.spec import expand as expansion
from netspec.spec.graph import Instance, Node, selects
from netspec.spec.summary import summarize
from tests.helpers import write_spec
from tests.spec.test_no_tensorflow import SCRIPT
from tests.specs.spec_corpus import HERE

RESIDUAL = """\
input: {shape: [16, 16, 1]}
blocks:
  residual:
    params: {filters: int, stride: {type: int, default: 1}, kernel: {type: int, default: 3}}
    layers:
      - {type: conv2d, name: conv_a, filters: "${filters}", kernel: "${kernel}",
         stride: "${stride}"}
      - {type: conv2d, name: conv_b, filters: "${filters}", kernel: 3}
      - {type: conv2d, name: shortcut, inputs: [input], filters: "${filters}", kernel: 1,
         stride: "${stride}"}
      - {type: add, name: sum, inputs: [shortcut, conv_b]}
layers:
  - {type: conv2d, name: stem, filters: 4, kernel: 3}
  - {type: block, block: residual, name: stage2, repeat: 3, with: {filters: 8},
     first: {stride: 2}}
  - {type: conv2d, name: side, inputs: [stage2_2], filters: 8, kernel: 1}
  - {type: add, name: join, inputs: [stage2, side]}
  - {type: global_avg_pool, name: pool}
  - {type: dense, name: logits, units: 10}
data: {source: synthetic, classes: 10, examples: 100}
"""


def spec_of(tmp_path, text: str, *overrides: str, name: str = "spec"):
    return load(write_spec(tmp_path, textwrap.dedent(text), name), list(overrides))


def errors_of(tmp_path, text: str, *overrides: str) -> list:
    with pytest.raises(SpecError) as caught:
        spec_of(tmp_path, text, *overrides)
    return [d for d in caught.value.diagnostics if d.severity == "error"]


def edges(spec) -> dict[str, tuple[str, ...]]:
    return {node.name: node.inputs for node in spec.graph.nodes()}


def test_a_stack_reads_layer_by_layer_from_the_input(tmp_path):
    spec = spec_of(
        tmp_path,
        """\
        input: {name: pixels, shape: [28, 28, 1]}
        layers:
          - {type: conv2d, filters: 4, kernel: 3}
          - {type: flatten}
          - {type: dense, name: logits, units: 10}
        """,
    )
    assert edges(spec) == {
        "conv2d_1": ("pixels",),
        "flatten_1": ("conv2d_1",),
        "logits": ("flatten_1",),
    }
    graph = spec.graph
    assert (graph.input, graph.output, graph.aliases, graph.instances()) == (
        "pixels",
        "logits",
        {},
        [],
    )
    assert all(isinstance(item, Node) and item.scope == () for item in graph.items)
    assert [node.where for node in graph.nodes()] == [("layers", i) for i in range(3)]


def test_explicit_inputs_make_branches(tmp_path):
    spec = spec_of(
        tmp_path,
        """\
        input: {shape: [28, 28, 1]}
        layers:
          - {type: conv2d, name: a, filters: 4, kernel: 3}
          - {type: conv2d, name: b, inputs: [image], filters: 4, kernel: 5}
          - {type: concat, name: cat, inputs: [a, b, image]}
          - {type: add, name: sum, inputs: [a, b]}
          - {type: concat, name: both, inputs: [cat, sum]}
          - {type: global_avg_pool}
          - {type: dense, name: logits, units: 10}
        """,
    )
    assert edges(spec) == {
        "a": ("image",),
        "b": ("image",),
        "cat": ("a", "b", "image"),
        "sum": ("a", "b"),
        "both": ("cat", "sum"),
        "global_avg_pool_1": ("both",),
        "logits": ("global_avg_pool_1",),
    }
    shapes = {info.name: info.output_shape for info in spec.layer_infos()}
    assert shapes["cat"] == (28, 28, 9) and shapes["both"] == (28, 28, 13)
    assert spec.warnings == []


def test_repeated_instances_chain_and_are_named_by_index(tmp_path):
    spec = spec_of(tmp_path, RESIDUAL)
    graph = spec.graph
    instances = graph.instances()
    assert [(i.name, i.block, i.input, i.output) for i in instances] == [
        ("stage2_1", "residual", "stem", "stage2_1/sum"),
        ("stage2_2", "residual", "stage2_1/sum", "stage2_2/sum"),
        ("stage2_3", "residual", "stage2_2/sum", "stage2_3/sum"),
    ]
    assert all(i.where == ("layers", 1) and i.scope == () for i in instances)
    assert [type(item).__name__ for item in graph.items] == ["Node"] + ["Instance"] * 3 + [
        "Node"
    ] * 4
    got = edges(spec)
    for k, source in ((1, "stem"), (2, "stage2_1/sum"), (3, "stage2_2/sum")):
        name = f"stage2_{k}"
        assert got[f"{name}/conv_a"] == (source,)
        assert got[f"{name}/conv_b"] == (f"{name}/conv_a",)
        assert got[f"{name}/shortcut"] == (source,)  # `input` is the instance's input
        assert got[f"{name}/sum"] == (f"{name}/shortcut", f"{name}/conv_b")
    assert [node.name for node in instances[1].nodes()] == [
        f"stage2_2/{layer}" for layer in ("conv_a", "conv_b", "shortcut", "sum")
    ]
    node = next(node for node in graph.nodes() if node.name == "stage2_2/conv_b")
    assert (node.layer["name"], node.where, node.scope, node.instance) == (
        "conv_b",
        ("blocks", "residual", "layers", 1),
        ("stage2_2",),
        "stage2_2",
    )
    # a later layer reads an inner instance by its name, and the repeated layer's name as
    # the last instance's output
    assert got["side"] == ("stage2_2/sum",)
    assert got["join"] == ("stage2_3/sum", "side")
    assert graph.aliases["stage2"] == "stage2_3/sum"
    assert graph.output_of("stage2_1") == "stage2_1/sum"
    assert graph.output_of("stem") == "stem"


def test_first_overrides_with_for_the_first_instance_only_and_defaults_fill_the_rest(
    tmp_path,
):
    spec = spec_of(tmp_path, RESIDUAL)
    layers = {node.name: node.layer for node in spec.graph.nodes()}
    assert [layers[f"stage2_{k}/conv_a"]["stride"] for k in (1, 2, 3)] == [[2, 2], [1, 1], [1, 1]]
    assert [layers[f"stage2_{k}/shortcut"]["stride"] for k in (1, 2, 3)] == [
        [2, 2],
        [1, 1],
        [1, 1],
    ]
    assert {layers[f"stage2_{k}/conv_a"]["filters"] for k in (1, 2, 3)} == {8}
    assert {tuple(layers[f"stage2_{k}/conv_a"]["kernel"]) for k in (1, 2, 3)} == {(3, 3)}
    shapes = {info.name: info.output_shape for info in spec.layer_infos()}
    assert shapes["stage2_1/sum"] == (8, 8, 8) and shapes["stage2_3/sum"] == (8, 8, 8)


def test_first_given_and_with_given_each_override_the_default(tmp_path):
    text = RESIDUAL.replace("first: {stride: 2}", "first: {kernel: 5}").replace(
        "with: {filters: 8}", "with: {filters: 8, stride: 2, kernel: 1}"
    )
    spec = spec_of(tmp_path, text.replace("inputs: [stage2_2]", "inputs: [stage2]"))
    layers = {node.name: node.layer for node in spec.graph.nodes()}
    assert [layers[f"stage2_{k}/conv_a"]["kernel"] for k in (1, 2, 3)] == [[5, 5], [1, 1], [1, 1]]
    assert {tuple(layers[f"stage2_{k}/conv_a"]["stride"]) for k in (1, 2, 3)} == {(2, 2)}


def test_nested_blocks_name_their_layers_by_path(tmp_path):
    spec = load(HERE / "valid" / "graph_nested_blocks.yaml")
    graph = spec.graph
    assert [(i.name, i.scope) for i in graph.instances()] == [
        ("stage_1", ()),
        ("stage_1/down", ("stage_1",)),
        ("stage_1/unit_1", ("stage_1",)),
        ("stage_1/unit_2", ("stage_1",)),
        ("stage_2", ()),
        ("stage_2/down", ("stage_2",)),
        ("stage_2/unit_1", ("stage_2",)),
        ("stage_2/unit_2", ("stage_2",)),
    ]
    got = edges(spec)
    assert got["stage_1/down/conv"] == ("image",)
    assert got["stage_1/unit_1/conv"] == ("stage_1/down/relu",)
    assert got["stage_1/unit_2/conv"] == ("stage_1/unit_1/relu",)
    assert got["stage_1/sum"] == ("stage_1/down/relu", "stage_1/unit_2/relu")
    assert got["stage_2/down/conv"] == ("stage_1/sum",)
    node = next(n for n in graph.nodes() if n.name == "stage_2/unit_1/bn")
    assert node.scope == ("stage_2", "stage_2/unit_1") and node.instance == "stage_2/unit_1"
    assert node.where == ("blocks", "conv_bn", "layers", 1)
    # `first` of the outer block reaches the inner ones through `${filters}`
    filters = {n.name: n.layer.get("filters") for n in graph.nodes()}
    assert filters["stage_1/unit_2/conv"] == 4 and filters["stage_2/unit_2/conv"] == 8
    stride = {n.name: n.layer.get("stride") for n in graph.nodes()}
    assert stride["stage_1/down/conv"] == [2, 2] and stride["stage_1/unit_1/conv"] == [1, 1]
    outer = graph.instances()[0]
    assert isinstance(outer, Instance) and outer.output == "stage_1/sum"
    assert [m.name for m in outer.members] == [
        "stage_1/down",
        "stage_1/unit_1",
        "stage_1/unit_2",
        "stage_1/sum",
    ]


def test_output_names_the_logits_layer_and_later_layers_are_reported_unused(tmp_path):
    spec = spec_of(
        tmp_path,
        """\
        input: {shape: [28, 28, 1]}
        layers:
          - {type: flatten}
          - {type: dense, name: logits, units: 10}
          - {type: dense, name: extra, units: 3}
        output: logits
        """,
    )
    assert spec.graph.output == "logits"
    assert spec.output_info.name == "logits" and spec.output_info.output_shape == (10,)
    assert [(w.code, w.dotted, w.message) for w in spec.warnings] == [
        ("W-UNUSED", "layers[2]", "the output of 'extra' is not used")
    ]


def test_output_may_name_a_block_layer_meaning_its_last_instance(tmp_path):
    spec = spec_of(
        tmp_path,
        """\
        input: {shape: [28, 28, 1]}
        blocks:
          head:
            params: {units: int}
            layers:
              - {type: dense, name: fc, units: "${units}"}
        layers:
          - {type: flatten}
          - {type: block, block: head, name: heads, repeat: 2, with: {units: 10}}
        output: heads
        """,
    )
    assert spec.graph.output == "heads_2/fc" and spec.output_info.output_shape == (10,)
    assert spec.warnings == []


def test_nodes_come_after_the_nodes_they_read():
    for path in sorted((HERE / "valid").glob("graph_*.yaml")):
        graph = load(path).graph
        seen = {graph.input}
        for node in graph.nodes():
            assert set(node.inputs) <= seen, (path.name, node.name)
            assert node.name not in seen, (path.name, node.name)
            seen.add(node.name)
        assert graph.output in seen


@pytest.mark.parametrize(
    "pattern, name, selected",
    [
        ("conv1", "conv1", True),
        ("conv1", "conv10", False),
        ("stage2_1", "stage2_1/conv_a", True),
        ("stage2_1", "stage2_10/conv_a", False),
        ("stage2_1/conv_a", "stage2_1/conv_a", True),
        ("stage2_1/conv_a", "stage2_1/conv_b", False),
        ("conv_a", "stage2_1/conv_a", False),  # an inner name alone selects nothing
        ("stage2_*", "stage2_3/conv_b", True),
        ("stage2_*", "stage3_1/conv_b", False),
        ("stage*/conv_a", "stage2_1/conv_a", True),
        ("stage*/conv_a", "stage2_1/conv_b", False),
        ("stage_1/unit_1", "stage_1/unit_1/conv", True),
        ("stage_1", "stage_1/unit_1/conv", True),
        ("stage_1/unit", "stage_1/unit_1/conv", False),
        ("stage_?/unit_[12]/bn", "stage_2/unit_2/bn", True),
        ("*", "anything/at/all", True),
    ],
)
def test_selects_matches_names_inner_paths_and_globs(pattern, name, selected):
    assert selects(pattern, name) is selected


def test_overrides_reach_block_parameters_and_block_definitions(tmp_path):
    spec = spec_of(
        tmp_path,
        RESIDUAL,
        "layers.stage2.with.filters=16",
        "layers.side.filters=16",
        "blocks.residual.layers.conv_a.kernel=5",
    )
    layers = {node.name: node.layer for node in spec.graph.nodes()}
    for k in (1, 2, 3):
        assert layers[f"stage2_{k}/conv_a"]["filters"] == 16
        assert layers[f"stage2_{k}/conv_a"]["kernel"] == [5, 5]
        assert layers[f"stage2_{k}/conv_b"]["kernel"] == [3, 3]
    assert spec.blocks["residual"]["layers"][0]["kernel"] == 5
    assert spec.layers[1]["with"] == {"filters": 16}
    params = {info.name: info.params for info in spec.layer_infos()}
    assert params["stage2_2/conv_a"] == 5 * 5 * 16 * 16 + 16
    # the parameter itself can still be overridden over the definition's `${kernel}`
    spec = spec_of(tmp_path, RESIDUAL, "layers.stage2.first.kernel=1")
    layers = {node.name: node.layer for node in spec.graph.nodes()}
    assert [layers[f"stage2_{k}/conv_a"]["kernel"] for k in (1, 2, 3)] == [[1, 1], [3, 3], [3, 3]]


def test_a_block_counts_like_its_hand_expanded_stack(tmp_path):
    blocks = spec_of(
        tmp_path,
        """\
        input: {shape: [28, 28, 1]}
        blocks:
          unit:
            params: {filters: int}
            layers:
              - {type: conv2d, name: a, filters: "${filters}", kernel: 3, activation: relu}
              - {type: conv2d, name: b, filters: "${filters}", kernel: 3}
              - {type: add, name: sum, inputs: [input, b]}
        layers:
          - {type: conv2d, name: stem, filters: 4, kernel: 3}
          - {type: block, block: unit, name: u, repeat: 2, with: {filters: 4}}
          - {type: global_avg_pool}
          - {type: dense, name: logits, units: 10}
        """,
        name="blocks",
    )
    flat = spec_of(
        tmp_path,
        """\
        input: {shape: [28, 28, 1]}
        layers:
          - {type: conv2d, name: stem, filters: 4, kernel: 3}
          - {type: conv2d, name: a1, filters: 4, kernel: 3, activation: relu}
          - {type: conv2d, name: b1, filters: 4, kernel: 3}
          - {type: add, name: s1, inputs: [stem, b1]}
          - {type: conv2d, name: a2, filters: 4, kernel: 3, activation: relu}
          - {type: conv2d, name: b2, filters: 4, kernel: 3}
          - {type: add, name: s2, inputs: [s1, b2]}
          - {type: global_avg_pool}
          - {type: dense, name: logits, units: 10}
        """,
        name="flat",
    )
    columns = lambda spec: [  # noqa: E731
        (i.type, i.input_shape, i.output_shape, i.params, i.flops, i.trainable)
        for i in spec.layer_infos()
    ]
    assert columns(blocks) == columns(flat)
    totals = ("params", "trainable_params", "flops_per_example", "activation_bytes_per_example")
    left, right = summarize(blocks), summarize(flat)
    assert {k: left[k] for k in totals} == {k: right[k] for k in totals}
    assert [row["name"] for row in left["layers"]][:4] == ["stem", "u_1/a", "u_1/b", "u_1/sum"]
    assert left["layers"][3]["inputs"] == ["stem", "u_1/b"]


def test_an_unused_output_is_a_located_warning(tmp_path):
    spec = spec_of(
        tmp_path,
        """\
        input: {shape: [28, 28, 1]}
        layers:
          - {type: conv2d, name: conv1, filters: 4, kernel: 3}
          - {type: conv2d, name: side, filters: 4, kernel: 3}
          - {type: flatten, inputs: [conv1]}
          - {type: dense, name: logits, units: 10}
        """,
    )
    [warning] = spec.warnings
    assert (warning.severity, warning.code, warning.dotted) == ("warning", "W-UNUSED", "layers[1]")
    assert warning.message == "the output of 'side' is not used"
    assert "make it the `output`" in warning.hint
    assert (warning.location.line, warning.location.col) == (4, 5)
    assert warning.location.file == str(tmp_path / "spec.yaml")


def test_a_problem_shared_by_instances_is_reported_once_naming_them(tmp_path):
    spec = spec_of(
        tmp_path,
        """\
        input: {shape: [28, 28, 1]}
        blocks:
          unit:
            params: {filters: int}
            layers:
              - {type: conv2d, name: side, filters: "${filters}", kernel: 3}
              - {type: conv2d, name: main, inputs: [input], filters: "${filters}", kernel: 3}
        layers:
          - {type: block, block: unit, name: stage2, repeat: 3, with: {filters: 4}}
          - {type: block, block: unit, name: solo, with: {filters: 4}}
          - {type: flatten}
          - {type: dense, name: logits, units: 10}
        """,
    )
    [warning] = spec.warnings
    assert warning.dotted == "blocks.unit.layers[0]"
    assert warning.message == "the output of 'side' is not used (in stage2_1 and 3 more)"
    assert (warning.location.line, warning.location.col) == (6, 9)


def test_an_expansion_past_max_nodes_is_one_error(tmp_path):
    text = """\
    input: {shape: [28, 28, 1]}
    blocks:
      leaf:
        params: {f: {type: int, default: 1}}
        layers:
          - {type: activation, name: a, activation: relu}
      mid:
        params: {f: {type: int, default: 1}}
        layers:
          - {type: block, block: leaf, name: l, repeat: 1000}
    layers:
      - {type: block, block: mid, name: m, repeat: 1000}
      - {type: flatten}
      - {type: dense, name: logits, units: 10}
    """
    start = time.monotonic()
    [error] = errors_of(tmp_path, text)
    assert time.monotonic() - start < 60  # stops at the limit, not at a million layers
    # the 11th instance of m would cross the limit: the error is at the layer placing it
    assert error.code == "E-BLOCK" and error.dotted == "layers[0]"
    assert error.message == f"the network expands to more than {expansion.MAX_NODES:,} layers"
    assert "blocks inside blocks multiply them" in error.hint


def test_max_nodes_counts_layers_and_instances(tmp_path, monkeypatch):
    """Checked as each instance is placed: stem (1), then per instance 1 + its 4 layers."""
    monkeypatch.setattr(expansion, "MAX_NODES", 11)
    spec = spec_of(tmp_path, RESIDUAL.replace("repeat: 3", "repeat: 2"))  # 7 at stage2_2
    assert len(spec.graph.nodes()) == 13
    [error] = errors_of(tmp_path, RESIDUAL)  # 12 at stage2_3
    assert (error.dotted, error.message) == (
        "layers[1]",
        "the network expands to more than 11 layers",
    )


def test_a_huge_repeat_is_one_error_at_once(tmp_path):
    start = time.monotonic()
    [error] = errors_of(tmp_path, RESIDUAL.replace("repeat: 3", "repeat: 100000000"))
    assert time.monotonic() - start < 10 and error.dotted.startswith("layers[1]")


def test_a_block_without_parameters(tmp_path):
    spec = spec_of(
        tmp_path,
        """\
        input: {shape: [28, 28, 1]}
        blocks:
          pair:
            layers:
              - {type: conv2d, name: conv, filters: 4, kernel: 3}
        layers:
          - {type: block, block: pair, name: p, repeat: 2}
          - {type: flatten}
          - {type: dense, name: logits, units: 10}
        """,
    )
    assert [node.name for node in spec.graph.nodes()][:2] == ["p_1/conv", "p_2/conv"]


def test_a_block_layer_name_cannot_be_a_parameter(tmp_path):
    [error] = errors_of(
        tmp_path,
        """\
        input: {shape: [28, 28, 1]}
        blocks:
          b:
            params: {n: str}
            layers:
              - {type: conv2d, name: "${n}", filters: 4, kernel: 3}
        layers:
          - {type: block, block: b, name: s, with: {n: conv}}
          - {type: flatten}
          - {type: dense, name: logits, units: 10}
        """,
    )
    assert error.dotted == "blocks.b.layers[0].name"


@pytest.mark.parametrize("spec", ["graph_residual", "graph_nested_blocks"])
def test_validating_a_graph_spec_leaves_tensorflow_unimported(spec):
    path = HERE / "valid" / f"{spec}.yaml"
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"
