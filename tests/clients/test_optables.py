"""Operation tables generated from the models (tools/modelgen --ops): an operation of an
implemented service's model without a handler answers 501 NotImplemented naming it, through
each protocol's client."""
import botocore.exceptions
import pytest


@pytest.mark.parametrize("service,call,kw,name", [
    ("sts", "decode_authorization_message", {"EncodedMessage": "x"}, "sts:DecodeAuthorizationMessage"),
    ("cloudtrail", "list_public_keys", {}, "cloudtrail:ListPublicKeys"),
    ("iam", "get_context_keys_for_custom_policy", {"PolicyInputList": ["{}"]},
     "iam:GetContextKeysForCustomPolicy"),
])
def test_model_operation_without_handler_is_501(ferry, service, call, kw, name):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        getattr(ferry.client(service, "management"), call)(**kw)
    r = e.value.response
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert r["Error"]["Code"] == "NotImplemented"
    assert name in r["Error"]["Message"]
