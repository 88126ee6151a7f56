import { expect } from "chai";
import { join } from "path";
import { ROOT } from "../helpers";
import { Body, parseTerraform, readTerraformDir, resources, TerraformConfig } from "./checker";

const TERRAFORM_DIR = join(ROOT, "terraform");

/** The alert policies Terraform creates, by resource name, and the Cloud Monitoring metric each condition watches. */
const POLICIES: Record<string, { metric: string; forEach: string }> = {
  dataflow_system_lag: { metric: "dataflow.googleapis.com/job/system_lag", forEach: "${var.flex_template_jobs}" },
  dataflow_data_freshness: { metric: "dataflow.googleapis.com/job/data_watermark_age", forEach: "${var.flex_template_jobs}" },
  dataflow_failed: { metric: "dataflow.googleapis.com/job/is_failed", forEach: "${var.flex_template_jobs}" },
  dead_letter_backlog: { metric: "pubsub.googleapis.com/subscription/num_undelivered_messages", forEach: "${var.pubsub}" },
};

const policies = (config: TerraformConfig): Map<string, Body> =>
  new Map(resources(config).filter((r) => r.type === "google_monitoring_alert_policy").map((r) => [r.name, r.body]));

/** The filter of a policy's one threshold condition. */
const filterOf = (policy: Body): string => ((policy.conditions as Body[])[0].condition_threshold as Body[])[0].filter as string;

describe("Terraform alert policies (terraform/monitoring.tf)", () => {
  let config: TerraformConfig;
  before(async () => {
    config = await parseTerraform(TERRAFORM_DIR, readTerraformDir(TERRAFORM_DIR));
  });

  it("alert on the Dataflow jobs' system lag, data freshness and failure, and on each dead-letter subscription's backlog", () => {
    const found = policies(config);
    expect([...found.keys()].sort()).to.deep.equal(Object.keys(POLICIES).sort());
    for (const [name, expected] of Object.entries(POLICIES)) {
      const policy = found.get(name)!;
      expect(policy.for_each, name).to.equal(expected.forEach);
      expect(filterOf(policy), name).to.include(`metric.type = "${expected.metric}"`);
    }
  });

  it("notify the channels of a variable, a list of channel ids defaulting to none", () => {
    for (const [name, policy] of policies(config)) expect(policy.notification_channels, name).to.equal("${var.alert_notification_channels}");
    const variable = config.files.get("variables.tf")!.variable!.alert_notification_channels[0];
    expect(variable.type).to.equal("${list(string)}");
    expect(variable.default).to.deep.equal([]);
  });

  it("watch the jobs dataflow.tf starts, by the same job name, and the dead-letter subscriptions pubsub.tf creates", () => {
    const job = resources(config).find((r) => r.type === "google_dataflow_flex_template_job")!;
    expect(job.body.name).to.equal("${local.dataflow_job_names[each.key]}");
    for (const name of ["dataflow_system_lag", "dataflow_data_freshness", "dataflow_failed"]) {
      expect(filterOf(policies(config).get(name)!), name).to.include('resource.type = "dataflow_job" AND resource.labels.job_name = "${local.dataflow_job_names[each.key]}"');
    }
    expect(filterOf(policies(config).get("dead_letter_backlog")!)).to.include('resource.labels.subscription_id = "${each.value.dead_letter_subscription}"');
    const deadLetterSubscriptions = resources(config).filter((r) => r.type === "google_pubsub_subscription" && JSON.stringify(r.body).includes("dead_letter_subscription"));
    expect(deadLetterSubscriptions, "pubsub.tf names its dead-letter subscriptions from var.pubsub[*].dead_letter_subscription").to.not.be.empty;
  });

  it("each threshold is a variable, except a failed job's (any failure)", () => {
    const threshold = (name: string): unknown => ((policies(config).get(name)!.conditions as Body[])[0].condition_threshold as Body[])[0].threshold_value;
    expect(threshold("dataflow_system_lag")).to.equal("${var.alert_system_lag_seconds}");
    expect(threshold("dataflow_data_freshness")).to.equal("${var.alert_data_freshness_seconds}");
    expect(threshold("dead_letter_backlog")).to.equal("${var.alert_dead_letter_messages}");
    expect(threshold("dataflow_failed")).to.equal(0);
  });
});
