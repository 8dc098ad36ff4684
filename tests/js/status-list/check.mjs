// Reads a JSON request on stdin and answers on stdout with what @digitalbazaar/vc-bitstring-status-list makes of it:
//   {"decode": "<encodedList>", "indexes": [..]}            -> {"length": n, "statuses": [bool, ..]}
//   {"encode": [set indexes], "length": n}                  -> {"encodedList": "u..."}
//   {"check": <credential with BitstringStatusListEntry>}   -> checkStatus's results, each list fetched over HTTP
import {checkStatus, createList, decodeList} from '@digitalbazaar/vc-bitstring-status-list';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));

async function documentLoader(url) {
  const response = await fetch(url, {headers: {accept: 'application/vc+ld+json, application/json'}});
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return {contextUrl: null, documentUrl: url, document: await response.json()};
}

let answer;
if (request.decode !== undefined) {
  const list = await decodeList({encodedList: request.decode});
  answer = {length: list.length, statuses: request.indexes.map(i => list.getStatus(i))};
} else if (request.encode !== undefined) {
  const list = await createList({length: request.length});
  for (const index of request.encode) list.setStatus(index, true);
  answer = {encodedList: await list.encode()};
} else {
  const result = await checkStatus({
    credential: request.check, documentLoader, verifyBitstringStatusListCredential: false,
  });
  answer = {
    verified: result.verified,
    error: result.error ? String(result.error.message || result.error) : null,
    results: (result.results || []).map(r => ({
      purpose: r.credentialStatus.statusPurpose, index: r.credentialStatus.statusListIndex, status: r.status,
    })),
  };
}
process.stdout.write(JSON.stringify(answer));
