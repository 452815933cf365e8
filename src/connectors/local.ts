// The local transport (`--connection local`): the same Connection contract over `sh -c` child
// processes, so plans run unchanged against the controller itself.
import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import { performance } from 'node:perf_hooks';
import { ConnectError } from '../errors.js';
import { attachIo, wrapBecome } from './become.js';
import { addressLabel, CommandTimeoutError, type CommandResult, type Connection, type HostAddress, type RunOptions } from './connection.js';

export async function connectLocal(addr: HostAddress): Promise<Connection> {
  return new LocalConnection(addr);
}

class LocalConnection implements Connection {
  readonly label: string;
  execCount = 0;
  private readonly loginUser = userInfo().username;

  constructor(private readonly addr: HostAddress) {
    this.label = addressLabel(addr);
  }

  run(command: string, opts: RunOptions = {}): Promise<CommandResult> {
    const wrapped = wrapBecome(command, opts.become ? this.addr.become : undefined, this.loginUser);
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
              try {
                process.kill(-child.pid!, 'SIGKILL');
              } catch {
                child.kill('SIGKILL');
              }
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
          return reject(new ConnectError(`become (sudo -u ${wrapped.becomeUser}) failed on ${this.label}: ${becomeWhy}`, { host: this.addr.name }));
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

  async close(): Promise<void> {}
}
