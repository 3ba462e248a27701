variable "environment" {
  description = "Environment name (staging, production)."
  type        = string
}

variable "public_zone_id" {
  description = "The Route 53 public hosted zone of public_domain."
  type        = string
}

variable "public_domain" {
  description = "Public names live under it: vote.<domain> (nearest healthy region), <region>.vote.<domain>, api.<domain>."
  type        = string
}

variable "private_domain" {
  description = "The private zone every internal name of the topology lives in (e.g. production.aimoviez.internal)."
  type        = string
}

variable "topology" {
  description = "The topology module's regions, central and shards outputs (the internal names to create)."
  type = object({
    regions = map(object({
      nats  = list(object({ n = number, url = string }))
      redis = list(object({ url = string }))
    }))
    central = object({
      core_url         = string
      aggregators      = list(object({ url = string }))
      catalog_database = string
    })
    shards = list(object({ name = string, connection_string = string }))
  })
}

variable "regions" {
  description = "What each region's module made: its AWS region, VPC, edge load balancer, NATS addresses, Redis endpoint."
  type = map(object({
    aws_region                   = string
    vpc_id                       = string
    edge_lb                      = object({ dns_name = string, zone_id = string })
    nats_private_ips             = map(string)
    redis_configuration_endpoint = string
  }))

  validation {
    condition     = length(var.regions) >= 1
    error_message = "at least one region."
  }
}

variable "central" {
  description = "What the central module made: core's load balancers, the aggregators' and every database address."
  type = object({
    core_public_lb     = object({ dns_name = string, zone_id = string })
    core_internal_lb   = string
    aggregator_lb      = string
    database_addresses = map(string)
  })
}

variable "health_check" {
  description = "Route 53 probes of each region's edges (GET /readyz over HTTPS): seconds between probes, failures to fail."
  type = object({
    interval_seconds  = optional(number, 10)
    failure_threshold = optional(number, 3)
  })
  default = {}

  validation {
    condition     = contains([10, 30], var.health_check.interval_seconds) && var.health_check.failure_threshold >= 1 && var.health_check.failure_threshold <= 10
    error_message = "Route 53 probes every 10 or 30 seconds and fails after 1-10 failures."
  }
}
