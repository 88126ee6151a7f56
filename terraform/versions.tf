terraform {
  # 1.5: the syntax used here; `terraform validate` is the check users run (see README.md).
  required_version = ">= 1.5"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.0, < 8.0"
    }
    # Only for what the google provider does not have: the Pub/Sub service
    # agent's identity and google_dataflow_flex_template_job.
    google-beta = {
      source  = "hashicorp/google-beta"
      version = ">= 6.0, < 8.0"
    }
  }
}

provider "google" {
  project = var.project
  region  = var.region
}

provider "google-beta" {
  project = var.project
  region  = var.region
}
