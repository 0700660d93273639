export type FormatArg = 'iptables' | 'ipset';

export const formatOption = {
  choices: ['iptables', 'ipset'] as const,
  describe: 'input format (default: recognised from the content)',
};
