import { type Static, Type } from '@sinclair/typebox';

export const ServerConfigSchema = Type.Object(
  {
    host: Type.String({ default: '0.0.0.0', minLength: 1 }),
    port: Type.Integer({ default: 8080, minimum: 0, maximum: 65535, description: '0 picks a free port.' }),
    ingress_port: Type.Integer({
      default: 0,
      minimum: 0,
      maximum: 65535,
      description:
        'A second listener for Home Assistant ingress: only there are auth.trusted_proxies let in without a token (0: none).',
    }),
    tls: Type.Union([Type.Literal('off'), Type.Literal('self-signed')], {
      default: 'off',
      description:
        'self-signed: serve HTTPS with a certificate made at first start for this board’s names and addresses.',
    }),
    tls_cert: Type.String({
      default: '',
      description: 'PEM certificate file: serve HTTPS with it (empty: see tls).',
    }),
    tls_key: Type.String({ default: '', description: 'PEM private key file for tls_cert.' }),
    public_url: Type.String({
      default: '',
      description: 'How users reach the panel (for links in logs and Home Assistant); empty: guessed.',
    }),
    allowed_hosts: Type.Array(Type.String({ minLength: 1, maxLength: 253 }), {
      default: [],
      maxItems: 32,
      description:
        'Names besides this board’s own under which it may be reached (DNS-rebinding guard; IP addresses always work).',
    }),
    request_timeout_ms: Type.Integer({
      default: 15000,
      minimum: 1000,
      maximum: 300000,
      description: 'A request (headers and body) must arrive within this; streams are not affected.',
    }),
    max_stream_clients: Type.Integer({ default: 16, minimum: 1, maximum: 1000 }),
    max_ws_sessions: Type.Integer({ default: 8, minimum: 1, maximum: 1000 }),
  },
  { additionalProperties: false, default: {} },
);

export type ServerConfig = Static<typeof ServerConfigSchema>;
