variable "environment" {
  description = "Environment name (staging, production)."
  type        = string
}

variable "name" {
  description = "The region's name in the topology (us-east), not the AWS region."
  type        = string
}

variable "topology" {
  description = "This region's entry of the topology module's regions output: its edges, NATS servers and Redis nodes."
  type = object({
    edge_url = string
    edges    = list(object({ n = number, port = number }))
    nats     = list(object({ n = number, port = number, url = string }))
    redis    = list(object({ n = number, port = number, url = string }))
  })

  validation {
    condition     = length(var.topology.nats) == 3
    error_message = "a region runs a three-node JetStream cluster: the topology must list three NATS servers."
  }
}

variable "regions_json" {
  description = "The environment's regions.json (topology module output regions_json), stored in SSM for the services."
  type        = string
}

variable "vpc_cidr" {
  description = "The region's VPC range, a /16 that overlaps no other region's (they are peered)."
  type        = string

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr)) && endswith(var.vpc_cidr, "/16")
    error_message = "vpc_cidr must be a /16."
  }
}

variable "availability_zones" {
  description = "Three availability zones: one NATS node, one Redis primary and one load balancer subnet in each."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) == 3
    error_message = "availability_zones must name exactly three zones."
  }
}

variable "edge" {
  description = "Edge tasks: image, Fargate size, and the task count range the CPU target scales in (docs/CAPACITY.md)."
  type = object({
    image              = string
    cpu                = number
    memory             = number
    min                = number
    max                = number
    target_cpu_percent = optional(number, 60)
    settings           = optional(map(string), {})
  })
}

variable "nats" {
  description = "JetStream nodes: EC2 instance type, nats-server version, and each node's own gp3 volume."
  type = object({
    instance_type     = string
    version           = string
    volume_gb         = number
    volume_iops       = optional(number, 3000)
    volume_throughput = optional(number, 125)
  })

  validation {
    condition     = var.nats.volume_gb >= 8 && var.nats.volume_iops >= 3000 && var.nats.volume_throughput >= 125
    error_message = "a gp3 volume needs at least 8 GB, 3000 IOPS and 125 MB/s."
  }
}

variable "redis" {
  description = "The Redis Cluster: node type, shards (primaries), replicas per shard."
  type = object({
    node_type          = string
    shards             = optional(number, 3)
    replicas_per_shard = optional(number, 1)
    engine_version     = optional(string, "7.1")
  })

  validation {
    condition     = var.redis.shards >= 3 && var.redis.replicas_per_shard >= 1
    error_message = "the Redis Cluster needs at least three primaries, each with a replica."
  }
}

variable "certificate_arn" {
  description = "ACM certificate (in this AWS region) for the edges' public names."
  type        = string
}

variable "auth" {
  description = "Token validation: issuer, audience, and the Secrets Manager secret (replicated to this region) holding the signing key."
  type = object({
    issuer                 = string
    audience               = string
    signing_key_secret_arn = string
  })
}

variable "home" {
  description = "The central services' VPC, which this region peers with; null in the home region itself."
  type = object({
    vpc_id          = string
    vpc_cidr        = string
    aws_region      = string
    route_table_ids = list(string)
  })
  default = null
}
