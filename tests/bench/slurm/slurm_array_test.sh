# The Slurm job array of examples/slurm/bench-array.sbatch, for real: starts a private
# single-node Slurm (cluster.sh: slurmctld, slurmd and munged on loopback, all in a temp folder),
# checks it with a 3-task stand-in array, then submits a 3-task array of the smoke study, waits
# for it, merges the shards with `wattserve bench merge`, and checks that
#  - every task COMPLETED with exit code 0 and wrote a non-empty shard;
#  - the shards do not overlap, and their union and the merged dataset hold exactly the run ids
#    of `wattserve bench examples/studies/smoke.toml --dry-run --json` (warm-ups included);
#  - every merged record parses, names its own run id and study, and finished ok.
# Needs root, Debian's slurm-wlm and munge (scripts/setup.sh) and the zoo; fails without them.
# Builds without one of the smoke study's engines run the study on the engines they have.
source "$(dirname "$0")/../../cli/lib.sh"
source "$(dirname "$0")/cluster.sh"
trap 'slurm_down; rm -rf "$TMP"' EXIT
trap 'exit 143' TERM INT HUP
IFS=, read -ra engines <<<"${3-}"
# The whole study, not a shard of one: no shard from an outer job's environment.
unset JOB_COMPLETION_INDEX WATTSERVE_SHARD_COUNT

slurm_up || fail "could not start the private Slurm"
slurm_stand_in_check || fail "the stand-in job array did not run"

ZOO=${WATTSERVE_ZOO:-$SRC/zoo}
[[ -f $ZOO/manifest.json ]] || fail "no model zoo at $ZOO: run scripts/build_zoo.sh"

STUDY=examples/studies/smoke.toml  # relative to $SRC, the jobs' working folder, as in the README
SETS=()
have=()
for e in llama onnx; do [[ " ${engines[*]} " == *" $e "* ]] && have+=("\"$e\""); done
if ((${#have[@]} == 0)); then
  echo "SKIP: this build has neither engine of the smoke study (llama, onnx)"
  exit 77
elif ((${#have[@]} == 1)); then
  SETS=(--set "factors.engine=[${have[0]}]")
fi

OUT=$TMP/dataset  # not $TMP/out: lib.sh's expect_exit writes that file
export WATTSERVE=$WS  # bench-array.sbatch runs $WATTSERVE (sbatch exports our environment)
job=$(sbatch --parsable --array=0-2 --chdir="$SRC" --output="$TMP/slurm-%A_%a.out" \
  "$SRC/examples/slurm/bench-array.sbatch" "$STUDY" "$OUT" "${SETS[@]}") \
  || fail "sbatch refused the array"
job=${job%%;*}
echo "submitted bench array job $job"
# The tasks run one after the other (--exclusive); ctest allows the whole test 600 s.
wait_s=${WATTSERVE_SLURM_WAIT_S:-520}
start=$SECONDS
if ! slurm_wait_job "$job" "$wait_s"; then
  cat "$TMP"/slurm-*.out >&2 2>/dev/null || true
  fail "the bench array did not finish in $wait_s s (WATTSERVE_SLURM_WAIT_S)"
fi
echo "bench array finished in $((SECONDS - start)) s"
for f in "$TMP"/slurm-*.out; do echo "----- ${f##*/}"; cat "$f"; done  # bench's progress lines
states=$(slurm_task_states "$job")
echo "$states"
for t in 0 1 2; do
  grep -qx "$t COMPLETED 0:0" <<<"$states" \
    || fail "array task $t did not complete: $(grep "^$t " <<<"$states" || echo 'no state')"
done

expect_exit 0 "$WS" bench merge "$OUT"/shard-0 "$OUT"/shard-1 "$OUT"/shard-2 --out "$OUT/merged"
(cd "$SRC" && "$WS" bench "$STUDY" --dry-run --json "${SETS[@]}") >"$TMP/dry.json" \
  || fail "bench --dry-run --json failed"

"$PY" - "$TMP/dry.json" "$OUT" <<'EOF' || fail "the merged shards are not the study's design"
import json, pathlib, sys

dry = json.load(open(sys.argv[1]))
out = pathlib.Path(sys.argv[2])
want = [r["run_id"] for r in dry]
problems = []
if len(set(want)) != len(want):
    problems.append("the dry run lists a run id twice")
want = set(want)

def ids(folder):
    return {p.stem for p in (folder / "runs").glob("*.json")}

shards = {i: ids(out / f"shard-{i}") for i in range(3)}
for i, s in shards.items():
    print(f"shard-{i}: {len(s)} runs")
    if not s:
        problems.append(f"shard-{i} is empty")
    for j in range(i + 1, 3):
        if s & shards[j]:
            problems.append(f"shards {i} and {j} share {sorted(s & shards[j])}")
union = set().union(*shards.values())
if union != want:
    problems.append(f"shards: missing {sorted(want - union)}, extra {sorted(union - want)}")

merged = ids(out / "merged")
print(f"merged: {len(merged)} runs, dry run: {len(want)} runs")
if merged != want:
    problems.append(f"merged: missing {sorted(want - merged)}, extra {sorted(merged - want)}")
studies = set()
for p in sorted((out / "merged" / "runs").glob("*.json")):
    try:
        r = json.loads(p.read_text())
    except ValueError as e:
        problems.append(f"{p.name} does not parse: {e}")
        continue
    if r.get("run_id") != p.stem:
        problems.append(f"{p.name} names run {r.get('run_id')}")
    if r.get("status") != "ok":
        problems.append(f"{p.name}: status {r.get('status')}: {r.get('error')}")
    studies.add(json.dumps(r.get("study"), sort_keys=True))
if len(studies) != 1:
    problems.append(f"the merged records name {len(studies)} studies: {sorted(studies)}")
for p in problems:
    print("FAIL:", p, file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
echo "slurm array: ok (3 tasks, merged = the study's dry run)"
