# temp/ (Dataflow's temporary files), staging/ (the job's staged packages)
# and templates/ (Flex Template specs), in one bucket.
resource "google_storage_bucket" "pipelines" {
  name                        = local.bucket
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  labels                      = var.labels

  # Temporary files of finished or failed jobs are never read again.
  lifecycle_rule {
    condition {
      age            = var.temp_retention_days
      matches_prefix = ["temp/"]
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.apis]
}

# The worker reads staged files and writes temporary ones, in this bucket only.
resource "google_storage_bucket_iam_member" "worker_objects" {
  bucket = google_storage_bucket.pipelines.name
  role   = "roles/storage.objectAdmin"
  member = local.worker
}

# Launchers read the template specs they launch.
resource "google_storage_bucket_iam_member" "launcher_templates" {
  for_each = toset(var.launcher_members)
  bucket   = google_storage_bucket.pipelines.name
  role     = "roles/storage.objectViewer"
  member   = each.value
}
