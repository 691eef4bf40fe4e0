import pytest


@pytest.fixture
def media(settings, tmp_path):
    """Evidence files stored in a folder of the test's own."""
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path
