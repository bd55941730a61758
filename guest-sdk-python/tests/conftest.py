import pytest

from sandtrade.testing import MockHost


@pytest.fixture(autouse=True)
def fresh_host() -> None:
    """Every test starts with an empty mock host."""
    MockHost.reset()
