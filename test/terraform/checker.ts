import { readdirSync, readFileSync } from "fs";
import { join, resolve } from "path";
import { parse } from "@cdktf/hcl2json";
import { OptionSpec } from "../../pipelines/options";
import { stateTableName, versionsTableName } from "../../io/bigquery/tables";
import { PipelineTopics } from "../../io/pubsub/names";
import { TableSpec } from "../../schemas/table";

/**
 * Offline checks of terraform/ against the code: Terraform cannot download
 * providers here, so `terraform validate` and `plan` cannot run, but the
 * configuration parsed to JSON (@cdktf/hcl2json, HCL's own Go parser compiled
 * to WASM) can be compared with the values the code uses. `checkTerraform` is
 * a pure function of the parsed files and those values: every problem comes
 * back as one sentence saying what to change.
 */

/** A block body as hcl2json gives it: attributes as JSON values, expressions as "${...}" strings, nested blocks as arrays of bodies. */
export type Body = Record<string, unknown>;

/** One parsed .tf file: top-level blocks by kind, then labels, then the bodies. */
export interface HclFile {
  readonly resource?: Record<string, Record<string, Body[]>>;
  readonly data?: Record<string, Record<string, Body[]>>;
  readonly variable?: Record<string, Body[]>;
  readonly output?: Record<string, Body[]>;
  readonly locals?: Body[];
}

export interface TerraformConfig {
  /** Absolute directory of the configuration: what `path.module` means. */
  readonly dir: string;
  /** File name -> parsed file. */
  readonly files: ReadonlyMap<string, HclFile>;
}

/** The values of the code that Terraform must agree with. */
export interface CodeFacts {
  /** TOPICS of io/pubsub/names.ts. */
  readonly topics: Readonly<Record<string, PipelineTopics>>;
  /** SUBSCRIPTION_SETTINGS of io/pubsub/resources.ts. */
  readonly subscriptionSettings: Readonly<Record<SettingName, number>>;
  /** Every CLI flag: the common ones and every pipeline's. */
  readonly flags: readonly OptionSpec[];
  /** Absolute path of the manifest `npm run schemas` writes. */
  readonly manifestPath: string;
  /** The merged tables (mergedTableNames of cli/schemas.ts): the sink stores each as a view over <t>__versions and <t>__state. */
  readonly mergedTables: readonly TableSpec[];
  /** VIEW_PLACEHOLDERS of schemas/bigquery.ts: what Terraform replaces in the manifest's view queries. */
  readonly viewPlaceholders: Readonly<Record<"project" | "dataset", string>>;
}

type SettingName = "ackDeadlineSeconds" | "messageRetentionSeconds" | "maxDeliveryAttempts" | "minimumBackoffSeconds" | "maximumBackoffSeconds";

/** The Terraform variable holding each field of PipelineTopics, inside variable "pubsub". */
const PUBSUB_FIELDS: Readonly<Record<keyof PipelineTopics, { attribute: string; label: string; resourceType: string }>> = {
  topic: { attribute: "topic", label: "topic", resourceType: "google_pubsub_topic" },
  subscription: { attribute: "subscription", label: "subscription", resourceType: "google_pubsub_subscription" },
  deadLetterTopic: { attribute: "dead_letter_topic", label: "dead-letter topic", resourceType: "google_pubsub_topic" },
  deadLetterSubscription: { attribute: "dead_letter_subscription", label: "dead-letter subscription", resourceType: "google_pubsub_subscription" },
};

/** The Terraform variable of each subscription setting; maxDeliveryAttempts only concerns subscriptions with a dead-letter policy. */
const SETTING_VARIABLES: Readonly<Record<SettingName, string>> = {
  ackDeadlineSeconds: "ack_deadline_seconds",
  messageRetentionSeconds: "message_retention_seconds",
  maxDeliveryAttempts: "max_delivery_attempts",
  minimumBackoffSeconds: "minimum_backoff_seconds",
  maximumBackoffSeconds: "maximum_backoff_seconds",
};

/**
 * The only roles granted on the whole project, each because no narrower
 * resource can carry it. Anything else must be granted on its resource.
 */
export const PROJECT_LEVEL_ROLES: Readonly<Record<string, string>> = {
  "roles/dataflow.worker": "Dataflow workers lease work items and report progress, logs and metrics for jobs, which are not IAM resources",
  "roles/bigquery.jobUser": "BigQuery jobs (loads, the sink's queries) are created in a project, not in a dataset",
  "roles/dataflow.developer": "launchers create, drain and cancel Dataflow jobs, which are not IAM resources",
};

/** Every role granted on a resource, and the IAM resource types it may be granted through. */
export const SCOPED_ROLES: Readonly<Record<string, readonly string[]>> = {
  "roles/pubsub.publisher": ["google_pubsub_topic_iam_member"],
  "roles/pubsub.subscriber": ["google_pubsub_subscription_iam_member"],
  "roles/pubsub.viewer": ["google_pubsub_subscription_iam_member"],
  "roles/bigquery.dataEditor": ["google_bigquery_dataset_iam_member", "google_bigquery_table_iam_member"],
  "roles/storage.objectAdmin": ["google_storage_bucket_iam_member"],
  "roles/storage.objectViewer": ["google_storage_bucket_iam_member"],
  "roles/artifactregistry.reader": ["google_artifact_registry_repository_iam_member"],
  "roles/iam.serviceAccountUser": ["google_service_account_iam_member"],
};

/** The outputs docs/deploy.md turns into CLI flags. */
export const REQUIRED_OUTPUTS = ["project", "region", "dataset", "tempLocation", "stagingLocation", "serviceAccountEmail", "subscriptions", "imageRepository", "pipelineFlags"];

const PRIMITIVE_ROLE = /roles\/(owner|editor|viewer)(?![\w.])/;

export interface Resource {
  readonly type: string;
  readonly name: string;
  readonly body: Body;
  readonly file: string;
}

export function resources(config: TerraformConfig): Resource[] {
  const found: Resource[] = [];
  for (const file of config.files.keys()) {
    const byType = config.files.get(file)!.resource ?? {};
    for (const type of Object.keys(byType)) {
      for (const name of Object.keys(byType[type])) for (const body of byType[type][name]) found.push({ type, name, body, file });
    }
  }
  return found;
}

function variables(config: TerraformConfig): Map<string, Body> {
  const found = new Map<string, Body>();
  for (const file of config.files.values()) for (const name of Object.keys(file.variable ?? {})) found.set(name, file.variable![name][0]);
  return found;
}

function locals(config: TerraformConfig): Map<string, unknown> {
  const found = new Map<string, unknown>();
  for (const file of config.files.values()) for (const block of file.locals ?? []) for (const name of Object.keys(block)) found.set(name, block[name]);
  return found;
}

/** The file that declares a local. */
function localFile(config: TerraformConfig, name: string): string | undefined {
  return [...config.files.keys()].find((file) => (config.files.get(file)!.locals ?? []).some((block) => name in block));
}

function outputs(config: TerraformConfig): Set<string> {
  return new Set([...config.files.values()].flatMap((file) => Object.keys(file.output ?? {})));
}

/** Every string anywhere in a value (attribute values, keys excluded). */
function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value !== null && typeof value === "object") return Object.values(value).flatMap(strings);
  return [];
}

const mentions = (body: unknown, reference: string): boolean => strings(body).some((s) => s.includes(reference));
const show = (value: unknown): string => JSON.stringify(value);

function checkPubsubNames(config: TerraformConfig, code: CodeFacts): string[] {
  const variable = variables(config).get("pubsub");
  if (!variable) return ["Terraform has no variable pubsub: declare it in terraform/variables.tf with TOPICS of io/pubsub/names.ts as its default"];
  const declared = (variable.default ?? {}) as Record<string, Record<string, unknown>>;
  const problems: string[] = [];
  for (const pipeline of Object.keys(code.topics)) {
    const entry = declared[pipeline];
    if (!entry) {
      problems.push(`pipeline ${pipeline} has Pub/Sub names in the code (TOPICS.${pipeline}, io/pubsub/names.ts) but the default of Terraform variable pubsub has no ${pipeline}: add it in terraform/variables.tf`);
      continue;
    }
    for (const field of Object.keys(PUBSUB_FIELDS) as (keyof PipelineTopics)[]) {
      const spec = PUBSUB_FIELDS[field];
      const expected = code.topics[pipeline][field];
      if (entry[spec.attribute] !== expected) {
        problems.push(`${spec.label} ${expected} in the code (TOPICS.${pipeline}.${field}, io/pubsub/names.ts) but Terraform variable pubsub.${pipeline}.${spec.attribute} defaults to ${show(entry[spec.attribute])}: change terraform/variables.tf`);
      }
    }
  }
  for (const pipeline of Object.keys(declared)) {
    if (!code.topics[pipeline]) problems.push(`Terraform variable pubsub declares pipeline ${pipeline}, which has no Pub/Sub names in the code (io/pubsub/names.ts): remove it from terraform/variables.tf`);
  }
  // The resources must take their names from the variable, or its defaults prove nothing.
  const named = new Set<string>();
  for (const r of resources(config).filter((x) => x.type === "google_pubsub_topic" || x.type === "google_pubsub_subscription")) {
    const field = /^\$\{each\.value\.(\w+)\}$/.exec(String(r.body.name ?? ""));
    if (r.body.for_each !== "${var.pubsub}" || !field) {
      problems.push(`${r.type}.${r.name} (terraform/${r.file}) must take its name from variable pubsub (for_each = var.pubsub, name = each.value.<field>), so the names stay the code's`);
    } else named.add(`${r.type} ${field[1]}`);
  }
  for (const spec of Object.values(PUBSUB_FIELDS)) {
    if (!named.has(`${spec.resourceType} ${spec.attribute}`)) problems.push(`no ${spec.resourceType} is named each.value.${spec.attribute}: every pipeline's ${spec.label} must be declared`);
  }
  return problems;
}

function checkSubscriptionSettings(config: TerraformConfig, code: CodeFacts): string[] {
  const problems: string[] = [];
  const vars = variables(config);
  for (const setting of Object.keys(SETTING_VARIABLES) as SettingName[]) {
    const name = SETTING_VARIABLES[setting];
    const expected = code.subscriptionSettings[setting];
    const actual = vars.get(name)?.default;
    if (actual !== expected) {
      problems.push(`SUBSCRIPTION_SETTINGS.${setting} is ${expected} in io/pubsub/resources.ts but Terraform variable ${name} defaults to ${show(actual)}: change terraform/variables.tf`);
    }
  }
  for (const r of resources(config).filter((x) => x.type === "google_pubsub_subscription")) {
    const deadLettered = r.body.dead_letter_policy !== undefined;
    if (r.body.name === "${each.value.subscription}" && !deadLettered) {
      problems.push(`${r.type}.${r.name} reads a pipeline's input but has no dead_letter_policy: the code's subscriptions dead-letter after SUBSCRIPTION_SETTINGS.maxDeliveryAttempts deliveries (terraform/${r.file})`);
    }
    for (const setting of Object.keys(SETTING_VARIABLES) as SettingName[]) {
      if (setting === "maxDeliveryAttempts" && !deadLettered) continue;
      if (!mentions(r.body, `var.${SETTING_VARIABLES[setting]}`)) {
        problems.push(`${r.type}.${r.name} does not use var.${SETTING_VARIABLES[setting]} (SUBSCRIPTION_SETTINGS.${setting}): set it from the variable in terraform/${r.file}`);
      }
    }
  }
  return problems;
}

/** A path expression with `path.module` and string locals substituted, as Terraform would evaluate it. */
function resolvePathExpression(expression: string, config: TerraformConfig, values: Map<string, unknown>, depth = 0): string {
  return expression
    .replace(/\$\{path\.module\}/g, config.dir)
    .replace(/\$\{local\.(\w+)\}/g, (whole, name: string) => {
      const value = values.get(name);
      return typeof value === "string" && depth < 5 ? resolvePathExpression(value, config, values, depth + 1) : whole;
    });
}

/** The file a `file("...")` call inside an expression reads, resolved, or undefined. */
function fileRead(expression: string, config: TerraformConfig, values: Map<string, unknown>): string | undefined {
  const call = /file\("((?:[^"$]|\$\{[^}]*\})*)"\)/.exec(expression);
  return call ? resolve(resolvePathExpression(call[1], config, values)) : undefined;
}

/** A local selecting manifest entries: `{ for x in local.<manifest> : x.name => <value> if x.kind == "<kind>" }`, the filter optional. */
const SELECTION = /^\$\{\{\s*for\s+(\w+)\s+in\s+local\.(\w+)\s*:\s*\1\.name\s*=>\s*[\s\S]*?(?:\s+if\s+\1\.kind\s*==\s*"(\w+)")?\s*\}\}$/;

/** An entry of the manifest, as far as the checks need it. */
interface ManifestEntry {
  readonly name: string;
  readonly kind: string;
}

/** The local Terraform reads the manifest into, the file it reads, and its entries (undefined when the file cannot be read). */
interface ManifestReading {
  readonly local: string;
  readonly path: string;
  readonly entries?: readonly ManifestEntry[];
}

function manifestReading(config: TerraformConfig, values: Map<string, unknown>): ManifestReading | undefined {
  const local = [...values.keys()].find((name) => {
    const value = values.get(name);
    return typeof value === "string" && value.includes("jsondecode(file(") && fileRead(value, config, values) !== undefined;
  });
  if (!local) return undefined;
  const path = fileRead(String(values.get(local)), config, values)!;
  let entries: ManifestEntry[] | undefined;
  try {
    entries = JSON.parse(readFileSync(path, "utf8")) as ManifestEntry[];
  } catch {
    entries = undefined;
  }
  return { local, path, entries };
}

/** What a for_each takes from the manifest: every entry, or those of one kind; undefined when it is not the manifest. */
function selection(forEach: unknown, manifest: ManifestReading, values: Map<string, unknown>): { local: string; kind?: string } | undefined {
  const local = /^\$\{local\.(\w+)\}$/.exec(String(forEach ?? ""))?.[1];
  if (local === undefined) return undefined;
  if (local === manifest.local) return { local };
  const select = SELECTION.exec(String(values.get(local) ?? ""));
  return select && select[2] === manifest.local ? { local, kind: select[3] } : undefined;
}

/** The local selecting the manifest's entries of one kind, for messages. */
function selectionLocal(manifest: ManifestReading, values: Map<string, unknown>, kind: string, fallback: string): string {
  return [...values.keys()].find((name) => selection(`\${local.${name}}`, manifest, values)?.kind === kind) ?? fallback;
}

const isView = (r: Resource): boolean => r.body.view !== undefined;
const address = (r: Resource): string => `${r.type}.${r.name} (terraform/${r.file})`;
const TABLES_LOCAL = 'local.tables = { for t in local.manifest : t.name => t if t.kind == "table" }';
const VIEWS_LOCAL = 'local.views = { for v in local.manifest : v.name => v if v.kind == "view" }';

/** What Terraform declares from the manifest: table and view names, each with the resource that declares it. */
export interface BigQueryDeclarations {
  readonly tables: ReadonlyMap<string, string>;
  readonly views: ReadonlyMap<string, string>;
}

/** The tables and views the google_bigquery_table resources create from the manifest Terraform reads; undefined when it reads none. */
export function bigQueryDeclarations(config: TerraformConfig): BigQueryDeclarations | undefined {
  const values = locals(config);
  const manifest = manifestReading(config, values);
  if (!manifest?.entries) return undefined;
  const tables = new Map<string, string>();
  const views = new Map<string, string>();
  for (const r of resources(config).filter((x) => x.type === "google_bigquery_table")) {
    const selected = selection(r.body.for_each, manifest, values);
    if (!selected) continue;
    for (const entry of manifest.entries.filter((e) => selected.kind === undefined || e.kind === selected.kind)) (isView(r) ? views : tables).set(entry.name, `${r.type}.${r.name}`);
  }
  return { tables, views };
}

/** "table a" or "tables a, b". */
export const tablesNamed = (names: readonly string[]): string => `${names.length > 1 ? "tables" : "table"} ${names.join(", ")}`;

/** The sink stores a merged table as a view over <t>__versions and <t>__state: Terraform must declare the same. */
function checkMergedTables(manifest: ManifestReading, declared: BigQueryDeclarations, code: CodeFacts): string[] {
  const problems: string[] = [];
  const kinds = new Map((manifest.entries ?? []).map((e) => [e.name, e.kind]));
  const asTables = code.mergedTables.map((t) => t.name).filter((name) => declared.tables.has(name));
  const sink = "the BigQuery sink stores a merged table as a view over <table>__versions and <table>__state (io/bigquery/tables.ts) and stops on a table that is not a view";
  // One message per resource and cause: a manifest that lists them as tables (stale), or tables declared from its views too.
  const groups = new Map<string, { resource: string; stale: boolean; names: string[] }>();
  for (const name of asTables) {
    const resource = declared.tables.get(name)!;
    const stale = kinds.get(name) !== "view";
    const group = groups.get(`${resource} ${stale}`) ?? { resource, stale, names: [] };
    group.names.push(name);
    groups.set(`${resource} ${stale}`, group);
  }
  for (const group of groups.values()) {
    const fix = group.stale ? "run npm run schemas (the manifest lists them as tables)" : `declare tables from the manifest's table entries only: ${TABLES_LOCAL}`;
    const plain = group.names.length > 1 ? "as plain tables" : "as a plain table";
    problems.push(`${group.resource} would create the merged ${tablesNamed(group.names)} ${plain}, but ${sink}: ${fix}`);
  }
  const notViews = code.mergedTables.map((t) => t.name).filter((name) => !declared.tables.has(name) && !declared.views.has(name));
  if (notViews.length > 0) {
    const fix = notViews.every((name) => kinds.get(name) === "view")
      ? `declare a google_bigquery_table with for_each = local.views (${VIEWS_LOCAL}) and a view block in terraform/bigquery.tf`
      : "run npm run schemas";
    problems.push(`Terraform declares no view for the merged ${tablesNamed(notViews)}, but ${sink}: ${fix}`);
  }
  const companions = code.mergedTables.flatMap((t) => [versionsTableName(t), stateTableName(t)]).filter((name) => !declared.tables.has(name));
  if (companions.length > 0) {
    problems.push(`Terraform does not create ${companions.join(", ")}, which the BigQuery sink writes for merged tables (versionsTable and stateTable of io/bigquery/tables.ts): run npm run schemas, and declare the manifest's table entries (${TABLES_LOCAL})`);
  }
  return problems;
}

function checkTables(config: TerraformConfig, code: CodeFacts): string[] {
  const values = locals(config);
  const manifest = manifestReading(config, values);
  if (!manifest) return [`Terraform does not read the table manifest: declare a local with jsondecode(file("<schemas/bigquery>/${code.manifestPath.split(/[\\/]/).pop()}")) in terraform/schemas.tf`];
  const problems: string[] = [];
  if (manifest.path !== resolve(code.manifestPath)) {
    problems.push(`Terraform reads the table manifest at ${manifest.path} but npm run schemas writes it to ${code.manifestPath}: change local.${manifest.local} in terraform/${localFile(config, manifest.local)}`);
  }
  const tablesLocal = selectionLocal(manifest, values, "table", "tables");
  const viewsLocal = selectionLocal(manifest, values, "view", "views");
  const all = resources(config).filter((r) => r.type === "google_bigquery_table");
  const tables = all.filter((r) => !isView(r));
  const views = all.filter(isView);
  if (tables.length === 0) problems.push(`no google_bigquery_table for the manifest's tables: declare one with for_each = local.${tablesLocal} (${TABLES_LOCAL}) in terraform/bigquery.tf`);
  for (const r of tables) {
    const at = address(r);
    if (selection(r.body.for_each, manifest, values) === undefined) {
      problems.push(`${at} is not declared from the manifest: tables come from the schema source through npm run schemas; use for_each = local.${tablesLocal} (or remove the hand-written table)`);
      continue;
    }
    const schema = String(r.body.schema ?? "");
    const schemaFile = fileRead(schema, config, values);
    if (!schema.includes("each.value.schemaFile") || schemaFile === undefined || !schemaFile.startsWith(resolve(code.manifestPath, ".."))) {
      problems.push(`${at} must read its schema from the manifest's schema file: schema = file("\${local.schema_dir}/\${each.value.schemaFile}")`);
    }
    const partitioning = (r.body.time_partitioning as Body[] | undefined)?.[0];
    if (partitioning?.type !== "DAY" || partitioning?.field !== "${each.value.partitionField}") {
      problems.push(`${at} must be partitioned by DAY on the manifest's column: time_partitioning { type = "DAY", field = each.value.partitionField }`);
    }
    if (!mentions(partitioning, "var.partition_expiration_days")) problems.push(`${at} must take its partition expiration from var.partition_expiration_days`);
    if (r.body.clustering !== "${each.value.clustering}") problems.push(`${at} must cluster by the manifest's columns: clustering = each.value.clustering`);
  }
  for (const r of views) {
    const at = address(r);
    const selected = selection(r.body.for_each, manifest, values);
    if (selected?.kind !== "view") {
      problems.push(`${at} is not declared from the manifest's views: views come from the schema source through npm run schemas; use for_each = local.${viewsLocal} (${VIEWS_LOCAL})`);
      continue;
    }
    const view = (r.body.view as Body[])[0] ?? {};
    if (view.query !== "${each.value.query}") problems.push(`${at} must take its query from the manifest (the sink's latestViewSql): view { query = each.value.query }`);
    if (view.use_legacy_sql !== false) problems.push(`${at} must be standard SQL, as the manifest's queries are: view { use_legacy_sql = false }`);
    if (!tables.some((t) => mentions(r.body.depends_on, `google_bigquery_table.${t.name}`))) {
      problems.push(`${at} must depend on the tables its query reads: depends_on = [google_bigquery_table.${tables[0]?.name ?? "tables"}]`);
    }
    const substituted = [...strings(r.body), ...strings(values.get(selected.local))];
    for (const part of Object.keys(code.viewPlaceholders) as (keyof CodeFacts["viewPlaceholders"])[]) {
      const placeholder = code.viewPlaceholders[part];
      if (!substituted.some((s) => s.includes(JSON.stringify(placeholder)))) {
        problems.push(`the manifest's view queries name the ${part} ${placeholder} (VIEW_PLACEHOLDERS.${part}, schemas/bigquery.ts) but ${at} does not replace it: replace(v.query, ${JSON.stringify(placeholder)}, var.${part}) in local.${selected.local} (terraform/${localFile(config, selected.local)})`);
      }
    }
  }
  const declared = bigQueryDeclarations(config);
  if (declared) problems.push(...checkMergedTables(manifest, declared, code));
  return problems;
}

function checkIam(config: TerraformConfig): string[] {
  const problems: string[] = [];
  for (const file of config.files.keys()) {
    for (const s of strings(config.files.get(file))) {
      const primitive = PRIMITIVE_ROLE.exec(s);
      if (primitive) problems.push(`primitive role ${primitive[0]} in terraform/${file}: grant a predefined role on the resource that needs it instead`);
    }
  }
  for (const r of resources(config)) {
    const at = `${r.type}.${r.name} (terraform/${r.file})`;
    if (/_iam_(binding|policy)$/.test(r.type)) {
      problems.push(`${at} is authoritative (it removes every other member of the role or policy): use the matching _iam_member resource`);
      continue;
    }
    if (r.type === "google_bigquery_dataset" && r.body.access !== undefined) {
      problems.push(`${at} grants access with access blocks, which replace the dataset's ACL: use google_bigquery_dataset_iam_member`);
    }
    if (!r.type.endsWith("_iam_member")) continue;
    const role = r.body.role;
    if (typeof role !== "string" || !/^roles\/[\w.]+$/.test(role)) {
      problems.push(`${at} must name its role literally (roles/...), so the least-privilege check can read it; got ${show(role)}`);
      continue;
    }
    if (r.type === "google_project_iam_member") {
      if (PROJECT_LEVEL_ROLES[role] === undefined) {
        const where = SCOPED_ROLES[role] ? SCOPED_ROLES[role].join(" or ") : "a topic, subscription, dataset, bucket or repository IAM member";
        problems.push(`${role} is granted project-wide by ${at}: grant it on the resource that needs it (${where}); only roles that exist at project level alone belong in PROJECT_LEVEL_ROLES (test/terraform/checker.ts), each with its reason`);
      }
      continue;
    }
    const allowed = SCOPED_ROLES[role];
    if (allowed === undefined) problems.push(`${role} (${at}) is not a reviewed role: add it to SCOPED_ROLES in test/terraform/checker.ts with the IAM resource types it may be granted through, and explain it in docs/deploy.md`);
    else if (!allowed.includes(r.type)) problems.push(`${role} is granted through ${at}: it belongs on ${allowed.join(" or ")}`);
  }
  return problems;
}

function checkFlags(config: TerraformConfig, code: CodeFacts): string[] {
  const values = locals(config);
  const common = values.get("common_flags");
  const perPipeline = values.get("pipeline_flags");
  if (typeof common !== "object" || common === null || typeof perPipeline !== "string") {
    return ["Terraform must declare the CLI flags it passes as local.common_flags (an object) and local.pipeline_flags (per pipeline) in terraform/main.tf"];
  }
  const passed = new Map<string, unknown>(Object.entries(common as Body));
  const extra = /merge\(local\.common_flags,\s*\{([^}]*)\}\)/.exec(perPipeline);
  for (const match of (extra?.[1] ?? "").matchAll(/(\w+)\s*=/g)) passed.set(match[1], undefined);
  const problems: string[] = [];
  for (const name of passed.keys()) {
    const value = passed.get(name);
    const option = code.flags.find((f) => f.name === name);
    if (!option) {
      problems.push(`Terraform passes --${name} (terraform/main.tf, local.common_flags or local.pipeline_flags) but the CLI has no such flag: use the name runners/settings.ts or the pipeline's options give it`);
      continue;
    }
    const literal = typeof value === "string" && !value.includes("${");
    if (literal && option.choices && !option.choices.includes(value as string)) {
      problems.push(`Terraform passes --${name}=${value} but the CLI accepts ${option.choices.join(", ")}: change terraform/main.tf`);
    }
  }
  const cliDataset = code.flags.find((f) => f.name === "dataset");
  const tfDataset = variables(config).get("dataset")?.default;
  if (cliDataset?.default !== undefined && tfDataset !== cliDataset.default) {
    problems.push(`--dataset defaults to ${cliDataset.default} in the CLI but Terraform variable dataset defaults to ${show(tfDataset)}: change terraform/variables.tf`);
  }
  for (const r of resources(config).filter((x) => x.type === "google_dataflow_flex_template_job")) {
    if (!mentions(r.body.parameters, "local.pipeline_flags")) problems.push(`${r.type}.${r.name} must pass local.pipeline_flags as its parameters, so its flags are the checked ones`);
  }
  return problems;
}

function checkOutputs(config: TerraformConfig): string[] {
  const declared = outputs(config);
  return REQUIRED_OUTPUTS.filter((name) => !declared.has(name)).map((name) => `output ${name} is missing: docs/deploy.md turns it into a CLI flag; declare it in terraform/outputs.tf`);
}

/** Every problem of the configuration against the code; empty when they agree. */
export function checkTerraform(config: TerraformConfig, code: CodeFacts): string[] {
  return [...checkPubsubNames(config, code), ...checkSubscriptionSettings(config, code), ...checkTables(config, code), ...checkIam(config), ...checkFlags(config, code), ...checkOutputs(config)];
}

/** Every role the configuration grants, literally named. */
export function grantedRoles(config: TerraformConfig): string[] {
  const roles = resources(config)
    .filter((r) => r.type.endsWith("_iam_member") && typeof r.body.role === "string")
    .map((r) => r.body.role as string);
  return [...new Set(roles)].sort();
}

/** Parses .tf texts (file name -> text) of a configuration in `dir`. */
export async function parseTerraform(dir: string, texts: ReadonlyMap<string, string>): Promise<TerraformConfig> {
  const files = new Map<string, HclFile>();
  for (const name of [...texts.keys()].sort()) files.set(name, (await parse(name, texts.get(name)!)) as HclFile);
  return { dir, files };
}

/** The .tf files of a directory (not recursive: a root module), by name. */
export function readTerraformDir(dir: string): Map<string, string> {
  const names = readdirSync(dir).filter((name) => name.endsWith(".tf"));
  return new Map(names.map((name) => [name, readFileSync(join(dir, name), "utf8")]));
}
