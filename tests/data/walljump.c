/* An LD_PRELOAD shim that moves a process's wall clock (CLOCK_REALTIME, gettimeofday,
 * time) by the number of seconds written in the file named by WALLJUMP_FILE, re-read at
 * most every 50 ms; CLOCK_MONOTONIC and sleeping are untouched, as when an NTP step or an
 * operator changes the system clock under a running program. Test use only
 * (tests/integration/test_kiosk.py builds it with cc). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);

static clock_gettime_fn real_clock_gettime(void) {
    static clock_gettime_fn real = NULL;
    if (real == NULL) real = (clock_gettime_fn)dlsym(RTLD_NEXT, "clock_gettime");
    return real;
}

static double offset_seconds(void) {
    static double offset = 0.0;
    static double checked = -1.0;
    struct timespec now;
    real_clock_gettime()(CLOCK_MONOTONIC, &now);
    double t = now.tv_sec + now.tv_nsec / 1e9;
    if (checked >= 0.0 && t - checked < 0.05) return offset;
    checked = t;
    const char *path = getenv("WALLJUMP_FILE");
    FILE *file = path ? fopen(path, "r") : NULL;
    if (file != NULL) {
        double value;
        if (fscanf(file, "%lf", &value) == 1) offset = value;
        fclose(file);
    }
    return offset;
}

static void shift(struct timespec *ts) {
    double offset = offset_seconds();
    long whole = (long)offset;
    long nanos = (long)((offset - (double)whole) * 1e9);
    ts->tv_sec += whole;
    ts->tv_nsec += nanos;
    if (ts->tv_nsec >= 1000000000L) { ts->tv_sec += 1; ts->tv_nsec -= 1000000000L; }
    if (ts->tv_nsec < 0) { ts->tv_sec -= 1; ts->tv_nsec += 1000000000L; }
}

int clock_gettime(clockid_t clock, struct timespec *ts) {
    int rc = real_clock_gettime()(clock, ts);
    if (rc == 0 && (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE)) shift(ts);
    return rc;
}

int gettimeofday(struct timeval *tv, void *tz) {
    struct timespec ts;
    (void)tz;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return -1;
    if (tv != NULL) { tv->tv_sec = ts.tv_sec; tv->tv_usec = ts.tv_nsec / 1000; }
    return 0;
}

time_t time(time_t *out) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (out != NULL) *out = ts.tv_sec;
    return ts.tv_sec;
}
