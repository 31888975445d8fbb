/**
 * The server's listeners (plain TCP, TLS, WebSocket), opened, changed and
 * closed to match the configuration. On REHASH an unchanged listener stays
 * open (a TLS one takes the new certificate without dropping anyone), a moved
 * one is reopened, a removed one closed; if any listener cannot open, nothing
 * changes (and the REHASH is refused whole).
 */
import type { AddressInfo, Server } from 'node:net';
import type { Logger } from 'pino';
import type { LoadedConfig } from '../config/load.js';
import type { AcceptGate } from '../net/handshake.js';
import type { Link } from '../net/link.js';
import { boundAddress, listenSockets, type TlsMaterial } from '../net/tcp.js';
import { loadTlsMaterial } from '../net/tlsfiles.js';
import { listenWebSocket } from '../net/websocket.js';

export type ListenerKind = 'plain' | 'tls' | 'websocket';

interface Spec {
  kind: ListenerKind;
  host: string;
  port: number;
  tls?: TlsMaterial;
  origins?: readonly string[];
  trustedProxies?: readonly string[];
  webClient?: boolean;
  webHosts?: readonly string[];
}

interface Open {
  spec: Spec;
  server: Server;
  /** The URL of the chat page, for the log; null when not served. */
  pageUrl?(): string | null;
  close(): void;
  /** Take new lists and TLS material in place (nobody connected is dropped). */
  update(spec: Spec): void;
}

/** What the config asks for; reads (and checks) the TLS files. Throws TlsFileError naming a bad file. */
export function listenerSpecs(loaded: LoadedConfig): Spec[] {
  const { config, tlsPaths } = loaded;
  const material = tlsPaths ? loadTlsMaterial(tlsPaths.cert, tlsPaths.key) : undefined;
  const specs: Spec[] = [{ kind: 'plain', host: config.listen.host, port: config.listen.port }];
  if (config.tls && material) specs.push({ kind: 'tls', host: config.tls.host, port: config.tls.port, tls: material });
  if (config.websocket) {
    const ws = config.websocket;
    specs.push({
      kind: 'websocket',
      host: ws.host,
      port: ws.port,
      ...(ws.tls && material ? { tls: material } : {}),
      origins: ws.origins,
      trustedProxies: ws.trusted_proxies,
      webClient: ws.web_client,
      webHosts: ws.web_hosts,
    });
  }
  return specs;
}

function sameAddress(a: Spec, b: Spec): boolean {
  return a.host === b.host && a.port === b.port && !!a.tls === !!b.tls;
}

export class Listeners {
  private readonly open = new Map<ListenerKind, Open>();

  constructor(
    private readonly onLink: (link: Link) => void,
    private readonly log: Logger,
    /** Admission at accept, for the TLS and WebSocket listeners. */
    private readonly gate: AcceptGate,
  ) {}

  /** Running out of file descriptors: logged once per episode; accepting resumes by itself. */
  private readonly acceptError = (err: NodeJS.ErrnoException) => {
    this.log.error({ event: 'accept-failed', code: err.code }, `cannot accept connections: ${err.code ?? err.message}; clients connected are unaffected, new ones are refused until descriptors are free`);
  };

  address(kind: ListenerKind): AddressInfo | null {
    const open = this.open.get(kind);
    return open ? boundAddress(open.server) : null;
  }

  /**
   * Open what `specs` needs that is not open yet (moved or new listeners),
   * touching nothing that is; commit() then swaps them in, closes what is no
   * longer wanted and updates the rest in place (certificates, lists), and
   * abort() closes what was opened. Throws, having closed what it opened, if
   * a listener cannot open.
   */
  async prepare(specs: Spec[]): Promise<{ commit(): void; abort(): void }> {
    const opened = new Map<ListenerKind, Open>();
    const abort = () => {
      for (const open of opened.values()) open.close();
    };
    for (const spec of specs) {
      const current = this.open.get(spec.kind);
      if (current && sameAddress(current.spec, spec)) continue;
      try {
        opened.set(spec.kind, await this.openOne(spec));
      } catch (err) {
        abort();
        throw err;
      }
    }
    const commit = () => {
      const wanted = new Set(specs.map((spec) => spec.kind));
      for (const [kind, open] of this.open) {
        if (wanted.has(kind) && !opened.has(kind)) continue;
        open.close();
        this.open.delete(kind);
        if (!wanted.has(kind)) this.log.info({ event: 'listener-closed', kind }, `${kind} listener closed`);
      }
      for (const spec of specs) {
        const fresh = opened.get(spec.kind);
        if (fresh) {
          this.open.set(spec.kind, fresh);
          const address = boundAddress(fresh.server);
          this.log.info(
            { event: 'listening', kind: spec.kind, host: address.address, port: address.port },
            `listening (${spec.kind}) on ${address.address}:${address.port}`,
          );
          this.logPage(fresh, spec);
          continue;
        }
        // Same address: keep every client; take a new certificate and lists in place.
        const current = this.open.get(spec.kind) as Open;
        const pageBefore = current.spec.webClient;
        current.update(spec);
        current.spec = spec;
        if (spec.webClient !== pageBefore) this.logPage(current, spec);
      }
    };
    return { commit, abort };
  }

  /** Say where the chat page is (or why it is not), so a person running `npm start` sees the link. */
  private logPage(open: Open, spec: Spec): void {
    if (spec.kind !== 'websocket') return;
    if (!spec.webClient) {
      this.log.info({ event: 'web-client', url: null }, 'chat page off (websocket.web_client: false)');
      return;
    }
    const url = open.pageUrl?.() ?? null;
    if (url) this.log.info({ event: 'web-client', url }, `chat page at ${url}`);
    else this.log.warn({ event: 'web-client', url: null }, 'chat page not built (no dist/web/index.html): run `npm run build`');
  }

  private async openOne(spec: Spec): Promise<Open> {
    const common = { host: spec.host, port: spec.port, ...(spec.tls ? { tls: spec.tls } : {}), gate: this.gate, onAcceptError: this.acceptError };
    if (spec.kind === 'websocket') {
      const settings = (s: Spec) => ({
        origins: s.origins ?? [],
        trustedProxies: s.trustedProxies ?? [],
        webClient: s.webClient ?? false,
        webHosts: s.webHosts ?? [],
        ...(s.tls ? { tls: s.tls } : {}),
      });
      const ws = await listenWebSocket({ ...common, ...settings(spec) }, this.onLink);
      return {
        spec,
        server: ws.server,
        close: ws.close,
        update: (next) => ws.update(settings(next)),
        pageUrl: () => (ws.page ? pageUrl(boundAddress(ws.server), !!spec.tls) : null),
      };
    }
    const listener = await listenSockets(common, this.onLink);
    return {
      spec,
      server: listener.server,
      close: () => listener.server.close(),
      update: (next) => {
        if (next.tls) listener.setTls(next.tls);
      },
    };
  }

  /** Stop accepting on every listener; resolves when they are closed (after their connections end). */
  close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    return Promise.all(all.map((open) => new Promise<void>((resolve) => {
      open.server.once('close', () => resolve());
      open.close();
    }))).then(() => undefined);
  }
}

/** How a person on this machine opens the page: a wildcard address becomes loopback. */
function pageUrl(address: AddressInfo, secure: boolean): string {
  let host = address.address;
  if (host === '0.0.0.0') host = '127.0.0.1';
  else if (host === '::') host = '[::1]';
  else if (host.includes(':')) host = `[${host}]`;
  return `${secure ? 'https' : 'http'}://${host}:${address.port}/`;
}
