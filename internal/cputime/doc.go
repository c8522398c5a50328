// Package cputime reads CPU time for benchmarks: the process's (every
// thread, user and system) and the calling OS thread's. Benchmarks report
// it per operation as cpu-ns/op, which, unlike ns/op, does not grow when
// other processes share the cores. Where a clock is not available the
// functions return 0 and the benchmarks leave the cpu- figures out.
package cputime
