/**
 * Errors that reach a user (CLI, HTTP, MQTT) carry a stable code, so clients can branch on it
 * and messages can be reworded without breaking them.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_NOT_FOUND'
  | 'BAD_REQUEST'
  | 'NOT_FOUND'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'BUSY'
  | 'TOO_LARGE'
  | 'UNKNOWN_KEY'
  | 'UNMAPPABLE_CHAR'
  | 'HID_OFFLINE'
  | 'HID_WRITE_FAILED'
  | 'VIDEO_NO_SIGNAL'
  | 'VIDEO_DEVICE'
  | 'MACRO_NOT_FOUND'
  | 'MACRO_INVALID'
  | 'MACRO_BUSY'
  | 'MACRO_CANCELLED'
  | 'MACRO_FAILED'
  | 'COMMAND_REFUSED'
  | 'GADGET'
  | 'TIMEOUT'
  | 'INTERNAL';

export class KvmError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: ErrorOptions) {
    super(message, options);
    this.name = 'KvmError';
    this.code = code;
    this.details = details;
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message };
  }
}

export function isKvmError(e: unknown): e is KvmError {
  return e instanceof KvmError;
}

/** Node system errors carry `code` (ENOENT, EAGAIN, ...). */
export function errnoCode(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e) {
    const code = (e as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
