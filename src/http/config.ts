import { Type } from '@sinclair/typebox';

export const ServerConfigSchema = Type.Object(
  {
    host: Type.String({ default: '0.0.0.0', minLength: 1 }),
    port: Type.Integer({ default: 8080, minimum: 0, maximum: 65535, description: '0 picks a free port.' }),
    tls_cert: Type.String({
      default: '',
      description: 'PEM certificate file: serve HTTPS (empty: plain HTTP).',
    }),
    tls_key: Type.String({ default: '', description: 'PEM private key file for tls_cert.' }),
    public_url: Type.String({
      default: '',
      description: 'How users reach the panel (for links in logs and Home Assistant); empty: guessed.',
    }),
  },
  { additionalProperties: false, default: {} },
);
