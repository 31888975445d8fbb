/**
 * The network-wide register of who holds which nick and which channel, so
 * two nodes cannot hand one nick to two users or both found one channel.
 * Names are given casefolded (the caller folds them with the server's
 * casemapping). MemoryDirectory serves one node and the unit tests;
 * RedisDirectory (redisdirectory.ts) serves a cluster. Both pass
 * test/contract/directory.
 *
 * Every method answers; none throws. 'unavailable' means the directory
 * could not be asked in time (Redis down or hung): the caller refuses the new
 * nick or channel with a clear message, and chat that needs no claim goes on.
 */

/** A nick's holder: the node the user is on and the user's id there. */
export interface NickHolder {
  readonly node: string;
  readonly user: string;
}

export type NickClaim = 'ok' | 'taken' | 'unavailable';
export type ChannelClaim = 'created' | 'exists' | 'unavailable';
export type Release = 'ok' | 'unavailable';
/** 'alive': the node still holds a live lease, so its claims stay (see RedisDirectory.releaseNode). */
export type NodeRelease = 'ok' | 'alive' | 'unavailable';

export interface NameDirectory {
  /** Claim a nick; 'ok' also when this holder already holds it. */
  claimNick(folded: string, holder: NickHolder): Promise<NickClaim>;
  /** Give a nick up, only if `holder` holds it (another holder's claim is left alone). */
  releaseNick(folded: string, holder: NickHolder): Promise<Release>;
  /**
   * Claim `newFolded` and give up `oldFolded` in one step, so the user never
   * holds neither or both. The same folded name twice (a change of case
   * only) keeps the claim.
   */
  renameNick(oldFolded: string, newFolded: string, holder: NickHolder): Promise<NickClaim>;
  /** Record a channel: 'created' for the first node to name it (its founder), 'exists' for everyone after. */
  claimChannel(folded: string, node: string): Promise<ChannelClaim>;
  /** Forget a channel (it emptied), whichever node created it. */
  releaseChannel(folded: string): Promise<Release>;
  /** Drop every nick and channel claim held by `node` (it is gone). */
  releaseNode(node: string): Promise<NodeRelease>;
  /** Who holds a nick: for tests and debugging (WHOIS), not for deciding claims. */
  holderOfNick(folded: string): Promise<NickHolder | null | 'unavailable'>;
  close(): Promise<void>;
}

/** The directory of one node, or of several nodes in one process (tests). Never 'unavailable'. */
export class MemoryDirectory implements NameDirectory {
  private readonly nicks = new Map<string, NickHolder>();
  /** Channel -> the node that created it. */
  private readonly channels = new Map<string, string>();

  async claimNick(folded: string, holder: NickHolder): Promise<NickClaim> {
    const current = this.nicks.get(folded);
    if (current && !sameHolder(current, holder)) return 'taken';
    this.nicks.set(folded, { node: holder.node, user: holder.user });
    return 'ok';
  }

  async releaseNick(folded: string, holder: NickHolder): Promise<Release> {
    const current = this.nicks.get(folded);
    if (current && sameHolder(current, holder)) this.nicks.delete(folded);
    return 'ok';
  }

  async renameNick(oldFolded: string, newFolded: string, holder: NickHolder): Promise<NickClaim> {
    const claimed = await this.claimNick(newFolded, holder);
    if (claimed === 'ok' && oldFolded !== newFolded) await this.releaseNick(oldFolded, holder);
    return claimed;
  }

  async claimChannel(folded: string, node: string): Promise<ChannelClaim> {
    if (this.channels.has(folded)) return 'exists';
    this.channels.set(folded, node);
    return 'created';
  }

  async releaseChannel(folded: string): Promise<Release> {
    this.channels.delete(folded);
    return 'ok';
  }

  async releaseNode(node: string): Promise<NodeRelease> {
    for (const [folded, holder] of this.nicks) if (holder.node === node) this.nicks.delete(folded);
    for (const [folded, creator] of this.channels) if (creator === node) this.channels.delete(folded);
    return 'ok';
  }

  async holderOfNick(folded: string): Promise<NickHolder | null> {
    return this.nicks.get(folded) ?? null;
  }

  async close(): Promise<void> {}
}

function sameHolder(a: NickHolder, b: NickHolder): boolean {
  return a.node === b.node && a.user === b.user;
}
