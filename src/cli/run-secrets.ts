// The run's secret registry. The command line runs one command per process, so it creates one registry
// here and hands it to the loader (LoadPlanOptions.secrets, loadInventory, parseExtraVars), the engine
// (RunOptions.secrets), the reporters (--report) and its own error printers.
import { SecretRegistry } from '../core/secret.js';

export const runSecrets = new SecretRegistry();
