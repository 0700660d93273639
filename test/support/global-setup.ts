// Safety net: namespaces left by a crashed run are removed before and after the suite.
import { deleteStrayNamespaces } from './netns.js';

export function setup(): void {
  deleteStrayNamespaces();
}

export function teardown(): void {
  const left = deleteStrayNamespaces();
  if (left.length > 0) console.warn(`teardown removed namespaces left by tests: ${left.join(', ')}`);
}
