"""DynamoDB through boto3 (json 1.0), its resource layer and awscli: tables (keys, indexes,
billing, tags, TTL, backups, waiters), items (expressions for conditions, projections and
updates; exact numbers; return values), Query and Scan (in key order, on indexes, paged),
batches and transactions, and the errors AWS answers."""
import time
from decimal import Decimal

import boto3
import pytest
from boto3.dynamodb.conditions import Attr, Key
from ferrytest import Ferry, acct, message, raises


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


def test_query_scan_and_indexes(ddb):
    mk(ddb, "qtab", range_="n", rtype="N",
       extra_defs=[{"AttributeName": "g", "AttributeType": "S"},
                   {"AttributeName": "s", "AttributeType": "S"}],
       GlobalSecondaryIndexes=[{"IndexName": "by-g", "Projection": {"ProjectionType": "KEYS_ONLY"},
                                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                              {"AttributeName": "n", "KeyType": "RANGE"}]}],
       LocalSecondaryIndexes=[{"IndexName": "by-s", "Projection": {"ProjectionType": "ALL"},
                               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                             {"AttributeName": "s", "KeyType": "RANGE"}]}])
    nums = ["-10", "-1.5", "-1", "0", "0.5", "2", "10", "100", "1e20"]
    for i, n in enumerate(nums):
        ddb.put_item(TableName="qtab", Item={"pk": {"S": "h"}, "n": {"N": n}, "s": {"S": f"s{8 - i}"},
                                          "g": {"S": "even" if i % 2 == 0 else "odd"},
                                          "x": {"N": str(i)}})
    ddb.put_item(TableName="qtab", Item={"pk": {"S": "other"}, "n": {"N": "1"}})

    def q(expr, values, **kw):
        r = ddb.query(TableName="qtab", KeyConditionExpression=expr,
                      ExpressionAttributeValues=values, **kw)
        return [i["n"]["N"] if "n" in i else None for i in r.get("Items", [])], r
    h = {":h": {"S": "h"}}
    assert q("pk = :h", h)[0] == ["-10", "-1.5", "-1", "0", "0.5", "2", "10", "100",
                                  "100000000000000000000"]
    assert q("pk = :h AND n < :v", {**h, ":v": {"N": "0"}})[0] == ["-10", "-1.5", "-1"]
    assert q("pk = :h AND n <= :v", {**h, ":v": {"N": "-1"}})[0] == ["-10", "-1.5", "-1"]
    assert q("pk = :h AND n > :v", {**h, ":v": {"N": "10"}})[0] == ["100", "100000000000000000000"]
    assert q("pk = :h AND n >= :v", {**h, ":v": {"N": "10.0"}})[0][0] == "10"
    assert q("n = :v AND pk = :h", {**h, ":v": {"N": "2"}})[0] == ["2"]
    assert q("pk = :h AND n BETWEEN :a AND :b", {**h, ":a": {"N": "-1"}, ":b": {"N": "2"}})[0] == [
        "-1", "0", "0.5", "2"]
    got, r = q("pk = :h", h, ScanIndexForward=False, Limit=3)
    assert got == ["100000000000000000000", "100", "10"] and r["ScannedCount"] == 3
    got2, r2 = q("pk = :h", h, ScanIndexForward=False, Limit=3,
                 ExclusiveStartKey=r["LastEvaluatedKey"])
    assert got2 == ["2", "0.5", "0"]
    r = ddb.query(TableName="qtab", KeyConditionExpression="pk = :h", FilterExpression="x >= :six",
                  ExpressionAttributeValues={**h, ":six": {"N": "6"}})
    assert r["Count"] == 3 and r["ScannedCount"] == 9
    r = ddb.query(TableName="qtab", KeyConditionExpression="pk = :h", Select="COUNT",
                  ExpressionAttributeValues=h)
    assert r["Count"] == 9 and "Items" not in r
    # the LSI orders by s; the GSI projects keys only
    r = ddb.query(TableName="qtab", IndexName="by-s", KeyConditionExpression="pk = :h AND "
                  "begins_with(s, :p)", ExpressionAttributeValues={**h, ":p": {"S": "s"}}, Limit=2)
    assert [i["s"]["S"] for i in r["Items"]] == ["s0", "s1"] and "x" in r["Items"][0]
    assert set(r["LastEvaluatedKey"]) == {"pk", "n", "s"}
    r = ddb.query(TableName="qtab", IndexName="by-g", KeyConditionExpression="g = :g",
                  ExpressionAttributeValues={":g": {"S": "odd"}})
    assert [i["n"]["N"] for i in r["Items"]] == ["-1.5", "0", "2", "100"]
    assert set(r["Items"][0]) == {"pk", "n", "g"}
    # index entries follow updates and deletes
    ddb.update_item(TableName="qtab", Key={"pk": {"S": "h"}, "n": {"N": "0"}},
                    UpdateExpression="SET g = :e", ExpressionAttributeValues={":e": {"S": "even"}})
    ddb.delete_item(TableName="qtab", Key={"pk": {"S": "h"}, "n": {"N": "100"}})
    r = ddb.query(TableName="qtab", IndexName="by-g", KeyConditionExpression="g = :g",
                  ExpressionAttributeValues={":g": {"S": "odd"}})
    assert [i["n"]["N"] for i in r["Items"]] == ["-1.5", "2"]
    # a GSI added later is filled from the items there
    ddb.update_table(TableName="qtab", AttributeDefinitions=[{"AttributeName": "x",
                                                           "AttributeType": "N"}],
                     GlobalSecondaryIndexUpdates=[{"Create": {
                         "IndexName": "by-x", "Projection": {"ProjectionType": "ALL"},
                         "KeySchema": [{"AttributeName": "x", "KeyType": "HASH"}]}}])
    r = ddb.query(TableName="qtab", IndexName="by-x", KeyConditionExpression="x = :x",
                  ExpressionAttributeValues={":x": {"N": "4"}})
    assert [i["n"]["N"] for i in r["Items"]] == ["0.5"]
    ddb.update_table(TableName="qtab", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-x"}}])
    raises(ddb.query, "ValidationException", "The table does not have the specified index: by-x",
           TableName="qtab", IndexName="by-x", KeyConditionExpression="x = :x",
           ExpressionAttributeValues={":x": {"N": "4"}})
    # errors
    raises(ddb.query, "ValidationException", "Query condition missed key schema element: pk",
           TableName="qtab", KeyConditionExpression="n = :v", ExpressionAttributeValues={":v": {"N": "1"}})
    raises(ddb.query, "ValidationException",
           "One or more parameter values were invalid: Condition parameter type does not match "
           "schema type", TableName="qtab", KeyConditionExpression="pk = :v",
           ExpressionAttributeValues={":v": {"N": "1"}})
    # scans: everything once, in pages and in segments
    assert ddb.scan(TableName="qtab")["Count"] == 9
    seen, start = [], None
    while True:
        kw = {"ExclusiveStartKey": start} if start else {}
        r = ddb.scan(TableName="qtab", Limit=4, **kw)
        seen += [(i["pk"]["S"], i["n"]["N"]) for i in r["Items"]]
        start = r.get("LastEvaluatedKey")
        if not start:
            break
    assert len(seen) == 9 and len(set(seen)) == 9
    segs = [ddb.scan(TableName="qtab", Segment=s, TotalSegments=3)["Count"] for s in range(3)]
    assert sum(segs) == 9
    r = ddb.scan(TableName="qtab", FilterExpression="g = :o", ProjectionExpression="n",
                 ExpressionAttributeValues={":o": {"S": "odd"}})
    assert sorted(i["n"]["N"] for i in r["Items"]) == ["-1.5", "2"]
    assert ddb.scan(TableName="qtab", IndexName="by-g")["Count"] == 8
    raises(ddb.query, "ValidationException",
           "Consistent reads are not supported on global secondary indexes", TableName="qtab",
           IndexName="by-g", ConsistentRead=True, KeyConditionExpression="g = :g",
           ExpressionAttributeValues={":g": {"S": "odd"}})
    raises(ddb.scan, "ValidationException", TableName="qtab", Segment=3, TotalSegments=3)


def test_resource_layer(res):
    t = res.create_table(TableName="people", KeySchema=[
        {"AttributeName": "team", "KeyType": "HASH"}, {"AttributeName": "age", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "team", "AttributeType": "S"},
                              {"AttributeName": "age", "AttributeType": "N"}],
        BillingMode="PAY_PER_REQUEST")
    t.wait_until_exists()
    with t.batch_writer() as w:
        for i in range(30):
            w.put_item(Item={"team": "a" if i % 3 else "b", "age": Decimal(i) / 2,
                             "name": f"p{i}", "tags": {"x", f"t{i}"}})
    t.reload()
    assert t.item_count == 30
    got = t.get_item(Key={"team": "a", "age": Decimal("0.5")})["Item"]
    assert got["name"] == "p1" and got["tags"] == {"x", "t1"}
    r = t.query(KeyConditionExpression=Key("team").eq("b") & Key("age").between(3, 6))
    assert [i["age"] for i in r["Items"]] == [Decimal(3), Decimal("4.5"), Decimal(6)]
    r = t.scan(FilterExpression=Attr("name").begins_with("p2") & Attr("age").gt(10))
    assert sorted(i["name"] for i in r["Items"]) == ["p21", "p22", "p23", "p24", "p25", "p26",
                                                     "p27", "p28", "p29"]
    t.update_item(Key={"team": "a", "age": 1}, UpdateExpression="ADD visits :one",
                  ExpressionAttributeValues={":one": 1})
    t.update_item(Key={"team": "a", "age": 1}, UpdateExpression="ADD visits :one",
                  ExpressionAttributeValues={":one": 1})
    assert t.get_item(Key={"team": "a", "age": 1})["Item"]["visits"] == 2
    t.delete()
    t.wait_until_not_exists()


def test_awscli(ferry):
    ferry.aws("dynamodb", "create-table", "--table-name", "cli-t", "--billing-mode",
              "PAY_PER_REQUEST", "--key-schema", "AttributeName=id,KeyType=HASH",
              "--attribute-definitions", "AttributeName=id,AttributeType=S", profile="dev")
    ferry.aws("dynamodb", "put-item", "--table-name", "cli-t", "--item",
              '{"id": {"S": "1"}, "v": {"N": "1.10"}}', profile="dev")
    import json
    out = ferry.aws("dynamodb", "get-item", "--table-name", "cli-t", "--key",
                    '{"id": {"S": "1"}}', profile="dev")
    assert json.loads(out.stdout)["Item"]["v"] == {"N": "1.1"}


def test_batches_and_transactions(ddb):
    mk(ddb, "btab")
    mk(ddb, "btab2")
    ddb.batch_write_item(RequestItems={
        "btab": [{"PutRequest": {"Item": {"pk": {"S": f"k{i}"}, "v": {"N": str(i)}}}}
               for i in range(20)],
        "btab2": [{"PutRequest": {"Item": {"pk": {"S": "x"}}}}]})
    r = ddb.batch_write_item(RequestItems={"btab": [{"DeleteRequest": {"Key": {"pk": {"S": "k0"}}}}]})
    assert r["UnprocessedItems"] == {}
    raises(ddb.batch_write_item, "ValidationException",
           "Too many items requested for the BatchWriteItem call",
           RequestItems={"btab": [{"PutRequest": {"Item": {"pk": {"S": f"z{i}"}}}}
                                  for i in range(13)],
                         "btab2": [{"PutRequest": {"Item": {"pk": {"S": f"z{i}"}}}}
                                   for i in range(13)]})
    raises(ddb.batch_write_item, "ValidationException",
           "Provided list of item keys contains duplicates",
           RequestItems={"btab": [{"PutRequest": {"Item": {"pk": {"S": "d"}}}},
                                {"DeleteRequest": {"Key": {"pk": {"S": "d"}}}}]})
    r = ddb.batch_get_item(RequestItems={
        "btab": {"Keys": [{"pk": {"S": "k0"}}, {"pk": {"S": "k1"}}, {"pk": {"S": "k2"}}],
               "ProjectionExpression": "v"},
        "btab2": {"Keys": [{"pk": {"S": "x"}}]}})
    assert sorted(i["v"]["N"] for i in r["Responses"]["btab"]) == ["1", "2"]
    assert r["Responses"]["btab2"] == [{"pk": {"S": "x"}}] and r["UnprocessedKeys"] == {}
    raises(ddb.batch_get_item, "ValidationException",
           "Too many items requested for the BatchGetItem call",
           RequestItems={"btab": {"Keys": [{"pk": {"S": f"k{i}"}} for i in range(60)]},
                         "btab2": {"Keys": [{"pk": {"S": f"k{i}"}} for i in range(41)]}})
    # transactions: all or nothing
    items = [{"Put": {"TableName": "btab", "Item": {"pk": {"S": "t1"}}}},
             {"Update": {"TableName": "btab", "Key": {"pk": {"S": "k1"}},
                         "UpdateExpression": "SET v = v + :one",
                         "ExpressionAttributeValues": {":one": {"N": "1"}}}},
             {"ConditionCheck": {"TableName": "btab2", "Key": {"pk": {"S": "x"}},
                                 "ConditionExpression": "attribute_not_exists(pk)"}}]
    with pytest.raises(ddb.exceptions.TransactionCanceledException) as e:
        ddb.transact_write_items(TransactItems=items)
    assert e.value.response["CancellationReasons"] == [
        {"Code": "None"}, {"Code": "None"},
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}]
    assert "[None, None, ConditionalCheckFailed]" in message(e)
    assert "Item" not in ddb.get_item(TableName="btab", Key={"pk": {"S": "t1"}})
    items[2] = {"Delete": {"TableName": "btab2", "Key": {"pk": {"S": "x"}},
                           "ConditionExpression": "attribute_exists(pk)"}}
    ddb.transact_write_items(TransactItems=items, ClientRequestToken="tok-1")
    ddb.transact_write_items(TransactItems=items, ClientRequestToken="tok-1")  # idempotent
    r = ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": "btab", "Key": {"pk": {"S": "k1"}}}},
        {"Get": {"TableName": "btab2", "Key": {"pk": {"S": "x"}}}}])
    assert r["Responses"][0]["Item"]["v"] == {"N": "2"} and r["Responses"][1] == {}
    raises(ddb.transact_write_items, "IdempotentParameterMismatchException",
           TransactItems=items[:1], ClientRequestToken="tok-1")
    raises(ddb.transact_write_items, "ValidationException",
           "Transaction request cannot include multiple operations on one item",
           TransactItems=[items[0], items[0]])


def test_ttl_sweep():
    f = Ferry().start(env={"FERRY_DYNAMODB_TTL_INTERVAL": "0.2"})
    try:
        f.init()
        ddb = f.client("dynamodb", "dev")
        mk(ddb, "ttl", extra_defs=[{"AttributeName": "g", "AttributeType": "S"}],
           GlobalSecondaryIndexes=[{"IndexName": "by-g", "Projection": {"ProjectionType": "ALL"},
                                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}]}])
        now = int(time.time())
        items = {"old": now - 60, "new": now + 3600, "ancient": now - 6 * 365 * 86400}
        for k, t in items.items():
            ddb.put_item(TableName="ttl", Item={"pk": {"S": k}, "g": {"S": "x"},
                                                "exp": {"N": str(t)}})
        ddb.put_item(TableName="ttl", Item={"pk": {"S": "text"}, "exp": {"S": "0"}})
        time.sleep(0.5)  # nothing goes while TTL is off
        assert ddb.scan(TableName="ttl")["Count"] == 4
        ddb.update_time_to_live(TableName="ttl", TimeToLiveSpecification={
            "Enabled": True, "AttributeName": "exp"})
        deadline = time.time() + 20
        while ddb.scan(TableName="ttl")["Count"] != 3 and time.time() < deadline:
            time.sleep(0.1)
        left = sorted(i["pk"]["S"] for i in ddb.scan(TableName="ttl")["Items"])
        assert left == ["ancient", "new", "text"]
        assert ddb.scan(TableName="ttl", IndexName="by-g")["Count"] == 2
        assert ddb.describe_table(TableName="ttl")["Table"]["ItemCount"] == 3
    finally:
        f.close()


def test_cfn_table_provider(ferry):
    from test_cfn_providers import PROFILE, REGION, Stacks, out
    stacks = Stacks(ferry)
    ddb = ferry.client("dynamodb", PROFILE, region=REGION)

    def tpl(rcu=5, gsi=False, ttl=False, env="dev"):
        props = {"TableName": "cfn-orders", "BillingMode": "PROVISIONED",
                 "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                 "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                 "ProvisionedThroughput": {"ReadCapacityUnits": rcu, "WriteCapacityUnits": 1},
                 "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
                 "Tags": [{"Key": "env", "Value": env}]}
        if gsi:
            props["AttributeDefinitions"].append({"AttributeName": "g", "AttributeType": "S"})
            props["GlobalSecondaryIndexes"] = [{
                "IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
                "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}]
        if ttl:
            props["TimeToLiveSpecification"] = {"Enabled": True, "AttributeName": "exp"}
        return {"Resources": {"T": {"Type": "AWS::DynamoDB::Table", "Properties": props},
                              "U": {"Type": "AWS::DynamoDB::Table", "Properties": {
                                  "BillingMode": "PAY_PER_REQUEST",
                                  "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
                                  "AttributeDefinitions": [{"AttributeName": "k",
                                                            "AttributeType": "S"}]}}},
                "Outputs": out(("Ref", {"Ref": "T"}), ("Arn", {"Fn::GetAtt": ["T", "Arn"]}),
                               ("Stream", {"Fn::GetAtt": ["T", "StreamArn"]}),
                               ("U", {"Ref": "U"}))}

    s = stacks.deploy("ddb-tables", tpl())
    t = ddb.describe_table(TableName="cfn-orders")["Table"]
    assert s["Out"]["Ref"] == "cfn-orders" and s["Out"]["Arn"] == t["TableArn"]
    assert s["Out"]["Stream"] == t["LatestStreamArn"] and "/stream/" in s["Out"]["Stream"]
    assert s["Out"]["U"].startswith("ddb-tables-U-")
    stacks.deploy("ddb-tables", tpl(rcu=9, gsi=True, ttl=True, env="qa"), update=True)
    t = ddb.describe_table(TableName="cfn-orders")["Table"]
    assert t["ProvisionedThroughput"]["ReadCapacityUnits"] == 9
    assert [g["IndexName"] for g in t["GlobalSecondaryIndexes"]] == ["by-g"]
    assert ddb.describe_time_to_live(TableName="cfn-orders")["TimeToLiveDescription"][
        "TimeToLiveStatus"] == "ENABLED"
    tags = {x["Key"]: x["Value"] for x in ddb.list_tags_of_resource(ResourceArn=t["TableArn"])["Tags"]}
    assert tags["env"] == "qa"
    stacks.deploy("ddb-tables", tpl(rcu=9), update=True)
    assert "GlobalSecondaryIndexes" not in ddb.describe_table(TableName="cfn-orders")["Table"]
    u = s["Out"]["U"]
    stacks.delete(s)
    names = ddb.list_tables()["TableNames"]
    assert "cfn-orders" not in names and u not in names


def test_authorization(ferry, ddb):
    """Every operation asks for dynamodb:<Operation> on the table's ARN."""
    mk(ddb, "authz-a")
    mk(ddb, "authz-b")
    arn = ddb.describe_table(TableName="authz-a")["Table"]["TableArn"]
    ddb.put_item(TableName="authz-a", Item={"pk": {"S": "1"}})
    ddb.put_item(TableName="authz-b", Item={"pk": {"S": "1"}})
    u = ferry.user_client("dynamodb", "dev", "ddb-reader", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"], "Resource": arn}]})
    assert u.get_item(TableName="authz-a", Key={"pk": {"S": "1"}})["Item"]
    raises(u.get_item, "AccessDeniedException", TableName="authz-b", Key={"pk": {"S": "1"}})
    raises(u.put_item, "AccessDeniedException", TableName="authz-a", Item={"pk": {"S": "2"}})
    raises(u.batch_write_item, "AccessDeniedException",
           RequestItems={"authz-a": [{"PutRequest": {"Item": {"pk": {"S": "3"}}}}]})
    raises(u.list_tables, "AccessDeniedException")
    assert "Item" not in ddb.get_item(TableName="authz-a", Key={"pk": {"S": "3"}})



def test_partiql(ddb):
    mk(ddb, "pql", range_="n", rtype="N")
    ddb.execute_statement(Statement="INSERT INTO \"pql\" VALUE {'pk': 'a', 'n': 1, 'tags': <<'x', 'y'>>,"
                                    " 'm': {'k': [1, true, null]}}")
    ddb.execute_statement(Statement="INSERT INTO pql VALUE {'pk': ?, 'n': ?, 'v': 'two'}",
                          Parameters=[{"S": "a"}, {"N": "2"}])
    raises(ddb.execute_statement, "DuplicateItemException",
           "Duplicate primary key exists in table",
           Statement="INSERT INTO pql VALUE {'pk': 'a', 'n': 2}")
    r = ddb.execute_statement(Statement="SELECT * FROM pql WHERE pk = 'a' AND n >= 1")
    assert [i["n"]["N"] for i in r["Items"]] == ["1", "2"]
    assert r["Items"][0]["tags"] == {"SS": ["x", "y"]}
    assert r["Items"][0]["m"] == {"M": {"k": {"L": [{"N": "1"}, {"BOOL": True}, {"NULL": True}]}}}
    r = ddb.execute_statement(Statement="SELECT v, n FROM \"pql\" WHERE v IN ['two', 'three']")
    assert r["Items"] == [{"v": {"S": "two"}, "n": {"N": "2"}}]
    r = ddb.execute_statement(Statement="SELECT * FROM pql", Limit=1)
    assert len(r["Items"]) == 1 and r["NextToken"]
    r2 = ddb.execute_statement(Statement="SELECT * FROM pql", Limit=5, NextToken=r["NextToken"])
    assert [i["n"]["N"] for i in r2["Items"]] == ["2"]
    ddb.execute_statement(Statement="UPDATE pql SET v = 'one' SET w = 3 REMOVE tags "
                                    "WHERE pk = 'a' AND n = 1")
    item = ddb.get_item(TableName="pql", Key={"pk": {"S": "a"}, "n": {"N": "1"}})["Item"]
    assert item["v"] == {"S": "one"} and item["w"] == {"N": "3"} and "tags" not in item
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException):
        ddb.execute_statement(Statement="UPDATE pql SET v = 'x' WHERE pk = 'zz' AND n = 1")
    raises(ddb.execute_statement, "ValidationException",
           "Where clause does not contain a mandatory equality on all key attributes",
           Statement="DELETE FROM pql WHERE pk = 'a'")
    ddb.execute_statement(Statement="DELETE FROM pql WHERE pk = 'a' AND n = 2")
    assert ddb.scan(TableName="pql")["Count"] == 1
    m = raises(ddb.execute_statement, "ValidationException", Statement="SELEC * FROM pql")
    assert m.startswith("Statement wasn't well formed")


def test_item_count_and_size_follow_the_items(ddb):
    """ItemCount and TableSizeBytes (kept apart from the table's own document) follow puts of
    new items, overwrites by items of another size, deletes and batches, and start again at
    zero when a table of the same name is made again."""
    mk(ddb, "counted", range_="sk", rtype="N")

    def counts():
        t = ddb.describe_table(TableName="counted")["Table"]
        return t["ItemCount"], t["TableSizeBytes"]

    assert counts() == (0, 0)
    ddb.put_item(TableName="counted", Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"S": "x"}})
    n, one = counts()
    assert n == 1 and one > 0
    # an overwrite by an item of the same size changes nothing; a bigger one only the size
    ddb.put_item(TableName="counted", Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"S": "y"}})
    assert counts() == (1, one)
    ddb.put_item(TableName="counted", Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"S": "yyyy"}})
    assert counts() == (1, one + 3)
    ddb.batch_write_item(RequestItems={"counted": [
        {"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"N": str(i)}}}} for i in range(5)]})
    assert counts()[0] == 6
    ddb.update_table(TableName="counted", BillingMode="PAY_PER_REQUEST")  # rewrites the table
    n, size = counts()
    assert n == 6
    ddb.delete_item(TableName="counted", Key={"pk": {"S": "a"}, "sk": {"N": "1"}})
    assert counts() == (5, size - (one + 3))
    assert ddb.delete_table(TableName="counted")["TableDescription"]["ItemCount"] == 5
    mk(ddb, "counted", range_="sk", rtype="N")
    assert counts() == (0, 0)
