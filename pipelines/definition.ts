import * as beam from "apache-beam";
import { Row, TableSpec } from "../schemas/table";
import { RawChunk } from "../transforms/core/chunk";
import { Source } from "../io/sources/source";
import { MergeSpecs } from "../io/sinks/merge";
import { ViewSpec } from "../schemas/views";
import { OptionSpec } from "./options";
import { Panel } from "./dashboard";
import { CatalogSnapshot } from "../transforms/catalog/titles";

/** Each output table's rows, one batch of rows per element (the rows of one input chunk). */
export type TableOutputs = Record<string, beam.PCollection<Row[]>>;

/** What a runner hands the graph beside its input. */
export interface SideInputs {
  /**
   * The catalog's titles (title_basics), for a pipeline that `readsCatalog`:
   * a collection the graph reads as a Beam side input (in the global
   * window), or one snapshot fixed when the job was submitted, for a runner
   * that cannot run the SDK's side inputs (Flink: docs/catalog.md); absent
   * when the warehouse has no catalog.
   */
  readonly catalog?: beam.PCollection<CatalogSnapshot> | CatalogSnapshot;
}

/**
 * What a pipeline is: a Beam graph from raw input chunks to table outputs, with
 * the IO left to the runner so the same graph reads a file in a test, Pub/Sub
 * locally, and runs on Dataflow.
 */
export interface PipelineDefinition<Options> {
  readonly name: string;
  readonly description: string;
  /** The pipeline's own flags; their values make up `Options`. */
  readonly options: readonly OptionSpec[];
  /** Every table `expand` writes, dead letters included. */
  readonly tables: readonly TableSpec[];
  /** The graph. Must only use what every runner supports (no IO, no async). */
  expand(input: beam.PCollection<RawChunk>, options: Options, sides?: SideInputs): TableOutputs;
  /** The graph takes the catalog's titles as a side input (`sides.catalog`), which the runner reads from the warehouse (docs/catalog.md). */
  readonly readsCatalog?: boolean;
  /**
   * How far behind the watermark an event may be and still update its
   * event-time windows, for a runner whose own windowing strategy judges
   * lateness (portable runners: runners/portable/graph.ts); none: 0.
   */
  allowedLatenessSec?(options: Options): number;
  /** Tables whose rows are CombineFn panes, merged by the sink (see io/sinks/merge.ts). */
  readonly merges?: MergeSpecs;
  /**
   * Where each valid record's event time ends up (a table and its TIMESTAMP
   * column), for a runner that estimates the watermark of unbounded input
   * itself (the direct runner on Pub/Sub). Only pipelines with event-time windows.
   */
  readonly eventTime?: { readonly table: string; readonly column: string };
  /**
   * A table keyed by the input record's own id: a record whose key an earlier
   * commit (or bundle) already stored is a duplicate, and the runner has the
   * graph skip it (currentBundle.skipKeys), so merged tables count it once.
   */
  readonly countedOnceBy?: string;
  /** Views over its tables, created with them by the sinks, `resources ensure` and Terraform. */
  readonly views?: readonly ViewSpec[];
  /** Its input files each replace a table whole, and are skipped when unchanged (the catalog; docs/catalog.md). */
  readonly snapshots?: SnapshotSpec;
}

/**
 * A batch pipeline whose input files are snapshots (IMDb publishes each
 * dataset whole): a file whose MD5 equals its last logged ingestion's is not
 * read; a changed one replaces its table's rows; every file and run gets a
 * row in `log` (schemas/catalog.ts, ingestionLog).
 */
export interface SnapshotSpec {
  readonly log: TableSpec;
  /** The table a file replaces, by its path; undefined when it is not an input of the pipeline. */
  tableOf(path: string): string | undefined;
  /** The file names it takes, for the message that refuses another. */
  readonly accepts: string;
}

/** What a run on the direct runner adds to the graph: its input when none is given, and its summary. */
export interface LocalRun<Options> {
  /** The deterministic sample it runs over when no `--input` is given (its size is one of the options). */
  sampleSource?(seed: number, options: Options): Source;
  /** Instead, for a pipeline of snapshots: its sample written as files (deterministic, so a second run finds them unchanged). */
  sampleFiles?(seed: number, options: Options): Promise<string[]>;
  /** A query worth running on the results, for the summary. */
  readonly exampleQuery: string;
  /** What the end-of-run summary says beyond the common counts. */
  newReport(): RunReport;
  /** The dashboard page's panels over the warehouse (runners/dashboard). */
  readonly panels: readonly Panel[];
}

/** A pipeline as the command line runs it: the graph, and what a local run adds. */
export type RunnablePipeline<Options> = PipelineDefinition<Options> & LocalRun<Options>;

/** Called with every committed batch of a table's rows. */
export type RowObserver = (table: string, rows: readonly Row[]) => void;

/** One line of the summary: its label and its text (the summary aligns the labels). */
export type SummaryLine = readonly [label: string, text: string];

/** The pipeline's part of the end-of-run summary, fed with every committed batch. */
export interface RunReport {
  observe: RowObserver;
  /** Its summary lines; `counters` are the run's Beam counters, by name. */
  render(counters: Readonly<Record<string, number>>): SummaryLine[];
}
