import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyHttpProxy from '@fastify/http-proxy';
import fastifyStatic from '@fastify/static';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
} from 'fastify';
import type { ConsoleConfig } from '../config/console.config.js';
import { API_ROUTES, upstreamOf } from './api-routes.js';

/**
 * Only this origin's own scripts, styles, images and API: the page works with no network beyond
 * the console (no CDN), and an injected script could neither load code nor send the key elsewhere.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "style-src 'self'",
  "script-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** The built page (`npm run build` writes it with Vite), the public APIs behind it, and health. */
export async function buildConsoleServer(
  config: ConsoleConfig,
  assetsDir: string,
  logger: FastifyBaseLogger,
): Promise<FastifyInstance> {
  // No access log: a line per request says nothing an operator acts on (as in the three apps).
  const server = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
  });
  for (const [prefix, app] of Object.entries(API_ROUTES)) {
    await server.register(fastifyHttpProxy, {
      upstream: upstreamOf(config, app),
      prefix,
      rewritePrefix: prefix,
      logLevel: 'warn', // the proxy's own line per request is an access log too
      // Upstream down: a problem, as every answer of the API is, never an HTML error page.
      replyOptions: {
        onError: (reply) => upstreamUnavailable(reply as FastifyReply, app),
      },
    });
  }
  await server.register(fastifyStatic, {
    root: assetsDir,
    prefix: '/console/',
    wildcard: false,
    cacheControl: false,
    setHeaders: (reply, file) => {
      // Vite names every asset after its content: cached for ever; the page itself never.
      const immutable = file.includes(`${path.sep}assets${path.sep}`);
      reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  server.addHook('onSend', async (request, reply) => {
    if (!request.url.startsWith('/v1/')) {
      reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'no-referrer');
    }
  });
  // Every page of the console is the one page: its own router reads the path (shareable links).
  const page = (_request: unknown, reply: FastifyReply) =>
    reply.header('cache-control', 'no-cache').sendFile('index.html');
  server.get('/console', page);
  server.get('/console/*', page);
  server.get('/console/assets/*', (request, reply) => notFound(request.url, reply));
  server.get('/', (_request, reply) => reply.redirect('/console/'));
  server.get('/health/live', () => ({ status: 'ok' }));
  server.get('/health/ready', (_request, reply) =>
    existsSync(path.join(assetsDir, 'index.html'))
      ? { status: 'ok' }
      : reply.code(503).send({ status: 'unavailable', reason: 'the console is not built: npm run build' }),
  );
  server.setNotFoundHandler((request, reply) => notFound(request.url, reply));
  return server;
}

function notFound(url: string, reply: FastifyReply): FastifyReply {
  return reply
    .code(404)
    .type('application/problem+json')
    .send({ type: 'about:blank', title: 'Not Found', status: 404, detail: `no route for ${url}` });
}

/** The proxy has logged the error with the address it could not reach. */
function upstreamUnavailable(reply: FastifyReply, app: string): void {
  void reply
    .code(502)
    .type('application/problem+json')
    .send({
      type: 'about:blank',
      title: 'Bad Gateway',
      status: 502,
      detail: `the ${app} app did not answer`,
    });
}
