/* negotiate.h -- parsing pieces of HTTP content negotiation shared by negotiate.c (Accept)
 * and gzip.c (Accept-Encoding). Depends on nothing. Never installed. */
#ifndef PROMC_NEGOTIATE_H
#define PROMC_NEGOTIATE_H

#include <stddef.h>

/* Parses an HTTP qvalue ("0", "0.5", "1.000"); -1 when malformed. n is its length. */
double promc__parse_qvalue(const char *s, size_t n);

#endif /* PROMC_NEGOTIATE_H */
