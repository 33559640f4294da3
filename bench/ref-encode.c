/*
 * Native reference for the encoder benchmark: the daemon's calls, made from C on the same frame, so
 * the bench can print our ratio to them. Per frame: libyuv unpacks the capture format (UYVY to
 * I420 or I422, NV12 chroma split), then libturbojpeg's tjCompressFromYUVPlanes encodes the planes.
 * Prototypes are declared here (TurboJPEG 2.x, libyuv) so only the runtime libraries are needed.
 * Prints wall ms and CPU ms per frame and the JPEG's size.
 * Usage: ref-encode frame.raw UYVY|NV12 width height subsamp(1=422,2=420) quality iterations
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void *tjInitCompress(void);
unsigned long tjBufSize(int width, int height, int subsamp);
unsigned char *tjAlloc(int bytes);
int tjCompressFromYUVPlanes(void *h, const unsigned char **planes, int width, const int *strides, int height,
                            int subsamp, unsigned char **jpegBuf, unsigned long *jpegSize, int quality, int flags);
typedef int (*unpack_fn)(const unsigned char *, int, unsigned char *, int, unsigned char *, int, unsigned char *,
                         int, int, int);
int UYVYToI420(const unsigned char *, int, unsigned char *, int, unsigned char *, int, unsigned char *, int, int,
               int);
int UYVYToI422(const unsigned char *, int, unsigned char *, int, unsigned char *, int, unsigned char *, int, int,
               int);
void SplitUVPlane(const unsigned char *, int, unsigned char *, int, unsigned char *, int, int, int);

int main(int argc, char **argv) {
  if (argc < 8) return 2;
  int uyvy = strcmp(argv[2], "UYVY") == 0;
  int w = atoi(argv[3]), h = atoi(argv[4]), samp = atoi(argv[5]), q = atoi(argv[6]), n = atoi(argv[7]);
  int cw = w / 2, ch = samp == 2 ? h / 2 : h;
  size_t in_size = uyvy ? (size_t)w * h * 2 : (size_t)w * h * 3 / 2;
  unsigned char *in = malloc(in_size);
  FILE *f = fopen(argv[1], "rb");
  if (!f || fread(in, 1, in_size, f) != in_size) return 3;
  fclose(f);
  unsigned char *y = uyvy ? malloc((size_t)w * h) : in;
  unsigned char *u = malloc((size_t)cw * ch), *v = malloc((size_t)cw * ch);
  const unsigned char *planes[3] = {y, u, v};
  int strides[3] = {w, cw, cw};
  unpack_fn unpack = samp == 2 ? UYVYToI420 : UYVYToI422;
  void *tj = tjInitCompress();
  unsigned long cap = tjBufSize(w, h, samp), size = cap;
  unsigned char *out = tjAlloc((int)cap);
  struct timespec a, b, ca, cb;
  /* Same flags as the daemon: NOREALLOC | FASTDCT. One warm-up frame, then n timed. */
  for (int i = -1; i < n; i++) {
    if (i == 0) {
      clock_gettime(CLOCK_MONOTONIC, &a);
      clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ca);
    }
    if (uyvy)
      unpack(in, w * 2, y, w, u, cw, v, cw, w, h);
    else
      SplitUVPlane(in + (size_t)w * h, w, u, cw, v, cw, cw, ch);
    size = cap;
    if (tjCompressFromYUVPlanes(tj, planes, w, strides, h, samp, &out, &size, q, 1024 | 2048)) return 4;
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cb);
  /* Wall ms and CPU ms per frame (CPU time is what a loaded machine distorts least), JPEG bytes. */
  printf("%.4f %.4f %lu\n", ((b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6) / n,
         ((cb.tv_sec - ca.tv_sec) * 1e3 + (cb.tv_nsec - ca.tv_nsec) / 1e6) / n, size);
  return 0;
}
