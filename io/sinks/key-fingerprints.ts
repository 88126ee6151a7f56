/**
 * A set of 64-bit fingerprints of keys, in two typed arrays (16 bytes a key
 * at most, against a primary-key index's hundreds): it answers "certainly
 * not stored" for almost every new key without asking the warehouse, and
 * "maybe stored" for a stored key or, about once in 2^64 lookups, a
 * colliding one, which the caller confirms against the table itself. Open
 * addressing, linear probing, doubled at half full.
 */
export class KeyFingerprints {
  private high = new Uint32Array(1024);
  private low = new Uint32Array(1024);
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(key: string): void {
    const h = fingerprint(key);
    if (this.insert(h[0], h[1]) && ++this.count * 2 > this.high.length) this.grow();
  }

  mayHave(key: string): boolean {
    const h = fingerprint(key);
    const mask = this.high.length - 1;
    for (let i = (h[1] ^ h[0]) & mask; ; i = (i + 1) & mask) {
      if (this.high[i] === 0 && this.low[i] === 0) return false;
      if (this.high[i] === h[0] && this.low[i] === h[1]) return true;
    }
  }

  /** True when the fingerprint was not there yet. */
  private insert(high: number, low: number): boolean {
    const mask = this.high.length - 1;
    for (let i = (low ^ high) & mask; ; i = (i + 1) & mask) {
      if (this.high[i] === 0 && this.low[i] === 0) {
        this.high[i] = high;
        this.low[i] = low;
        return true;
      }
      if (this.high[i] === high && this.low[i] === low) return false;
    }
  }

  private grow(): void {
    const high = this.high, low = this.low;
    this.high = new Uint32Array(high.length * 2);
    this.low = new Uint32Array(low.length * 2);
    for (let i = 0; i < high.length; i++) if (high[i] !== 0 || low[i] !== 0) this.insert(high[i], low[i]);
  }
}

const pair = new Uint32Array(2);

/** Two independent 32-bit hashes of the key's UTF-16 units (FNV-1a and a multiply-rotate hash); never both zero. */
function fingerprint(key: string): Uint32Array {
  let a = 0x811c9dc5, b = 0x9747b28c ^ key.length;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b = (b << 13) | (b >>> 19);
  }
  b = Math.imul(b ^ (b >>> 15), 0x2c1b3c6d);
  pair[0] = a;
  pair[1] = (b ^ (b >>> 16)) | (a === 0 ? 1 : 0);
  return pair;
}
