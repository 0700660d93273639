// Service names people write instead of port numbers. dfw does not read /etc/services (a policy
// and a dump must mean the same on every host), but it can say which number was probably meant.
// Most are Debian's netbase names; a few (dns, postgres, redis, http-alt) are what people write.

export const WELL_KNOWN_PORTS: Readonly<Record<string, number>> = {
  ftp: 21,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  domain: 53,
  dns: 53,
  http: 80,
  pop3: 110,
  ntp: 123,
  imap: 143,
  snmp: 161,
  ldap: 389,
  https: 443,
  smtps: 465,
  submission: 587,
  ldaps: 636,
  imaps: 993,
  pop3s: 995,
  mysql: 3306,
  postgres: 5432,
  postgresql: 5432,
  redis: 6379,
  'http-alt': 8080,
};
