package dev.rredcot.infra.cli;

import java.io.PrintWriter;
import java.time.Duration;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The console of a long-running command, for people: set-up stages as lines, a progress bar
 * (elapsed time, ETA and the command's figures) redrawn in place, and a summary line every {@code
 * summaryEvery}, printed above the bar. When the console is not a terminal (a pipe, {@code tee},
 * CI) there is no bar, whose carriage-return redraws would pile up on one line there: only the
 * lines. Safe to call from the threads of the run being shown.
 */
final class ConsoleProgress implements AutoCloseable {
  /** Erases the terminal line the bar was drawn on; the bar redraws below on its next tick. */
  private static final String ERASE_LINE = "\r\033[2K";

  private final PrintWriter out;
  private final String prefix;
  private final long summaryEveryMs;
  private final boolean terminal;
  private final long startMs = System.currentTimeMillis();
  private long nextSummaryMs;
  private ProgressBar bar;
  private String barTask;

  /** A console for the command {@code prefix} (each line starts "prefix: "). */
  ConsoleProgress(PrintWriter out, String prefix, Duration summaryEvery) {
    this(out, prefix, summaryEvery, System.console() != null);
  }

  ConsoleProgress(PrintWriter out, String prefix, Duration summaryEvery, boolean terminal) {
    this.out = out;
    this.prefix = prefix;
    this.summaryEveryMs = summaryEvery.toMillis();
    this.terminal = terminal;
    this.nextSummaryMs = startMs + summaryEveryMs;
  }

  /** Seconds since this console was opened, for summary lines. */
  long elapsedS() {
    return (System.currentTimeMillis() - startMs) / 1000;
  }

  /** A stage or an event, as its own line. */
  synchronized void status(String line) {
    println(line);
  }

  /**
   * A tick while the bar has no measure yet (warming up): the summary line when one is due, no bar.
   */
  synchronized void summaryOnly(String summary) {
    summaryIfDue(summary);
  }

  /**
   * A tick of task {@code task}: the bar at {@code value} of {@code max} {@code unit} with {@code
   * figures} beside it (a new bar when the task changes), and {@code summary} as a line when one is
   * due.
   */
  synchronized void tick(
      String task, long value, long max, String unit, String figures, String summary) {
    summaryIfDue(summary);
    if (!terminal) {
      return;
    }
    if (bar == null || !task.equals(barTask)) {
      close();
      barTask = task;
      bar =
          new ProgressBarBuilder()
              .setTaskName(task)
              .setInitialMax(max)
              .setStyle(ProgressBarStyle.ASCII)
              .setUnit(unit, 1)
              // Redrawn in place with a carriage return only (no cursor movement), so that the
              // lines printed between redraws stay where they are.
              .setConsumer(new ConsoleProgressBarConsumer(System.err))
              .setUpdateIntervalMillis(1_000)
              .build();
    }
    bar.stepTo(Math.min(max, value));
    bar.setExtraMessage(figures);
  }

  private void summaryIfDue(String summary) {
    long now = System.currentTimeMillis();
    if (now >= nextSummaryMs) {
      nextSummaryMs = now + summaryEveryMs;
      println(summary);
    }
  }

  private void println(String line) {
    if (bar != null) {
      out.print(ERASE_LINE);
    }
    out.println(prefix + ": " + line);
    out.flush();
  }

  @Override
  public synchronized void close() {
    if (bar != null) {
      bar.close();
      bar = null;
      barTask = null;
    }
  }
}
