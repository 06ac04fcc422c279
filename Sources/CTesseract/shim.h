#include <tesseract/capi.h>

/* From libgomp (the OpenMP runtime Debian's libtesseract is built with): Tesseract's parallel
   loops, on a machine of two cores shared with the ingest loop, run several times slower than
   on one thread (spinning workers), so chatwarden turns OpenMP's parallel regions off. */
void omp_set_max_active_levels(int max_levels);
