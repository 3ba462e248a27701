# ------------------------------------------------------------------ clients to the nearest healthy region

resource "aws_route53_health_check" "edges" {
  for_each          = var.regions
  type              = "HTTPS"
  fqdn              = "${each.key}.vote.${var.public_domain}"
  port              = 443
  resource_path     = "/readyz"
  enable_sni        = true
  request_interval  = var.health_check.interval_seconds
  failure_threshold = var.health_check.failure_threshold
  tags              = { Name = "${var.environment}-${each.key}-edges" }
}

# vote.<domain>: the lowest-latency region whose edges answer /readyz; Route 53 leaves a failing one out.
resource "aws_route53_record" "vote" {
  for_each        = var.regions
  zone_id         = var.public_zone_id
  name            = "vote.${var.public_domain}"
  type            = "A"
  set_identifier  = each.key
  health_check_id = aws_route53_health_check.edges[each.key].id

  latency_routing_policy {
    region = each.value.aws_region
  }

  alias {
    name                   = each.value.edge_lb.dns_name
    zone_id                = each.value.edge_lb.zone_id
    evaluate_target_health = true
  }
}

# <region>.vote.<domain>: one region's edges (the topology's edgeUrl, and what the health check probes).
resource "aws_route53_record" "region" {
  for_each = var.regions
  zone_id  = var.public_zone_id
  name     = "${each.key}.vote.${var.public_domain}"
  type     = "A"

  alias {
    name                   = each.value.edge_lb.dns_name
    zone_id                = each.value.edge_lb.zone_id
    evaluate_target_health = true
  }
}

resource "aws_route53_record" "api" {
  zone_id = var.public_zone_id
  name    = "api.${var.public_domain}"
  type    = "A"

  alias {
    name                   = var.central.core_public_lb.dns_name
    zone_id                = var.central.core_public_lb.zone_id
    evaluate_target_health = true
  }
}

# ------------------------------------------------------------------ the internal names of the topology

resource "aws_route53_zone" "private" {
  name = var.private_domain

  dynamic "vpc" {
    for_each = var.regions
    content {
      vpc_id     = vpc.value.vpc_id
      vpc_region = vpc.value.aws_region
    }
  }
}

locals {
  # The host of a URL (scheme://host:port), of host:port, or of a connection string's Host=.
  host_of = { for text in distinct(concat(
    flatten([for r in var.topology.regions : concat(r.nats[*].url, r.redis[*].url)]),
    [var.topology.central.core_url, var.topology.central.catalog_database],
    var.topology.central.aggregators[*].url,
    var.topology.shards[*].connection_string,
    )) : text => (
    can(regex("Host=([^;]+)", text)) ? regex("Host=([^;]+)", text)[0] : regex("^(?:[a-z]+://)?([^:/,]+)", text)[0]
  ) }

  a_records = merge([for region, r in var.topology.regions : {
    for s in r.nats : local.host_of[s.url] => var.regions[region].nats_private_ips[tostring(s.n)]
  }]...)

  cname_records = merge(
    { for region, r in var.topology.regions : local.host_of[r.redis[0].url] => var.regions[region].redis_configuration_endpoint },
    { (local.host_of[var.topology.central.core_url]) = var.central.core_internal_lb },
    { for a in var.topology.central.aggregators : local.host_of[a.url] => var.central.aggregator_lb },
    { (local.host_of[var.topology.central.catalog_database]) = var.central.database_addresses["catalog"] },
    { for s in var.topology.shards : local.host_of[s.connection_string] => var.central.database_addresses[s.name] },
  )
}

resource "aws_route53_record" "private_a" {
  for_each = local.a_records
  zone_id  = aws_route53_zone.private.zone_id
  name     = each.key
  type     = "A"
  ttl      = 30
  records  = [each.value]
}

resource "aws_route53_record" "private_cname" {
  for_each = local.cname_records
  zone_id  = aws_route53_zone.private.zone_id
  name     = each.key
  type     = "CNAME"
  ttl      = 30
  records  = [each.value]
}
