"""Hostile input through the wire (issue 9): YAML alias bombs, NUL bytes in decoded values,
signature scopes naming regions that do not exist. Raw requests are signed with botocore's
signer, so they reach the server exactly as a client that skips its own checks sends them."""
import json
import os
import urllib.parse

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.exceptions
import pytest


def peak_rss_kib(ferry):
    """The server's peak resident set (VmHWM), in KiB."""
    for line in open(f"/proc/{ferry.proc.pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def alias_bomb(refs, lists):
    """The issue's template: a 20,000-character anchored string, referenced `refs` times in
    an anchored list, that list referenced `lists` times."""
    return ("AWSTemplateFormatVersion: '2010-09-09'\n"
            "Description: &s " + "x" * 20000 + "\n"
            "Metadata:\n  L: &l [" + ", ".join(["*s"] * refs) + "]\n"
            "  M: [" + ", ".join(["*l"] * lists) + "]\n"
            "Resources:\n  T: {Type: 'AWS::SNS::Topic'}\n")


def test_yaml_alias_bombs_are_refused_in_little_memory(ferry):
    cfn = ferry.client("cloudformation", "dev", region="us-east-1")
    before = peak_rss_kib(ferry)
    # 23 KB expanding to 800 MB, and 28.7 KB expanding to 3.7 GB (the figures)
    for refs, lists in ((1000, 40), (1000, 190)):
        body = alias_bomb(refs, lists)
        assert len(body) < 51200
        with pytest.raises(botocore.exceptions.ClientError) as ei:
            cfn.validate_template(TemplateBody=body)
        err = ei.value.response["Error"]
        assert err["Code"] == "ValidationError"
        assert err["Message"].startswith("Template format error: ")
        assert "bytes" in err["Message"]
    # generous: the bound is 8 MiB of text; unbounded, the first bomb alone took 818 MiB
    assert peak_rss_kib(ferry) - before < 200 * 1024
    # a template that uses anchors within the bound still validates
    ok = ("Resources:\n  T: {Type: 'AWS::SNS::Topic', Properties: {DisplayName: &d x}}\n"
          "  U: {Type: 'AWS::SNS::Topic', Properties: {DisplayName: *d}}\n")
    assert cfn.validate_template(TemplateBody=ok)["Parameters"] == []
