import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { Body, Controller, HttpCode, Module, Post, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { raw } from 'express';

/**
 * The framework's share of ingest's cost: a minimal NestJS app in a process of its own, one POST
 * route that reads the raw body (as ingest does, for the providers' signatures) and answers 200
 * with a small JSON, nothing else. The first argument chooses the HTTP platform: `fastify` (the
 * one the apps run on) or `express` (Nest's default, the one they ran on before). Hit by the same
 * client with the same bodies as ingest and the bare node:http server, it tells how much of the
 * gap to bare node:http is the framework's.
 *
 * The parent learns the port from the first IPC message, `{ port }`.
 */
const BODY_LIMIT_BYTES = 1024 * 1024;

@Controller('v1/ingest')
class IngestLikeController {
  @Post(':sourceId')
  @HttpCode(200)
  receive(@Body() body: Buffer): { accepted: boolean; bytes: number } {
    return { accepted: true, bytes: body.length };
  }
}

@Module({ controllers: [IngestLikeController] })
class FrameworkModule {}

async function expressApp(): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(FrameworkModule, {
    logger: ['error', 'warn'],
    bodyParser: false,
  });
  app.use('/v1/ingest', raw({ type: () => true, limit: BODY_LIMIT_BYTES }));
  return app;
}

async function fastifyApp(): Promise<INestApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    FrameworkModule,
    new FastifyAdapter({ bodyLimit: BODY_LIMIT_BYTES }),
    { logger: ['error', 'warn'], bodyParser: false },
  );
  // Every body as the bytes sent, whatever its content type: fastify's own JSON parser goes.
  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  return app;
}

async function main(): Promise<void> {
  const app = process.argv[2] === 'fastify' ? await fastifyApp() : await expressApp();
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer() as { address(): AddressInfo; keepAliveTimeout: number };
  server.keepAliveTimeout = 60_000;
  process.send?.({ port: server.address().port });
  process.on('disconnect', () => void app.close().finally(() => process.exit(0)));
  process.on('SIGTERM', () => void app.close().finally(() => process.exit(0)));
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
