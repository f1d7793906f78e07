package dev.rredcot.pipelines.credit;

import dev.rredcot.pipelines.group.TraceCredit;
import java.util.Objects;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The result of one {@link GroupCreditor} step for one trace: the trace with the step's part filled
 * in, or the trace as it came with the step's {@link CreditFailure}.
 */
public final class TraceStep {
  private final TraceCredit trace;
  private final @Nullable CreditFailure failure;

  private TraceStep(TraceCredit trace, @Nullable CreditFailure failure) {
    this.trace = Objects.requireNonNull(trace, "trace");
    this.failure = failure;
  }

  static TraceStep done(TraceCredit trace) {
    return new TraceStep(trace, null);
  }

  static TraceStep failed(TraceCredit trace, CreditFailure failure) {
    return new TraceStep(trace, Objects.requireNonNull(failure, "failure"));
  }

  /** The trace after the step, or the trace the step refused. */
  public TraceCredit trace() {
    return trace;
  }

  /** Why the step refused the trace, or null when it succeeded. */
  public @Nullable CreditFailure failure() {
    return failure;
  }

  public boolean succeeded() {
    return failure == null;
  }
}
