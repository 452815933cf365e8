// The policy daemons consulted for real on CentOS 6 and 7: EPEL's pypolicyd-spf (the personality's
// package is Debian's postfix-policyd-spf-python laid out as EPEL installs it) and OpenDMARC. The
// suite and what it proves are in policy-suite.ts.
import { policySuite } from './policy-suite.js';

policySuite({
  os: ['centos6', 'centos7'],
  spfReject: /^550 5\.7\.23 <[^>]+>: Recipient address rejected: Message rejected due to: SPF fail - not authorized\. .*s=mfrom;id=someone@bad\.example\.net;ip=192\.0\.2\.25/,
  spfPass: /^Received-SPF: Pass \(mailfrom\) identity=mailfrom; client-ip=192\.0\.2\.25; helo=client\.example\.net; envelope-from=someone@good\.example\.net/m,
});
