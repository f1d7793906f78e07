package dev.rredcot.infra.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The console table of a benchmark with arms side by side: one figure per row, one arm a column.
 */
final class ArmTable<A> {
  private final PrintWriter out;
  private final List<A> arms;
  private final String rowFormat;
  private final String cellFormat;

  /**
   * A table of {@code arms} on {@code out}; names take {@code nameWidth}, cells {@code cellWidth}.
   */
  ArmTable(PrintWriter out, List<A> arms, int nameWidth, int cellWidth) {
    this.out = out;
    this.arms = arms;
    this.rowFormat = "  %-" + nameWidth + "s";
    this.cellFormat = " %" + cellWidth + "s";
  }

  /** Prints the row {@code name}, each arm's cell from {@code cell}. */
  void row(String name, Function<A, String> cell) {
    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, rowFormat, name));
    for (A arm : arms) {
      line.append(String.format(Locale.ROOT, cellFormat, cell.apply(arm)));
    }
    out.println(line);
  }
}
