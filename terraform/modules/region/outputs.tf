output "vpc_id" {
  description = "The region's VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "The region's VPC range."
  value       = aws_vpc.this.cidr_block
}

output "aws_region" {
  description = "The AWS region this module ran in."
  value       = data.aws_region.current.name
}

output "private_subnet_ids" {
  description = "Private subnets, one per availability zone (for the central services in the home region)."
  value       = [for s in aws_subnet.private : s.id]
}

output "public_subnet_ids" {
  description = "Public subnets, one per availability zone (for internet-facing load balancers)."
  value       = [for s in aws_subnet.public : s.id]
}

output "private_route_table_ids" {
  description = "Route tables of the private subnets (peered regions add their routes here)."
  value       = [aws_route_table.private.id]
}

output "ecs_cluster_arn" {
  description = "The region's ECS cluster."
  value       = aws_ecs_cluster.this.arn
}

output "topology_parameter_arn" {
  description = "The SSM parameter holding regions.json in this region."
  value       = aws_ssm_parameter.topology.arn
}

output "edge_lb" {
  description = "The edges' load balancer: DNS name and zone for latency records and health checks."
  value       = { dns_name = module.edge_lb.dns_name, zone_id = module.edge_lb.zone_id }
}

output "nats_private_ips" {
  description = "Each NATS node's private address, by its number (for the private DNS names the topology uses)."
  value       = { for n, i in aws_instance.nats : n => i.private_ip }
}

output "redis_configuration_endpoint" {
  description = "The Redis Cluster's configuration endpoint (the topology's redis name points here)."
  value       = aws_elasticache_replication_group.redis.configuration_endpoint_address
}

output "trusted_proxies" {
  description = "Every address the edges trust as their proxy: the load balancer subnets' hosts."
  value       = local.trusted_proxies
}
