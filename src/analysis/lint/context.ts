// Reads each dump once for the rules: its view, its layout, its published ports.
import { layoutOfView } from '../../docker/layout.js';
import { ruleDestination } from '../../iptables/rule.js';
import { DumpView } from '../../docker/layout-view.js';
import { publishedPorts } from '../../docker/published.js';
import { detectFamily } from '../../iptables/family.js';
import type { Family, IptablesDump, Rule } from '../../iptables/ast.js';
import type { IpsetDump } from '../../ipset/ast.js';
import { target } from '../../docker/layout-rule.js';
import type { LintedDump, PublishedRule } from './types.js';

/** The published port of one DNAT rule of nat DOCKER (read as src/docker/published.ts reads them). */
function publishedOf(r: Rule): PublishedRule | undefined {
  const one: IptablesDump = {
    kind: 'iptables',
    items: [{ kind: 'table', name: 'nat', body: [r] }],
    finalNewline: true,
  };
  const p = publishedPorts(one)[0];
  if (p === undefined) return undefined;
  const d = ruleDestination(r);
  return {
    ...p,
    rule: r,
    ...(d !== undefined && !d.negated ? { hostAddress: d.value.replace(/\/(32|128)$/, '') } : {}),
  };
}

export interface DumpInput {
  readonly dump: IptablesDump;
  readonly file: string;
  /** The family when the dump does not tell (`--family`). */
  readonly family?: Family;
}

export function lintedDump(input: DumpInput, ipsets: IpsetDump | undefined): LintedDump {
  const view = new DumpView(input.dump);
  const family = input.dump.family ?? input.family ?? detectFamily(input.dump) ?? 4;
  let published: PublishedRule[] | undefined;
  return {
    file: input.file,
    family,
    dump: input.dump,
    view,
    layout: layoutOfView(view, ipsets ? { ipsets } : {}),
    // Read when a rule first asks: a host publishing thousands of ports has as many DNAT rules
    // to parse, and most rules look at their own chains first.
    get published(): readonly PublishedRule[] {
      published ??= view
        .rules('nat', 'DOCKER')
        .filter((r) => target(r) === 'DNAT')
        .flatMap((r) => publishedOf(r) ?? []);
      return published;
    },
  };
}
