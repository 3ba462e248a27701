variable "name" {
  description = "Load balancer name (at most 32 characters; target group names derive from it)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,27}$", var.name))
    error_message = "name must be 1-28 lower case letters, digits and dashes, starting with a letter."
  }
}

variable "internal" {
  description = "true: reachable only inside the VPCs (plain HTTP on listen_port); false: internet-facing HTTPS on 443."
  type        = bool
}

variable "vpc_id" {
  description = "The VPC of the load balancer and its targets."
  type        = string
}

variable "subnet_ids" {
  description = "Subnets of the load balancer, one per availability zone (public ones when internet-facing)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "an application load balancer needs subnets in at least two availability zones."
  }
}

variable "allowed_cidrs" {
  description = "Who may connect to the listener."
  type        = list(string)
}

variable "listen_port" {
  description = "Listener port of an internal load balancer (internet-facing ones listen on 443, and 80 redirects)."
  type        = number
  default     = 80
}

variable "certificate_arn" {
  description = "ACM certificate of an internet-facing load balancer's HTTPS listener."
  type        = string
  default     = null

  validation {
    condition     = var.internal || var.certificate_arn != null
    error_message = "an internet-facing load balancer needs certificate_arn."
  }
}

variable "target_port" {
  description = "The port the targets (ECS tasks, by IP) listen on."
  type        = number
}

variable "health_check_path" {
  description = "What the load balancer probes; /readyz answers 200 only when the service's dependencies answer."
  type        = string
  default     = "/readyz"
}

variable "idle_timeout_seconds" {
  description = "Idle timeout; tally streams (SSE) stay open with heartbeats shorter than this."
  type        = number
  default     = 120
}
