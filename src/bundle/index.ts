// `dfw bundle`, as a library: the files a host needs to load a policy at boot and keep it
// across Docker restarts (pure functions: file contents in, file contents out).
export { type Bundle, type BundleFile, BUNDLE_FILE_NAMES, buildBundle } from './build.js';
export { type BundleDifference, compareBundle } from './compare.js';
export { writtenByDfw } from './own.js';
export {
  type BundleOptions,
  bundleOptions,
  pathProblem,
  DEFAULT_DFW_PATH,
  DEFAULT_PREFIX,
  DEFAULT_SBIN_DIR,
} from './options.js';
export { ipsetRestoreText } from './ipset.js';
export { bootRulesText } from './rules.js';
export { FIREWALL_UNIT, REAPPLY_UNIT, firewallUnit, reapplyUnit, firewallCommands, reapplyCommands } from './units.js';
