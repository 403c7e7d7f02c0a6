"""Airmiles: credits miles for each booking published by the booking account, and answers
GET /airmiles/{bookingid} from its own table."""
import json
import os

import boto3

ddb = boto3.client("dynamodb")
# great-circle kilometres of the routes the demo books; others earn a flat 500
KM = {("SYD", "MEL"): 713, ("LHR", "JFK"): 5540, ("SFO", "SEA"): 1093}
CLASS_FACTOR = {"economy": 1.0, "business": 1.5, "first": 2.0}


def credit(event, context):
    for record in event["Records"]:
        b = json.loads(record["Sns"]["Message"])
        route = (b["from_airport"], b["to_airport"])
        km = KM.get(route) or KM.get(route[::-1]) or 500
        miles = round(km * 0.621 * 2 * CLASS_FACTOR.get(b.get("booking_class"), 1.0))
        ddb.put_item(TableName=os.environ["TABLE"],
                     Item={"booking_number": {"S": b["booking_number"]}, "miles": {"N": str(miles)},
                           "route": {"S": "%s-%s" % route}})
        print(f"airmiles: booking {b['booking_number']} earns {miles} miles")
    return {"credited": len(event["Records"])}


def get(event, context):
    number = event["pathParameters"]["bookingid"]
    r = ddb.get_item(TableName=os.environ["TABLE"], Key={"booking_number": {"S": number}})
    if "Item" not in r:
        return {"statusCode": 404, "body": json.dumps({"message": f"no airmiles for booking {number}"})}
    item = r["Item"]
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"booking_number": number, "route": item["route"]["S"],
                                "miles": int(item["miles"]["N"])})}
