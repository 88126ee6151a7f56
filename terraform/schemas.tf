# Written by `npm run schemas` from the table specs in schemas/: the manifest
# and one BigQuery schema file per table. Each manifest entry is a table
# (name, description, partition and clustering columns, key, schema file) or a
# view (name, description, query). A merged table (the pipelines' `merges`) is
# there as the BigQuery sink stores it: tables <t>__versions and <t>__state and
# a view <t> of the latest version per key. A view's query names its project
# and dataset as {project} and {dataset}, replaced here. A table added to the
# code appears here without editing Terraform. This file needs no provider:
# `npm test` evaluates it with `terraform console`.
locals {
  schema_dir = "${path.module}/../schemas/bigquery"
  manifest   = jsondecode(file("${local.schema_dir}/tables.json"))
  tables     = { for t in local.manifest : t.name => t if t.kind == "table" }
  views = { for v in local.manifest : v.name => merge(v, {
    query = replace(replace(v.query, "{project}", var.project), "{dataset}", var.dataset)
  }) if v.kind == "view" }
}
