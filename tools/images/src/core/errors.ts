import { redact } from './redact';

/**
 * The one error class of the plugin. Each error carries a stable code (tests and
 * callers match on it) and a message written for the person at the terminal:
 * what failed, where (file:line, image, engine) and what to do next.
 * Only the outermost layer (an executor, or Nx itself for graph errors) prints it.
 */
export type ImageErrorCode =
  | 'DIGESTS_FILE_MISSING'
  | 'DIGESTS_MALFORMED'
  | 'DOCKERFILE_INVALID'
  | 'UNKNOWN_PARENT'
  | 'CYCLE'
  | 'NO_TASK_HASH'
  | 'PARENT_NOT_BUILT'
  | 'ENGINE_MISSING'
  | 'ENGINE_UNREACHABLE'
  | 'ENGINE_UNRESPONSIVE'
  | 'ENGINE_FAILED'
  | 'ENGINE_TOO_OLD'
  | 'PLATFORMS_UNSUPPORTED'
  | 'ENGINE_ULIMITS'
  | 'BUILD_FAILED'
  | 'REGISTRY_UNREACHABLE'
  | 'NO_REGISTRY'
  | 'BAD_OPTION'
  | 'BAD_IMAGE_NAME'
  | 'REMOTE_CONTENT'
  | 'IDENTITY_MISMATCH'
  | 'LOCK_TIMEOUT'
  | 'ENGINE_DIED'
  | 'NOT_BUILT'
  | 'TAG_NOT_FOUND'
  | 'APP_FAILED'
  | 'RECORD_FAILED';

export class ImageError extends Error {
  readonly code: ImageErrorCode;

  constructor(code: ImageErrorCode, message: string, options?: { cause?: unknown }) {
    super(redact(message), options);
    this.name = 'ImageError';
    this.code = code;
  }
}

/** True when `error` is an {@link ImageError}, optionally of the given code. */
export function isImageError(error: unknown, code?: ImageErrorCode): error is ImageError {
  return error instanceof ImageError && (code === undefined || error.code === code);
}
