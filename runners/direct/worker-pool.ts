import { join } from "path";
import { Worker } from "worker_threads";
import { Row } from "../../schemas/table";
import { RawChunk } from "../../transforms/core/chunk";
import { BundleContext } from "../../transforms/core/bundle-context";
import { BundleResult } from "./bundle";
import { BundleExecutor } from "./committer";

/** What a pool worker is told at start: which pipeline, with which options. */
export interface WorkerSetup {
  pipeline: string;
  options: unknown;
}

export interface WorkerRequest {
  id: number;
  chunks: RawChunk[];
  context: BundleContext;
}

export type WorkerReply =
  | { id: number; tables: [string, Row[]][]; counters: Record<string, number> }
  | { id: number; error: string };

interface Waiting {
  resolve: (result: BundleResult) => void;
  reject: (error: Error) => void;
}

/**
 * Executes bundles on `size` worker threads, each running its own Beam direct
 * runner, so both cores parse while this thread reads input and writes the
 * sink (the direct runner itself is single-threaded: Python Beam's
 * `direct_num_workers` plays the same role).
 */
export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: { request: WorkerRequest; waiting: Waiting }[] = [];
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private failure?: Error;

  constructor(size: number, setup: WorkerSetup) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(join(__dirname, "worker.js"), { workerData: setup });
      worker.on("message", (reply: WorkerReply) => this.settle(worker, reply));
      worker.on("error", (error) => this.fail(error));
      worker.on("exit", (code) => code !== 0 && this.fail(new Error(`direct runner worker exited with code ${code}`)));
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  readonly execute: BundleExecutor = (chunks, context) =>
    new Promise<BundleResult>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.queue.push({ request: { id: this.nextId++, chunks, context }, waiting: { resolve, reject } });
      this.dispatch();
    });

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop()!;
      const { request, waiting } = this.queue.shift()!;
      this.waiting.set(request.id, waiting);
      worker.postMessage(request);
    }
  }

  private settle(worker: Worker, reply: WorkerReply): void {
    const waiting = this.waiting.get(reply.id)!;
    this.waiting.delete(reply.id);
    this.idle.push(worker);
    if ("error" in reply) waiting.reject(new Error(reply.error));
    else waiting.resolve({ tables: new Map(reply.tables), counters: reply.counters });
    this.dispatch();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiting of this.waiting.values()) waiting.reject(error);
    for (const { waiting } of this.queue) waiting.reject(error);
    this.waiting.clear();
    this.queue.length = 0;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
