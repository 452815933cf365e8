#!/usr/bin/python3
"""Stand-in for sendmail 8.14's daemon mode on the fleet's CentOS hosts (installed as
/usr/sbin/sendmail.sendmail by the placeholder `sendmail` RPM). It exists to hold the SMTP port
like the real daemon: `sendmail -bd` binds 127.0.0.1:25 (CentOS's default DAEMON_OPTIONS), answers
with a Sendmail banner and a minimal SMTP dialogue (mail is discarded), writes /var/run/sendmail.pid
(pid, then the command line, as sendmail does) and exits on SIGTERM. If the port stays busy for
3 s it exits 71 (the real daemon forks first and retries in the background, exiting 0). Anything
but -bd exits 0 (no queue runs, no local submission)."""
import ctypes, datetime, os, signal, socket, sys, threading, time

PIDFILE = '/var/run/sendmail.pid'
VERSION = '@SENDMAIL_VERSION@'


def banner_host():
    try:
        return socket.getfqdn()
    except OSError:
        return socket.gethostname()


def serve(conn):
    host = banner_host()
    now = datetime.datetime.now().astimezone().strftime('%a, %d %b %Y %H:%M:%S %z')
    f = conn.makefile('rwb', buffering=0)
    def say(s):
        f.write((s + '\r\n').encode())
    try:
        say(f'220 {host} ESMTP Sendmail {VERSION}/{VERSION}; {now}')
        in_data = False
        for raw in f:
            line = raw.decode('latin-1').rstrip('\r\n')
            if in_data:
                if line == '.':
                    in_data = False
                    say('250 2.0.0 Message accepted for delivery')
                continue
            verb = line[:4].upper()
            if verb == 'EHLO':
                say(f'250-{host} Hello localhost [127.0.0.1], pleased to meet you')
                say('250-ENHANCEDSTATUSCODES'); say('250-PIPELINING'); say('250-8BITMIME')
                say('250-SIZE'); say('250-DSN'); say('250 HELP')
            elif verb == 'HELO':
                say(f'250 {host} Hello localhost [127.0.0.1], pleased to meet you')
            elif verb == 'MAIL':
                say('250 2.1.0 Sender ok')
            elif verb == 'RCPT':
                say('250 2.1.5 Recipient ok')
            elif verb == 'DATA':
                in_data = True
                say('354 Enter mail, end with "." on a line by itself')
            elif verb in ('RSET', 'NOOP'):
                say('250 2.0.0 OK')
            elif verb == 'QUIT':
                say(f'221 2.0.0 {host} closing connection')
                break
            else:
                say('500 5.5.1 Command unrecognized: "' + line + '"')
    except OSError:
        pass
    finally:
        conn.close()


def main(argv):
    if '-bd' not in argv:
        return 0
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Retry briefly (real sendmail retries in the background): a unit that Conflicts= with
    # postfix is started while postfix is still stopping.
    for attempt in range(30):
        try:
            s.bind(('127.0.0.1', 25))
            s.listen(64)
            break
        except OSError as e:
            if attempt == 29:
                sys.stderr.write(f'451 4.0.0 opendaemonsocket: daemon MTA: cannot bind: {e.strerror}\n')
                return 71
            time.sleep(0.1)
    # The starting process returns only once the daemon has written its pid file, so `status`
    # right after `start` sees it running.
    ready_r, ready_w = os.pipe()
    if os.fork():
        os.close(ready_w)
        return 0 if os.read(ready_r, 1) == b'1' else 71
    os.close(ready_r)
    os.setsid()
    if os.fork():
        os._exit(0)
    # comm "sendmail", so pidof/ps/killproc see a sendmail process.
    ctypes.CDLL(None).prctl(15, b'sendmail', 0, 0, 0)
    devnull = os.open('/dev/null', os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    with open(PIDFILE, 'w') as p:
        p.write(f'{os.getpid()}\nsendmail: accepting connections\n')
    os.write(ready_w, b'1'); os.close(ready_w)

    def bye(*_):
        try:
            if open(PIDFILE).readline().strip() == str(os.getpid()):
                os.unlink(PIDFILE)
        except OSError:
            pass
        os._exit(0)
    signal.signal(signal.SIGTERM, bye)
    signal.signal(signal.SIGINT, bye)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
