// Checks credentials against the VC data model with @digitalbazaar/vc's own check (`_checkCredential`, the one its
// `issue` and `verifyCredential` run before any proof), in `verify` mode (dates against now).
//   stdin:  {"credentials": [<credential>, ...]}
//   stdout: {"results": [{"ok": true} | {"ok": false, "error": "..."}, ...]}
import {_checkCredential} from '@digitalbazaar/vc';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const results = [];
for (const credential of request.credentials || []) {
  try {
    _checkCredential({credential, mode: 'verify'});
    results.push({ok: true});
  } catch (error) {
    results.push({ok: false, error: String(error.message || error)});
  }
}
process.stdout.write(JSON.stringify({results}));
