// Compiles a policy into the rules dfw manages, for one address family, in the exact form
// iptables-save prints them, so that a host where they are loaded saves back the same text.
import { DfwError } from '../errors.js';
import type { Match, Option, Rule } from '../iptables/ast.js';
import { jump, match, opt, rule } from '../iptables/build.js';
import type { AllowRule, Family, PortRange, Policy, Source } from './types.js';

/** A set's family: 4 or 6, or 'any' for a list:set (its members may be of either). */
export type SetFamily = Family | 'any';

/** A problem with the policy found while compiling it, at a path in the policy (`sources[1]`). */
export class PolicyPathError extends DfwError {
  override name = 'PolicyPathError';
  constructor(
    readonly path: (string | number)[],
    readonly reason: string,
  ) {
    super(`${path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('')}: ${reason}`);
  }
}

export interface CompileOptions {
  /** Family of every set that may be referenced: the policy's own and those of an ipset dump. */
  setFamilies?: ReadonlyMap<string, SetFamily>;
}

/** The comment every managed rule carries: `dfw:<policy>:<rule>`. */
export function managedTag(policy: string, ruleName: string): string {
  return `dfw:${policy}:${ruleName}`;
}

/** The prefix that marks the rules of one policy (or of any policy, without a name). */
export function managedPrefix(policy?: string): string {
  return policy === undefined ? 'dfw:' : `dfw:${policy}:`;
}

/** The prefix of the chain each policy owns: `DFW-<policy>`. */
export const OWNED_CHAIN_PREFIX = 'DFW-';

/**
 * The user chain that holds the rules of `policy` (`DFW-web`). The policy name is at most 24
 * bytes (POLICY_NAME_MAX), so the chain name stays within iptables' 28 (docs/format.md#limits-of-iptables-restore).
 */
export function ownedChain(policy: string): string {
  return `${OWNED_CHAIN_PREFIX}${policy}`;
}

/** Rule names of the tags dfw gives the jumps it adds: `dfw:<policy>:jump`, `dfw:<policy>:forward`. */
export const JUMP_RULE = 'jump';
export const FORWARD_RULE = 'forward';

/** Whether a comment is the tag of some policy's jump (`dfw:<any>:jump`). */
export function isJumpTag(comment: string): boolean {
  return comment.startsWith('dfw:') && comment.endsWith(`:${JUMP_RULE}`) && comment.split(':').length === 3;
}

/**
 * The one jump from the policy's chain (DOCKER-USER or DOCKER) to the chain it owns, tagged
 * `dfw:<policy>:jump`. Unconditional: every rule inside the owned chain matches `-i <external>`.
 */
export function jumpRule(policy: Policy): Rule {
  return rule(policy.chain, {
    matches: [match('comment', opt('--comment', managedTag(policy.name, JUMP_RULE)))],
    target: jump(ownedChain(policy.name)),
  });
}

/** The FORWARD jump `--create-chain` adds when the dump has no Docker chain, tagged so that strip finds it. */
export function forwardJumpRule(policy: Policy): Rule {
  return rule('FORWARD', {
    matches: [match('comment', opt('--comment', managedTag(policy.name, FORWARD_RULE)))],
    target: jump(policy.chain),
  });
}

/** Families of the sets declared in the policy itself. */
export function policySetFamilies(policy: Policy): Map<string, SetFamily> {
  return new Map(
    policy.ipsets.map((s) => [s.name, s.type === 'list:set' ? 'any' : s.family === 'inet6' ? 6 : 4] as const),
  );
}

const portText = (p: PortRange): string => (p.from === p.to ? `${p.from}` : `${p.from}:${p.to}`);

/**
 * The managed rules of `policy` for `family`, all in the chain the policy owns (`DFW-<name>`,
 * example: `compilePolicy(policy, 4).map(printRule)`), in order: established, each `allow`
 * entry, `sources`, then the default drop or reject. Each matches traffic coming in on the
 * external interfaces. The jump to that chain is jumpRule().
 */
export function compilePolicy(policy: Policy, family: Family, options: CompileOptions = {}): Rule[] {
  const sets = new Map(policySetFamilies(policy));
  for (const [k, v] of options.setFamilies ?? []) if (!sets.has(k)) sets.set(k, v);
  const c: Compiling = {
    policy,
    family,
    sets,
    // Jumped to from DOCKER-USER, "let through" must not be terminal: RETURN goes back to
    // DOCKER-USER, whose other rules (other tools' bans) and then Docker's own chains
    // (isolation, unpublished-port drops) still decide. The DOCKER chain is Docker's final
    // accept step, where the original guide used ACCEPT (docs/docker.md#return-not-accept-in-docker-user).
    pass: policy.chain === 'DOCKER-USER' ? 'RETURN' : 'ACCEPT',
    chain: ownedChain(policy.name),
  };
  return [...establishedRules(c), ...allowRules(c), ...sourcesRules(c), ...defaultRules(c)];
}

/** What every step of compilePolicy needs. */
interface Compiling {
  policy: Policy;
  family: Family;
  /** The family of each set a rule may name: the policy's, then those of --ipsets. */
  sets: ReadonlyMap<string, SetFamily>;
  /** The verdict that lets a packet through. */
  pass: 'RETURN' | 'ACCEPT';
  chain: string;
}

const tag = (c: Compiling, name: string) => match('comment', opt('--comment', managedTag(c.policy.name, name)));

/** `-s` or `-m set` for one source; undefined when the source is of the other family. */
function sourceMatch(c: Compiling, s: Source, where: (string | number)[]) {
  if (s.kind === 'any') return { options: [], matches: [] };
  if (s.kind === 'cidr') return s.family === c.family ? { options: [opt('-s', s.cidr)], matches: [] } : undefined;
  const f = c.sets.get(s.name);
  if (f === undefined) {
    throw new PolicyPathError(
      where,
      `set ${s.name} is not declared under ipsets: and not in the ipset dump given with --ipsets (iptables-restore would fail: "Set ${s.name} doesn't exist")`,
    );
  }
  return f === c.family || f === 'any'
    ? { options: [], matches: [match('set', opt('--match-set', s.name, 'src'))] }
    : undefined;
}

/**
 * Replies to the containers' own outgoing connections come back on the external interface: let
 * them through before any drop (docs/docker.md#replies-first).
 */
function establishedRules(c: Compiling): Rule[] {
  if (!c.policy.established) return [];
  return c.policy.external.map((iface) =>
    rule(c.chain, {
      options: [opt('-i', iface)],
      matches: [tag(c, 'established'), match('conntrack', opt('--ctstate', 'RELATED,ESTABLISHED'))],
      target: jump(c.pass),
    }),
  );
}

function allowRules(c: Compiling): Rule[] {
  const out: Rule[] = [];
  c.policy.allow.forEach((a, ai) => {
    const dests = a.to === undefined || a.to.length === 0 ? [undefined] : a.to;
    for (const iface of c.policy.external) {
      for (const [fi, from] of a.from.entries()) {
        const src = sourceMatch(c, from, ['allow', ai, 'from', fi]);
        if (src === undefined) continue;
        for (const to of dests) {
          if (to !== undefined && to.family !== c.family) continue;
          const base = [...src.options, ...(to ? [opt('-d', to.cidr)] : []), opt('-i', iface), opt('-p', a.proto)];
          out.push(...allowPortRules(c, a, base, src.matches));
        }
      }
    }
  });
  return out;
}

/** One allow entry's rules for one source and destination: a rule per port. */
function allowPortRules(c: Compiling, a: AllowRule, base: Option[], srcMatches: Match[]): Rule[] {
  const out: Rule[] = [];
  // Published host ports: FORWARD sees the packet after DNAT, so the port the client asked
  // for is only in conntrack's original tuple (docs/docker.md#match-the-published-port-through-conntrack).
  for (const p of a.port ?? []) {
    out.push(
      rule(c.chain, {
        options: base,
        matches: [
          tag(c, a.name),
          ...srcMatches,
          match('conntrack', opt('--ctorigdstport', portText(p)), opt('--ctdir', 'ORIGINAL')),
        ],
        target: jump(c.pass),
      }),
    );
  }
  out.push(...publishedRules(c, a, base, srcMatches));
  for (const p of a.containerPort ?? []) {
    out.push(
      rule(c.chain, {
        options: base,
        matches: [tag(c, a.name), ...srcMatches, match(a.proto, opt('--dport', portText(p)))],
        target: jump(c.pass),
      }),
    );
  }
  return out;
}

/**
 * A rule naming containers (names-resolve.ts): per port Docker publishes for them, the host port
 * through conntrack (and the host address when published on one) and the container's own port
 * after DNAT, never the container's address, so that a re-created container is still matched.
 */
function publishedRules(c: Compiling, a: AllowRule, base: Option[], srcMatches: Match[]): Rule[] {
  if (a.select === undefined) return [];
  if (a.published === undefined)
    throw new PolicyPathError(
      ['allow', c.policy.allow.indexOf(a), a.select.kind],
      'names containers: resolve the policy with a docker inspect snapshot first (--containers FILE, resolveNames)',
    );
  return a.published
    .filter((t) => t.family === c.family)
    .map((t) =>
      rule(c.chain, {
        options: base,
        matches: [
          tag(c, a.name),
          ...srcMatches,
          match(
            'conntrack',
            ...(t.hostIp === undefined ? [] : [opt('--ctorigdst', t.hostIp)]),
            opt('--ctorigdstport', `${t.hostPort}`),
            opt('--ctdir', 'ORIGINAL'),
          ),
          match(a.proto, opt('--dport', `${t.containerPort}`)),
        ],
        target: jump(c.pass),
      }),
    );
}

function sourcesRules(c: Compiling): Rule[] {
  const out: Rule[] = [];
  for (const iface of c.policy.external) {
    for (const [si, s] of c.policy.sources.entries()) {
      const src = sourceMatch(c, s, ['sources', si]);
      if (src === undefined) continue;
      out.push(
        rule(c.chain, {
          options: [...src.options, opt('-i', iface)],
          matches: [tag(c, 'sources'), ...src.matches],
          target: jump(c.pass),
        }),
      );
    }
  }
  return out;
}

function defaultRules(c: Compiling): Rule[] {
  const verdict =
    c.policy.default === 'drop'
      ? jump('DROP')
      : jump('REJECT', opt('--reject-with', c.family === 6 ? 'icmp6-port-unreachable' : 'icmp-port-unreachable'));
  return c.policy.external.map((iface) =>
    rule(c.chain, { options: [opt('-i', iface)], matches: [tag(c, 'default')], target: verdict }),
  );
}
