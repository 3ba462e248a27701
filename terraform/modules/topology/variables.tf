variable "environment" {
  description = "Environment name (local, ha, staging, production): lower case letters, digits and dashes."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*$", var.environment))
    error_message = "environment must be lower case letters, digits and dashes, starting with a letter."
  }
}

variable "regions" {
  description = "Region names, in the order regions/regions.json lists them (the order sets port offsets)."
  type        = list(string)

  validation {
    condition     = length(var.regions) > 0 && length(distinct(var.regions)) == length(var.regions)
    error_message = "regions must name at least one region, each once."
  }

  validation {
    # A region name is one NATS subject token and part of stream names (VOTES_US_EAST).
    condition     = alltrue([for r in var.regions : can(regex("^[a-z][a-z0-9-]*$", r))])
    error_message = "a region name must be lower case letters, digits and dashes, starting with a letter."
  }
}

variable "shards" {
  description = "Vote shard names (one PostgreSQL each). A shard name is a lane of the vote streams: one NATS subject token."
  type        = list(string)

  validation {
    condition     = length(var.shards) > 0 && length(distinct(var.shards)) == length(var.shards)
    error_message = "shards must name at least one shard, each once."
  }

  validation {
    condition     = alltrue([for s in var.shards : can(regex("^[A-Za-z0-9_-]+$", s)) && s != "unrouted"])
    error_message = "a shard name must be one NATS subject token of letters, digits, '_' and '-', and not 'unrouted'."
  }
}

variable "season_shards" {
  description = <<-EOT
    The season-to-shard map: season n in from_season..to_season lives on shards[(n - from_season) % length(shards)].
    Append-only: add shards by appending a range for future season numbers; an existing season never moves.
  EOT
  type = list(object({
    from_season = number
    to_season   = number
    shards      = list(string)
  }))

  validation {
    condition = alltrue([for r in var.season_shards :
    r.from_season >= 1 && r.to_season >= r.from_season && length(r.shards) > 0 && floor(r.from_season) == r.from_season && floor(r.to_season) == r.to_season])
    error_message = "each season range needs whole numbers 1 <= from_season <= to_season and at least one shard."
  }

  validation {
    condition = alltrue(flatten([for i, a in var.season_shards : [for j, b in var.season_shards :
    i == j || a.to_season < b.from_season || b.to_season < a.from_season]]))
    error_message = "season ranges must not overlap: a season lives on exactly one shard."
  }

  validation {
    # ShardMap refuses a topology whose ranges name an undeclared shard.
    condition     = length(setsubtract(flatten([for r in var.season_shards : r.shards]), var.shards)) == 0
    error_message = "season_shards may name only shards that shards declares."
  }
}

variable "instances" {
  description = "Instance counts: edges, NATS servers and Redis endpoints per region, aggregator instances."
  type = object({
    edges_per_region = optional(number, 1)
    nats_per_region  = optional(number, 1)
    redis_per_region = optional(number, 1)
    aggregators      = optional(number, 1)
  })
  default = {}

  validation {
    condition     = alltrue([for n in values(var.instances) : n >= 1 && floor(n) == n])
    error_message = "every instance count must be a whole number of at least 1."
  }

  validation {
    # JetStream replicates each stream over 3 servers in a cluster; two servers cannot form a quorum that survives one loss.
    condition     = contains([1, 3, 5], var.instances.nats_per_region)
    error_message = "nats_per_region must be 1 (a single server) or 3 or 5 (a JetStream cluster with a quorum)."
  }
}

variable "endpoints" {
  description = <<-EOT
    How every address is written. Each pattern may use {port}, and {region} (regional services), {shard} (shards) or
    {n} (the instance number from 1). The port is port + step * (the region's or shard's index) + instance_step * (n - 1).
    edge_public is the region's address for clients (its load balancer); null means the region's first edge.
  EOT
  type = object({
    edge        = object({ pattern = string, port = number, step = optional(number, 0), instance_step = optional(number, 0) })
    edge_public = optional(string)
    nats        = object({ pattern = string, port = number, step = optional(number, 0), instance_step = optional(number, 0) })
    redis       = object({ pattern = string, port = number, step = optional(number, 0), instance_step = optional(number, 0) })
    core        = object({ pattern = string, port = number })
    aggregator  = object({ pattern = string, port = number, instance_step = optional(number, 0) })
    catalog     = object({ pattern = string, port = number })
    shard       = object({ pattern = string, port = number, step = optional(number, 0) })
  })

  validation {
    condition = alltrue([for p in [var.endpoints.edge.port, var.endpoints.nats.port, var.endpoints.redis.port, var.endpoints.core.port,
    var.endpoints.aggregator.port, var.endpoints.catalog.port, var.endpoints.shard.port] : p >= 1 && p <= 65535])
    error_message = "every first port must be between 1 and 65535."
  }
}

variable "lookup_seasons" {
  description = "Season numbers to resolve in the shard_for_season output (what ShardMap.ShardFor answers)."
  type        = list(number)
  default     = []
}
