# One VPC per region: small public subnets for the load balancer and the NAT gateway, large private ones for the rest.
data "aws_region" "current" {}

resource "aws_vpc" "this" {
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = { Name = local.prefix }
}

locals {
  prefix = "${var.environment}-${var.name}"
  zones  = { for i, az in var.availability_zones : az => i }
  # /27 public subnets: the load balancer's nodes take addresses only there, so those addresses are every proxy the
  # edges need to trust (AWS keeps the first four and the last one of each subnet).
  public_cidrs  = { for az, i in local.zones : az => cidrsubnet(var.vpc_cidr, 11, i) }
  private_cidrs = { for az, i in local.zones : az => cidrsubnet(var.vpc_cidr, 4, i + 1) }
  trusted_proxies = flatten([for az, cidr in local.public_cidrs : [
    for host in range(4, pow(2, 32 - tonumber(split("/", cidr)[1])) - 1) : cidrhost(cidr, host)
  ]])
}

resource "aws_subnet" "public" {
  for_each          = local.public_cidrs
  vpc_id            = aws_vpc.this.id
  availability_zone = each.key
  cidr_block        = each.value
  tags              = { Name = "${local.prefix}-public-${each.key}" }
}

resource "aws_subnet" "private" {
  for_each          = local.private_cidrs
  vpc_id            = aws_vpc.this.id
  availability_zone = each.key
  cidr_block        = each.value
  tags              = { Name = "${local.prefix}-private-${each.key}" }
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id
}

resource "aws_eip" "nat" {
  domain = "vpc"
}

# One NAT gateway per region: only image pulls and nats-server's download leave through it.
resource "aws_nat_gateway" "this" {
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.public[var.availability_zones[0]].id
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.this.id
  }
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.this.id

  route {
    cidr_block     = "0.0.0.0/0"
    nat_gateway_id = aws_nat_gateway.this.id
  }
}

resource "aws_route_table_association" "public" {
  for_each       = aws_subnet.public
  subnet_id      = each.value.id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table_association" "private" {
  for_each       = aws_subnet.private
  subnet_id      = each.value.id
  route_table_id = aws_route_table.private.id
}

# Peering with the home region: the aggregators there read this region's NATS, and the edges here read core there.
resource "aws_vpc_peering_connection" "home" {
  count       = var.home == null ? 0 : 1
  vpc_id      = aws_vpc.this.id
  peer_vpc_id = var.home.vpc_id
  peer_region = var.home.aws_region
  tags        = { Name = "${local.prefix}-to-home" }
}

resource "aws_vpc_peering_connection_accepter" "home" {
  provider                  = aws.home
  count                     = length(aws_vpc_peering_connection.home)
  vpc_peering_connection_id = aws_vpc_peering_connection.home[0].id
  auto_accept               = true
}

resource "aws_route" "to_home" {
  count                     = length(aws_vpc_peering_connection.home)
  route_table_id            = aws_route_table.private.id
  destination_cidr_block    = var.home.vpc_cidr
  vpc_peering_connection_id = aws_vpc_peering_connection.home[0].id
}

resource "aws_route" "from_home" {
  provider = aws.home
  # count, not for_each: the route table ids are known only after apply, their number before.
  count                     = var.home == null ? 0 : length(var.home.route_table_ids)
  route_table_id            = var.home.route_table_ids[count.index]
  destination_cidr_block    = var.vpc_cidr
  vpc_peering_connection_id = aws_vpc_peering_connection.home[0].id
}
