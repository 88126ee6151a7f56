import { CatalogSnapshot } from "../../transforms/catalog/titles";

/**
 * The catalog snapshot the driver hands each bundle's graph: read from the
 * warehouse before the first bundle, and again once `refreshMs` have passed
 * since the last read (a stream; a bounded input reads it once), so the
 * bundles cut after a re-read see the catalog as it is then. Beam's
 * slowly-updating side input, on a runner that runs one Beam run per bundle.
 */
export class CatalogFeed {
  private snapshot: CatalogSnapshot | undefined;
  private readAt = Number.NEGATIVE_INFINITY;
  /** Reads so far (the first included). */
  reads = 0;

  constructor(
    private readonly read: () => Promise<CatalogSnapshot | undefined>,
    private readonly refreshMs: number,
    private readonly onChange: (snapshot: CatalogSnapshot | undefined, first: boolean) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** The snapshot for the next bundle (re-read first when it is due). */
  async current(): Promise<CatalogSnapshot | undefined> {
    if (this.reads > 0 && this.now() - this.readAt < this.refreshMs) return this.snapshot;
    const read = await this.read();
    this.readAt = this.now();
    this.reads++;
    if (this.reads === 1 || read?.[0] !== this.snapshot?.[0]) this.onChange(read, this.reads === 1);
    this.snapshot = read;
    return read;
  }
}
