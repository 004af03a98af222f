#ifndef CALLGRIND_CONTROL_H
#define CALLGRIND_CONTROL_H

// Callgrind's client requests as plain functions, so Swift can call them (the header's
// macros are inline assembly that Swift cannot import). Outside valgrind every one of
// them does nothing and costs a handful of instructions.

/// 1 when the program runs under valgrind, else 0.
int callgrind_running_on_valgrind(void);

/// Starts counting instructions (the run is started with --instr-atstart=no).
void callgrind_start_instrumentation(void);

/// Stops counting instructions; what was counted stays until the next dump or zeroing.
void callgrind_stop_instrumentation(void);

/// Sets every thread's counts to zero.
void callgrind_zero_stats(void);

/// Writes every thread's counts since the last zeroing to a new dump file whose
/// `desc: Trigger: Client Request:` line names `phase`, then zeroes them.
void callgrind_dump_stats_at(const char *phase);

#endif
