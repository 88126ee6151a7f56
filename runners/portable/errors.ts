/**
 * A step of a portable run that failed for a reason outside this program (a
 * service down, a refusal): one line for the user. Apart from submit.ts so
 * that the CLI recognizes it without loading the portable runner (and the
 * Pub/Sub and Beam job API modules it needs) for a direct run.
 */
export class PortableRunError extends Error {}
