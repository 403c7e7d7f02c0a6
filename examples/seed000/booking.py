#!/usr/bin/python3
"""The Booking microservice (seed 000), reduced to what crosses accounts: each flight
booking is published to the FlightBookings topic in the booking account."""
import json
import os
import random
import sys
import uuid

import boto3

ROUTES = [("LHR", "JFK", 5540), ("SYD", "MEL", 705), ("AMS", "NRT", 9310), ("CDG", "DXB", 5250),
          ("SFO", "SEA", 1090), ("GRU", "LIS", 7920)]


def main():
    topic, count = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3
    sns = boto3.client("sns", endpoint_url=os.environ["FERRY_ENDPOINT"])
    for _ in range(count):
        origin, dest, km = random.choice(ROUTES)
        booking = {"bookingId": str(uuid.uuid4())[:8], "customer": random.choice(
            ["ana", "bo", "chen", "dev", "eli"]), "from": origin, "to": dest, "distanceKm": km}
        r = sns.publish(TopicArn=topic, Subject="FlightBooked", Message=json.dumps(booking),
                        MessageAttributes={"eventType": {"DataType": "String", "StringValue": "FlightBooked"}})
        print(f"   booking  published {booking['bookingId']} {origin}->{dest} ({km} km) "
              f"as message {r['MessageId'][:8]}")


if __name__ == "__main__":
    main()
