import { applyDecorators, type INestApplication, type Type } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiResponse,
  ApiSecurity,
  DocumentBuilder,
  getSchemaPath,
  SwaggerModule,
  type OpenAPIObject,
  type OperationObject,
  type ParameterObject,
  type ReferenceObject,
  type ResponsesObject,
  type SchemaObject,
} from '@nestjs/swagger';

/** The one schema of every error answer of every app (RFC 9457, as ProblemDetailsFilter writes it). */
export const PROBLEM_SCHEMA_NAME = 'Problem';
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';
const PROBLEM_SCHEMA: SchemaObject = {
  type: 'object',
  description: 'RFC 9457 problem details; `type` is about:blank, the status says what went wrong.',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', example: 'about:blank' },
    title: { type: 'string', example: 'Not Found' },
    status: { type: 'integer', example: 404 },
    detail: { type: 'string', example: 'no subscription sub_abc' },
  },
};

export const API_KEY_SCHEME = 'api-key';

/**
 * A route that takes no API key: health, metrics, a provider's webhook (it signs its own way). The
 * empty requirement is rewritten to `security: []` in the document, OpenAPI's "no authentication".
 */
export function PublicRoute(): MethodDecorator & ClassDecorator {
  return ApiSecurity({}) as MethodDecorator & ClassDecorator;
}

/**
 * A 4xx or 5xx this route answers besides the ones every route of its kind has (see
 * withProblemResponses); its body is the problem schema.
 */
export function ApiProblem(status: number, description: string): MethodDecorator & ClassDecorator {
  return ApiResponse({ status, description });
}

/** 200 with one page of `model`: `{ data: [...], next_cursor }`. */
export function ApiPage(model: Type<unknown>, description = 'one page, in a stable order') {
  return applyDecorators(
    ApiExtraModels(model),
    ApiOkResponse({
      description,
      schema: {
        type: 'object',
        required: ['data', 'next_cursor'],
        properties: {
          data: { type: 'array', items: { $ref: getSchemaPath(model) } },
          next_cursor: {
            type: 'string',
            nullable: true,
            description: 'pass as `cursor` for the next page; null on the last page',
          },
        },
      },
    }),
  );
}

/** Each app's document, as served at /openapi.json: every route's request, answers and errors. */
export function buildOpenApiDocument(app: INestApplication, name: string): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle(`Solar hub ${name}`)
    .setDescription(
      'Management APIs take `Authorization: Bearer <api key>` (an opaque `hub_…` key); errors are ' +
        'application/problem+json. Lists take `limit` (1-100, default 50) and `cursor` (the ' +
        '`next_cursor` of the previous page).',
    )
    // addBearerAuth would add bearerFormat: JWT, and a key is no JWT.
    .addSecurity(API_KEY_SCHEME, {
      type: 'http',
      scheme: 'bearer',
      description:
        'An opaque API key (hub_…) from `npm run cli -- tenant:create`, `key:create` or `POST /v1/api-keys` (projector); a `read` key may only GET.',
    })
    .addSecurityRequirements(API_KEY_SCHEME)
    .build();
  return withProblemResponses(SwaggerModule.createDocument(app, config));
}

/** Serves the document at /openapi.json (and .yaml) and a browsable view at /docs. */
export function serveOpenApi(app: INestApplication, name: string): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app, name), {
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
  });
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
/** What a `read` key may do (the API key guard decides by method, so every other route is a 403 for it). */
const READ_METHODS: ReadonlySet<string> = new Set(['get', 'head']);

/**
 * The errors every route answers, from what it takes: a URL can always be malformed (400) and our
 * side can fail (500); a key can be missing (401) or only allowed to read (403 on anything but a
 * GET), an id unknown (404), a body too large (413) or not JSON (415). Each error answer, these and the ones a route declares, is the problem schema.
 */
export function withProblemResponses(document: OpenAPIObject): OpenAPIObject {
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, [PROBLEM_SCHEMA_NAME]: PROBLEM_SCHEMA },
  };
  const globallySecured = (document.security ?? []).length > 0;
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation) completeOperation(operation, path, method, globallySecured);
    }
  }
  return document;
}

function completeOperation(
  operation: OperationObject,
  path: string,
  method: (typeof METHODS)[number],
  globallySecured: boolean,
): void {
  if (isPublic(operation)) operation.security = [];
  const secured = operation.security ? operation.security.length > 0 : globallySecured;
  const responses: ResponsesObject = operation.responses ?? {};
  const defaults: Array<[number, string, boolean]> = [
    [400, 'the URL, a parameter or the body is not valid', true],
    [401, 'no API key, or not a valid one', secured],
    [403, 'the API key has the read scope, which may only GET', secured && !READ_METHODS.has(method)],
    [404, 'no such resource for this key, or no such route', path.includes('{')],
    [413, 'the body is over the size limit', operation.requestBody !== undefined],
    [415, 'the body is not application/json', operation.requestBody !== undefined && secured],
    [500, 'an unexpected error on our side; it has been logged', true],
  ];
  for (const [status, description, applies] of defaults) {
    if (applies && !responses[status]) responses[status] = { description };
  }
  for (const [status, response] of Object.entries(responses)) {
    if (!response || !/^[45]/.test(status) || isReference(response) || response.content) continue;
    response.content = { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: getSchemaPath(PROBLEM_SCHEMA_NAME) } } };
  }
  operation.responses = responses;
  documentParameters(operation);
}

/** PublicRoute leaves `[{}]`, "any or no authentication"; a public route takes none. */
function isPublic(operation: OperationObject): boolean {
  const security = operation.security;
  return security !== undefined && security.every((requirement) => Object.keys(requirement).length === 0);
}

/** Path parameters without a schema (a bare @Param) are strings. */
function documentParameters(operation: OperationObject): void {
  for (const parameter of operation.parameters ?? []) {
    if (isReference(parameter)) continue;
    const documented = parameter as ParameterObject;
    if (!documented.schema) documented.schema = { type: 'string' };
  }
}

function isReference(value: object): value is ReferenceObject {
  return '$ref' in value;
}
