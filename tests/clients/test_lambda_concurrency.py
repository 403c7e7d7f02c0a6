"""Concurrency: unreserved functions share the account's pool, its limit less every
function's reserved concurrency (FERRY_LAMBDA_CONCURRENCY lowers the limit from 1000 to 20
here, so the minimum left unreserved is 2); an Invoke beyond the pool, or beyond a function's
reservation, is TooManyRequestsException (429); a reserved function does not draw on the
pool."""
import concurrent.futures
import json

import pytest
from botocore.config import Config
from ferrytest import Ferry, raises, zipped

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
SLOW = {"index.py": "import time\n\ndef handler(event, context):\n"
                    "    time.sleep(event.get('sleep', 0))\n    return 'done'\n"}


@pytest.fixture(scope="module")
def ferry():
    f = Ferry().start(env={"FERRY_LAMBDA_CONCURRENCY": "20"})
    f.init()
    yield f
    f.close()


@pytest.fixture(scope="module")
def lam(ferry):
    # no retries: the SDK retries TooManyRequestsException, and the refusal is the point
    lam = ferry.client("lambda", "dev", config=Config(retries={"total_max_attempts": 1}))
    role = ferry.client("iam", "dev").create_role(
        RoleName="conc", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    for name in ("reserved", "free", "free2"):
        lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="index.handler",
                            Timeout=10, Code={"ZipFile": zipped(SLOW)})
        lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100})
    return lam


def parallel(lam, calls):
    """Invokes [(name, seconds)] at once: the list of results, "429" for a refusal."""
    def one(c):
        try:
            return json.loads(lam.invoke(FunctionName=c[0], Payload=json.dumps({"sleep": c[1]}).encode())["Payload"].read())
        except lam.exceptions.TooManyRequestsException as e:
            assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 429
            return "429"
    with concurrent.futures.ThreadPoolExecutor(len(calls)) as ex:
        return list(ex.map(one, calls))


def test_account_settings_follow_the_limit_and_reservations(lam):
    s = lam.get_account_settings()["AccountLimit"]
    assert s["ConcurrentExecutions"] == 20 and s["UnreservedConcurrentExecutions"] == 20
    raises(lam.put_function_concurrency, "InvalidParameterValueException",
           "Specified ReservedConcurrentExecutions for function decreases account's "
           "UnreservedConcurrentExecution below its minimum value of [2].",
           FunctionName="reserved", ReservedConcurrentExecutions=19)
    lam.put_function_concurrency(FunctionName="reserved", ReservedConcurrentExecutions=18)
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 2


def test_unreserved_pool_exhausted_is_too_many_requests(lam):
    # the pool is 2: two slow invocations of unreserved functions hold it, a third is refused
    got = parallel(lam, [("free", 2), ("free2", 2), ("free", 0.5)])
    assert sorted(got, key=str) == ["429", "done", "done"]
    # once they end, the pool serves again
    assert parallel(lam, [("free", 0)]) == ["done"]


def test_reserved_function_runs_beside_a_full_pool(lam):
    # the pool full, the reserved function still runs on its own reservation (three at once)
    got = parallel(lam, [("free", 2), ("free2", 2), ("reserved", 0.5), ("reserved", 0.5), ("reserved", 0.5)])
    assert got == ["done"] * 5


def test_reservation_exceeded_is_too_many_requests(lam):
    lam.put_function_concurrency(FunctionName="reserved", ReservedConcurrentExecutions=1)
    got = parallel(lam, [("reserved", 2), ("reserved", 0.5)])
    assert sorted(got, key=str) == ["429", "done"]
    # freed reservations go back to the pool at once: 19 unreserved now
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 19
    assert parallel(lam, [("free", 1), ("free2", 1), ("free", 1)]) == ["done"] * 3
