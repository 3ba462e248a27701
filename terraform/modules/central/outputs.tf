output "core_public_lb" {
  description = "Core's internet-facing load balancer (the public API name points here)."
  value       = { dns_name = module.core_public_lb.dns_name, zone_id = module.core_public_lb.zone_id }
}

output "core_internal_lb" {
  description = "Core's internal load balancer (the topology's core name points here)."
  value       = module.core_internal_lb.dns_name
}

output "aggregator_lb" {
  description = "The aggregators' internal load balancer (the topology's aggregator name points here)."
  value       = module.aggregator_lb.dns_name
}

output "database_addresses" {
  description = "Each database's RDS address: catalog and every shard by name (the topology's names point here)."
  value       = { for name, db in aws_db_instance.this : name => db.address }
}
