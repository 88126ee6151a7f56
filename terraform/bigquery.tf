resource "google_bigquery_dataset" "analytics" {
  dataset_id  = var.dataset
  location    = local.dataset_location
  description = "beam-video-analytics: every table the pipelines write (schemas/)."
  labels      = var.labels
  depends_on  = [google_project_service.apis]
}

# One table per table entry of the manifest (local.tables): schema,
# partitioning, clustering and key all come from the table specs through
# `npm run schemas`. A merged table's <t>__versions and <t>__state are among
# them; the merged table itself is a view (below), as the BigQuery sink makes it.
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

# One view per view entry of the manifest (local.views): a merged table, the
# latest version per key of its <t>__versions table. The query is the sink's
# (latestViewSql of io/bigquery/tables.ts), so the sink accepts the view.
resource "google_bigquery_table" "views" {
  for_each            = local.views
  dataset_id          = google_bigquery_dataset.analytics.dataset_id
  table_id            = each.key
  description         = each.value.description
  deletion_protection = var.table_deletion_protection
  labels              = var.labels

  view {
    query          = each.value.query
    use_legacy_sql = false
  }

  # A view's query is checked when it is created: the tables it reads must exist.
  depends_on = [google_bigquery_table.tables]
}

# The worker writes rows into the dataset's tables, and nowhere else.
resource "google_bigquery_dataset_iam_member" "worker_data_editor" {
  dataset_id = google_bigquery_dataset.analytics.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = local.worker
}
