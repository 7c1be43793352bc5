import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';

/*
 * What keeps the cleaner locked to its user: it answers only its own Host (a DNS-rebinding page
 * cannot drive it), reads need the session token (cookie set by the page, or header), and every
 * state-changing request needs the token in a header plus a JSON body, which a cross-site form or
 * image cannot send.
 */

export interface GuardOptions {
  /** The per-session secret printed in the URL. */
  token: string;
  /** Host header values this server answers to, e.g. ['127.0.0.1:5123', 'localhost:5123']. */
  hosts: () => readonly string[];
}

export const TOKEN_HEADER = 'x-bears-token';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Per-session cookie name, so two cleaners on one machine (different ports) do not collide. */
export function cookieName(token: string): string {
  return `bears_clean_${createHash('sha256').update(token).digest('hex').slice(0, 10)}`;
}

export function sameToken(given: string | undefined | null, token: string): boolean {
  if (!given) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const h = c.res.headers;
    h.set('Content-Security-Policy', CSP);
    h.set('X-Frame-Options', 'DENY');
    h.set('X-Content-Type-Options', 'nosniff');
    h.set('Referrer-Policy', 'no-referrer');
    h.set('Cross-Origin-Resource-Policy', 'same-origin');
    h.set('Cross-Origin-Opener-Policy', 'same-origin');
    if (!h.has('Cache-Control')) h.set('Cache-Control', 'no-store');
  };
}

function cookieToken(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

export function guard(opts: GuardOptions): MiddlewareHandler {
  const cookie = cookieName(opts.token);
  return async (c, next) => {
    const host = c.req.header('host') ?? new URL(c.req.url).host;
    if (!opts.hosts().includes(host.toLowerCase())) return c.json({ error: `refused: this cleaner does not answer to Host '${host}'` }, 403);
    const path = new URL(c.req.url).pathname;
    const method = c.req.method;
    if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') return c.json({ error: 'method not allowed' }, 405);
    if (path.startsWith('/assets/')) return next();
    const headerToken = c.req.header(TOKEN_HEADER);
    if (path === '/') {
      const given = c.req.query('token') ?? cookieToken(c.req.header('cookie'), cookie);
      if (sameToken(given, opts.token)) c.set('bearsToken' as never, opts.token as never);
      return next();
    }
    if (method === 'POST') {
      if (!sameToken(headerToken, opts.token)) return c.json({ error: 'refused: missing or wrong session token' }, 403);
      const origin = c.req.header('origin');
      if (origin && origin !== `http://${host}`) return c.json({ error: `refused: cross-origin request from ${origin}` }, 403);
      const site = c.req.header('sec-fetch-site');
      if (site && site !== 'same-origin' && site !== 'none') return c.json({ error: 'refused: cross-site request' }, 403);
      if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('application/json')) return c.json({ error: 'refused: body must be application/json' }, 415);
      return next();
    }
    if (!sameToken(headerToken ?? cookieToken(c.req.header('cookie'), cookie), opts.token)) return c.json({ error: 'refused: missing or wrong session token' }, 403);
    return next();
  };
}
