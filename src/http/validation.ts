import { Kind, KindGuard, type TSchema, type TUnion } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { FastifySchemaCompiler, FastifySerializerCompiler, FastifyServerOptions } from 'fastify';
import { firstProblem, inputError } from '../commands/inputs.js';

/**
 * Route schemas are TypeBox schemas checked by TypeBox, the validator the WebSocket and MQTT
 * commands already use, instead of fastify's default Ajv: the same words for the same mistake at
 * every door ("quality: must be a whole number 1..100"), and Ajv's compiler, its compiled
 * validators and fast-json-stringify never load (scripts/bundle.mjs leaves them out). Measured idle,
 * MQTT connected, 6 alternating runs: RSS 68.2 -> 66.6 MiB median, anonymous 26.6 -> 24.9.
 *
 * What the request parts get, as fastify's Ajv set-up did where it matters to a client: query
 * strings and path parameters arrive as text and are converted to the schema's numbers and
 * booleans first (Value.Convert); bodies are JSON and are taken as sent. A property the schema
 * does not allow is an error naming it (Ajv's removeAdditional dropped it without a word).
 */
type Part = 'body' | 'querystring' | 'params' | 'headers';

function validatorFor(
  schema: TSchema,
  part: Part,
  route: string,
): (data: unknown) => { value?: unknown; error?: Error } {
  // TypeBox cannot check a plain JSON schema (it would throw on every request): refuse it when the
  // route is added.
  if (!(Kind in schema)) throw new Error(`${route}: the ${part} schema is not a TypeBox schema`);
  const convert = part !== 'body';
  // "Nothing, or this": a sent value is checked against "this" alone, so a mistake inside it is
  // named ("params.x: ...") rather than reported as matching neither.
  const orNull = KindGuard.IsUnion(schema) ? schema.anyOf.filter((m) => !KindGuard.IsNull(m)) : [];
  const sent = orNull.length === 1 && orNull.length < (schema as TUnion).anyOf.length ? orNull[0]! : schema;
  return (data) => {
    const value = convert ? Value.Convert(schema, data) : data;
    const problem = firstProblem(value === null ? schema : sent, value);
    return problem ? { error: inputError(fieldOf(problem.path, part), problem.reason) } : { value };
  };
}

/** "/params/x" -> "params.x"; the whole part when the error is at its root. */
function fieldOf(path: string, part: Part): string {
  return path === '' ? part : path.slice(1).replaceAll('/', '.');
}

const validatorCompiler: FastifySchemaCompiler<TSchema> = (r) =>
  validatorFor(r.schema, r.httpPart as Part, `${r.method} ${r.url}`);
const serializerCompiler: FastifySerializerCompiler<TSchema> = () => (data) => JSON.stringify(data);

/**
 * For fastify's `schemaController` option. No route declares a response schema, so replies are
 * JSON.stringify'd as before; the serializer compiler is only there so fastify does not load its own.
 * Fastify's typings describe these factories in Ajv's and fast-json-stringify's terms; fastify
 * itself only calls them for a compiler (docs: Server, schemaController.compilersFactory).
 */
export const typeboxSchemaController = {
  compilersFactory: {
    buildValidator: () => validatorCompiler,
    buildSerializer: () => serializerCompiler,
  },
} as unknown as NonNullable<FastifyServerOptions['schemaController']>;
