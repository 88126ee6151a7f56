# Cloud Monitoring alert policies for the Dataflow jobs (dataflow.tf) and the
# Pub/Sub dead-letter subscriptions (pubsub.tf): the cloud side of the local
# Prometheus rules in monitoring/prometheus/alerts.yml. Each notifies
# var.alert_notification_channels; with none, incidents show in the console.

locals {
  # The Dataflow job of each pipeline; dataflow.tf names its jobs with it.
  dataflow_job_names = { for pipeline in keys(var.pubsub) : pipeline => "${replace(pipeline, "_", "-")}-streaming" }

  alert_documentation = "beam-video-analytics (docs/deploy.md, \"Alerts\"). Local equivalent: monitoring/prometheus/alerts.yml."
}

resource "google_monitoring_alert_policy" "dataflow_system_lag" {
  for_each              = var.flex_template_jobs
  project               = var.project
  display_name          = "${each.key}: Dataflow system lag over ${var.alert_system_lag_seconds} s"
  combiner              = "OR"
  notification_channels = var.alert_notification_channels
  user_labels           = var.labels

  conditions {
    display_name = "system lag of ${local.dataflow_job_names[each.key]}"
    condition_threshold {
      filter          = "resource.type = \"dataflow_job\" AND resource.labels.job_name = \"${local.dataflow_job_names[each.key]}\" AND metric.type = \"dataflow.googleapis.com/job/system_lag\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.alert_system_lag_seconds
      duration        = "300s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  documentation {
    content   = "The oldest element waits more than ${var.alert_system_lag_seconds} s in the job: workers do not keep up (autoscaling at max_workers?) or a step is stuck. ${local.alert_documentation}"
    mime_type = "text/markdown"
  }
}

resource "google_monitoring_alert_policy" "dataflow_data_freshness" {
  for_each              = var.flex_template_jobs
  project               = var.project
  display_name          = "${each.key}: Dataflow data freshness over ${var.alert_data_freshness_seconds} s"
  combiner              = "OR"
  notification_channels = var.alert_notification_channels
  user_labels           = var.labels

  conditions {
    display_name = "data watermark age of ${local.dataflow_job_names[each.key]}"
    condition_threshold {
      filter          = "resource.type = \"dataflow_job\" AND resource.labels.job_name = \"${local.dataflow_job_names[each.key]}\" AND metric.type = \"dataflow.googleapis.com/job/data_watermark_age\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.alert_data_freshness_seconds
      duration        = "300s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  documentation {
    content   = "The watermark trails the clock by more than ${var.alert_data_freshness_seconds} s: event-time windows close late. ${local.alert_documentation}"
    mime_type = "text/markdown"
  }
}

resource "google_monitoring_alert_policy" "dataflow_failed" {
  for_each              = var.flex_template_jobs
  project               = var.project
  display_name          = "${each.key}: Dataflow job failed"
  combiner              = "OR"
  notification_channels = var.alert_notification_channels
  user_labels           = var.labels

  conditions {
    display_name = "${local.dataflow_job_names[each.key]} failed"
    condition_threshold {
      filter          = "resource.type = \"dataflow_job\" AND resource.labels.job_name = \"${local.dataflow_job_names[each.key]}\" AND metric.type = \"dataflow.googleapis.com/job/is_failed\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  documentation {
    content   = "The streaming job failed: its messages wait in the subscription (retained ${var.message_retention_seconds} s). Read the job's logs, fix, and apply again to start it. ${local.alert_documentation}"
    mime_type = "text/markdown"
  }
}

resource "google_monitoring_alert_policy" "dead_letter_backlog" {
  for_each              = var.pubsub
  project               = var.project
  display_name          = "${each.key}: messages in the Pub/Sub dead-letter subscription"
  combiner              = "OR"
  notification_channels = var.alert_notification_channels
  user_labels           = var.labels

  conditions {
    display_name = "undelivered messages in ${each.value.dead_letter_subscription}"
    condition_threshold {
      filter          = "resource.type = \"pubsub_subscription\" AND resource.labels.subscription_id = \"${each.value.dead_letter_subscription}\" AND metric.type = \"pubsub.googleapis.com/subscription/num_undelivered_messages\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.alert_dead_letter_messages
      duration        = "300s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  documentation {
    content   = "Pub/Sub gave up delivering messages of ${each.value.subscription} after max_delivery_attempts. After fixing the cause: npm run resources -- replay-dead-letters --pipeline ${each.key}. ${local.alert_documentation}"
    mime_type = "text/markdown"
  }
}
