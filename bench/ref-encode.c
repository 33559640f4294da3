/*
 * Native reference for the encoder benchmark: libturbojpeg's tjCompressFromYUVPlanes on the same
 * planes, called from C, so the bench can print our ratio to it. Prototypes are declared here (the
 * TurboJPEG 2.x API) so only the runtime library is needed, not the -dev package.
 * Usage: ref-encode planes.yuv width height subsamp(1=422,2=420) quality iterations
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void *tjInitCompress(void);
unsigned long tjBufSize(int width, int height, int subsamp);
unsigned char *tjAlloc(int bytes);
int tjCompressFromYUVPlanes(void *h, const unsigned char **planes, int width, const int *strides, int height,
                            int subsamp, unsigned char **jpegBuf, unsigned long *jpegSize, int quality, int flags);

int main(int argc, char **argv) {
  if (argc < 7) return 2;
  int w = atoi(argv[2]), h = atoi(argv[3]), samp = atoi(argv[4]), q = atoi(argv[5]), n = atoi(argv[6]);
  int ch = samp == 2 ? h / 2 : h;
  size_t ysz = (size_t)w * h, csz = (size_t)(w / 2) * ch;
  unsigned char *buf = malloc(ysz + 2 * csz);
  FILE *f = fopen(argv[1], "rb");
  if (!f || fread(buf, 1, ysz + 2 * csz, f) != ysz + 2 * csz) return 3;
  fclose(f);
  const unsigned char *planes[3] = {buf, buf + ysz, buf + ysz + csz};
  int strides[3] = {w, w / 2, w / 2};
  void *tj = tjInitCompress();
  unsigned long cap = tjBufSize(w, h, samp), size = cap;
  unsigned char *out = tjAlloc((int)cap);
  struct timespec a, b;
  /* Same flags as the daemon: NOREALLOC | FASTDCT. One warm-up call. */
  tjCompressFromYUVPlanes(tj, planes, w, strides, h, samp, &out, &size, q, 1024 | 2048);
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (int i = 0; i < n; i++) {
    size = cap;
    if (tjCompressFromYUVPlanes(tj, planes, w, strides, h, samp, &out, &size, q, 1024 | 2048)) return 4;
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%.4f %lu\n", ((b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6) / n, size);
  return 0;
}
