/**
 * The server's listeners (plain TCP, TLS, WebSocket), opened, changed and
 * closed to match the configuration. On REHASH an unchanged listener stays
 * open (a TLS one takes the new certificate without dropping anyone), a moved
 * one is reopened, a removed one closed; if any listener cannot open, nothing
 * changes (and the REHASH is refused whole).
 */
import cluster from 'node:cluster';
import type { AddressInfo, Server } from 'node:net';
import type { Logger } from 'pino';
import type { LoadedConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { AcceptGate } from '../net/handshake.js';
import type { Link } from '../net/link.js';
import { listenNative, nativeUnavailable } from '../net/native.js';
import { boundAddress, listenSockets, type TlsMaterial } from '../net/tcp.js';
import { loadTlsMaterial } from '../net/tlsfiles.js';
import { listenWebSocket } from '../net/websocket.js';

export type ListenerKind = 'plain' | 'tls' | 'websocket';

/** How plain TCP connections are driven (config listen.transport). */
type TransportChoice = Config['listen']['transport'];

interface Spec {
  kind: ListenerKind;
  host: string;
  port: number;
  /** Plain listener only. */
  transport?: TransportChoice;
  tls?: TlsMaterial;
  origins?: readonly string[];
  trustedProxies?: readonly string[];
  webClient?: boolean;
  webHosts?: readonly string[];
}

interface Open {
  spec: Spec;
  address(): AddressInfo;
  /** 'native' or 'node' for the plain listener (the log says which). */
  driver?: string;
  /** The URL of the chat page, for the log; null when not served. */
  pageUrl?(): string | null;
  /** Stop accepting; resolves when the listener and its connections are closed. */
  close(): Promise<void>;
  /** Take new lists and TLS material in place (nobody connected is dropped). */
  update(spec: Spec): void;
}

/** What the config asks for; reads (and checks) the TLS files. Throws TlsFileError naming a bad file. */
export function listenerSpecs(loaded: LoadedConfig): Spec[] {
  const { config, tlsPaths } = loaded;
  const material = tlsPaths ? loadTlsMaterial(tlsPaths.cert, tlsPaths.key) : undefined;
  const specs: Spec[] = [{ kind: 'plain', host: config.listen.host, port: config.listen.port, transport: config.listen.transport }];
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
  return a.host === b.host && a.port === b.port && !!a.tls === !!b.tls && a.transport === b.transport;
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
    return open ? open.address() : null;
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
      for (const open of opened.values()) void open.close();
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
        void open.close();
        this.open.delete(kind);
        if (!wanted.has(kind)) this.log.info({ event: 'listener-closed', kind }, `${kind} listener closed`);
      }
      for (const spec of specs) {
        const fresh = opened.get(spec.kind);
        if (fresh) {
          this.open.set(spec.kind, fresh);
          const address = fresh.address();
          const driver = fresh.driver ? `, ${fresh.driver} transport` : '';
          this.log.info(
            { event: 'listening', kind: spec.kind, host: address.address, port: address.port, ...(fresh.driver ? { transport: fresh.driver } : {}) },
            `listening (${spec.kind}${driver}) on ${address.address}:${address.port}`,
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
        address: () => boundAddress(ws.server),
        close: () => closeServer(ws.server, ws.close),
        update: (next) => ws.update(settings(next)),
        pageUrl: () => (ws.page ? pageUrl(boundAddress(ws.server), !!spec.tls) : null),
      };
    }
    if (spec.kind === 'plain') {
      const native = this.nativeFor(spec.transport ?? 'auto');
      if (native) {
        const listener = await listenNative(spec.host, spec.port, this.onLink, this.acceptError);
        return { spec, driver: 'native', address: () => listener.address(), close: () => listener.close(), update: () => {} };
      }
    }
    const listener = await listenSockets(common, this.onLink);
    return {
      spec,
      ...(spec.kind === 'plain' ? { driver: 'node' } : {}),
      address: () => boundAddress(listener.server),
      close: () => closeServer(listener.server, () => listener.server.close()),
      update: (next) => {
        if (next.tls) listener.setTls(next.tls);
      },
    };
  }

  /**
   * Whether the plain listener uses the native transport. `auto` takes it when
   * the addon is built, except in a worker of `--workers` (there the primary
   * accepts and hands sockets over, which only Node's sockets can take).
   * `native` without the addon is an error naming why.
   */
  private nativeFor(choice: TransportChoice): boolean {
    if (choice === 'node') return false;
    const why = cluster.isWorker ? 'a worker of --workers takes its sockets from the primary (Node sockets only)' : nativeUnavailable();
    if (why === null) return true;
    if (choice === 'native') throw new Error(`listen.transport is native, but the native transport cannot be used: ${why}`);
    if (!this.toldFallback) {
      this.toldFallback = true;
      this.log.info({ event: 'transport-fallback', reason: why }, `plain TCP uses Node's sockets: ${why}`);
    }
    return false;
  }

  private toldFallback = false;

  /** Stop accepting on every listener; resolves when they are closed (after their connections end). */
  close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    return Promise.all(all.map((open) => open.close())).then(() => undefined);
  }
}

/** Close a Node server with `close`; resolves on its 'close' event (after its connections end). */
function closeServer(server: Server, close: () => void): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      close();
      resolve();
      return;
    }
    server.once('close', () => resolve());
    close();
  });
}

/** How a person on this machine opens the page: a wildcard address becomes loopback. */
function pageUrl(address: AddressInfo, secure: boolean): string {
  let host = address.address;
  if (host === '0.0.0.0') host = '127.0.0.1';
  else if (host === '::') host = '[::1]';
  else if (host.includes(':')) host = `[${host}]`;
  return `${secure ? 'https' : 'http'}://${host}:${address.port}/`;
}
