/* fmt.c -- number formatting, escaping and the output buffer of the renderers.
 *
 * Every number in an exposition goes through here, so it is written for speed and exactness:
 *  - integer-valued doubles below 2^53 (the usual counter and bucket values) take a digit-pair
 *    fast path with no division by anything but constants and no snprintf;
 *  - everything else gets the shortest decimal that parses back to the same double, computed
 *    with Ryu (Ulf Adams, PLDI 2018) over the tables in fmt_tables.h. No locale is consulted,
 *    so a process that called setlocale(LC_NUMERIC, "de_DE") still prints "0.5".
 *
 * Two spellings of the same digits:
 *  - values (promc__fmt_double): fixed notation while the decimal exponent is in [-4, 16),
 *    scientific outside it ("1e+20", "5e-05"); integers carry no ".0". This is Python's repr
 *    minus the ".0"; both Prometheus formats accept it.
 *  - canonical label values (promc__fmt_canonical, for "le" and "quantile"): Go's %g with
 *    shortest precision plus ".0" when there is neither a point nor an exponent: "1.0", "0.005",
 *    "100000.0", "1e+06". OpenMetrics requires this form; client_python prints the same strings
 *    in the text format, so series keep their identity when a Python exporter is replaced.
 */
#include "fmt.h"

#include "fmt_tables.h"

#include <stdlib.h>
#include <string.h>

/* ---- Output buffer ----------------------------------------------------------------------- */

void promc__buf_reserve(promc_buf *b, size_t extra) {
    if (b->failed)
        return;
    if (extra <= b->cap - b->len)
        return;
    size_t need = b->len + extra;
    if (need < b->len) { /* overflow */
        b->failed = true;
        return;
    }
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = true;
        return;
    }
    b->data = p;
    b->cap = cap;
}

void promc__buf_put(promc_buf *b, const char *s, size_t n) {
    if (n > b->cap - b->len)
        promc__buf_reserve(b, n);
    if (b->failed)
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

/* ---- Escaping ---------------------------------------------------------------------------- */

/* Copies s, replacing each byte of special[] with a backslash escape. */
static void put_escaped(promc_buf *b, const char *s, const char *special) {
    for (;;) {
        size_t run = strcspn(s, special);
        promc__buf_put(b, s, run);
        s += run;
        if (!*s)
            return;
        promc__buf_putc(b, '\\');
        promc__buf_putc(b, *s == '\n' ? 'n' : *s);
        s++;
    }
}

/* Text 0.0.4 HELP: only backslash and line feed are escaped; Prometheus' text parser rejects
 * any other escape, so a double quote stays as it is. */
void promc__put_escaped_help(promc_buf *b, const char *s) {
    put_escaped(b, s, "\\\n");
}

/* OpenMetrics HELP is an escaped-string, where a bare double quote is not allowed. */
void promc__put_escaped_help_om(promc_buf *b, const char *s) {
    put_escaped(b, s, "\\\"\n");
}

/* Label values, both formats: backslash, double quote and line feed. */
void promc__put_escaped_label(promc_buf *b, const char *s) {
    put_escaped(b, s, "\\\"\n");
}

/* ---- Integers ---------------------------------------------------------------------------- */

static const char digit_pairs[201] = "00010203040506070809"
                                     "10111213141516171819"
                                     "20212223242526272829"
                                     "30313233343536373839"
                                     "40414243444546474849"
                                     "50515253545556575859"
                                     "60616263646566676869"
                                     "70717273747576777879"
                                     "80818283848586878889"
                                     "90919293949596979899";

/* Writes the decimal digits of v (at most 20) right-aligned ending at end; returns the start. */
static char *u64_digits_back(char *end, uint64_t v) {
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        end -= 2;
        memcpy(end, digit_pairs + 2 * r, 2);
    }
    if (v >= 10) {
        end -= 2;
        memcpy(end, digit_pairs + 2 * v, 2);
    } else {
        *--end = (char)('0' + v);
    }
    return end;
}

size_t promc__fmt_u64(char *out, uint64_t v) {
    char tmp[24];
    char *start = u64_digits_back(tmp + sizeof tmp, v);
    size_t n = (size_t)(tmp + sizeof tmp - start);
    memcpy(out, start, n);
    return n;
}

/* ---- Ryu: shortest decimal digits of a finite, non-zero double --------------------------- */

typedef unsigned __int128 u128;

static inline uint32_t pow5bits(int32_t e) {
    return (uint32_t)((((uint32_t)e * 1217359u) >> 19) + 1);
}
static inline uint32_t log10_pow2(int32_t e) {
    return ((uint32_t)e * 78913u) >> 18;
}
static inline uint32_t log10_pow5(int32_t e) {
    return ((uint32_t)e * 732923u) >> 20;
}
static inline uint32_t pow5_factor(uint64_t v) {
    uint32_t n = 0;
    while (v % 5 == 0) {
        v /= 5;
        n++;
    }
    return n;
}
static inline bool multiple_of_pow5(uint64_t v, uint32_t p) {
    return pow5_factor(v) >= p;
}
static inline bool multiple_of_pow2(uint64_t v, uint32_t p) {
    return (v & ((1ull << p) - 1)) == 0;
}
static inline uint64_t mul_shift(uint64_t m, const uint64_t *mul, int32_t j) {
    u128 b0 = (u128)m * mul[0];
    u128 b2 = (u128)m * mul[1];
    return (uint64_t)(((b0 >> 64) + b2) >> (j - 64));
}

/* Digits of the shortest decimal in the rounding interval of the double with these IEEE
 * fields, as *digits x 10^return. Ryu's d2d, step for step. */
static int32_t ryu_d2d(uint64_t ieee_mantissa, uint32_t ieee_exponent, uint64_t *digits) {
    int32_t e2;
    uint64_t m2;
    if (ieee_exponent == 0) {
        e2 = 1 - 1023 - 52 - 2; /* two extra bits for the interval bounds */
        m2 = ieee_mantissa;
    } else {
        e2 = (int32_t)ieee_exponent - 1023 - 52 - 2;
        m2 = (1ull << 52) | ieee_mantissa;
    }
    const bool accept_bounds = (m2 & 1) == 0; /* round-half-even parsers accept the bounds */
    const uint64_t mv = 4 * m2;
    const uint32_t mm_shift = ieee_mantissa != 0 || ieee_exponent <= 1;

    uint64_t vr, vp, vm;
    int32_t e10;
    bool vm_trailing_zeros = false, vr_trailing_zeros = false;
    if (e2 >= 0) {
        const uint32_t q = log10_pow2(e2) - (e2 > 3);
        e10 = (int32_t)q;
        const int32_t k = 125 + (int32_t)pow5bits((int32_t)q) - 1;
        const int32_t i = -e2 + (int32_t)q + k;
        const uint64_t *mul = promc__pow5_inv_split[q];
        vr = mul_shift(4 * m2, mul, i);
        vp = mul_shift(4 * m2 + 2, mul, i);
        vm = mul_shift(4 * m2 - 1 - mm_shift, mul, i);
        if (q <= 21) {
            /* Only one of mp, mv and mm can be a multiple of 5, if any. */
            if (mv % 5 == 0)
                vr_trailing_zeros = multiple_of_pow5(mv, q);
            else if (accept_bounds)
                vm_trailing_zeros = multiple_of_pow5(mv - 1 - mm_shift, q);
            else
                vp -= multiple_of_pow5(mv + 2, q);
        }
    } else {
        const uint32_t q = log10_pow5(-e2) - (-e2 > 1);
        e10 = (int32_t)q + e2;
        const int32_t i = -e2 - (int32_t)q;
        const int32_t k = (int32_t)pow5bits(i) - 125;
        const int32_t j = (int32_t)q - k;
        /* i = -e2 - q >= 1, since q <= log10(5^-e2) < -e2. */
        // cppcheck-suppress negativeIndex ; see the line above: i is never negative
        const uint64_t *mul = promc__pow5_split[i];
        vr = mul_shift(4 * m2, mul, j);
        vp = mul_shift(4 * m2 + 2, mul, j);
        vm = mul_shift(4 * m2 - 1 - mm_shift, mul, j);
        if (q <= 1) {
            /* mv = 4 m2 has at least two trailing zero bits. */
            vr_trailing_zeros = true;
            if (accept_bounds)
                vm_trailing_zeros = mm_shift == 1;
            else
                --vp;
        } else if (q < 63) {
            vr_trailing_zeros = multiple_of_pow2(mv, q);
        }
    }

    /* Remove digits while the interval still holds a shorter number. */
    int32_t removed = 0;
    uint8_t last_removed = 0;
    uint64_t output;
    if (vm_trailing_zeros || vr_trailing_zeros) {
        /* General case (~0.7% of doubles): track exact trailing zeros for correct rounding. */
        for (;;) {
            uint64_t vp10 = vp / 10, vm10 = vm / 10;
            if (vp10 <= vm10)
                break;
            uint32_t vm_mod = (uint32_t)(vm - 10 * vm10);
            uint64_t vr10 = vr / 10;
            uint32_t vr_mod = (uint32_t)(vr - 10 * vr10);
            vm_trailing_zeros &= vm_mod == 0;
            vr_trailing_zeros &= last_removed == 0;
            last_removed = (uint8_t)vr_mod;
            vr = vr10;
            vp = vp10;
            vm = vm10;
            removed++;
        }
        if (vm_trailing_zeros) {
            for (;;) {
                uint64_t vm10 = vm / 10;
                uint32_t vm_mod = (uint32_t)(vm - 10 * vm10);
                if (vm_mod != 0)
                    break;
                uint64_t vp10 = vp / 10, vr10 = vr / 10;
                uint32_t vr_mod = (uint32_t)(vr - 10 * vr10);
                vr_trailing_zeros &= last_removed == 0;
                last_removed = (uint8_t)vr_mod;
                vr = vr10;
                vp = vp10;
                vm = vm10;
                removed++;
            }
        }
        if (vr_trailing_zeros && last_removed == 5 && vr % 2 == 0)
            last_removed = 4; /* exactly ...5000: round half to even */
        output = vr + ((vr == vm && (!accept_bounds || !vm_trailing_zeros)) || last_removed >= 5);
    } else {
        bool round_up = false;
        uint64_t vp100 = vp / 100, vm100 = vm / 100;
        if (vp100 > vm100) { /* two digits at a time first */
            uint64_t vr100 = vr / 100;
            round_up = vr - 100 * vr100 >= 50;
            vr = vr100;
            vp = vp100;
            vm = vm100;
            removed += 2;
        }
        for (;;) {
            uint64_t vp10 = vp / 10, vm10 = vm / 10;
            if (vp10 <= vm10)
                break;
            uint64_t vr10 = vr / 10;
            round_up = vr - 10 * vr10 >= 5;
            vr = vr10;
            vp = vp10;
            vm = vm10;
            removed++;
        }
        output = vr + (vr == vm || round_up);
    }
    *digits = output;
    return e10 + removed;
}

/* ---- Doubles ----------------------------------------------------------------------------- */

/* Handles NaN, infinities, zero and the integer fast path. Returns the length written, or 0
 * when v needs the general path. */
static size_t fmt_special(char *out, double v, bool canonical) {
    if (v != v) {
        memcpy(out, "NaN", 3);
        return 3;
    }
    if (v == __builtin_inf()) {
        memcpy(out, "+Inf", 4);
        return 4;
    }
    if (v == -__builtin_inf()) {
        memcpy(out, "-Inf", 4);
        return 4;
    }
    /* Integers below 2^53 are exact, so their digits are also the shortest. Canonical numbers
     * switch to scientific at 1e6 (below), so they take this path only under that. */
    double limit = canonical ? 1e6 : 9007199254740992.0;
    if (v > -limit && v < limit) {
        int64_t i = (int64_t)v;
        if ((double)i == v) {
            size_t n = 0;
            if (i < 0 || (i == 0 && __builtin_signbit(v)))
                out[n++] = '-';
            n += promc__fmt_u64(out + n, i < 0 ? (uint64_t)-i : (uint64_t)i);
            if (canonical) {
                memcpy(out + n, ".0", 2);
                n += 2;
            }
            return n;
        }
    }
    return 0;
}

/* Writes digits x 10^exp10 with the decimal point wherever the style puts it. sci_from is
 * the smallest decimal exponent written in scientific notation. */
static size_t fmt_digits(char *out, bool neg, uint64_t digits, int32_t exp10, int sci_from,
                         bool point_zero) {
    char tmp[24];
    char *d = u64_digits_back(tmp + sizeof tmp, digits);
    int nd = (int)(tmp + sizeof tmp - d);
    int e = exp10 + nd - 1; /* exponent of the first digit */
    size_t n = 0;
    if (neg)
        out[n++] = '-';
    if (e < -4 || e >= sci_from) {
        out[n++] = d[0];
        if (nd > 1) {
            out[n++] = '.';
            memcpy(out + n, d + 1, (size_t)nd - 1);
            n += (size_t)nd - 1;
        }
        out[n++] = 'e';
        out[n++] = e < 0 ? '-' : '+';
        unsigned ae = (unsigned)(e < 0 ? -e : e);
        if (ae >= 100)
            out[n++] = (char)('0' + ae / 100);
        memcpy(out + n, digit_pairs + 2 * (ae % 100), 2);
        n += 2;
    } else if (e < 0) {
        out[n++] = '0';
        out[n++] = '.';
        for (int z = -1; z > e; z--)
            out[n++] = '0';
        memcpy(out + n, d, (size_t)nd);
        n += (size_t)nd;
    } else if (e + 1 >= nd) { /* integer: digits then zeros */
        memcpy(out + n, d, (size_t)nd);
        n += (size_t)nd;
        for (int z = nd; z <= e; z++)
            out[n++] = '0';
        if (point_zero) {
            out[n++] = '.';
            out[n++] = '0';
        }
    } else {
        memcpy(out + n, d, (size_t)e + 1);
        n += (size_t)e + 1;
        out[n++] = '.';
        memcpy(out + n, d + e + 1, (size_t)(nd - e - 1));
        n += (size_t)(nd - e - 1);
    }
    return n;
}

static size_t fmt_general(char *out, double v, int sci_from, bool point_zero) {
    uint64_t bits = promc__d2u(v);
    bool neg = bits >> 63;
    uint64_t mant = bits & ((1ull << 52) - 1);
    uint32_t expo = (uint32_t)((bits >> 52) & 0x7ff);
    uint64_t digits;
    int32_t exp10 = ryu_d2d(mant, expo, &digits);
    return fmt_digits(out, neg, digits, exp10, sci_from, point_zero);
}

size_t promc__fmt_double(char *out, double v) {
    size_t n = fmt_special(out, v, false);
    return n ? n : fmt_general(out, v, 16, false);
}

size_t promc__fmt_canonical(char *out, double v) {
    size_t n = fmt_special(out, v, true);
    return n ? n : fmt_general(out, v, 6, true);
}
