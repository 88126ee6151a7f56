# Optional: the pipelines named in var.flex_template_jobs run as Dataflow
# Flex Template jobs, from the templates built into gs://BUCKET/templates/
# (templates/README.md). Empty by default: apply the rest first, build and
# push the images and templates, then set the variable and apply again.
resource "google_dataflow_flex_template_job" "pipelines" {
  provider                = google-beta
  for_each                = var.flex_template_jobs
  project                 = var.project
  region                  = var.region
  name                    = local.dataflow_job_names[each.key]
  container_spec_gcs_path = "${local.template_location}/${each.key}.json"
  service_account_email   = google_service_account.worker.email
  temp_location           = local.temp_location
  staging_location        = local.staging_location
  max_workers             = var.flex_template_max_workers
  enable_streaming_engine = true
  # Streaming: finish what was read before stopping, on destroy or replacement.
  on_delete  = "drain"
  labels     = var.labels
  parameters = merge(local.pipeline_flags[each.key], lookup(var.flex_template_parameters, each.key, {}))

  # The job must not start before its worker may read, write and run.
  depends_on = [
    google_project_iam_member.worker_dataflow,
    google_project_iam_member.worker_bigquery_jobs,
    google_pubsub_subscription_iam_member.worker_subscriber,
    google_pubsub_subscription_iam_member.worker_viewer,
    google_bigquery_dataset_iam_member.worker_data_editor,
    google_bigquery_table.tables,
    google_storage_bucket_iam_member.worker_objects,
    google_artifact_registry_repository_iam_member.worker_reader,
  ]
}
