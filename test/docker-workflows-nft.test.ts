// The README's workflows against a real Docker daemon whose iptables is the nft variant (issue 18);
// the tests are in test/support/docker-workflows.ts.
import { workflows } from './support/docker-workflows.js';
import { describeDocker } from './support/dockerd.js';

describeDocker('README workflows on a real dockerd (iptables-nft)', () => workflows('nft'));
