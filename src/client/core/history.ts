/**
 * Input history for Up/Down: the lines sent, newest last, and a position
 * while browsing. What was being typed before Up is kept and comes back at
 * the bottom.
 */
export class InputHistory {
  private readonly entries: string[] = [];
  /** entries.length when not browsing. */
  private position = 0;
  private draft = '';

  constructor(private readonly limit = 500) {}

  /** Record a sent line and stop browsing. */
  push(line: string): void {
    if (line !== '' && this.entries[this.entries.length - 1] !== line) this.entries.push(line);
    if (this.entries.length > this.limit) this.entries.shift();
    this.position = this.entries.length;
    this.draft = '';
  }

  /** The older line (Up); `current` is what the input holds now. */
  up(current: string): string {
    if (this.position === this.entries.length) this.draft = current;
    if (this.position > 0) this.position--;
    return this.entries[this.position] ?? current;
  }

  /** The newer line (Down), back to the draft at the bottom. */
  down(): string {
    if (this.position >= this.entries.length) return this.draft;
    this.position++;
    return this.position === this.entries.length ? this.draft : (this.entries[this.position] as string);
  }

  get size(): number {
    return this.entries.length;
  }
}
