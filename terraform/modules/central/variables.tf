variable "environment" {
  description = "Environment name (staging, production)."
  type        = string
}

variable "topology" {
  description = "The topology module's central and shards outputs: ports of core, the aggregators and every database."
  type = object({
    central = object({
      core_port    = number
      catalog_port = number
      aggregators  = list(object({ n = number, port = number }))
    })
    shards = list(object({ name = string, port = number }))
  })
}

variable "network" {
  description = "The home region's network (from its region module) and every region's VPC range (edges call core)."
  type = object({
    vpc_id             = string
    vpc_cidr           = string
    private_subnet_ids = list(string)
    public_subnet_ids  = list(string)
    region_cidrs       = list(string)
  })
}

variable "ecs_cluster_arn" {
  description = "The home region's ECS cluster."
  type        = string
}

variable "topology_parameter_arn" {
  description = "The home region's SSM parameter holding regions.json."
  type        = string
}

variable "core" {
  description = "Core (catalog and admin API, the slot timer): image, Fargate size, task count, the public API's certificate."
  type = object({
    image           = string
    cpu             = number
    memory          = number
    count           = optional(number, 2)
    certificate_arn = string
    settings        = optional(map(string), {})
  })

  validation {
    # The slot loop is guarded by a PostgreSQL advisory lock, so a second instance is a warm standby, not a double timer.
    condition     = var.core.count >= 2
    error_message = "run at least two core instances."
  }
}

variable "aggregator" {
  description = "Aggregators: image, Fargate size, instance count (they share the shards, one writer per shard at a time)."
  type = object({
    image    = string
    cpu      = number
    memory   = number
    count    = optional(number, 2)
    settings = optional(map(string), {})
  })

  validation {
    condition     = var.aggregator.count >= 2
    error_message = "run at least two aggregator instances, so a shard's writer is taken over when one dies."
  }
}

variable "databases" {
  description = <<-EOT
    PostgreSQL on RDS: the catalog and one instance per shard. Sizes per docs/CAPACITY.md; backups kept
    backup_retention_days. The services read the password from password_secret_arn; bump password_version to set
    a new database_password on the instances.
  EOT
  type = object({
    engine_version        = optional(string, "15")
    catalog               = object({ instance_class = string, storage_gb = number, max_storage_gb = number })
    shard                 = object({ instance_class = string, storage_gb = number, max_storage_gb = number, iops = optional(number) })
    backup_retention_days = optional(number, 14)
    multi_az              = optional(bool, true)
    password_secret_arn   = string
    password_version      = optional(number, 1)
  })

  validation {
    condition     = var.databases.backup_retention_days >= 1 && var.databases.backup_retention_days <= 35
    error_message = "backup_retention_days must be 1-35 (RDS automated backups; 0 would turn them off)."
  }

  validation {
    condition     = var.databases.catalog.max_storage_gb >= var.databases.catalog.storage_gb && var.databases.shard.max_storage_gb >= var.databases.shard.storage_gb
    error_message = "max_storage_gb (the autoscaling ceiling) must be at least storage_gb."
  }
}

variable "auth" {
  description = "Token validation: issuer, audience, and the Secrets Manager secret holding the signing key."
  type = object({
    issuer                 = string
    audience               = string
    signing_key_secret_arn = string
  })
}

variable "database_password" {
  description = "The password of user aimoviez, as stored in databases.password_secret_arn; write-only, never in the state or plan."
  type        = string
  sensitive   = true
  ephemeral   = true
}
