// The chains a packet can pass through from DOCKER-USER: the chain itself and the user chains
// it jumps to (dfw's `DFW-<name>`, ufw-docker's, CrowdSec's), never Docker's own.
import { isDockerOwnChain } from '../../docker/layout.js';
import { target } from '../../docker/layout-rule.js';
import type { DumpView } from '../../docker/layout-view.js';
import { BUILTIN_CHAINS } from '../../iptables/ast.js';

const VERDICTS = new Set([
  'ACCEPT',
  'DROP',
  'REJECT',
  'RETURN',
  'QUEUE',
  'NFQUEUE',
  'LOG',
  'MARK',
  'CONNMARK',
  'NFLOG',
]);

/** Whether a jump target is a user chain of filter that the walk follows. */
export function followable(view: DumpView, name: string | undefined): name is string {
  return (
    name !== undefined &&
    !VERDICTS.has(name) &&
    !isDockerOwnChain(name) &&
    !BUILTIN_CHAINS.filter.includes(name) &&
    view.decls('filter').has(name)
  );
}

/** `start` and every user chain reachable from it by jumps (each once), in the order first reached. */
export function reachedFrom(view: DumpView, start: string): string[] {
  if (!view.decls('filter').has(start)) return [];
  const seen = new Set<string>([start]);
  const queue = [start];
  // Bounded: each chain enters the queue once.
  while (queue.length > 0) {
    const chain = queue.shift()!;
    for (const r of view.rules('filter', chain)) {
      const t = target(r);
      if (followable(view, t) && !seen.has(t)) {
        seen.add(t);
        queue.push(t);
      }
    }
  }
  return [...seen];
}
