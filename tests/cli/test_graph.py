"""`netspec graph`: the drawing's edges are exactly the spec's, every layer is in the SVG with
no two boxes overlapping, and nothing needs Graphviz."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from typer.testing import CliRunner

from netspec.cli.app import app
from netspec.spec import load
from tests.export.helpers import RESIDUAL
from tests.helpers import write_spec

runner = CliRunner()


@pytest.fixture
def residual(tmp_path):
    return write_spec(tmp_path, RESIDUAL, "residual")


def spec_edges(path) -> set[tuple[str, str]]:
    graph = load(path).graph
    return {(source, node.name) for node in graph.nodes() for source in node.inputs}


def test_dot_edges_are_the_specs_edges(residual, tmp_path):
    result = runner.invoke(app, ["graph", str(residual), "-o", str(tmp_path / "net.dot")])
    assert result.exit_code == 0, result.output
    dot = (tmp_path / "net.dot").read_text()
    assert set(re.findall(r'^\s*"([^"]+)" -> "([^"]+)";$', dot, re.M)) == spec_edges(residual)


def test_mermaid_on_stdout_has_the_specs_edges(residual):
    result = runner.invoke(app, ["graph", str(residual)])
    assert result.exit_code == 0, result.output
    names = dict(re.findall(r'^\s*(n\d+)\["([^<"]+)<br/>', result.stdout, re.M))
    edges = re.findall(r"^\s*(n\d+) --> (n\d+)$", result.stdout, re.M)
    assert {(names[a], names[b]) for a, b in edges} == spec_edges(residual)
    assert "subgraph" in result.stdout and "stage2_1 (block basic)" in result.stdout


def test_svg_holds_every_layer_and_no_boxes_overlap(residual, tmp_path):
    result = runner.invoke(app, ["graph", str(residual), "-o", str(tmp_path / "net.svg")])
    assert result.exit_code == 0, result.output
    root = ET.parse(tmp_path / "net.svg").getroot()
    texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    graph = load(residual).graph
    assert {node.name for node in graph.nodes()} <= texts
    boxes = [
        tuple(float(r.get(k)) for k in ("x", "y", "width", "height"))
        for r in root.iter("{http://www.w3.org/2000/svg}rect")
        if r.get("class") == "node"
    ]
    assert len(boxes) == len(graph.nodes()) + 1  # and the input
    for i, (x, y, w, h) in enumerate(boxes):
        for x2, y2, w2, h2 in boxes[i + 1 :]:
            assert x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y


def test_depth_zero_draws_each_instance_as_one_box(residual):
    result = runner.invoke(app, ["graph", str(residual), "--depth", "0"])
    assert result.exit_code == 0, result.output
    assert "stage2_1/conv_a" not in result.stdout and "stage2_1<br/>block basic" in result.stdout


def test_png_and_svg_without_graphviz(residual, tmp_path):
    """A PATH holding only the venv's Python: no `dot` anywhere."""
    bare = os.path.dirname(sys.executable)
    assert shutil.which("dot", path=bare) is None
    for name in ("net.svg", "net.png"):
        done = subprocess.run(
            [sys.executable, "-m", "netspec", "graph", str(residual), "-o", name],
            cwd=tmp_path,
            env={**os.environ, "PATH": bare},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "net.png").read_bytes().startswith(b"\x89PNG")


def test_a_file_netspec_did_not_draw_is_refused(residual, tmp_path):
    mine = tmp_path / "mine.svg"
    mine.write_text("<svg/>")
    result = runner.invoke(app, ["graph", str(residual), "-o", str(mine)])
    assert result.exit_code != 0
    assert mine.read_text() == "<svg/>"


def test_a_run_has_its_graph_and_can_be_drawn_again(reference_run, tmp_path):
    svg = (reference_run / "graph.svg").read_text()
    assert "conv1" in svg and "logits" in svg
    result = runner.invoke(app, ["graph", str(reference_run), "-o", str(tmp_path / "run.dot")])
    assert result.exit_code == 0, result.output
    assert '"conv1" -> "bn1";' in (tmp_path / "run.dot").read_text()
