// The local transport (`--connection local`): the same Connection contract over `sh -c` child
// processes, so plans run unchanged against the controller itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { userInfo } from 'node:os';
import { performance } from 'node:perf_hooks';
import { ConnectError } from '../core/errors.js';
import { attachIo, describeBecome, wrapBecome, type WrappedCommand } from './become.js';
import { addressLabel, becomeTarget, CommandTimeoutError, type CommandResult, type Connection, type HostAddress, type ExecOptions, type ScriptOptions } from './connection.js';
import { ScriptShells, type ShellProcess } from './shell-session.js';

export async function connectLocal(addr: HostAddress): Promise<Connection> {
  return new LocalConnection(addr);
}

class LocalConnection implements Connection {
  readonly label: string;
  execCount = 0;
  private readonly loginUser = userInfo().username;

  private readonly shells: ScriptShells;

  constructor(private readonly addr: HostAddress) {
    this.label = addressLabel(addr);
    this.shells = new ScriptShells({
      label: this.label,
      host: addr.name,
      become: addr.become,
      loginUser: this.loginUser,
      start: async (wrapped) => this.startShell(wrapped),
      runOnce: (command, opts) => this.run(command, opts),
    });
  }

  script(text: string | Buffer, opts: ScriptOptions = {}): Promise<CommandResult> {
    return this.shells.run(text, opts);
  }

  private startShell(wrapped: WrappedCommand): ShellProcess {
    const child = spawn('sh', ['-c', wrapped.command], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.execCount++;
    const ended = new Promise<{ code: number; signal?: string }>((resolve, reject) => {
      child.on('error', (e) => reject(new ConnectError(`cannot run sh on ${this.label}: ${e.message}`, { host: this.addr.name, cause: e })));
      child.on('close', (code, signal) => resolve({ code: code ?? 128, ...(signal ? { signal: signal.replace(/^SIG/, '') } : {}) }));
    });
    ended.catch(() => undefined);
    return { stdin: child.stdin, stdout: child.stdout, stderr: child.stderr, ended, kill: () => killGroup(child) };
  }

  run(command: string, opts: ExecOptions = {}): Promise<CommandResult> {
    const wrapped = wrapBecome(command, becomeTarget(this.addr.become, opts.become), this.loginUser);
    const start = performance.now();
    return new Promise((resolve, reject) => {
      // Own process group, so a timeout kills the whole command tree, not just sh (an orphaned
      // grandchild would keep the pipes, and so this process, alive).
      const child = spawn('sh', ['-c', wrapped.command], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      this.execCount++;
      const io = attachIo(child.stdin, child.stdout, child.stderr, wrapped, opts.stdin);
      let timedOut = false;
      const timer =
        opts.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              killGroup(child);
              reject(new CommandTimeoutError(`command timed out after ${opts.timeoutMs} ms on ${this.label}: ${command.slice(0, 200)}`, { host: this.addr.name }));
            }, opts.timeoutMs);
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new ConnectError(`cannot run sh on ${this.label}: ${e.message}`, { host: this.addr.name, cause: e }));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (timedOut) return;
        const exitCode = code ?? 128;
        const becomeWhy = io.becomeFailure(exitCode);
        if (becomeWhy) {
          return reject(new ConnectError(`become (${describeBecome(wrapped)}) failed on ${this.label}: ${becomeWhy}`, { host: this.addr.name }));
        }
        resolve({
          stdout: io.stdout(),
          stderr: io.stderr(),
          exitCode,
          ...(signal ? { signal: signal.replace(/^SIG/, '') } : {}),
          ms: Math.round(performance.now() - start),
        });
      });
    });
  }

  close(): Promise<void> {
    return this.shells.close();
  }
}

/** The command's whole process group: an orphaned grandchild would keep the pipes, and so this process, alive. */
function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}
