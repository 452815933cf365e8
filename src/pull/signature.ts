// An SSH signature of a tarball (--signature-url, checked against --allowed-signers): made with
// `ssh-keygen -Y sign -n fleetplan-bundle -f <key> bundle.tar.gz`, checked with OpenSSH's own
// `ssh-keygen -Y find-principals` and `-Y verify` (OpenSSH 8.2 or later on the host). Unlike a digest,
// a signature may be served next to the bundle: whoever replaces both still lacks the private key.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { localFailure, refused } from './errors.js';

/** The signature namespace (`-n`): a signature made for anything else (a git commit, a file) does not verify as a bundle's. */
export const SIGNATURE_NAMESPACE = 'fleetplan-bundle';

function sshKeygen(args: string[], stdin?: Buffer): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile('ssh-keygen', args, { maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return reject(localFailure('ssh-keygen is not installed on this host (a signed bundle needs OpenSSH 8.2 or later)'));
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    child.stdin?.end(stdin);
  });
}

/** Refuses the bundle unless `signature` is a valid SSH signature of it by a key of `allowedSigners`. */
export async function checkSignature(bundle: Buffer, signature: Buffer, allowedSigners: string, workDir: string): Promise<string> {
  const tmp = mkdtempSync(path.join(workDir, '.verify-'));
  try {
    const sig = path.join(tmp, 'bundle.sig');
    writeFileSync(sig, signature, { mode: 0o600 });
    const found = await sshKeygen(['-Y', 'find-principals', '-s', sig, '-f', allowedSigners]);
    const principal = found.stdout.split('\n')[0]?.trim();
    if (found.code !== 0 || !principal) throw refused(`the bundle's signature is by no key of ${allowedSigners}: refused, nothing applied`);
    const v = await sshKeygen(['-Y', 'verify', '-f', allowedSigners, '-I', principal, '-n', SIGNATURE_NAMESPACE, '-s', sig], bundle);
    if (v.code !== 0) throw refused(`the bundle's signature does not verify (${(v.stderr || v.stdout).trim().split('\n').at(-1)}): refused, nothing applied`);
    return principal;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
