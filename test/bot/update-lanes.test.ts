import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Update } from 'grammy/types';
import { MAX_IN_FLIGHT_PER_CHAT, UpdateLanes } from '../../src/bot/updates.js';

const message = (updateId: number, chatId: number): Update =>
  ({ update_id: updateId, message: { message_id: updateId, date: 0, chat: { id: chatId, type: 'private' }, text: 'hi' } }) as unknown as Update;

test("a chat that floods the bot fills its own lane, not the bot's: the rest of its updates are dropped as they come, and another chat's are handled meanwhile", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const handled: number[] = [];
  const lanes = new UpdateLanes(async (u) => {
    const chat = u.message!.chat.id;
    if (chat === 1) await gate;
    handled.push(u.update_id);
  });
  // 300 updates of chat 1, whose first is held up (a slow answer), in three polls of 100.
  for (let poll = 0; poll < 3; poll++) lanes.start(Array.from({ length: 100 }, (_, i) => message(1 + poll * 100 + i, 1)));
  assert.equal(lanes.busy, MAX_IN_FLIGHT_PER_CHAT, 'the bot goes on polling: far below the updates it handles at once');
  assert.equal(lanes.dropped, 300 - MAX_IN_FLIGHT_PER_CHAT);

  // Another chat's update is read by the next poll and handled at once, chat 1 still held up.
  lanes.start([message(301, 2)]);
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(handled, [301]);

  release();
  await lanes.drain();
  assert.equal(handled.length, MAX_IN_FLIGHT_PER_CHAT + 1);
  assert.deepEqual(handled.slice(1), Array.from({ length: MAX_IN_FLIGHT_PER_CHAT }, (_, i) => i + 1), "chat 1's first updates, in order");
  assert.equal(lanes.offset, 302, 'every update confirmed, the dropped ones too');
  assert.equal(lanes.busy, 0);
});
