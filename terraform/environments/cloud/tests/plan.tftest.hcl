# The whole AWS composition planned against mocked providers: types, for_each keys, module wiring and the values
# computed from the topology, without an AWS account. Needs the aws provider plugin locally (terraform init
# -plugin-dir); run with -var-file=production.tfvars or staging.tfvars. What only a real plan checks: terraform/README.md.

mock_provider "aws" {
  alias = "us_east"
  mock_data "aws_secretsmanager_secret" {
    defaults = { arn = "arn:aws:secretsmanager:us-east-1:000000000000:secret:aimoviez/signing-key-AbCdEf" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
}

mock_provider "aws" {
  alias = "eu_west"
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
}

mock_provider "aws" {
  alias = "ap_south"
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
  mock_data "aws_region" {
    defaults = { name = "ap-south-1" }
  }
}

run "plans" {
  command = plan

  assert {
    condition     = jsondecode(output.regions_json).regions[1].edgeUrl == "https://eu-west.vote.${var.public_domain}"
    error_message = "a region's edgeUrl is its public name, which global points at its load balancer."
  }

  assert {
    # Three /27 subnets, 27 usable addresses each: every address the load balancer can have.
    condition     = output.trusted_proxies == { us-east = 81, eu-west = 81, ap-south = 81 }
    error_message = "the edges must trust exactly their load balancer subnets' addresses."
  }

  assert {
    condition     = local.region_inputs["ap-south"].auth.signing_key_secret_arn == "arn:aws:secretsmanager:ap-south-1:000000000000:secret:aimoviez/signing-key-AbCdEf"
    error_message = "each region reads the signing key's replica in its own region."
  }

  assert {
    condition     = output.vote_name == "vote.${var.public_domain}"
    error_message = "clients vote at vote.<domain>."
  }

  assert {
    condition     = join(",", sort(keys(module.central.database_addresses))) == join(",", sort(concat(["catalog"], var.shards)))
    error_message = "one PostgreSQL for the catalog and one per shard."
  }

  assert {
    condition     = length(module.region_eu_west.nats_private_ips) == 3
    error_message = "every region runs three NATS nodes."
  }
}
