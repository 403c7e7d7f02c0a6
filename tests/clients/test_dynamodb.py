"""DynamoDB through boto3 (json 1.0), its resource layer and awscli: tables (keys, indexes,
billing, tags, TTL, backups, waiters), items (expressions for conditions, projections and
updates; exact numbers; return values), Query and Scan (in key order, on indexes, paged),
batches and transactions, and the errors AWS answers."""
from decimal import Decimal

import boto3
import pytest
from boto3.dynamodb.conditions import Attr, Key
from ferrytest import acct, code, message, raises


@pytest.fixture(scope="module")
def ddb(ferry):
    return ferry.client("dynamodb", "dev")


@pytest.fixture(scope="module")
def res(ferry):
    return ferry.session("dev").resource("dynamodb", endpoint_url=ferry.endpoint)


def mk(ddb, name, hash_="pk", htype="S", range_=None, rtype="S", **kw):
    ks = [{"AttributeName": hash_, "KeyType": "HASH"}]
    ad = [{"AttributeName": hash_, "AttributeType": htype}]
    if range_:
        ks.append({"AttributeName": range_, "KeyType": "RANGE"})
        ad.append({"AttributeName": range_, "AttributeType": rtype})
    ad += kw.pop("extra_defs", [])
    return ddb.create_table(TableName=name, KeySchema=ks, AttributeDefinitions=ad,
                            BillingMode=kw.pop("BillingMode", "PAY_PER_REQUEST"), **kw)


def test_tables(ferry, ddb):
    dev = acct(ferry, "dev")
    region = ddb.meta.region_name
    d = mk(ddb, "tab1", range_="sk", Tags=[{"Key": "team", "Value": "a"}])["TableDescription"]
    assert d["TableStatus"] == "CREATING" and d["TableName"] == "tab1"
    assert d["TableArn"] == f"arn:aws:dynamodb:{region}:{dev}:table/tab1"
    assert d["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ddb.get_waiter("table_exists").wait(TableName="tab1", WaiterConfig={"Delay": 1})
    t = ddb.describe_table(TableName="tab1")["Table"]
    assert t["TableStatus"] == "ACTIVE" and t["ItemCount"] == 0 and t["TableId"] == d["TableId"]
    assert t["KeySchema"][1] == {"AttributeName": "sk", "KeyType": "RANGE"}
    raises(mk, "ResourceInUseException", "Table already exists: tab1", ddb=ddb, name="tab1")
    raises(ddb.describe_table, "ResourceNotFoundException",
           "Requested resource not found: Table: nope not found", TableName="nope")
    # AttributeDefinitions must match the keys exactly
    raises(ddb.create_table, "ValidationException", TableName="bad",
           KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}],
           AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"},
                                 {"AttributeName": "b", "AttributeType": "S"}],
           BillingMode="PAY_PER_REQUEST")
    m = raises(ddb.create_table, "ValidationException", TableName="bad",
               KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}],
               AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}])
    assert "ReadCapacityUnits and WriteCapacityUnits must both be specified" in m
    p = mk(ddb, "prov", BillingMode="PROVISIONED",
           ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 3})
    assert p["TableDescription"]["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    u = ddb.update_table(TableName="prov",
                         ProvisionedThroughput={"ReadCapacityUnits": 7, "WriteCapacityUnits": 3})
    assert u["TableDescription"]["ProvisionedThroughput"]["ReadCapacityUnits"] == 7
    u = ddb.update_table(TableName="prov", BillingMode="PAY_PER_REQUEST")
    assert u["TableDescription"]["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    # listing, paged
    for i in range(3):
        mk(ddb, f"list-{i}")
    names = ddb.list_tables()["TableNames"]
    assert names == sorted(names) and {"tab1", "prov", "list-0"} <= set(names)
    r = ddb.list_tables(Limit=2)
    assert len(r["TableNames"]) == 2 and r["LastEvaluatedTableName"] == r["TableNames"][1]
    r2 = ddb.list_tables(ExclusiveStartTableName=r["LastEvaluatedTableName"], Limit=100)
    assert r2["TableNames"][0] > r["TableNames"][1] and "LastEvaluatedTableName" not in r2
    all_ = [n for p in ddb.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 2})
            for n in p["TableNames"]]
    assert all_ == names
    # tags
    arn = t["TableArn"]
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "a"}]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}])
    ddb.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]
    # TTL and point-in-time recovery flags
    assert ddb.describe_time_to_live(TableName="tab1")["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "DISABLED"}
    ddb.update_time_to_live(TableName="tab1", TimeToLiveSpecification={
        "Enabled": True, "AttributeName": "exp"})
    assert ddb.describe_time_to_live(TableName="tab1")["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}
    raises(ddb.update_time_to_live, "ValidationException", "TimeToLive is already enabled",
           TableName="tab1", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    cb = ddb.describe_continuous_backups(TableName="tab1")["ContinuousBackupsDescription"]
    assert cb["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"
    ddb.update_continuous_backups(TableName="tab1", PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})
    cb = ddb.describe_continuous_backups(TableName="tab1")["ContinuousBackupsDescription"]
    assert cb["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    # deleting
    assert ddb.delete_table(TableName="list-0")["TableDescription"]["TableStatus"] == "DELETING"
    ddb.get_waiter("table_not_exists").wait(TableName="list-0", WaiterConfig={"Delay": 1})
    raises(ddb.delete_table, "ResourceNotFoundException", TableName="list-0")
    # other accounts see none of it
    other = ferry.client("dynamodb", "management")
    assert "tab1" not in other.list_tables()["TableNames"]


def test_items_and_numbers(ddb):
    mk(ddb, "items", range_="sk", rtype="N")
    item = {"pk": {"S": "a"}, "sk": {"N": "1.50"}, "n": {"N": "0012.3400"},
            "big": {"N": "12345678901234567890123456789012345678"},
            "ss": {"SS": ["x", "y"]}, "m": {"M": {"l": {"L": [{"S": "q"}, {"NULL": True}]}}},
            "b": {"B": b"\x00\xff"}, "t": {"BOOL": True}, "e": {"S": ""}}
    assert ddb.put_item(TableName="items", Item=item) == {} or True
    got = ddb.get_item(TableName="items", Key={"pk": {"S": "a"}, "sk": {"N": "1.5"}})["Item"]
    assert got["sk"] == {"N": "1.5"} and got["n"] == {"N": "12.34"}
    assert got["big"] == {"N": "12345678901234567890123456789012345678"}
    assert got["b"] == {"B": b"\x00\xff"} and got["m"]["M"]["l"]["L"][1] == {"NULL": True}
    assert "Item" not in ddb.get_item(TableName="items",
                                      Key={"pk": {"S": "a"}, "sk": {"N": "2"}})
    # projections
    p = ddb.get_item(TableName="items", Key={"pk": {"S": "a"}, "sk": {"N": "1.5"}},
                     ProjectionExpression="n, #m.l[0]", ExpressionAttributeNames={"#m": "m"})
    assert p["Item"] == {"n": {"N": "12.34"}, "m": {"M": {"l": {"L": [{"S": "q"}]}}}}
    # bad numbers and keys
    raises(ddb.put_item, "ValidationException",
           "Attempting to store more than 38 significant digits in a Number", TableName="items",
           Item={"pk": {"S": "a"}, "sk": {"N": "123456789012345678901234567890123456789"}})
    raises(ddb.put_item, "ValidationException", TableName="items",
           Item={"pk": {"S": "a"}, "sk": {"N": "1e126"}})
    raises(ddb.put_item, "ValidationException",
           "One or more parameter values were invalid: Missing the key sk in the item",
           TableName="items", Item={"pk": {"S": "a"}})
    raises(ddb.put_item, "ValidationException",
           "One or more parameter values were invalid: Type mismatch for key sk expected: N "
           "actual: S", TableName="items", Item={"pk": {"S": "a"}, "sk": {"S": "x"}})
    raises(ddb.get_item, "ValidationException",
           "The provided key element does not match the schema", TableName="items",
           Key={"pk": {"S": "a"}})
    raises(ddb.get_item, "ResourceNotFoundException", TableName="nope", Key={"pk": {"S": "a"}})
    raises(ddb.put_item, "ValidationException", "Item size has exceeded the maximum allowed size",
           TableName="items", Item={"pk": {"S": "a"}, "sk": {"N": "3"},
                                    "x": {"S": "x" * (400 * 1024)}})
    # ReturnValues
    r = ddb.put_item(TableName="items", Item={"pk": {"S": "a"}, "sk": {"N": "1.5"}},
                     ReturnValues="ALL_OLD")
    assert r["Attributes"]["n"] == {"N": "12.34"}
    r = ddb.delete_item(TableName="items", Key={"pk": {"S": "a"}, "sk": {"N": "1.5"}},
                        ReturnValues="ALL_OLD")
    assert r["Attributes"] == {"pk": {"S": "a"}, "sk": {"N": "1.5"}}
    t = ddb.describe_table(TableName="items")["Table"]
    assert t["ItemCount"] == 0


def test_conditions_and_updates(ddb):
    mk(ddb, "upd")
    k = {"pk": {"S": "u"}}
    r = ddb.update_item(TableName="upd", Key=k, ReturnValues="ALL_NEW",
                        UpdateExpression="SET #c = :zero, l = :l, m = :m ADD s :s",
                        ExpressionAttributeNames={"#c": "count"},
                        ExpressionAttributeValues={":zero": {"N": "0"}, ":l": {"L": []},
                                                   ":m": {"M": {}}, ":s": {"SS": ["a"]}})
    assert r["Attributes"]["count"] == {"N": "0"}
    r = ddb.update_item(TableName="upd", Key=k, ReturnValues="UPDATED_NEW",
                        UpdateExpression="SET #c = #c + :inc, l = list_append(l, :one), "
                                         "m.x = :inc, f = if_not_exists(f, :inc) "
                                         "ADD s :s2 DELETE s :s",
                        ExpressionAttributeNames={"#c": "count"},
                        ExpressionAttributeValues={":inc": {"N": "0.1"}, ":one": {"L": [{"S": "z"}]},
                                                   ":s2": {"SS": ["b"]}, ":s": {"SS": ["a"]}})
    a = r["Attributes"]
    assert a["count"] == {"N": "0.1"} and a["l"] == {"L": [{"S": "z"}]}
    assert a["m"] == {"M": {"x": {"N": "0.1"}}} and a["s"] == {"SS": ["b"]} and a["f"]["N"] == "0.1"
    r = ddb.update_item(TableName="upd", Key=k, ReturnValues="UPDATED_OLD",
                        UpdateExpression="SET #c = #c + :inc REMOVE f, l[0]",
                        ExpressionAttributeNames={"#c": "count"},
                        ExpressionAttributeValues={":inc": {"N": "0.2"}})
    assert r["Attributes"]["count"] == {"N": "0.1"}
    item = ddb.get_item(TableName="upd", Key=k)["Item"]
    assert item["count"] == {"N": "0.3"} and "f" not in item and item["l"] == {"L": []}
    # conditions
    def cond(expr, values=None, names=None):
        kw = {"ConditionExpression": expr}
        if values:
            kw["ExpressionAttributeValues"] = values
        if names:
            kw["ExpressionAttributeNames"] = names
        try:
            ddb.update_item(TableName="upd", Key=k, UpdateExpression="SET touched = :t",
                            **{**kw, "ExpressionAttributeValues": {**(values or {}),
                                                                   ":t": {"BOOL": True}}})
            return True
        except ddb.exceptions.ConditionalCheckFailedException:
            return False
    n = {"#c": "count"}
    assert cond("#c = :v", {":v": {"N": "0.30"}}, n)
    assert cond("#c BETWEEN :a AND :b", {":a": {"N": "0"}, ":b": {"N": "1"}}, n)
    assert not cond("#c > :a", {":a": {"N": "1"}}, n)
    assert cond("#c IN (:a, :b)", {":a": {"N": "5"}, ":b": {"N": "0.3"}}, n)
    assert cond("attribute_exists(pk) AND NOT attribute_exists(nope)")
    assert cond("attribute_type(s, :t2) OR size(l) > :z", {":t2": {"S": "SS"}, ":z": {"N": "9"}})
    assert cond("contains(s, :b) and begins_with(pk, :u)", {":b": {"S": "b"}, ":u": {"S": "u"}})
    assert not cond("size(s) > :one", {":one": {"N": "1"}})
    assert cond("(nope <> :x)", {":x": {"S": "y"}})
    # failed conditions (ReturnValuesOnConditionCheckFailure: tests/clients/js/dynamodb.test.mjs,
    # Debian's botocore predates it)
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException) as e:
        ddb.put_item(TableName="upd", Item=k, ConditionExpression="attribute_not_exists(pk)")
    assert message(e) == "The conditional request failed"
    # expression errors
    raises(ddb.update_item, "ValidationException",
           "Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}",
           TableName="upd", Key=k, UpdateExpression="SET a = :y",
           ExpressionAttributeValues={":x": {"S": "1"}, ":y": {"S": "2"}})
    m = raises(ddb.update_item, "ValidationException", TableName="upd", Key=k,
               UpdateExpression="SET a = ")
    assert m.startswith("Invalid UpdateExpression: Syntax error; token: \"<EOF>\"")
    raises(ddb.update_item, "ValidationException",
           "Invalid UpdateExpression: An expression attribute value used in expression is not "
           "defined; attribute value: :nope", TableName="upd", Key=k, UpdateExpression="SET a = :nope")
    raises(ddb.update_item, "ValidationException",
           "One or more parameter values were invalid: Cannot update attribute pk. This attribute "
           "is part of the key", TableName="upd", Key=k, UpdateExpression="SET pk = :v",
           ExpressionAttributeValues={":v": {"S": "x"}})
    raises(ddb.update_item, "ValidationException",
           "An operand in the update expression has an incorrect data type", TableName="upd",
           Key=k, UpdateExpression="SET pk2 = s + :v", ExpressionAttributeValues={":v": {"N": "1"}})


def test_terraform_lock(ddb):
    """The S3 backend's state lock: a conditional put on LockID that the second holder loses."""
    mk(ddb, "tf-locks", hash_="LockID")
    lock = {"LockID": {"S": "bucket/key"}, "Info": {"S": '{"ID":"1"}'}}
    ddb.put_item(TableName="tf-locks", Item=lock, ConditionExpression="attribute_not_exists(LockID)")
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException):
        ddb.put_item(TableName="tf-locks", Item={**lock, "Info": {"S": "2"}},
                     ConditionExpression="attribute_not_exists(LockID)")
    got = ddb.get_item(TableName="tf-locks", Key={"LockID": {"S": "bucket/key"}},
                       ProjectionExpression="LockID, Info", ConsistentRead=True)["Item"]
    assert got["Info"] == {"S": '{"ID":"1"}'}
    ddb.delete_item(TableName="tf-locks", Key={"LockID": {"S": "bucket/key"}},
                    ConditionExpression="Info = :info",
                    ExpressionAttributeValues={":info": {"S": '{"ID":"1"}'}})
    ddb.put_item(TableName="tf-locks", Item=lock, ConditionExpression="attribute_not_exists(LockID)")
