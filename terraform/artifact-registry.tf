# The pipeline images (the Flex Template launcher, which also serves as the worker SDK image).
resource "google_artifact_registry_repository" "images" {
  location      = var.region
  repository_id = var.artifact_repository
  format        = "DOCKER"
  description   = "beam-video-analytics pipeline images"
  labels        = var.labels
  depends_on    = [google_project_service.apis]
}

# The launcher VM and the workers pull the images, from this repository only.
resource "google_artifact_registry_repository_iam_member" "worker_reader" {
  location   = google_artifact_registry_repository.images.location
  repository = google_artifact_registry_repository.images.name
  role       = "roles/artifactregistry.reader"
  member     = local.worker
}
