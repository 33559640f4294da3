import { Type } from '@sinclair/typebox';

export const AuthConfigSchema = Type.Object(
  {
    mode: Type.Union([Type.Literal('token'), Type.Literal('none')], {
      default: 'token',
      description: 'token: every request needs the access token; none: open (warned at every start).',
    }),
    token: Type.String({
      default: '',
      description:
        'A fixed access token (for automation); empty: generated at first start and stored hashed.',
    }),
    trusted_proxies: Type.Array(Type.String({ minLength: 1 }), {
      default: ['172.30.32.2'],
      maxItems: 16,
      description:
        'Addresses let through without a token: Home Assistant ingress authenticates its users itself.',
    }),
    session_hours: Type.Integer({ default: 168, minimum: 1, maximum: 8760 }),
    login_attempts_per_minute: Type.Integer({ default: 10, minimum: 1, maximum: 1000 }),
  },
  { additionalProperties: false, default: {} },
);
