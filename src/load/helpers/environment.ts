// Helpers reading the controller's environment (Ansible's lookup('env', ...)); `secret_env` makes the
// value a Secret of the render's registry.
import { reveal, Secret } from '../../core/secret.js';
import { fail, renderSecretsOf, type HelperDef } from './helper.js';

/** `{{env "NAME"}}`: an environment variable of the controller; unset is an error, never "". */
function envValue(helper: string, name: unknown): string {
  const key = String(reveal(name));
  const v = process.env[key];
  return v ?? fail(helper, `environment variable ${key} is not set`);
}

export const environmentHelpers: HelperDef[] = [
  {
    name: 'env',
    args: 'name',
    ansible: ["lookup('env', 'NAME')"],
    does: "The controller's environment variable; unset is an error, never an empty string.",
    example: '{{env "RELAY_HOST"}}',
    fn: ([name]) => envValue('env', name),
  },
  {
    name: 'secret_env',
    args: 'name',
    ansible: ["lookup('env', 'NAME') with no_log"],
    does: 'As env, and the value is a secret: redacted in every report.',
    example: '{{secret_env "RELAY_PASSWORD"}}',
    fn: ([name], options) => new Secret(envValue('secret_env', name), renderSecretsOf(options)),
  },
];
