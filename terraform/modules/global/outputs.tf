output "vote_name" {
  description = "The name clients vote at: the nearest healthy region's edges."
  value       = "vote.${var.public_domain}"
}

output "private_zone_id" {
  description = "The private zone of the topology's internal names."
  value       = aws_route53_zone.private.zone_id
}

output "health_check_ids" {
  description = "Route 53 health check of each region's edges (alarm on them)."
  value       = { for region, h in aws_route53_health_check.edges : region => h.id }
}
