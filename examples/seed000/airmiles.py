#!/usr/bin/python3
"""The Airmiles microservice (seed 000): consumes booking events from its own queue (fed by
the booking account's topic) and computes the air miles each booking earns."""
import json
import os
import sys
import time

import boto3

MILES_PER_KM = 0.621371


def main():
    queue_url, expect = sys.argv[1], int(sys.argv[2])
    wait_total = float(sys.argv[3]) if len(sys.argv) > 3 else 10
    sqs = boto3.client("sqs", endpoint_url=os.environ["FERRY_ENDPOINT"])
    got, deadline = 0, time.time() + wait_total
    while got < expect and time.time() < deadline:
        r = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                WaitTimeSeconds=min(2, max(1, int(deadline - time.time()))))
        for m in r.get("Messages", []):
            envelope = json.loads(m["Body"])
            booking = json.loads(envelope["Message"])
            miles = round(booking["distanceKm"] * MILES_PER_KM)
            print(f"   airmiles credited {miles:>5} miles to {booking['customer']:<5} for booking "
                  f"{booking['bookingId']} (from topic {envelope['TopicArn'].split(':')[4]})")
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
            got += 1
    print(f"   airmiles received {got} of {expect} bookings")
    sys.exit(0 if got >= expect else 1)


if __name__ == "__main__":
    main()
