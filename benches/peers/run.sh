#!/bin/sh
# Runs the Locust peer and `ticketsim load` one after the other against ONE
# `ticketsim emulator` (no rate limit, zero offsets) and prints both
# lifecycles/s and the ratio. Needs a release build and Locust 2.x in a venv:
#   cargo build --release --bin ticketsim
#   python3 -m venv target/locust-venv && target/locust-venv/bin/pip install 'locust>=2,<3'
# ticketsim gets --rate 5000/s (TS_RATE changes it), far above what the engine
# does on a 2-core machine, so the engine is the limit.
# Usage: benches/peers/run.sh [SECONDS_FOR_LOCUST] [LIFECYCLES_FOR_TICKETSIM]
set -eu
cd "$(dirname "$0")/../.."
SECS=${1:-30}
N=${2:-10000}
BIN=${TICKETSIM_BIN:-${CARGO_TARGET_DIR:-target}/release/ticketsim}
LOCUST=${LOCUST:-${CARGO_TARGET_DIR:-target}/locust-venv/bin/locust}
PORT=${PORT:-18790}
KEY=peers-key
WORK=$(mktemp -d)
"$BIN" emulator --port "$PORT" --api-key "$KEY" --agents 8 --contacts 50 --rate-per-min 100000000 >"$WORK/emulator.log" 2>&1 &
EMU=$!
trap 'kill $EMU 2>/dev/null; rm -rf "$WORK"' EXIT
sleep 1
URL=http://127.0.0.1:$PORT

FRESHDESK_API_KEY=$KEY "$LOCUST" -f benches/peers/locustfile.py --headless -u 50 -r 50 -t "${SECS}s" \
  --host "$URL" --csv "$WORK/locust" --only-summary >"$WORK/locust.log" 2>&1 || true
LOCUST_RATE=$(python3 - "$WORK/locust_stats.csv" "$SECS" <<'PY'
import csv, sys
rows = {r["Name"]: r for r in csv.DictReader(open(sys.argv[1]))}
print(round(int(rows["close"]["Request Count"]) / float(sys.argv[2]), 2))
PY
)

# TS_EMULATOR=1: ticketsim against its own in-process emulator (`load --emulator`, as the
# issue words it) instead of the shared emulator process.
if [ "${TS_EMULATOR:-0}" = 1 ]; then WHERE=--emulator; else WHERE=; fi
FRESHDESK_URL=$URL FRESHDESK_API_KEY=$KEY TICKETSIM_RATE_PER_MIN=100000000 \
  "$BIN" load $WHERE --rate "${TS_RATE:-5000/s}" --arrivals fixed --lifecycles "$N" --offsets 0s,0s,0s,0s --db "$WORK/load.db" --json \
  >"$WORK/load.json" 2>"$WORK/load.err"
TS_RATE=$(python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print(round(j['lifecycles']['closed']/j['duration_s'],2))" "$WORK/load.json")

echo "locust (FastHttpUser, 50 users, no waits, no durability): $LOCUST_RATE lifecycles/s"
echo "ticketsim load ${WHERE:-(same emulator)} (every step committed to SQLite): $TS_RATE lifecycles/s"
python3 -c "import sys; print('ratio ticketsim/locust: %.2f' % (float(sys.argv[1])/float(sys.argv[2])))" "$TS_RATE" "$LOCUST_RATE"
