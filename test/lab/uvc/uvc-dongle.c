// An emulated USB HDMI dongle for the lab: a UVC 1.1 camera (MJPEG + uncompressed YUYV, 1280x720
// and 1920x1080, bulk streaming) that the guest kernel's real uvcvideo driver enumerates and
// streams from. It plugs in through the kernel's USB/IP virtual host controller (vhci_hcd): we
// hold one end of a socket pair, hand the other to vhci's sysfs `attach`, and answer the URBs
// vhci forwards (USB/IP protocol, Documentation/usb/usbip_protocol.rst) as the device would.
//
// Why not the kernel's UVC gadget (usb_f_uvc) on dummy_hcd: in 6.1 f_uvc streams over
// isochronous endpoints only, and dummy_hcd fails every isochronous URB (-EINVAL, "We don't
// support isochronous" in dummy_timer), so not one frame would reach uvcvideo. vhci_hcd carries
// isochronous and bulk; this device uses bulk, which uvcvideo handles with the same decoder path
// (uvc_video_decode_bulk) and which keeps each payload one URB.
//
//   uvc-dongle <jpeg-dir>      JPEGs named 720-N.jpg and 1080-N.jpg (N = 0, 1, ...)
// stdin commands: `unplug`, `plug`, `input 1080` / `input both` (re-enumerates with 1080p only, or
// both sizes: what a dongle without a scaler does when the HDMI source changes mode), `bad` (the
// next MJPEG frame goes out cut in half with the payload header's error bit, UVC 1.1 2.4.3.3).
// stdout: one line per event: `plugged port P`, `commit FMT WxH interval I`, `sent FMT WxH NAME
// BYTES` (`sent-bad` for a `bad` frame), `stop`, `unplugged`.
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define VHCI "/sys/devices/platform/vhci_hcd.0"
#define PAYLOAD 16384 // dwMaxPayloadTransferSize: uvcvideo sizes its bulk URBs by it (<= 32 x 512)
#define MAX_PENDING 64

// ---- descriptors (USB 2.0 ch. 9, UVC 1.1 ch. 3) ----
struct frame {
  int w, h;
  uint32_t interval; // 100 ns units
};
struct format {
  int mjpeg;
  int nframes;
  struct frame frames[2];
};
static struct format formats[2];
static int nformats;
static uint8_t cfg[512];
static int cfglen;

static uint8_t *put16(uint8_t *p, unsigned v) {
  p[0] = v & 0xff;
  p[1] = v >> 8;
  return p + 2;
}
static uint8_t *put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (v >> (8 * i)) & 0xff;
  return p + 4;
}

static uint32_t frame_size(const struct format *f, const struct frame *fr) {
  // MJPEG: the most a frame may take (dwMaxVideoFrameBufferSize); YUYV: exactly 2 bytes a pixel.
  return f->mjpeg ? (uint32_t)fr->w * fr->h : (uint32_t)fr->w * fr->h * 2;
}

static void set_modes(int only1080) {
  struct frame f720 = {1280, 720, 333333}, f1080 = {1920, 1080, 333333};
  struct frame y720 = {1280, 720, 1000000}, y1080 = {1920, 1080, 2000000}; // 10 and 5 fps (USB 2)
  nformats = 2;
  formats[0] = (struct format){1, 0, {{0}}};
  formats[1] = (struct format){0, 0, {{0}}};
  if (!only1080) {
    formats[0].frames[formats[0].nframes++] = f720;
    formats[1].frames[formats[1].nframes++] = y720;
  }
  formats[0].frames[formats[0].nframes++] = f1080;
  formats[1].frames[formats[1].nframes++] = y1080;
}

static void build_config(void) {
  uint8_t *p = cfg, *vc, *vs;
  // configuration (total length patched below)
  uint8_t c[] = {9, 2, 0, 0, 2, 1, 0, 0x80, 250};
  memcpy(p, c, 9), p += 9;
  // interface association: video interface collection of interfaces 0..1
  uint8_t iad[] = {8, 11, 0, 2, 14, 3, 0, 2};
  memcpy(p, iad, 8), p += 8;
  // VideoControl interface, no status endpoint
  uint8_t vci[] = {9, 4, 0, 0, 0, 14, 1, 0, 2};
  memcpy(p, vci, 9), p += 9;
  vc = p;
  // VC header: UVC 1.1, 48 MHz clock, one streaming interface (1)
  *p++ = 13, *p++ = 0x24, *p++ = 1;
  p = put16(p, 0x0110);
  p = put16(p, 0); // wTotalLength, patched
  p = put32(p, 48000000);
  *p++ = 1, *p++ = 1;
  // camera input terminal (id 1), no controls
  uint8_t it[] = {18, 0x24, 2, 1, 0x01, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0};
  memcpy(p, it, 18), p += 18;
  // output terminal (id 2): USB streaming, fed by the camera
  uint8_t ot[] = {9, 0x24, 3, 2, 0x01, 0x01, 0, 1, 0};
  memcpy(p, ot, 9), p += 9;
  put16(vc + 5, p - vc);
  // VideoStreaming interface: one bulk IN endpoint on alternate setting 0
  uint8_t vsi[] = {9, 4, 1, 0, 1, 14, 2, 0, 0};
  memcpy(p, vsi, 9), p += 9;
  vs = p;
  *p++ = 13 + nformats, *p++ = 0x24, *p++ = 1, *p++ = nformats;
  p = put16(p, 0); // wTotalLength, patched
  *p++ = 0x81, *p++ = 0, *p++ = 2, *p++ = 0, *p++ = 0, *p++ = 0, *p++ = 1;
  for (int i = 0; i < nformats; i++) *p++ = 0;
  for (int i = 0; i < nformats; i++) {
    struct format *f = &formats[i];
    if (f->mjpeg) {
      uint8_t d[] = {11, 0x24, 6, i + 1, f->nframes, 1, 1, 0, 0, 0, 0};
      memcpy(p, d, 11), p += 11;
    } else {
      static const uint8_t yuy2[16] = {'Y', 'U', 'Y', '2', 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71};
      *p++ = 27, *p++ = 0x24, *p++ = 4, *p++ = i + 1, *p++ = f->nframes;
      memcpy(p, yuy2, 16), p += 16;
      *p++ = 16, *p++ = 1, *p++ = 0, *p++ = 0, *p++ = 0, *p++ = 0;
    }
    for (int j = 0; j < f->nframes; j++) {
      struct frame *fr = &f->frames[j];
      uint32_t bits = frame_size(f, fr) * 8 * (10000000 / fr->interval);
      *p++ = 30, *p++ = 0x24, *p++ = f->mjpeg ? 7 : 5, *p++ = j + 1, *p++ = 0;
      p = put16(p, fr->w);
      p = put16(p, fr->h);
      p = put32(p, bits);
      p = put32(p, bits);
      p = put32(p, frame_size(f, fr));
      p = put32(p, fr->interval);
      *p++ = 1;
      p = put32(p, fr->interval);
    }
    // colour matching: BT.709 primaries, BT.709 transfer, SMPTE 170M matrix (the UVC defaults)
    uint8_t cm[] = {6, 0x24, 13, 1, 1, 4};
    memcpy(p, cm, 6), p += 6;
  }
  put16(vs + 4, p - vs);
  uint8_t ep[] = {7, 5, 0x81, 2, 0, 2, 0}; // bulk IN, 512 bytes (high speed)
  memcpy(p, ep, 7), p += 7;
  cfglen = p - cfg;
  put16(cfg + 2, cfglen);
}

static const uint8_t device_desc[18] = {18, 1, 0x00, 0x02, 0xef, 2, 1, 64, 0x6b, 0x1d, 0x04, 0x01,
                                        0x00, 0x01, 1, 2, 3, 1};
static const char *strings[] = {NULL, "kvmr0ck lab", "USB HDMI dongle (UVC)", "LAB2109"};

// ---- frames ----
struct jpeg {
  char name[64];
  uint8_t *data;
  size_t len;
  int h;
};
static struct jpeg jpegs[32];
static int njpegs;
static uint8_t *yuyv[2];

static void load_jpegs(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  if (!d) perror(dir), exit(1);
  while ((e = readdir(d)) && njpegs < 32) {
    int h;
    if (sscanf(e->d_name, "%d-", &h) != 1 || !strstr(e->d_name, ".jpg")) continue;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    FILE *f = fopen(path, "rb");
    if (!f) continue;
    fseek(f, 0, SEEK_END);
    struct jpeg *j = &jpegs[njpegs++];
    j->len = ftell(f);
    fseek(f, 0, SEEK_SET);
    j->data = malloc(j->len);
    if (fread(j->data, 1, j->len, f) != j->len) exit(1);
    fclose(f);
    j->h = h;
    snprintf(j->name, sizeof j->name, "%.63s", e->d_name);
  }
  closedir(d);
}

/** Colour bars in YUYV (BT.601 limited range), with a bright block that moves each frame. */
static void make_yuyv(uint8_t *buf, int w, int h, int n) {
  static const uint8_t bars[8][3] = {{235, 128, 128}, {210, 16, 146}, {170, 166, 16}, {145, 54, 34},
                                     {106, 202, 222}, {81, 90, 240},  {41, 240, 110}, {16, 128, 128}};
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x += 2) {
      const uint8_t *c = bars[x * 8 / w];
      int block = y < h / 8 && x >= (n * w / 16) % w && x < (n * w / 16) % w + w / 8;
      uint8_t *q = buf + (size_t)(y * w + x) * 2;
      q[0] = q[2] = block ? 235 : c[0];
      q[1] = block ? 128 : c[1];
      q[3] = block ? 128 : c[2];
    }
}

// ---- USB/IP (Documentation/usb/usbip_protocol.rst): 48-byte headers, big-endian ----
struct urb {
  uint32_t seqnum, len;
};
static struct urb pending[MAX_PENDING];
static int npending;
static int sock = -1, port = 0, plugged = 0, only1080 = 0;
static uint8_t probe[34];
static int streaming, cur_format, cur_frame, fid;
static const uint8_t *cur_data;
static size_t cur_len, cur_off;
static char cur_name[64];
static long frames_sent;
static int bad_next, bad_cur; // the next frame goes out cut short with the ERR bit (a USB glitch)
static struct timespec next_frame;

static int readn(int fd, void *buf, size_t n) {
  uint8_t *p = buf;
  while (n) {
    ssize_t r = read(fd, p, n);
    if (r <= 0) return -1;
    p += r, n -= r;
  }
  return 0;
}
static int writen(int fd, const void *buf, size_t n) {
  const uint8_t *p = buf;
  while (n) {
    ssize_t r = write(fd, p, n);
    if (r <= 0) return -1;
    p += r, n -= r;
  }
  return 0;
}

/** USBIP_RET_SUBMIT: `len` bytes moved; the data follows only for IN transfers (`data` set). */
static void reply(uint32_t seqnum, int status, const void *data, uint32_t len) {
  uint32_t h[12] = {0};
  h[0] = htonl(3);
  h[1] = htonl(seqnum);
  h[5] = htonl((uint32_t)status);
  h[6] = htonl(len);
  writen(sock, h, 48);
  if (data && len) writen(sock, data, len);
}

static void probe_fill(int fmt, int frm) {
  // Clamp to what exists: the host may ask for an index it made up (uvcvideo probes with its guess).
  if (fmt < 1 || fmt > nformats) fmt = 1;
  if (frm < 1 || frm > formats[fmt - 1].nframes) frm = 1;
  struct format *f = &formats[fmt - 1];
  struct frame *fr = &f->frames[frm - 1];
  memset(probe, 0, sizeof probe);
  put16(probe, 1); // bmHint: dwFrameInterval fixed
  probe[2] = fmt, probe[3] = frm;
  put32(probe + 4, fr->interval);
  put32(probe + 18, frame_size(f, fr));
  put32(probe + 22, PAYLOAD);
  put32(probe + 26, 48000000);
  probe[30] = 3; // bmFramingInfo: FID and EOF are used
  probe[31] = probe[32] = probe[33] = 0;
}

static void stop_stream(const char *why) {
  if (streaming) printf("stop %s\n", why);
  streaming = 0;
  cur_data = NULL;
}

/** Control transfer on endpoint 0: standard requests and the VS probe/commit controls. */
static void control(uint32_t seqnum, const uint8_t *s, const uint8_t *out) {
  unsigned type = s[0], req = s[1], value = s[2] | s[3] << 8, index = s[4] | s[5] << 8;
  unsigned wlen = s[6] | s[7] << 8;
  uint8_t buf[512];
  int n = -1;
  if (type == 0x80 && req == 6) { // GET_DESCRIPTOR
    unsigned dt = value >> 8, di = value & 0xff;
    if (dt == 1) memcpy(buf, device_desc, n = 18);
    else if (dt == 2) memcpy(buf, cfg, n = cfglen);
    else if (dt == 3 && di == 0) buf[0] = 4, buf[1] = 3, put16(buf + 2, 0x0409), n = 4;
    else if (dt == 3 && di < 4) {
      const char *str = strings[di];
      n = 2 + 2 * strlen(str);
      buf[0] = n, buf[1] = 3;
      for (size_t i = 0; str[i]; i++) buf[2 + 2 * i] = str[i], buf[3 + 2 * i] = 0;
    }
  } else if (type == 0x80 && req == 0) buf[0] = buf[1] = 0, n = 2;        // GET_STATUS
  else if (type == 0x00 && (req == 9 || req == 3 || req == 1)) n = 0;     // SET_CONFIGURATION, features
  else if (type == 0x01 && req == 11) {                                   // SET_INTERFACE
    if ((index & 0xff) == 1) stop_stream("set_interface");
    n = 0;
  } else if (type == 0x02 && req == 1) { // CLEAR_FEATURE(ENDPOINT_HALT): uvcvideo's bulk stop
    stop_stream("clear_halt");
    n = 0;
  } else if ((type == 0x21 || type == 0xa1) && (index & 0xff) == 1 && (value >> 8 == 1 || value >> 8 == 2)) {
    // UVC 1.1 4.3.1.1: VS_PROBE_CONTROL (1) / VS_COMMIT_CONTROL (2) on the streaming interface
    unsigned sel = value >> 8;
    if (req == 0x01) { // SET_CUR
      probe_fill(out[2], out[3]);
      if (sel == 2) {
        cur_format = probe[2], cur_frame = probe[3];
        struct format *f = &formats[cur_format - 1];
        struct frame *fr = &f->frames[cur_frame - 1];
        printf("commit %s %dx%d interval %u\n", f->mjpeg ? "MJPEG" : "YUYV", fr->w, fr->h, fr->interval);
        streaming = 1;
        cur_data = NULL;
        clock_gettime(CLOCK_MONOTONIC, &next_frame);
      }
      n = 0;
    } else if (req == 0x81 || req == 0x82 || req == 0x83 || req == 0x87) { // GET_CUR/MIN/MAX/DEF
      if (req == 0x87 || probe[2] == 0) probe_fill(1, 1);
      memcpy(buf, probe, n = sizeof probe);
    } else if (req == 0x85) put16(buf, sizeof probe), n = 2; // GET_LEN
    else if (req == 0x86) buf[0] = 3, n = 1;                  // GET_INFO: GET and SET supported
  }
  if (n < 0) {
    reply(seqnum, -32, NULL, 0); // -EPIPE: a stall, as a device refuses a request it does not know
    return;
  }
  if (type & 0x80) reply(seqnum, 0, buf, (unsigned)n < wlen ? (unsigned)n : wlen);
  else reply(seqnum, 0, NULL, wlen); // OUT: all of the data stage was taken

  fflush(stdout);
}

static void next_picture(void) {
  struct format *f = &formats[cur_format - 1];
  struct frame *fr = &f->frames[cur_frame - 1];
  if (f->mjpeg) {
    int count = 0, pick = -1;
    for (int i = 0; i < njpegs; i++)
      if (jpegs[i].h == fr->h && count++ == frames_sent % 3) pick = i;
    if (pick < 0)
      for (int i = 0; i < njpegs; i++)
        if (jpegs[i].h == fr->h) pick = i;
    if (pick < 0) fprintf(stderr, "no %d-N.jpg\n", fr->h), exit(1);
    cur_data = jpegs[pick].data, cur_len = jpegs[pick].len;
    snprintf(cur_name, sizeof cur_name, "%s", jpegs[pick].name);
    bad_cur = bad_next, bad_next = 0;
    if (bad_cur) cur_len /= 2;
  } else {
    int k = fr->h == 1080;
    bad_cur = 0;
    if (!yuyv[k]) {
      yuyv[k] = malloc((size_t)fr->w * fr->h * 2);
      make_yuyv(yuyv[k], fr->w, fr->h, k * 5);
    }
    cur_data = yuyv[k], cur_len = (size_t)fr->w * fr->h * 2;
    snprintf(cur_name, sizeof cur_name, "bars-%d", fr->h);
  }
  cur_off = 0;
}

static int frame_due(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec > next_frame.tv_sec || (now.tv_sec == next_frame.tv_sec && now.tv_nsec >= next_frame.tv_nsec);
}

/** Fills pending bulk IN URBs with payloads of the current frame (UVC 1.1 2.4.3.3 headers). */
static void pump(void) {
  while (streaming && npending) {
    if (!cur_data) {
      if (!frame_due()) return;
      next_picture();
    }
    struct urb u = pending[0];
    memmove(pending, pending + 1, --npending * sizeof *pending);
    static uint8_t buf[PAYLOAD];
    size_t room = (u.len < PAYLOAD ? u.len : PAYLOAD) - 2;
    size_t take = cur_len - cur_off < room ? cur_len - cur_off : room;
    int last = cur_off + take == cur_len;
    buf[0] = 2;                                     // bHeaderLength
    buf[1] = 0x80 | fid | (last ? 0x02 : 0) | (bad_cur ? 0x40 : 0); // EOH, FID, EOF, ERR
    memcpy(buf + 2, cur_data + cur_off, take);
    cur_off += take;
    reply(u.seqnum, 0, buf, take + 2);
    if (last) {
      struct format *f = &formats[cur_format - 1];
      struct frame *fr = &f->frames[cur_frame - 1];
      printf("%s %s %dx%d %s %zu\n", bad_cur ? "sent-bad" : "sent", f->mjpeg ? "MJPEG" : "YUYV", fr->w, fr->h, cur_name, cur_len);
      fflush(stdout);
      frames_sent++;
      fid ^= 1;
      cur_data = NULL;
      long ns = next_frame.tv_nsec + (long)fr->interval * 100;
      next_frame.tv_sec += ns / 1000000000, next_frame.tv_nsec = ns % 1000000000;
      struct timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now);
      if (now.tv_sec > next_frame.tv_sec + 1) next_frame = now; // a slow guest: don't burst to catch up
    }
  }
}

/** Writes `text` to a sysfs file; 0, or the errno (printed to stderr). */
static int sysfs_write(const char *file, const char *text) {
  int fd = open(file, O_WRONLY), err = 0;
  if (fd < 0 || write(fd, text, strlen(text)) < 0) err = errno, fprintf(stderr, "%s: %s\n", file, strerror(err));
  if (fd >= 0) close(fd);
  return err;
}

/**
 * vhci's detach only queues the disconnect: its event thread tears the port down later, and until
 * it has, attaching to that port fails ("port in use", EINVAL/EBUSY). On a loaded machine that took
 * long enough for an immediate re-plug to fail, leaving the dongle "plugged" with no device. So an
 * unplug waits until the port reads VDEV_ST_NULL (4) in vhci's status file (columns: hub port sta
 * ...; drivers/usb/usbip/vhci_sysfs.c), bounded at 60 s.
 */
static void wait_port_free(void) {
  for (int tries = 0; tries < 1200; tries++) {
    FILE *f = fopen(VHCI "/status", "r");
    char line[256], hub[8];
    int p, sta, found = 0;
    while (f && fgets(line, sizeof line, f))
      if (sscanf(line, "%7s %d %d", hub, &p, &sta) == 3 && !strcmp(hub, "hs") && p == port) found = sta == 4;
    if (f) fclose(f);
    if (found) return;
    usleep(50000);
  }
  fprintf(stderr, "vhci port %d still in use 60 s after detach\n", port);
}

static void plug(void) {
  int sv[2];
  if (plugged) return;
  set_modes(only1080);
  build_config();
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) perror("socketpair"), exit(1);
  char line[64];
  // port 0 is on vhci's USB 2 root hub; devid is bus 1 device 2; speed 3 = USB_SPEED_HIGH
  snprintf(line, sizeof line, "%d %d %u %d", port, sv[1], (1u << 16) | 2, 3);
  // The port is free: unplug() waited for it. A failed attach leaves the dongle unplugged and says
  // so (the scenario prints the dongle's last lines), instead of claiming a device nobody sees.
  int err = sysfs_write(VHCI "/attach", line);
  close(sv[1]); // vhci holds its own reference to the socket
  if (err) {
    close(sv[0]);
    printf("attach failed: %s\n", strerror(err));
    fflush(stdout);
    return;
  }
  sock = sv[0];
  plugged = 1;
  npending = 0;
  probe[2] = 0;
  printf("plugged port %d cfg %d bytes\n", port, cfglen);
  fflush(stdout);
}

static void unplug(void) {
  char line[16];
  if (!plugged) return;
  stop_stream("unplug");
  snprintf(line, sizeof line, "%d", port);
  sysfs_write(VHCI "/detach", line);
  close(sock);
  wait_port_free();
  sock = -1;
  plugged = 0;
  npending = 0;
  printf("unplugged\n");
  fflush(stdout);
}

static void command(void) {
  char line[128];
  if (!fgets(line, sizeof line, stdin)) exit(0); // the scenario went away
  if (!strncmp(line, "unplug", 6)) unplug();
  else if (!strncmp(line, "plug", 4)) plug();
  else if (!strncmp(line, "bad", 3)) bad_next = 1;
  else if (!strncmp(line, "input 1080", 10)) only1080 = 1, unplug(), plug();
  else if (!strncmp(line, "input both", 10)) only1080 = 0, unplug(), plug();
}

static void usbip_message(void) {
  uint32_t h[12];
  if (readn(sock, h, 48) < 0) {
    printf("vhci closed the connection\n");
    unplug();
    return;
  }
  uint32_t cmd = ntohl(h[0]), seqnum = ntohl(h[1]), dir = ntohl(h[3]), ep = ntohl(h[4]);
  if (cmd == 2) { // USBIP_CMD_UNLINK: drop the URB if it is still ours
    uint32_t victim = ntohl(h[5]);
    int status = 0;
    for (int i = 0; i < npending; i++)
      if (pending[i].seqnum == victim) {
        memmove(pending + i, pending + i + 1, (--npending - i) * sizeof *pending);
        status = -104; // -ECONNRESET: unlinked before completion
        break;
      }
    uint32_t r[12] = {0};
    r[0] = htonl(4), r[1] = htonl(seqnum), r[5] = htonl((uint32_t)status);
    writen(sock, r, 48);
    return;
  }
  if (cmd != 1) fprintf(stderr, "usbip: command %u?\n", cmd), exit(1);
  uint32_t len = ntohl(h[6]);
  int32_t npackets = (int32_t)ntohl(h[8]);
  uint8_t setup[8];
  memcpy(setup, &h[10], 8);
  static uint8_t out[1 << 16];
  if (dir == 0 && len) {
    if (len > sizeof out || readn(sock, out, len) < 0) exit(1);
  }
  if (npackets > 0 && npackets != -1) {
    uint8_t skip[16];
    for (int i = 0; i < npackets; i++) readn(sock, skip, 16);
  }
  if (ep == 0) control(seqnum, setup, out);
  else if (ep == 1 && dir == 1) {
    if (npending < MAX_PENDING) pending[npending++] = (struct urb){seqnum, len};
    pump();
  } else reply(seqnum, -32, NULL, 0);
}

int main(int argc, char **argv) {
  if (argc < 2) fprintf(stderr, "usage: uvc-dongle <jpeg-dir>\n"), exit(2);
  signal(SIGPIPE, SIG_IGN);
  load_jpegs(argv[1]);
  printf("loaded %d jpegs\n", njpegs);
  plug();
  for (;;) {
    struct pollfd p[2] = {{0, POLLIN, 0}, {sock, POLLIN, 0}};
    int timeout = streaming && npending && !cur_data ? 2 : 200;
    poll(p, plugged ? 2 : 1, timeout);
    if (p[0].revents) command();
    if (plugged && p[1].revents & (POLLIN | POLLHUP | POLLERR)) usbip_message();
    if (plugged) pump();
  }
}
