# The topology module on its own: a cloud layout named by DNS, the season-to-shard map as ShardMap reads it, and the
# inputs it refuses. Offline: the module has no provider.

variables {
  environment = "production"
  regions     = ["us-east", "eu-west", "ap-south"]
  shards      = ["shard-1", "shard-2", "shard-3"]
  season_shards = [
    { from_season = 1, to_season = 1000, shards = ["shard-1", "shard-2"] },
    { from_season = 1001, to_season = 5000, shards = ["shard-1", "shard-2", "shard-3"] },
  ]
  instances = { edges_per_region = 4, nats_per_region = 3, redis_per_region = 1, aggregators = 2 }
  endpoints = {
    edge        = { pattern = "http://{region}-edge:{port}", port = 8081 }
    edge_public = "https://{region}.vote.aimoviez.example"
    nats        = { pattern = "nats://nats-{n}.{region}.production.aimoviez.internal:{port}", port = 4222 }
    redis       = { pattern = "redis.{region}.production.aimoviez.internal:{port}", port = 6379 }
    core        = { pattern = "http://core.production.aimoviez.internal:{port}", port = 8080 }
    aggregator  = { pattern = "http://aggregator-{n}.production.aimoviez.internal:{port}", port = 8090 }
    catalog     = { pattern = "Host=catalog.production.aimoviez.internal;Port={port};Username=aimoviez;Database=catalog;SSL Mode=Require", port = 5432 }
    shard       = { pattern = "Host={shard}.production.aimoviez.internal;Port={port};Username=aimoviez;Database=votes;SSL Mode=Require", port = 5432 }
  }
  lookup_seasons = [1, 2, 3, 1000, 1001, 1002, 1003, 1004, 5001]
}

run "cloud_layout" {
  command = plan

  assert {
    condition     = output.topology.regions[1].edgeUrl == "https://eu-west.vote.aimoviez.example"
    error_message = "a region's edgeUrl must be its load balancer's public name."
  }

  assert {
    condition     = output.topology.regions[2].nats == "nats://nats-1.ap-south.production.aimoviez.internal:4222,nats://nats-2.ap-south.production.aimoviez.internal:4222,nats://nats-3.ap-south.production.aimoviez.internal:4222"
    error_message = "a region's nats must list its three servers, comma-separated."
  }

  assert {
    condition     = output.topology.regions[0].redis == "redis.us-east.production.aimoviez.internal:6379"
    error_message = "a region's redis must be its cluster's configuration endpoint."
  }

  assert {
    condition     = length(output.regions["us-east"].edges) == 4 && output.regions["us-east"].edges[3].port == 8081
    error_message = "every edge of a region listens on the same port when instance_step is 0."
  }

  assert {
    condition     = output.topology.aggregatorUrls == ["http://aggregator-1.production.aimoviez.internal:8090", "http://aggregator-2.production.aimoviez.internal:8090"]
    error_message = "two aggregators must both be listed."
  }

  assert {
    condition     = output.topology.shards[2].connectionString == "Host=shard-3.production.aimoviez.internal;Port=5432;Username=aimoviez;Database=votes;SSL Mode=Require"
    error_message = "a shard's connection string must name its own host."
  }

  assert {
    condition     = jsondecode(output.regions_json).regions[0].name == "us-east" && !contains(keys(jsondecode(output.regions_json).regions[0]), "edgeUrls")
    error_message = "regions_json must be the topology, encoded, without edgeUrls where a load balancer fronts the edges."
  }

  assert {
    condition     = alltrue([for r in output.topology.regions : r.streamReplicas == 3])
    error_message = "a region with a three-server NATS cluster must replicate its streams three times."
  }
}

run "streams_subjects_and_consumers" {
  command = plan

  assert {
    condition = output.regions["ap-south"].streams == {
      votes        = "VOTES_AP_SOUTH"
      receipts     = "RECEIPTS_AP_SOUTH"
      dead_letters = "DEADLETTER_AP_SOUTH"
    }
    error_message = "stream names must follow StreamNames (upper case, '-' to '_')."
  }

  assert {
    condition     = output.regions["us-east"].subjects.lanes["unrouted"] == "votes.us-east.unrouted.>" && output.regions["us-east"].subjects.receipts == "receipts.us-east"
    error_message = "subjects must follow contracts/Subjects.cs."
  }

  assert {
    condition     = keys(output.lanes) == ["shard-1", "shard-2", "shard-3", "unrouted"] && output.lanes["shard-2"].consumer == "aggregator-shard-2"
    error_message = "every shard and 'unrouted' is a lane with its aggregator consumer."
  }

  assert {
    condition     = output.stream_limits.replicas == 3 && output.stream_limits.votes_duplicate_window_seconds == 120
    error_message = "streams replicate over the region's three NATS servers."
  }
}

run "season_to_shard_map" {
  command = plan

  assert {
    condition = output.shard_for_season == {
      "1"    = "shard-1", "2" = "shard-2", "3" = "shard-1", "1000" = "shard-2",
      "1001" = "shard-1", "1002" = "shard-2", "1003" = "shard-3", "1004" = "shard-1", "5001" = null
    }
    error_message = "seasons must map round-robin within their range, and a season no range covers to null."
  }
}

run "refuses_overlapping_ranges" {
  command = plan
  variables {
    season_shards = [
      { from_season = 1, to_season = 100, shards = ["shard-1"] },
      { from_season = 100, to_season = 200, shards = ["shard-2"] },
    ]
  }
  expect_failures = [var.season_shards]
}

run "refuses_a_range_naming_an_unknown_shard" {
  command = plan
  variables {
    season_shards = [{ from_season = 1, to_season = 100, shards = ["shard-9"] }]
  }
  expect_failures = [var.season_shards]
}

run "refuses_the_unrouted_lane_as_a_shard" {
  command = plan
  variables {
    shards        = ["unrouted"]
    season_shards = [{ from_season = 1, to_season = 100, shards = ["unrouted"] }]
  }
  expect_failures = [var.shards]
}

run "refuses_two_nats_servers" {
  command = plan
  variables {
    instances = { nats_per_region = 2 }
  }
  expect_failures = [var.instances]
}

run "refuses_a_region_name_that_is_not_a_subject_token" {
  command = plan
  variables {
    regions = ["us.east"]
  }
  expect_failures = [var.regions]
}
