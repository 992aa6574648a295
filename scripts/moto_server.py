"""Runs moto's server with DynamoDB requests serialized.

moto's DynamoDB backend is not safe under concurrent requests: a cancelled TransactWriteItems
restores a deep copy of every table it touched (wiping writes that other requests made in
between), and a conditional PutItem checks and writes without a lock. DynamoDB itself is
linearizable per item, so serializing DynamoDB requests is a faithful (stricter) model; SQS and
SNS stay concurrent so that long polls do not block anyone.

Usage: python moto_server.py -H 127.0.0.1 -p 5599   (the same arguments as `moto_server`)
"""

import threading

from moto.dynamodb.responses import DynamoHandler
from moto.server import main

_lock = threading.Lock()
_call_action = DynamoHandler.call_action


def _serialized(self):
    with _lock:
        return _call_action(self)


DynamoHandler.call_action = _serialized

if __name__ == "__main__":
    main()
