# Every name defaults to the CLI's default (io/pubsub/names.ts, io/pubsub/resources.ts,
# runners/settings.ts); `npm test` fails when they drift apart.

variable "project" {
  type        = string
  description = "Google Cloud project id (the CLI's --project). No default: the CLI's local-project exists only in the emulator."
}

variable "region" {
  type        = string
  default     = "us-central1"
  description = "Region of the bucket, the image repository, the dataset (unless dataset_location) and the Dataflow jobs (the CLI's --region, with the Dataflow runner)."
}

variable "dataset" {
  type        = string
  default     = "video_analytics"
  description = "BigQuery dataset of every table (the CLI's --dataset, with --sink bigquery)."
}

variable "dataset_location" {
  type        = string
  default     = null
  description = "BigQuery location of the dataset, e.g. US or EU; null: var.region."
}

variable "partition_expiration_days" {
  type        = number
  default     = null
  description = "Days a DAY partition is kept before BigQuery deletes it; null: kept forever."
}

variable "table_deletion_protection" {
  type        = bool
  default     = true
  description = "Refuse to destroy tables (and their data) in terraform destroy or a replacement; set false to tear down a test project."
}

variable "pubsub" {
  type = map(object({
    topic                    = string
    subscription             = string
    dead_letter_topic        = string
    dead_letter_subscription = string
  }))
  # TOPICS in io/pubsub/names.ts: per pipeline, topic T, subscription T-sub,
  # dead-letter topic T-dead-letter and T-dead-letter-sub.
  default = {
    alerts = {
      topic                    = "video-playback-events"
      subscription             = "video-playback-events-sub"
      dead_letter_topic        = "video-playback-events-dead-letter"
      dead_letter_subscription = "video-playback-events-dead-letter-sub"
    }
    conversations = {
      topic                    = "customer-courier-conversations"
      subscription             = "customer-courier-conversations-sub"
      dead_letter_topic        = "customer-courier-conversations-dead-letter"
      dead_letter_subscription = "customer-courier-conversations-dead-letter-sub"
    }
    ott = {
      topic                    = "ott-viewing-events"
      subscription             = "ott-viewing-events-sub"
      dead_letter_topic        = "ott-viewing-events-dead-letter"
      dead_letter_subscription = "ott-viewing-events-dead-letter-sub"
    }
  }
  description = "Per pipeline: its input topic, the subscription it reads, and where Pub/Sub moves messages it failed to deliver."
}

# SUBSCRIPTION_SETTINGS in io/pubsub/resources.ts: what `npm run resources -- ensure` creates locally.

variable "ack_deadline_seconds" {
  type        = number
  default     = 60
  description = "Ack deadline of the pipelines' subscriptions."
}

variable "message_retention_seconds" {
  type        = number
  default     = 604800
  description = "How long a subscription keeps unacknowledged messages (7 days: a pipeline can be down for a week)."
}

variable "max_delivery_attempts" {
  type        = number
  default     = 5
  description = "Deliveries before Pub/Sub moves a message to the dead-letter topic."
}

variable "minimum_backoff_seconds" {
  type        = number
  default     = 10
  description = "Retry policy: shortest wait before a nacked or expired message is redelivered."
}

variable "maximum_backoff_seconds" {
  type        = number
  default     = 600
  description = "Retry policy: longest wait before a nacked or expired message is redelivered."
}

variable "bucket" {
  type        = string
  default     = null
  description = "GCS bucket for temp/, staging/ and templates/ (names are global); null: <project>-beam-video-analytics."
}

variable "temp_retention_days" {
  type        = number
  default     = 7
  description = "Objects under temp/ are deleted this many days after creation."
}

variable "artifact_repository" {
  type        = string
  default     = "beam-video-analytics"
  description = "Artifact Registry (Docker) repository of the pipeline images."
}

variable "worker_service_account_id" {
  type        = string
  default     = "beam-video-dataflow"
  description = "Account id of the Dataflow worker service account (6-30 characters)."
}

variable "publisher_service_account_id" {
  type        = string
  default     = "beam-video-publisher"
  description = "Account id of the service account that publishes events (6-30 characters)."
}

variable "launcher_members" {
  type        = list(string)
  default     = []
  description = "Principals that launch Dataflow jobs as the worker (e.g. user:you@example.com, serviceAccount:ci@...): Dataflow developer, act-as on the worker, read templates."
}

variable "flex_template_jobs" {
  type        = set(string)
  default     = []
  description = "Pipelines (keys of var.pubsub) to run as Dataflow Flex Template jobs; the templates must be built first (templates/)."
}

variable "flex_template_parameters" {
  type        = map(map(string))
  default     = {}
  description = "Per pipeline, extra template parameters (CLI flags without --), e.g. { alerts = { bufferThresholdMs = \"3000\" } }."
}

variable "flex_template_max_workers" {
  type        = number
  default     = 3
  description = "Autoscaling ceiling of each Flex Template job."
}

variable "enable_apis" {
  type        = bool
  default     = true
  description = "Enable the Google Cloud APIs the resources need (left enabled on destroy)."
}

variable "labels" {
  type        = map(string)
  default     = { app = "beam-video-analytics" }
  description = "Labels on every resource that takes them."
}

variable "alert_notification_channels" {
  type        = list(string)
  default     = []
  description = "Cloud Monitoring notification channels (projects/P/notificationChannels/N) of the alert policies (monitoring.tf); empty: incidents show in the console only."
}

variable "alert_system_lag_seconds" {
  type        = number
  default     = 300
  description = "Alert when a Dataflow job's system lag stays above this for 5 minutes."
}

variable "alert_data_freshness_seconds" {
  type        = number
  default     = 600
  description = "Alert when a Dataflow job's data freshness (watermark age) stays above this for 5 minutes."
}

variable "alert_dead_letter_messages" {
  type        = number
  default     = 0
  description = "Alert when a pipeline's Pub/Sub dead-letter subscription holds more messages than this for 5 minutes."
}
