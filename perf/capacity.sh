#!/usr/bin/env bash
# The capacity model of docs/CAPACITY.md: sizes and monthly cost of the production layout for N voters at a slot close.
# usage: perf/capacity.sh [report.json] [--scenario NAME] [--set key=json ...]
#   report.json  a `./aimoviez bench` report: CPU per vote per process comes from its scenario (a cpuPerVote map of
#                µs per vote by process name if it has one, else each process's average CPU over acceptedPerSecond);
#                without one, or for a role the report lacks, the figures of perf/capacity/defaults.json are used.
#   --set        replace one assumption of defaults.json, e.g. --set voters=2000000 --set peakFactor=2
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
report="" scenario="" sets=()
while [ $# -gt 0 ]; do
  case $1 in
    --scenario) scenario=$2; shift 2 ;;
    --set) sets+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,9p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) report=$1; shift ;;
  esac
done
command -v jq >/dev/null || { echo "capacity.sh needs jq" >&2; exit 1; }

params=$(cat "$HERE/capacity/defaults.json")
for s in "${sets[@]}"; do
  params=$(jq --arg k "${s%%=*}" --argjson v "${s#*=}" '.[$k] = $v' <<<"$params")
done

# Measured CPU per vote by role, in µs, from the report (or {} when there is none).
measured='{}' source="perf/capacity/defaults.json (no report given)"
if [ -n "$report" ]; then
  measured=$(jq --arg scenario "$scenario" '
    def role: if startswith("edge") then "edge" elif startswith("nats") then "nats" elif startswith("redis") then "redis"
      elif . == "pg-catalog" then "catalog" elif startswith("pg-") then "shard" elif startswith("aggregator") then "aggregator"
      elif startswith("core") then "core" else null end;
    # Per process: cpuPerVote.processes[].microsecondsPerVote, or a flat cpuPerVote map of µs by process name, or
    # else the sampler'"'"'s average CPU over the accepted rate.
    def perprocess:
      if (.cpuPerVote.processes? | type) == "array" then .cpuPerVote.processes | map({name, us: .microsecondsPerVote})
      elif (.cpuPerVote | type) == "object" then .cpuPerVote | to_entries | map(select(.value | type == "number") | {name: .key, us: .value})
      elif (.metrics.acceptedPerSecond // 0) > 0 then
        .metrics.acceptedPerSecond as $rate | (.processes // []) | map({name, us: (.averageCpuPercent / 100 * 1000000 / $rate)})
      else [] end;
    [.scenarios[] | select(($scenario == "" or .name == $scenario) and (.error == null))
      | perprocess | map(select(.name | role != null)) | select(length > 0)][0]
    | if . == null then {} else group_by(.name | role) | map({key: (.[0].name | role), value: (map(.us) | add)}) | from_entries end
    ' "$report")
  if [ "$measured" = "{}" ]; then
    echo "capacity.sh: $report has no scenario with per-process CPU and an accepted rate: using perf/capacity/defaults.json" >&2
    source="perf/capacity/defaults.json ($report had no per-process CPU)"
  else
    source="$report"
    missing=$(jq -r --argjson m "$measured" '.cpuPerVoteUs | keys - ($m | keys) | join(", ")' <<<"$params")
    [ -z "$missing" ] || echo "capacity.sh: $report does not measure $missing: using perf/capacity/defaults.json for them" >&2
  fi
fi

jq -r -n --argjson p "$params" --argjson m "$measured" --argjson price "$(cat "$HERE/capacity/prices.json")" --arg source "$source" '
  def r0: round;
  def r1: . * 10 | round / 10;
  def money: (. | round | tostring) as $s | "$" + $s;
  def pick(sizes): . as $need | [sizes[] | select(.[1] >= $need)][0] // sizes[-1];
  ($p.cpuPerVoteUs + $m) as $us
  | ($p.voters / $p.windowSeconds * $p.peakFactor) as $peak
  | $price.hoursPerMonth as $h
  | [["c7i.large", 2], ["c7i.xlarge", 4], ["c7i.2xlarge", 8], ["c7i.4xlarge", 16]] as $ec2
  | [["db.r7g.large", 2], ["db.r7g.xlarge", 4], ["db.r7g.2xlarge", 8], ["db.r7g.4xlarge", 16]] as $rds
  | [["cache.r7g.large", 13.07], ["cache.r7g.xlarge", 26.32], ["cache.r7g.2xlarge", 52.82]] as $cache
  | ($p.regionShares | to_entries | map(
      .key as $name | ($peak * .value) as $rate
      | ($rate * $us.edge / 1e6) as $edgeCores
      | ((($edgeCores / $p.targetUtilization) / $p.edgeTaskVcpu | ceil) + $p.edgeSpareTasks) as $tasks
      | ($rate * $us.nats * $p.natsReplicationFactor / 1e6 / 3) as $natsNodeCores
      | (($natsNodeCores / $p.targetUtilization) | pick($ec2)) as $natsType
      | ([3, ($rate * $us.redis / 1e6 / $p.targetUtilization | ceil)] | max) as $primaries
      | ($p.votesPerDay * .value * $p.receiptHours / 24 * $p.redisBytesPerVote * 2 / 1e9) as $redisGb
      | (($redisGb / $primaries) | pick($cache)) as $cacheType
      | ([50, ($p.votesPerDay * .value * $p.streamRetentionDays * $p.streamBytesPerVote * 2 / 1e9 | ceil)] | max) as $diskGb
      | {name: $name, rate: $rate, edgeCores: $edgeCores, tasks: $tasks, natsNodeCores: $natsNodeCores, natsType: $natsType[0],
         primaries: $primaries, redisCoresPerPrimary: ($rate * $us.redis / 1e6 / $primaries), redisGb: $redisGb,
         cacheType: $cacheType[0], diskGb: $diskGb,
         cost: {
           edge: ($tasks * $p.edgeTaskVcpu * ($price.fargateVcpuHour + 2 * $price.fargateGbHour) * $h),
           edgeScheduled: ((2 * ($price.fargateVcpuHour + 2 * $price.fargateGbHour) * $p.edgeTaskVcpu * $h)
             + ($tasks - 2) * $p.edgeTaskVcpu * ($price.fargateVcpuHour + 2 * $price.fargateGbHour) * $p.peakHoursPerDay * 365 / 12),
           nats: (3 * $price.ec2Hour[$natsType[0]] * $h + 3 * $diskGb * $price.ebsGp3GbMonth),
           redis: ($primaries * 2 * $price.elasticacheHour[$cacheType[0]] * $h),
           network: (($price.albHour + $p.albAverageLcu * $price.albLcuHour + $price.natGatewayHour) * $h)
         }}
    )) as $regions
  | ($peak * $us.aggregator / 1e6) as $aggCores
  | ([1, 2, 4, 8, 16] | map(select(. >= $aggCores / $p.targetUtilization))[0] // 16) as $aggVcpu
  | ($peak * $us.shard / 1e6) as $shardCores
  | (($shardCores / $p.targetUtilization) | pick($rds)) as $shardClass
  | ($peak * $us.catalog / 1e6) as $catalogCores
  | (($catalogCores / $p.targetUtilization) | pick($rds)) as $catalogClass
  | ($peak * $us.core / 1e6) as $coreCores
  | ($p.slotsPerSeason * $p.votesPerSlot * $p.postgresBytesPerVote / 1e9) as $seasonGb
  | ($p.concurrentClosingSeasons) as $shards
  | ([200, $seasonGb * $p.seasonsPerShard | ceil] | max) as $shardGb
  | ($peak / $p.shardIngestVotesPerSecond) as $writerLoad
  | {
      aggregator: (2 * $aggVcpu * ($price.fargateVcpuHour + 2 * $price.fargateGbHour) * $h),
      core: (2 * 1 * ($price.fargateVcpuHour + 2 * $price.fargateGbHour) * $h),
      shards: ($shards * (2 * $price.rdsPostgresHour[$shardClass[0]] * $h + 2 * $shardGb * $price.rdsGp3GbMonth)),
      catalog: (2 * $price.rdsPostgresHour[$catalogClass[0]] * $h + 2 * 100 * $price.rdsGp3GbMonth),
      central: (($price.albHour * 3 + $p.albAverageLcu * $price.albLcuHour) * $h + $price.route53Month)
    } as $central
  | ([$regions[].cost | .edge + .nats + .redis + .network] | add) as $regional
  | ([$regions[].cost | .edgeScheduled + .nats + .redis + .network] | add) as $regionalScheduled
  | ($central | [.[]] | add) as $centralTotal
  | [
      "Capacity for \($p.voters) voters at a slot close (CPU per vote from \($source))",
      "",
      "Arrival: \($p.voters) votes in the last \($p.windowSeconds) s, peak \($p.peakFactor) x the mean = \($peak | r0) votes/s; hot clip \($p.hotClipShare * 100 | r0) %; target CPU \($p.targetUtilization * 100 | r0) %.",
      "CPU per vote (us): " + ($us | to_entries | map("\(.key) \(.value | r1)") | join(", ")),
      "",
      "| region | share | peak votes/s | edge cores | edge tasks (\($p.edgeTaskVcpu) vCPU) | NATS cores per node (R\($p.natsReplicationFactor)) | NATS nodes | JetStream disk per node | Redis primaries | Redis cores per primary | Redis memory | Redis nodes |",
      "|---|---|---|---|---|---|---|---|---|---|---|---|",
      ($regions[] | "| \(.name) | \($p.regionShares[.name] * 100 | r0) % | \(.rate | r0) | \(.edgeCores | r1) | \(.tasks) | \(.natsNodeCores | r1) | 3 x \(.natsType) | \(.diskGb) GB gp3 | \(.primaries) (+\(.primaries) replicas) | \(.redisCoresPerPrimary | r1) | \(.redisGb | r1) GB | \(.cacheType) |"),
      "",
      "| central | need at peak | sized as |",
      "|---|---|---|",
      "| aggregator | \($aggCores | r1) cores | 2 tasks x \($aggVcpu) vCPU (one writes each shard, the other takes over) |",
      "| shard writer (the closing season'"'"'s shard) | \($peak | r0) votes/s against \($p.shardIngestVotesPerSecond) measured per shard: \($writerLoad * 100 | r0) % | one season is one shard: more shards do not help it |",
      "| shard PostgreSQL | \($shardCores | r1) cores | \($shards) shards x \($shardClass[0]) Multi-AZ, \($shardGb) GB each; \($seasonGb | r1) GB per season |",
      "| catalog PostgreSQL | \($catalogCores | r1) cores | \($catalogClass[0]) Multi-AZ |",
      "| core | \($coreCores | r1) cores | 2 tasks x 1 vCPU |",
      "",
      "| monthly cost (USD, list prices) | edges at peak all month | edges at peak \($p.peakHoursPerDay) h a day |",
      "|---|---|---|",
      ($regions[] | "| \(.name): edges / NATS / Redis / LB+NAT | \(.cost.edge | money) / \(.cost.nats | money) / \(.cost.redis | money) / \(.cost.network | money) | \(.cost.edgeScheduled | money) / \(.cost.nats | money) / \(.cost.redis | money) / \(.cost.network | money) |"),
      "| central: aggregators / core / shards / catalog / LBs+DNS | \($central.aggregator | money) / \($central.core | money) / \($central.shards | money) / \($central.catalog | money) / \($central.central | money) | same |",
      "| **total** | **\($regional + $centralTotal | money)** | **\($regionalScheduled + $centralTotal | money)** |",
      "| seed plan (Phase 1-4) | $685-2,335 | |"
    ] | .[]'
