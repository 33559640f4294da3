import { type Static, Type } from '@sinclair/typebox';

export const VideoConfigSchema = Type.Object(
  {
    source: Type.Union([Type.Literal('auto'), Type.Literal('v4l2'), Type.Literal('test-pattern')], {
      default: 'auto',
      description: 'auto: the V4L2 device if it exists, else the built-in test pattern.',
    }),
    device: Type.String({ default: '/dev/video0', minLength: 1, description: 'V4L2 capture device.' }),
    format: Type.String({
      default: 'auto',
      pattern: '^(auto|[A-Z0-9]{4})$',
      description: 'auto or a V4L2 fourcc such as UYVY, NV12, MJPG',
    }),
    range: Type.Union([Type.Literal('auto'), Type.Literal('limited'), Type.Literal('full')], {
      default: 'auto',
      description:
        'Sample range of captured YUV: auto takes what the driver reports (limited unless it says full, per V4L2); limited is expanded to the full range JPEG uses. Set full if blacks look crushed, limited if the picture looks washed out.',
    }),
    edid: Type.String({
      default: '',
      description: 'EDID file loaded into the HDMI bridge at start (empty: leave it).',
    }),
    buffers: Type.Integer({ default: 4, minimum: 2, maximum: 16, description: 'Capture buffers.' }),
    width: Type.Integer({ default: 1280, minimum: 160, maximum: 7680, description: 'Test pattern width.' }),
    height: Type.Integer({ default: 720, minimum: 120, maximum: 4320, description: 'Test pattern height.' }),
    fps: Type.Integer({ default: 30, minimum: 1, maximum: 120, description: 'Maximum frames per second.' }),
    quality: Type.Integer({ default: 80, minimum: 1, maximum: 100, description: 'JPEG quality.' }),
    encoder: Type.Union([Type.Literal('auto'), Type.Literal('turbojpeg'), Type.Literal('sharp')], {
      default: 'auto',
      description: 'auto: libturbojpeg if installed, else sharp.',
    }),
    encoder_workers: Type.Integer({
      default: 0,
      minimum: 0,
      maximum: 16,
      description:
        'Frames encoded at once on native threads (libuv pool); 0 = one per CPU core, at most UV_THREADPOOL_SIZE - 1.',
    }),
    subsampling: Type.Union([Type.Literal(420), Type.Literal(422)], {
      default: 420,
      description:
        'Chroma subsampling of JPEGs from 4:2:2 capture: 420 is ~25% cheaper, 422 keeps coloured text sharper.',
    }),
    test_pattern_still_after_s: Type.Number({
      default: 0,
      minimum: 0,
      maximum: 86_400,
      description: 'Test pattern only: turn into a still setup screen after this many seconds (0 = never).',
    }),
    drop_same_frames: Type.Boolean({
      default: true,
      description: 'Skip encoding frames identical to the previous one (a static desktop).',
    }),
    same_frame_keepalive_s: Type.Number({
      default: 1,
      minimum: 0.1,
      maximum: 60,
      description: 'While frames are identical, still send one this often.',
    }),
    idle_fps: Type.Number({
      default: 1,
      minimum: 0.1,
      maximum: 30,
      description: 'Capture rate with no viewers (keeps USB dongles from reporting an unplugged cable).',
    }),
  },
  { additionalProperties: false, default: {} },
);

export type VideoConfig = Static<typeof VideoConfigSchema>;
