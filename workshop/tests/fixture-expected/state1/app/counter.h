/* counter.h -- a greeting counter (added by exercise 1 of the fixture). */
#ifndef COUNTER_H
#define COUNTER_H
void counter_inc(const char *kind);
long counter_get(const char *kind);
#endif
