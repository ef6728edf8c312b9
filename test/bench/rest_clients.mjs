// Provisions load's clients through the REST contract alone (register, then create conversations),
// for a server we can't seed with SQL: the yardstick. Writes one "token<TAB>conversationId" line
// per member, a conversation's members on consecutive lines, as test/bench/load.c reads them.
//   node rest_clients.mjs URL PREFIX GROUPS GROUP_SIZE OUT_FILE [--hub NAME]
// GROUP_SIZE 2 makes direct chats; more makes named groups created by their first member. With
// --hub, one user NAME is the first member of every conversation (one user with many chats).
import { writeFileSync } from 'node:fs';

const [url, prefix, groupsArg, sizeArg, out, hubFlag, hubName] = process.argv.slice(2);
const groups = Number(groupsArg);
const size = Number(sizeArg);
if (!url || !prefix || !(groups > 0) || !(size > 1) || !out || (hubFlag && (hubFlag !== '--hub' || !hubName))) {
  console.error('usage: node rest_clients.mjs URL PREFIX GROUPS GROUP_SIZE OUT_FILE [--hub NAME]');
  process.exit(2);
}
const CONCURRENCY = 16;

async function post(path, body, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(url + path, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

// runs job(i) for i in [0, count) with at most CONCURRENCY at once, answers in order
async function inTurn(count, job) {
  const results = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await job(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker));
  return results;
}

const register = (username) => post('/api/auth/register', {
  username, email: `${username}@bench.test`, password: 'bench password',
});
const hub = hubName ? await register(hubName) : null;
const others = await inTurn(groups * (hub ? size - 1 : size), (i) => register(`${prefix}_${i}`));
// the members of every conversation in turn, its creator first
const users = hub
  ? others.flatMap((u, i) => (i % (size - 1) === 0 ? [hub, u] : [u]))
  : others;
const conversations = await inTurn(groups, (g) => {
  const members = users.slice(g * size, (g + 1) * size);
  const body = { participantIds: members.slice(1).map((u) => u.user.id) };
  if (size > 2) Object.assign(body, { isGroup: true, name: `${prefix} group ${g}` });
  return post('/api/conversations', body, members[0].token);
});
const lines = users.map((u, i) => `${u.token}\t${conversations[Math.floor(i / size)].id}\n`);
writeFileSync(out, lines.join(''));
