// Loading --plugin modules (a CLI concern: the library takes functions).
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DfwError } from '../errors.js';
import type { Plugin, PluginFunction } from '../transform/plugins.js';

export type ModuleImporter = (url: string) => Promise<unknown>;

/** How plugin modules are imported; the bin hands in its own import() (see main.ts). */
let importModule: ModuleImporter = (url) => import(url);

export function setModuleImporter(importer: ModuleImporter): void {
  importModule = importer;
}

export async function loadPlugins(paths: readonly string[]): Promise<Plugin[]> {
  const out: Plugin[] = [];
  for (const path of paths) {
    let mod: Record<string, unknown>;
    try {
      mod = (await importModule(pathToFileURL(resolve(path)).href)) as Record<string, unknown>;
    } catch (e) {
      throw new DfwError(`plugin ${path} cannot be loaded: ${e instanceof Error ? e.message : String(e)}`);
    }
    const fn = mod.transform ?? mod.default;
    if (typeof fn !== 'function')
      throw new DfwError(
        `plugin ${path} exports no transform function (export function transform(dump, context) or a default export)`,
      );
    out.push({ name: path, transform: fn as PluginFunction });
  }
  return out;
}
