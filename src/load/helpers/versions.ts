// Versions: Ansible's `version` test as a helper, and what a Postfix version knows of main.cf — so a
// role chooses a parameter's value per version (compatibility_level) and refuses, when the task is
// prepared (before the host's first change), a parameter or value the host's Postfix would not know,
// instead of writing it.
import { isPlainObject } from '../../core/secret.js';
import { fail, mapping, plain, text, type HelperDef, type HelperOptions } from './helper.js';

const opt = (options: HelperOptions, name: string): unknown => options.hash?.[name];

/** "3.7.11" → [3, 7, 11]; "3.9-20231225" → [3, 9]; "" or no digits → undefined. */
function parts(v: string): number[] | undefined {
  const m = /^\d+(\.\d+)*/.exec(v.trim());
  return m ? m[0].split('.').map(Number) : undefined;
}

/** <0, 0, >0 as a is older than, the same as, newer than b (missing components are 0). */
export function compareVersions(a: string, b: string): number {
  const x = parts(a) ?? [];
  const y = parts(b) ?? [];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

const OPERATORS: Record<string, (c: number) => boolean> = {
  '<': (c) => c < 0, lt: (c) => c < 0, '<=': (c) => c <= 0, le: (c) => c <= 0,
  '>': (c) => c > 0, gt: (c) => c > 0, '>=': (c) => c >= 0, ge: (c) => c >= 0,
  '==': (c) => c === 0, '=': (c) => c === 0, eq: (c) => c === 0, '!=': (c) => c !== 0, '<>': (c) => c !== 0, ne: (c) => c !== 0,
};

/**
 * The Postfix release that introduced each main.cf parameter a relay is likely to set (from the
 * postconf(5) "This feature is available in Postfix ≥ x" notes); older ones (2.2 and before) are left
 * out: every supported system (CentOS 6's 2.6 onwards) knows them.
 */
export const POSTFIX_PARAMETER_SINCE: Readonly<Record<string, string>> = {
  smtp_tls_security_level: '2.3', smtpd_tls_security_level: '2.3', smtp_tls_mandatory_protocols: '2.3',
  smtpd_milters: '2.3', non_smtpd_milters: '2.3', milter_default_action: '2.3', smtp_tls_protocols: '2.6',
  smtpd_reject_footer: '2.8', enable_long_queue_ids: '2.9', smtpd_relay_restrictions: '2.10',
  smtp_dns_support_level: '2.11', tls_ssl_options: '2.11', compatibility_level: '3.0', smtputf8_enable: '3.0',
  smtp_tls_wrappermode: '3.0', meta_directory: '3.0', shlib_directory: '3.0', smtpd_client_auth_rate_limit: '3.1',
  smtp_tls_chain_files: '3.4', smtpd_tls_chain_files: '3.4', smtp_tls_servername: '3.4', maillog_file: '3.4',
  smtp_tls_connection_reuse: '3.4', tls_server_sni_maps: '3.4', smtpd_forbid_bare_newline: '3.9',
};

/** Values that need a newer Postfix than their parameter: [parameter, value test, since, what]. */
const VALUES_SINCE: readonly [string, (v: string) => boolean, string, string][] = [
  ['compatibility_level', (v) => compareVersions(v, '3.6') >= 0, '3.6', 'a compatibility_level of 3.6 or later'],
  ['*', (v) => /(^|[\s,])lmdb:/.test(v), '2.11', 'an lmdb: table'],
  ['smtp_tls_security_level', (v) => v === 'dane' || v === 'dane-only', '2.11', 'DANE'],
];

/** Why a Postfix of `version` would not know `name = value`, or undefined when it would. */
export function postfixUnknown(name: string, value: string, version: string): string | undefined {
  const since = POSTFIX_PARAMETER_SINCE[name];
  if (since && compareVersions(version, since) < 0) return `parameter '${name}' exists since Postfix ${since}`;
  for (const [param, test, min, what] of VALUES_SINCE) {
    if ((param === '*' || param === name) && test(value) && compareVersions(version, min) < 0) return `'${name} = ${value}': ${what} needs Postfix ${min}`;
  }
  return undefined;
}

export const versionHelpers: readonly HelperDef[] = [
  {
    name: 'version',
    args: 'version other [operator]',
    ansible: ["x is version('3.6', '>=')"],
    does: 'Whether the version compares to the other as the operator says (<, <=, >, >=, ==, != or lt, le, gt, ge, eq, ne; default ==), component by component as numbers (3.10 is after 3.9).',
    example: '{{#if (version facts.postfix_version "3.6" ">=")}}compatibility_level = 3.6{{/if}}',
    fn: ([a, b, op]) => {
      const check = OPERATORS[op === undefined ? '==' : text('version', op, 'the operator')];
      if (!check) fail('version', `unknown operator ${JSON.stringify(op)} (known: ${Object.keys(OPERATORS).join(' ')})`);
      return check(compareVersions(text('version', a, 'the version'), text('version', b, 'the other version')));
    },
  },
  {
    name: 'postfix_known',
    args: 'mapping... version=V',
    ansible: ['(no filter: an assert on ansible_facts per parameter)'],
    does: 'The main.cf parameters of the mappings (later ones winning, as combine), when a Postfix of version V knows each parameter and value (an empty value is not checked); otherwise an error naming the first it does not and the release that brought it. An empty V (Postfix not installed yet) checks nothing.',
    example: 'values: "{{postfix_known postfix_extra_params version=facts.postfix_version}}"',
    fn: (args, options) => {
      const version = text('postfix_known', opt(options, 'version') ?? '', 'version=');
      const all: Record<string, unknown> = {};
      for (const [i, m] of args.entries()) Object.assign(all, mapping('postfix_known', m, `argument ${i + 1}`));
      if (version === '') return all;
      for (const [name, value] of Object.entries(all)) {
        const v = plain(value);
        if (v === null || v === '' || isPlainObject(v)) continue;
        const why = postfixUnknown(name, String(v), version);
        if (why) fail('postfix_known', `this host's Postfix is ${version}: ${why}; not written (choose the value per version, or drop it for this host)`);
      }
      return all;
    },
  },
];
