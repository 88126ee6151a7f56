resource "google_bigquery_dataset" "analytics" {
  dataset_id  = var.dataset
  location    = local.dataset_location
  description = "beam-video-analytics: every table the pipelines write (schemas/)."
  labels      = var.labels
  depends_on  = [google_project_service.apis]
}

# One table per entry of the manifest (local.tables): schema, partitioning,
# clustering and key all come from the table specs through `npm run schemas`.
resource "google_bigquery_table" "tables" {
  for_each            = local.tables
  dataset_id          = google_bigquery_dataset.analytics.dataset_id
  table_id            = each.key
  description         = each.value.description
  schema              = file("${local.schema_dir}/${each.value.schemaFile}")
  clustering          = each.value.clustering
  deletion_protection = var.table_deletion_protection
  labels              = var.labels

  time_partitioning {
    type          = "DAY"
    field         = each.value.partitionField
    expiration_ms = var.partition_expiration_days == null ? null : var.partition_expiration_days * 86400000
  }

  # The sink's key, declared (BigQuery does not enforce it) so the optimizer can use it.
  dynamic "table_constraints" {
    for_each = length(each.value.primaryKey) > 0 ? [each.value.primaryKey] : []
    content {
      primary_key {
        columns = table_constraints.value
      }
    }
  }
}

# The worker writes rows into the dataset's tables, and nowhere else.
resource "google_bigquery_dataset_iam_member" "worker_data_editor" {
  dataset_id = google_bigquery_dataset.analytics.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = local.worker
}
