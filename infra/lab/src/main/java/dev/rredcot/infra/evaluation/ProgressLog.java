package dev.rredcot.infra.evaluation;

import org.slf4j.Logger;

/**
 * Periodic progress lines ("what: done/total, rate/s, ETA") on an SLF4J logger, at most one every
 * {@code intervalMs}, plus one at the end. Safe to advance from several threads.
 */
public final class ProgressLog {
  private final Logger log;
  private final String what;
  private final long total;
  private final long intervalMs;
  private final long startNanos = System.nanoTime();
  private long done;
  private long lastLogNanos = System.nanoTime();

  /** Progress of {@code total} units of {@code what}. */
  public ProgressLog(Logger log, String what, long total, long intervalMs) {
    this.log = log;
    this.what = what;
    this.total = total;
    this.intervalMs = intervalMs;
  }

  /** Records {@code units} more done; logs when the interval has passed or all are done. */
  public synchronized void advance(long units) {
    done += units;
    long now = System.nanoTime();
    if (done >= total || (now - lastLogNanos) / 1_000_000 >= intervalMs) {
      lastLogNanos = now;
      double seconds = (now - startNanos) / 1e9;
      double rate = seconds > 0 ? done / seconds : 0;
      double etaSeconds = rate > 0 ? Math.max(0, total - done) / rate : Double.NaN;
      log.info(
          "{}: {}/{} ({}/s, {} s elapsed, ETA {} s)",
          what,
          done,
          total,
          String.format("%.2f", rate),
          String.format("%.0f", seconds),
          Double.isNaN(etaSeconds) ? "?" : String.format("%.0f", etaSeconds));
    }
  }
}
