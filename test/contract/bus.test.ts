/** Runs the Bus contract against each implementation. */
import { InProcessHub } from '../../src/bus/inprocess.js';
import { busContract } from './bus.suite.js';

busContract(
  'InProcessBus',
  async (count) => {
    const hub = new InProcessHub();
    const nodes = Array.from({ length: count }, (_, i) => hub.connect(`node${i}`));
    return { nodes, close: async () => void (await Promise.all(nodes.map((n) => n.close()))) };
  },
  { canLoseEvents: false },
);

