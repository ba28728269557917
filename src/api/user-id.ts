import { parsePositiveInt64 } from '../domain/amounts.js';
import { invalid } from '../domain/errors.js';

/** A user id from a body, query or path: a positive int64, or 400 invalid_user_id. */
export function userIdOf(value: unknown): bigint {
  const id = parsePositiveInt64(value);
  if (id === null) throw invalid('invalid_user_id', 'user_id must be a positive integer up to 9223372036854775807');
  return id;
}
