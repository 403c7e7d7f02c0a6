#!/bin/sh
# make demo: the seed 000 architecture (cross-account serverless microservices) on one
# machine, step by step: a tools account that deploys, through roles it is trusted with,
# into a booking and an airmiles account; the two services talking across the account
# boundary through an SNS topic and an SQS queue, then through a Lambda function, then
# both services as SAM applications answering HTTP through API Gateway, and at last the
# same applications delivered by the tools account's pipeline from a git push. Runs
# ferry on a temporary data directory with its own AWS profiles; never touches ~/.aws.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
FERRY=${FERRY_BIN:-$here/../build/ferry}
AWS=/usr/bin/aws   # Debian's awscli
PY=/usr/bin/python3

work=$(mktemp -d /tmp/ferry-demo.XXXXXX)
export AWS_CONFIG_FILE="$work/aws/config" AWS_SHARED_CREDENTIALS_FILE="$work/aws/credentials" AWS_PAGER=""
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_DEFAULT_REGION AWS_REGION 2>/dev/null || true
export AWS_DEFAULT_REGION=us-east-1

b=$(printf '\033[1m'); d=$(printf '\033[2m'); n=$(printf '\033[0m')
[ -t 1 ] || { b=; d=; n=; }
step() { printf '\n%s== %s%s\n' "$b" "$*" "$n"; }
say() { printf '   %s\n' "$*"; }
run() { printf '%s   $ %s%s\n' "$d" "$*" "$n"; "$@"; }
refused() { # run a command that must fail and show why
  if "$@" >/dev/null 2>"$work/err"; then say "UNEXPECTED: it was allowed"; exit 1; fi
  say "refused: $(tr -d '\n' < "$work/err" | sed 's/^.*): //' | cut -c1-300)"
}

cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

step "1. Start ferry: one process for every account and region (strict SigV4, SQLite store)"
"$FERRY" serve --listen 127.0.0.1:0 --port-file "$work/port" --data "$work/data" \
  --log-level warn 2>"$work/ferry.log" &
pid=$!
i=0; while [ ! -s "$work/port" ]; do i=$((i+1)); [ $i -gt 500 ] && { cat "$work/ferry.log"; exit 1; }; sleep 0.01; done
EP="http://127.0.0.1:$(cat "$work/port")"
export FERRY_ENDPOINT="$EP"
say "listening on $EP, data in $work/data"

step "2. ferry init: the seed 000 organization (tools manages; booking and airmiles are members)"
run "$FERRY" init --data "$work/data" --config "$here/seed000/org.yaml" \
  --aws-config "$work/aws" --endpoint-url "$EP"
say "Debian's aws 2.9 does not read endpoint_url from a profile, so the demo passes --endpoint-url."
aws() { "$AWS" --endpoint-url "$EP" "$@"; }
acct() { aws --profile "$1" sts get-caller-identity --query Account --output text; }
TOOLS=$(acct tools); BOOKING=$(acct booking); AIRMILES=$(acct airmiles)
say "tools=$TOOLS booking=$BOOKING airmiles=$AIRMILES"
console_info() {
  say "web console: $EP/_ferry/console/  (sign in with the tools account's root keys:"
  say "  access key id $("$AWS" configure get aws_access_key_id --profile tools)"
  say "  secret        $("$AWS" configure get aws_secret_access_key --profile tools)"
  say "  then Switch role: account $BOOKING or $AIRMILES, role OrganizationAccountAccessRole)"
}
console_info

step "3. Each profile is its own account, in any region"
for p in tools booking airmiles; do
  for r in us-east-1 eu-west-1; do
    printf '   %-9s %-10s ' "$p" "$r"
    aws --profile "$p" --region "$r" sts get-caller-identity --query Arn --output text
  done
done

# as(ROLE_ARN SESSION [EXTERNAL_ID] [PROFILE]): credentials of a role session, exported.
as_role() {
  set -- "$1" "$2" "${3:-}" "${4:-tools}"
  if [ -n "$3" ]; then ext="--external-id $3"; else ext=""; fi
  # shellcheck disable=SC2086
  creds=$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
    "$AWS" --endpoint-url "$EP" --profile "$4" sts assume-role --role-arn "$1" \
    --role-session-name "$2" $ext \
    --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text) || return 1
  export AWS_ACCESS_KEY_ID=$(echo "$creds" | cut -f1) AWS_SECRET_ACCESS_KEY=$(echo "$creds" | cut -f2) \
         AWS_SESSION_TOKEN=$(echo "$creds" | cut -f3)
}
as_none() { unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN; }

step "4. Each service account's administrator bootstraps it (through OrganizationAccountAccessRole)"
EXTERNAL_ID=seed000-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
for svc in booking airmiles; do
  id=$(acct $svc)
  as_role "arn:aws:iam::$id:role/OrganizationAccountAccessRole" "bootstrap-$svc"
  run aws cloudformation deploy --stack-name seed000-bootstrap --template-file "$here/seed000/bootstrap.yaml" \
    --capabilities CAPABILITY_NAMED_IAM --parameter-overrides ToolsAccountId="$TOOLS" ExternalId="$EXTERNAL_ID"
  as_none
done

step "5. Cross-account access goes only through roles the target accounts trust"
DEPLOY_B="arn:aws:iam::$BOOKING:role/ToolsDeployRole"
say "tools assumes ToolsDeployRole in booking with the external id:"
as_role "$DEPLOY_B" pipeline "$EXTERNAL_ID"
printf '   allowed: '; aws sts get-caller-identity --query Arn --output text
say "the role session may deploy with CloudFormation, but an explicit deny wins over everything:"
refused aws iam create-user --user-name backdoor
as_none
say "the same role with a wrong external id:"
refused as_role "$DEPLOY_B" pipeline wrong-id
say "the airmiles account is not trusted by booking's deploy role:"
refused as_role "$DEPLOY_B" sneaky "$EXTERNAL_ID" airmiles

# Stream stack events while a deploy runs, as a person watching the console would.
watch_stack() {
  seen="$work/seen-$1"; : > "$seen"; last=""
  while :; do
    [ -f "$work/stop-$1" ] && last=1   # the deploy is over: one more look, then stop
    aws cloudformation describe-stack-events --stack-name "$1" \
      --query 'reverse(StackEvents)[].[EventId,LogicalResourceId,ResourceType,ResourceStatus]' \
      --output text 2>/dev/null | while IFS="$(printf '\t')" read -r eid lid typ st; do
        grep -qx "$eid" "$seen" || { echo "$eid" >> "$seen"; printf '   %s| %-24s %-28s %s%s\n' "$d" "$lid" "$typ" "$st" "$n"; }
      done
    [ -n "$last" ] && break
    sleep 0.2
  done
}
deploy() { # deploy ACCOUNT_ID STACK TEMPLATE [PARAMS...]
  target=$1 stack=$2 tpl=$3; shift 3
  as_role "arn:aws:iam::$target:role/ToolsDeployRole" pipeline "$EXTERNAL_ID"
  rm -f "$work/stop-$stack"; watch_stack "$stack" & wpid=$!
  run aws cloudformation deploy --stack-name "$stack" --template-file "$tpl" \
    --role-arn "arn:aws:iam::$target:role/CloudFormationExecutionRole" "$@"
  touch "$work/stop-$stack"; wait $wpid
}

step "6. The tools pipeline deploys the Booking topic into booking, as booking's execution role"
deploy "$BOOKING" booking-events "$here/seed000/booking-topic.yaml" --parameter-overrides AirmilesAccountId="$AIRMILES"
TOPIC=$(aws cloudformation describe-stacks --stack-name booking-events \
  --query "Stacks[0].Outputs[?OutputKey=='TopicArn'].OutputValue" --output text)
as_none
say "topic: $TOPIC"

step "7. ... and the Airmiles queue into airmiles, subscribed to the topic in the other account"
deploy "$AIRMILES" airmiles-intake "$here/seed000/airmiles-queue.yaml" --parameter-overrides BookingTopicArn="$TOPIC"
QUEUE=$(aws cloudformation describe-stacks --stack-name airmiles-intake \
  --query "Stacks[0].Outputs[?OutputKey=='QueueUrl'].OutputValue" --output text)
as_none
say "queue: $QUEUE"

step "8. Bookings flow from the booking account to the airmiles account"
AWS_PROFILE=booking run $PY "$here/seed000/booking.py" "$TOPIC" 3
AWS_PROFILE=airmiles run $PY "$here/seed000/airmiles.py" "$QUEUE" 3 10

step "9. Without the queue policy, the topic may not deliver: nothing arrives"
aws --profile airmiles sqs get-queue-attributes --queue-url "$QUEUE" --attribute-names Policy \
  --query Attributes.Policy --output text > "$work/policy.json"
run aws --profile airmiles sqs set-queue-attributes --queue-url "$QUEUE" --attributes Policy=
AWS_PROFILE=booking $PY "$here/seed000/booking.py" "$TOPIC" 1
if AWS_PROFILE=airmiles $PY "$here/seed000/airmiles.py" "$QUEUE" 1 3; then
  say "UNEXPECTED: delivered without a queue policy"; exit 1
fi
say "as in AWS, a refused delivery is a client-side error: SNS does not retry it (a subscription"
say "dead-letter queue would keep it); ferry's log records the refusal:"
grep -m1 -i 'refused\|denied' "$work/ferry.log" | cut -c1-200 | sed 's/^/   /' || true
say "restoring the queue policy; new bookings flow again:"
$PY -c 'import json,sys; print(json.dumps({"Policy": open(sys.argv[1]).read().strip()}))' "$work/policy.json" > "$work/attrs.json"
run aws --profile airmiles sqs set-queue-attributes --queue-url "$QUEUE" --attributes "file://$work/attrs.json"
AWS_PROFILE=booking $PY "$here/seed000/booking.py" "$TOPIC" 2
AWS_PROFILE=airmiles run $PY "$here/seed000/airmiles.py" "$QUEUE" 2 10

step "10. The audit trail has every call, allowed or refused, in both accounts of a cross-account call"
trail() { # trail PROFILE EVENT: when, caller, what, outcome
  aws --profile "$1" cloudtrail lookup-events --lookup-attributes "AttributeKey=EventName,AttributeValue=$2" \
    --query 'Events[].CloudTrailEvent' --output json | $PY -c '
import json, sys
for e in map(json.loads, json.load(sys.stdin)):
    print("   %s  %-58s %-11s %s" % (e["eventTime"][11:19], e["userIdentity"]["arn"][:58], e["eventName"],
          e.get("errorCode", "allowed")))'
}
say "booking's trail: who tried to assume its roles"
trail booking AssumeRole
say "booking's trail: what the deploy role session tried"
trail booking CreateUser

step "11. The tools account's artifact bucket, encrypted with its own KMS key, shared with booking"
ARTIFACTS="seed000-artifacts-$TOOLS"
KEY=$(aws --profile tools kms create-key --description "pipeline artifacts" --query KeyMetadata.Arn --output text)
run aws --profile tools kms create-alias --alias-name alias/seed000-artifacts --target-key-id "$KEY"
run aws --profile tools s3 mb "s3://$ARTIFACTS"
$PY -c 'import json,sys; print(json.dumps({"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": sys.argv[1]}}]}))' "$KEY" > "$work/enc.json"
run aws --profile tools s3api put-bucket-encryption --bucket "$ARTIFACTS" --server-side-encryption-configuration "file://$work/enc.json"
printf 'booking service build 42\n' > "$work/app.zip"
run aws --profile tools s3 cp --no-progress "$work/app.zip" "s3://$ARTIFACTS/booking/app.zip"
aws --profile tools s3api head-object --bucket "$ARTIFACTS" --key booking/app.zip \
  --query '[ServerSideEncryption,SSEKMSKeyId]' --output text | sed 's/^/   at rest: /'
say "booking's ArtifactReader role may read S3 objects and decrypt with KMS (its own policy):"
aws --profile booking iam create-role --role-name ArtifactReader --assume-role-policy-document \
  "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::$BOOKING:root\"},\"Action\":\"sts:AssumeRole\"}]}" >/dev/null
aws --profile booking iam put-role-policy --role-name ArtifactReader --policy-name read --policy-document \
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket","kms:Decrypt"],"Resource":"*"}]}'
read_artifact() { as_role "arn:aws:iam::$BOOKING:role/ArtifactReader" reader "" booking &&
  aws s3 cp "s3://$ARTIFACTS/booking/app.zip" - ; }
say "without a bucket policy, the other account's role is refused:"
refused read_artifact; as_none
cat > "$work/bucket-policy.json" <<POLICY
{"Version":"2012-10-17","Statement":[{"Sid":"BookingReads","Effect":"Allow",
 "Principal":{"AWS":"arn:aws:iam::$BOOKING:role/ArtifactReader"},
 "Action":["s3:GetObject","s3:ListBucket"],
 "Resource":["arn:aws:s3:::$ARTIFACTS","arn:aws:s3:::$ARTIFACTS/*"]}]}
POLICY
run aws --profile tools s3api put-bucket-policy --bucket "$ARTIFACTS" --policy "file://$work/bucket-policy.json"
say "the bucket policy allows it, but the key policy does not: the read is still refused:"
refused read_artifact; as_none
aws --profile tools kms get-key-policy --key-id "$KEY" --policy-name default --query Policy --output text > "$work/key-policy.json"
$PY - "$work/key-policy.json" "$BOOKING" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["Statement"].append({"Sid": "BookingDecrypts", "Effect": "Allow",
                       "Principal": {"AWS": "arn:aws:iam::%s:role/ArtifactReader" % sys.argv[2]},
                       "Action": "kms:Decrypt", "Resource": "*"})
json.dump(p, open(sys.argv[1] + ".new", "w"))
PY
run aws --profile tools kms put-key-policy --key-id "$KEY" --policy-name default --policy "file://$work/key-policy.json.new"
say "with both the bucket policy and the key policy, booking reads the artifact:"
printf '   read: '; read_artifact; as_none
run aws --profile tools kms put-key-policy --key-id "$KEY" --policy-name default --policy "file://$work/key-policy.json"
say "kms:Decrypt taken out of the key policy again: refused again"
refused read_artifact; as_none
say "the tools account's trail records booking's reads of its bucket:"
trail tools GetObject | head -4

step "12. Airmiles becomes a function: booking's topic invokes it across accounts, its logs in CloudWatch"
say "the airmiles administrator deploys a Python function, its role, the permission for the topic"
say "and the subscription (ferry runs it as a local process behind the Lambda Runtime API):"
run aws --profile airmiles cloudformation deploy --stack-name airmiles-function \
  --template-file "$here/seed000/airmiles-function.yaml" --capabilities CAPABILITY_IAM \
  --parameter-overrides BookingTopicArn="$TOPIC"
AWS_PROFILE=booking run $PY "$here/seed000/booking.py" "$TOPIC" 2
say "the function's log group in the airmiles account (/aws/lambda/airmiles-credit):"
i=0
while :; do
  aws --profile airmiles logs filter-log-events --log-group-name /aws/lambda/airmiles-credit \
    --filter-pattern '"earns"' --query 'events[].message' --output text 2>/dev/null | tr '\t' '\n' > "$work/earned" || true
  [ "$(grep -c earns "$work/earned")" -ge 2 ] && break
  i=$((i+1)); [ $i -gt 120 ] && { say "UNEXPECTED: the function logged nothing"; cat "$work/ferry.log" | tail -20; exit 1; }
  sleep 0.25
done
sed 's/^/   /' "$work/earned"
aws --profile airmiles logs filter-log-events --log-group-name /aws/lambda/airmiles-credit \
  --filter-pattern '"REPORT RequestId"' --query 'events[0].message' --output text | sed 's/^/   /'
say "and the same function, invoked directly by its owner:"
printf '{"Records":[{"Sns":{"Message":"{\\"bookingId\\":\\"direct01\\",\\"customer\\":\\"ana\\",\\"from\\":\\"LHR\\",\\"to\\":\\"JFK\\",\\"distanceKm\\":5540}"}}]}' > "$work/event.json"
run aws --profile airmiles lambda invoke --function-name airmiles-credit --payload "fileb://$work/event.json" "$work/out.json" --query StatusCode
say "result: $(cat "$work/out.json")"

step "13. Booking and Airmiles as SAM applications: HTTP in, DynamoDB tables, across accounts by SNS"
say "each team packages its SAM template (code into its own bucket) and deploys it; ferry's"
say "CloudFormation expands the transform into API Gateway, Lambda, IAM and DynamoDB resources:"
out() { aws --profile "$1" cloudformation describe-stacks --stack-name "$2" \
  --query "Stacks[0].Outputs[?OutputKey=='$3'].OutputValue" --output text; }
sam_deploy() { # PROFILE STACK TEMPLATE [PARAM=VALUE]
  aws --profile "$1" s3 mb "s3://$2-code-$(acct "$1")" >/dev/null
  # Debian's aws 2.9 makes package's S3 client without --endpoint-url; ferry's
  # sitecustomize points it at AWS_ENDPOINT_URL (newer CLIs read that variable themselves)
  export AWS_ENDPOINT_URL="$EP" PYTHONPATH="$here/../src/engine/runtimes"
  run aws --profile "$1" cloudformation package --template-file "$here/seed000/sam/$3" \
    --s3-bucket "$2-code-$(acct "$1")" --output-template-file "$work/$3" >/dev/null \
    2>"$work/package.err" || { cat "$work/package.err"; exit 1; }
  unset AWS_ENDPOINT_URL PYTHONPATH
  p=$1; s=$2; t=$3; shift 3
  run aws --profile "$p" cloudformation deploy --stack-name "$s" --template-file "$work/$t" \
    --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --parameter-overrides "$@"
}
sam_deploy booking booking-service booking.yaml AirmilesAccount="$AIRMILES"
say "what the booking template became (GetTemplate --template-stage Processed has the rest):"
aws --profile booking cloudformation list-stack-resources --stack-name booking-service \
  --query 'StackResourceSummaries[].[LogicalResourceId,ResourceType,ResourceStatus]' --output text |
  awk '{ printf "   | %-40s %-32s %s\n", $1, $2, $3 }'
BTOPIC=$(out booking booking-service BookingTopicArn)
sam_deploy airmiles airmiles-service airmiles.yaml BookingTopicArn="$BTOPIC"
PORT=${EP##*:}
api() { echo "http://$(out "$1" "$2" "$3").execute-api.localhost:$PORT/Prod"; } # PROFILE STACK OUTPUT
BOOKING_JSON='{"first_name":"Ana","last_name":"Silva","from_airport":"SYD","to_airport":"MEL","departure_date":"2027-01-01","return_date":"2027-01-05","age_group":"adult","booking_class":"business"}'
book_and_miles() { # BOOKING_API AIRMILES_API: a booking over HTTP, then its miles; sets NUM
  say "a customer books over HTTP (API Gateway in the booking account; curl resolves *.localhost):"
  printf "%s   \$ curl -X POST %s/bookings -d '%s'%s\n" "$d" "$1" "$BOOKING_JSON" "$n"
  curl -sS -X POST "$1/bookings" -H 'Content-Type: application/json' -d "$BOOKING_JSON" > "$work/booking.json"
  printf '   '; cat "$work/booking.json"; echo
  NUM=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["booking_number"])' "$work/booking.json")
  say "the booking crosses into the airmiles account through the topic; airmiles answers over HTTP:"
  i=0
  while [ "$(curl -s -o "$work/miles.json" -w '%{http_code}' "$2/airmiles/$NUM")" != 200 ]; do
    i=$((i+1)); [ $i -gt 240 ] && { say "UNEXPECTED: no airmiles for $NUM"; tail -20 "$work/ferry.log"; exit 1; }
    sleep 0.25
  done
  printf '%s   $ curl %s%s\n' "$d" "$2/airmiles/$NUM" "$n"
  printf '   '; cat "$work/miles.json"; echo
}
BAPI=$(api booking booking-service BookingApiId); AAPI=$(api airmiles airmiles-service AirmilesApiId)
book_and_miles "$BAPI" "$AAPI"
say "an unknown booking is a 404 from the function, and a route the API lacks is API Gateway's 403:"
printf '   '; curl -sS -w '  (HTTP %{http_code})' "$AAPI/airmiles/nosuchbooking"; echo
printf '   '; curl -sS -w '  (HTTP %{http_code})' "$AAPI/flights"; echo

step "14. The tools account's pipeline delivers Booking and Airmiles: git push → build → change sets in each account"
P="$here/seed000/pipeline"
say "each service account's administrator lets the pipeline in: a role it assumes (trusting tools)"
say "and the role CloudFormation acts as there (examples/seed000/pipeline/account-roles.yaml):"
for svc in booking airmiles; do
  run aws --profile $svc cloudformation deploy --stack-name seed000-pipeline-roles --template-file "$P/account-roles.yaml" \
    --capabilities CAPABILITY_NAMED_IAM --parameter-overrides ToolsAccountId="$TOOLS" ArtifactBucket="seed000-pipeline-$TOOLS"
done
say "the tools account deploys the repository, the build, the pipeline and its KMS-encrypted artifact"
say "bucket, whose key policy lets those roles decrypt (tools.yaml; Challenge 1 of the seed):"
run aws --profile tools cloudformation deploy --stack-name seed000-pipeline --template-file "$P/tools.yaml" \
  --capabilities CAPABILITY_IAM --parameter-overrides BookingAccount="$BOOKING" AirmilesAccount="$AIRMILES"
PIPE=$(out tools seed000-pipeline Pipeline)
aws --profile tools codepipeline get-pipeline --name "$PIPE" --query 'pipeline.stages[].actions[].[name,actionTypeId.provider,configuration.ActionMode,roleArn]' \
  --output text | awk -v s="$(printf '\t')" 'BEGIN { FS = s } { printf "   | %-16s %-15s %-19s %s\n", $1, $2, ($3 == "None" ? "" : $3), ($4 == "None" ? "" : $4) }'
say "the teams push the two SAM applications and the buildspec, with the CLI's credential helper:"
g() { HOME="$work/home" GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0 AWS_PROFILE=tools git "$@"; }
mkdir -p "$work/home"
g config --global credential.helper "!f() { [ \"\$1\" = get ] && $AWS codecommit credential-helper --ignore-host-check get; }; f"
g config --global credential.UseHttpPath true
g config --global user.name "Booking Team"; g config --global user.email booking@example.com
g clone -q "$(out tools seed000-pipeline CloneUrl)" "$work/services" 2>/dev/null
cp -r "$here/seed000/sam/booking.yaml" "$here/seed000/sam/airmiles.yaml" "$here/seed000/sam/booking" \
  "$here/seed000/sam/airmiles" "$P/buildspec.yml" "$work/services/"
find "$work/services" -name __pycache__ -prune -exec rm -rf {} +
(cd "$work/services" && g add . && g commit -qm "Booking and Airmiles")
runs() { aws --profile tools codepipeline list-pipeline-executions --pipeline-name "$PIPE" \
  --query 'length(pipelineExecutionSummaries)'; }
before=$(runs)
printf '%s   $ git push origin main%s\n' "$d" "$n"
(cd "$work/services" && g push -q origin HEAD:main)
i=0; while [ "$(runs)" = "$before" ]; do
  i=$((i+1)); [ $i -gt 100 ] && { say "UNEXPECTED: the push started nothing"; exit 1; }; sleep 0.1
done
XID=$(aws --profile tools codepipeline list-pipeline-executions --pipeline-name "$PIPE" \
  --query 'pipelineExecutionSummaries[0].pipelineExecutionId' --output text)
say "the push started the pipeline (EventBridge); ferry pipeline watch follows it action by action:"
printf '%s   $ ferry pipeline watch %s --execution %s%s\n' "$d" "$PIPE" "$XID" "$n"
{ AWS_ACCESS_KEY_ID=$("$AWS" configure get aws_access_key_id --profile tools) \
  AWS_SECRET_ACCESS_KEY=$("$AWS" configure get aws_secret_access_key --profile tools) AWS_REGION=us-east-1 \
  "$FERRY" pipeline watch "$PIPE" --execution "$XID" --endpoint-url "$EP" --interval 0.2
  echo $? > "$work/watch.rc"; } | sed 's/^/   /'
[ "$(cat "$work/watch.rc")" = 0 ] || { say "UNEXPECTED: the pipeline failed"; tail -20 "$work/ferry.log"; exit 1; }
say "each stack is in its own account, created by a change set as that account's deployer role:"
for svc in booking airmiles; do
  aws --profile $svc cloudformation describe-stacks --stack-name $svc-lambda \
    --query 'Stacks[0].[StackName,StackStatus,RoleARN]' --output text | awk '{ printf "   | %-16s %-16s %s\n", $1, $2, $3 }'
done
book_and_miles "$(api booking booking-lambda BookingApiId)" "$(api airmiles airmiles-lambda AirmilesApiId)"

if [ -t 0 ] && [ -t 1 ]; then
  step "Look around in the web console while ferry still runs"
  console_info
  printf '   press Enter to stop ferry '; read -r _ || true
fi
step "Done. ferry stops and the temporary data directory is removed."
