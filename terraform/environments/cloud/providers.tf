# One provider per region; a module's instances cannot differ in provider, so each region is its own module block.
provider "aws" {
  alias  = "us_east"
  region = var.aws_regions["us-east"]
  default_tags {
    tags = local.tags
  }
}

provider "aws" {
  alias  = "eu_west"
  region = var.aws_regions["eu-west"]
  default_tags {
    tags = local.tags
  }
}

provider "aws" {
  alias  = "ap_south"
  region = var.aws_regions["ap-south"]
  default_tags {
    tags = local.tags
  }
}
