"""Image files are data: netspec opens only raster formats Pillow decodes itself. Pillow would
hand an EPS file to Ghostscript, a PostScript interpreter, which runs the file as a program."""

import pytest

from netspec.data import images

EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 8 8\n0 0 moveto 8 8 lineto stroke\nshowpage\n"


def test_pillow_itself_would_open_an_eps_file(tmp_path):
    from PIL import Image

    (tmp_path / "x.eps").write_bytes(EPS)
    with Image.open(tmp_path / "x.eps") as image:  # the control: the restriction matters
        assert image.format == "EPS"


def test_netspec_refuses_eps_when_scanning_and_decoding(tmp_path):
    path = tmp_path / "photo.png"  # the name does not matter, the content does
    path.write_bytes(EPS)
    assert images.probe(path) == "not an image file Pillow can read"
    with pytest.raises(images.DecodeError):
        images.decode(EPS, (8, 8, 1))
