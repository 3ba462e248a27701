variable "name" {
  description = "Service name, unique in its region and environment (e.g. production-us-east-edge)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.name))
    error_message = "name must be 1-31 lower case letters, digits and dashes, starting with a letter."
  }
}

variable "cluster_arn" {
  description = "The ECS cluster the service runs in."
  type        = string
}

variable "image" {
  description = "Container image (a Debian-based image with /bin/sh: the entry point writes regions.json from SSM first)."
  type        = string
}

variable "executable" {
  description = "The service's start command inside the image (e.g. ./AiMoviez.Edge, dotnet AiMoviez.Core.dll)."
  type        = string
}

variable "port" {
  description = "The port the service listens on (from the topology)."
  type        = number

  validation {
    condition     = var.port >= 1 && var.port <= 65535
    error_message = "port must be between 1 and 65535."
  }
}

variable "cpu" {
  description = "Fargate task CPU units (1024 = one vCPU)."
  type        = number

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.cpu)
    error_message = "cpu must be a Fargate size: 256, 512, 1024, 2048, 4096, 8192 or 16384."
  }
}

variable "memory" {
  description = "Fargate task memory in MiB (must suit cpu, see the Fargate task size table)."
  type        = number
}

variable "scaling" {
  description = "Task count: fixed when min equals max; otherwise scaled to keep average CPU at target_cpu_percent."
  type = object({
    min                = number
    max                = number
    target_cpu_percent = optional(number, 60)
  })

  validation {
    condition     = var.scaling.min >= 1 && var.scaling.max >= var.scaling.min && var.scaling.target_cpu_percent > 0 && var.scaling.target_cpu_percent <= 90
    error_message = "scaling needs 1 <= min <= max and a target CPU between 1 and 90 %."
  }
}

variable "environment" {
  description = "Plain environment variables of the container (configuration keys as Section__Key)."
  type        = map(string)
  default     = {}
}

variable "secrets" {
  description = "Environment variables filled from Secrets Manager or SSM Parameter Store: name => ARN."
  type        = map(string)
  default     = {}
}

variable "topology_parameter_arn" {
  description = "SSM parameter holding regions.json for this environment; the container writes it to Topology:Path at start."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets the tasks run in."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups of the tasks."
  type        = list(string)
}

variable "target_group_arns" {
  description = "Load balancer target groups the tasks register in (IP targets on port)."
  type        = list(string)
  default     = []
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention of the service's log group."
  type        = number
  default     = 30
}
