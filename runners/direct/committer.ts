import { Sink, WriteResult } from "../../io/sinks/sink";
import { Source } from "../../io/sources/source";
import { RowObserver } from "../../pipelines/definition";
import { Row } from "../../schemas/table";
import { ackIdsOf, RawChunk } from "../../transforms/core/chunk";
import { BundleResult } from "./bundle";

export interface CommitPolicy {
  /** Commit once this many rows wait (each commit costs a transaction and an fsync). */
  maxRows: number;
  /** ...or once the oldest waiting row has waited this long (bounds latency when input is slow). */
  maxDelayMs: number;
}

export interface CommitTotals {
  counters: Record<string, number>;
  /** Per table: rows stored and duplicates skipped. */
  written: WriteResult;
  commits: number;
}

/**
 * Gathers executed bundles, in input order, into sink commits; after each
 * commit it acknowledges exactly the chunks whose rows that commit made
 * durable. It keeps only their ack ids, not their data. Commits run one at a time.
 */
export class Committer {
  readonly totals: CommitTotals = { counters: {}, written: new Map(), commits: 0 };
  private bundles = 0;
  private ackIds: string[] = [];
  private tables = new Map<string, Row[][]>();
  private counters: Record<string, number>[] = [];
  private rows = 0;
  private timer?: NodeJS.Timeout;
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;

  constructor(
    private readonly source: Source,
    private readonly sink: Sink,
    private readonly observe: RowObserver,
    private readonly policy: CommitPolicy,
    private readonly onCommit?: (totals: CommitTotals) => void,
  ) {}

  /**
   * Adds one executed bundle and starts a commit if the policy says so. Call
   * in input order. Resolves at once unless a commit is already running and
   * another waits behind it: that backpressure bounds the rows in memory.
   */
  async add(chunks: RawChunk[], result: BundleResult): Promise<void> {
    this.bundles++;
    for (const chunk of chunks) for (const id of ackIdsOf(chunk)) this.ackIds.push(id);
    for (const [table, rows] of result.tables) {
      if (!this.tables.has(table)) this.tables.set(table, []);
      this.tables.get(table)!.push(rows);
      this.rows += rows.length;
    }
    this.counters.push(result.counters);
    if (this.rows >= this.policy.maxRows) {
      const committed = this.flush();
      if (this.queued > 1) await committed;
    } else {
      this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), this.policy.maxDelayMs);
    }
  }

  /** Commits whatever waits. Resolves once it is durable and acknowledged. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const bundles = this.bundles, ackIds = this.ackIds, tables = this.tables, counters = this.counters;
    this.bundles = 0;
    this.ackIds = [];
    this.tables = new Map();
    this.counters = [];
    this.rows = 0;
    if (bundles === 0) return this.chain;
    this.queued++;
    this.chain = this.chain.then(() => this.commit(ackIds, tables, counters)).finally(() => this.queued--);
    return this.chain;
  }

  private async commit(ackIds: readonly string[], batches: Map<string, Row[][]>, counters: Record<string, number>[]): Promise<void> {
    const tables = new Map<string, Row[]>();
    for (const [table, parts] of batches) tables.set(table, parts.flat());
    const written = await this.sink.write(tables);
    await this.source.acknowledge(ackIds);
    const totals = this.totals;
    totals.commits++;
    for (const bundle of counters) {
      for (const [name, value] of Object.entries(bundle)) totals.counters[name] = (totals.counters[name] ?? 0) + value;
    }
    for (const [table, w] of written) {
      const sum = totals.written.get(table) ?? { stored: 0, duplicates: 0 };
      totals.written.set(table, { stored: sum.stored + w.stored, duplicates: sum.duplicates + w.duplicates });
    }
    // A merged table's observers see its merged rows, not the panes.
    for (const [table, rows] of tables) this.observe(table, written.get(table)?.rows ?? rows);
    this.onCommit?.(totals);
  }
}
