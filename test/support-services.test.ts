// The test service harness itself: real PostgreSQL and redis-server processes
// start, answer, misbehave on demand and leave nothing behind.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { test } from 'node:test';
import pg from 'pg';
import { freePort, isListening } from '../scripts/services/ports.js';
import { createDatabase, startPostgres } from '../scripts/services/postgres.js';
import { redisCommand, startRedis, startSilentListener } from '../scripts/services/redis.js';

async function queryOne(url: string, sql: string): Promise<Record<string, unknown>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query(sql);
    assert.ok(result.rows[0]);
    return result.rows[0] as Record<string, unknown>;
  } finally {
    await client.end();
  }
}

test('freePort returns a port nobody listens on', async () => {
  const port = await freePort();
  assert.ok(port > 0 && port < 65536);
  assert.equal(await isListening(port), false);
});

test('when PostgreSQL is started, then it answers, makes databases, and stop() leaves nothing behind', async () => {
  const server = await startPostgres();
  try {
    assert.match(server.url, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/test$/);
    assert.deepEqual(await queryOne(server.url, 'select 1 as one'), { one: 1 });
    assert.deepEqual(await queryOne(server.url, 'show fsync'), { fsync: 'off' });

    const second = await createDatabase(server.url, 'second');
    assert.deepEqual(await queryOne(second, 'select current_database() as name'), { name: 'second' });
    const unnamed = await createDatabase(server.url);
    assert.notEqual(unnamed, second);
    await queryOne(unnamed, 'select 1');
  } finally {
    await server.stop();
  }
  assert.equal(existsSync(server.dir), false, 'data folder removed');
  assert.equal(await isListening(server.port), false, 'port closed');
  await server.stop(); // twice is harmless
});

test('when redis is frozen, killed or restarted, then it behaves like the real thing', async () => {
  const redis = await startRedis();
  try {
    assert.equal(redis.url, `redis://127.0.0.1:${redis.port}`);
    assert.equal(await redisCommand(redis.port, ['PING']), '+PONG');
    assert.equal(await redisCommand(redis.port, ['SET', 'k', 'v']), '+OK');

    await redis.freeze();
    await assert.rejects(redisCommand(redis.port, ['PING'], 300), /no reply/);
    await redis.thaw();
    assert.equal(await redisCommand(redis.port, ['PING']), '+PONG');

    const firstPid = redis.pid;
    await redis.restart();
    assert.notEqual(redis.pid, firstPid);
    assert.equal(await redisCommand(redis.port, ['PING']), '+PONG');
    assert.equal(await redisCommand(redis.port, ['EXISTS', 'k']), ':0', 'no persistence across restarts');

    await redis.kill('SIGKILL');
    assert.equal(await isListening(redis.port), false);
    await redis.restart();
    assert.equal(await redisCommand(redis.port, ['PING']), '+PONG');

    await redis.freeze();
    // stop() must also end a frozen server
  } finally {
    await redis.stop();
  }
  assert.equal(existsSync(redis.dir), false, 'folder removed');
  assert.equal(await isListening(redis.port), false, 'port closed');
});

test('startRedis honours a given port', async () => {
  const port = await freePort();
  const redis = await startRedis({ port });
  try {
    assert.equal(redis.port, port);
    assert.equal(await redisCommand(port, ['PING']), '+PONG');
  } finally {
    await redis.stop();
  }
});

test('when the port is taken, then startRedis fails with the server log instead of using the other server', async () => {
  const first = await startRedis();
  try {
    await assert.rejects(startRedis({ port: first.port }), /Address already in use/);
    assert.equal(await redisCommand(first.port, ['PING']), '+PONG');
  } finally {
    await first.stop();
  }
});

test('the silent listener accepts connections and never answers', async () => {
  const silent = await startSilentListener();
  try {
    const socket = connect({ port: silent.port, host: '127.0.0.1' });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      socket.write('*1\r\n$4\r\nPING\r\n');
      const answered = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 300);
        socket.once('data', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      assert.equal(answered, false);
    } finally {
      socket.destroy();
    }
    await assert.rejects(redisCommand(silent.port, ['PING'], 300), /no reply/);
  } finally {
    await silent.close();
  }
  assert.equal(await isListening(silent.port), false);
});
