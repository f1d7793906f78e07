package dev.rredcot.infra.cli;

import dev.rredcot.infra.home.RredcotHome;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;

/** One execution of the CLI with its exit code and captured output, for tests. */
record CliRun(int exitCode, String out, String err) {
  static CliRun execute(RredcotHome home, String... args) {
    CommandLine commandLine = RredcotCli.commandLine(home);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    int exitCode = commandLine.execute(args);
    return new CliRun(exitCode, out.toString(), err.toString());
  }

  /** Runs {@code leading} (the command and its fixed options) followed by {@code args}. */
  static CliRun execute(RredcotHome home, List<String> leading, String... args) {
    List<String> all = new java.util.ArrayList<>(leading);
    all.addAll(List.of(args));
    return execute(home, all.toArray(String[]::new));
  }

  List<String> outLines() {
    return Arrays.stream(out.split("\n")).filter(line -> !line.isBlank()).toList();
  }

  @Override
  public String toString() {
    return "exit " + exitCode + "\n--- out\n" + out + "--- err\n" + err;
  }
}
