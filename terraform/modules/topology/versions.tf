# Pure Terraform: no provider, so `terraform init` and `terraform test` run offline.
terraform {
  required_version = ">= 1.11.0, < 2.0.0"
}
