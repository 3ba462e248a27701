terraform {
  required_version = ">= 1.11.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.90.0, < 6.0.0"
      # aws: this region; aws.home: the region of the central services, whose VPC this one peers with.
      configuration_aliases = [aws.home]
    }
  }
}
