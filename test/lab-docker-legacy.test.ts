// The same lab and suite as test/lab-docker.test.ts, with iptables-legacy. Skipped, with
// the reason printed, where the kernel cannot run the legacy variant.
import { labSuite } from './lab/suite.js';

labSuite('legacy');
