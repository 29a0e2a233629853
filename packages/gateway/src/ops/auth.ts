/**
 * Bearer-token protection of the admin API. Browsers' EventSource cannot set headers, so the
 * token may also come as the `access_token` query parameter (RFC 6750 §2.3).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export function tokenChecker(
  token: string | undefined,
): ((req: IncomingMessage, query: URLSearchParams) => boolean) | undefined {
  if (!token) return undefined;
  const expected = digest(token);
  return (req, query) => {
    const header = req.headers.authorization;
    const given = header?.startsWith('Bearer ')
      ? header.slice(7).trim()
      : (query.get('access_token') ?? undefined);
    // Compare digests so neither the length nor the content leaks through timing.
    return given !== undefined && timingSafeEqual(digest(given), expected);
  };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
