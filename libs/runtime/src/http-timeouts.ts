import type { Server } from 'node:http';
import type { PlatformConfig } from '@hub/config';

/**
 * Node checks the header and request timeouts of unfinished requests on a timer (every 30 s by
 * default, set only before listening); every second keeps a timeout within a second of its setting.
 */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

/**
 * A client that sends its headers or its body slowly (by accident or to tie up sockets) is
 * answered 408 and disconnected after HTTP_HEADERS_TIMEOUT / HTTP_REQUEST_TIMEOUT, not Node's
 * 60 s / 300 s. Call before `listen`. The request timeout covers receiving the request only, not
 * the time the app takes to answer.
 */
export function applyHttpTimeouts(server: Server, config: PlatformConfig): void {
  // Read when the server starts listening; @types/node declares it only as a createServer option.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval =
    TIMEOUT_CHECK_INTERVAL_MS;
  server.headersTimeout = config.HTTP_HEADERS_TIMEOUT;
  server.requestTimeout = config.HTTP_REQUEST_TIMEOUT;
  server.keepAliveTimeout = config.HTTP_KEEP_ALIVE_TIMEOUT;
}
