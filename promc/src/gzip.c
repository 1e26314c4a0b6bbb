/* gzip.c -- gzip compression of scrape responses and the Accept-Encoding decision.
 *
 * A scrape is compressed in one deflate() call into a buffer sized by deflateBound(), so no
 * output grows piecewise. Level 1 (fastest): metrics text is so repetitive that it already
 * shrinks about tenfold, and the CPU a scrape costs is taken from the service being measured.
 */
#include "gzip_internal.h"

#include "base.h"
#include "negotiate.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

int promc__gzip(const char *in, size_t n, char **out, size_t *outlen) {
    *out = NULL;
    *outlen = 0;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    /* windowBits 15 + 16: a gzip header and trailer instead of zlib's. */
    if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return promc__seterr(PROMC_ENOMEM, "gzip: deflateInit2 failed");
    int rc = 0;
    uLong bound = deflateBound(&zs, (uLong)n);
    char *buf = malloc(bound ? bound : 1);
    if (!buf) {
        rc = promc__seterr(PROMC_ENOMEM, "gzip: out of memory");
        goto done;
    }
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.next_out = (Bytef *)buf;
    /* avail_in/avail_out are 32-bit: feed inputs above 4 GiB in slices. */
    size_t left = n;
    int zrc;
    do {
        uInt chunk = left > 0x40000000u ? 0x40000000u : (uInt)left;
        zs.avail_in = chunk;
        left -= chunk;
        uLong room = bound - zs.total_out;
        zs.avail_out = room > 0xffffffffu ? 0xffffffffu : (uInt)room;
        zrc = deflate(&zs, left ? Z_NO_FLUSH : Z_FINISH);
    } while (zrc == Z_OK && (left || zs.avail_in));
    if (zrc != Z_STREAM_END) {
        free(buf);
        rc = promc__seterr(PROMC_EIO, "gzip: deflate failed (%d)", zrc);
        goto done;
    }
    *out = buf;
    *outlen = zs.total_out;
done:
    deflateEnd(&zs);
    return rc;
}

bool promc__accepts_gzip(const char *header) {
    if (!header)
        return false;
    double gzip_q = -1, star_q = -1, identity_q = -1;
    for (const char *p = header; *p;) {
        const char *comma = strchr(p, ',');
        const char *e = comma ? comma : p + strlen(p);
        const char *semi = memchr(p, ';', (size_t)(e - p));
        const char *tb = p, *te = semi ? semi : e;
        while (tb < te && (*tb == ' ' || *tb == '\t'))
            tb++;
        while (te > tb && (te[-1] == ' ' || te[-1] == '\t'))
            te--;
        double q = 1;
        if (semi) {
            const char *qb = semi + 1;
            while (qb < e && (*qb == ' ' || *qb == '\t'))
                qb++;
            const char *qe = e;
            while (qe > qb && (qe[-1] == ' ' || qe[-1] == '\t'))
                qe--;
            if (qe - qb >= 2 && (qb[0] == 'q' || qb[0] == 'Q') && qb[1] == '=')
                q = promc__parse_qvalue(qb + 2, (size_t)(qe - qb - 2));
        }
        size_t len = (size_t)(te - tb);
        if (q >= 0) {
            if ((len == 4 && strncasecmp(tb, "gzip", 4) == 0) ||
                (len == 6 && strncasecmp(tb, "x-gzip", 6) == 0))
                gzip_q = q > gzip_q ? q : gzip_q;
            else if (len == 1 && *tb == '*')
                star_q = q;
            else if (len == 8 && strncasecmp(tb, "identity", 8) == 0)
                identity_q = q;
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    double q = gzip_q >= 0 ? gzip_q : star_q; /* an explicit gzip entry beats "*" */
    if (q <= 0)
        return false;
    return identity_q < 0 || q >= identity_q;
}
