#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The one monotonic clock everything times itself by (batches, retries, grace periods, progress,
/// systemd's `MONOTONIC_USEC`): unaffected by changes to the wall clock.
public enum MonotonicClock {
    /// Seconds since an arbitrary fixed point (the machine's boot).
    public static func seconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Microseconds since the same point, exactly (systemd wants an integer).
    public static func microseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1000
    }
}
