package dev.rredcot.pipelines.evaluation;

import java.util.LinkedHashMap;
import java.util.Map;

/** Parses {@code --name value} pairs of the evaluations' {@code main} methods. */
final class CommandLineFlags {
  private CommandLineFlags() {}

  static Map<String, String> parse(String[] args) {
    Map<String, String> flags = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException(
            "arguments are --name value pairs, got '" + args[i] + "' at position " + i);
      }
      flags.put(args[i].substring(2), args[++i]);
    }
    return flags;
  }
}
