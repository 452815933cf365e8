// The run's secret registry: the command line runs one command per process, and hands this registry to
// the engine (RunOptions.secrets), the reporters (--report) and its own error printers.
import { loaderSecrets, type SecretRegistry } from '../core/secret.js';

/**
 * The loader (YAML tags, templates, vault, variable resolution) still registers into `loaderSecrets`,
 * so that is the run's registry until the loader takes one from its context (issue 16, remaining step).
 */
export const runSecrets: SecretRegistry = loaderSecrets;
