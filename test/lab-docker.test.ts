// The policy proven with real packets on a Docker-like host in network namespaces,
// with iptables-nft (the default variant). The suite and the lab: test/lab/suite.ts, topology.ts.
// The legacy variant runs the same suite from test/lab-docker-legacy.test.ts, in parallel.
import { labSuite } from './lab/suite.js';

labSuite('nft');
