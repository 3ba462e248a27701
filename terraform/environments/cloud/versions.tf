terraform {
  # 1.11: write-only attributes and ephemeral variables keep the database password out of the state.
  required_version = "~> 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.90"
    }
  }

  # Partial configuration: `terraform init -backend-config=<environment>.s3.tfbackend`.
  backend "s3" {}
}
