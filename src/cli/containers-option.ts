// --containers FILE: the snapshot of the running containers (`docker inspect $(docker ps -q)`)
// that resolves the container, service and label names of a policy. One option for every
// command that reads a policy (transform, bundle, nft, exposure, lint).
import type { Argv } from 'yargs';
import { readContainers } from '../docker/containers.js';
import { resolveNames } from '../policy/names-resolve.js';
import { readInput } from './io.js';
import { atPolicyPosition, type LoadedPolicy } from './policy-input.js';

export function containersOption<T>(y: Argv<T>): Argv<T & { containers: string | undefined }> {
  return y.option('containers', containersOption.spec);
}
containersOption.spec = {
  type: 'string',
  describe:
    'docker inspect $(docker ps -q) output: resolves the container:, service: and label: names of allow rules to the ports Docker publishes for them',
} as const;

/** The policy with its names resolved from the snapshot at `path` (none given: an error if the policy names containers). */
export function withContainers(loaded: LoadedPolicy, path: string | undefined): LoadedPolicy {
  const snapshot = path === undefined ? undefined : readContainers(...textOf(path));
  return { ...loaded, policy: atPolicyPosition(loaded, () => resolveNames(loaded.policy, snapshot)) };
}

function textOf(path: string): [string, string] {
  const { text, file } = readInput(path);
  return [text, file];
}
