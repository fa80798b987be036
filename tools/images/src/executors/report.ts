import { isImageError } from '../core/errors';
import { redact } from '../core/redact';

/** The outermost layer: prints an error for the terminal and turns it into Nx's failure result. */
export function reportFailure(error: unknown, image: string): { success: false } {
  if (isImageError(error)) {
    console.error(`\n✖ ${image}: ${error.message} [${error.code}]`);
  } else {
    console.error(`\n✖ ${image}: unexpected error: ${redact(error instanceof Error ? (error.stack ?? error.message) : String(error))}`);
  }
  return { success: false };
}
