#!/bin/sh
# make demo: the seeds' multi-account architecture on one laptop, step by step.
# Runs ferry on a temporary data directory with its own AWS profiles; never touches ~/.aws.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
FERRY=${FERRY_BIN:-$here/../build/ferry}
AWS=/usr/bin/aws   # Debian's awscli

work=$(mktemp -d /tmp/ferry-demo.XXXXXX)
export AWS_CONFIG_FILE="$work/aws/config" AWS_SHARED_CREDENTIALS_FILE="$work/aws/credentials" AWS_PAGER=""
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_DEFAULT_REGION AWS_REGION 2>/dev/null || true

b=$(printf '\033[1m'); d=$(printf '\033[2m'); n=$(printf '\033[0m')
[ -t 1 ] || { b=; d=; n=; }
step() { printf '\n%s== %s%s\n' "$b" "$*" "$n"; }
say() { printf '   %s\n' "$*"; }
run() { printf '%s   $ %s%s\n' "$d" "$*" "$n"; "$@"; }

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
say "listening on $EP, data in $work/data"
run curl -s "$EP/_ferry/health"; echo

step "2. ferry init: the seed 000 organization (tools + booking + airmiles) and AWS profiles"
run "$FERRY" init --data "$work/data" --config "$here/seed000/org.yaml" \
  --aws-config "$work/aws" --endpoint-url "$EP"
say "Debian's aws 2.9 does not read endpoint_url from a profile, so the demo passes --endpoint-url."
aws() { "$AWS" --endpoint-url "$EP" "$@"; }

step "3. Each profile is its own account, in any region"
for p in tools booking airmiles; do
  for r in us-east-1 eu-west-1; do
    printf '   %-9s %-10s ' "$p" "$r"
    aws --profile "$p" --region "$r" sts get-caller-identity --query Arn --output text
  done
done

step "4. The organization as the tools (management) account sees it"
run aws --profile tools organizations describe-organization \
  --query 'Organization.[Id,MasterAccountId]' --output text
run aws --profile tools organizations list-accounts \
  --query 'Accounts[].[Name,Id,Status]' --output table
ROOT=$(aws --profile tools organizations list-roots --query 'Roots[0].Id' --output text)
OU=$(aws --profile tools organizations list-organizational-units-for-parent --parent-id "$ROOT" \
  --query "OrganizationalUnits[?Name=='Microservices'].Id" --output text)
run aws --profile tools organizations list-accounts-for-parent --parent-id "$OU" \
  --query 'Accounts[].Name' --output text

step "5. Account boundaries hold: booking cannot list the organization"
if aws --profile booking organizations list-accounts >/dev/null 2>"$work/err"; then
  say "unexpected: booking listed the organization"; exit 1
fi
say "refused: $(tr -d '\n' < "$work/err")"

step "6. A request signed with the wrong secret is refused"
good=$(sed -n '/^\[booking\]/,/^$/s/aws_secret_access_key = //p' "$AWS_SHARED_CREDENTIALS_FILE")
bad=$(printf '%s' "$good" | sed 's/^./X/')
if AWS_ACCESS_KEY_ID=$(sed -n '/^\[booking\]/,/^$/s/aws_access_key_id = //p' "$AWS_SHARED_CREDENTIALS_FILE") \
   AWS_SECRET_ACCESS_KEY=$bad "$AWS" --endpoint-url "$EP" --region us-east-1 \
   sts get-caller-identity >/dev/null 2>"$work/err"; then
  say "unexpected: a bad signature was accepted"; exit 1
fi
say "refused: $(tr -d '\n' < "$work/err")"

step "7. Every call, allowed or refused, is in the booking account's audit trail"
run aws --profile booking --region us-east-1 cloudtrail lookup-events --max-results 5 \
  --query 'Events[].[EventTime,EventName,EventSource,Username]' --output table
aws --profile booking --region us-east-1 cloudtrail lookup-events \
  --query 'Events[].CloudTrailEvent' --output json > "$work/events.json"
say "refused calls recorded: $(grep -o 'errorCode[^,]*' "$work/events.json" | sort | uniq -c | tr -s ' ' | tr '\n' ';')"

step "Done. ferry stops and the temporary data directory is removed."
