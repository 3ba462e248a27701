output "topology" {
  description = "regions/regions.json as an object (the shape of contracts/Topology.cs)."
  value       = local.topology
}

output "regions_json" {
  description = "The exact JSON the services read as regions/regions.json (Topology:Path)."
  value       = jsonencode(local.topology)
}

output "regions" {
  description = "Per region: its client address, every edge, NATS server and Redis node (url, port, number), its streams, subjects and aggregator consumers."
  value = { for region, r in local.regions : region => {
    edge_url = local.edge_public[region]
    edges    = r.edge
    nats     = r.nats
    redis    = r.redis
    streams = {
      votes        = "VOTES_${upper(replace(region, "-", "_"))}"
      receipts     = "RECEIPTS_${upper(replace(region, "-", "_"))}"
      dead_letters = "DEADLETTER_${upper(replace(region, "-", "_"))}"
    }
    subjects = {
      votes        = "votes.${region}.>"
      receipts     = "receipts.${region}"
      dead_letters = "deadletter.${region}"
      lanes        = { for lane in local.lanes : lane => "votes.${region}.${lane}.>" }
    }
  } }
}

output "subjects" {
  description = "Subjects every region's NATS carries alike (contracts/Subjects.cs)."
  value = {
    tallies         = "tallies.>"
    genre_tally     = "genres.tally"
    catalog_changed = "catalog.changed"
  }
}

output "lanes" {
  description = "The lanes of every vote stream: one per shard, then 'unrouted'; the aggregator's durable consumer of each is aggregator-<lane>."
  value       = { for lane in local.lanes : lane => { consumer = "aggregator-${lane}" } }
}

output "stream_limits" {
  description = "Retention of the regional streams (contracts/Subjects.cs StreamLimits), in seconds; JetStream replicas per stream."
  value = {
    votes_duplicate_window_seconds = 120
    votes_max_age_seconds          = 7 * 86400
    receipts_max_age_seconds       = 2 * 86400
    replicas                       = var.instances.nats_per_region
  }
}

output "shards" {
  description = "Vote shards in order: name, port and connection string."
  value       = local.shards
}

output "season_shards" {
  description = "The season-to-shard ranges, as given."
  value       = var.season_shards
}

output "shard_for_season" {
  description = "For each of lookup_seasons, its shard, or null when no range covers it (as ShardMap.ShardFor)."
  value = { for s in var.lookup_seasons : tostring(s) => concat(
    [for r in var.season_shards : r.shards[(s - r.from_season) % length(r.shards)] if s >= r.from_season && s <= r.to_season],
    [null]
  )[0] }
}

output "central" {
  description = "Core, every aggregator instance and the catalog database."
  value = {
    core_url         = local.core_url
    core_port        = var.endpoints.core.port
    aggregators      = local.aggregators
    catalog_database = local.catalog
    catalog_port     = var.endpoints.catalog.port
  }
}

output "instances" {
  description = "The instance counts this layout was made with."
  value       = var.instances
}
