# regions.json for the services of this region, read by their tasks at start (modules/service).
resource "aws_ssm_parameter" "topology" {
  name  = "/aimoviez/${var.environment}/regions.json"
  type  = "String"
  tier  = "Advanced"
  value = var.regions_json
}

resource "aws_ecs_cluster" "this" {
  name = local.prefix

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

# ------------------------------------------------------------------ edges behind the region's load balancer

module "edge_lb" {
  source          = "../alb"
  name            = "${local.prefix}-edge"
  internal        = false
  vpc_id          = aws_vpc.this.id
  subnet_ids      = [for s in aws_subnet.public : s.id]
  allowed_cidrs   = ["0.0.0.0/0"]
  certificate_arn = var.certificate_arn
  target_port     = local.edge_port
}

locals {
  edge_port = var.topology.edges[0].port
}

resource "aws_security_group" "edge" {
  name_prefix = "${local.prefix}-edge-"
  vpc_id      = aws_vpc.this.id
  description = "Edges: reached only from the region's load balancer"
}

resource "aws_vpc_security_group_ingress_rule" "edge_from_lb" {
  security_group_id            = aws_security_group.edge.id
  referenced_security_group_id = module.edge_lb.security_group_id
  from_port                    = local.edge_port
  to_port                      = local.edge_port
  ip_protocol                  = "tcp"
}

resource "aws_vpc_security_group_egress_rule" "edge_out" {
  security_group_id = aws_security_group.edge.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
}

module "edge" {
  source                 = "../service"
  name                   = "${local.prefix}-edge"
  cluster_arn            = aws_ecs_cluster.this.arn
  image                  = var.edge.image
  executable             = "./AiMoviez.Edge"
  port                   = local.edge_port
  cpu                    = var.edge.cpu
  memory                 = var.edge.memory
  scaling                = { min = var.edge.min, max = var.edge.max, target_cpu_percent = var.edge.target_cpu_percent }
  topology_parameter_arn = aws_ssm_parameter.topology.arn
  subnet_ids             = [for s in aws_subnet.private : s.id]
  security_group_ids     = [aws_security_group.edge.id]
  target_group_arns      = [module.edge_lb.target_group_arn]
  # The load balancer is the edges' only trusted proxy: every address its nodes can have (docs: network.tf).
  environment = merge(
    var.edge.settings,
    { Edge__Region = var.name, Auth__Issuer = var.auth.issuer, Auth__Audience = var.auth.audience },
    { for i, ip in local.trusted_proxies : "Edge__TrustedProxies__${i}" => ip }
  )
  secrets = { Auth__SigningKey = var.auth.signing_key_secret_arn }
}

# ------------------------------------------------------------------ the JetStream cluster: three nodes, own volumes

data "aws_ami" "debian" {
  most_recent = true
  owners      = ["136693071363"] # Debian's AWS account
  filter {
    name   = "name"
    values = ["debian-12-amd64-*"]
  }
}

resource "aws_security_group" "nats" {
  name_prefix = "${local.prefix}-nats-"
  vpc_id      = aws_vpc.this.id
  description = "NATS: clients from this VPC and the home VPC, routes between the nodes"
}

resource "aws_vpc_security_group_ingress_rule" "nats_clients" {
  for_each          = toset(compact([var.vpc_cidr, try(var.home.vpc_cidr, null)]))
  security_group_id = aws_security_group.nats.id
  cidr_ipv4         = each.value
  from_port         = local.nats_port
  to_port           = local.nats_port
  ip_protocol       = "tcp"
}

resource "aws_vpc_security_group_ingress_rule" "nats_routes" {
  security_group_id            = aws_security_group.nats.id
  referenced_security_group_id = aws_security_group.nats.id
  from_port                    = local.nats_route_port
  to_port                      = local.nats_route_port
  ip_protocol                  = "tcp"
}

resource "aws_vpc_security_group_egress_rule" "nats_out" {
  security_group_id = aws_security_group.nats.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
}

locals {
  nats_port       = var.topology.nats[0].port
  nats_route_port = 6222
  # nats://nats-1.us-east.production.aimoviez.internal:4222 -> nats-1.us-east.production.aimoviez.internal
  nats_hosts = { for s in var.topology.nats : s.n => regex("^nats://([^:]+):", s.url)[0] }
  nats_zone  = { for s in var.topology.nats : s.n => var.availability_zones[(s.n - 1) % 3] }
}

resource "aws_ebs_volume" "nats" {
  for_each          = local.nats_hosts
  availability_zone = local.nats_zone[each.key]
  type              = "gp3"
  size              = var.nats.volume_gb
  iops              = var.nats.volume_iops
  throughput        = var.nats.volume_throughput
  encrypted         = true
  tags              = { Name = "${local.prefix}-nats-${each.key}" }
}

resource "aws_instance" "nats" {
  for_each                    = local.nats_hosts
  ami                         = data.aws_ami.debian.id
  instance_type               = var.nats.instance_type
  subnet_id                   = aws_subnet.private[local.nats_zone[each.key]].id
  vpc_security_group_ids      = [aws_security_group.nats.id]
  user_data_replace_on_change = true
  user_data = templatefile("${path.module}/nats.sh.tftpl", {
    version     = var.nats.version
    server_name = "nats-${each.key}"
    cluster     = "aimoviez-${var.name}"
    client_port = local.nats_port
    route_port  = local.nats_route_port
    routes      = [for n, host in local.nats_hosts : "nats-route://${host}:${local.nats_route_port}"]
    volume_id   = replace(aws_ebs_volume.nats[each.key].id, "-", "")
    # JetStream may fill the volume up to 90 %; the streams' own limits (7 days of votes) normally stop well short.
    max_file_store = "${floor(var.nats.volume_gb * 0.9)}G"
  })

  metadata_options {
    http_tokens = "required"
  }

  tags = { Name = "${local.prefix}-nats-${each.key}" }
}

resource "aws_volume_attachment" "nats" {
  for_each    = local.nats_hosts
  device_name = "/dev/sdf"
  volume_id   = aws_ebs_volume.nats[each.key].id
  instance_id = aws_instance.nats[each.key].id
}

# ------------------------------------------------------------------ the Redis Cluster

resource "aws_security_group" "redis" {
  name_prefix = "${local.prefix}-redis-"
  vpc_id      = aws_vpc.this.id
  description = "Redis: the edges only"
}

resource "aws_vpc_security_group_ingress_rule" "redis_from_edges" {
  security_group_id            = aws_security_group.redis.id
  referenced_security_group_id = aws_security_group.edge.id
  from_port                    = var.topology.redis[0].port
  to_port                      = var.topology.redis[0].port
  ip_protocol                  = "tcp"
}

resource "aws_elasticache_subnet_group" "redis" {
  name       = "${local.prefix}-redis"
  subnet_ids = [for s in aws_subnet.private : s.id]
}

resource "aws_elasticache_replication_group" "redis" {
  replication_group_id       = "${local.prefix}-redis"
  description                = "AiMoviez ${var.environment} ${var.name}: rate windows, idempotency keys, receipts"
  engine                     = "redis"
  engine_version             = var.redis.engine_version
  node_type                  = var.redis.node_type
  port                       = var.topology.redis[0].port
  parameter_group_name       = "default.redis${split(".", var.redis.engine_version)[0]}.cluster.on"
  num_node_groups            = var.redis.shards
  replicas_per_node_group    = var.redis.replicas_per_shard
  automatic_failover_enabled = true
  multi_az_enabled           = true
  subnet_group_name          = aws_elasticache_subnet_group.redis.name
  security_group_ids         = [aws_security_group.redis.id]
  at_rest_encryption_enabled = true
  # In-transit TLS needs ssl=true in the services' Redis options, which the topology's plain host:port does not carry.
  transit_encryption_enabled = false
  snapshot_retention_limit   = 1
  apply_immediately          = false
}
