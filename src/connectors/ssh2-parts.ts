// The two parts of ssh2 fleetplan uses: its client and its key parser. The package's index loads its
// server, key generator and HTTP(S)-over-SSH agents as well, and with those Node's http, https and tls
// modules, at every start of every command, for nothing fleetplan calls.
import Client from 'ssh2/lib/client.js';
import keyParser from 'ssh2/lib/protocol/keyParser.js';

export { Client };
export const parseKey = keyParser.parseKey;
