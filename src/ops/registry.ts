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
import { sysctl } from './sysctl.js';
import { cron } from './cron.js';
import { debconf } from './debconf.js';
import { aptRepository, deb822Repository } from './apt-repository.js';
import { pkgRepository, yumRepository } from './yum-repository.js';
import { reboot } from './reboot.js';

const all: Operation[] = [file, copy, template, directory, line, settings, command, pkg, service, user, group, sysrc];
// Issue 17, system operations (h17-sysops).
all.push(sysctl, cron, debconf, aptRepository, deb822Repository, yumRepository, pkgRepository, reboot);

export const operations: ReadonlyMap<string, Operation> = new Map(all.map((op) => [op.name, op]));
