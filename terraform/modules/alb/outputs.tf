output "dns_name" {
  description = "The load balancer's DNS name."
  value       = aws_lb.this.dns_name
}

output "zone_id" {
  description = "The load balancer's hosted zone, for Route 53 alias records."
  value       = aws_lb.this.zone_id
}

output "target_group_arn" {
  description = "The target group the service's tasks register in."
  value       = aws_lb_target_group.this.arn
}

output "security_group_id" {
  description = "The load balancer's security group: the only source the targets admit."
  value       = aws_security_group.lb.id
}
