// Runs a program to its end for tests: exit code, stdout and stderr as text, and both together in
// the order they arrived. A child still running after `timeoutMs` is killed, so a hang fails one
// test instead of stalling the suite.
import { spawn } from 'node:child_process';

export interface ProcessResult {
  /** -1 when killed by a signal. */
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as they arrived. */
  output: string;
}

export interface ProcessOptions {
  cwd?: string;
  /** The whole environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Written to stdin, then closed; without it stdin is /dev/null. Either way, not a terminal. */
  input?: string;
  timeoutMs?: number;
}

export function runProcess(cmd: string, args: string[], opts: ProcessOptions = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let output = '';
    child.stdout!.on('data', (d) => ((stdout += d), (output += d)));
    child.stderr!.on('data', (d) => ((stderr += d), (output += d)));
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, output });
    });
  });
}
