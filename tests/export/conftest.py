import pytest

from tests.export import helpers


@pytest.fixture(scope="session")
def small_spec(tmp_path_factory):
    return helpers.write_spec(tmp_path_factory.mktemp("specs"), helpers.SMALL, "small")


@pytest.fixture(scope="session")
def small_model(small_spec):
    """(spec, model) with the weights `exported` holds."""
    return helpers.build(small_spec)


@pytest.fixture(scope="session")
def exported(tmp_path_factory, small_spec):
    """Both formats of `small_model`, exported once for every test that only reads them."""
    return helpers.export(small_spec, tmp_path_factory.mktemp("small") / "export")
