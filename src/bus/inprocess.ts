/**
 * A bus whose nodes live in one process, joined through a shared hub.
 * With a single node (the default) publishing is a cheap no-op.
 * Delivery is asynchronous (a microtask later), like a real network, so code
 * cannot come to depend on a synchronous echo.
 */
import type { Bus, BusHandler } from './bus.js';
import type { ClusterEvent } from './events.js';

export class InProcessHub {
  readonly nodes = new Set<InProcessBus>();

  connect(nodeId: string): InProcessBus {
    return new InProcessBus(nodeId, this);
  }
}

export class InProcessBus implements Bus {
  private readonly handlers = new Set<BusHandler>();
  private closed = false;

  constructor(
    readonly nodeId: string,
    private readonly hub: InProcessHub = new InProcessHub(),
  ) {
    hub.nodes.add(this);
  }

  publish(event: ClusterEvent): void {
    if (this.closed || this.hub.nodes.size < 2) return;
    for (const node of this.hub.nodes) {
      if (node !== this) queueMicrotask(() => node.receive(event));
    }
  }

  subscribe(handler: BusHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.hub.nodes.delete(this);
    this.handlers.clear();
  }

  private receive(event: ClusterEvent): void {
    if (this.closed || event.origin === this.nodeId) return;
    for (const handler of this.handlers) handler(event);
  }
}
