# The local stacks `./aimoviez up` runs on loopback, made by the same topology module as the cloud environments:
# regions/regions.json (the default stack) and regions/regions-ha.json (CONTRACT.md section 9, `up --ha`).
# Provider-free, so it plans, applies and tests offline; tests/ checks both files equal its outputs.
terraform {
  required_version = ">= 1.11.0, < 2.0.0"
}

locals {
  regions = ["us-east", "eu-west", "ap-south"]
  shards  = ["shard-1", "shard-2"]
  season_shards = [
    { from_season = 1, to_season = 1000, shards = ["shard-1", "shard-2"] },
  ]

  # Region i's first edge is at 8081 + i, its second at 8181 + i; NATS node n of region i at 14222 + i + 10 (n - 1),
  # Redis node n at 16379 + i + 10 (n - 1); the second aggregator at 8190.
  loopback = {
    edge       = { pattern = "http://127.0.0.1:{port}", port = 8081, step = 1, instance_step = 100 }
    nats       = { pattern = "nats://127.0.0.1:{port}", port = 14222, step = 1, instance_step = 10 }
    redis      = { pattern = "127.0.0.1:{port}", port = 16379, step = 1, instance_step = 10 }
    core       = { pattern = "http://127.0.0.1:{port}", port = 8080 }
    aggregator = { pattern = "http://127.0.0.1:{port}", port = 8090, instance_step = 100 }
    catalog    = { pattern = "Host=127.0.0.1;Port={port};Username=aimoviez;Database=catalog", port = 15432 }
    shard      = { pattern = "Host=127.0.0.1;Port={port};Username=aimoviez;Database=votes", port = 15433, step = 1 }
  }
}

module "default" {
  source        = "../../modules/topology"
  environment   = "local"
  regions       = local.regions
  shards        = local.shards
  season_shards = local.season_shards
  endpoints     = local.loopback
}

module "ha" {
  source        = "../../modules/topology"
  environment   = "local-ha"
  regions       = local.regions
  shards        = local.shards
  season_shards = local.season_shards
  endpoints     = local.loopback
  instances = {
    edges_per_region = 2
    nats_per_region  = 3
    redis_per_region = 3
    aggregators      = 2
  }
}

output "regions_json" {
  description = "regions/regions.json: the default local stack."
  value       = module.default.regions_json
}

output "regions_ha_json" {
  description = "regions/regions-ha.json: the production layout on loopback (`./aimoviez up --ha`)."
  value       = module.ha.regions_json
}

output "ha_regions" {
  description = "Every process of the HA layout per region (edges, NATS servers, Redis nodes with their ports)."
  value       = module.ha.regions
}
