locals {
  bucket           = coalesce(var.bucket, "${var.project}-beam-video-analytics")
  dataset_location = coalesce(var.dataset_location, var.region)

  worker    = "serviceAccount:${google_service_account.worker.email}"
  publisher = "serviceAccount:${google_service_account.publisher.email}"
  # Pub/Sub's own service agent (service-PROJECT_NUMBER@gcp-sa-pubsub.iam.gserviceaccount.com)
  # forwards undeliverable messages to the dead-letter topics.
  pubsub_service_agent = "serviceAccount:${google_project_service_identity.pubsub.email}"

  temp_location     = "gs://${google_storage_bucket.pipelines.name}/temp"
  staging_location  = "gs://${google_storage_bucket.pipelines.name}/staging"
  template_location = "gs://${google_storage_bucket.pipelines.name}/templates"
  image_repository  = "${google_artifact_registry_repository.images.location}-docker.pkg.dev/${var.project}/${google_artifact_registry_repository.images.repository_id}"

  # What a pipeline needs to run against these resources, as CLI flags
  # (name = value, without --): the Flex Template jobs' parameters and the
  # pipelineFlags output. `npm test` checks every name is a CLI flag.
  common_flags = {
    project   = var.project
    streaming = "true"
    dataset   = google_bigquery_dataset.analytics.dataset_id
  }
  # Only for the direct runner (pipelineFlags): on Dataflow these have one value and are no template parameters.
  direct_runner_flags = {
    source = "pubsub"
    sink   = "bigquery"
  }
  pipeline_flags = { for name, s in google_pubsub_subscription.input : name => merge(local.common_flags, { subscription = s.id }) }
}

# Makes sure Pub/Sub's service agent exists before it is granted anything (it
# is otherwise created lazily); beta-only, like the Flex Template jobs.
resource "google_project_service_identity" "pubsub" {
  provider   = google-beta
  project    = var.project
  service    = "pubsub.googleapis.com"
  depends_on = [google_project_service.apis]
}

resource "google_project_service" "apis" {
  for_each = toset(var.enable_apis ? [
    "artifactregistry.googleapis.com",
    "bigquery.googleapis.com",
    "compute.googleapis.com",
    "dataflow.googleapis.com",
    "iam.googleapis.com",
    "pubsub.googleapis.com",
    "storage.googleapis.com",
  ] : [])
  project            = var.project
  service            = each.value
  disable_on_destroy = false
}
