#!/usr/bin/env bash
# DR drill: fail one PoP over to another, check, fail back, check.
#
#   runbooks/dr-drill.sh POLICY FROM_REGION TO_REGION
#   runbooks/dr-drill.sh routing.yaml eu-west-1 eu-central-1
#
# Every step says what it checks. The drill refuses to start unless live Route 53 matches
# the policy and no failover is active, and it stops at the first surprise with a message
# that says whether traffic is still failed over. It changes production DNS for real: the
# source regions whose traffic reaches FROM_REGION are sent to TO_REGION, then back.
#
# Environment:
#   GEOPROXY  the geoproxy command (default: `geoproxy` from PATH), e.g. "python -m geoproxy"
#   PYTHON    the Python used to read geoproxy's JSON output (default: python3)
#   AWS_PROFILE, AWS_ENDPOINT_URL, GEOPROXY_AUDIT_LOG, ... are passed on to geoproxy as usual.
#
# Exit codes: 0 the drill passed and the setup is back as it was; 1 a check failed (the
# message says where traffic stands); 2 usage error.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: dr-drill.sh POLICY FROM_REGION TO_REGION

Fails the PoP in FROM_REGION over to the PoP in TO_REGION with `geoproxy failover`, checks
`geoproxy status` and `geoproxy plan`, fails back with `geoproxy failback`, and checks again.
Example: dr-drill.sh routing.yaml eu-west-1 eu-central-1
EOF
}

if [[ $# -ne 3 ]]; then
    usage >&2
    exit 2
fi
POLICY=$1
FROM=$2
TO=$3
if [[ ! -f $POLICY ]]; then
    echo "dr-drill: policy file not found: $POLICY" >&2
    exit 2
fi
if [[ $FROM == "$TO" ]]; then
    echo "dr-drill: FROM_REGION and TO_REGION are both $FROM" >&2
    exit 2
fi

read -r -a GEOPROXY_CMD <<<"${GEOPROXY:-geoproxy}"
PYTHON=${PYTHON:-python3}
if [[ ${#GEOPROXY_CMD[@]} -eq 0 ]] || ! command -v "${GEOPROXY_CMD[0]}" >/dev/null 2>&1; then
    echo "dr-drill: cannot run geoproxy (${GEOPROXY:-geoproxy}): install it or set GEOPROXY" >&2
    exit 2
fi
if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "dr-drill: $PYTHON not found; set PYTHON to a Python 3 interpreter" >&2
    exit 2
fi

# Where traffic stands, for the failure message:
#   before | failover-failed | failed-over | failed-back
PHASE=before
TOTAL=7

geoproxy() {
    "${GEOPROXY_CMD[@]}" "$@"
}

step() {
    printf '\n==> Step %s/%s: %s\n' "$1" "$TOTAL" "$2"
}

fail() {
    {
        printf '\nDR DRILL FAILED: %s\n' "$1"
        case $PHASE in
            before)
                echo "The drill wrote nothing: traffic is where it was before the drill." ;;
            failover-failed)
                echo "geoproxy's message above says whether it wrote anything (a refusal writes"
                echo "nothing). If \`status\` lists a failover $FROM -> $TO, fail back."
                echo "See where traffic goes: ${GEOPROXY_CMD[*]} status -f $POLICY"
                echo "Fail back if needed:    ${GEOPROXY_CMD[*]} failback $FROM -f $POLICY" ;;
            failed-over)
                echo "Traffic that reached $FROM is STILL failed over to $TO."
                echo "See where traffic goes: ${GEOPROXY_CMD[*]} status -f $POLICY"
                echo "Fail back when ready:   ${GEOPROXY_CMD[*]} failback $FROM -f $POLICY" ;;
            failed-back)
                echo "The failback of $FROM was applied, but the result is not as expected."
                echo "See where traffic goes: ${GEOPROXY_CMD[*]} status -f $POLICY" ;;
        esac
    } >&2
    exit 1
}

# Checks geoproxy's JSON (on stdin). Prints one "ok:" line per passed check, or every problem
# found; exits 1 if there was any. Modes: pre, during, after (status documents), failover,
# failback (the commands' own documents).
read -r -d '' CHECK <<'PY' || true
import json
import sys

mode, src, dst = sys.argv[1:4]
try:
    doc = json.load(sys.stdin)
except ValueError as error:
    print(f"    geoproxy did not print JSON: {error}")
    sys.exit(1)
problems = []


def ok(message):
    print(f"    ok: {message}")


if mode in ("failover", "failback"):
    if doc.get("dry_run") is not False:
        problems.append(f"{mode} reports dry_run={doc.get('dry_run')!r}")
    if doc.get("applied") is not True:
        problems.append(f"{mode} wrote nothing (applied={doc.get('applied')!r}); "
                        "it found nothing to do")
    if mode == "failover":
        wrong = {app: pop for app, pop in (doc.get("to") or {}).items() if pop != dst}
        if wrong or not doc.get("to"):
            problems.append(f"failover targets {doc.get('to')!r}, expected {dst} for every app")
    for batch in doc.get("batches", []):
        if batch.get("status") != "INSYNC":
            problems.append(f"change {batch.get('change_id')} is {batch.get('status')}, "
                            "not INSYNC")
    if not problems:
        batches = doc.get("batches", [])
        ok(f"{mode} applied: " + ", ".join(
            f"change {b['change_id']} in zone {b['zone_id']} ({b['changes']} change(s), "
            f"{b['status']})" for b in batches)
           + f", INSYNC after {doc.get('seconds_to_insync')}s")
else:
    apps = doc.get("applications", [])
    regions = [(app["name"], region) for app in apps for region in app["regions"]]
    moving = [(name, r) for name, r in regions if r["policy_pop"] == src]
    for warning in doc.get("warnings", []):
        print(f"    geoproxy warns: {warning}")
    for app in apps:
        for extra in app.get("extra_records", []):
            problems.append(f"{app['name']}: a record of geoproxy's that the policy does not "
                            f"want: {extra}")
    active = [(app["name"], f) for app in apps for f in app["failovers"]]
    if mode in ("pre", "after"):
        for name, f in active:
            problems.append(f"{name}: failover {f['from']} -> {f['to']} is active (since "
                            f"{f['at']} by {f['by']}; reason: {f['reason']})")
    else:  # during: exactly one failover, src -> dst, in every app that has routes to src
        apps_moving = sorted({name for name, _ in moving})
        for name, f in active:
            if (f["from"], f["to"]) != (src, dst) or name not in apps_moving:
                problems.append(f"{name}: unexpected failover {f['from']} -> {f['to']}")
        for name in apps_moving:
            if not any(n == name and (f["from"], f["to"]) == (src, dst) for n, f in active):
                problems.append(f"{name}: no failover {src} -> {dst} is listed")
    for name, r in regions:
        where = f"{name} {r['type']} {r['source_region']}"
        seen = (f"state {r['state']}, live {r['live_pop']}, effective {r['effective_pop']}, "
                f"policy {r['policy_pop']}")
        if r["state"] in ("drift", "missing", "foreign"):
            problems.append(f"{where}: {r['state']}: {r['detail']}")
        elif mode == "during" and r["policy_pop"] == src:
            if (r["state"], r["effective_pop"], r["live_pop"]) != ("failover", dst, dst):
                problems.append(f"{where}: expected state failover, live and effective {dst}; "
                                f"got {seen}")
        elif r["state"] != "ok" or r["live_pop"] != r["policy_pop"]:
            problems.append(f"{where}: expected state ok and live {r['policy_pop']}; "
                            f"got {seen}")
    if mode == "pre" and not moving:
        problems.append(f"no source region's traffic reaches {src} under the policy: "
                        "there is nothing to fail over")
    if not problems:
        ok(f"{len(regions)} record(s) checked: none in drift, missing or foreign")
        if mode == "pre":
            ok("no failover is active")
            ok(f"{len(moving)} source region record(s) reach {src}: "
               + ", ".join(sorted({r["source_region"] for _, r in moving})))
        elif mode == "during":
            ok(f"all {len(moving)} record(s) whose policy PoP is {src} are in state "
               f"failover, live and effective PoP {dst}")
            ok(f"the other {len(regions) - len(moving)} record(s) are ok, at their policy PoP")
            ok(f"the only failover listed is {src} -> {dst}")
        else:
            ok("every record is ok and live at its policy PoP")
            ok("no failover is listed")
for problem in problems:
    print(f"    PROBLEM: {problem}")
sys.exit(1 if problems else 0)
PY

# check MODE < JSON: run the checker on a JSON document.
check() {
    "$PYTHON" -c "$CHECK" "$1" "$FROM" "$TO"
}

# plan_is_clean WHY: `plan --detailed-exitcode` must exit 0.
plan_is_clean() {
    local rc=0
    geoproxy plan -f "$POLICY" --detailed-exitcode || rc=$?
    case $rc in
        0) echo "    ok: plan --detailed-exitcode exited 0: no changes pending $1" ;;
        2) fail "plan --detailed-exitcode exited 2: live Route 53 differs from the policy $1 (drift, or a policy change not yet applied). Run \`geoproxy plan -f $POLICY\` and fix that first." ;;
        *) fail "geoproxy plan failed (exit $rc); see its message above" ;;
    esac
}

# status_check MODE WHAT: `status --output json`, then the checker.
status_check() {
    local rc=0 json
    json=$(geoproxy status -f "$POLICY" --output json) || rc=$?
    if [[ $rc -ne 0 ]]; then
        fail "geoproxy status failed (exit $rc); see its message above"
    fi
    check "$1" <<<"$json" || fail "$2"
}

echo "DR drill: fail $FROM over to $TO and back, policy $POLICY, using: ${GEOPROXY_CMD[*]}"

step 1 "refuse a drifted setup: plan --detailed-exitcode must exit 0"
plan_is_clean "before the drill"

step 2 "status before: every record ok, no failover active, some traffic reaches $FROM"
status_check pre "the setup is not in a state to drill (see the problems above)"

step 3 "failover --from $FROM --to $TO"
PHASE=failover-failed
rc=0
json=$(geoproxy failover -f "$POLICY" --from "$FROM" --to "$TO" --yes --reason "DR drill" \
    --output json) || rc=$?
if [[ $rc -ne 0 ]]; then
    fail "geoproxy failover failed (exit $rc); see its message above"
fi
PHASE=failed-over
check failover <<<"$json" || fail "the failover did not report what was expected"

step 4 "status while failed over: traffic for $FROM is at $TO, everything else unchanged"
status_check during "the failover did not leave traffic where expected"

step 5 "plan --detailed-exitcode must exit 0 while failed over (plan keeps failovers)"
plan_is_clean "while failed over"

step 6 "failback $FROM"
rc=0
json=$(geoproxy failback -f "$POLICY" "$FROM" --yes --output json) || rc=$?
if [[ $rc -ne 0 ]]; then
    fail "geoproxy failback failed (exit $rc); see its message above"
fi
PHASE=failed-back
check failback <<<"$json" || fail "the failback did not report what was expected"

step 7 "status after: every record ok and live at its policy PoP, no failover listed"
status_check after "the failback did not restore the policy's routes"
plan_is_clean "after the failback"

printf '\nDR DRILL PASSED: %s failed over to %s and back; live records match the policy.\n' \
    "$FROM" "$TO"
