import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["PRODUCTS"])


def handler(event, context):
    item = table.get_item(Key={"id": event["pathParameters"]["id"]}).get("Item")
    if not item:
        return {"statusCode": 404, "body": json.dumps({"message": "product not found"})}
    return {"statusCode": 200, "body": json.dumps(item)}
