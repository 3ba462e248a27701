locals {
  unrouted_lane = "unrouted"
  # Every lane of a region's vote stream: one per shard, and one for seasons no range covers.
  lanes = concat(var.shards, [local.unrouted_lane])

  regional_endpoints = { edge = var.endpoints.edge, nats = var.endpoints.nats, redis = var.endpoints.redis }
  regional_counts = {
    edge  = var.instances.edges_per_region
    nats  = var.instances.nats_per_region
    redis = var.instances.redis_per_region
  }

  # Every regional process: edges, NATS servers and Redis nodes, numbered from 1 in each region.
  regional_instances = flatten([for i, region in var.regions : [for kind, e in local.regional_endpoints : [
    for n in range(1, local.regional_counts[kind] + 1) : {
      kind   = kind
      region = region
      n      = n
      port   = e.port + e.step * i + e.instance_step * (n - 1)
      url    = replace(replace(replace(e.pattern, "{region}", region), "{n}", tostring(n)), "{port}", tostring(e.port + e.step * i + e.instance_step * (n - 1)))
    }
  ]]])

  regions = { for region in var.regions : region => {
    for kind in keys(local.regional_endpoints) : kind => [for x in local.regional_instances : x if x.region == region && x.kind == kind]
  } }

  edge_public = { for region, r in local.regions : region =>
    var.endpoints.edge_public == null ? r.edge[0].url : replace(var.endpoints.edge_public, "{region}", region)
  }

  aggregators = [for n in range(1, var.instances.aggregators + 1) : {
    n    = n
    port = var.endpoints.aggregator.port + var.endpoints.aggregator.instance_step * (n - 1)
    url = replace(replace(var.endpoints.aggregator.pattern, "{n}", tostring(n)), "{port}",
    tostring(var.endpoints.aggregator.port + var.endpoints.aggregator.instance_step * (n - 1)))
  }]
  core_url = replace(var.endpoints.core.pattern, "{port}", tostring(var.endpoints.core.port))
  catalog  = replace(var.endpoints.catalog.pattern, "{port}", tostring(var.endpoints.catalog.port))
  shards = [for i, name in var.shards : {
    name              = name
    port              = var.endpoints.shard.port + var.endpoints.shard.step * i
    connection_string = replace(replace(var.endpoints.shard.pattern, "{shard}", name), "{port}", tostring(var.endpoints.shard.port + var.endpoints.shard.step * i))
  }]

  # regions/regions.json as contracts/Topology.cs reads it. Several NATS servers or Redis nodes are one comma-separated
  # string, as both clients take them. edgeUrls (every edge, where no load balancer fronts them) and aggregatorUrls
  # appear only in layouts with more than one. streamReplicas (the JetStream replicas of the region's streams: one per
  # server of its cluster) appears only where a region has more than one NATS server; the services default to 1.
  topology = merge(
    {
      core            = { url = local.core_url }
      aggregator      = { url = local.aggregators[0].url }
      catalogDatabase = local.catalog
      regions = [for region in var.regions : merge(
        {
          name    = region
          edgeUrl = local.edge_public[region]
          nats    = join(",", local.regions[region].nats[*].url)
          redis   = join(",", local.regions[region].redis[*].url)
        },
        var.instances.edges_per_region > 1 && var.endpoints.edge_public == null ? { edgeUrls = local.regions[region].edge[*].url } : {},
        var.instances.nats_per_region > 1 ? { streamReplicas = var.instances.nats_per_region } : {}
      )]
      shards       = [for s in local.shards : { name = s.name, connectionString = s.connection_string }]
      seasonShards = [for r in var.season_shards : { fromSeason = r.from_season, toSeason = r.to_season, shards = r.shards }]
    },
    var.instances.aggregators > 1 ? { aggregatorUrls = local.aggregators[*].url } : {}
  )
}
