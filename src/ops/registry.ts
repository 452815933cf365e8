// Every operation a plan may name, by name. The loader validates task arguments against these schemas
// and the editor JSON Schema is generated from them, so there is one definition of each argument.
import { command } from './command.js';
import { copy } from './copy.js';
import { directory } from './directory.js';
import { file } from './file.js';
import { group } from './group.js';
import { line } from './line.js';
import type { Operation } from './operation.js';
import { pkg } from './package.js';
import { service } from './service.js';
import { settings } from './settings.js';
import { sysrc } from './sysrc.js';
import { template } from './template.js';
import { user } from './user.js';
import { blockinfile } from './blockinfile.js';
import { iniFile } from './ini-file.js';
import { replace } from './replace.js';
import { stat } from './stat.js';
import { slurp } from './slurp.js';
import { link } from './link.js';
import { getUrl } from './get-url.js';
import { fetch } from './fetch.js';
import { assertOp, failOp } from './assert.js';
import { setFact } from './set-fact.js';
import { waitFor } from './wait-for.js';
import { sysctl } from './sysctl.js';
import { cron } from './cron.js';
import { debconf } from './debconf.js';
import { aptRepository, deb822Repository } from './apt-repository.js';
import { pkgRepository, yumRepository } from './yum-repository.js';
import { reboot } from './reboot.js';


const all: Operation[] = [file, copy, template, directory, line, settings, command, pkg, service, user, group, sysrc];
// Ansible's file-level operations (issue 17).
all.push(stat, slurp, fetch, getUrl, blockinfile, iniFile, replace, link);
// The plan's own results: checks and host variables (no change on the host).
all.push(assertOp, failOp, setFact);
// Waiting for the host (a port, a path, a line in a file).
all.push(waitFor);
// System operations.
all.push(sysctl, cron, debconf, aptRepository, deb822Repository, yumRepository, pkgRepository, reboot);

export const operations: ReadonlyMap<string, Operation> = new Map(all.map((op) => [op.name, op]));
