variable "environment" {
  description = "staging or production."
  type        = string

  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be staging or production."
  }
}

variable "aws_regions" {
  description = "The AWS region of each topology region. us-east is home: core, the aggregators and PostgreSQL run there."
  type        = map(string)
  default = {
    us-east  = "us-east-1"
    eu-west  = "eu-west-1"
    ap-south = "ap-south-1"
  }

  validation {
    condition     = sort(keys(var.aws_regions)) == sort(["us-east", "eu-west", "ap-south"])
    error_message = "aws_regions must map exactly us-east, eu-west and ap-south (one provider block each, providers.tf)."
  }
}

variable "availability_zones" {
  description = "Three availability zones per topology region."
  type        = map(list(string))
  default = {
    us-east  = ["us-east-1a", "us-east-1b", "us-east-1c"]
    eu-west  = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    ap-south = ["ap-south-1a", "ap-south-1b", "ap-south-1c"]
  }
}

variable "vpc_cidrs" {
  description = "Each region's VPC range; they must not overlap (peered to the home region)."
  type        = map(string)
  default = {
    us-east  = "10.10.0.0/16"
    eu-west  = "10.20.0.0/16"
    ap-south = "10.30.0.0/16"
  }
}

variable "shards" {
  description = "Vote shards (one RDS PostgreSQL each). Append only; add a season range for them in season_shards."
  type        = list(string)
}

variable "season_shards" {
  description = "The season-to-shard map (topology module). Append-only ranges of future season numbers."
  type = list(object({
    from_season = number
    to_season   = number
    shards      = list(string)
  }))
}

variable "public_zone_id" {
  description = "Route 53 public zone of public_domain."
  type        = string
}

variable "public_domain" {
  description = "Public domain (vote.<domain>, <region>.vote.<domain>, api.<domain>)."
  type        = string
}

variable "certificate_arns" {
  description = "ACM certificate per topology region, valid for vote.<domain> and <region>.vote.<domain> (and api.<domain> in us-east)."
  type        = map(string)
}

variable "images" {
  description = "Container images of edge, core and aggregator (the published builds of one commit)."
  type        = object({ edge = string, core = string, aggregator = string })
}

variable "auth" {
  description = "Token issuer, audience, and the signing key's Secrets Manager secret name (replicated to every region)."
  type        = object({ issuer = string, audience = string, signing_key_secret_name = string })
}

variable "database_password_secret_arn" {
  description = "Secrets Manager secret holding the PostgreSQL password of user aimoviez (home region)."
  type        = string
}

variable "database_password" {
  description = <<-EOT
    The PostgreSQL password of user aimoviez, the value of database_password_secret_arn (write-only: never in the state
    or a plan). TF_VAR_database_password="$(aws secretsmanager get-secret-value --secret-id ... --query SecretString --output text)".
  EOT
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "sizes" {
  description = "Instance counts and sizes, from docs/CAPACITY.md (perf/capacity.sh prints them for a measured report)."
  type = object({
    edge       = object({ cpu = number, memory = number, min = map(number), max = map(number) })
    nats       = object({ instance_type = string, volume_gb = number, version = string })
    redis      = object({ node_type = string, shards = map(number) })
    core       = object({ cpu = number, memory = number })
    aggregator = object({ cpu = number, memory = number, count = number })
    databases = object({
      catalog               = object({ instance_class = string, storage_gb = number, max_storage_gb = number })
      shard                 = object({ instance_class = string, storage_gb = number, max_storage_gb = number })
      backup_retention_days = number
      multi_az              = bool
    })
  })
}
