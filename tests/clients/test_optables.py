"""Operation tables generated from the models (tools/modelgen --ops): an operation of an
implemented service's model without a handler answers 501 NotImplemented naming it, through
each protocol's client."""
import botocore.exceptions
import pytest


@pytest.mark.parametrize("service,call,kw,name", [
    ("cloudformation", "activate_type", {"TypeName": "My::Thing::Type"}, "cloudformation:ActivateType"),
    ("cloudtrail", "list_public_keys", {}, "cloudtrail:ListPublicKeys"),
    ("ec2", "accept_address_transfer", {"Address": "192.0.2.1"}, "ec2:AcceptAddressTransfer"),
])
def test_model_operation_without_handler_is_501(ferry, service, call, kw, name):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        getattr(ferry.client(service, "management"), call)(**kw)
    r = e.value.response
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert r["Error"]["Code"] == "NotImplemented"
    assert name in r["Error"]["Message"]
