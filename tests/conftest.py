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


@pytest.fixture
def scps(org, root):
    """SCPs enabled on the root for one test, disabled (everything detached) after it
    (test_scp, test_trail_decision)."""
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    yield
    org.disable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")


def _a_cli_test(item):
    """A test about the `aws` CLI: named so (test_cli, test_cli_..., test_awscli_..., a
    module *_cli.py) and running it in its own body. awscli spends about a second of CPU
    per command starting Python, and the server paths it drives are the SDKs' ones."""
    import inspect
    import re
    if not re.search(r"(^|_)(aws)?cli(_|$)", item.name.split("[")[0][5:]):
        return False
    try:
        src = inspect.getsource(item.function)
    except (AttributeError, OSError, TypeError):
        return False
    return re.search(r"\baws\(|AWS_BIN", src) is not None


def pytest_collection_modifyitems(config, items):
    # FERRY_NO_CLI=1 (the ASan pass of make check) leaves out the CLI tests: the plain pass
    # runs them, and under ASan they cost minutes of CPU for server paths the SDK-driven
    # tests take too (tests that use the CLI on the way to something else stay)
    if os.environ.get("FERRY_NO_CLI") != "1":
        return
    keep, drop = [], []
    for it in items:
        (drop if _a_cli_test(it) else keep).append(it)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
