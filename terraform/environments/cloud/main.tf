locals {
  tags           = { Project = "aimoviez", Environment = var.environment, ManagedBy = "terraform" }
  private_domain = "${var.environment}.aimoviez.internal"
  home           = "us-east"
}

module "topology" {
  source        = "../../modules/topology"
  environment   = var.environment
  regions       = ["us-east", "eu-west", "ap-south"]
  shards        = var.shards
  season_shards = var.season_shards
  # One address per role: edges are reached through their load balancer, the aggregators through theirs, NATS by
  # node and Redis by its cluster's configuration endpoint.
  instances = { edges_per_region = 1, nats_per_region = 3, redis_per_region = 1, aggregators = 1 }
  endpoints = {
    edge        = { pattern = "http://0.0.0.0:{port}", port = 8081 }
    edge_public = "https://{region}.vote.${var.public_domain}"
    nats        = { pattern = "nats://nats-{n}.{region}.${local.private_domain}:{port}", port = 4222 }
    redis       = { pattern = "redis.{region}.${local.private_domain}:{port}", port = 6379 }
    core        = { pattern = "http://core.${local.private_domain}:{port}", port = 8080 }
    aggregator  = { pattern = "http://aggregator.${local.private_domain}:{port}", port = 8090 }
    catalog     = { pattern = "Host=catalog.${local.private_domain};Port={port};Username=aimoviez;Database=catalog;SSL Mode=Require", port = 5432 }
    shard       = { pattern = "Host={shard}.${local.private_domain};Port={port};Username=aimoviez;Database=votes;SSL Mode=Require", port = 5432 }
  }
}

data "aws_secretsmanager_secret" "signing_key" {
  provider = aws.us_east
  name     = var.auth.signing_key_secret_name
}

locals {
  region_inputs = { for region in ["us-east", "eu-west", "ap-south"] : region => {
    topology           = module.topology.regions[region]
    vpc_cidr           = var.vpc_cidrs[region]
    availability_zones = var.availability_zones[region]
    certificate_arn    = var.certificate_arns[region]
    edge = {
      image = var.images.edge, cpu = var.sizes.edge.cpu, memory = var.sizes.edge.memory
      min   = var.sizes.edge.min[region], max = var.sizes.edge.max[region]
    }
    # A replicated secret has the same name in every region and that region's ARN.
    auth = {
      issuer                 = var.auth.issuer
      audience               = var.auth.audience
      signing_key_secret_arn = replace(data.aws_secretsmanager_secret.signing_key.arn, ":${var.aws_regions["us-east"]}:", ":${var.aws_regions[region]}:")
    }
  } }
}

module "region_us_east" {
  source             = "../../modules/region"
  providers          = { aws = aws.us_east, aws.home = aws.us_east }
  environment        = var.environment
  name               = "us-east"
  topology           = local.region_inputs["us-east"].topology
  regions_json       = module.topology.regions_json
  vpc_cidr           = local.region_inputs["us-east"].vpc_cidr
  availability_zones = local.region_inputs["us-east"].availability_zones
  certificate_arn    = local.region_inputs["us-east"].certificate_arn
  edge               = local.region_inputs["us-east"].edge
  auth               = local.region_inputs["us-east"].auth
  nats               = var.sizes.nats
  redis              = { node_type = var.sizes.redis.node_type, shards = var.sizes.redis.shards["us-east"] }
}

locals {
  home_network = {
    vpc_id          = module.region_us_east.vpc_id
    vpc_cidr        = module.region_us_east.vpc_cidr
    aws_region      = module.region_us_east.aws_region
    route_table_ids = module.region_us_east.private_route_table_ids
  }
}

module "region_eu_west" {
  source             = "../../modules/region"
  providers          = { aws = aws.eu_west, aws.home = aws.us_east }
  environment        = var.environment
  name               = "eu-west"
  topology           = local.region_inputs["eu-west"].topology
  regions_json       = module.topology.regions_json
  vpc_cidr           = local.region_inputs["eu-west"].vpc_cidr
  availability_zones = local.region_inputs["eu-west"].availability_zones
  certificate_arn    = local.region_inputs["eu-west"].certificate_arn
  edge               = local.region_inputs["eu-west"].edge
  auth               = local.region_inputs["eu-west"].auth
  nats               = var.sizes.nats
  redis              = { node_type = var.sizes.redis.node_type, shards = var.sizes.redis.shards["eu-west"] }
  home               = local.home_network
}

module "region_ap_south" {
  source             = "../../modules/region"
  providers          = { aws = aws.ap_south, aws.home = aws.us_east }
  environment        = var.environment
  name               = "ap-south"
  topology           = local.region_inputs["ap-south"].topology
  regions_json       = module.topology.regions_json
  vpc_cidr           = local.region_inputs["ap-south"].vpc_cidr
  availability_zones = local.region_inputs["ap-south"].availability_zones
  certificate_arn    = local.region_inputs["ap-south"].certificate_arn
  edge               = local.region_inputs["ap-south"].edge
  auth               = local.region_inputs["ap-south"].auth
  nats               = var.sizes.nats
  redis              = { node_type = var.sizes.redis.node_type, shards = var.sizes.redis.shards["ap-south"] }
  home               = local.home_network
}

locals {
  regions = {
    us-east  = module.region_us_east
    eu-west  = module.region_eu_west
    ap-south = module.region_ap_south
  }
}

module "central" {
  source    = "../../modules/central"
  providers = { aws = aws.us_east }

  environment = var.environment
  topology    = { central = module.topology.central, shards = module.topology.shards }
  network = {
    vpc_id             = module.region_us_east.vpc_id
    vpc_cidr           = module.region_us_east.vpc_cidr
    private_subnet_ids = module.region_us_east.private_subnet_ids
    public_subnet_ids  = module.region_us_east.public_subnet_ids
    region_cidrs       = values(var.vpc_cidrs)
  }
  ecs_cluster_arn        = module.region_us_east.ecs_cluster_arn
  topology_parameter_arn = module.region_us_east.topology_parameter_arn
  core = {
    image           = var.images.core, cpu = var.sizes.core.cpu, memory = var.sizes.core.memory
    certificate_arn = var.certificate_arns[local.home]
  }
  aggregator = {
    image = var.images.aggregator, cpu = var.sizes.aggregator.cpu, memory = var.sizes.aggregator.memory
    count = var.sizes.aggregator.count
  }
  databases         = merge(var.sizes.databases, { password_secret_arn = var.database_password_secret_arn })
  database_password = var.database_password
  auth              = local.region_inputs[local.home].auth
}

module "global" {
  source    = "../../modules/global"
  providers = { aws = aws.us_east }

  environment    = var.environment
  public_zone_id = var.public_zone_id
  public_domain  = var.public_domain
  private_domain = local.private_domain
  topology = {
    regions = module.topology.regions
    central = module.topology.central
    shards  = module.topology.shards
  }
  regions = { for name, r in local.regions : name => {
    aws_region                   = r.aws_region
    vpc_id                       = r.vpc_id
    edge_lb                      = r.edge_lb
    nats_private_ips             = r.nats_private_ips
    redis_configuration_endpoint = r.redis_configuration_endpoint
  } }
  central = module.central
}
