/**
 * Pub/Sub cannot be used as asked: reported in one line (see
 * explainPubSubError). Apart from the client so that a run reading files
 * does not load the Pub/Sub client library to recognize this error.
 */
export class PubSubError extends Error {}
