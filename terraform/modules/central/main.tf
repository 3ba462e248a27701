locals {
  prefix          = var.environment
  core_port       = var.topology.central.core_port
  aggregator_port = var.topology.central.aggregators[0].port
  auth_settings   = { Auth__Issuer = var.auth.issuer, Auth__Audience = var.auth.audience }
  # Npgsql takes the password from PGPASSWORD, so the topology's connection strings carry none.
  secrets = {
    Auth__SigningKey = var.auth.signing_key_secret_arn
    PGPASSWORD       = var.databases.password_secret_arn
  }
}

# ------------------------------------------------------------------ core: public API, and the edges' catalog source

module "core_public_lb" {
  source          = "../alb"
  name            = "${local.prefix}-core"
  internal        = false
  vpc_id          = var.network.vpc_id
  subnet_ids      = var.network.public_subnet_ids
  allowed_cidrs   = ["0.0.0.0/0"]
  certificate_arn = var.core.certificate_arn
  target_port     = local.core_port
}

# What the edges of every region call (topology core.url), over the peering.
module "core_internal_lb" {
  source        = "../alb"
  name          = "${local.prefix}-core-int"
  internal      = true
  vpc_id        = var.network.vpc_id
  subnet_ids    = var.network.private_subnet_ids
  allowed_cidrs = var.network.region_cidrs
  listen_port   = local.core_port
  target_port   = local.core_port
}

module "aggregator_lb" {
  source        = "../alb"
  name          = "${local.prefix}-aggregator"
  internal      = true
  vpc_id        = var.network.vpc_id
  subnet_ids    = var.network.private_subnet_ids
  allowed_cidrs = [var.network.vpc_cidr]
  listen_port   = local.aggregator_port
  target_port   = local.aggregator_port
}

resource "aws_security_group" "service" {
  for_each    = toset(["core", "aggregator"])
  name_prefix = "${local.prefix}-${each.key}-"
  vpc_id      = var.network.vpc_id
  description = "${each.key}: reached only from its load balancers"
}

resource "aws_vpc_security_group_ingress_rule" "service_from_lb" {
  for_each = {
    core_public   = { service = "core", lb = module.core_public_lb.security_group_id, port = local.core_port }
    core_internal = { service = "core", lb = module.core_internal_lb.security_group_id, port = local.core_port }
    aggregator    = { service = "aggregator", lb = module.aggregator_lb.security_group_id, port = local.aggregator_port }
  }
  security_group_id            = aws_security_group.service[each.value.service].id
  referenced_security_group_id = each.value.lb
  from_port                    = each.value.port
  to_port                      = each.value.port
  ip_protocol                  = "tcp"
}

resource "aws_vpc_security_group_egress_rule" "service_out" {
  for_each          = aws_security_group.service
  security_group_id = each.value.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
}

module "core" {
  source                 = "../service"
  name                   = "${local.prefix}-core"
  cluster_arn            = var.ecs_cluster_arn
  image                  = var.core.image
  executable             = "dotnet AiMoviez.Core.dll"
  port                   = local.core_port
  cpu                    = var.core.cpu
  memory                 = var.core.memory
  scaling                = { min = var.core.count, max = var.core.count }
  topology_parameter_arn = var.topology_parameter_arn
  subnet_ids             = var.network.private_subnet_ids
  security_group_ids     = [aws_security_group.service["core"].id]
  target_group_arns      = [module.core_public_lb.target_group_arn, module.core_internal_lb.target_group_arn]
  environment            = merge(var.core.settings, local.auth_settings)
  secrets                = local.secrets
}

module "aggregator" {
  source                 = "../service"
  name                   = "${local.prefix}-aggregator"
  cluster_arn            = var.ecs_cluster_arn
  image                  = var.aggregator.image
  executable             = "./AiMoviez.Aggregator"
  port                   = local.aggregator_port
  cpu                    = var.aggregator.cpu
  memory                 = var.aggregator.memory
  scaling                = { min = var.aggregator.count, max = var.aggregator.count }
  topology_parameter_arn = var.topology_parameter_arn
  subnet_ids             = var.network.private_subnet_ids
  security_group_ids     = [aws_security_group.service["aggregator"].id]
  target_group_arns      = [module.aggregator_lb.target_group_arn]
  environment            = var.aggregator.settings
  secrets                = local.secrets
}

# ------------------------------------------------------------------ PostgreSQL: the catalog and one per shard

locals {
  databases = merge(
    { catalog = merge(var.databases.catalog, { port = var.topology.central.catalog_port, database = "catalog", iops = null }) },
    { for s in var.topology.shards : s.name => merge(var.databases.shard, { port = s.port, database = "votes" }) }
  )
}

resource "aws_security_group" "database" {
  name_prefix = "${local.prefix}-postgres-"
  vpc_id      = var.network.vpc_id
  description = "PostgreSQL: core and the aggregators only"
}

resource "aws_vpc_security_group_ingress_rule" "database" {
  for_each                     = { for pair in setproduct(keys(aws_security_group.service), distinct([for d in local.databases : d.port])) : "${pair[0]}-${pair[1]}" => pair }
  security_group_id            = aws_security_group.database.id
  referenced_security_group_id = aws_security_group.service[each.value[0]].id
  from_port                    = each.value[1]
  to_port                      = each.value[1]
  ip_protocol                  = "tcp"
}

resource "aws_db_subnet_group" "this" {
  name       = "${local.prefix}-postgres"
  subnet_ids = var.network.private_subnet_ids
}

resource "aws_db_parameter_group" "this" {
  name_prefix = "${local.prefix}-postgres${var.databases.engine_version}-"
  family      = "postgres${var.databases.engine_version}"

  # The aggregators hold one writer connection per shard and core a pool; 300 as `./aimoviez up` starts PostgreSQL.
  parameter {
    name         = "max_connections"
    value        = "300"
    apply_method = "pending-reboot"
  }

  parameter {
    name  = "log_min_duration_statement"
    value = "1000"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_db_instance" "this" {
  for_each                     = local.databases
  identifier                   = "${local.prefix}-${each.key}"
  engine                       = "postgres"
  engine_version               = var.databases.engine_version
  instance_class               = each.value.instance_class
  allocated_storage            = each.value.storage_gb
  max_allocated_storage        = each.value.max_storage_gb
  storage_type                 = "gp3"
  iops                         = each.value.iops
  storage_encrypted            = true
  db_name                      = each.value.database
  port                         = each.value.port
  username                     = "aimoviez"
  password_wo                  = var.database_password
  password_wo_version          = var.databases.password_version
  multi_az                     = var.databases.multi_az
  db_subnet_group_name         = aws_db_subnet_group.this.name
  vpc_security_group_ids       = [aws_security_group.database.id]
  parameter_group_name         = aws_db_parameter_group.this.name
  backup_retention_period      = var.databases.backup_retention_days
  backup_window                = "03:00-04:00"
  maintenance_window           = "sun:04:30-sun:05:30"
  copy_tags_to_snapshot        = true
  deletion_protection          = true
  skip_final_snapshot          = false
  final_snapshot_identifier    = "${local.prefix}-${each.key}-final"
  performance_insights_enabled = true
  auto_minor_version_upgrade   = true
}
