"""Booking: POST /bookings stores the booking and publishes it for the other services."""
import json
import os
import uuid

import boto3

ddb = boto3.client("dynamodb")
sns = boto3.client("sns")
FIELDS = ("first_name", "last_name", "from_airport", "to_airport", "departure_date",
          "return_date", "age_group", "booking_class")


def create(event, context):
    try:
        booking = json.loads(event.get("body") or "{}")
    except ValueError:
        return {"statusCode": 400, "body": json.dumps({"message": "the body is not JSON"})}
    missing = [f for f in FIELDS if not booking.get(f)]
    if missing:
        return {"statusCode": 400, "body": json.dumps({"message": "missing: " + ", ".join(missing)})}
    number = uuid.uuid4().hex[:10]
    item = {f: {"S": str(booking[f])} for f in FIELDS}
    item["booking_number"] = {"S": number}
    ddb.put_item(TableName=os.environ["TABLE"], Item=item)
    booking["booking_number"] = number
    sns.publish(TopicArn=os.environ["TOPIC"], Message=json.dumps(booking))
    print(f"booking {number}: {booking['from_airport']}->{booking['to_airport']} stored and published")
    return {"statusCode": 201, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"booking_number": number})}
