/**
 * Route schemas carry their own documentation (summary, description, tags,
 * security) so that the API reference is generated from exactly what the
 * server validates with.
 */
declare module 'fastify' {
  interface FastifySchema {
    summary?: string;
    description?: string;
    tags?: string[];
    security?: Array<Record<string, string[]>>;
  }
}
export {};
