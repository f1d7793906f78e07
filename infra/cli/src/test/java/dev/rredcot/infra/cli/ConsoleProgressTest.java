package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConsoleProgressTest {
  @Test
  void offATerminalOnlyLinesAreWrittenAndSummariesOnlyWhenDue() {
    StringWriter text = new StringWriter();
    try (ConsoleProgress console =
        new ConsoleProgress(new PrintWriter(text), "bench", Duration.ofHours(1), false)) {
      console.status("starting broker");
      // The first summary is due an hour after opening: ticks before then write nothing.
      console.tick("grpo", 5, 10, " s", "trained 3", "5/10 s | trained 3");
      console.summaryOnly("warming up");
      console.status("done");
    }
    assertEquals("bench: starting broker\nbench: done\n", text.toString().replace("\r\n", "\n"));
  }

  @Test
  void everyDueSummaryIsOneLineWithoutCarriageReturns() {
    StringWriter text = new StringWriter();
    try (ConsoleProgress console =
        new ConsoleProgress(new PrintWriter(text), "chaos", Duration.ZERO, false)) {
      console.summaryOnly("warming up");
      console.tick("chaos", 20, 10, " rollouts", "kills 1/2", "10 of 10 accounted");
    }
    assertEquals(
        "chaos: warming up\nchaos: 10 of 10 accounted\n", text.toString().replace("\r\n", "\n"));
  }
}
