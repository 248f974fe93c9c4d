#!/usr/bin/env bash
# Headless soak (docs/testing.md, "Soak"): runs `polity run SCENARIO --ticks TICKS` and samples
# the process's resident memory (VmRSS, /proc/PID/status) every SOAK_EVERY seconds (0.2) together with the tick
# the run has reached (the last row flushed to the staged metrics.csv). Prints the peak resident
# set up to each tenth of the ticks and the verdict of issue 17: the peak after the first tenth
# is at most 1.2 times the peak up to it.
#
#   scripts/soak.sh [POLITY] [SCENARIO] [TICKS] [OUT]
#   scripts/soak.sh target/release/polity commons 10000000 /tmp/soak-run
set -euo pipefail
polity=${1:-target/release/polity}
scenario=${2:-commons}
ticks=${3:-10000000}
out=${4:-/tmp/polity-soak/run}
mkdir -p "$(dirname "$out")"
name=$(basename "$out")
samples=$(mktemp)
start=$(date +%s.%N)
"$polity" run "$scenario" --ticks "$ticks" --out "$out" >"$samples.stdout" 2>&1 &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    stage="$(dirname "$out")/.$name.partial-$pid/metrics.csv"
    tick=$(tail -c 400 "$stage" 2>/dev/null | tail -n 1 | cut -d, -f1 || true)
    case "$tick" in '' | *[!0-9]*) tick=0 ;; esac
    [ -n "$rss" ] && echo "$(date +%s.%N) $tick $rss" >>"$samples"
    sleep "${SOAK_EVERY:-0.2}"
done
wait "$pid" && status=0 || status=$?
end=$(date +%s.%N)
cat "$samples.stdout"
echo "exit status $status, $(echo "$end - $start" | bc) s wall"
awk -v ticks="$ticks" '
    { t = $2; r = $3; d = int(10 * t / ticks); if (d > 9) d = 9
      for (i = d; i <= 9; i++) if (r > peak[i]) peak[i] = r
      if (t <= ticks / 10) { if (r > early) early = r } else if (r > late) late = r
      n++ }
    END {
      for (i = 1; i <= 10; i++) printf "peak RSS up to %3d%% of the ticks: %7.1f MB\n", 10 * i, peak[i - 1] / 1024
      printf "samples %d; peak up to 10%%: %.1f MB; peak after: %.1f MB; ratio %.3f (limit 1.2)\n", n, early / 1024, late / 1024, (early > 0 ? late / early : 0)
      exit (early > 0 && late <= 1.2 * early) ? 0 : 1
    }' "$samples"
rm -f "$samples" "$samples.stdout"
