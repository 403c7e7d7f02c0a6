# The seed's Terraform root (regional and global modules); ferry's scenario does not run
# Terraform, its buildspec stands in for `terraform apply`.
provider "aws" {
  region = var.region
  assume_role {
    role_arn     = "arn:aws:iam::${var.account}:role/InfraBuildRole"
    session_name = "INFRA_BUILD"
  }
}
