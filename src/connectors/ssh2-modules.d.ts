// Types of the ssh2 modules imported one by one (ssh2-parts.ts): those of the package's index.
declare module 'ssh2/lib/client.js' {
  import { Client } from 'ssh2';
  export = Client;
}

declare module 'ssh2/lib/protocol/keyParser.js' {
  import { utils } from 'ssh2';
  const keyParser: { parseKey: typeof utils.parseKey };
  export = keyParser;
}
