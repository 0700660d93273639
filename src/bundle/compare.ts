// Whether a bundle folder is current: the files that differ from a freshly built bundle, each
// with a unified diff (pure: the caller reads the folder).
import { unifiedDiff } from '../diff.js';
import type { Bundle } from './build.js';

export interface BundleDifference {
  name: string;
  /** missing: not in the folder; changed: other content; stale: in the folder, not in the bundle (removed on write). */
  status: 'missing' | 'changed' | 'stale';
  /** Unified diff, folder → bundle (`/dev/null` for a missing or stale file). */
  diff: string;
}

/**
 * Compares `bundle` with the folder's files. `current` maps each bundle file name found in the
 * folder (see BUNDLE_FILE_NAMES) to its content; `label` gives the name a diff shows for a file.
 */
export function compareBundle(
  bundle: Bundle,
  current: ReadonlyMap<string, string>,
  label: (name: string) => string = (n) => n,
): BundleDifference[] {
  const out: BundleDifference[] = [];
  for (const f of bundle.files) {
    const have = current.get(f.name);
    if (have === f.text) continue;
    const status = have === undefined ? 'missing' : 'changed';
    out.push({
      name: f.name,
      status,
      diff: unifiedDiff(
        have ?? '',
        f.text,
        have === undefined ? '/dev/null' : label(f.name),
        `${label(f.name)} (dfw bundle)`,
      ),
    });
  }
  for (const name of bundle.absent) {
    const have = current.get(name);
    if (have === undefined) continue;
    out.push({
      name,
      status: 'stale',
      diff: unifiedDiff(have, '', label(name), '/dev/null') || `--- ${label(name)}\n+++ /dev/null\n`,
    });
  }
  return out;
}
