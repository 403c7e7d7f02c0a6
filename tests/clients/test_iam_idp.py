"""IAM identity providers through boto3: OpenID Connect providers (URL rules, client ids,
thumbprints, tags, AWS's errors and limits) and SAML providers (metadata checks, ValidUntil,
tags), both surviving kill -9."""
import datetime
import signal

import botocore.config

import pytest
from ferrytest import acct, raises

TP = "6938fd4d98bab03faadb97b34396831e3780aea1"
TP2 = "1c58a3a8518e8759bf075b76b750d4f2df264fcd"

METADATA = ("""<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
  entityID="https://idp.example.com/saml" validUntil="2040-01-02T03:04:05Z">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
      Location="https://idp.example.com/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
<!-- """ + "padding " * 120 + "-->\n")


@pytest.fixture(scope="module")
def iam(ferry):
    return ferry.client("iam", "dev")


def test_oidc_lifecycle(ferry, iam):
    a = acct(ferry, "dev")
    r = iam.create_open_id_connect_provider(
        Url="https://token.actions.githubusercontent.com", ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=[TP], Tags=[{"Key": "team", "Value": "ci"}])
    arn = r["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{a}:oidc-provider/token.actions.githubusercontent.com"
    assert r["Tags"] == [{"Key": "team", "Value": "ci"}]
    g = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert g["Url"] == "token.actions.githubusercontent.com"
    assert g["ClientIDList"] == ["sts.amazonaws.com"]
    assert g["ThumbprintList"] == [TP]
    assert isinstance(g["CreateDate"], datetime.datetime)
    assert g["Tags"] == [{"Key": "team", "Value": "ci"}]

    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="app2")
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="app2")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn,
                                                       ClientID="sts.amazonaws.com")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn,
                                                       ClientID="never-there")
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn,
                                                   ThumbprintList=[TP2, TP])
    g = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert g["ClientIDList"] == ["app2"]
    assert g["ThumbprintList"] == [TP2, TP]

    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn,
                                     Tags=[{"Key": "env", "Value": "prod"}])
    iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["team"])
    t = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)
    assert t["Tags"] == [{"Key": "env", "Value": "prod"}] and not t["IsTruncated"]

    # a path and no thumbprint (AWS made them optional; Debian's botocore still requires
    # them); the host is case-insensitive
    loose = ferry.client("iam", "dev", config=botocore.config.Config(parameter_validation=False))
    r2 = loose.create_open_id_connect_provider(Url="https://Auth.Example.COM/tenant/7/",
                                             ClientIDList=["a", "b"])
    assert r2["OpenIDConnectProviderArn"].endswith(":oidc-provider/auth.example.com/tenant/7")
    arns = [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    assert sorted(arns) == sorted([arn, r2["OpenIDConnectProviderArn"]])
    # another account sees none of them
    assert arn not in str(ferry.client("iam", "qa").list_open_id_connect_providers())

    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=r2["OpenIDConnectProviderArn"])
    raises(iam.get_open_id_connect_provider, "NoSuchEntity",
           f"OpenIDConnect Provider not found for arn {r2['OpenIDConnectProviderArn']}",
           OpenIDConnectProviderArn=r2["OpenIDConnectProviderArn"])


def test_oidc_errors(ferry, iam):
    a = acct(ferry, "dev")
    iam.create_open_id_connect_provider(Url="https://dup.example.com", ThumbprintList=[TP])
    raises(iam.create_open_id_connect_provider, "EntityAlreadyExists",
           "Provider with url https://dup.example.com already exists.", status=409,
           Url="https://DUP.example.com/", ThumbprintList=[TP])
    for url in ("http://plain.example.com", "https://", "https://q.example.com/?x=1",
                "https://port.example.com:8443", "ftp://x.example.com"):
        raises(iam.create_open_id_connect_provider, "InvalidInput", status=400, Url=url,
               ThumbprintList=[TP])
    raises(iam.create_open_id_connect_provider, "InvalidInput", Url="https://hex.example.com",
           ThumbprintList=["z" * 40])
    raises(iam.create_open_id_connect_provider, "InvalidInput", Url="https://six.example.com",
           ThumbprintList=[f"{i:040x}" for i in range(6)])
    loose = ferry.client("iam", "dev", config=botocore.config.Config(parameter_validation=False))
    raises(loose.create_open_id_connect_provider, "ValidationError", Url="https://len.example.com",
           ThumbprintList=["abc"])
    raises(iam.create_open_id_connect_provider, "LimitExceeded",
           "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100", status=409,
           Url="https://many.example.com", ThumbprintList=[TP], ClientIDList=[f"c{i}" for i in range(101)])
    arn = iam.create_open_id_connect_provider(
        Url="https://full.example.com", ThumbprintList=[TP],
        ClientIDList=[f"c{i}" for i in range(100)])["OpenIDConnectProviderArn"]
    raises(iam.add_client_id_to_open_id_connect_provider, "LimitExceeded",
           OpenIDConnectProviderArn=arn, ClientID="one-more")
    missing = f"arn:aws:iam::{a}:oidc-provider/nobody.example.com"
    for fn, kw in ((iam.get_open_id_connect_provider, {}),
                   (iam.delete_open_id_connect_provider, {}),
                   (iam.add_client_id_to_open_id_connect_provider, {"ClientID": "x"}),
                   (iam.list_open_id_connect_provider_tags, {})):
        raises(fn, "NoSuchEntity", status=404, OpenIDConnectProviderArn=missing, **kw)
    # another account's provider is not reachable by ARN
    other = f"arn:aws:iam::{acct(ferry, 'qa')}:oidc-provider/dup.example.com"
    raises(iam.get_open_id_connect_provider, "AccessDenied", OpenIDConnectProviderArn=other)
    raises(iam.tag_open_id_connect_provider, "InvalidInput",
           OpenIDConnectProviderArn=arn, Tags=[{"Key": "aws:x", "Value": "y"}])


def test_saml_lifecycle_and_errors(ferry, iam):
    a = acct(ferry, "dev")
    r = iam.create_saml_provider(Name="Okta", SAMLMetadataDocument=METADATA,
                                 Tags=[{"Key": "k", "Value": "v"}])
    arn = r["SAMLProviderArn"]
    assert arn == f"arn:aws:iam::{a}:saml-provider/Okta"
    g = iam.get_saml_provider(SAMLProviderArn=arn)
    assert g["SAMLMetadataDocument"] == METADATA
    assert g["ValidUntil"] == datetime.datetime(2040, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    assert g["Tags"] == [{"Key": "k", "Value": "v"}]
    raises(iam.create_saml_provider, "EntityAlreadyExists", status=409, Name="okta",
           SAMLMetadataDocument=METADATA)
    raises(iam.create_saml_provider, "InvalidInput", status=400, Name="Bad",
           SAMLMetadataDocument="<html>" + "x" * 1000 + "</html>")
    loose = ferry.client("iam", "dev", config=botocore.config.Config(parameter_validation=False))
    raises(loose.create_saml_provider, "ValidationError", Name="Short",
           SAMLMetadataDocument="<md:EntityDescriptor/>")
    newer = METADATA.replace("2040-01-02T03:04:05Z", "2041-05-06T00:00:00Z")
    assert iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=newer)[
        "SAMLProviderArn"] == arn
    lst = iam.list_saml_providers()["SAMLProviderList"]
    assert [p["Arn"] for p in lst] == [arn]
    assert lst[0]["ValidUntil"].year == 2041
    iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "k2", "Value": "v2"}])
    iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["k"])
    assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == [
        {"Key": "k2", "Value": "v2"}]
    missing = f"arn:aws:iam::{a}:saml-provider/Nope"
    raises(iam.get_saml_provider, "NoSuchEntity", status=404, SAMLProviderArn=missing)
    raises(iam.delete_saml_provider, "NoSuchEntity", SAMLProviderArn=missing)
    raises(iam.update_saml_provider, "NoSuchEntity", SAMLProviderArn=missing,
           SAMLMetadataDocument=METADATA)


def test_denied_without_permission(ferry):
    c = ferry.user_client("iam", "dev", "idp-reader", {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:ListOpenIDConnectProviders",
                       "Resource": "*"}]})
    c.list_open_id_connect_providers()
    raises(c.create_open_id_connect_provider, "AccessDenied", status=403,
           Url="https://denied.example.com", ThumbprintList=[TP])
    raises(c.create_saml_provider, "AccessDenied", Name="Denied", SAMLMetadataDocument=METADATA)


def test_providers_survive_kill(ferry, iam):
    arn = iam.create_open_id_connect_provider(
        Url="https://durable.example.com", ClientIDList=["x"], ThumbprintList=[TP])["OpenIDConnectProviderArn"]
    sarn = iam.create_saml_provider(Name="Durable", SAMLMetadataDocument=METADATA)[
        "SAMLProviderArn"]
    ferry.stop(signal.SIGKILL)
    ferry.start()
    iam2 = ferry.client("iam", "dev")
    assert iam2.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"] == ["x"]
    assert iam2.get_saml_provider(SAMLProviderArn=sarn)["SAMLMetadataDocument"] == METADATA
