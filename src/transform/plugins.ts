// User transforms: functions over the AST that run after the policy, in order. What they
// return goes through the same validation as the JSON form, so that an edited rule can never
// print as its stale source line, and prints with the same quoting and limits. A plugin gets
// its own items and table bodies, to splice; the nodes in them are frozen (editRule…).
import { DfwError } from '../errors.js';
import type { IptablesDump } from '../iptables/ast.js';
import { iptablesFromJson, iptablesToJson } from '../iptables/json.js';
import type { Family, Policy } from '../policy/types.js';

export interface PluginContext {
  policy: Policy;
  family: Family;
}

/** A user transform: returns the new dump (or nothing, when it changed the one it was given). */
export type PluginFunction = (
  dump: IptablesDump,
  context: PluginContext,
) => IptablesDump | void | Promise<IptablesDump | void>;

export interface Plugin {
  /** How messages name it (its path). */
  name: string;
  transform: PluginFunction;
}

/**
 * Runs the plugins in order; an error names the plugin that caused it.
 *
 *   const out = await applyPlugins(dump, [{ name: 'log', transform: (d) => d }], { policy, family: 4 });
 */
export async function applyPlugins(
  dump: IptablesDump,
  plugins: readonly Plugin[],
  context: PluginContext,
): Promise<IptablesDump> {
  let current = dump;
  for (const p of plugins) {
    let result: IptablesDump | void;
    const given = ownContainers(current);
    try {
      result = await p.transform(given, context);
    } catch (e) {
      // An edit of a frozen parsed node: say what to do instead.
      const hint =
        e instanceof TypeError && /read.only|not extensible|Cannot (assign|add|delete)/.test(e.message)
          ? ' (parsed nodes are read-only: return new nodes, made with editRule, editTable or the builders)'
          : '';
      throw new DfwError(`plugin ${p.name} failed: ${e instanceof Error ? e.message : String(e)}${hint}`);
    }
    const next = result ?? given;
    try {
      current = iptablesFromJson(iptablesToJson(next));
    } catch (e) {
      throw new DfwError(`plugin ${p.name} returned an invalid dump: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return current;
}

/** Fresh arrays for the items and each table's body (a plugin may edit them in place). */
function ownContainers(d: IptablesDump): IptablesDump {
  const items = d.items.map((t) => (t.kind === 'table' ? { kind: t.kind, name: t.name, body: [...t.body] } : t));
  return { ...d, items };
}
