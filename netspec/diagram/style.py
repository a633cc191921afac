"""Sizes and colours shared by the layout and the SVG and PNG writers.

Text is monospace so that a box's width can be computed from its character count alone
(0.6 em per character in DejaVu Sans Mono, Menlo and Consolas alike): no font metrics needed.
"""

FONT_PX = 12
CHAR_W = 0.6 * FONT_PX
LINE_H = 15
TEXT_PAD_X = 10
TEXT_PAD_Y = 7
BOX_H = 3 * LINE_H + 2 * TEXT_PAD_Y

FILL = {"input": "#e6f4ea", "layer": "#eef3fb", "block": "#fdf0dc"}
STROKE = "#44546a"
EDGE = "#5b6776"
CLUSTER = "#8c959f"  # drawn translucent, so nested clusters come out darker
CLUSTER_OPACITY = 0.1
STROKE_W = 1.0
OUTPUT_STROKE_W = 2.5
ROUND = 6  # corner radius of boxes; clusters get twice that


def text_width(text: str) -> float:
    return len(text) * CHAR_W


def baseline(top: float, line: int) -> float:
    """Where line `line` (0: the name) of a box whose top is at `top` sits."""
    return top + TEXT_PAD_Y + (line + 1) * LINE_H - 4


# In every file netspec draws: `write` replaces a file only if it carries this.
SIGNATURE = "drawn by netspec graph"
