# Named after the CLI flags they feed (`terraform output -json`, see README.md).

output "project" {
  value       = var.project
  description = "--project"
}

output "region" {
  value       = var.region
  description = "--region (Dataflow runner)"
}

output "dataset" {
  value       = google_bigquery_dataset.analytics.dataset_id
  description = "--dataset (BigQuery sink)"
}

output "tempLocation" {
  value       = local.temp_location
  description = "--tempLocation (Dataflow runner)"
}

output "stagingLocation" {
  value       = local.staging_location
  description = "--stagingLocation (Dataflow runner)"
}

output "templateLocation" {
  value       = local.template_location
  description = "Where the Flex Template specs go: <templateLocation>/<pipeline>.json"
}

output "serviceAccountEmail" {
  value       = google_service_account.worker.email
  description = "--serviceAccountEmail (Dataflow runner): the worker service account"
}

output "publisherServiceAccountEmail" {
  value       = google_service_account.publisher.email
  description = "The identity `npm run publish` (or any producer) runs as"
}

output "imageRepository" {
  value       = local.image_repository
  description = "Docker repository of the pipeline images: <imageRepository>/<image>:<tag>"
}

output "topics" {
  value       = { for name, t in google_pubsub_topic.input : name => t.name }
  description = "Per pipeline: its input topic (`npm run publish -- --topic`)"
}

output "subscriptions" {
  value       = { for name, s in google_pubsub_subscription.input : name => s.id }
  description = "Per pipeline: --subscription (projects/P/subscriptions/S)"
}

output "deadLetterSubscriptions" {
  value       = { for name, s in google_pubsub_subscription.dead_letter : name => s.id }
  description = "Per pipeline: where undeliverable messages wait"
}

output "tables" {
  value       = sort(concat([for t in google_bigquery_table.tables : t.table_id], [for v in google_bigquery_table.views : v.table_id]))
  description = "Every table and view in the dataset"
}

output "pipelineFlags" {
  value       = { for name, flags in local.pipeline_flags : name => join(" ", [for k, v in merge(local.direct_runner_flags, flags) : "--${k}=${v}"]) }
  description = "Per pipeline: its CLI flags against these resources, one string"
}

output "flexTemplateJobs" {
  value       = { for name, job in google_dataflow_flex_template_job.pipelines : name => job.job_id }
  description = "Per pipeline launched as a Flex Template: its Dataflow job id"
}
