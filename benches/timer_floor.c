/*
 * The machine's timer floor: how late does a process that does nothing but sleep on an
 * absolute timerfd wake up, with vrrpd's wake-up pattern (node/pacing.rs: batches 1 ms apart,
 * BATCHES per PERIOD) and under the scheduling class the bench gives the daemons?
 *
 * No daemon can send an advert earlier than it is woken, so this is the lower bound of the
 * benches' lateness on this machine. It sleeps exactly as vrrpd does (one timerfd, absolute
 * CLOCK_MONOTONIC deadlines, epoll_wait(-1), no timer slack: an hrtimer armed with ABSTIME)
 * and does nothing else: no socket, no allocation after start.
 *
 * Usage: timer_floor PERIOD_US BATCHES SPACING_US SECONDS
 *   e.g. 100000 4 1000 9   (lateness_bench: 99 instances at 0.1 s = 4 batches of <= 32)
 *        1000000 32 1000 30 (scale_bench: 1,000 instances at 1 s = 32 batches)
 * Prints one line:
 *   wakeups N late_max_ms X late_p99_ms Y late_median_ms Z over_1ms K interval_max_ms W
 * "late" is the wake-up minus its deadline; "interval" is the benches' own measure: the time
 * since the same slot's previous wake-up minus PERIOD (what a capture of adverts shows). The
 * first period is not counted: it is the process's own start (its first page faults), as a
 * capture does not count an instance's first advert.
 * Built by the benches with `cc -O2` (benches/lib.sh floor_build); needs nothing but libc.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: %s PERIOD_US BATCHES SPACING_US SECONDS\n", argv[0]);
		return 2;
	}
	int64_t period = atoll(argv[1]) * 1000, spacing = atoll(argv[3]) * 1000;
	long batches = atol(argv[2]);
	double secs = atof(argv[4]);
	if (period <= 0 || batches <= 0 || spacing < 0 || secs <= 0 || batches * spacing >= period) {
		fprintf(stderr, "%s: need PERIOD_US > 0, BATCHES > 0, BATCHES x SPACING_US < PERIOD_US\n", argv[0]);
		return 2;
	}
	long periods = (long)(secs * 1e9 / (double)period) + 1;
	size_t n = (size_t)periods * (size_t)batches;
	int64_t *late = calloc(n, sizeof *late);
	int64_t *woke = calloc(n, sizeof *woke);
	if (!late || !woke) {
		perror("calloc");
		return 1;
	}
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN };
	if (tfd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev) < 0) {
		perror("timerfd/epoll");
		return 1;
	}
	/* Start on a whole period from now, as a daemon's instances would after their start. */
	int64_t base = now_ns() + period;
	size_t done = 0;
	for (long p = 0; p < periods; p++) {
		for (long b = 0; b < batches; b++) {
			/* vrrpd moves later batches earlier (pacing.rs); the order within a period is all
			 * that matters here: one wake-up every SPACING. */
			int64_t deadline = base + p * period + b * spacing;
			struct itimerspec its;
			memset(&its, 0, sizeof its);
			its.it_value.tv_sec = deadline / 1000000000;
			its.it_value.tv_nsec = deadline % 1000000000;
			if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0) {
				perror("timerfd_settime");
				return 1;
			}
			for (;;) {
				struct epoll_event out;
				int r = epoll_wait(ep, &out, 1, -1);
				if (r < 0)
					continue;
				uint64_t exp;
				if (read(tfd, &exp, sizeof exp) == (ssize_t)sizeof exp)
					break;
			}
			int64_t t = now_ns();
			late[done] = t - deadline;
			woke[done] = t;
			done++;
		}
	}
	int64_t over = 0, interval_max = 0;
	size_t first = (size_t)batches;
	if (done <= first) {
		fprintf(stderr, "%s: SECONDS must cover more than one period\n", argv[0]);
		return 2;
	}
	for (size_t i = first; i < done; i++) {
		if (late[i] > 1000000)
			over++;
		if (i >= first + (size_t)batches) {
			int64_t l = woke[i] - woke[i - batches] - period;
			if (l > interval_max)
				interval_max = l;
		}
	}
	size_t m = done - first;
	int64_t *counted = late + first;
	qsort(counted, m, sizeof *counted, cmp);
	printf("wakeups %zu late_max_ms %.3f late_p99_ms %.3f late_median_ms %.3f over_1ms %lld interval_max_ms %.3f\n",
	       m, counted[m - 1] / 1e6, counted[m * 99 / 100] / 1e6, counted[m / 2] / 1e6,
	       (long long)over, interval_max / 1e6);
	return 0;
}
