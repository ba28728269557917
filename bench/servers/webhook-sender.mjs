// The baseline of the webhook benchmark: a bare loop that signs and POSTs
// webhook bodies, nothing else (no database, no claims, no delivery log, no
// logging). Plain JavaScript run by plain `node`, in its own process as
// Joule's deliveries are. It sends what Joule sends: the same bodies, the
// same headers (Joule-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">),
// with node:http's default agent, as Joule's postWebhook does.
//
// EVENTS_FILE: JSON [{id, type, body, offset}], in order; an event may be
// sent from `offset` ms after the start (so the arrivals of a Joule run can
// be replayed). CONCURRENCY loops each take the next event, wait for its
// time, send it and wait for the answer. URL, SECRET. Prints
// {"startAt":<epoch ms>} when it starts sending and {"sent":n,"failed":k}
// when done, then exits.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

const events = JSON.parse(readFileSync(process.env.EVENTS_FILE, 'utf8'));
const url = new URL(process.env.URL);
const secret = process.env.SECRET;
const concurrency = Number(process.env.CONCURRENCY ?? 4);

function post(event) {
  return new Promise((resolve) => {
    const t = Math.floor(Date.now() / 1000);
    const v1 = createHmac('sha256', secret).update(`${t}.${event.body}`).digest('hex');
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Joule-Webhooks/1',
          'joule-event-id': event.id,
          'joule-event-type': event.type,
          'joule-signature': `t=${t},v1=${v1}`,
          'content-length': String(Buffer.byteLength(event.body)),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
        res.on('error', () => resolve(null));
      },
    );
    req.on('error', () => resolve(null));
    req.end(event.body);
  });
}

let next = 0;
let failed = 0;
const startAt = Date.now();
process.stdout.write(`${JSON.stringify({ startAt })}\n`);
async function loop() {
  while (next < events.length) {
    const event = events[next++];
    const wait = startAt + event.offset - Date.now();
    if (wait > 0) await sleep(wait);
    const status = await post(event);
    if (!(status >= 200 && status < 300)) failed++;
  }
}
await Promise.all(Array.from({ length: concurrency }, loop));
process.stdout.write(`${JSON.stringify({ sent: events.length, failed })}\n`);
