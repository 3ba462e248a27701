output "regions_json" {
  description = "The regions.json every service of this environment reads (also in SSM: /aimoviez/<environment>/regions.json)."
  value       = module.topology.regions_json
}

output "vote_name" {
  description = "Where clients vote: the nearest healthy region's edges."
  value       = module.global.vote_name
}

output "edge_load_balancers" {
  description = "Each region's edge load balancer."
  value       = { for name, r in local.regions : name => r.edge_lb.dns_name }
}

output "trusted_proxies" {
  description = "How many addresses each region's edges trust as their load balancer."
  value       = { for name, r in local.regions : name => length(r.trusted_proxies) }
}
