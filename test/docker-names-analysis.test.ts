// Container names in the analysis commands (issue 18): `exposure` and `lint` take the same
// --containers snapshot as transform, bundle and nft, so that a policy written with names can be
// reviewed before it is applied. Fixtures: the real host's dump and snapshot (gen-containers.sh).
import { describe, expect, it } from 'vitest';
import { dfw } from './support/cli.js';

const HOST = 'fixtures/docker/host.v4';
const POLICY = 'fixtures/docker/names/policy.yaml';
const SNAPSHOT = 'fixtures/docker/containers.json';

interface Finding {
  ruleId: string;
  severity: string;
  message: string;
}

describe('container names in exposure and lint', () => {
  it('exposure --policy resolves the names: web:8080 goes from anyone to the set only', () => {
    const r = dfw(['exposure', HOST, '-p', POLICY, '--containers', SNAPSHOT, '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const text = dfw(['exposure', HOST, '-p', POLICY, '--containers', SNAPSHOT]).stdout;
    const web = text.slice(text.indexOf('tcp 8080 -> 172.17.0.2:80'), text.indexOf('tcp 8443'));
    expect(web).toMatch(/before: anyone\n\s+after:\s+set:ipfriends \(203\.0\.113\.7\)/);
  });

  it('a policy with names and no snapshot is refused at the name, as transform refuses it', () => {
    for (const cmd of ['exposure', 'lint']) {
      const r = dfw([cmd, HOST, '-p', POLICY]);
      expect(r.status, cmd).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(
        /names\/policy\.yaml:7:16: allow\[0\]\.container: container "web" is resolved from a snapshot/,
      );
    }
  });

  it('--containers without --policy is refused (there are no names to resolve)', () => {
    for (const cmd of ['exposure', 'lint']) {
      const r = dfw([cmd, HOST, '--containers', SNAPSHOT]);
      expect(r.status, cmd).toBe(2);
      expect(r.stderr).toMatch(/--containers resolves the names of a policy: give --policy P with it/);
    }
  });

  it('lint counts a named rule open to any source as allowing the ports Docker published for it', () => {
    const r = dfw(['lint', HOST, '-p', POLICY, '--containers', SNAPSHOT, '--format', 'json']);
    expect(r.status).toBe(1); // other ports stay open to anyone while the policy allows fewer sources
    const open = (JSON.parse(r.stdout) as { findings: Finding[] }).findings.filter(
      (f) => f.ruleId === 'published-port-open',
    );
    const severityOf = (port: string) => open.find((f) => f.message.startsWith(`published port ${port} `))?.severity;
    // shop-web (service web, project shop) is allowed from any: its two replicas' ports are only info.
    expect(severityOf('9080/tcp')).toBe('info');
    expect(severityOf('9081/tcp')).toBe('info');
    // web is allowed from the set only: open to anyone is a warning.
    expect(severityOf('8080/tcp')).toBe('warning');
  });
});
