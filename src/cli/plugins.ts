// Loading and running --plugin modules (a CLI concern: the library takes functions).
//
// A plugin is user code running inside dfw's process, whose stdout is a restore file. So while
// plugins are in play: their console output goes to stderr (a console.log must not become a
// line of the restore file), process.exit throws instead of ending dfw with a success code and
// no output, an error thrown outside the plugin's own promise ends dfw with exit 2 (not Node's
// 1, which means "differs"), each plugin has a time limit, and main() reports a plugin whose
// promise never settles (the event loop drains with the result pending) instead of exiting 0.
import { Console } from 'node:console';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DfwError } from '../errors.js';
import { chain, comment, goTo, jump, match, not, opt, rule, table } from '../iptables/build.js';
import type { Plugin, PluginContext, PluginFunction } from '../transform/plugins.js';

export type ModuleImporter = (url: string) => Promise<unknown>;

/** How plugin modules are imported; the bin hands in its own import() (see main.ts). */
let importModule: ModuleImporter = (url) => import(url);

export function setModuleImporter(importer: ModuleImporter): void {
  importModule = importer;
}

/** The AST builders of the package, in every plugin's context: `import ... from 'dfw'` resolves only where dfw is installed as a package. */
export const PLUGIN_BUILDERS = { rule, chain, table, comment, opt, not, match, jump, goTo };

/** What the plugins are doing now, for the messages of the guards (undefined: no plugin running). */
let activity: string | undefined;
/** Plugins loaded so far (their paths as given). */
const loaded: string[] = [];

/** The process's own exit, kept before a plugin can see the replaced one. */
const realExit = process.exit.bind(process);

/** Whether any plugin was loaded: main() then ends the process itself once the command is done. */
export function pluginsLoaded(): boolean {
  return loaded.length > 0;
}

/** What a pending command waits for, when the event loop drains before it finished. */
export function pendingWork(): string {
  return activity ?? 'the command';
}

/** Ends the process now, with `code` (plugins may have left timers or sockets that would keep it alive). */
export function exitNow(code: number): never {
  return realExit(code);
}

let guarded = false;

/** Installs the guards, once, before the first plugin's own code runs (its top level included). */
function guard(): void {
  if (guarded) return;
  guarded = true;
  // dfw writes its results straight to file descriptor 1 (io.ts), never through these.
  const toStderr = new Console({ stdout: process.stderr, stderr: process.stderr });
  globalThis.console = toStderr;
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  process.exit = ((code?: number | string | null) => {
    // The wrappers name the plugin (applyPlugins, loadPlugins, or the handler below).
    throw new DfwError(`called process.exit(${code ?? ''}): a plugin returns its dump (or nothing), and dfw exits`);
  }) as typeof process.exit;
  // An error no promise of a plugin carries (a timer's callback, an unawaited promise): nothing
  // is written, exit 2, as for any other plugin error.
  process.on('uncaughtException', (e) => {
    const where = activity ?? `outside its returned promise, in one of the plugins (${loaded.join(', ')})`;
    process.stderr.write(`dfw: ${where}: ${e instanceof Error ? e.message : String(e)}; nothing was written\n`);
    realExit(2);
  });
}

/** `work`, or a rejection after `seconds` (a timer that alone does not keep the process alive). */
function withTimeLimit<T>(work: Promise<T>, seconds: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DfwError(`${what} did not finish within ${seconds} s (--plugin-timeout)`)),
      seconds * 1000,
    );
    timer.unref();
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}

/**
 * Imports each plugin and wraps its transform: the context gets the AST builders
 * (`context.build.rule(...)`), and each run is named (for the guards) and time-limited.
 */
export async function loadPlugins(paths: readonly string[], timeLimitSeconds: number): Promise<Plugin[]> {
  const out: Plugin[] = [];
  if (paths.length > 0) guard();
  for (const path of paths) {
    loaded.push(path);
    let mod: Record<string, unknown>;
    activity = `plugin ${path} (loading: its top-level code)`;
    try {
      mod = (await withTimeLimit(
        importModule(pathToFileURL(resolve(path)).href),
        timeLimitSeconds,
        `plugin ${path}: loading`,
      )) as Record<string, unknown>;
    } catch (e) {
      throw new DfwError(`plugin ${path} cannot be loaded: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      activity = undefined;
    }
    const fn = mod.transform ?? mod.default;
    if (typeof fn !== 'function')
      throw new DfwError(
        `plugin ${path} exports no transform function (export function transform(dump, context) or a default export)`,
      );
    const transform: PluginFunction = async (dump, context: PluginContext) => {
      activity = `plugin ${path}`;
      try {
        return await withTimeLimit(
          Promise.resolve((fn as PluginFunction)(dump, { ...context, build: PLUGIN_BUILDERS } as PluginContext)),
          timeLimitSeconds,
          'it',
        );
      } finally {
        activity = undefined;
      }
    };
    out.push({ name: path, transform });
  }
  return out;
}
