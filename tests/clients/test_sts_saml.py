"""STS AssumeRoleWithSAML through boto3 and the aws CLI: an IdP made by the test (an RSA key
and a self-signed certificate from the openssl CLI, its metadata registered with
CreateSAMLProvider) signs SAML 2.0 Responses, and ferry checks them as AWS does: the
signature against the metadata's certificate, the claims (issuer, audience, recipient,
times, the Role attribute, RoleSessionName), the role's trust policy for the SAML keys.

Assertions are signed with the xmlsec1 command-line tool (Debian xmlsec1): the same
reference XML-DSig implementation IdPs test against, and a command rather than a Python
binding that would have to match the system's libxmlsec1 at build time."""
import base64
import hashlib
import json
import os
import subprocess
import tempfile
import time
from datetime import datetime, timezone

import boto3
import botocore
import botocore.config
import pytest
from ferrytest import acct, raises

ENTITY = "https://idp.example.com/saml"
AWS = "https://signin.aws.amazon.com/saml"
NS = ('xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
      'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"')
SIG = """<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>
<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>
<ds:Reference URI="#{id}"><ds:Transforms>
<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>
<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/>
</ds:Reference></ds:SignedInfo><ds:SignatureValue/>
<ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>"""


def iso(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class IdP:
    """A SAML identity provider: key, certificate, metadata, and responses it signs."""

    def __init__(self, tmp, name):
        self.tmp = tmp
        self.key = os.path.join(tmp, name + ".key")
        self.cert = os.path.join(tmp, name + ".crt")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=" + name, "-keyout", self.key, "-out", self.cert],
                       check=True, capture_output=True)
        pem = open(self.cert).read()
        self.cert_b64 = "".join(pem.split("-----")[2].split())

    def metadata(self, valid_until=None):
        vu = f' validUntil="{valid_until}"' if valid_until else ""
        return (f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
                f'entityID="{ENTITY}"{vu}><md:IDPSSODescriptor protocolSupportEnumeration='
                '"urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing">'
                '<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>'
                f"<ds:X509Certificate>{self.cert_b64}</ds:X509Certificate></ds:X509Data>"
                "</ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService Binding="
                '"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
                'Location="https://idp.example.com/sso"/></md:IDPSSODescriptor>'
                "</md:EntityDescriptor>")

    def sign(self, xml):
        """xml signed by xmlsec1 (every empty ds:Signature template in it), as text."""
        src = os.path.join(self.tmp, "in.xml")
        open(src, "w").write(xml)
        r = subprocess.run(["xmlsec1", "--sign", "--privkey-pem", f"{self.key},{self.cert}",
                            "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
                            "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response",
                            src], check=True, capture_output=True, text=True)
        return r.stdout


def assertion(roles, session="alice", sub="alice@example.com", audience=AWS, recipient=AWS,
              life=300, aid="_a1", signed=True, extra_attrs=""):
    now = time.time()
    end = iso(now + life)
    role_vals = "".join(f"<saml:AttributeValue>{r}</saml:AttributeValue>" for r in roles)
    sess = (f'<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName">'
            f"<saml:AttributeValue>{session}</saml:AttributeValue></saml:Attribute>"
            if session else "")
    return (f'<saml:Assertion ID="{aid}" Version="2.0" IssueInstant="{iso(now)}">'
            f"<saml:Issuer>{ENTITY}</saml:Issuer>{SIG.format(id=aid) if signed else ''}"
            '<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:'
            f'persistent">{sub}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:'
            f'tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="{end}" '
            f'Recipient="{recipient}"/></saml:SubjectConfirmation></saml:Subject>'
            f'<saml:Conditions NotBefore="{iso(now - 5)}" NotOnOrAfter="{end}">'
            f"<saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience>"
            "</saml:AudienceRestriction></saml:Conditions>"
            f'<saml:AuthnStatement AuthnInstant="{iso(now)}"><saml:AuthnContext>'
            "<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:"
            "PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext>"
            "</saml:AuthnStatement><saml:AttributeStatement>"
            '<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role">'
            f"{role_vals}</saml:Attribute>{sess}{extra_attrs}</saml:AttributeStatement>"
            "</saml:Assertion>")


def response(body, rid="_r1", signed=False):
    return (f'<samlp:Response {NS} ID="{rid}" Version="2.0" IssueInstant="{iso(time.time())}" '
            f'Destination="{AWS}"><saml:Issuer>{ENTITY}</saml:Issuer>'
            f"{SIG.format(id=rid) if signed else ''}"
            '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>'
            f"</samlp:Status>{body}</samlp:Response>")


def b64(xml):
    return base64.b64encode(xml.encode()).decode()


@pytest.fixture(scope="module")
def tmp():
    with tempfile.TemporaryDirectory() as d:
        yield d


@pytest.fixture(scope="module")
def idp(tmp):
    return IdP(tmp, "idp")


@pytest.fixture(scope="module")
def setup(ferry, idp):
    iam = ferry.client("iam", "dev")
    prov = iam.create_saml_provider(Name="Corp", SAMLMetadataDocument=idp.metadata())[
        "SAMLProviderArn"]
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": prov},
        "Action": ["sts:AssumeRoleWithSAML", "sts:SetSourceIdentity", "sts:TagSession"],
        "Condition": {"StringEquals": {"SAML:aud": AWS},
                      "StringLike": {"SAML:sub": "alice*"}}}]}
    role = iam.create_role(RoleName="saml-dev",
                           AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName="saml-dev", PolicyName="sqs", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}))
    return {"provider": prov, "role": role, "pair": f"{role},{prov}", "account": acct(ferry, "dev")}


@pytest.fixture(scope="module")
def sts(ferry):
    """An unsigned client, as the SDKs send AssumeRoleWithSAML."""
    return boto3.client("sts", region_name="us-east-1", endpoint_url=ferry.endpoint,
                        config=botocore.config.Config(signature_version=botocore.UNSIGNED))


def call(sts, setup, xml, **kw):
    return sts.assume_role_with_saml(RoleArn=setup["role"], PrincipalArn=setup["provider"],
                                     SAMLAssertion=b64(xml), **kw)


def creds_kw(ferry, r):
    cr = r["Credentials"]
    return dict(region_name="us-east-1", endpoint_url=ferry.endpoint,
                aws_access_key_id=cr["AccessKeyId"], aws_secret_access_key=cr["SecretAccessKey"],
                aws_session_token=cr["SessionToken"])


def test_signed_assertion_becomes_role_session(ferry, idp, setup, sts):
    src = ('<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/SourceIdentity">'
           "<saml:AttributeValue>alice</saml:AttributeValue></saml:Attribute>"
           '<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/PrincipalTag:team">'
           "<saml:AttributeValue>blue</saml:AttributeValue></saml:Attribute>")
    # the pair in AWS's other order, beside a role the request does not ask for
    roles = [f"{setup['provider']},{setup['role']}", "arn:aws:iam::111122223333:role/x,"
             + setup["provider"]]
    r = call(sts, setup, idp.sign(response(assertion(roles, extra_attrs=src))),
             DurationSeconds=900)
    a = setup["account"]
    assert r["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{a}:assumed-role/saml-dev/alice"
    assert r["AssumedRoleUser"]["AssumedRoleId"].startswith("AROA")
    assert r["Subject"] == "alice@example.com"
    assert r["SubjectType"] == "persistent"
    assert r["Issuer"] == ENTITY
    assert r["Audience"] == AWS
    assert r["SourceIdentity"] == "alice"
    nq = base64.b64encode(hashlib.sha1(f"{ENTITY}{a}/Corp".encode()).digest()).decode()
    assert r["NameQualifier"] == nq
    assert r["Credentials"]["AccessKeyId"].startswith("ASIA")
    left = r["Credentials"]["Expiration"].timestamp() - time.time()
    assert 800 < left <= 905
    me = boto3.client("sts", **creds_kw(ferry, r)).get_caller_identity()
    assert me["Arn"] == r["AssumedRoleUser"]["Arn"]
    boto3.client("sqs", **creds_kw(ferry, r)).list_queues()


def test_signed_response_and_session_duration_cap(idp, setup, sts):
    dur = ('<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/SessionDuration">'
           "<saml:AttributeValue>1000</saml:AttributeValue></saml:Attribute>")
    xml = idp.sign(response(assertion([setup["pair"]], signed=False, extra_attrs=dur),
                            signed=True))
    r = call(sts, setup, xml)
    assert 900 < r["Credentials"]["Expiration"].timestamp() - time.time() <= 1005


def test_session_policy_narrows(ferry, idp, setup, sts):
    pol = {"Version": "2012-10-17",
           "Statement": [{"Effect": "Allow", "Action": "sqs:ListQueues", "Resource": "*"}]}
    r = call(sts, setup, idp.sign(response(assertion([setup["pair"]]))),
             Policy=json.dumps(pol))
    assert 0 < r["PackedPolicySize"] <= 100
    sqs = boto3.client("sqs", **creds_kw(ferry, r))
    sqs.list_queues()
    raises(sqs.create_queue, "AccessDenied", QueueName="nope")
    raises(call, "MalformedPolicyDocument", sts=sts, setup=setup,
           xml=idp.sign(response(assertion([setup["pair"]]))), Policy="{")


def test_tampered_and_foreign_signatures_refused(tmp, idp, setup, sts):
    good = idp.sign(response(assertion([setup["pair"]])))
    raises(call, "InvalidIdentityToken", "Response signature invalid", 400, sts=sts,
           setup=setup, xml=good.replace("alice@example.com", "mallory@example.com"))
    # signed by another key, that key's certificate in the assertion's KeyInfo: ignored
    other = IdP(tmp, "evil")
    raises(call, "InvalidIdentityToken", "Response signature invalid", sts=sts, setup=setup,
           xml=other.sign(response(assertion([setup["pair"]]))))
    # not signed at all
    raises(call, "InvalidIdentityToken", "Response signature invalid", sts=sts, setup=setup,
           xml=response(assertion([setup["pair"]], signed=False)))


def test_signature_wrapping_refused(idp, setup, sts):
    signed = idp.sign(response(assertion([setup["pair"]])))
    start = signed.index("<saml:Assertion")
    end = signed.index("</saml:Assertion>") + len("</saml:Assertion>")
    legit = signed[start:end]
    evil = assertion([setup["pair"]], session="mallory", sub="alice-admin", signed=False,
                     aid="_evil")
    # the signed assertion hidden in Extensions, an unsigned one where claims are read
    wrapped = (signed[:start] + "<samlp:Extensions>" + legit + "</samlp:Extensions>" + evil
               + signed[end:])
    raises(call, "InvalidIdentityToken", sts=sts, setup=setup, xml=wrapped)
    # the same ID twice: the signature would resolve to one, the claims come from the other
    twin = signed[:start] + evil.replace('ID="_evil"', 'ID="_a1"') + legit + signed[end:]
    raises(call, "InvalidIdentityToken", sts=sts, setup=setup, xml=twin)
    # the signature moved into an assertion of other content under the signed ID
    sig = legit[legit.index("<ds:Signature"):legit.index("</ds:Signature>") + 15]
    moved = evil.replace('ID="_evil"', 'ID="_a1"').replace(
        f"<saml:Issuer>{ENTITY}</saml:Issuer>", f"<saml:Issuer>{ENTITY}</saml:Issuer>{sig}", 1)
    raises(call, "InvalidIdentityToken", "Response signature invalid", sts=sts, setup=setup,
           xml=signed[:start] + moved + signed[end:])
    # a signature must cover its own parent: one in the Assertion naming the Response is
    # not the Assertion's
    other_ref = assertion([setup["pair"]]).replace('URI="#_a1"', 'URI="#_r1"')
    raises(call, "InvalidIdentityToken", "Response signature invalid", sts=sts, setup=setup,
           xml=idp.sign(response(other_ref)))


def test_claims_checked(idp, setup, sts):
    raises(call, "ExpiredTokenException", status=400, sts=sts, setup=setup,
           xml=idp.sign(response(assertion([setup["pair"]], life=-900))))
    raises(call, "IDPRejectedClaim", status=403, sts=sts, setup=setup,
           xml=idp.sign(response(assertion([setup["pair"]], audience="urn:someone:else"))))
    raises(call, "AccessDenied", status=403, sts=sts, setup=setup,
           xml=idp.sign(response(assertion([f"arn:aws:iam::{setup['account']}:role/other,"
                                            + setup["provider"]]))))
    raises(call, "InvalidIdentityToken", "RoleSessionName is required in AuthnResponse",
           sts=sts, setup=setup, xml=idp.sign(response(assertion([setup["pair"]], session=None))))
    raises(call, "InvalidIdentityToken", sts=sts, setup=setup, xml="<not-saml/>")
    raises(sts.assume_role_with_saml, "InvalidIdentityToken", "Specified provider doesn't exist.",
           RoleArn=setup["role"], PrincipalArn=setup["provider"] + "x",
           SAMLAssertion=b64(idp.sign(response(assertion([setup["pair"]])))))


def test_trust_conditions_on_saml_keys(idp, setup, sts):
    # SAML:sub must match alice*; SAML:aud is the Recipient, which must be AWS's anyway
    msg = raises(call, "AccessDenied", status=403, sts=sts, setup=setup,
                 xml=idp.sign(response(assertion([setup["pair"]], sub="bob@example.com"))))
    assert "sts:AssumeRoleWithSAML" in msg
    regional = "https://us-west-2.signin.aws.amazon.com/saml"
    raises(call, "AccessDenied", sts=sts, setup=setup,
           xml=idp.sign(response(assertion([setup["pair"]], recipient=regional,
                                           audience=regional))))


def test_expired_provider_metadata(ferry, idp, sts):
    iam = ferry.client("iam", "dev")
    prov = iam.create_saml_provider(Name="Old", SAMLMetadataDocument=idp.metadata(
        valid_until="2001-01-01T00:00:00Z"))["SAMLProviderArn"]
    role = f"arn:aws:iam::{acct(ferry, 'dev')}:role/saml-dev"
    raises(sts.assume_role_with_saml, "InvalidIdentityToken", RoleArn=role, PrincipalArn=prov,
           SAMLAssertion=b64(idp.sign(response(assertion([f"{role},{prov}"])))))


def test_cli_assume_role_with_saml(ferry, idp, setup):
    xml = idp.sign(response(assertion([setup["pair"]], session="cli-user")))
    r = ferry.aws("sts", "assume-role-with-saml", "--role-arn", setup["role"],
                  "--principal-arn", setup["provider"], "--saml-assertion", b64(xml),
                  profile="dev").json
    assert r["AssumedRoleUser"]["Arn"].endswith(":assumed-role/saml-dev/cli-user")
    assert r["Issuer"] == ENTITY
