#include "callgrind_control.h"

#include <valgrind/callgrind.h>

int callgrind_running_on_valgrind(void) { return RUNNING_ON_VALGRIND ? 1 : 0; }

void callgrind_start_instrumentation(void) { CALLGRIND_START_INSTRUMENTATION; }

void callgrind_stop_instrumentation(void) { CALLGRIND_STOP_INSTRUMENTATION; }

void callgrind_zero_stats(void) { CALLGRIND_ZERO_STATS; }

void callgrind_dump_stats_at(const char *phase) { CALLGRIND_DUMP_STATS_AT(phase); }
