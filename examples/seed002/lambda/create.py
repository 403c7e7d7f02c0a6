import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["PRODUCTS"])


def handler(event, context):
    product = json.loads(event.get("body") or "{}")
    if not product.get("id"):
        return {"statusCode": 400, "body": json.dumps({"message": "id is required"})}
    table.put_item(Item={k: str(v) for k, v in product.items()})
    return {"statusCode": 200, "body": json.dumps(product)}
