# Written by `npm run schemas` from the table specs in schemas/: the manifest
# (name, description, partition and clustering columns, key, schema file) and
# one BigQuery schema file per table. A table added to the code appears here
# without editing Terraform. This file needs no provider: `npm test` evaluates
# it with `terraform console`.
locals {
  schema_dir = "${path.module}/../schemas/bigquery"
  tables     = { for t in jsondecode(file("${local.schema_dir}/tables.json")) : t.name => t }
}
