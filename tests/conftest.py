"""Fixtures shared by tests/clients and tests/scenarios: a fresh ferry per test module."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from ferrytest import Ferry  # noqa: E402


@pytest.fixture(scope="module")
def ferry():
    f = Ferry().start()
    f.init()
    yield f
    f.close()


@pytest.fixture(scope="module")
def open_ferry():
    f = Ferry(auth="open").start()
    yield f
    f.close()


@pytest.fixture(scope="module")
def org(ferry):
    """The management account's Organizations client (test_scp, test_organizations_more)."""
    return ferry.client("organizations", "management")


@pytest.fixture(scope="module")
def root(org):
    """The organization's root id."""
    return org.list_roots()["Roots"][0]["Id"]
