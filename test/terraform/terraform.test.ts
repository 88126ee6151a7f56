import { expect } from "chai";
import { spawnSync } from "child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync } from "fs";
import { join } from "path";
import { allTables, allViews, BIGQUERY_SCHEMA_DIR, mergedTableNames, schemaSource } from "../../cli/schemas";
import { bigQueryViewSql } from "../../schemas/views";
import { OptionSpec } from "../../pipelines/options";
import { COMMON_OPTIONS } from "../../runners/settings";
import { latestViewSql, stateTableName, versionsTableName } from "../../io/bigquery/tables";
import { TOPICS } from "../../io/pubsub/names";
import { SUBSCRIPTION_SETTINGS } from "../../io/pubsub/resources";
import { PIPELINES } from "../../pipelines/registry";
import { BIGQUERY_MANIFEST_FILE, bigQueryManifest, bigQuerySchema, VIEW_PLACEHOLDERS } from "../../schemas/bigquery";
import { ROOT, tempDir } from "../helpers";
import { bigQueryDeclarations, checkTerraform, CodeFacts, grantedRoles, parseTerraform, PROJECT_LEVEL_ROLES, readTerraformDir, resources, tablesNamed, TerraformConfig } from "./checker";

const TERRAFORM_DIR = join(ROOT, "terraform");

/** The values of the code Terraform must agree with, as they are now. */
const CODE: CodeFacts = {
  topics: TOPICS,
  subscriptionSettings: SUBSCRIPTION_SETTINGS,
  flags: [...COMMON_OPTIONS, ...Object.values(PIPELINES).flatMap((p) => p.options)],
  manifestPath: join(ROOT, BIGQUERY_SCHEMA_DIR, BIGQUERY_MANIFEST_FILE),
  mergedTables: allTables().filter((t) => mergedTableNames().has(t.name)),
  viewPlaceholders: VIEW_PLACEHOLDERS,
};

/** The real configuration with one file's text changed, parsed. */
async function edited(file: string, edit: (text: string) => string): Promise<TerraformConfig> {
  const texts = readTerraformDir(TERRAFORM_DIR);
  const changed = edit(texts.get(file)!);
  expect(changed, `the edit of ${file} changed nothing`).to.not.equal(texts.get(file));
  texts.set(file, changed);
  return parseTerraform(TERRAFORM_DIR, texts);
}

/** Runs the terraform binary (stdin optional), or undefined when it is not installed. */
function terraform(args: readonly string[], input?: string): { status: number | null; stdout: string; output: string } | undefined {
  const result = spawnSync("terraform", args, { encoding: "utf8", timeout: 60_000, input });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") return undefined;
  return { status: result.status, stdout: result.stdout, output: `${result.stdout}${result.stderr}` };
}

describe("Terraform (terraform/) against the code", () => {
  let config: TerraformConfig;
  const evalDir = tempDir();
  before(async () => {
    config = await parseTerraform(TERRAFORM_DIR, readTerraformDir(TERRAFORM_DIR));
  });

  it("agrees with the code: Pub/Sub names and settings, tables from the schema manifest, CLI flags and outputs, least privilege", () => {
    expect(checkTerraform(config, CODE)).to.deep.equal([]);
  });

  it("is formatted: terraform fmt -check -recursive terraform (run terraform fmt -recursive terraform when this fails)", function () {
    const result = terraform(["fmt", "-check", "-recursive", "-diff", "-no-color", TERRAFORM_DIR]);
    if (result === undefined) {
      process.stdout.write("      (terraform is not on PATH: install Terraform >= 1.5 to check formatting)\n");
      this.skip();
    }
    expect(result!.status, `terraform fmt -check failed: run terraform fmt -recursive terraform\n${result!.output}`).to.equal(0);
  });

  it("validates with terraform validate where the providers are installed (terraform -chdir=terraform init)", function () {
    // Providers come from the Terraform registry, which this machine cannot reach; after `init` elsewhere they sit in .terraform/.
    if (!existsSync(join(TERRAFORM_DIR, ".terraform", "providers"))) {
      process.stdout.write("      (providers not installed: run terraform -chdir=terraform init where the registry is reachable to let this test run terraform validate)\n");
      this.skip();
    }
    const result = terraform(["-chdir=" + TERRAFORM_DIR, "validate", "-no-color"]);
    if (result === undefined) this.skip();
    expect(result!.status, result!.output).to.equal(0);
  });

  it("evaluated by Terraform itself (terraform console on schemas.tf), creates exactly the tables and views of the schema source, with their schemas and the sink's view queries", function () {
    // schemas.tf needs no provider, so Terraform can evaluate it here: in a copy whose ../schemas is the repository's.
    const dir = evalDir;
    mkdirSync(join(dir, "terraform"));
    for (const file of ["schemas.tf", "variables.tf"]) copyFileSync(join(TERRAFORM_DIR, file), join(dir, "terraform", file));
    symlinkSync(join(ROOT, "schemas"), join(dir, "schemas"));
    const where = { project: "console-project", dataset: "console_dataset" };
    const expression =
      'jsonencode({ tables = { for name, t in local.tables : name => merge(t, { schema = jsondecode(file("${local.schema_dir}/${t.schemaFile}")) }) }, views = local.views })';
    const result = terraform(["-chdir=" + join(dir, "terraform"), "console", `-var=project=${where.project}`, `-var=dataset=${where.dataset}`], expression);
    if (result === undefined) {
      process.stdout.write("      (terraform is not on PATH: install Terraform >= 1.5 to evaluate the table declarations)\n");
      this.skip();
    }
    expect(result!.status, result!.output).to.equal(0);
    // The console prints the string as an HCL literal: JSON's escapes, plus $${ and %%{ for template sequences.
    const declared = JSON.parse((JSON.parse(result!.stdout.trim()) as string).replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{"));
    const objects = schemaSource();
    const entries = bigQueryManifest(objects);
    const expected = { tables: new Map<string, object>(), views: new Map<string, object>() };
    objects.forEach((o, i) => {
      if (o.kind === "table") expected.tables.set(o.table.name, { ...entries[i], schema: bigQuerySchema(o.table) });
      else {
        // A merged table's latest-row view, or an analytical view (schemas/views.ts).
        const analytical = allViews().find((v) => v.name === o.table.name);
        const query = analytical ? bigQueryViewSql(analytical, where.project, where.dataset) : latestViewSql(where.project, where.dataset, o.table);
        expected.views.set(o.table.name, { ...entries[i], query });
      }
    });
    expect(declared.tables).to.deep.equal(Object.fromEntries(expected.tables));
    expect(declared.views).to.deep.equal(Object.fromEntries(expected.views));
  });

  it("declares every merged table of the code as a view, with its __versions and __state tables, as the BigQuery sink stores it", () => {
    const declared = bigQueryDeclarations(config)!;
    expect(CODE.mergedTables).to.not.be.empty;
    for (const table of CODE.mergedTables) {
      expect(declared.views.get(table.name), table.name).to.equal("google_bigquery_table.views");
      expect(declared.tables.has(table.name), table.name).to.equal(false);
      for (const name of [versionsTableName(table), stateTableName(table)]) expect(declared.tables.get(name), name).to.equal("google_bigquery_table.tables");
    }
    const merged = new Set(CODE.mergedTables.map((t) => t.name));
    expect([...declared.views.keys()].sort()).to.deep.equal([...merged, ...allViews().map((v) => v.name)].sort());
    expect(allTables().filter((t) => !merged.has(t.name)).every((t) => declared.tables.has(t.name))).to.equal(true);
  });

  it("grants no role that docs/deploy.md does not explain", () => {
    const docs = readFileSync(join(ROOT, "docs", "deploy.md"), "utf8");
    expect(grantedRoles(config).filter((role) => !docs.includes(`\`${role}\``))).to.deep.equal([]);
  });

  it("lets the publisher service account publish, to the pipelines' input topics only", () => {
    const grants = resources(config).filter((r) => r.type.endsWith("_iam_member") && r.body.member === "${local.publisher}");
    expect(grants.map((r) => ({ type: r.type, role: r.body.role, on: r.body.for_each }))).to.deep.equal([
      { type: "google_pubsub_topic_iam_member", role: "roles/pubsub.publisher", on: "${google_pubsub_topic.input}" },
    ]);
  });

  it("grants the worker service account nothing on topics, and project-wide only allow-listed roles", () => {
    const grants = resources(config).filter((r) => r.type.endsWith("_iam_member") && r.body.member === "${local.worker}");
    expect(grants.map((r) => r.type)).to.not.include("google_pubsub_topic_iam_member");
    const projectWide = grants.filter((r) => r.type === "google_project_iam_member").map((r) => r.body.role as string);
    expect(projectWide).to.not.be.empty;
    for (const role of projectWide) expect(PROJECT_LEVEL_ROLES[role], role).to.be.a("string");
  });

  describe("a change to the code alone fails with what to change in Terraform", () => {
    it("a renamed topic", () => {
      const topics = { ...TOPICS, alerts: { ...TOPICS.alerts, topic: "playback-events" } };
      expect(checkTerraform(config, { ...CODE, topics })).to.deep.equal([
        'topic playback-events in the code (TOPICS.alerts.topic, io/pubsub/names.ts) but Terraform variable pubsub.alerts.topic defaults to "video-playback-events": change terraform/variables.tf',
      ]);
    });

    it("a renamed dead-letter subscription", () => {
      const topics = { ...TOPICS, ott: { ...TOPICS.ott, deadLetterSubscription: "ott-dlq-sub" } };
      expect(checkTerraform(config, { ...CODE, topics })).to.deep.equal([
        'dead-letter subscription ott-dlq-sub in the code (TOPICS.ott.deadLetterSubscription, io/pubsub/names.ts) but Terraform variable pubsub.ott.dead_letter_subscription defaults to "ott-viewing-events-dead-letter-sub": change terraform/variables.tf',
      ]);
    });

    it("a pipeline added to the code, and one removed", () => {
      const added = { ...TOPICS, ads: { ...TOPICS.alerts, topic: "ad-events" } };
      expect(checkTerraform(config, { ...CODE, topics: added })).to.deep.equal([
        "pipeline ads has Pub/Sub names in the code (TOPICS.ads, io/pubsub/names.ts) but the default of Terraform variable pubsub has no ads: add it in terraform/variables.tf",
      ]);
      const removed = { alerts: TOPICS.alerts, conversations: TOPICS.conversations };
      expect(checkTerraform(config, { ...CODE, topics: removed })).to.deep.equal([
        "Terraform variable pubsub declares pipeline ott, which has no Pub/Sub names in the code (io/pubsub/names.ts): remove it from terraform/variables.tf",
      ]);
    });

    it("a changed subscription setting", () => {
      const subscriptionSettings = { ...SUBSCRIPTION_SETTINGS, ackDeadlineSeconds: SUBSCRIPTION_SETTINGS.ackDeadlineSeconds * 2 };
      expect(checkTerraform(config, { ...CODE, subscriptionSettings })).to.deep.equal([
        `SUBSCRIPTION_SETTINGS.ackDeadlineSeconds is ${subscriptionSettings.ackDeadlineSeconds} in io/pubsub/resources.ts but Terraform variable ack_deadline_seconds defaults to ${SUBSCRIPTION_SETTINGS.ackDeadlineSeconds}: change terraform/variables.tf`,
      ]);
    });

    it("a renamed CLI flag that Terraform passes", () => {
      const flags = CODE.flags.map((f): OptionSpec => (f.name === "subscription" ? { ...f, name: "subscriptionName" } : f));
      expect(checkTerraform(config, { ...CODE, flags })).to.deep.equal([
        "Terraform passes --subscription (terraform/main.tf, local.common_flags or local.pipeline_flags) but the CLI has no such flag: use the name runners/settings.ts or the pipeline's options give it",
      ]);
    });

    it("a CLI --dataset default other than Terraform's", () => {
      const flags = [...CODE.flags.filter((f) => f.name !== "dataset"), { name: "dataset", type: "string", default: "analytics", description: "BigQuery dataset" } as OptionSpec];
      expect(checkTerraform(config, { ...CODE, flags })).to.deep.equal([
        '--dataset defaults to analytics in the CLI but Terraform variable dataset defaults to "video_analytics": change terraform/variables.tf',
      ]);
    });

    it("a manifest written somewhere else", () => {
      const manifestPath = join(ROOT, "schemas", "bq", BIGQUERY_MANIFEST_FILE);
      const problems = checkTerraform(config, { ...CODE, manifestPath });
      expect(problems[0]).to.equal(`Terraform reads the table manifest at ${CODE.manifestPath} but npm run schemas writes it to ${manifestPath}: change local.manifest in terraform/schemas.tf`);
    });

    it("a table merged in the code that the manifest still lists as a plain table", () => {
      const orders = allTables().find((t) => t.name === "orders")!;
      expect(checkTerraform(config, { ...CODE, mergedTables: [...CODE.mergedTables, orders] })).to.deep.equal([
        "google_bigquery_table.tables would create the merged table orders as a plain table, but the BigQuery sink stores a merged table as a view over <table>__versions and <table>__state (io/bigquery/tables.ts) and stops on a table that is not a view: run npm run schemas (the manifest lists them as tables)",
        `Terraform does not create ${versionsTableName(orders)}, ${stateTableName(orders)}, which the BigQuery sink writes for merged tables (versionsTable and stateTable of io/bigquery/tables.ts): run npm run schemas, and declare the manifest's table entries (local.tables = { for t in local.manifest : t.name => t if t.kind == "table" })`,
      ]);
    });

    it("another placeholder for the project in the manifest's view queries", () => {
      const viewPlaceholders = { ...VIEW_PLACEHOLDERS, project: "@project" };
      expect(checkTerraform(config, { ...CODE, viewPlaceholders })).to.deep.equal([
        'the manifest\'s view queries name the project @project (VIEW_PLACEHOLDERS.project, schemas/bigquery.ts) but google_bigquery_table.views (terraform/bigquery.tf) does not replace it: replace(v.query, "@project", var.project) in local.views (terraform/schemas.tf)',
      ]);
    });
  });

  describe("a change to Terraform alone fails with what is wrong", () => {
    it("a subscription setting hard-coded instead of taken from its variable", async () => {
      const changed = await edited("pubsub.tf", (text) => text.replace("ack_deadline_seconds       = var.ack_deadline_seconds", "ack_deadline_seconds       = 30"));
      expect(checkTerraform(changed, CODE)).to.deep.equal([
        "google_pubsub_subscription.input does not use var.ack_deadline_seconds (SUBSCRIPTION_SETTINGS.ackDeadlineSeconds): set it from the variable in terraform/pubsub.tf",
      ]);
    });

    it("a table with hand-written columns", async () => {
      const table = '\nresource "google_bigquery_table" "extra" {\n  dataset_id = "x"\n  table_id   = "extra"\n  schema     = jsonencode([{ name = "id", type = "STRING" }])\n}\n';
      const changed = await edited("bigquery.tf", (text) => text + table);
      expect(checkTerraform(changed, CODE)).to.deep.equal([
        "google_bigquery_table.extra (terraform/bigquery.tf) is not declared from the manifest: tables come from the schema source through npm run schemas; use for_each = local.tables (or remove the hand-written table)",
      ]);
    });

    it("tables declared from every manifest entry: the merged tables would be plain tables, which the sink refuses", async () => {
      const changed = await edited("schemas.tf", (text) => text.replace(' if t.kind == "table"', ""));
      expect(checkTerraform(changed, CODE)).to.deep.equal([
        `google_bigquery_table.tables would create the merged ${tablesNamed(CODE.mergedTables.map((t) => t.name))} as plain tables, but the BigQuery sink stores a merged table as a view over <table>__versions and <table>__state (io/bigquery/tables.ts) and stops on a table that is not a view: declare tables from the manifest's table entries only: local.tables = { for t in local.manifest : t.name => t if t.kind == "table" }`,
      ]);
    });

    it("no view resource: the merged tables would be missing", async () => {
      const changed = await edited("bigquery.tf", (text) => text.replace(/resource "google_bigquery_table" "views" \{[\s\S]*?\n\}\n/, ""));
      expect(checkTerraform(changed, CODE)).to.deep.equal([
        `Terraform declares no view for the merged ${tablesNamed(CODE.mergedTables.map((t) => t.name))}, but the BigQuery sink stores a merged table as a view over <table>__versions and <table>__state (io/bigquery/tables.ts) and stops on a table that is not a view: declare a google_bigquery_table with for_each = local.views (local.views = { for v in local.manifest : v.name => v if v.kind == "view" }) and a view block in terraform/bigquery.tf`,
      ]);
    });

    it("partitioning on another column than the manifest's", async () => {
      const changed = await edited("bigquery.tf", (text) => text.replace("field         = each.value.partitionField", 'field         = "run_date"'));
      expect(checkTerraform(changed, CODE)[0]).to.match(/must be partitioned by DAY on the manifest's column/);
    });

    it("a primitive role, a scoped role granted project-wide, an authoritative binding", async () => {
      const grants = [
        'resource "google_project_iam_member" "lazy" {\n  project = var.project\n  role    = "roles/editor"\n  member  = local.worker\n}',
        'resource "google_project_iam_member" "wide" {\n  project = var.project\n  role    = "roles/pubsub.subscriber"\n  member  = local.worker\n}',
        'resource "google_pubsub_topic_iam_binding" "all" {\n  topic   = "t"\n  role    = "roles/pubsub.publisher"\n  members = [local.publisher]\n}',
        'resource "google_storage_bucket_iam_member" "misplaced" {\n  bucket = "b"\n  role   = "roles/pubsub.publisher"\n  member = local.worker\n}',
      ];
      const problems = checkTerraform(await edited("iam.tf", (text) => `${text}\n${grants.join("\n")}\n`), CODE);
      expect(problems).to.deep.equal([
        "primitive role roles/editor in terraform/iam.tf: grant a predefined role on the resource that needs it instead",
        "roles/editor is granted project-wide by google_project_iam_member.lazy (terraform/iam.tf): grant it on the resource that needs it (a topic, subscription, dataset, bucket or repository IAM member); only roles that exist at project level alone belong in PROJECT_LEVEL_ROLES (test/terraform/checker.ts), each with its reason",
        "roles/pubsub.subscriber is granted project-wide by google_project_iam_member.wide (terraform/iam.tf): grant it on the resource that needs it (google_pubsub_subscription_iam_member); only roles that exist at project level alone belong in PROJECT_LEVEL_ROLES (test/terraform/checker.ts), each with its reason",
        "google_pubsub_topic_iam_binding.all (terraform/iam.tf) is authoritative (it removes every other member of the role or policy): use the matching _iam_member resource",
        "roles/pubsub.publisher is granted through google_storage_bucket_iam_member.misplaced (terraform/iam.tf): it belongs on google_pubsub_topic_iam_member",
      ]);
    });

    it("a missing output", async () => {
      const changed = await edited("outputs.tf", (text) => text.replace('output "serviceAccountEmail"', 'output "workerEmail"'));
      expect(checkTerraform(changed, CODE)).to.deep.equal(["output serviceAccountEmail is missing: docs/deploy.md turns it into a CLI flag; declare it in terraform/outputs.tf"]);
    });
  });
});
