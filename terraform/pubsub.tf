# Per pipeline (var.pubsub): the input topic, the subscription the pipeline
# reads, and a dead-letter topic with a subscription that keeps what lands
# there, with the settings `npm run resources -- ensure` uses locally.

resource "google_pubsub_topic" "input" {
  for_each   = var.pubsub
  name       = each.value.topic
  labels     = var.labels
  depends_on = [google_project_service.apis]
}

resource "google_pubsub_topic" "dead_letter" {
  for_each   = var.pubsub
  name       = each.value.dead_letter_topic
  labels     = var.labels
  depends_on = [google_project_service.apis]
}

resource "google_pubsub_subscription" "input" {
  for_each                   = var.pubsub
  name                       = each.value.subscription
  topic                      = google_pubsub_topic.input[each.key].id
  ack_deadline_seconds       = var.ack_deadline_seconds
  message_retention_duration = "${var.message_retention_seconds}s"
  labels                     = var.labels

  retry_policy {
    minimum_backoff = "${var.minimum_backoff_seconds}s"
    maximum_backoff = "${var.maximum_backoff_seconds}s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[each.key].id
    max_delivery_attempts = var.max_delivery_attempts
  }

  # Never deleted for inactivity (the default is 31 days): a stopped pipeline keeps its input.
  expiration_policy {
    ttl = ""
  }
}

resource "google_pubsub_subscription" "dead_letter" {
  for_each                   = var.pubsub
  name                       = each.value.dead_letter_subscription
  topic                      = google_pubsub_topic.dead_letter[each.key].id
  ack_deadline_seconds       = var.ack_deadline_seconds
  message_retention_duration = "${var.message_retention_seconds}s"
  labels                     = var.labels

  retry_policy {
    minimum_backoff = "${var.minimum_backoff_seconds}s"
    maximum_backoff = "${var.maximum_backoff_seconds}s"
  }

  # Nobody reads it until something went wrong: it must not expire meanwhile.
  expiration_policy {
    ttl = ""
  }
}

# The publisher may only publish, and only to the pipelines' input topics.
resource "google_pubsub_topic_iam_member" "publisher" {
  for_each = google_pubsub_topic.input
  topic    = each.value.id
  role     = "roles/pubsub.publisher"
  member   = local.publisher
}

# The worker may only consume, and only its own subscriptions.
resource "google_pubsub_subscription_iam_member" "worker_subscriber" {
  for_each     = google_pubsub_subscription.input
  subscription = each.value.id
  role         = "roles/pubsub.subscriber"
  member       = local.worker
}

# Dataflow's Pub/Sub source reads the subscription's configuration (pubsub.subscriptions.get) when the job starts.
resource "google_pubsub_subscription_iam_member" "worker_viewer" {
  for_each     = google_pubsub_subscription.input
  subscription = each.value.id
  role         = "roles/pubsub.viewer"
  member       = local.worker
}

# Dead-letter policy: Pub/Sub's service agent publishes to the dead-letter topic...
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  for_each = google_pubsub_topic.dead_letter
  topic    = each.value.id
  role     = "roles/pubsub.publisher"
  member   = local.pubsub_service_agent
}

# ...and acknowledges the message it forwarded on the source subscription.
resource "google_pubsub_subscription_iam_member" "dead_letter_forwarder" {
  for_each     = google_pubsub_subscription.input
  subscription = each.value.id
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}
