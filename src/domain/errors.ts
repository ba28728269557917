/**
 * One error type with a stable machine code. Callers branch on `code`, never
 * on message text. `status` is the HTTP status the API answers with.
 */
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, status: number, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

export const invalid = (code: string, message: string, details?: Record<string, unknown>) =>
  new AppError(code, 400, message, details);

export const notFound = (what: string) => new AppError('not_found', 404, `${what} not found`);

export const conflict = (code: string, message: string, details?: Record<string, unknown>) =>
  new AppError(code, 409, message, details);
