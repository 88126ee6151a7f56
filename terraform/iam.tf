# The two identities. Their resource-scoped grants sit beside the resources
# (pubsub.tf, bigquery.tf, storage.tf, artifact-registry.tf); here only the
# roles that exist at project level alone (`npm test` keeps that list).

resource "google_service_account" "worker" {
  account_id   = var.worker_service_account_id
  display_name = "beam-video-analytics Dataflow worker"
  description  = "Runs the pipelines on Dataflow: reads their subscriptions, writes the dataset, uses the bucket."
  depends_on   = [google_project_service.apis]
}

resource "google_service_account" "publisher" {
  account_id   = var.publisher_service_account_id
  display_name = "beam-video-analytics event publisher"
  description  = "Publishes events to the pipelines' input topics, and nothing else."
  depends_on   = [google_project_service.apis]
}

# Dataflow workers lease work, report progress, write logs and metrics: granted on projects only.
resource "google_project_iam_member" "worker_dataflow" {
  project = var.project
  role    = "roles/dataflow.worker"
  member  = local.worker
}

# BigQuery jobs (load jobs, the sink's MERGE queries) run in a project: granted on projects only.
resource "google_project_iam_member" "worker_bigquery_jobs" {
  project = var.project
  role    = "roles/bigquery.jobUser"
  member  = local.worker
}

# Launchers create, update, drain and cancel jobs: Dataflow grants that on projects only.
resource "google_project_iam_member" "launcher_dataflow" {
  for_each = toset(var.launcher_members)
  project  = var.project
  role     = "roles/dataflow.developer"
  member   = each.value
}

# Launchers run jobs as the worker service account, and as no other.
resource "google_service_account_iam_member" "launcher_acts_as_worker" {
  for_each           = toset(var.launcher_members)
  service_account_id = google_service_account.worker.name
  role               = "roles/iam.serviceAccountUser"
  member             = each.value
}
