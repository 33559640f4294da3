import { type Static, Type } from '@sinclair/typebox';

export const AuthConfigSchema = Type.Object(
  {
    mode: Type.Union([Type.Literal('token'), Type.Literal('none')], {
      default: 'token',
      description: 'token: every request needs a token; none: open (warned at every start).',
    }),
    token: Type.String({
      default: '',
      // Checked here so a guessable token never starts: 20 characters or more (empty: generated).
      pattern: '^(|[\\s\\S]{20,256})$',
      errorMessage: 'must be empty (a token is generated) or 20 to 256 characters',
      description:
        'A fixed admin token (20 to 256 characters, for automation); empty: generated at first start and stored hashed.',
    }),
    viewer_token: Type.String({
      default: '',
      pattern: '^(|[\\s\\S]{20,256})$',
      errorMessage: 'must be empty or 20 to 256 characters',
      description:
        'A fixed viewer token: sees the picture and state, sends no input (empty: `kvmr0ck passwd --viewer` makes one).',
    }),
    read_only: Type.Boolean({
      default: false,
      description: 'Every credential is a viewer: nobody can type, click or run a macro (MQTT too).',
    }),
    trusted_proxies: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      maxItems: 16,
      description:
        'Addresses let in without a token, and only on the ingress listener (server.ingress_port): the add-on sets Home Assistant ingress here.',
    }),
    session_hours: Type.Integer({ default: 168, minimum: 1, maximum: 8760 }),
    session_idle_minutes: Type.Integer({
      default: 720,
      minimum: 1,
      maximum: 525600,
      description: 'A login ends after this long without a request or panel activity.',
    }),
    login_attempts_per_minute: Type.Integer({
      default: 10,
      minimum: 1,
      maximum: 1000,
      description: 'Wrong tokens one address may send a minute (login, header, ?token=, WebSocket).',
    }),
    audit_log: Type.Boolean({
      default: true,
      description: 'Keep paths.state/audit.log: logins, sessions, input sessions (counts only) and macros.',
    }),
  },
  { additionalProperties: false, default: {} },
);

export type AuthConfig = Static<typeof AuthConfigSchema>;
