/* gzip_internal.h -- gzip for promc_http: compressing a rendered exposition and deciding,
 * from Accept-Encoding, whether the client wants it. Never installed. */
#ifndef PROMC_GZIP_INTERNAL_H
#define PROMC_GZIP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

/* Compresses in[0..n) into a malloc'd gzip stream (*out, *outlen), which the caller frees.
 * 0, or PROMC_ENOMEM / PROMC_EIO (zlib failure) with *out NULL. */
int promc__gzip(const char *in, size_t n, char **out, size_t *outlen);

/* Does this Accept-Encoding header (NULL: none) allow a gzip response? True when gzip (or
 * x-gzip, or *) is listed with q > 0 and is not rated below identity. */
bool promc__accepts_gzip(const char *accept_encoding);

#endif
