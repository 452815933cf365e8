// The public-key login in one exchange. ssh2 first asks the server whether it would accept a key
// (a "publickey" request without a signature, answered by USERAUTH_PK_OK) and signs only then: one
// round trip more per login, a second authorized_keys lookup by sshd, and a packet each way more.
// OpenSSH's client sends the signed request at once when it holds the private key (sshconnect2.c:
// the query is for keys whose private half it would still have to load or ask an agent for); so do
// we, for the identity files loaded here (src/connectors/identity-keys.ts). Agent keys keep ssh2's
// query, as their signature is the agent's to make. The signature is over this session's identifier,
// sent only to a host whose key was verified (the login starts after the key exchange): it proves
// nothing to anyone else and is worth nothing on another connection.
import type { Client as ClientType, ParsedKey } from 'ssh2';

type SignCallback = (data: Buffer, done: (signature: Buffer) => void) => void;
type AuthPK = (username: string, key: unknown, keyAlgo?: string | SignCallback, sign?: SignCallback) => void;

/** The hash of the RSA signature algorithms ssh2 picks from the server's server-sig-algs (its getKeyAlgos). */
const RSA_HASH: Record<string, string> = { 'rsa-sha2-256': 'sha256', 'rsa-sha2-512': 'sha512', 'ssh-rsa': 'sha1' };

const holdsPrivateKey = (key: unknown): key is ParsedKey =>
  typeof key === 'object' && key !== null && typeof (key as ParsedKey).isPrivateKey === 'function' && (key as ParsedKey).isPrivateKey() && typeof (key as ParsedKey).sign === 'function';

/**
 * Makes `client` sign its public-key login requests without asking first. Reaches into ssh2's
 * protocol object (there is no option for it); test/integration/ssh-login.test.ts fails if an ssh2
 * upgrade moves it, and without it the login works as before (one exchange more).
 */
export function signLoginAtOnce(client: ClientType): void {
  const proto = (client as unknown as { _protocol?: { authPK?: AuthPK } })._protocol;
  const authPK = proto?.authPK;
  if (!proto || typeof authPK !== 'function') return;
  proto.authPK = function (username, key, keyAlgo, sign) {
    if (sign !== undefined || typeof keyAlgo === 'function' || !holdsPrivateKey(key)) return authPK.call(this, username, key, keyAlgo, sign);
    const hash = keyAlgo === undefined ? undefined : RSA_HASH[keyAlgo];
    let unsigned = false;
    // ssh2 calls the signer before it sends anything: a key that cannot sign falls back to ssh2's
    // own query, whose answer leads to its own signing and its own error report.
    authPK.call(this, username, key, keyAlgo, (data, done) => {
      const signature = key.sign(data, hash) as Buffer | Error;
      if (signature instanceof Error) unsigned = true;
      else done(signature);
    });
    if (unsigned) authPK.call(this, username, key, keyAlgo);
  };
}
