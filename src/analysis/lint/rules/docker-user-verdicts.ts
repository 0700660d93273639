// The verdicts inside DOCKER-USER (and the chains it jumps to): ACCEPT where RETURN is meant
// (docs/docker.md#return-not-accept-in-docker-user), and a broad DROP before the rule that lets
// replies through (docs/docker.md#replies-first).
import { lineOf, matchOptions, onlyEstablished, setNames, states, target } from '../../../docker/layout-rule.js';
import type { Rule } from '../../../iptables/ast.js';
import { ruleSource } from '../../../iptables/rule.js';
import { followable, reachedFrom } from '../walk.js';
import type { LintRule, LintedDump, Reporter } from '../types.js';

export const acceptInDockerUser: LintRule = {
  id: 'accept-in-docker-user',
  severity: 'warning',
  short: 'ACCEPT in DOCKER-USER (RETURN is meant)',
  full:
    "ACCEPT in DOCKER-USER ends filter FORWARD for the packet: it skips Docker's own drops of unpublished " +
    'ports, the isolation between networks and DOCKER-CT. Every port of every container on the path becomes ' +
    'reachable for what the rule matches. The same holds in a chain DOCKER-USER jumps to.',
  help:
    '"Let through" in DOCKER-USER is RETURN (Docker\'s chains still decide); deny is DROP or REJECT. A dfw ' +
    "policy's owned chain uses RETURN.",
  check(ctx, report) {
    for (const d of ctx.dumps) {
      for (const chain of reachedFrom(d.view, 'DOCKER-USER')) {
        for (const r of d.view.rules('filter', chain)) {
          if (target(r) !== 'ACCEPT') continue;
          const via = chain === 'DOCKER-USER' ? 'DOCKER-USER' : `${chain} (reached from DOCKER-USER)`;
          const established = onlyEstablished(r);
          report(
            d,
            { node: r, needle: '-j ACCEPT' },
            established
              ? `ACCEPT of established traffic in ${via} skips DOCKER-CT and Docker's isolation for it`
              : `ACCEPT in ${via} ends FORWARD: Docker's unpublished-port drops and network isolation are skipped for what it matches`,
            "use `-j RETURN` to let traffic on to Docker's chains; dfw policies do (`allow:` entries become RETURN rules)",
            established ? 'info' : undefined,
          );
        }
      }
    }
  },
};

/** A DROP that replies to the containers' own connections can meet: not limited by source, port, state or direction. */
function broadDrop(r: Rule): boolean {
  const t = target(r);
  if (t !== 'DROP' && t !== 'REJECT') return false;
  const s = ruleSource(r);
  if (s !== undefined && !s.negated) return false;
  if (setNames(r).length > 0 && matchOptions(r, ['--match-set']).some((x) => !x.option.negated)) return false;
  const st = states(r);
  if (st !== undefined && (st.negated ? st.values.includes('ESTABLISHED') : !st.values.includes('ESTABLISHED')))
    return false;
  // `--ctdir REPLY` is no limit for replies; every other of these, not negated, is.
  const limits = matchOptions(r, ['--dport', '--dports', '--destination-port', '--ctorigdstport', '--ctdir', '--syn']);
  return !limits.some((x) => !x.option.negated && !(x.option.flag === '--ctdir' && x.option.values[0] === 'REPLY'));
}

/** An "established first" rule: RELATED,ESTABLISHED let through. */
const passesReplies = (r: Rule): boolean =>
  (target(r) === 'RETURN' || target(r) === 'ACCEPT') &&
  (states(r)?.values.includes('ESTABLISHED') ?? false) &&
  !states(r)!.negated;

interface Walk {
  d: LintedDump;
  report: Reporter;
  visiting: Set<string>;
  reported: boolean;
}

/**
 * Walks a chain in order; returns whether an ACCEPT of replies was met (it protects the rest of
 * the caller too). A RETURN of replies protects only the rest of its own chain: the caller's
 * later rules see the packet again.
 */
function walk(w: Walk, chain: string, covered: boolean): boolean {
  if (w.visiting.has(chain)) return false;
  w.visiting.add(chain);
  let accepted = false;
  for (const r of w.d.view.rules('filter', chain)) {
    if (passesReplies(r)) {
      covered = true;
      if (target(r) === 'ACCEPT') accepted = true;
      continue;
    }
    const t = target(r);
    if (followable(w.d.view, t)) {
      if (walk(w, t, covered)) covered = accepted = true;
      continue;
    }
    if (!covered && !w.reported && broadDrop(r)) {
      w.reported = true;
      w.report(
        w.d,
        { node: r, needle: `-j ${t}` },
        `${t} in ${chain} at line ${lineOf(r)} comes before any RELATED,ESTABLISHED rule: replies to the containers' own outgoing connections are dropped`,
        'put `-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN` above it (scoped like the drop, e.g. `-i eth0`); in a dfw policy: `established: true`',
      );
    }
  }
  w.visiting.delete(chain);
  return accepted;
}

export const dropWithoutEstablished: LintRule = {
  id: 'drop-without-established',
  severity: 'warning',
  short: 'A DROP or REJECT in DOCKER-USER with no RELATED,ESTABLISHED rule above it',
  full:
    "Replies to the containers' own outgoing connections come back on the external interface and pass " +
    'DOCKER-USER like any forwarded packet. A broad DROP or REJECT there (not limited to some sources, ports ' +
    'or new connections) with no rule above it that lets RELATED,ESTABLISHED traffic through cuts the ' +
    'containers off: their DNS lookups, package downloads and API calls time out.',
  help:
    'Put `-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN` above the drop, with the same interface; in ' +
    'a dfw policy `established: true` (the default) does it.',
  check(ctx, report) {
    for (const d of ctx.dumps) {
      if (!d.view.decls('filter').has('DOCKER-USER')) continue;
      walk({ d, report, visiting: new Set(), reported: false }, 'DOCKER-USER', false);
    }
  },
};
