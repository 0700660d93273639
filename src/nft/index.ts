// dfw on Docker's nftables backend: the policy as one table dfw owns (compile), printed as an
// `nft -f` file (print), compared with the table read back from `nft -j list ruleset`
// (read-ruleset, compare), and Docker's published ports read from the same JSON (published).
export type { NftBaseChain, NftChain, NftFamily, NftJson, NftRule, NftSet, NftTable } from './model.js';
export { compileNft, tableFamily, tableName, CHAIN_NAME, CHAIN_PRIORITY, type FamilyChoice } from './compile.js';
export { nftSet } from './sets.js';
export { scriptText, tableText, ruleText, statementText } from './print.js';
export { readNftRuleset, findTable, type NftRuleset } from './read-ruleset.js';
export { compareTables, liveTableText } from './compare.js';
export {
  nftPublishedPorts,
  nftUnpublishedPorts,
  hasDockerTables,
  DOCKER_TABLE,
  DOCKER_DNAT_CHAIN,
  type NftPublishedPort,
} from './published.js';
export { nftBackendHint } from './backend-hint.js';
